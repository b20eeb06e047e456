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
  /** The lease id of a leased blob (`x-ms-lease-id`), a GUID. */
  leaseId?: string | undefined;
  /** A SQL-like expression over the blob's index tags (`x-ms-if-tags`). */
  ifTags?: string | undefined;
}

/** Which kinds of condition an operation accepts; the others are refused before sending. */
export interface Accepted {
  etagAndDates: boolean;
  lease: boolean;
  tags: boolean;
}

/** Every kind of condition. */
export const ACCEPT_ALL: Accepted = { etagAndDates: true, lease: true, tags: true };

/** `x-ms-lease-id: leaseId`: the operation acts on a blob under this lease. */
export function lease(leaseId: string): Conditions {
  return { leaseId };
}

/** Refuses a lease id that is not a GUID (`8-4-4-4-12` hex digits). */
export function checkLeaseId(id: string): void {
  const groups = id.split("-");
  const shaped =
    groups.length === 5 && groups.every((g, i) => g.length === [8, 4, 4, 4, 12][i] && /^[0-9A-Fa-f]+$/.test(g));
  if (!shaped) {
    throw invalidInput(`the lease id ${JSON.stringify(id)} is not a GUID (like 3f2504e0-4f89-11d3-9a0c-0305e82c3301)`);
  }
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
  // A tag condition may read tags the write itself replaces.
  return !(specificIfMatch || ifNotExistsSet || c.ifUnmodifiedSince !== undefined || c.ifTags !== undefined);
}

const YEAR_10000_MS = 253_402_300_800_000;

function httpDate(t: Date): string {
  const ms = t.getTime();
  if (!(ms >= 0 && ms < YEAR_10000_MS)) throw invalidInput("a condition's date must lie between 1970 and 9999");
  return t.toUTCString();
}

/** Sets the conditions' headers; an empty ETag is refused (the service would read it as no condition). */
export function applyConditions(request: Request, c: Conditions): void {
  applyAccepted(request, c, ACCEPT_ALL, "this operation");
}

/**
 * Sets the conditions' headers, refusing before sending a kind of condition
 * `operation` does not accept (the service would ignore or reject it).
 */
export function applyAccepted(request: Request, c: Conditions, accepted: Accepted, operation: string): void {
  const hasEtagOrDate =
    c.ifMatch !== undefined ||
    c.ifNoneMatch !== undefined ||
    c.ifModifiedSince !== undefined ||
    c.ifUnmodifiedSince !== undefined;
  if (hasEtagOrDate && !accepted.etagAndDates) throw refusal(operation, "ETag or date conditions");
  if (c.leaseId !== undefined) {
    if (!accepted.lease) throw refusal(operation, "a lease id");
    checkLeaseId(c.leaseId);
    setHeader(request, "x-ms-lease-id", c.leaseId);
  }
  if (c.ifTags !== undefined) {
    if (!accepted.tags) throw refusal(operation, "a tag condition (x-ms-if-tags)");
    if (c.ifTags.trim() === "") throw invalidInput("the tag condition (x-ms-if-tags) is empty");
    setHeader(request, "x-ms-if-tags", c.ifTags);
  }
  // Checked one by one, not through a list of pairs: every request goes through here.
  if (c.ifMatch !== undefined && c.ifMatch.trim() === "") throw invalidInput("the ETag for if-match is empty");
  if (c.ifNoneMatch !== undefined && c.ifNoneMatch.trim() === "") {
    throw invalidInput("the ETag for if-none-match is empty");
  }
  if (c.ifMatch !== undefined) setHeader(request, "if-match", c.ifMatch);
  if (c.ifNoneMatch !== undefined) setHeader(request, "if-none-match", c.ifNoneMatch);
  if (c.ifModifiedSince !== undefined) setHeader(request, "if-modified-since", httpDate(c.ifModifiedSince));
  if (c.ifUnmodifiedSince !== undefined) setHeader(request, "if-unmodified-since", httpDate(c.ifUnmodifiedSince));
}

function refusal(operation: string, what: string): Error {
  return invalidInput(`${operation} does not accept ${what}`);
}

/** A failed `If-None-Match: *` write reads as "already exists", not a generic precondition failure. */
export function refineIfNotExists(err: unknown, c: Conditions): unknown {
  // A lease error answered 412 is about the lease, not about the blob existing.
  const aboutLease = err instanceof AzblobError && (err.errorCode ?? "").startsWith("Lease");
  if (c.ifNoneMatch === "*" && err instanceof AzblobError && err.kind === "PreconditionFailed" && !aboutLease) {
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
