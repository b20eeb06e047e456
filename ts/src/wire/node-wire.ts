// The default wire: node:http and node:https with keep-alive agents. Redirects
// are never followed (the error map reports them). Bodies are read whole, up
// to what the request allows. Proxies: a plain-http target is asked of the
// proxy in absolute form; an https target crosses it as a `CONNECT` tunnel,
// TLS end to end. A GET that gives its body a place (`Request.bodyInto`: a
// download's range into memory) and crosses no proxy is read by `direct-get.ts`
// over connections of its own, straight into that place.

import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { portOrDefault, socketHost } from "../net.js";
import { directGet } from "./direct-get.js";
import type { Next } from "./policy.js";
import { ProxyConfig } from "./proxy.js";
import type { Request, Response } from "./request.js";
import { deadlinePassed, tooLong, WireError, wireFailure } from "./wire-error.js";

/** Settings of the default wire. */
export interface NodeWireOptions {
  /** How long a connection may be silent (no bytes either way) before the attempt fails, in ms (default 60,000). */
  inactivityTimeoutMs?: number;
  /** Which proxy requests go through (default: the environment's variables, read once). */
  proxy?: ProxyConfig;
  /** Root certificates (PEM) trusted besides the system's. */
  rootCertificatesPem?: string[];
  /**
   * Whether a download's ranges into memory are read by the wire's own
   * HTTP/1.1 connections straight into the result (default true, about
   * twice node:http's throughput at a third of its CPU). False sends them
   * through node:http like every other request: for instrumentation that
   * hooks node:http (`diagnostics_channel`'s `http.client.*`, interceptors
   * such as nock), which does not see the direct connections.
   */
  directGet?: boolean;
}

/** `Proxy-Authorization` from the proxy URL's user and password, if it has them. */
function proxyAuthorization(proxy: URL): string | undefined {
  if (proxy.username === "" && proxy.password === "") return undefined;
  const user = decodeURIComponent(proxy.username);
  const password = decodeURIComponent(proxy.password);
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}

/** An https agent whose connections are `CONNECT` tunnels through `proxy`. */
function tunnelAgent(proxy: URL, ca: string[] | undefined): https.Agent {
  const agent = new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) });
  const connect = (
    options: https.RequestOptions & { servername?: string },
    done: (err: Error | null, socket?: Duplex) => void,
  ): undefined => {
    const target = `${options.host}:${options.port}`;
    const headers: Record<string, string> = { host: target };
    const auth = proxyAuthorization(proxy);
    if (auth) headers["proxy-authorization"] = auth;
    const request = (proxy.protocol === "https:" ? https : http).request({
      host: proxy.hostname,
      port: proxy.port || (proxy.protocol === "https:" ? 443 : 80),
      method: "CONNECT",
      path: target,
      headers,
      ...(ca ? { ca } : {}),
    });
    request.once("connect", (res, socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        done(
          Object.assign(new Error(`the proxy refused the tunnel (HTTP ${res.statusCode})`), { code: "ECONNREFUSED" }),
        );
        return;
      }
      const secure = tls.connect({
        socket,
        servername: options.servername ?? String(options.host),
        ...(ca ? { ca } : {}),
      });
      secure.once("secureConnect", () => done(null, secure));
      secure.once("error", (err) => done(err));
    });
    request.once("error", (err) => done(err));
    request.end();
    return undefined;
  };
  (agent as unknown as { createConnection: typeof connect }).createConnection = connect;
  return agent;
}

/**
 * Response headers as a map, repeated ones joined with ", ". Node's header
 * object is read with `for...in` rather than `Object.entries`, so no pair
 * arrays are made.
 */
function headerMap(headers: http.IncomingHttpHeaders): Map<string, string> {
  const map = new Map<string, string>();
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value = headers[name];
    if (value !== undefined) map.set(name.toLowerCase(), Array.isArray(value) ? value.join(", ") : value);
  }
  return map;
}

/**
 * How many bytes a streamed body queues before the socket is paused. The
 * response's own buffer is 16 KiB, less than one 64 KiB socket read, so
 * reading it with `for await` paused and resumed the socket on every chunk;
 * this queue keeps the socket flowing while still bounding what is held.
 */
const STREAM_QUEUE_BYTES = 1024 * 1024;

const BODY: unique symbol = Symbol("azblob.body");

/** A response whose body is streamed, linked to its `StreamedBody` for the shared listeners. */
type Streaming = http.IncomingMessage & { [BODY]: StreamedBody };

/**
 * A streamed body: chunks as they arrive, a break or an overlong body as a
 * `WireError`. An iterator object rather than an async generator, with
 * listeners shared by every body: a small body costs one object and a
 * promise per chunk, not a generator's queue, four closures and a promise
 * per step.
 */
class StreamedBody implements AsyncIterableIterator<Uint8Array> {
  readonly #res: http.IncomingMessage;
  readonly #max: number;
  #received = 0;
  #finished = false;
  /** Chunks received and not yet read, and their bytes (the listeners below fill them). */
  readonly queue: Buffer[] = [];
  queued = 0;
  ended = false;
  failure: unknown;
  /** Wakes the reads waiting for a chunk, the end or a failure. */
  wake: (() => void) | undefined;

