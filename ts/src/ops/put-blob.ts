// Put Blob: one request that writes a whole block blob.
// https://learn.microsoft.com/rest/api/storageservices/put-blob

import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { newRequest, newRequestAt, type Request, type Response } from "../wire/request.js";
import { applyConditions, type Conditions, surviveOwnWrite } from "./conditions.js";
import { crc64, setContentCrc64 } from "./crc64.js";
import type { AccessTier, ContentHeaders, Metadata, WriteResult } from "./models.js";
import * as ru from "./request-util.js";
import { setTagsHeader, type Tags } from "./tags.js";

/** How a new blob is written: content headers, metadata, tier, conditions, a transactional MD5. */
export interface PutBlobOptions {
  content?: ContentHeaders;
  metadata?: Metadata;
  tier?: AccessTier;
  /** The blob's index tags (`x-ms-tags`), checked before sending. */
  tags?: Tags;
  conditions?: Conditions;
  /** Sends the body's MD5 (`Content-MD5`) so the service checks it. */
  transactionalMd5?: boolean;
  /**
   * Sends the body's CRC64 (`x-ms-content-crc64`), which the service checks;
   * uploads send one with every block. One checksum per write: not with `transactionalMd5`.
   */
  transactionalCrc64?: boolean;
}

/** The service refuses a write with both a `Content-MD5` and an `x-ms-content-crc64` (400); refused here unsent. */
export function checkOneChecksum(md5: boolean | undefined, crc64: boolean | undefined): void {
  if (md5 && crc64) {
    throw invalidInput("a write carries one transactional checksum: ask for MD5 or CRC64, not both");
  }
}

/** The largest body of one Put Blob. */
export const MAX_PUT_BLOB_BYTES = 5000 * 1024 * 1024;

/** Data a blob is written from: bytes, or text written as UTF-8. */
export type BlobData = Uint8Array | string;

/** The bytes of `data`. */
export function bytesOf(data: BlobData): Uint8Array {
  return typeof data === "string" ? new Uint8Array(Buffer.from(data, "utf8")) : data;
}

/** Builds Put Blob; a URL given as text becomes the request's own, with no copy. */
export function buildPutBlobRequest(url: URL | string, body: Uint8Array, options: PutBlobOptions = {}): Request {
  if (body.length > MAX_PUT_BLOB_BYTES) {
    throw invalidInput(`a single Put Blob holds at most ${MAX_PUT_BLOB_BYTES} bytes, got ${body.length}`);
  }
  const request = typeof url === "string" ? newRequestAt("PutBlob", "PUT", url) : newRequest("PutBlob", "PUT", url);
  request.headers.set("x-ms-blob-type", "BlockBlob");
  ru.setContentHeaders(request, options.content ?? {});
  ru.setMetadata(request, options.metadata ?? {});
  if (options.tier !== undefined) ru.setHeader(request, "x-ms-access-tier", options.tier);
  setTagsHeader(request, options.tags);
  const conditions = options.conditions ?? {};
  applyConditions(request, conditions);
  checkOneChecksum(options.transactionalMd5, options.transactionalCrc64);
  if (options.transactionalMd5) ru.setHeader(request, "content-md5", Buffer.from(ru.md5(body)).toString("base64"));
  if (options.transactionalCrc64) setContentCrc64(request, crc64(body));
  // Put Blob replaces the whole blob, so repeating it is safe, unless a condition the first write invalidates.
  request.idempotent = surviveOwnWrite(conditions);
  // A conditional Put Blob repeated after a refusal cannot write twice: a
  // first attempt that did act makes the repeat fail on its condition.
  request.repeatRefused = true;
  request.body = body;
  return request;
}

/** Parses the answer of a write that must be `expected`. */
export function parseWriteResponse(response: Response, expected: number): WriteResult {
  if (response.status !== expected) throw invalidResponse(`expected HTTP ${expected}, got ${response.status}`);
  const h = response.headers;
  return {
    etag: ru.etag(h),
    lastModified: ru.date(h, "last-modified"),
    versionId: h.get("x-ms-version-id"),
    contentMd5: ru.md5Header(h, "content-md5"),
  };
}
