// Append blobs: create, Append Block and Seal.
// https://learn.microsoft.com/rest/api/storageservices/put-blob (x-ms-blob-type: AppendBlob)
// https://learn.microsoft.com/rest/api/storageservices/append-block
// https://learn.microsoft.com/rest/api/storageservices/append-blob-seal

import { invalidInput } from "../errors/kinds.js";
import { newRequest, type Request, type Response } from "../wire/request.js";
import { applyAccepted, applyConditions, type Conditions, surviveOwnWrite } from "./conditions.js";
import { crc64, setContentCrc64 } from "./crc64.js";
import type { ContentHeaders, Metadata } from "./models.js";
import { checkOneChecksum } from "./put-blob.js";
import * as ru from "./request-util.js";
import { setTagsHeader, type Tags } from "./tags.js";

/** The largest block one Append Block carries. */
export const MAX_APPEND_BLOCK_BYTES = 100 * 1024 * 1024;

/** Options of `createAppendBlob`: content headers, metadata, conditions. */
export interface CreateAppendBlobOptions {
  content?: ContentHeaders;
  metadata?: Metadata;
  /** The blob's index tags (`x-ms-tags`). */
  tags?: Tags;
  conditions?: Conditions;
}

/** Options of `append`: where the data must land, how large the blob may grow, a transactional MD5. */
export interface AppendOptions {
  /** The blob's length the append expects (`x-ms-blob-condition-appendpos`). */
  appendPosition?: number;
  /** The longest the blob may become (`x-ms-blob-condition-maxsize`). */
  maxSize?: number;
  transactionalMd5?: boolean;
  /** Sends the block's CRC64 (`x-ms-content-crc64`), which the service checks; not with `transactionalMd5`. */
  transactionalCrc64?: boolean;
  /** Conditions on the blob: its ETag, dates, lease or tags. */
  conditions?: Conditions;
}

function checkCount(value: number | undefined, what: string): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw invalidInput(`${what} must be a non-negative integer, got ${value}`);
  }
}

/**
 * Builds the Put Blob that creates an empty append blob. Not idempotent:
 * without conditions a repeat would empty a blob another writer appended to
 * meanwhile; with `If-None-Match: *` it would answer a spurious AlreadyExists.
 */
export function buildCreateAppendBlobRequest(url: URL, options: CreateAppendBlobOptions = {}): Request {
  const request = newRequest("CreateAppendBlob", "PUT", url);
  request.headers.set("x-ms-blob-type", "AppendBlob");
  ru.setContentHeaders(request, options.content ?? {});
  ru.setMetadata(request, options.metadata ?? {});
  setTagsHeader(request, options.tags);
  applyConditions(request, options.conditions ?? {});
  return request;
}

/**
 * Builds Append Block. With a position a repeat cannot append twice (it fails
 * the position check instead), so only then is it idempotent.
 */
export function buildAppendBlockRequest(url: URL, body: Uint8Array, options: AppendOptions = {}): Request {
  if (body.length === 0) throw invalidInput("an append block cannot be empty");
  if (body.length > MAX_APPEND_BLOCK_BYTES) {
    throw invalidInput(`an append block holds at most ${MAX_APPEND_BLOCK_BYTES} bytes`);
  }
  checkCount(options.appendPosition, "appendPosition");
  checkCount(options.maxSize, "maxSize");
  const request = newRequest("AppendBlock", "PUT", url);
  ru.addQuery(request, "comp", "appendblock");
  if (options.appendPosition !== undefined) {
    ru.setHeader(request, "x-ms-blob-condition-appendpos", String(options.appendPosition));
  }
  if (options.maxSize !== undefined) ru.setHeader(request, "x-ms-blob-condition-maxsize", String(options.maxSize));
  checkOneChecksum(options.transactionalMd5, options.transactionalCrc64);
  if (options.transactionalMd5) ru.setHeader(request, "content-md5", Buffer.from(ru.md5(body)).toString("base64"));
  if (options.transactionalCrc64) setContentCrc64(request, crc64(body));
  const conditions = options.conditions ?? {};
  applyConditions(request, conditions);
  // With a position a repeat cannot append twice; a condition the append
  // itself invalidates (a specific If-Match) would fail the repeat spuriously.
  request.idempotent = options.appendPosition !== undefined && surviveOwnWrite(conditions);
  request.body = body;
  return request;
}

/** Whether a position failure answers a repeat whose earlier attempt may have appended. */
export function mayHaveAppendedEarlier(response: Response): boolean {
  return (
    response.repeated &&
    response.status === 412 &&
    response.headers.get("x-ms-error-code") === "AppendPositionConditionNotMet"
  );
}

/** Builds Append Blob Seal; sealing a sealed blob changes nothing. */
export function buildSealRequest(url: URL, conditions: Conditions = {}): Request {
  const request = newRequest("SealAppendBlob", "PUT", url);
  ru.addQuery(request, "comp", "seal");
  // Append Blob Seal takes ETag, date and lease conditions, not x-ms-if-tags.
  applyAccepted(request, conditions, { etagAndDates: true, lease: true, tags: false }, "Append Blob Seal");
  request.idempotent = surviveOwnWrite(conditions);
  return request;
}
