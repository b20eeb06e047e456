// A GET whose 2xx body is read by the socket straight into a place the caller
// gives (`Request.bodyInto`): the ranges of a download into memory.
//
// Why not node:http: its parser copies every body chunk into a new Buffer,
// and those Buffers, external memory, start V8's major collections. On the
// bench sink (1 GiB in 8 MiB ranges, 8 in flight, 2 cores) node:http took
// 410 to 500 MB/s at 2.1 to 2.6 CPU-s/GB; sockets reading into the result
// itself (`onread` with a buffer chosen per read) took 910 to 1,310 MB/s at
// 0.74 to 0.88. So this module speaks HTTP/1.1 itself, for this one case only:
// a GET with no body and no proxy. It takes an answer only when it has a
// Content-Length and no Transfer-Encoding; any other answer (chunked, unsized,
// informational) is handed, before anything of it was delivered, to node:http,
// which asks again: a GET is safe to repeat. A 2xx body longer than its place,
// or any answer longer than the request allows, is `too-long`; a malformed head is
// an `io` failure, as node:http reports one.

import net from "node:net";
import tls from "node:tls";
import type { Next } from "./policy.js";
import type { Request, Response } from "./request.js";
import { WireError, wireFailure } from "./wire-error.js";

/** Settings shared with the default wire. */
export interface DirectGetOptions {
  /** How long a connection may be silent while a request is in flight, in ms. */
  inactivityTimeoutMs: number;
  /** The roots trusted for https (the system's and the client's), or undefined for the system's alone. */
  ca: string[] | undefined;
}

/** The most bytes of an answer's status line and headers. */
const MAX_HEAD_BYTES = 64 * 1024;

/** How long a connection waits idle for the next GET before it is closed. */
const IDLE_MS = 30_000;

/** The most idle connections kept per origin; more are closed. */
const MAX_IDLE = 64;

/** The service's header names are tokens (RFC 9110). */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

const STATUS_LINE = /^HTTP\/1\.([01]) ([1-9]\d\d)(?: [^\r\n]*)?$/;

/** An answer's head, parsed. */
export interface Head {
  status: number;
  headers: Map<string, string>;
  /** The body's length, or undefined when the answer does not say it in a Content-Length alone. */
  length: number | undefined;
  /** Whether the connection may carry another request after this answer. */
  keepAlive: boolean;
}

/**
 * Parses an answer's head (without its closing blank line, as latin1 text):
 * a message for a head that is not HTTP/1.x.
 */
export function parseHead(text: string): Head | string {
  const lines = text.split("\r\n");
  const status = STATUS_LINE.exec(lines[0] ?? "");
  if (!status)
    return `the answer does not start with an HTTP/1.1 status line: ${JSON.stringify((lines[0] ?? "").slice(0, 40))}`;
  const headers = new Map<string, string>();
  const lengths = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    // A folded line (obsolete) starts with a space and has no token before a colon.
    if (!TOKEN.test(name)) return `the answer has a malformed header line ${i}`;
    const key = name.toLowerCase();
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, "");
    if (key === "content-length") lengths.add(value);
    const earlier = headers.get(key);
    headers.set(key, earlier === undefined ? value : `${earlier}, ${value}`);
  }
  let length: number | undefined;
  if (lengths.size > 1) return "the answer has two different Content-Length headers";
  const [declared] = lengths;
  if (declared !== undefined) {
    if (!/^\d{1,15}$/.test(declared)) return "the answer's Content-Length is not a number";
    length = Number(declared);
  }
  const code = Number(status[2]);
  // A length is only the body's when nothing else frames it; 204 and 304 have no body whatever they declare.
  if (headers.has("transfer-encoding")) length = undefined;
  else if (code === 204 || code === 304) length = 0;
  const tokens = (headers.get("connection") ?? "").toLowerCase();
  const keepAlive =
    status[1] === "1" ? !/(^|,)\s*close\s*(,|$)/.test(tokens) : /(^|,)\s*keep-alive\s*(,|$)/.test(tokens);
  return { status: code, headers, length, keepAlive };
}