  constructor(res: http.IncomingMessage, max: number) {
    this.#res = res;
    this.#max = max;
    (res as Streaming)[BODY] = this;
    res.on("data", onStreamData);
    res.on("end", onStreamEnd);
    res.on("error", onStreamError);
    // A body cut short closes without "end": the reads stop and `complete` tells.
    res.on("close", onStreamEnd);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.#finished) return { value: undefined, done: true };
      const chunk = this.queue.shift();
      if (chunk) {
        this.queued -= chunk.length;
        if (this.queued < STREAM_QUEUE_BYTES && this.#res.isPaused()) this.#res.resume();
        this.#received += chunk.length;
        if (this.#received > this.#max) {
          this.#finish();
          throw tooLong(this.#max);
        }
        return { value: new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length), done: false };
      }
      if (this.failure !== undefined) {
        this.#finish();
        throw new WireError("io", "the response body broke off", { cause: this.failure });
      }
      if (this.ended) {
        this.#finish();
        if (!this.#res.complete) throw new WireError("io", "the response body broke off");
        return { value: undefined, done: true };
      }
      await new Promise<void>((resolve) => {
        // Reads made together (not awaited one by one) all wake, in the order they were made.
        const earlier = this.wake;
        this.wake = earlier
          ? () => {
              earlier();
              resolve();
            }
          : resolve;
      });
    }
  }

  /** A reader that stops early (a `break` out of `for await`) ends the body: the socket is not reused. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    this.#finish();
    return { value: undefined, done: true };
  }

  #finish(): void {
    this.#finished = true;
    this.#res.destroy();
  }
}

function onStreamData(this: http.IncomingMessage, chunk: Buffer): void {
  const body = (this as Streaming)[BODY];
  body.queue.push(chunk);
  body.queued += chunk.length;
  if (body.queued >= STREAM_QUEUE_BYTES) this.pause();
  body.notify();
}

function onStreamEnd(this: http.IncomingMessage): void {
  const body = (this as Streaming)[BODY];
  body.ended = true;
  body.notify();
}

function onStreamError(this: http.IncomingMessage, err: Error): void {
  const body = (this as Streaming)[BODY];
  body.failure = err;
  body.notify();
}

/**
 * One request in flight: what the handlers below need. The handlers are
 * module functions shared by every request (Node calls them with the request
 * or response as `this`), so a request allocates this one object instead of
 * a closure per event.
 */
interface Exchange {
  request: Request;
  resolve: (response: Response) => void;
  reject: (err: unknown) => void;
  /** The chunks of a body read whole; the first alone while it is the only one. */
  first: Buffer | undefined;
  more: Buffer[] | undefined;
  received: number;
  /** The inactivity timeout in ms, armed once the request has its socket. */
  timeout: number;
}

const EXCHANGE: unique symbol = Symbol("azblob.exchange");

type Tagged = http.ClientRequest & { [EXCHANGE]: Exchange };

/** A response, which node:http links to its request (`res.req`, untyped in @types/node 20). */
type Answer = http.IncomingMessage & { req: http.ClientRequest };

function exchangeOf(req: http.ClientRequest): Exchange {
  return (req as Tagged)[EXCHANGE];
}

/** Pushes one request header as a name and a value; Content-Length is the wire's to set. */
function pushHeader(this: string[], value: string, name: string): void {
  if (name !== "content-length") this.push(name, value);
}

const EMPTY_BODY = new Uint8Array(0);

/** A response as `newResponse` makes it, from a map already built. */
function answer(status: number, headers: Map<string, string>, body: Uint8Array): Response {
  return { status, headers, body, repeated: false };
}

/** Sets `name` in a flat header list: its value replaced where it is, else added at the end. */
function setHeaderIn(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i] === name) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(name, value);
}

function refuseTooLong(ex: Exchange, req: http.ClientRequest): void {
  // Settled first: destroying the request makes the response emit an error of its own.
  ex.reject(tooLong(ex.request.maxResponseBytes));
  req.destroy();
}

function onResponse(this: http.ClientRequest, res: http.IncomingMessage): void {
  const ex = exchangeOf(this);
  const request = ex.request;
  const max = request.maxResponseBytes;
  // A HEAD answer declares the blob's size but carries no body.
  if (request.method !== "HEAD" && Number(res.headers["content-length"] ?? 0) > max) {
    refuseTooLong(ex, this);
    return;
  }
  const status = res.statusCode ?? 0;
  if (request.streamBody && status >= 200 && status <= 299) {
    const response = answer(status, headerMap(res.headers), EMPTY_BODY);
    response.stream = new StreamedBody(res, max);
    ex.resolve(response);
    return;
  }
  res.on("data", onBodyData);
  res.on("end", onBodyEnd);
  res.on("error", onBodyError);
}

function onBodyData(this: http.IncomingMessage, chunk: Buffer): void {
  const req = (this as Answer).req;
  const ex = exchangeOf(req);
  ex.received += chunk.length;
  if (ex.received > ex.request.maxResponseBytes) {
    refuseTooLong(ex, req);
    return;
  }
  if (ex.first === undefined) ex.first = chunk;
  else if (ex.more === undefined) ex.more = [ex.first, chunk];
  else ex.more.push(chunk);
}

