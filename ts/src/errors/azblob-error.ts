import { ERROR_KIND_TEXT, type ErrorKind } from "./error-kind.js";

/** The details an {@link AzblobError} is made from; all but the kind are optional. */
export interface AzblobErrorInit {
  /** The text after the kind and status, e.g. the service's message. */
  message?: string;
  /** The REST operation that failed, e.g. `PutBlob`. */
  operation?: string | undefined;
  /** The HTTP status of the service's answer, if there was one. */
  status?: number | undefined;
  /** The service's error code (`x-ms-error-code` or the XML `<Code>`). */
  errorCode?: string | undefined;
  /** The service's request id (`x-ms-request-id`). */
  requestId?: string | undefined;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * The base class of every error the library throws. Ask it with `kind`,
 * `status`, `errorCode`, `requestId` and `isRetryable`; each kind also has its
 * own subclass (`NotFoundError`, ...) and an `isX` guard. Its message never
 * contains credentials: it is built from redacted URLs and the service's text.
 */
export class AzblobError extends Error {
  /** What went wrong. */
  readonly kind: ErrorKind;
  /** The HTTP status of the service's answer, if there was one. */
  readonly status: number | undefined;
  /** The service's error code, e.g. `BlobNotFound`. */
  readonly errorCode: string | undefined;
  /** The service's request id, for support tickets. */
  readonly requestId: string | undefined;
  /** The REST operation that failed, e.g. `GetBlob`. */
  readonly operation: string | undefined;
  /** The message alone, without kind, status or request id. */
  readonly detail: string;

  constructor(kind: ErrorKind, init: AzblobErrorInit = {}) {
    const detail = init.message ?? "";
    super(render(kind, detail, init), init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.kind = kind;
    this.status = init.status;
    this.errorCode = init.errorCode;
    this.requestId = init.requestId;
    this.operation = init.operation;
    this.detail = detail;
  }

  /** Whether repeating the same request later may succeed (not whether it is safe to). */
  get isRetryable(): boolean {
    return ["Throttled", "ServerBusy", "Transport", "Timeout"].includes(this.kind);
  }
}

/** `GetBlob: not found (HTTP 404 BlobNotFound): message [request id r]`, as Rust's `Display`. */
function render(kind: ErrorKind, detail: string, init: AzblobErrorInit): string {
  let text = init.operation ? `${init.operation}: ` : "";
  text += ERROR_KIND_TEXT[kind];
  if (init.status !== undefined) {
    text += ` (HTTP ${init.status}${init.errorCode ? ` ${init.errorCode}` : ""})`;
  }
  if (detail) text += `: ${detail}`;
  if (init.requestId) text += ` [request id ${init.requestId}]`;
  return text;
}
