// One `isX` guard per ErrorKind; each narrows to that kind's subclass.

import { AzblobError } from "./azblob-error.js";
import type {
  AlreadyExistsError,
  ArchivedError,
  BadRequestError,
  ConflictError,
  IntegrityMismatchError,
  InvalidInputError,
  InvalidRangeError,
  InvalidResponseError,
  IoError,
  NotFoundError,
  OtherError,
  PermissionDeniedError,
  PreconditionFailedError,
  ServerBusyError,
  SourceChangedError,
  ThrottledError,
  TimeoutError,
  TransportError,
  UnauthenticatedError,
  UnverifiableError,
} from "./kinds.js";

/** Whether `value` is an {@link AzblobError} (of any kind). */
export function isAzblobError(value: unknown): value is AzblobError {
  return value instanceof AzblobError;
}

/** Whether `value` is an {@link AzblobError} of kind `NotFound`. */
export function isNotFound(value: unknown): value is NotFoundError {
  return value instanceof AzblobError && value.kind === "NotFound";
}

/** Whether `value` is an {@link AzblobError} of kind `AlreadyExists`. */
export function isAlreadyExists(value: unknown): value is AlreadyExistsError {
  return value instanceof AzblobError && value.kind === "AlreadyExists";
}

/** Whether `value` is an {@link AzblobError} of kind `PreconditionFailed`. */
export function isPreconditionFailed(value: unknown): value is PreconditionFailedError {
  return value instanceof AzblobError && value.kind === "PreconditionFailed";
}

/** Whether `value` is an {@link AzblobError} of kind `PermissionDenied`. */
export function isPermissionDenied(value: unknown): value is PermissionDeniedError {
  return value instanceof AzblobError && value.kind === "PermissionDenied";
}

/** Whether `value` is an {@link AzblobError} of kind `Unauthenticated`. */
export function isUnauthenticated(value: unknown): value is UnauthenticatedError {
  return value instanceof AzblobError && value.kind === "Unauthenticated";
}

/** Whether `value` is an {@link AzblobError} of kind `Throttled`. */
export function isThrottled(value: unknown): value is ThrottledError {
  return value instanceof AzblobError && value.kind === "Throttled";
}

/** Whether `value` is an {@link AzblobError} of kind `ServerBusy`. */
export function isServerBusy(value: unknown): value is ServerBusyError {
  return value instanceof AzblobError && value.kind === "ServerBusy";
}

/** Whether `value` is an {@link AzblobError} of kind `Conflict`. */
export function isConflict(value: unknown): value is ConflictError {
  return value instanceof AzblobError && value.kind === "Conflict";
}

/** Whether `value` is an {@link AzblobError} of kind `InvalidRange`. */
export function isInvalidRange(value: unknown): value is InvalidRangeError {
  return value instanceof AzblobError && value.kind === "InvalidRange";
}

/** Whether `value` is an {@link AzblobError} of kind `Archived`. */
export function isArchived(value: unknown): value is ArchivedError {
  return value instanceof AzblobError && value.kind === "Archived";
}

/** Whether `value` is an {@link AzblobError} of kind `BadRequest`. */
export function isBadRequest(value: unknown): value is BadRequestError {
  return value instanceof AzblobError && value.kind === "BadRequest";
}

/** Whether `value` is an {@link AzblobError} of kind `IntegrityMismatch`. */
export function isIntegrityMismatch(value: unknown): value is IntegrityMismatchError {
  return value instanceof AzblobError && value.kind === "IntegrityMismatch";
}

/** Whether `value` is an {@link AzblobError} of kind `Unverifiable`. */
export function isUnverifiable(value: unknown): value is UnverifiableError {
  return value instanceof AzblobError && value.kind === "Unverifiable";
}

/** Whether `value` is an {@link AzblobError} of kind `Transport`. */
export function isTransport(value: unknown): value is TransportError {
  return value instanceof AzblobError && value.kind === "Transport";
}

/** Whether `value` is an {@link AzblobError} of kind `Timeout`. */
export function isTimeout(value: unknown): value is TimeoutError {
  return value instanceof AzblobError && value.kind === "Timeout";
}

/** Whether `value` is an {@link AzblobError} of kind `InvalidInput`. */
export function isInvalidInput(value: unknown): value is InvalidInputError {
  return value instanceof AzblobError && value.kind === "InvalidInput";
}

/** Whether `value` is an {@link AzblobError} of kind `InvalidResponse`. */
export function isInvalidResponse(value: unknown): value is InvalidResponseError {
  return value instanceof AzblobError && value.kind === "InvalidResponse";
}

/** Whether `value` is an {@link AzblobError} of kind `Io`. */
export function isIo(value: unknown): value is IoError {
  return value instanceof AzblobError && value.kind === "Io";
}

/** Whether `value` is an {@link AzblobError} of kind `SourceChanged`. */
export function isSourceChanged(value: unknown): value is SourceChangedError {
  return value instanceof AzblobError && value.kind === "SourceChanged";
}

/** Whether `value` is an {@link AzblobError} of kind `Other`. */
export function isOther(value: unknown): value is OtherError {
  return value instanceof AzblobError && value.kind === "Other";
}
