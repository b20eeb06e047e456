// Conditions on a blob's ETag or modification time (If-Match and friends).

import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import type { Request } from "../wire/request.js";
import { setHeader } from "./request-util.js";

/** Conditions a request holds only when the blob matches them. */
export interface Conditions {
  ifMatch?: string | undefined;
  ifNoneMatch?: string | undefined;
  ifModifiedSince?: Date | undefined;
  ifUnmodifiedSince?: Date | undefined;
}

/** `If-None-Match: *`: the write happens only if the blob does not exist. */
export function ifNotExists(): Conditions {
  return { ifNoneMatch: "*" };
}

/** `If-Match: etag`. */
export function ifMatch(etag: string): Conditions {
  return { ifMatch: etag };
}

/** Whether a repeat of a write under these conditions still succeeds after the first one acted. */
export function surviveOwnWrite(c: Conditions): boolean {
  const specificIfMatch = c.ifMatch !== undefined && c.ifMatch !== "*";
  const ifNotExistsSet = c.ifNoneMatch === "*";
  return !(specificIfMatch || ifNotExistsSet || c.ifUnmodifiedSince !== undefined);
}

const YEAR_10000_MS = 253_402_300_800_000;

function httpDate(t: Date): string {
  const ms = t.getTime();
  if (!(ms >= 0 && ms < YEAR_10000_MS)) throw invalidInput("a condition's date must lie between 1970 and 9999");
  return t.toUTCString();
}

/** Sets the conditions' headers; an empty ETag is refused (the service would read it as no condition). */
export function applyConditions(request: Request, c: Conditions): void {
  for (const [name, etag] of [
    ["if-match", c.ifMatch],
    ["if-none-match", c.ifNoneMatch],
  ] as const) {
    if (etag !== undefined && etag.trim() === "") throw invalidInput(`the ETag for ${name} is empty`);
  }
  if (c.ifMatch !== undefined) setHeader(request, "if-match", c.ifMatch);
  if (c.ifNoneMatch !== undefined) setHeader(request, "if-none-match", c.ifNoneMatch);
  if (c.ifModifiedSince !== undefined) setHeader(request, "if-modified-since", httpDate(c.ifModifiedSince));
  if (c.ifUnmodifiedSince !== undefined) setHeader(request, "if-unmodified-since", httpDate(c.ifUnmodifiedSince));
}

/** A failed `If-None-Match: *` write reads as "already exists", not a generic precondition failure. */
export function refineIfNotExists(err: unknown, c: Conditions): unknown {
  if (c.ifNoneMatch === "*" && err instanceof AzblobError && err.kind === "PreconditionFailed") {
    return errorOfKind("AlreadyExists", {
      message: "the blob already exists",
      operation: err.operation ?? "PutBlob",
      status: err.status ?? 412,
      errorCode: err.errorCode,
      requestId: err.requestId,
      cause: err,
    });
  }
  return err;
}
