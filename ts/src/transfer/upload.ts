// The upload engine: one Put Blob when the source fits the single-put limit,
// else Put Block with a fixed number in flight and one Put Block List. Block
// ids come from a session id the client's seeded generator draws, so a replay
// sends the same ids (docs/cassette-format.md, "Seeded session ids").

import { createHash } from "node:crypto";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import { buildPutBlockListRequest, buildPutBlockRequest, MAX_BLOCK_BYTES, MAX_BLOCKS } from "../ops/block-blob.js";
import { refineIfNotExists } from "../ops/conditions.js";
import { crc64, setContentCrc64 } from "../ops/crc64.js";
import type { WriteResult } from "../ops/models.js";
import {
  type BlobData,
  buildPutBlobRequest,
  bytesOf,
  checkOneChecksum,
  type PutBlobOptions,
  parseWriteResponse,
} from "../ops/put-blob.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import { blockId } from "../sim/seeded-rng.js";
import { Tally } from "../wire/tally.js";
import { difference, identityOf, removeCheckpoint } from "./checkpoint.js";
import { ADAPTIVE_START, type Concurrency, DEFAULT_MEMORY_BUDGET, limiterFor } from "./concurrency.js";
import { statsOf, type TransferStats } from "./stats.js";
import { type FileCommit, uploadFile } from "./upload-file.js";

/** Default block size of uploads: 8 MiB. */
export const DEFAULT_BLOCK_SIZE = 8 * 1024 * 1024;
/** Default number of blocks in flight. */
export const DEFAULT_CONCURRENCY = 8;
/** Default largest source sent with one Put Blob: 256 MiB. */
export const DEFAULT_SINGLE_PUT_MAX = 256 * 1024 * 1024;

/** A file to upload, read with positional reads and checked for changes before the commit. */
export interface FileSource {
  file: string;
}

/** What an upload reads: bytes or text in memory, a file, or a stream of chunks of unknown length. */
export type UploadSource = BlobData | FileSource | AsyncIterable<Uint8Array>;

/** How an upload is split and checked. */
export interface UploadOptions {
  /** Bytes per block (default 8 MiB; grown for blobs past 50,000 blocks). */
  blockSize?: number;
  /** Blocks in flight: a number, or `"adaptive"` (the default: from 8, moved by the throughput measured). */
  concurrency?: Concurrency;
  /** The most bytes of block buffers an adaptive upload holds (default 256 MiB): its cap is this ÷ blockSize. */
  memoryBudget?: number;
  /**
   * The largest source sent with one Put Blob (default 256 MiB); for a stream
   * or a file also at most the memory bound (blockSize × a fixed concurrency,
   * or the 8 blocks an adaptive one starts with).
   */
  singlePutMax?: number;
  /** How the blob is written: content headers, metadata, tier, conditions, per-block MD5s. */
  blob?: PutBlobOptions;
  /** Whether to store the whole blob's MD5 (`Content-MD5` of the blob). */
  blobMd5?: boolean;
  /** A file source's checkpoint: written before the first block, removed after the commit. */
  checkpoint?: string;
  /** Resume from `checkpoint` if it exists: only the blocks the service does not hold are sent. */
  resume?: boolean;
}

/** What an upload did. */
export interface UploadReport {
  bytes: number;
  /** Blocks committed (0 for a single Put Blob). */
  blocks: number;
  /** Blocks a resumed upload found staged and did not send again. */
  resumedBlocks: number;
  /** The most blocks in flight at once. */
  peakConcurrency: number;
  /** How many times adaptive concurrency halved on a 429, a 503 or a timeout. */
  concurrencyBackoffs: number;
  /** What the upload's requests cost: attempts, retries, throttled answers, time waiting on the service. */
  stats: TransferStats;
  blockSize: number;
  etag: string;
  versionId: string | undefined;
  /** The whole blob's MD5, when asked for with `blobMd5`. */
  contentMd5: Uint8Array | undefined;
}

function positive(value: number, what: string, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) {
    throw invalidInput(`${what} must be at least 1 and at most ${max}, got ${value}`);
  }
  return value;
}

/** The block size for `size` bytes: the requested one, grown (in whole MiB) to stay under 50,000 blocks. */
export function planBlockSize(size: number, requested: number): number {
  const mib = 1024 * 1024;
  if (size > MAX_BLOCKS * MAX_BLOCK_BYTES) {
    throw invalidInput(`${size} bytes exceed the largest block blob (${MAX_BLOCKS * MAX_BLOCK_BYTES} bytes)`);
  }
  const needed = Math.ceil(size / MAX_BLOCKS);
  return needed <= requested ? requested : Math.min(Math.ceil(needed / mib) * mib, MAX_BLOCK_BYTES);
}

