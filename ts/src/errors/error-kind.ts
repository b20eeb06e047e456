/** What went wrong, at the level a caller decides on (the Rust `ErrorKind`). */
export const ErrorKind = {
  /** The container, blob, snapshot or version does not exist (HTTP 404). */
  NotFound: "NotFound",
  /** The resource already exists, e.g. `If-None-Match: *` on an existing blob. */
  AlreadyExists: "AlreadyExists",
  /** A conditional header did not hold (HTTP 412, 304). */
  PreconditionFailed: "PreconditionFailed",
  /** The credential is valid but lacks the permission (HTTP 403 other than a bad signature). */
  PermissionDenied: "PermissionDenied",
  /** The request was not authenticated: wrong key, bad or expired signature or token. */
  Unauthenticated: "Unauthenticated",
  /** The service asked the client to slow down (HTTP 429). */
  Throttled: "Throttled",
  /** The service is busy or failed internally (HTTP 500, 502, 503). */
  ServerBusy: "ServerBusy",
  /** The request conflicts with the resource's state (HTTP 409). */
  Conflict: "Conflict",
  /** The requested range is not satisfiable (HTTP 416). */
  InvalidRange: "InvalidRange",
  /** The blob is in the Archive tier and must be rehydrated first (HTTP 409 `BlobArchived`). */
  Archived: "Archived",
  /** The service rejected the request as malformed (HTTP 400 and other 4xx). */
  BadRequest: "BadRequest",
  /** Data did not match its checksum (Content-MD5 or CRC64). */
  IntegrityMismatch: "IntegrityMismatch",
  /** A check was required but cannot be made: the blob has no stored checksum. */
  Unverifiable: "Unverifiable",
  /** No response: connection refused, reset, TLS failure, DNS failure. */
  Transport: "Transport",
  /** The request or the service timed out (client timeout, HTTP 408, 504). */
  Timeout: "Timeout",
  /** The caller's input was rejected before any request was sent. */
  InvalidInput: "InvalidInput",
  /** The service answered something the client could not understand. */
  InvalidResponse: "InvalidResponse",
  /** A local I/O error. */
  Io: "Io",
  /** An upload's source file changed while it was read; nothing was committed. */
  SourceChanged: "SourceChanged",
  /** Any other failure. */
  Other: "Other",
} as const;

/** One of the {@link ErrorKind} names. */
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

/** The short stable text of each kind, the same as Rust's `ErrorKind::as_str`. */
export const ERROR_KIND_TEXT: Readonly<Record<ErrorKind, string>> = {
  NotFound: "not found",
  AlreadyExists: "already exists",
  PreconditionFailed: "precondition failed",
  PermissionDenied: "permission denied",
  Unauthenticated: "unauthenticated",
  Throttled: "throttled",
  ServerBusy: "server busy",
  Conflict: "conflict",
  InvalidRange: "invalid range",
  Archived: "blob archived",
  BadRequest: "bad request",
  IntegrityMismatch: "integrity mismatch",
  Unverifiable: "unverifiable",
  Transport: "transport error",
  Timeout: "timeout",
  InvalidInput: "invalid input",
  InvalidResponse: "invalid response",
  Io: "I/O error",
  SourceChanged: "source changed",
  Other: "error",
};
