// The default wire: node:http and node:https with keep-alive agents. Redirects
// are never followed (the error map reports them). Bodies are read whole, up
// to what the request allows. Proxies: a plain-http target is asked of the
// proxy in absolute form; an https target crosses it as a `CONNECT` tunnel,
// TLS end to end.

import http from "node:http";
import https from "node:https";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import type { Next } from "./policy.js";
import { ProxyConfig } from "./proxy.js";
import { newResponse } from "./request.js";
import { WireError, type WireErrorKind } from "./wire-error.js";

/** Settings of the default wire. */
export interface NodeWireOptions {
  /** How long a connection may be silent (no bytes either way) before the attempt fails, in ms (default 60,000). */
  inactivityTimeoutMs?: number;
  /** Which proxy requests go through (default: the environment's variables, read once). */
  proxy?: ProxyConfig;
  /** Root certificates (PEM) trusted besides the system's. */
  rootCertificatesPem?: string[];
}

/** Error codes of a connection that was never made: the request did not leave. */
const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

function kindOf(err: unknown): WireErrorKind {
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && CONNECT_CODES.has(code)) return "connect";
  if (code === "ETIMEDOUT") return "timeout";
  return "io";
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

/** Response headers as pairs, repeated ones joined with ", ". */
function headerPairs(headers: http.IncomingHttpHeaders): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) pairs.push([name, Array.isArray(value) ? value.join(", ") : value]);
  }
  return pairs;
}

/**
 * How many bytes a streamed body queues before the socket is paused. The
 * response's own buffer is 16 KiB, less than one 64 KiB socket read, so
 * reading it with `for await` paused and resumed the socket on every chunk;
 * this queue keeps the socket flowing while still bounding what is held.
 */
const STREAM_QUEUE_BYTES = 1024 * 1024;

/** A streamed body: chunks as they arrive, a break or an overlong body as a `WireError`. */
async function* streamOf(res: http.IncomingMessage, max: number): AsyncGenerator<Uint8Array> {
  const queue: Buffer[] = [];
  let queued = 0;
  let ended = false;
  let failure: unknown;
  let wake: (() => void) | undefined;
  const notify = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  res.on("data", (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued >= STREAM_QUEUE_BYTES) res.pause();
    notify();
  });
  res.on("end", () => {
    ended = true;
    notify();
  });
  res.on("error", (err) => {
    failure = err;
    notify();
  });
  // A body cut short closes without "end": the loop stops and `complete` tells.
  res.on("close", () => {
    ended = true;
    notify();
  });
  let received = 0;
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk) {
        queued -= chunk.length;
        if (queued < STREAM_QUEUE_BYTES && res.isPaused()) res.resume();
        received += chunk.length;
        if (received > max) {
          throw new WireError("too-long", `the answer is longer than ${max} bytes, the most this client reads`);
        }
        yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
        continue;
      }
      if (failure !== undefined) throw new WireError("io", "the response body broke off", { cause: failure });
      if (ended) break;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    res.destroy();
  }
  if (!res.complete) throw new WireError("io", "the response body broke off");
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
  return (request) =>
    new Promise((resolve, reject) => {
      const url = request.url;
      const isHttps = url.protocol === "https:";
      const headers: Record<string, string> = Object.fromEntries(request.headers);
      headers["content-length"] = String(request.body.length);
      const proxy = proxies.proxyFor(url);
      let target: URL | string = url;
      let agent: http.Agent = isHttps ? direct["https:"] : direct["http:"];
      let viaHttps = isHttps;
      if (proxy && isHttps) {
        const key = `tunnel ${proxy.href}`;
        agent = proxyAgents.get(key) ?? tunnelAgent(proxy, ca);
        proxyAgents.set(key, agent);
      } else if (proxy) {
        // A plain-http target: the request goes to the proxy, its target in absolute form.
        viaHttps = proxy.protocol === "https:";
        target = new URL(`${proxy.protocol}//${proxy.host}${url.pathname}${url.search}`);
        headers.host = url.host;
        const auth = proxyAuthorization(proxy);
        if (auth) headers["proxy-authorization"] = auth;
        const key = `forward ${proxy.href}`;
        agent =
          proxyAgents.get(key) ??
          (viaHttps
            ? new https.Agent({ keepAlive: true, ...(ca ? { ca } : {}) })
            : new http.Agent({ keepAlive: true }));
        proxyAgents.set(key, agent);
      }
      const req = (viaHttps ? https : http).request(
        target,
        {
          method: request.method,
          headers,
          agent,
          ...(request.signal ? { signal: request.signal } : {}),
          ...(proxy && !isHttps ? { path: url.href } : {}),
        },
        (res) => {
          const max = request.maxResponseBytes;
          const tooLong = (): void => {
            const message = `the answer is longer than ${max} bytes, the most this client reads`;
            // Settled first: destroying the request makes the response emit an error of its own.
            reject(new WireError("too-long", message));
            req.destroy();
          };
          // A HEAD answer declares the blob's size but carries no body.
          if (request.method !== "HEAD" && Number(res.headers["content-length"] ?? 0) > max) return tooLong();
          const status = res.statusCode ?? 0;
          if (request.streamBody && status >= 200 && status <= 299) {
            const response = newResponse(status, headerPairs(res.headers));
            response.stream = streamOf(res, max);
            resolve(response);
            return;
          }
          const chunks: Buffer[] = [];
          let received = 0;
          res.on("data", (chunk: Buffer) => {
            received += chunk.length;
            if (received > max) return tooLong();
            chunks.push(chunk);
          });
          res.on("end", () => {
            resolve(newResponse(res.statusCode ?? 0, headerPairs(res.headers), new Uint8Array(Buffer.concat(chunks))));
          });
          res.on("error", (err) => reject(new WireError("io", "the response body broke off", { cause: err })));
        },
      );
      req.setTimeout(timeout, () => {
        req.destroy(Object.assign(new Error("inactivity timeout"), { code: "ETIMEDOUT" }));
      });
      req.on("error", (err) => {
        if (request.signal?.aborted) {
          reject(new WireError("timeout", "the operation's deadline passed", { cause: err }));
          return;
        }
        const kind = kindOf(err);
        const errCode = (err as { code?: unknown }).code;
        const code = typeof errCode === "string" ? ` (${errCode})` : "";
        reject(new WireError(kind, `${request.method} ${url.host}: ${kind} failure${code}`, { cause: err }));
      });
      req.end(request.body.length > 0 ? request.body : undefined);
    });
}
