// The download engine: a first ranged GET for the size and the ETag, the rest
// with `If-Match` (so a blob that changes midway fails instead of mixing
// versions), a fixed number in flight, either delivered in order to a sink
// (`runDownload`: a writer, or a file with an MD5 check) or placed where they
// belong as their chunks arrive (`runPlaced`: memory, one buffer of the blob's
// size; a file, positional writes), so that no range is held whole and
// nothing is joined at the end; every answer's range checked against the
// range asked; the stored MD5 checked when asked.

import { createHash } from "node:crypto";
import { type FileHandle, link, open, rename, rm, stat, utimes } from "node:fs/promises";
import type { Writable } from "node:stream";
import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import { crc64Header, crc64 as crc64Of, MAX_CRC64_RANGE } from "../ops/crc64.js";
import { checkRange, type GetOptions } from "../ops/get-blob.js";
import { type BlobProperties, BlobRange } from "../ops/models.js";
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

/**
 * Reads one Get Blob (the client's `getOpts`); the engine sits below the
 * clients. `into`, for a range, is where its bytes belong, offered to the
 * wire to read them straight there (`Request.bodyInto`).
 */
export interface RangeReader {
  getOpts(options: GetOptions, congestion?: Tally, rangeCrc64?: boolean, into?: Uint8Array): Promise<GetBlobResponse>;
}

/** How a download is cut and paced, from its options (validated). */
interface Plan {
  chunkSize: number;
  crc64: boolean;
  limiter: ReturnType<typeof limiterFor>;
  /** The most ranges in flight (and, for an ordered sink, held). */
  window: number;
  selector: BlobSelector;
}

function planOf(options: DownloadOptions): Plan {
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
  return { chunkSize, crc64, limiter, window, selector: options.selector ?? {} };
}

/**
 * The first read, which gives the size and the ETag: its answer, and its
 * body when it had to be read whole (a CRC64 check), else `undefined` with
 * the body still to read. An empty blob has no byte 0: it is read whole instead.
 */
async function firstRead(
  blob: RangeReader,
  plan: Plan,
  outside: Tally,
): Promise<[GetBlobResponse, Uint8Array | undefined]> {
  const asked = BlobRange.of(0, plan.chunkSize);
  const selector = plan.selector;
  try {
    if (plan.crc64) return await readVerified(blob, { range: asked, selector }, outside);
    const first = await blob.getOpts({ range: asked, selector }, outside);
    checkRange(first.head, asked);
    return [first, undefined];
  } catch (err) {
    if (!(err instanceof AzblobError && err.kind === "InvalidRange")) throw err;
    return [await blob.getOpts({ selector }, outside), undefined];
  }
}

/** The blob's stored MD5 when one is to be checked; fails when one is required and there is none. */
function md5ToCheck(properties: BlobProperties, options: DownloadOptions): Uint8Array | undefined {
  const stored = properties.content.contentMd5?.length === 16 ? properties.content.contentMd5 : undefined;
  if (options.requireMd5 && !stored) {
    throw errorOfKind("Unverifiable", {
      message: "the blob has no stored Content-MD5 (of 16 bytes), so the download cannot be verified as required",
      operation: "GetBlob",
    });
  }
  return options.verifyMd5 || options.requireMd5 ? stored : undefined;
}

function checkMd5(digest: Uint8Array, stored: Uint8Array): void {
  if (!Buffer.from(digest).equals(Buffer.from(stored))) {
    throw errorOfKind("IntegrityMismatch", {
      message: "the downloaded bytes do not match the blob's Content-MD5",
      operation: "GetBlob",
    });
  }
}

/** The ranges after the first read's `from` bytes, up to `total`. */
function rangesAfter(from: number, total: number, chunkSize: number): BlobRange[] {
  const ranges: BlobRange[] = [];
  for (let offset = from; offset < total; offset += chunkSize) {
    ranges.push(BlobRange.of(offset, Math.min(chunkSize, total - offset)));
  }
  return ranges;
}

/** A range read whole, under `If-Match` the first answer's ETag; its length checked. */
async function readRange(blob: RangeReader, plan: Plan, range: BlobRange, etag: string): Promise<Uint8Array> {
  const options = { range, selector: plan.selector, conditions: { ifMatch: etag } };
  let body: Uint8Array;
  if (plan.crc64) {
    [, body] = await readVerified(blob, options, plan.limiter.congestion);
  } else {
    const response = await blob.getOpts(options, plan.limiter.congestion);
    checkRange(response.head, range);
    body = await response.bytes();
  }
  if (body.length !== range.length) throw lengthMismatch(body.length, range.length as number);
  return body;
}

