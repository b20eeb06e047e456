// The download engine: a first ranged GET for the size and the ETag, the rest
// with `If-Match` (so a blob that changes midway fails instead of mixing
// versions), a fixed number in flight, delivered in order to a sink; every
// answer's range checked against the range asked; the stored MD5 checked when asked.

import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { link, rename, rm, stat, utimes } from "node:fs/promises";
import type { Writable } from "node:stream";
import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import { crc64Header, crc64 as crc64Of, MAX_CRC64_RANGE } from "../ops/crc64.js";
import { checkRange, type GetOptions } from "../ops/get-blob.js";
import { BlobRange } from "../ops/models.js";
import type { BlobSelector } from "../ops/selector.js";
import { Tally } from "../wire/tally.js";
import { type Concurrency, DEFAULT_MEMORY_BUDGET, limiterFor } from "./concurrency.js";
import type { GetBlobResponse } from "./get-stream.js";
import { statsOf, type TransferStats } from "./stats.js";

/** Default bytes per ranged GET: 8 MiB. */
export const DEFAULT_CHUNK_SIZE = 8 * 1024 * 1024;

/** How a download is split and checked. */
export interface DownloadOptions {
  /** Bytes per ranged GET (default 8 MiB). */
  chunkSize?: number;
  /** Ranged GETs in flight: a number, or `"adaptive"` (the default: from 8, moved by the throughput measured). */
  concurrency?: Concurrency;
  /** The most bytes of chunk buffers an adaptive download holds (default 256 MiB): its cap is this ÷ chunkSize. */
  memoryBudget?: number;
  /** Check the blob's stored `Content-MD5` when it has one (`md5Verified` says whether a check was made). */
  verifyMd5?: boolean;
  /** Fail with `UnverifiableError`, before anything is written, when the blob has no stored MD5. */
  requireMd5?: boolean;
  /** Replace an existing file in `downloadToFile` (default true); false refuses with `AlreadyExistsError`. */
  overwrite?: boolean;
  /** A snapshot or version instead of the current blob. */
  selector?: BlobSelector;
  /**
   * Ask every range's CRC64 (`x-ms-range-get-content-crc64`) and check the
   * bytes received against it; chunks are cut to the 4 MiB the service
   * computes a CRC64 for. A mismatch is `IntegrityMismatchError` naming the
   * range; an answer without a CRC64 (Azurite sends none) is `UnverifiableError`.
   */
  verifyCrc64?: boolean;
}

/** How many times a verifying download asks a range again whose body broke off or ended early. */
const MAX_BODY_RESUMES = 5;

/** What a download did. */
export interface DownloadReport {
  bytes: number;
  chunks: number;
  etag: string;
  md5Verified: boolean;
  /** Whether every range's CRC64 was checked (`verifyCrc64`). */
  crc64Verified: boolean;
  /** The most ranges in flight at once. */
  peakConcurrency: number;
  /** How many times adaptive concurrency halved on a 429, a 503 or a timeout. */
  concurrencyBackoffs: number;
  /** What the download's requests cost: attempts, retries, throttled answers, time waiting on the service. */
  stats: TransferStats;
}

/** Reads one Get Blob (the client's `getOpts`); the engine sits below the clients. */
export interface RangeReader {
  getOpts(options: GetOptions, congestion?: Tally, rangeCrc64?: boolean): Promise<GetBlobResponse>;
}

