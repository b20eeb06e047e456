// One subclass per ErrorKind, so `instanceof NotFoundError` works as well as `err.kind`.
// Each is a one-line declaration; they share one file because they differ only in their kind.

import { AzblobError, type AzblobErrorInit } from "./azblob-error.js";
import type { ErrorKind } from "./error-kind.js";

/** An {@link AzblobError} of kind `NotFound`. */
export class NotFoundError extends AzblobError {
  declare readonly kind: "NotFound";

  constructor(init: AzblobErrorInit = {}) {
    super("NotFound", init);
  }
}

/** An {@link AzblobError} of kind `AlreadyExists`. */
export class AlreadyExistsError extends AzblobError {
  declare readonly kind: "AlreadyExists";

  constructor(init: AzblobErrorInit = {}) {
    super("AlreadyExists", init);
  }
}

/** An {@link AzblobError} of kind `PreconditionFailed`. */
export class PreconditionFailedError extends AzblobError {
  declare readonly kind: "PreconditionFailed";

  constructor(init: AzblobErrorInit = {}) {
    super("PreconditionFailed", init);
  }
}

/** An {@link AzblobError} of kind `PermissionDenied`. */
export class PermissionDeniedError extends AzblobError {
  declare readonly kind: "PermissionDenied";

  constructor(init: AzblobErrorInit = {}) {
    super("PermissionDenied", init);
  }
}

/** An {@link AzblobError} of kind `Unauthenticated`. */
export class UnauthenticatedError extends AzblobError {
  declare readonly kind: "Unauthenticated";

  constructor(init: AzblobErrorInit = {}) {
    super("Unauthenticated", init);
  }
}

/** An {@link AzblobError} of kind `Throttled`. */
export class ThrottledError extends AzblobError {
  declare readonly kind: "Throttled";

  constructor(init: AzblobErrorInit = {}) {
    super("Throttled", init);
  }
}

/** An {@link AzblobError} of kind `ServerBusy`. */
export class ServerBusyError extends AzblobError {
  declare readonly kind: "ServerBusy";

  constructor(init: AzblobErrorInit = {}) {
    super("ServerBusy", init);
  }
}

/** An {@link AzblobError} of kind `Conflict`. */
export class ConflictError extends AzblobError {
  declare readonly kind: "Conflict";

  constructor(init: AzblobErrorInit = {}) {
    super("Conflict", init);
  }
}

/** An {@link AzblobError} of kind `InvalidRange`. */
export class InvalidRangeError extends AzblobError {
  declare readonly kind: "InvalidRange";

  constructor(init: AzblobErrorInit = {}) {
    super("InvalidRange", init);
  }
}

/** An {@link AzblobError} of kind `Archived`. */
export class ArchivedError extends AzblobError {
  declare readonly kind: "Archived";

  constructor(init: AzblobErrorInit = {}) {
    super("Archived", init);
  }
}

/** An {@link AzblobError} of kind `BadRequest`. */
export class BadRequestError extends AzblobError {
  declare readonly kind: "BadRequest";

  constructor(init: AzblobErrorInit = {}) {
    super("BadRequest", init);
  }
}

/** An {@link AzblobError} of kind `IntegrityMismatch`. */
export class IntegrityMismatchError extends AzblobError {
  declare readonly kind: "IntegrityMismatch";

  constructor(init: AzblobErrorInit = {}) {
    super("IntegrityMismatch", init);
  }
}

/** An {@link AzblobError} of kind `Unverifiable`. */
export class UnverifiableError extends AzblobError {
  declare readonly kind: "Unverifiable";

  constructor(init: AzblobErrorInit = {}) {
    super("Unverifiable", init);
  }
}

/** An {@link AzblobError} of kind `Transport`. */
export class TransportError extends AzblobError {
  declare readonly kind: "Transport";

  constructor(init: AzblobErrorInit = {}) {
    super("Transport", init);
  }
}

/** An {@link AzblobError} of kind `Timeout`. */
export class TimeoutError extends AzblobError {
  declare readonly kind: "Timeout";

  constructor(init: AzblobErrorInit = {}) {
    super("Timeout", init);
  }
}

/** An {@link AzblobError} of kind `InvalidInput`. */
export class InvalidInputError extends AzblobError {
  declare readonly kind: "InvalidInput";

  constructor(init: AzblobErrorInit = {}) {
    super("InvalidInput", init);
  }
}

/** An {@link AzblobError} of kind `InvalidResponse`. */
export class InvalidResponseError extends AzblobError {
  declare readonly kind: "InvalidResponse";

  constructor(init: AzblobErrorInit = {}) {
    super("InvalidResponse", init);
  }
}

/** An {@link AzblobError} of kind `Io`. */
export class IoError extends AzblobError {
  declare readonly kind: "Io";

  constructor(init: AzblobErrorInit = {}) {
    super("Io", init);
  }
}

/** An {@link AzblobError} of kind `SourceChanged`. */
export class SourceChangedError extends AzblobError {
  declare readonly kind: "SourceChanged";

  constructor(init: AzblobErrorInit = {}) {
    super("SourceChanged", init);
  }
}

/** An {@link AzblobError} of kind `Other`. */
export class OtherError extends AzblobError {
  declare readonly kind: "Other";

  constructor(init: AzblobErrorInit = {}) {
    super("Other", init);
  }
}

const CLASSES: Record<ErrorKind, new (init?: AzblobErrorInit) => AzblobError> = {
  NotFound: NotFoundError,
  AlreadyExists: AlreadyExistsError,
  PreconditionFailed: PreconditionFailedError,
  PermissionDenied: PermissionDeniedError,
  Unauthenticated: UnauthenticatedError,
  Throttled: ThrottledError,
  ServerBusy: ServerBusyError,
  Conflict: ConflictError,
  InvalidRange: InvalidRangeError,
  Archived: ArchivedError,
  BadRequest: BadRequestError,
  IntegrityMismatch: IntegrityMismatchError,
  Unverifiable: UnverifiableError,
  Transport: TransportError,
  Timeout: TimeoutError,
  InvalidInput: InvalidInputError,
  InvalidResponse: InvalidResponseError,
  Io: IoError,
  SourceChanged: SourceChangedError,
  Other: OtherError,
};

/** The error of `kind`, as an instance of that kind's subclass. */
export function errorOfKind(kind: ErrorKind, init: AzblobErrorInit = {}): AzblobError {
  return new CLASSES[kind](init);
}

/** Shorthand for the most common kind: the caller's input, refused before sending. */
export function invalidInput(message: string): InvalidInputError {
  return new InvalidInputError({ message });
}

/** Shorthand for an answer the client cannot understand. */
export function invalidResponse(message: string): InvalidResponseError {
  return new InvalidResponseError({ message });
}

/** `err` naming `operation`, if it is an `AzblobError` that names none yet (a parser's error, say). */
export function withOperation(err: unknown, operation: string): unknown {
  if (!(err instanceof AzblobError) || err.operation !== undefined) return err;
  return errorOfKind(err.kind, {
    message: err.detail,
    operation,
    status: err.status,
    errorCode: err.errorCode,
    requestId: err.requestId,
    cause: err.cause,
  });
}