/** The request's head as written: request line, the request's headers, Host. */
function requestHead(request: Request): string {
  const url = request.url;
  let head = `GET ${url.pathname}${url.search} HTTP/1.1\r\n`;
  request.headers.forEach((value, name) => {
    if (name !== "content-length") head += `${name}: ${value}\r\n`;
  });
  if (!request.headers.has("host")) head += `host: ${url.host}\r\n`;
  return `${head}\r\n`;
}

/**
 * A 2xx body read into its place: views of the bytes received so far, each
 * yielded once, however many socket reads filled it. No queue: the socket
 * writes where the bytes belong, so a slow reader costs no memory.
 */
class PlacedBody implements AsyncIterableIterator<Uint8Array> {
  readonly place: Uint8Array;
  filled = 0;
  #yielded = 0;
  failure: WireError | undefined;
  #wake: (() => void) | undefined;
  #stop: () => void;

  constructor(place: Uint8Array, stop: () => void) {
    this.place = place;
    this.#stop = stop;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Called as bytes land or the body fails. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.#yielded < this.filled) {
        const view = this.place.subarray(this.#yielded, this.filled);
        this.#yielded = this.filled;
        return { value: view, done: false };
      }
      if (this.failure) throw this.failure;
      if (this.filled === this.place.length) return { value: undefined, done: true };
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
    }
  }

  /** A reader that stops early ends the body: the connection is closed, not reused. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    if (this.filled < this.place.length) this.#stop();
    return { value: undefined, done: true };
  }
}

/** What one request in flight on a connection waits for. */
interface Exchange {
  request: Request;
  resolve: (response: Response) => void;
  reject: (err: unknown) => void;
  /** Hands the request to node:http: its answer was not one this module takes. */
  fallback: () => void;
  /** Bytes of the head received (on the connection's head buffer). */
  headLength: number;
  head: Head | undefined;
  /** A 2xx body's place, once its head is in. */
  placed: PlacedBody | undefined;
  /** Any other answer's body, read whole, and how much of it came. */
  whole: Buffer | undefined;
  wholeFilled: number;
  /** Whether the server sent more than the body it announced (the connection is not reused). */
  excess: boolean;
  onAbort: (() => void) | undefined;
  /** Whether it was sent again after a stale connection (once at most). */
  resent: boolean;
}

/** A keep-alive connection to one origin, reading into the place of the request in flight. */
class Connection {
  readonly socket: net.Socket;
  readonly #pool: Pool;
  readonly #headBuffer = Buffer.allocUnsafe(MAX_HEAD_BYTES);
  /** How many requests it has carried, the one in flight included. */
  #requests = 0;
  #exchange: Exchange | undefined;
  #closed = false;

  constructor(pool: Pool, url: URL, options: DirectGetOptions) {
    this.#pool = pool;
    const host = url.hostname.charCodeAt(0) === 91 ? url.hostname.slice(1, -1) : url.hostname;
    const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
    const onread: net.OnReadOpts = {
      buffer: () => this.#readPlace(),
      callback: (n: number) => {
        this.#received(n);
        return true;
      },
    };
    this.socket =
      url.protocol === "https:"
        ? tls.connect({
            host,
            port,
            ...(net.isIP(host) === 0 ? { servername: host } : {}),
            ...(options.ca ? { ca: options.ca } : {}),
            onread,
          } as tls.ConnectionOptions)
        : net.connect({ host, port, onread });
    this.socket.setNoDelay(true);
    this.socket.on("error", (err) => this.#lost(err));
    this.socket.on("close", () => this.#lost(undefined));
    this.socket.on("timeout", () => {
      if (this.#exchange) {
        this.#fail(new WireError("timeout", `GET ${url.host}: timeout failure (the connection was silent)`));
      } else {
        this.#close();
      }
    });
  }

  /** Sends `exchange`'s request on this connection. */
  start(exchange: Exchange, timeoutMs: number): void {
    this.#exchange = exchange;
    this.#requests += 1;
    this.socket.ref();
    this.socket.setTimeout(timeoutMs);
    this.socket.write(requestHead(exchange.request));
  }

  /** Where the next socket read goes: the head buffer, the 2xx body's place, or the whole body. */
  #readPlace(): Uint8Array {
    const ex = this.#exchange;
    if (ex?.placed) return ex.placed.place.subarray(ex.placed.filled);
    if (ex?.whole) return ex.whole.subarray(ex.wholeFilled);
    // Idle, or waiting for a head: a head never fills the buffer (a full one fails the request).
    return this.#headBuffer.subarray(ex?.headLength ?? 0);
  }

  #received(n: number): void {
    const ex = this.#exchange;
    if (!ex) {
      // Nothing was asked: a server that talks unasked is not trusted with the next request.
      this.#close();
      return;
    }
    if (ex.placed) {
      ex.placed.filled += n;
      if (ex.placed.filled === ex.placed.place.length) this.#finish();
      ex.placed?.notify();
      return;
    }
    if (ex.whole) {
      ex.wholeFilled += n;
      if (ex.wholeFilled === ex.whole.length) this.#finish();
      return;
    }
    const from = Math.max(0, ex.headLength - 3);
    ex.headLength += n;
    const end = this.#headBuffer.indexOf("\r\n\r\n", from, "latin1");
    if (end < 0 || end + 4 > ex.headLength) {
      if (ex.headLength >= MAX_HEAD_BYTES) {
        this.#fail(new WireError("io", `the answer's head is longer than ${MAX_HEAD_BYTES} bytes`));
      }
      return;
    }
    this.#onHead(ex, end);
  }

