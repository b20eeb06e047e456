// Put Block From URL: the service stages a block by reading it from a URL,
// so a copy of any size moves no data through the client.
// https://learn.microsoft.com/rest/api/storageservices/put-block-from-url

import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import { redactUrl } from "../redact/url.js";
import { newRequest, type Request } from "../wire/request.js";
import { MAX_BLOCK_BYTES } from "./block-blob.js";
import { validateBlockId } from "./blocks.js";
import { crc64Header } from "./crc64.js";
import type { BlobRange } from "./models.js";
import * as ru from "./request-util.js";

/** Options of `putBlockFromUrlOpts`. */
export interface PutBlockFromUrlOptions {
  /** The bytes of the source to stage (at most 4000 MiB); unset stages the whole source, which must then be at most 4000 MiB. */
  sourceRange?: BlobRange;
  /**
   * Stage only while the source still has this ETag (`x-ms-source-if-match`),
   * so the blocks of one copy all come from the same version of the source;
   * a source that changed fails with `SourceChangedError`.
   */
  sourceIfMatch?: string;
  /**
   * The CRC64 the bytes read from the source must have
   * (`x-ms-source-content-crc64`); the service refuses the block on a
   * mismatch, which is `IntegrityMismatchError`.
   */
  sourceContentCrc64?: bigint;
}

/**
 * Builds Put Block From URL, staging the source's bytes under the base64
 * `blockId`. `source` must already carry whatever authorizes reading it (a
 * SAS, or nothing for a public blob); `sourceBearer` is a token for the
 * source, sent as `x-ms-copy-source-authorization`.
 */
export function buildPutBlockFromUrlRequest(
  url: URL,
  blockId: string,
  source: URL,
  sourceBearer: string | undefined,
  options: PutBlockFromUrlOptions = {},
): Request {
  validateBlockId(blockId);
  const request = newRequest("PutBlockFromUrl", "PUT", url);
  ru.addQuery(request, "comp", "block");
  ru.addQuery(request, "blockid", blockId);
  if (!/^[\x21-\x7e]+$/.test(source.href)) {
    throw invalidInput(`the copy source is not valid header text: ${redactUrl(source)}`);
  }
  request.headers.set("x-ms-copy-source", source.href);
  if (sourceBearer !== undefined) {
    if (!/^[\x21-\x7e]+$/.test(sourceBearer)) throw invalidInput("the source token is not valid header text");
    request.headers.set("x-ms-copy-source-authorization", `Bearer ${sourceBearer}`);
  }
  if (options.sourceRange !== undefined) {
    const length = options.sourceRange.length;
    if (length !== undefined && length > MAX_BLOCK_BYTES) {
      throw invalidInput(`a block holds at most ${MAX_BLOCK_BYTES} bytes (4000 MiB)`);
    }
    ru.setHeader(request, "x-ms-source-range", options.sourceRange.toHeader());
  }
  if (options.sourceIfMatch !== undefined) {
    // An empty ETag would be no condition at all: refused rather than sent.
    if (options.sourceIfMatch === "") throw invalidInput("an empty ETag cannot pin a copy's source");
    ru.setHeader(request, "x-ms-source-if-match", options.sourceIfMatch);
  }
  if (options.sourceContentCrc64 !== undefined) {
    ru.setHeader(request, "x-ms-source-content-crc64", crc64Header(options.sourceContentCrc64));
  }
  // The body stays empty: the service reads the block from the source.
  // Staging the same block twice leaves the same block: safe to repeat.
  request.idempotent = true;
  return request;
}

/**
 * A Put Block From URL refused with 412 had its source condition (the only
 * condition it sends) fail: the source changed, which is `SourceChangedError`.
 */
export function refineSourceChanged(err: unknown): unknown {
  if (!(err instanceof AzblobError) || err.kind !== "PreconditionFailed") return err;
  return errorOfKind("SourceChanged", {
    message: "the copy's source changed since its ETag was taken; nothing was committed",
    operation: "PutBlockFromUrl",
    status: err.status ?? 412,
    errorCode: err.errorCode,
    requestId: err.requestId,
    cause: err,
  });
}
