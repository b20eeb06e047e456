// The block copy engine: a copy of any size as parallel Put Block From URL
// calls (no byte passes through the client) and one Put Block List, with the
// upload engine's limiter and a checkpoint that lets a killed copy resume
// with only the blocks the service does not hold.

import { invalidInput, invalidResponse, withOperation } from "../errors/kinds.js";
import {
  buildGetUncommittedBlocksRequest,
  buildPutBlockListRequest,
  MAX_BLOCK_BYTES,
  MAX_BLOCKS,
  parseUncommittedBlocks,
} from "../ops/block-blob.js";
import { refineIfNotExists } from "../ops/conditions.js";
import type { BlobProperties, WriteResult } from "../ops/models.js";
import { BlobRange } from "../ops/models.js";
import { type PutBlobOptions, parseWriteResponse } from "../ops/put-blob.js";
import { buildPutBlockFromUrlRequest, refineSourceChanged } from "../ops/put-block-from-url.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import { blockId } from "../sim/seeded-rng.js";
import { Tally } from "../wire/tally.js";
import { type Concurrency, limiterFor } from "./concurrency.js";
import {
  checkCopyMatches,
  loadCopyCheckpoint,
  newCopyCheckpoint,
  removeCopyCheckpoint,
  saveCopyCheckpoint,
} from "./copy-checkpoint.js";
import { statsOf } from "./stats.js";
import { planBlockSize, type UploadReport } from "./upload.js";

/**
 * Default block size of a block copy: 128 MiB. No byte of a block copy
 * passes through the client, so a block costs no memory however large; its
 * size trades the number of requests against parallelism for mid-sized blobs
 * and the work a resumed copy redoes.
 */
export const DEFAULT_COPY_BLOCK_SIZE = 128 * 1024 * 1024;

/** The most Put Block From URL requests in flight: past a few dozen they only queue at the service. */
export const MAX_COPY_IN_FLIGHT = 64;

/** How a copy of any size is split and what the new blob is written with (`copyBlocksFromUrlOpts`). */
export interface BlockCopyOptions {
  /** Bytes per block (default 128 MiB), grown automatically so a blob needs at most 50,000 blocks. */
  blockSize?: number;
  /** Put Block From URL requests in flight (default adaptive, at most 64). */
  concurrency?: Concurrency;
  /**
   * What the new blob is written with, applied to its Put Block List. Empty
   * content headers take the source's (its Content-MD5 included: the bytes
   * are the same), and empty metadata the source's, as Copy Blob does.
   * `transactionalMd5` does not apply: no body is sent.
   */
  blob?: PutBlobOptions;
  /**
   * The source's properties when the caller already has them (they save one
   * Get Blob Properties); required for a `CopySource.url`, which this
   * client's credential may not read. Every block is staged with
   * `x-ms-source-if-match` set to their ETag.
   */
  sourceProperties?: BlobProperties;
  /** A checkpoint file that makes the copy resumable; deleted after the commit. */
  checkpoint?: string;
  /** Continue from `checkpoint` if it exists; one of another copy, or of a source that changed since, is refused. */
  resume?: boolean;
}

/** Refuses a block size the service would refuse. */
export function validateBlockCopyOptions(options: BlockCopyOptions): void {
  const size = options.blockSize ?? DEFAULT_COPY_BLOCK_SIZE;
  if (!Number.isSafeInteger(size) || size < 1 || size > MAX_BLOCK_BYTES) {
    throw invalidInput(
      `block size must be between 1 byte and ${MAX_BLOCK_BYTES} bytes (4000 MiB), got ${options.blockSize}`,
    );
  }
  limiterFor(options.concurrency, 1);
}

/** What the copy reads: its identity (URL without credentials), ETag and size. */
export interface CopySourceInfo {
  id: string;
  etag: string;
  size: number;
}

/** The source's URL with its authorization and, for a token source, the bearer; asked again for every block. */
export type SourceAuth = () => Promise<{ url: URL; bearer: string | undefined }>;

/**
 * Copies the source into the blob at `url` in blocks and commits them.
 * `options.blob` is applied to the commit as given: the client fills its
 * empty content headers and metadata from the source first.
 */
