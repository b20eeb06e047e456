// A GET whose 2xx body is read by the socket straight into a place the caller
// gives (`Request.bodyInto`): the ranges of a download into memory.
//
// Why not node:http: its parser copies every body chunk into a new Buffer,
// and those Buffers, external memory, start V8's major collections. On the
// bench sink (1 GiB in 8 MiB ranges, 8 in flight, 2 cores) node:http took
// 410 to 500 MB/s at 2.1 to 2.6 CPU-s/GB; sockets reading into the result
// itself (`onread` with a buffer chosen per read) took 910 to 1,310 MB/s at
// 0.74 to 0.88 (`bench/node/ceiling.mjs`, reader `placed`). So this module
// speaks HTTP/1.1 itself, for this one case only: a GET with no body and no
// proxy. It takes an answer only when a Content-Length frames it; any other
// (chunked, unsized, informational) is handed, before anything of it was
// delivered, to node:http, which asks again (a GET is safe to repeat), and
// the origin's later GETs go to node:http for a while. A 2xx body longer than
// its place, or any answer longer than the request allows, is `too-long`; a
// malformed head is an `io` failure, as node:http reports one.

import net from "node:net";
import tls from "node:tls";
import { portOrDefault, socketHost } from "../net.js";
import { type Head, parseHead, requestHead } from "./http1-head.js";
import { PlacedBody } from "./placed-body.js";
import type { Next } from "./policy.js";
import type { Request, Response } from "./request.js";
import { deadlinePassed, tooLong, WireError, wireFailure } from "./wire-error.js";

/** Settings shared with the default wire. */
export interface DirectGetOptions {
  /** How long a connection may be silent while a request is in flight, in ms. */
  inactivityTimeoutMs: number;
  /** The roots trusted for https (the system's and the client's), or undefined for the system's alone. */
  ca: string[] | undefined;
}

/** The most bytes of an answer's status line and headers. */
const MAX_HEAD_BYTES = 64 * 1024;

/** A body that is not read into a place (an error's) grows by parts of at most this, as its bytes arrive. */
const PART_BYTES = 64 * 1024;

/** How long an idle connection waits for the next GET before it is closed, unless its server keeps it for less. */
const IDLE_MS = 30_000;

/** The most idle connections kept per origin; more are closed. */
const MAX_IDLE = 64;

/** How long an origin that answered a GET unframed by a Content-Length is left to node:http. */
const UNFRAMED_MS = 5 * 60_000;

/** The TCP keep-alive probe delay, as node:http's keep-alive agents set it. */
const TCP_KEEPALIVE_MS = 1_000;

/** What one request in flight on a connection waits for. */
interface Exchange {
  request: Request;
  head: string;
  resolve: (response: Response) => void;
  reject: (err: unknown) => void;
  /** Hands the request to node:http: its answer was not one this module takes. */
  fallback: () => void;
  /** Bytes of the head received (in the connection's head buffer). */
  headLength: number;
  parsed: Head | undefined;
  /** A 2xx body's place, once its head is in. */
  placed: PlacedBody | undefined;
  /** Any other answer's body: the parts filled and the one filling, and the bytes still to come. */
  parts: Buffer[];
  part: Buffer | undefined;
  partFilled: number;
  left: number;
  /** Whether the server sent more than the body it announced (the connection is not reused). */
  excess: boolean;
  onAbort: () => void;
  /** Whether it was sent again after a stale connection (once at most). */
  resent: boolean;
}

/** A keep-alive connection to one origin, reading into the place of the request in flight. */
class Connection {
  readonly socket: net.Socket;
  readonly origin: string;
  readonly #pool: Pool;
  readonly #headBuffer = Buffer.allocUnsafe(MAX_HEAD_BYTES);
  /** How many requests it has carried, the one in flight included. */
  #requests = 0;
  #exchange: Exchange | undefined;
  #closed = false;

