// Get Blob: a blob's bytes, or a range of them, with its properties.
// https://learn.microsoft.com/rest/api/storageservices/get-blob

import { errorOfKind, invalidResponse } from "../errors/kinds.js";
import { MAX_SMALL_ANSWER_BYTES, newRequest, newRequestAt, type Request, type Response } from "../wire/request.js";
import { parseBlobProperties, parseContentRange } from "./blob-properties.js";
import { applyConditions, type Conditions } from "./conditions.js";
import { parseContentCrc64 } from "./crc64.js";
import type { BlobProperties, BlobRange } from "./models.js";
import * as ru from "./request-util.js";
import type { BlobSelector } from "./selector.js";
import { applySelector } from "./selector.js";

/** Options of `get`: a range, a snapshot or version, conditions. */
export interface GetOptions {
  range?: BlobRange;
  selector?: BlobSelector;
  conditions?: Conditions;
}

/** The head of a Get Blob answer: the blob's properties and the range served. */
export interface GetBlobHead {
  properties: BlobProperties;
  /** The first and last byte served, for a 206. */
  range: [number, number] | undefined;
  /** The number of bytes in the body. */
  bodyLength: number;
  /**
   * The CRC64 of the bytes served (`x-ms-content-crc64`), sent for a range of
   * at most 4 MiB read with `x-ms-range-get-content-crc64`; a garbled one is
   * undefined (a verifying read then finds the range unverifiable).
   */
  contentCrc64: bigint | undefined;
}

/** Builds Get Blob; a read changes nothing, so it is idempotent. A URL given as text becomes the request's own. */
export function buildGetBlobRequest(url: URL | string, options: GetOptions = {}): Request {
  const request = typeof url === "string" ? newRequestAt("GetBlob", "GET", url) : newRequest("GetBlob", "GET", url);
  applySelector(request.url, options.selector);
  if (options.range) ru.setHeader(request, "x-ms-range", options.range.toHeader());
  applyConditions(request, options.conditions ?? {});
  request.idempotent = true;
  request.streamBody = true;
  // A range's answer holds the range (or a small error); a whole blob is what was asked for.
  request.maxResponseBytes =
    options.range?.length === undefined
      ? Number.POSITIVE_INFINITY
      : Math.max(options.range.length, MAX_SMALL_ANSWER_BYTES);
  return request;
}

/** Parses the head of a Get Blob answer (200 or 206). */
export function parseGetBlobResponse(response: Response): GetBlobHead {
  const h = response.headers;
  const properties = parseBlobProperties(h);
  let range: [number, number] | undefined;
  if (response.status === 206) {
    const [start, end] = parseContentRange(ru.required(h, "content-range"));
    range = [start, end];
  } else if (response.status !== 200) {
    throw invalidResponse(`Get Blob answered HTTP ${response.status}`);
  }
  const bodyLength = range ? range[1] - range[0] + 1 : properties.contentLength;
  let contentCrc64: bigint | undefined;
  try {
    contentCrc64 = parseContentCrc64(h);
  } catch {
    contentCrc64 = undefined;
  }
  return { properties, range, bodyLength, contentCrc64 };
}

/** Checks that the range served lies within the range asked. */
export function checkRange(head: GetBlobHead, asked: BlobRange): void {
  const served = head.range ?? (head.properties.contentLength > 0 ? [0, head.properties.contentLength - 1] : undefined);
  // An empty 200 serves no byte, so nothing outside the range.
  if (!served) return;
  const askedEnd = asked.length === undefined ? undefined : asked.offset + Math.max(0, asked.length - 1);
  if (served[0] !== asked.offset || (askedEnd !== undefined && served[1] > askedEnd)) {
    throw errorOfKind("InvalidResponse", {
      message: `the service answered bytes ${served[0]}-${served[1]} to a request for bytes ${asked.offset}-${askedEnd ?? ""}`,
      operation: "GetBlob",
    });
  }
}