  #onHead(ex: Exchange, end: number): void {
    const request = ex.request;
    const parsed = parseHead(this.#headBuffer.toString("latin1", 0, end));
    if (typeof parsed === "string") {
      this.#fail(new WireError("io", `GET ${request.url.host}: ${parsed}`));
      return;
    }
    ex.head = parsed;
    const length = parsed.length;
    if (length === undefined || parsed.status < 200) {
      // Not an answer this module reads (chunked, unsized, informational): node:http asks again.
      this.#exchange = undefined;
      request.signal?.removeEventListener("abort", ex.onAbort as () => void);
      this.#close();
      ex.fallback();
      return;
    }
    const place = request.bodyInto;
    const ok = parsed.status <= 299;
    if (length > request.maxResponseBytes || (ok && place !== undefined && length > place.length)) {
      this.#fail(
        new WireError(
          "too-long",
          `the answer is longer than ${ok && place ? place.length : request.maxResponseBytes} bytes, the most this client reads`,
        ),
      );
      return;
    }
    // The body's first bytes came with the head; bytes past the body mean a server not to reuse.
    const early = this.#headBuffer.subarray(end + 4, ex.headLength);
    ex.excess = early.length > length;
    const first = early.subarray(0, length);
    if (ok && place !== undefined) {
      ex.placed = new PlacedBody(place.subarray(0, length), () =>
        this.#fail(new WireError("io", "the body was dropped")),
      );
      ex.placed.place.set(first, 0);
      ex.placed.filled = first.length;
      ex.resolve({
        status: parsed.status,
        headers: parsed.headers,
        body: new Uint8Array(0),
        stream: ex.placed,
        repeated: false,
      });
    } else {
      ex.whole = Buffer.allocUnsafe(length);
      first.copy(ex.whole, 0);
      ex.wholeFilled = first.length;
    }
    if (first.length === length) this.#finish();
  }

  /** The answer is complete: a whole body resolves, and the connection goes back to the pool or is closed. */
  #finish(): void {
    const ex = this.#exchange as Exchange;
    this.#exchange = undefined;
    ex.request.signal?.removeEventListener("abort", ex.onAbort as () => void);
    const head = ex.head as Head;
    if (ex.whole) {
      ex.resolve({ status: head.status, headers: head.headers, body: ex.whole, repeated: false });
    }
    if (head.keepAlive && !ex.excess) this.#pool.release(this);
    else this.#close();
  }

  /** Fails the request in flight, or its body once it was answered, and closes the connection. */
  #fail(err: WireError): void {
    const ex = this.#exchange;
    this.#exchange = undefined;
    this.#close();
    if (!ex) return;
    ex.request.signal?.removeEventListener("abort", ex.onAbort as () => void);
    if (ex.placed) {
      ex.placed.failure = err;
      ex.placed.notify();
    } else {
      ex.reject(err);
    }
  }

  /** Whether an earlier request went over it: a failure before any answer byte may then be a stale connection. */
  get reused(): boolean {
    return this.#requests > 1;
  }

  /** Aborts the request in flight (its deadline passed). */
  abort(): void {
    this.#fail(new WireError("timeout", "the operation's deadline passed"));
  }

  /** The socket failed or closed: the request in flight fails, or (stale, nothing received) is sent again. */
  #lost(err: Error | undefined): void {
    const ex = this.#exchange;
    if (!ex) {
      this.#close();
      return;
    }
    if (ex.headLength === 0 && this.#pool.resend(this, ex)) {
      this.#exchange = undefined;
      this.#close();
      return;
    }
    const request = ex.request;
    this.#fail(
      err
        ? wireFailure(request, err)
        : new WireError(
            "io",
            ex.head ? "the response body broke off" : `GET ${request.url.host}: the connection closed before an answer`,
          ),
    );
  }

  /** Closes the connection for good. */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.forget(this);
    this.socket.destroy();
  }

  /** Puts the idle connection to sleep: it no longer keeps the process alive, and it closes after {@link IDLE_MS}. */
  idle(): void {
    this.socket.setTimeout(IDLE_MS);
    this.socket.unref();
  }

  /** Closes an idle connection (more than the pool keeps). */
  close(): void {
    this.#close();
  }
}