function onBodyEnd(this: http.IncomingMessage): void {
  const ex = exchangeOf((this as Answer).req);
  // One chunk (most small answers) is kept as it came; several are joined once.
  const whole = ex.more ? Buffer.concat(ex.more) : ex.first;
  const body = whole ? new Uint8Array(whole.buffer, whole.byteOffset, whole.length) : EMPTY_BODY;
  ex.resolve(answer(this.statusCode ?? 0, headerMap(this.headers), body));
}

function onBodyError(this: http.IncomingMessage, err: Error): void {
  exchangeOf((this as Answer).req).reject(new WireError("io", "the response body broke off", { cause: err }));
}

/**
 * Arms the inactivity timeout once the request has its socket: `setTimeout`
 * called before then would add two closures and a one-time listener of its
 * own to wait for the socket; called now it arms the socket at once, or at
 * its connection, exactly as it would have then.
 */
function onSocketAssigned(this: http.ClientRequest): void {
  this.setTimeout(exchangeOf(this).timeout, onInactive);
}

function onInactive(this: http.ClientRequest): void {
  this.destroy(Object.assign(new Error("inactivity timeout"), { code: "ETIMEDOUT" }));
}

function onRequestError(this: http.ClientRequest, err: Error): void {
  const { request, reject } = exchangeOf(this);
  if (request.signal?.aborted) {
    reject(deadlinePassed(err));
    return;
  }
  reject(wireFailure(request, err));
}

/** The request options node:http reads. */
interface WireRequestOptions {
  host: string;
  port: number;
  path: string;
  method: string;
  headers: string[];
  agent: http.Agent;
  signal?: AbortSignal;
}

/** A wire over node:http/https with keep-alive agents. */
export function nodeWire(options: NodeWireOptions = {}): Next {
  const timeout = options.inactivityTimeoutMs ?? 60_000;
  const ca = options.rootCertificatesPem?.length
    ? [...tls.rootCertificates, ...options.rootCertificatesPem]
    : undefined;
  const proxies = options.proxy ?? ProxyConfig.fromEnv();
  const direct = {
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) }),
  };
  const proxyAgents = new Map<string, http.Agent>();
  const viaNodeHttp: Next = (request) =>
    new Promise((resolve, reject) => {
      const url = request.url;
      const isHttps = url.protocol === "https:";
      // Headers go to node:http as one flat list, written as given: no
      // per-header `setHeader` and no header object. Host is added as
      // node:http would add it, unless the request carries one.
      const headers: string[] = [];
      request.headers.forEach(pushHeader, headers);
      headers.push("content-length", String(request.body.length));
      const proxy = proxies.proxyFor(url);
      // Host, port and path as options rather than the URL object, which node:http would copy into more options.
      let target: URL = url;
      let path = `${url.pathname}${url.search}`;
      let agent: http.Agent = isHttps ? direct["https:"] : direct["http:"];
      let viaHttps = isHttps;
      if (proxy && isHttps) {
        const key = `tunnel ${proxy.href}`;
        agent = proxyAgents.get(key) ?? tunnelAgent(proxy, ca);
        proxyAgents.set(key, agent);
        if (!request.headers.has("host")) headers.push("Host", url.host);
      } else if (proxy) {
        // A plain-http target: the request goes to the proxy, its target in absolute form.
        viaHttps = proxy.protocol === "https:";
        target = proxy;
        path = url.href;
        // The target's host and the proxy's credentials, in place of any the request carries.
        setHeaderIn(headers, "host", url.host);
        const auth = proxyAuthorization(proxy);
        if (auth) setHeaderIn(headers, "proxy-authorization", auth);
        const key = `forward ${proxy.href}`;
        agent =
          proxyAgents.get(key) ??
          (viaHttps
            ? new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) })
            : new http.Agent({ keepAlive: true }));
        proxyAgents.set(key, agent);
      } else if (!request.headers.has("host")) {
        headers.push("Host", url.host);
      }
      const wireOptions: WireRequestOptions = {
        host: socketHost(target),
        port: portOrDefault(target),
        path,
        method: request.method,
        headers,
        agent,
      };
      if (request.signal) wireOptions.signal = request.signal;
      const req = (viaHttps ? https : http).request(wireOptions as http.RequestOptions);
      (req as Tagged)[EXCHANGE] = { request, resolve, reject, first: undefined, more: undefined, received: 0, timeout };
      req.on("response", onResponse);
      req.on("socket", onSocketAssigned);
      req.on("error", onRequestError);
      req.end(request.body.length > 0 ? request.body : undefined);
    });
  if (options.directGet === false) return viaNodeHttp;
  const placed = directGet({ inactivityTimeoutMs: timeout, ca });
  return (request) =>
    request.bodyInto !== undefined &&
    request.method === "GET" &&
    request.body.length === 0 &&
    proxies.proxyFor(request.url) === undefined
      ? placed(request, viaNodeHttp)
      : viaNodeHttp(request);
}
