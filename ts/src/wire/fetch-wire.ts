// An alternative wire over the global `fetch` (undici in Node.js), for
// measuring against the default node:http wire (`bench/wire.ts`). Redirects
// are never followed; bodies are read whole.

import type { Next } from "./policy.js";
import { newResponse } from "./request.js";
import { tooLong, WireError, type WireErrorKind } from "./wire-error.js";

const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** A fetch body's chunks, a break as a `WireError`. */
async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) yield chunk;
  } catch (err) {
    throw new WireError("io", "the response body broke off", { cause: err });
  }
}

/** Settings of the fetch wire. */
export interface FetchWireOptions {
  /** How long one attempt may take in all, in ms (default 300,000): fetch has no inactivity timer. */
  attemptTimeoutMs?: number;
}

/** A wire over the global `fetch`. */
export function fetchWire(options: FetchWireOptions = {}): Next {
  const timeout = options.attemptTimeoutMs ?? 300_000;
  return async (request) => {
    const headers = new Headers();
    for (const [name, value] of request.headers) headers.set(name, value);
    let response: globalThis.Response;
    try {
      const init: RequestInit = {
        method: request.method,
        headers,
        redirect: "manual",
        signal: request.signal
          ? AbortSignal.any([request.signal, AbortSignal.timeout(timeout)])
          : AbortSignal.timeout(timeout),
      };
      if (request.body.length > 0) init.body = request.body;
      response = await fetch(request.url, init);
      const max = request.maxResponseBytes;
      if (request.streamBody && response.ok && response.body) {
        const streamed = newResponse(response.status, [...response.headers]);
        streamed.stream = chunksOf(response.body);
        return streamed;
      }
      // A HEAD answer declares the blob's size but carries no body.
      const declared = request.method === "HEAD" ? 0 : Number(response.headers.get("content-length") ?? 0);
      const body = declared > max ? undefined : new Uint8Array(await response.arrayBuffer());
      if (body === undefined || body.length > max) {
        // An unread body is dropped without reading it.
        if (body === undefined) await response.body?.cancel();
        throw tooLong(max);
      }
      return newResponse(response.status, [...response.headers], body);
    } catch (err) {
      if (err instanceof WireError) throw err;
      const cause = (err as { cause?: { code?: unknown } }).cause;
      const code = typeof cause?.code === "string" ? cause.code : undefined;
      let kind: WireErrorKind = "io";
      if ((err as Error).name === "TimeoutError" || request.signal?.aborted) kind = "timeout";
      else if (code && CONNECT_CODES.has(code)) kind = "connect";
      throw new WireError(kind, `${request.method} ${request.url.host}: ${kind} failure`, { cause: err });
    }
  };
}