function isFile(source: UploadSource): source is FileSource {
  return typeof source === "object" && !(source instanceof Uint8Array) && "file" in source;
}

function isStream(source: UploadSource): source is AsyncIterable<Uint8Array> {
  return typeof source === "object" && source !== null && Symbol.asyncIterator in source;
}

/** Reads a stream into blocks of `blockSize` (the last one shorter). */
async function* blocksOf(
  stream: AsyncIterable<Uint8Array>,
  blockSize: number,
  head: Uint8Array[],
): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array[] = [...head];
  let held = pending.reduce((n, c) => n + c.length, 0);
  const take = (): Uint8Array => {
    const all = Buffer.concat(pending);
    const block = new Uint8Array(all.subarray(0, blockSize));
    const rest = all.subarray(blockSize);
    pending = rest.length > 0 ? [new Uint8Array(rest)] : [];
    held = rest.length;
    return block;
  };
  while (held >= blockSize) yield take();
  for await (const chunk of stream) {
    pending.push(chunk);
    held += chunk.length;
    while (held >= blockSize) yield take();
  }
  if (held > 0) yield take();
}

/** The engine behind `BlobClient.upload`. */
export async function runUpload(
  pipeline: Pipeline,
  url: URL,
  newSessionId: () => string,
  source: UploadSource,
  options: UploadOptions,
): Promise<UploadReport> {
  const requestedBlockSize = positive(options.blockSize ?? DEFAULT_BLOCK_SIZE, "blockSize", MAX_BLOCK_BYTES);
  const concurrency = options.concurrency ?? "adaptive";
  limiterFor(concurrency, 1);
  const budget = positive(options.memoryBudget ?? DEFAULT_MEMORY_BUDGET, "memoryBudget", Number.MAX_SAFE_INTEGER);
  const singlePutMax = options.singlePutMax ?? DEFAULT_SINGLE_PUT_MAX;
  if (!Number.isSafeInteger(singlePutMax) || singlePutMax < 0) {
    throw invalidInput(`singlePutMax must be a non-negative integer, got ${singlePutMax}`);
  }
  // Sources not already in memory go in one Put Blob only within the memory bound.
  const memoryBound =
    typeof concurrency === "number"
      ? requestedBlockSize * concurrency
      : Math.min(requestedBlockSize * ADAPTIVE_START, budget);
  const limit = Math.min(singlePutMax, memoryBound);
  // The commit's tags, metadata, headers and conditions are checked before the first block is sent.
  buildPutBlockListRequest(url, [], options.blob ?? {});
  checkOneChecksum(options.blob?.transactionalMd5, options.blob?.transactionalCrc64);
  if (isFile(source)) {
    return uploadFile(pipeline, url, newSessionId, source.file, options, requestedBlockSize, limit);
  }
  const blob = options.blob ?? {};
  let blocks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  let blockSize = requestedBlockSize;
  if (isStream(source)) {
    // A stream is read ahead up to its single-put limit to learn whether it ends there.
    const iterator = source[Symbol.asyncIterator]();
    const head: Uint8Array[] = [];
    let read = 0;
    let ended = false;
    while (read <= limit) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      head.push(next.value);
      read += next.value.length;
    }
    if (ended) return singlePut(pipeline, url, new Uint8Array(Buffer.concat(head)), blob, options.blobMd5);
    blocks = blocksOf({ [Symbol.asyncIterator]: () => iterator }, blockSize, head);
  } else {
    const data = bytesOf(source);
    if (data.length <= singlePutMax) return singlePut(pipeline, url, data, blob, options.blobMd5);
    blockSize = planBlockSize(data.length, requestedBlockSize);
    const slices: Uint8Array[] = [];
    for (let offset = 0; offset < data.length; offset += blockSize)
      slices.push(data.subarray(offset, offset + blockSize));
    blocks = slices;
  }
  return sendBlocks(pipeline, url, newSessionId(), blockSize, numbered(blocks), options, undefined);
}

/** One block to send (or, resumed, only to hash). */
export interface Block {
  index: number;
  data: Uint8Array;
  send: boolean;
}

