// The default wire: node:http and node:https with keep-alive agents. Redirects
// are never followed (the error map reports them). Bodies are read whole.

import http from "node:http";
import https from "node:https";
import type { Next } from "./policy.js";
import { newResponse } from "./request.js";
import { WireError, type WireErrorKind } from "./wire-error.js";

/** Settings of the default wire. */
export interface NodeWireOptions {
  /** How long a connection may be silent (no bytes either way) before the attempt fails, in ms (default 60,000). */
  inactivityTimeoutMs?: number;
}

/** Error codes of a connection that was never made: the request did not leave. */
const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

function kindOf(err: unknown): WireErrorKind {
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && CONNECT_CODES.has(code)) return "connect";
  if (code === "ETIMEDOUT") return "timeout";
  return "io";
}

/** A wire over node:http/https with keep-alive agents. */
export function nodeWire(options: NodeWireOptions = {}): Next {
  const timeout = options.inactivityTimeoutMs ?? 60_000;
  const agents = {
    "http:": new http.Agent({ keepAlive: true }),
    "https:": new https.Agent({ keepAlive: true }),
  };
  return (request) =>
    new Promise((resolve, reject) => {
      const url = request.url;
      const isHttps = url.protocol === "https:";
      const headers: Record<string, string> = Object.fromEntries(request.headers);
      headers["content-length"] = String(request.body.length);
      const req = (isHttps ? https : http).request(
        url,
        {
          method: request.method,
          headers,
          agent: isHttps ? agents["https:"] : agents["http:"],
          ...(request.signal ? { signal: request.signal } : {}),
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
          const chunks: Buffer[] = [];
          let received = 0;
          res.on("data", (chunk: Buffer) => {
            received += chunk.length;
            if (received > max) return tooLong();
            chunks.push(chunk);
          });
          res.on("end", () => {
            const pairs: Array<[string, string]> = [];
            for (const [name, value] of Object.entries(res.headers)) {
              if (value !== undefined) pairs.push([name, Array.isArray(value) ? value.join(", ") : value]);
            }
            resolve(newResponse(res.statusCode ?? 0, pairs, new Uint8Array(Buffer.concat(chunks))));
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
        reject(new WireError(kind, `${request.method} ${url.host}: ${kind} failure`, { cause: err }));
      });
      req.end(request.body.length > 0 ? request.body : undefined);
    });
}
