import type { Request } from "./request.js";

/**
 * Why no (usable) response came: the connection was never made, timed out,
 * broke, the answer was longer than the request allows (`too-long`), or something else.
 */
export type WireErrorKind = "connect" | "timeout" | "io" | "too-long" | "other";

/**
 * The failure of a wire that got no response at all; a 404 or a 503 is a
 * response, never this. The retry policy decides on `transportKind` only.
 */
export class WireError extends Error {
  readonly transportKind: WireErrorKind;

  constructor(transportKind: WireErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "WireError";
    this.transportKind = transportKind;
  }

  /** Whether the request certainly never left the client (a connection that could not be made). */
  get isConnect(): boolean {
    return this.transportKind === "connect";
  }
}

/** Error codes of a connection that was never made: the request did not leave. */
const CONNECT_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

/** The kind of a socket's failure, from its error code. */
function kindOf(err: unknown): WireErrorKind {
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && CONNECT_CODES.has(code)) return "connect";
  if (code === "ETIMEDOUT") return "timeout";
  return "io";
}

/** A socket's failure under `request` as a `WireError`: its kind and code, the host, never the path or query. */
export function wireFailure(request: Request, err: unknown): WireError {
  const kind = kindOf(err);
  const errCode = (err as { code?: unknown }).code;
  const code = typeof errCode === "string" ? ` (${errCode})` : "";
  return new WireError(kind, `${request.method} ${request.url.host}: ${kind} failure${code}`, { cause: err });
}

/** The failure of a request whose operation's deadline passed (its signal aborted). */
export function deadlinePassed(cause?: unknown): WireError {
  return new WireError("timeout", "the operation's deadline passed", cause === undefined ? undefined : { cause });
}

/** The failure of an answer longer than `max` bytes, the most the request reads. */
export function tooLong(max: number): WireError {
  return new WireError("too-long", `the answer is longer than ${max} bytes, the most this client reads`);
}