async function* numbered(blocks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Block> {
  let index = 0;
  for await (const data of blocks) yield { index: index++, data, send: true };
}

/**
 * Put Block with the concurrency's permits in flight (a block is read only
 * once its permit is granted, so memory follows the limit), then Put Block
 * List in index order.
 */
export async function sendBlocks(
  pipeline: Pipeline,
  url: URL,
  session: string,
  blockSize: number,
  blocks: AsyncIterable<Block>,
  options: UploadOptions,
  file: FileCommit | undefined,
  outside: Tally = new Tally(),
): Promise<UploadReport> {
  const blob = options.blob ?? {};
  const concurrency = options.concurrency ?? "adaptive";
  const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  const limiter = limiterFor(concurrency, Math.max(1, Math.floor(budget / blockSize)));
  const whole = options.blobMd5 ? createHash("md5") : undefined;
  const ids: string[] = [];
  let bytes = 0;
  const inFlight = new Set<Promise<void>>();
  let failure: unknown;
  const iterator = blocks[Symbol.asyncIterator]();
  for (;;) {
    const release = await limiter.acquire();
    const step = await iterator.next().catch((err: unknown) => {
      release();
      throw err;
    });
    if (step.done) {
      release();
      break;
    }
    const block = step.value;
    if (ids.length >= MAX_BLOCKS)
      throw invalidInput(`a blob holds at most ${MAX_BLOCKS} blocks; use a larger blockSize`);
    const id = blockId(session, block.index);
    ids.push(id);
    bytes += block.data.length;
    whole?.update(block.data);
    if (!block.send) {
      release();
      continue;
    }
    const md5 = blob.transactionalMd5 ? new Uint8Array(createHash("md5").update(block.data).digest()) : undefined;
    const request = buildPutBlockRequest(url, id, block.data, md5);
    if (blob.transactionalCrc64) setContentCrc64(request, crc64(block.data));
    request.congestion = limiter.congestion;
    const sent = pipeline
      .execute(request)
      .then(() => undefined)
      .catch((err: unknown) => {
        failure ??= err;
      })
      .finally(release);
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
    if (failure !== undefined) break;
  }
  await Promise.all(inFlight);
  if (failure !== undefined) throw failure;
  if (file) {
    // Nothing is committed from a source file that changed while it was read.
    const what = difference(file.identity, await identityOf(file.path));
    if (what)
      throw errorOfKind("SourceChanged", {
        message: `${file.path} changed during the upload (${what}); nothing was committed`,
      });
  }
  const contentMd5 = whole ? new Uint8Array(whole.digest()) : undefined;
  const content = contentMd5 ? { ...blob.content, contentMd5 } : blob.content;
  const commit = buildPutBlockListRequest(url, ids, {
    ...(content ? { content } : {}),
    ...(blob.metadata ? { metadata: blob.metadata } : {}),
    ...(blob.tier ? { tier: blob.tier } : {}),
    ...(blob.tags ? { tags: blob.tags } : {}),
    ...(blob.conditions ? { conditions: blob.conditions } : {}),
  });
  let written: WriteResult;
  try {
    commit.congestion = outside;
    written = parseWriteResponse(await pipeline.execute(commit), 201);
  } catch (err) {
    throw refineIfNotExists(err, blob.conditions ?? {});
  }
  if (file?.checkpoint) await removeCheckpoint(file.checkpoint);
  return {
    bytes,
    blocks: ids.length,
    resumedBlocks: file?.resumed ?? 0,
    peakConcurrency: limiter.peak,
    concurrencyBackoffs: limiter.halvings,
    stats: statsOf(limiter.congestion, outside),
    blockSize,
    etag: written.etag,
    versionId: written.versionId,
    contentMd5,
  };
}

/** The whole source in one Put Blob, with the whole-blob MD5 added when asked for. */
export async function singlePut(
  pipeline: Pipeline,
  url: URL,
  data: Uint8Array,
  blob: PutBlobOptions,
  blobMd5: boolean | undefined,
): Promise<UploadReport> {
  const tally = new Tally();
  const contentMd5 = blobMd5 ? new Uint8Array(createHash("md5").update(data).digest()) : undefined;
  const put: PutBlobOptions = contentMd5 ? { ...blob, content: { ...blob.content, contentMd5 } } : blob;
  let written: WriteResult;
  try {
    const request = buildPutBlobRequest(url, data, put);
    request.congestion = tally;
    written = parseWriteResponse(await pipeline.execute(request), 201);
  } catch (err) {
    throw refineIfNotExists(err, put.conditions ?? {});
  }
  return {
    bytes: data.length,
    blocks: 0,
    resumedBlocks: 0,
    peakConcurrency: 1,
    concurrencyBackoffs: 0,
    stats: statsOf(tally),
    blockSize: DEFAULT_BLOCK_SIZE,
    etag: written.etag,
    versionId: written.versionId,
    contentMd5,
  };
}