function lengthMismatch(got: number, want: number): AzblobError {
  return errorOfKind("InvalidResponse", {
    message: `the service sent ${got} bytes for a range of ${want}`,
    operation: "GetBlob",
  });
}

function reportOf(
  plan: Plan,
  properties: BlobProperties,
  ranges: number,
  md5Verified: boolean,
  outside: Tally,
): DownloadReport {
  return {
    bytes: properties.contentLength,
    chunks: 1 + ranges,
    etag: properties.etag,
    md5Verified,
    crc64Verified: plan.crc64,
    peakConcurrency: Math.max(1, plan.limiter.peak),
    concurrencyBackoffs: plan.limiter.halvings,
    stats: statsOf(plan.limiter.congestion, outside),
  };
}

/** Runs a download, handing each chunk in order to `sink`. */
export async function runDownload(
  blob: RangeReader,
  options: DownloadOptions,
  sink: (chunk: Uint8Array) => Promise<void> | void,
): Promise<DownloadReport> {
  const plan = planOf(options);
  // The first read takes no permit: its tally is kept apart, so its congestion does not halve the limit.
  const outside = new Tally();
  const [first, read] = await firstRead(blob, plan, outside);
  const firstBody = read ?? (await first.bytes());
  const properties = first.head.properties;
  const stored = md5ToCheck(properties, options);
  const check = stored ? createHash("md5") : undefined;
  const ranges = rangesAfter(firstBody.length, properties.contentLength, plan.chunkSize);
  check?.update(firstBody);
  await sink(firstBody);
  // A window of `concurrency` ranges in flight, delivered in order.
  const pending: Array<Promise<Uint8Array>> = [];
  let started = 0;
  const startMore = (): void => {
    while (started < ranges.length && pending.length < plan.window) {
      const range = ranges[started++] as BlobRange;
      const promise = plan.limiter.run(() => readRange(blob, plan, range, properties.etag));
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
  if (check && stored) checkMd5(check.digest(), stored);
  return reportOf(plan, properties, ranges.length, check !== undefined, outside);
}

/** Where a placed download puts bytes: at their offset, in any order. */
interface Placer {
  /** Puts `chunk` at `offset`; a promise when the place is written asynchronously (a file). */
  put(offset: number, chunk: Uint8Array): Promise<void> | undefined;
  /** The memory where `length` bytes from `offset` go, when it is memory: the wire may read them straight there. */
  placeOf?(offset: number, length: number): Uint8Array;
}

/**
 * Places a body from `offset` as its chunks arrive (no chunk list, no join);
 * fails unless exactly `length` bytes came, and before placing any byte past
 * `offset + length` or past the blob's `total`.
 */
async function place(
  into: Placer,
  total: number,
  offset: number,
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  length: number,
): Promise<void> {
  const end = offset + length;
  if (end > total) {
    throw errorOfKind("InvalidResponse", {
      message: `the service sent bytes up to ${end} of a blob of ${total}`,
      operation: "GetBlob",
    });
  }
  let at = offset;
  for await (const chunk of body) {
    if (at + chunk.length > end) throw lengthMismatch(at - offset + chunk.length, length);
    const written = into.put(at, chunk);
    if (written) await written;
    at += chunk.length;
  }
  if (at !== end) throw lengthMismatch(at - offset, length);
}

/**
 * A download whose ranges, in parallel, are placed where they belong as
 * their chunks arrive, into what `open` makes once the first answer gives
 * the size. The guarantees are those of {@link runDownload}: later ranges
 * under `If-Match`, broken bodies resumed, the CRC64 checked; no range is
 * held whole (except to check its CRC64), so the memory is the target's.
 */
async function runPlaced(
  blob: RangeReader,
  options: DownloadOptions,
  open: (total: number) => Placer | Promise<Placer>,
): Promise<[BlobProperties, Plan, number, Tally]> {
  const plan = planOf(options);
  const outside = new Tally();
  const [first, read] = await firstRead(blob, plan, outside);
  const properties = first.head.properties;
  md5ToCheck(properties, options);
  const total = properties.contentLength;
  const into = await open(total);
  const firstLength = read ? read.length : first.head.bodyLength;
  await place(into, total, 0, read ? [read] : first.body, firstLength);
  const ranges = rangesAfter(firstLength, total, plan.chunkSize);
  const etag = properties.etag;
  const one = async (range: BlobRange): Promise<void> => {
    const length = range.length as number;
    if (plan.crc64) {
      await place(into, total, range.offset, [await readRange(blob, plan, range, etag)], length);
      return;
    }
    const asked = { range, selector: plan.selector, conditions: { ifMatch: etag } };
    const response = await blob.getOpts(asked, plan.limiter.congestion, false, into.placeOf?.(range.offset, length));
    checkRange(response.head, range);
    await place(into, total, range.offset, response.body, length);
  };
  // `window` workers take the ranges in order; after a failure none starts another, and the first failure is thrown.
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < ranges.length) {
      const range = ranges[next++] as BlobRange;
      try {
        await plan.limiter.run(() => one(range));
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(plan.window, ranges.length) }, worker));
  if (failure) throw failure.error;
  return [properties, plan, ranges.length, outside];
}