/** Idle connections per origin, the most recently used taken first. */
class Pool {
  readonly #idle = new Map<string, Connection[]>();
  readonly #origins = new Map<Connection, string>();
  readonly #options: DirectGetOptions;

  constructor(options: DirectGetOptions) {
    this.#options = options;
  }

  /** Sends `request`, on an idle connection to its origin if there is one. */
  send(request: Request, fallback: Next): Promise<Response> {
    return new Promise((resolve, reject) => {
      const ex: Exchange = {
        request,
        resolve,
        reject,
        fallback: () => fallback(request).then(resolve, reject),
        headLength: 0,
        head: undefined,
        placed: undefined,
        whole: undefined,
        wholeFilled: 0,
        excess: false,
        onAbort: undefined,
        resent: false,
      };
      if (request.signal?.aborted) {
        reject(new WireError("timeout", "the operation's deadline passed"));
        return;
      }
      this.#start(ex, this.#take(request.url));
    });
  }

  #start(ex: Exchange, connection: Connection): void {
    if (ex.onAbort) ex.request.signal?.removeEventListener("abort", ex.onAbort);
    ex.onAbort = () => connection.abort();
    ex.request.signal?.addEventListener("abort", ex.onAbort, { once: true });
    connection.start(ex, this.#options.inactivityTimeoutMs);
  }

  #take(url: URL): Connection {
    const key = url.origin;
    const connection = this.#idle.get(key)?.pop() ?? new Connection(this, url, this.#options);
    this.#origins.set(connection, key);
    return connection;
  }

  /**
   * Sends again, on a new connection, a request whose reused connection
   * closed before any byte of an answer (the server had dropped it while it
   * was idle). Once only: a new connection's failure is the request's.
   */
  resend(connection: Connection, ex: Exchange): boolean {
    if (!connection.reused || ex.head !== undefined || ex.resent) return false;
    ex.resent = true;
    this.#start(ex, new Connection(this, ex.request.url, this.#options));
    return true;
  }

  release(connection: Connection): void {
    const key = this.#origins.get(connection);
    if (key === undefined) return;
    const idle = this.#idle.get(key) ?? [];
    this.#idle.set(key, idle);
    if (idle.length >= MAX_IDLE) {
      connection.close();
      return;
    }
    connection.idle();
    idle.push(connection);
  }

  forget(connection: Connection): void {
    const key = this.#origins.get(connection);
    this.#origins.delete(connection);
    if (key === undefined) return;
    const idle = this.#idle.get(key);
    const at = idle?.indexOf(connection) ?? -1;
    if (idle && at >= 0) idle.splice(at, 1);
  }
}

/**
 * The direct GET for the default wire: `send(request, fallback)` reads a
 * GET with `bodyInto` over its own keep-alive connections, handing to
 * `fallback` (node:http) the answers it does not take.
 */
export function directGet(options: DirectGetOptions): (request: Request, fallback: Next) => Promise<Response> {
  const pool = new Pool(options);
  return (request, fallback) => pool.send(request, fallback);
}