  constructor(pool: Pool, url: URL, options: DirectGetOptions) {
    this.#pool = pool;
    this.origin = url.origin;
    const host = socketHost(url);
    const port = portOrDefault(url);
    const onread: net.OnReadOpts = {
      buffer: () => this.#readPlace(),
      callback: (n: number) => {
        try {
          this.#received(n);
        } catch (err) {
          // A throw here would be the process's uncaught exception, not the request's failure.
          // As a broken connection: a GET is safe to ask again.
          this.#fail(new WireError("io", `GET ${url.host}: the answer could not be read`, { cause: err }));
        }
        return true;
      },
    };
    if (url.protocol === "https:") {
      const secure: tls.ConnectionOptions & net.TcpSocketConnectOpts = { host, port, onread };
      if (net.isIP(host) === 0) secure.servername = host;
      if (options.ca) secure.ca = options.ca;
      this.socket = tls.connect(secure);
    } else {
      this.socket = net.connect({ host, port, onread });
    }
    this.socket.setNoDelay(true);
    this.socket.setKeepAlive(true, TCP_KEEPALIVE_MS);
    this.socket.on("error", (err) => this.#lost(err));
    this.socket.on("close", () => this.#lost(undefined));
    this.socket.on("timeout", () => {
      if (!this.#exchange) {
        this.#close();
        return;
      }
      const err = new WireError("timeout", `GET ${url.host}: timeout failure (the connection was silent)`);
      this.#fail(err);
    });
  }

  /** Sends `exchange`'s request on this connection. */
  start(exchange: Exchange, timeoutMs: number): void {
    this.#exchange = exchange;
    this.#requests += 1;
    this.socket.ref();
    this.socket.setTimeout(timeoutMs);
    this.socket.write(exchange.head, "latin1");
  }

  /** Whether an earlier request went over it: a failure before any answer byte may then be a stale connection. */
  get reused(): boolean {
    return this.#requests > 1;
  }

  /** Where the next socket read goes: the 2xx body's place, the part of another body, or the head buffer. */
  #readPlace(): Uint8Array {
    const ex = this.#exchange;
    if (ex?.placed) return ex.placed.place.subarray(ex.placed.filled);
    if (ex?.part) return ex.part.subarray(ex.partFilled);
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
      ex.placed.notify();
      return;
    }
    if (ex.part) {
      this.#partFilled(ex, n);
      return;
    }
    const from = Math.max(0, ex.headLength - 3);
    ex.headLength += n;
    // Searched up to the bytes received only: what lies past them is an earlier answer's.
    const end = this.#headBuffer.subarray(0, ex.headLength).indexOf("\r\n\r\n", from, "latin1");
    if (end >= 0) {
      this.#onHead(ex, end);
    } else if (ex.headLength >= MAX_HEAD_BYTES) {
      this.#fail(new WireError("io", `the answer's head is longer than ${MAX_HEAD_BYTES} bytes`));
    }
  }

  #onHead(ex: Exchange, end: number): void {
    const request = ex.request;
    const parsed = parseHead(this.#headBuffer.toString("latin1", 0, end));
    if (typeof parsed === "string") {
      this.#fail(new WireError("io", `GET ${request.url.host}: ${parsed}`));
      return;
    }
    ex.parsed = parsed;
    const length = parsed.length;
    if (length === undefined || parsed.status < 200) {
      // Not an answer this module reads (chunked, unsized, informational): node:http asks again.
      // Only a success's framing says how the origin answers its GETs; an
      // unsized error (a proxy's or a gateway's) does not send them all to node:http.
      this.#exchange = undefined;
      this.#detach(ex);
      this.#close();
      if (parsed.status <= 299) this.#pool.unframed(this.origin);
      ex.fallback();
      return;
    }
    const place = request.bodyInto;
    const placed = parsed.status <= 299 && place !== undefined;
    const max = placed ? Math.min(place.length, request.maxResponseBytes) : request.maxResponseBytes;
    if (length > max) {
      this.#fail(tooLong(max));
      return;
    }
    // The body's first bytes came with the head; bytes past the body mean a server not to reuse.
    const early = this.#headBuffer.subarray(end + 4, ex.headLength);
    ex.excess = early.length > length;
    const first = early.subarray(0, length);
    if (placed) {
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
      if (first.length === length) this.#finish();
      return;
    }
    ex.left = length;
    ex.part = Buffer.allocUnsafe(Math.min(PART_BYTES, length));
    first.copy(ex.part, 0);
    this.#partFilled(ex, first.length);
  }

  /** `n` more bytes of a body read by parts: the part is kept when full, the answer resolved when whole. */
  #partFilled(ex: Exchange, n: number): void {
    const part = ex.part as Buffer;
    ex.partFilled += n;
    ex.left -= n;
    if (ex.partFilled < part.length) return;
    ex.parts.push(part);
    if (ex.left > 0) {
      ex.part = Buffer.allocUnsafe(Math.min(PART_BYTES, ex.left));
      ex.partFilled = 0;
      return;
    }
    const head = ex.parsed as Head;
    const body = ex.parts.length === 1 ? part : Buffer.concat(ex.parts);
    this.#finish();
    ex.resolve({ status: head.status, headers: head.headers, body, repeated: false });
  }

  /** The answer is complete: the connection goes back to the pool, or is closed. */
  #finish(): void {
    const ex = this.#exchange as Exchange;
    this.#exchange = undefined;
    this.#detach(ex);
    const head = ex.parsed as Head;
    // As node:http's agent: a server that keeps idle connections N seconds is not sent a request in the last one.
    const idleMs = Math.min(IDLE_MS, (head.idleMs ?? Number.POSITIVE_INFINITY) - 1000);
    if (head.keepAlive && !ex.excess && idleMs > 0) this.#pool.release(this, idleMs);
    else this.#close();
  }

  /**
   * Fails the request in flight, or its body once it was answered (as
   * node:http's body breaks off, whatever broke it), and closes the connection.
   */
  #fail(err: WireError): void {
    const ex = this.#exchange;
    this.#exchange = undefined;
    this.#close();
    if (!ex) return;
    this.#detach(ex);
    if (ex.placed) ex.placed.fail(new WireError("io", "the response body broke off", { cause: err }));
    else ex.reject(err);
  }

  #detach(ex: Exchange): void {
    ex.request.signal?.removeEventListener("abort", ex.onAbort);
  }

  /** Aborts the request in flight (its deadline passed). */
  abort(): void {
    this.#fail(deadlinePassed());
  }

  /** The socket failed or closed: the request in flight fails, or (stale, nothing received) is sent again. */
  #lost(err: Error | undefined): void {
    const ex = this.#exchange;
    if (ex && ex.headLength === 0 && !ex.resent && this.reused) {
      this.#exchange = undefined;
      this.#detach(ex);
      this.#close();
      this.#pool.resend(ex);
      return;
    }
    if (!ex) {
      this.#close();
      return;
    }
    const host = ex.request.url.host;
    this.#fail(
      err ? wireFailure(ex.request, err) : new WireError("io", `GET ${host}: the connection closed before an answer`),
    );
  }

  /** Closes the connection for good. */
  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pool.forget(this);
    this.socket.destroy();
  }

  /** Puts the connection to sleep: it no longer keeps the process alive, and closes after `idleMs`. */
  idle(idleMs: number): void {
    this.socket.setTimeout(idleMs);
    this.socket.unref();
  }

  /** Closes an idle connection (more than the pool keeps). */
  close(): void {
    this.#close();
  }
}