export async function runBlockCopy(
  pipeline: Pipeline,
  url: URL,
  newSessionId: () => string,
  source: CopySourceInfo,
  auth: SourceAuth,
  options: BlockCopyOptions,
): Promise<UploadReport> {
  validateBlockCopyOptions(options);
  if (source.etag === "") throw invalidResponse("the copy source has no ETag to pin it with");
  const blob = url.href;
  const existing =
    options.checkpoint !== undefined && options.resume ? await loadCopyCheckpoint(options.checkpoint) : undefined;
  let sessionId: string;
  let blockSize: number;
  if (existing) {
    checkCopyMatches(existing, blob, source.id, source.etag, source.size, options.checkpoint ?? "");
    sessionId = existing.session_id;
    blockSize = existing.block_size;
  } else {
    sessionId = newSessionId();
    blockSize = planBlockSize(source.size, options.blockSize ?? DEFAULT_COPY_BLOCK_SIZE);
  }
  const count = Math.ceil(source.size / blockSize);
  if (count > MAX_BLOCKS) throw invalidInput(`${count} blocks of ${blockSize} bytes exceed the limit of ${MAX_BLOCKS}`);
  if (options.checkpoint !== undefined && !existing) {
    // Saved before the first block is staged, so even a killed process can resume.
    const fresh = newCopyCheckpoint(blob, source.id, source.etag, source.size, blockSize, sessionId);
    await saveCopyCheckpoint(options.checkpoint, fresh);
  }
  const put = options.blob ?? {};
  // The commit's settings are checked before any block is staged.
  buildPutBlockListRequest(url, [], put);
  const blockLen = (index: number): number => Math.min(source.size - index * blockSize, blockSize);
  // Counts the requests outside the blocks' limiter (the staged list, the commit) for the report.
  const outside = new Tally();
  let present = new Map<string, number>();
  if (existing) {
    const list = buildGetUncommittedBlocksRequest(url);
    list.congestion = outside;
    present = parseUncommittedBlocks((await pipeline.execute(list)).body);
  }
  const wanted: number[] = [];
  for (let i = 0; i < count; i++) if (present.get(blockId(sessionId, i)) !== blockLen(i)) wanted.push(i);

  const cap = Math.min(Math.max(count, 1), MAX_COPY_IN_FLIGHT);
  const limiter = limiterFor(options.concurrency, cap);
  const stageBlock = async (index: number): Promise<void> => {
    const { url: from, bearer } = await auth();
    const request = buildPutBlockFromUrlRequest(url, blockId(sessionId, index), from, bearer, {
      sourceRange: BlobRange.of(index * blockSize, blockLen(index)),
      sourceIfMatch: source.etag,
    });
    request.congestion = limiter.congestion;
    try {
      await pipeline.execute(request);
    } catch (err) {
      throw refineSourceChanged(err);
    }
  };
  let failure: unknown;
  const inFlight = new Set<Promise<void>>();
  for (const index of wanted) {
    if (failure !== undefined) break;
    const release = await limiter.acquire();
    if (failure !== undefined) {
      release();
      break;
    }
    const staged = stageBlock(index)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(release);
    inFlight.add(staged);
    void staged.finally(() => inFlight.delete(staged));
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;

  const ids = Array.from({ length: count }, (_, i) => blockId(sessionId, i));
  let written: WriteResult;
  try {
    const commit = buildPutBlockListRequest(url, ids, put);
    commit.congestion = outside;
    written = parseWriteResponse(await pipeline.execute(commit), 201);
  } catch (err) {
    throw withOperation(refineIfNotExists(err, put.conditions ?? {}), "PutBlockList");
  }
  if (options.checkpoint !== undefined) await removeCopyCheckpoint(options.checkpoint);
  return {
    bytes: source.size,
    blocks: count,
    resumedBlocks: count - wanted.length,
    peakConcurrency: limiter.peak,
    concurrencyBackoffs: limiter.halvings,
    stats: statsOf(limiter.congestion, outside),
    blockSize,
    etag: written.etag,
    versionId: written.versionId,
    contentMd5: put.content?.contentMd5,
  };
}
