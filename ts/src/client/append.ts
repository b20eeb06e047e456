// Append Block in blocks of up to 100 MiB. With a position, a repeat that
// fails the position check after an attempt whose answer was lost reads the
// blob back: the data in place means the earlier attempt landed it.

import { AzblobError } from "../errors/azblob-error.js";
import { invalidInput, invalidResponse, withOperation } from "../errors/kinds.js";
import {
  type AppendOptions,
  buildAppendBlockRequest,
  MAX_APPEND_BLOCK_BYTES,
  mayHaveAppendedEarlier,
} from "../ops/append-blob.js";
import type { GetOptions } from "../ops/get-blob.js";
import { BlobRange, type WriteResult } from "../ops/models.js";
import { parseWriteResponse } from "../ops/put-blob.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import type { GetBlobResponse } from "../transfer/get-stream.js";
import { errorFromResponse } from "../wire/error-map.js";

/** What the append engine needs of its blob: its URL and ranged reads. */
export interface AppendTarget {
  url(): URL;
  getOpts(options: GetOptions): Promise<GetBlobResponse>;
}

/** Appends `bytes` block by block; the last block's write result. */
export async function appendData(
  pipeline: Pipeline,
  blob: AppendTarget,
  bytes: Uint8Array,
  options: AppendOptions,
): Promise<WriteResult> {
  const url = blob.url();
  let position = options.appendPosition;
  if (position !== undefined && !Number.isSafeInteger(position + bytes.length)) {
    throw invalidInput(`append position ${position} plus ${bytes.length} bytes is past any blob's length`);
  }
  let offset = 0;
  for (;;) {
    const end = Math.min(offset + MAX_APPEND_BLOCK_BYTES, bytes.length);
    const block = bytes.subarray(offset, end);
    const blockOptions: AppendOptions = { ...options };
    if (position !== undefined) blockOptions.appendPosition = position;
    const response = await pipeline.send(buildAppendBlockRequest(url, block, blockOptions));
    let written: WriteResult;
    if (response.status >= 200 && response.status <= 299) {
      try {
        written = parseWriteResponse(response, 201);
      } catch (err) {
        throw withOperation(err, "AppendBlock");
      }
    } else {
      const error = errorFromResponse(response, "AppendBlock");
      const earlier = position !== undefined && mayHaveAppendedEarlier(response);
      const landed = earlier && position !== undefined ? await appendedEarlier(blob, position, block) : undefined;
      if (!landed) throw error;
      written = landed;
    }
    if (position !== undefined) position += end - offset;
    offset = end;
    if (offset >= bytes.length) return written;
  }
}

/** Whether `block` reads back at `position` (an earlier attempt landed it). */
async function appendedEarlier(
  blob: AppendTarget,
  position: number,
  block: Uint8Array,
): Promise<WriteResult | undefined> {
  let response: GetBlobResponse;
  try {
    response = await blob.getOpts({ range: BlobRange.of(position, block.length) });
  } catch (err) {
    // Shorter than the position plus the block: it did not land.
    if (err instanceof AzblobError && err.kind === "InvalidRange") return undefined;
    throw err;
  }
  if (response.head.bodyLength > block.length) {
    throw withOperation(invalidResponse(`the answer is longer than ${block.length} bytes`), "GetBlob");
  }
  if (!Buffer.from(await response.bytes()).equals(Buffer.from(block))) return undefined;
  const p = response.head.properties;
  return { etag: p.etag, lastModified: p.lastModified, versionId: p.versionId, contentMd5: undefined };
}
