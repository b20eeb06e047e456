// Copy Blob (asynchronous), Copy Blob From URL (synchronous) and Abort Copy Blob.
// https://learn.microsoft.com/rest/api/storageservices/copy-blob
// https://learn.microsoft.com/rest/api/storageservices/copy-blob-from-url
// https://learn.microsoft.com/rest/api/storageservices/abort-copy-blob

import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { redactUrl } from "../redact/url.js";
import { newRequest, type Request, type Response } from "../wire/request.js";
import { type Accepted, applyAccepted, applyConditions, type Conditions, surviveOwnWrite } from "./conditions.js";
import type { AccessTier, Metadata } from "./models.js";
import * as ru from "./request-util.js";
import { setTagsHeader, type Tags } from "./tags.js";

/** The largest source a synchronous copy takes. */
export const MAX_SYNC_COPY_BYTES = 256 * 1024 * 1024;

/** Options of a copy: the destination's metadata (else the source's) and tier, conditions on the destination. */
export interface CopyOptions {
  metadata?: Metadata;
  /** The destination's index tags (`x-ms-tags`). */
  tags?: Tags;
  tier?: AccessTier;
  conditions?: Conditions;
}

/** What a started copy answers. */
export interface CopyStarted {
  copyId: string;
  /** `success` for a synchronous copy; `pending` or `success` for an asynchronous one. */
  status: string;
  etag: string | undefined;
  versionId: string | undefined;
}

/**
 * Builds Copy Blob (`sync` false) or Copy Blob From URL (`sync` true). A
 * synchronous copy replaces the destination as a whole, so it is idempotent
 * like Put Blob; an asynchronous one repeated would collide with itself.
 */
export function buildCopyRequest(
  destination: URL,
  source: URL,
  sourceBearer: string | undefined,
  sync: boolean,
  options: CopyOptions = {},
): Request {
  const request = newRequest(sync ? "CopyBlobFromUrl" : "CopyBlob", "PUT", destination);
  if (!/^[\x21-\x7e]+$/.test(source.href)) {
    throw invalidInput(`the copy source is not valid header text: ${redactUrl(source)}`);
  }
  request.headers.set("x-ms-copy-source", source.href);
  if (sync) {
    request.headers.set("x-ms-requires-sync", "true");
    if (sourceBearer !== undefined) request.headers.set("x-ms-copy-source-authorization", `Bearer ${sourceBearer}`);
  } else if (sourceBearer !== undefined) {
    throw invalidInput("only a synchronous copy accepts a bearer token for its source");
  }
  ru.setMetadata(request, options.metadata ?? {});
  if (options.tier !== undefined) ru.setHeader(request, "x-ms-access-tier", options.tier);
  setTagsHeader(request, options.tags);
  const conditions = options.conditions ?? {};
  applyConditions(request, conditions);
  request.idempotent = sync && surviveOwnWrite(conditions);
  // A 429 or 503 is answered before the service acts: no copy started, so
  // either kind may be sent again.
  request.repeatRefused = true;
  return request;
}

/** Parses the 202 of a copy. */
export function parseCopyResponse(response: Response): CopyStarted {
  if (response.status !== 202) throw invalidResponse(`a copy answered HTTP ${response.status}`);
  const h = response.headers;
  return {
    copyId: ru.required(h, "x-ms-copy-id"),
    status: ru.required(h, "x-ms-copy-status"),
    etag: h.get("etag"),
    versionId: h.get("x-ms-version-id"),
  };
}

/**
 * Builds Abort Copy Blob. Not idempotent: a repeat of an abort that worked
 * answers 409 NoPendingCopyOperation, which cannot be told from a copy that
 * finished before the abort arrived.
 */
export function buildAbortCopyRequest(url: URL, copyId: string, conditions: Conditions = {}): Request {
  if (copyId === "") throw invalidInput("a copy id is needed to abort a copy");
  const request = newRequest("AbortCopyBlob", "PUT", url);
  ru.addQuery(request, "comp", "copy");
  ru.addQuery(request, "copyid", copyId);
  request.headers.set("x-ms-copy-action", "abort");
  // The destination's lease id, required when it has an active lease; Abort
  // Copy Blob takes no other condition.
  applyAccepted(request, conditions, ABORT_COPY_ACCEPTS, "Abort Copy Blob");
  return request;
}

/** Abort Copy Blob accepts a lease id but none of the other conditions. */
const ABORT_COPY_ACCEPTS: Accepted = { etagAndDates: false, lease: true, tags: false };
