// Get Blob Properties, Set Blob Metadata and Set Blob HTTP Headers, and the
// parser of the property headers that Get Blob shares.
// https://learn.microsoft.com/rest/api/storageservices/get-blob-properties
// https://learn.microsoft.com/rest/api/storageservices/set-blob-metadata
// https://learn.microsoft.com/rest/api/storageservices/set-blob-properties

import { errorOfKind, invalidResponse } from "../errors/kinds.js";
import { newRequest, type Request } from "../wire/request.js";
import { applyConditions, type Conditions, surviveOwnWrite } from "./conditions.js";
import { parseCopyHeaders } from "./copy-state.js";
import { type BlobProperties, type ContentHeaders, type Metadata, parseAccessTier, parseLeaseState } from "./models.js";
import * as ru from "./request-util.js";
import type { BlobSelector } from "./selector.js";
import { applySelector } from "./selector.js";

/** Options of `properties`: which snapshot or version, and conditions. */
export interface PropertiesOptions {
  selector?: BlobSelector;
  conditions?: Conditions;
}

/** Builds Get Blob Properties (a `HEAD`); a read changes nothing, so it is idempotent. */
export function buildGetPropertiesRequest(url: URL, options: PropertiesOptions = {}): Request {
  const request = newRequest("GetBlobProperties", "HEAD", url);
  applySelector(request.url, options.selector);
  applyConditions(request, options.conditions ?? {});
  request.idempotent = true;
  return request;
}

/** Builds Set Blob Metadata, which replaces all of the blob's metadata. */
export function buildSetMetadataRequest(url: URL, metadata: Metadata, conditions: Conditions = {}): Request {
  const request = newRequest("SetBlobMetadata", "PUT", url);
  ru.addQuery(request, "comp", "metadata");
  ru.setMetadata(request, metadata);
  applyConditions(request, conditions);
  request.idempotent = surviveOwnWrite(conditions);
  return request;
}

/** Builds Set Blob HTTP Headers, which replaces all content headers (one left out is cleared). */
export function buildSetHttpHeadersRequest(url: URL, content: ContentHeaders, conditions: Conditions = {}): Request {
  const request = newRequest("SetBlobHttpHeaders", "PUT", url);
  ru.addQuery(request, "comp", "properties");
  ru.setContentHeaders(request, content);
  applyConditions(request, conditions);
  request.idempotent = surviveOwnWrite(conditions);
  return request;
}

/**
 * Parses the property headers of Get Blob Properties and Get Blob. For a
 * ranged Get Blob the size comes from `Content-Range`, not `Content-Length`.
 */
export function parseBlobProperties(h: Map<string, string>): BlobProperties {
  const range = h.get("content-range");
  let contentLength: number;
  if (range !== undefined) {
    contentLength = parseContentRange(range)[2];
  } else {
    const n = ru.num(h, "content-length");
    if (n === undefined) throw invalidResponse("the response has no Content-Length header");
    contentLength = n;
  }
  // Without a range, Content-MD5 is the stored whole-blob MD5.
  const contentMd5 =
    ru.md5Header(h, "x-ms-blob-content-md5") ?? (range === undefined ? ru.md5Header(h, "content-md5") : undefined);
  const lastModified = ru.date(h, "last-modified");
  if (lastModified === undefined) throw invalidResponse("the response has no Last-Modified header");
  const tier = h.get("x-ms-access-tier");
  let accessTier: string | undefined;
  try {
    accessTier = tier === undefined ? undefined : parseAccessTier(tier);
  } catch {
    accessTier = undefined;
  }
  const current = h.get("x-ms-is-current-version");
  return {
    contentLength,
    etag: ru.etag(h),
    lastModified,
    createdOn: ru.date(h, "x-ms-creation-time"),
    content: {
      contentType: h.get("content-type"),
      contentEncoding: h.get("content-encoding"),
      contentLanguage: h.get("content-language"),
      contentDisposition: h.get("content-disposition"),
      cacheControl: h.get("cache-control"),
      contentMd5,
    },
    metadata: ru.metadataOf(h),
    blobType: ru.required(h, "x-ms-blob-type"),
    accessTier,
    accessTierInferred: h.get("x-ms-access-tier-inferred") === "true",
    versionId: h.get("x-ms-version-id"),
    isCurrentVersion: current === undefined ? undefined : current === "true",
    archiveStatus: h.get("x-ms-archive-status"),
    copy: parseCopyHeaders(h),
    leaseState: parseLeaseState(h.get("x-ms-lease-state")),
    tagCount: ru.num(h, "x-ms-tag-count"),
  };
}

/**
 * Parses `bytes START-END/TOTAL`. An empty range at the end of the blob
 * (`END = START - 1`, as some servers send for a range that starts there) is
 * the caller's mistake: `InvalidRangeError`, as the service's own 416 would be.
 */
export function parseContentRange(value: string): [number, number, number] {
  const bad = (): Error => invalidResponse(`malformed Content-Range ${JSON.stringify(value)}`);
  const m = /^bytes (-?\d+)-(-?\d+)\/(\d+)$/.exec(value.trim());
  if (!m) throw bad();
  const [start, end, total] = [BigInt(m[1] ?? ""), BigInt(m[2] ?? ""), BigInt(m[3] ?? "")];
  if (start >= 0n && end === start - 1n && start === total) {
    throw errorOfKind("InvalidRange", {
      message: `the range starts at or past the end of the blob (${total} bytes)`,
    });
  }
  if (start < 0n || start > end || end >= total || total > BigInt(Number.MAX_SAFE_INTEGER)) throw bad();
  return [Number(start), Number(end), Number(total)];
}