/**
 * Downloads the whole blob into one buffer allocated once the first answer
 * gives the size, every range copied to its own place as it arrives
 * ({@link runPlaced}); the stored MD5, when asked, is checked over the result.
 */
export async function downloadToMemory(
  blob: RangeReader,
  options: DownloadOptions,
): Promise<[Uint8Array, DownloadReport]> {
  let data = new Uint8Array(0);
  const [properties, plan, ranges, outside] = await runPlaced(blob, options, (total) => {
    // Not from the shared pool, so the caller's buffer holds nothing else; every byte is written before it is returned.
    data = new Uint8Array(Buffer.allocUnsafeSlow(total).buffer, 0, total);
    return {
      put: (offset, chunk) => {
        // A wire that read the range into its place yields views of it: those bytes are already there.
        if (chunk.buffer !== data.buffer || chunk.byteOffset !== offset) data.set(chunk, offset);
        return undefined;
      },
      placeOf: (offset, length) => data.subarray(offset, offset + length),
    };
  });
  const stored = md5ToCheck(properties, options);
  if (stored) checkMd5(createHash("md5").update(data).digest(), stored);
  return [data, reportOf(plan, properties, ranges, stored !== undefined, outside)];
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

/** A failure as the library reports it: a file system error becomes `IoError`. */
function ioError(err: unknown): unknown {
  if (err instanceof AzblobError || !(err instanceof Error)) return err;
  return errorOfKind("Io", { message: err.message, cause: err });
}

/**
 * Downloads into `path` through a `.partial` file (0600 while it fills)
 * renamed into place on success, removed on failure, so a failed download
 * never leaves a file under the final name. Without `overwrite`, an existing
 * file is refused (atomically: the partial file is linked, not renamed).
 * Ranges are written at their offsets as their chunks arrive, so no range
 * is held whole; with an MD5 check, which hashes in order, they are written
 * in order as {@link runDownload} delivers them.
 *
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
  let file: FileHandle;
  try {
    file = await open(partial, "wx", 0o600);
  } catch (err) {
    throw errorOfKind("Io", { message: `cannot create ${partial}: ${(err as Error).message}`, cause: err });
  }
  try {
    let report: DownloadReport;
    // Every write at its offset, retried for what a short write left.
    const writeAt = async (offset: number, chunk: Uint8Array): Promise<void> => {
      for (let done = 0; done < chunk.length; ) {
        const { bytesWritten } = await file.write(chunk, done, chunk.length - done, offset + done);
        done += bytesWritten;
      }
    };
    if (options.verifyMd5 || options.requireMd5) {
      // The MD5 is computed in order, so a checked download writes in order.
      let position = 0;
      report = await runDownload(blob, options, async (chunk) => {
        await writeAt(position, chunk);
        position += chunk.length;
      });
    } else {
      // Ranges written where they belong as their chunks arrive: no range is held whole.
      const [properties, plan, ranges, outside] = await runPlaced(blob, options, () => ({ put: writeAt }));
      report = reportOf(plan, properties, ranges, false, outside);
    }
    await file.close();
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
    await file.close().catch(() => {});
    await rm(partial, { force: true });
    throw ioError(err);
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