/** Runs a download, handing each chunk in order to `sink`. */
export async function runDownload(
  blob: RangeReader,
  options: DownloadOptions,
  sink: (chunk: Uint8Array) => Promise<void> | void,
): Promise<DownloadReport> {
  const requested = options.chunkSize ?? DEFAULT_CHUNK_SIZE;
  if (!Number.isSafeInteger(requested) || requested < 1) {
    throw invalidInput(`chunkSize must be a positive integer, got ${requested}`);
  }
  const crc64 = options.verifyCrc64 === true;
  // The service computes a range's CRC64 for at most 4 MiB.
  const chunkSize = crc64 ? Math.min(requested, MAX_CRC64_RANGE) : requested;
  const budget = options.memoryBudget ?? DEFAULT_MEMORY_BUDGET;
  if (!Number.isSafeInteger(budget) || budget < 1) {
    throw invalidInput(`memoryBudget must be a positive integer, got ${budget}`);
  }
  // The cap bounds the chunks held: the budget's worth, or a fixed concurrency's.
  const cap = Math.max(1, Math.floor(budget / chunkSize));
  const limiter = limiterFor(options.concurrency, cap);
  const window = typeof options.concurrency === "number" ? Math.min(options.concurrency, cap) : cap;
  const selector = options.selector ?? {};
  const asked = BlobRange.of(0, chunkSize);
  // The first read takes no permit: its tally is kept apart, so its congestion does not halve the limit.
  const outside = new Tally();
  let first: GetBlobResponse;
  let firstBody: Uint8Array;
  try {
    if (crc64) {
      [first, firstBody] = await readVerified(blob, { range: asked, selector }, outside);
    } else {
      first = await blob.getOpts({ range: asked, selector }, outside);
      checkRange(first.head, asked);
      firstBody = await first.bytes();
    }
  } catch (err) {
    // An empty blob has no byte 0: read it whole instead.
    if (!(err instanceof AzblobError && err.kind === "InvalidRange")) throw err;
    first = await blob.getOpts({ selector }, outside);
    firstBody = await first.bytes();
  }
  const properties = first.head.properties;
  const stored = properties.content.contentMd5?.length === 16 ? properties.content.contentMd5 : undefined;
  if (options.requireMd5 && !stored) {
    throw errorOfKind("Unverifiable", {
      message: "the blob has no stored Content-MD5 (of 16 bytes), so the download cannot be verified as required",
      operation: "GetBlob",
    });
  }
  const check = (options.verifyMd5 || options.requireMd5) && stored ? createHash("md5") : undefined;
  const total = properties.contentLength;
  const ranges: BlobRange[] = [];
  for (let offset = firstBody.length; offset < total; offset += chunkSize) {
    ranges.push(BlobRange.of(offset, Math.min(chunkSize, total - offset)));
  }
  const conditions = { ifMatch: properties.etag };
  const fetchRange = async (range: BlobRange): Promise<Uint8Array> => {
    let body: Uint8Array;
    if (crc64) {
      [, body] = await readVerified(blob, { range, selector, conditions }, limiter.congestion);
    } else {
      const response = await blob.getOpts({ range, selector, conditions }, limiter.congestion);
      checkRange(response.head, range);
      body = await response.bytes();
    }
    if (body.length !== range.length) {
      throw errorOfKind("InvalidResponse", {
        message: `the service sent ${body.length} bytes for a range of ${range.length}`,
        operation: "GetBlob",
      });
    }
    return body;
  };
  check?.update(firstBody);
  await sink(firstBody);
  // A window of `concurrency` ranges in flight, delivered in order.
  const pending: Array<Promise<Uint8Array>> = [];
  let started = 0;
  const startMore = (): void => {
    while (started < ranges.length && pending.length < window) {
      const range = ranges[started++] as BlobRange;
      const promise = limiter.run(() => fetchRange(range));
      // Failures surface when their turn comes; this keeps an early one from going unhandled.
      promise.catch(() => {});
      pending.push(promise);
    }
  };
  startMore();
  while (pending.length > 0) {
    const body = await (pending.shift() as Promise<Uint8Array>);
    check?.update(body);
    await sink(body);
    startMore();
  }
  let md5Verified = false;
  if (check && stored) {
    if (!Buffer.from(check.digest()).equals(Buffer.from(stored))) {
      throw errorOfKind("IntegrityMismatch", {
        message: "the downloaded bytes do not match the blob's Content-MD5",
        operation: "GetBlob",
      });
    }
    md5Verified = true;
  }
  return {
    bytes: total,
    chunks: 1 + ranges.length,
    etag: properties.etag,
    md5Verified,
    crc64Verified: crc64,
    peakConcurrency: Math.max(1, limiter.peak),
    concurrencyBackoffs: limiter.halvings,
    stats: statsOf(limiter.congestion, outside),
  };
}

/**
 * One range read with its CRC64 asked and checked. A body that breaks off or
 * ends early is dropped and the whole range asked again (its CRC64 covers
 * the range, not the part that arrived), under `If-Match` the first answer's
 * ETag, at most {@link MAX_BODY_RESUMES} times.
 */