/** The connections of one wire, idle ones per origin, the most recently used taken first. */
class Pool {
  readonly #idle = new Map<string, Connection[]>();
  readonly #open = new Set<Connection>();
  /** Origins that answered unframed, and until when their GETs go to node:http. */
  readonly #unframed = new Map<string, number>();
  readonly #options: DirectGetOptions;

  constructor(options: DirectGetOptions) {
    this.#options = options;
  }

  /** Sends `request`, on an idle connection to its origin if there is one, or hands it to `fallback`. */
  send(request: Request, fallback: Next): Promise<Response> {
    const origin = request.url.origin;
    const until = this.#unframed.get(origin);
    if (until !== undefined && Date.now() < until) return fallback(request);
    // A header that cannot be written as it is goes to node:http, which refuses it as it refuses any.
    const head = requestHead(request);
    if (head === undefined) return fallback(request);
    if (request.signal?.aborted) return Promise.reject(deadlinePassed());
    return new Promise((resolve, reject) => {
      const ex: Exchange = {
        request,
        head,
        resolve,
        reject,
        fallback: () => fallback(request).then(resolve, reject),
        headLength: 0,
        parsed: undefined,
        placed: undefined,
        parts: [],
        part: undefined,
        partFilled: 0,
        left: 0,
        excess: false,
        onAbort: () => {},
        resent: false,
      };
      this.#start(ex, this.#idle.get(origin)?.pop() ?? this.#connect(request.url));
    });
  }

  #connect(url: URL): Connection {
    const connection = new Connection(this, url, this.#options);
    this.#open.add(connection);
    return connection;
  }

  #start(ex: Exchange, connection: Connection): void {
    ex.onAbort = () => connection.abort();
    ex.request.signal?.addEventListener("abort", ex.onAbort, { once: true });
    connection.start(ex, this.#options.inactivityTimeoutMs);
  }

  /**
   * Sends again, on a new connection, a request whose reused connection
   * closed before any byte of an answer (the server had dropped it while it
   * was idle). Once only: a new connection's failure is the request's.
   */
  resend(ex: Exchange): void {
    ex.resent = true;
    this.#start(ex, this.#connect(ex.request.url));
  }

  /** Marks `origin` as one that answers GETs unframed: node:http takes its GETs for a while. */
  unframed(origin: string): void {
    this.#unframed.set(origin, Date.now() + UNFRAMED_MS);
  }

  /** Keeps a connection whose answer is complete for the next GET to its origin, or closes it. */
  release(connection: Connection, idleMs: number): void {
    const idle = this.#idle.get(connection.origin) ?? [];
    if (!this.#open.has(connection) || idle.length >= MAX_IDLE) {
      connection.close();
      return;
    }
    this.#idle.set(connection.origin, idle);
    connection.idle(idleMs);
    idle.push(connection);
  }

  forget(connection: Connection): void {
    this.#open.delete(connection);
    const idle = this.#idle.get(connection.origin);
    const at = idle?.indexOf(connection) ?? -1;
    if (idle && at >= 0) idle.splice(at, 1);
  }
}

/**
 * The direct GET for the default wire: `send(request, fallback)` reads a
 * GET with `bodyInto` over its own keep-alive connections, handing to
 * `fallback` (node:http) the requests and answers it does not take.
 */
export function directGet(options: DirectGetOptions): (request: Request, fallback: Next) => Promise<Response> {
  const pool = new Pool(options);
  return (request, fallback) => pool.send(request, fallback);
}