async function readVerified(
  blob: RangeReader,
  options: GetOptions & { range: BlobRange },
  congestion: Tally | undefined,
): Promise<[GetBlobResponse, Uint8Array]> {
  let asked = options;
  for (let failures = 0; ; failures++) {
    const response = await blob.getOpts(asked, congestion, true);
    checkRange(response.head, options.range);
    let body: Uint8Array | undefined;
    try {
      body = await response.bytes();
    } catch (err) {
      if (!(err instanceof AzblobError && err.kind === "Transport")) throw err;
    }
    if (body !== undefined && body.length >= response.head.bodyLength) {
      const start = response.head.range?.[0] ?? 0;
      checkRangeCrc64(response.head.contentCrc64, crc64Of(body), start, body.length);
      return [response, body];
    }
    if (failures >= MAX_BODY_RESUMES) {
      throw errorOfKind("Transport", {
        message: `the body of bytes ${options.range.offset}.. ended early ${failures + 1} times`,
        operation: "GetBlob",
      });
    }
    asked = { ...options, conditions: { ...options.conditions, ifMatch: response.head.properties.etag } };
  }
}

/**
 * Compares the CRC64 the service sent for a range with the one computed over
 * the bytes received: a mismatch is an integrity error naming the range, and
 * an answer without one cannot be verified.
 */
export function checkRangeCrc64(sent: bigint | undefined, computed: bigint, offset: number, length: number): void {
  const end = offset + Math.max(1, length) - 1;
  if (sent === undefined) {
    throw errorOfKind("Unverifiable", {
      message: `the service sent no (valid) CRC64 for bytes ${offset}-${end}, so they cannot be verified`,
      operation: "GetBlob",
    });
  }
  if (sent !== computed) {
    throw errorOfKind("IntegrityMismatch", {
      message: `bytes ${offset}-${end} do not match their CRC64: the service sent ${crc64Header(sent)}, the bytes received make ${crc64Header(computed)}`,
      operation: "GetBlob",
    });
  }
}

/** Writes a chunk to a Node writable, waiting for it to drain. */
export function writeTo(writer: Writable): (chunk: Uint8Array) => Promise<void> {
  return (chunk) =>
    new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(errorOfKind("Io", { message: err.message, cause: err }));
      writer.once("error", onError);
      const flushed = writer.write(chunk, () => {
        writer.off("error", onError);
        if (flushed) resolve();
      });
      if (!flushed) writer.once("drain", () => resolve());
    });
}

/**
 * Downloads into `path` through a `.partial` file (0600 while it fills)
 * renamed into place on success, removed on failure, so a failed download
 * never leaves a file under the final name. Without `overwrite`, an existing
 * file is refused (atomically: the partial file is linked, not renamed).
 * With `mtime` (nanoseconds since the epoch), the partial file is given that
 * modification time once written, before it is moved into place, so the file
 * has it when it appears (a many-file job's `FileJob.mtime`).
 */
export async function downloadToFile(
  blob: RangeReader,
  path: string,
  options: DownloadOptions,
  mtime?: bigint,
): Promise<DownloadReport> {
  const partial = `${path}.partial`;
  const out = createWriteStream(partial, { mode: 0o600, flags: "wx" });
  const opened = new Promise<void>((resolve, reject) => {
    out.once("open", () => resolve());
    out.once("error", (err) =>
      reject(errorOfKind("Io", { message: `cannot create ${partial}: ${err.message}`, cause: err })),
    );
  });
  try {
    await opened;
    const report = await runDownload(blob, options, writeTo(out));
    await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (mtime !== undefined) await setMtime(partial, path, mtime);
    if (options.overwrite === false) {
      try {
        await link(partial, path);
      } catch (err) {
        const code = (err as { code?: string }).code;
        if (code === "EEXIST") throw errorOfKind("AlreadyExists", { message: `${path} exists` });
        throw errorOfKind("Io", { message: `cannot write ${path}: ${(err as Error).message}`, cause: err });
      }
      await rm(partial, { force: true });
    } else {
      await rename(partial, path);
    }
    return report;
  } catch (err) {
    out.destroy();
    await rm(partial, { force: true });
    throw err;
  }
}

/**
 * Gives `file` (the partial file of `path`) the modification time `mtime`,
 * after its last write, which would move it again; its access time is kept.
 */
async function setMtime(file: string, path: string, mtime: bigint): Promise<void> {
  try {
    const { atime } = await stat(file);
    // Node takes seconds as a number, so the time lands to about a microsecond.
    await utimes(file, atime, Number(mtime / 1_000_000_000n) + Number(mtime % 1_000_000_000n) / 1e9);
  } catch (err) {
    throw errorOfKind("Io", { message: `cannot set the mtime of ${path}: ${(err as Error).message}`, cause: err });
  }
}
