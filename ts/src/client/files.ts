// Many local files at once (Rust `client/files.rs`): `uploadFiles` and
// `downloadFiles`, a pool of file transfers that share one concurrency budget
// (the limiter of `transfer/concurrency.ts`, one permit per file) and one byte
// budget (a semaphore counted in KiB), each file through the existing
// engines: a small file is one Put Blob or one ranged Get, a large one
// parallel blocks. Jobs are pulled from their iterable only as places free
// up, so a walk or a listing that feeds the pool is read lazily.
//
// Every file's requests go through the job's pipeline (`transfer/job.ts`):
// they are counted in the job limiter's tally too, so a 429, a 503 or a
// timeout met by any file halves the job's limit, as it halves a single
// transfer's, and a rate cap is a `Pacer` every request body and Get body
// pays into.

import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import type { Conditions } from "../ops/conditions.js";
import type { Metadata } from "../ops/models.js";
import { type Concurrency, DEFAULT_MEMORY_BUDGET, type Limiter, limiterFor } from "../transfer/concurrency.js";
import { DEFAULT_CHUNK_SIZE, type DownloadOptions, downloadToFile } from "../transfer/download.js";
import { jobPipeline } from "../transfer/job.js";
import { Pacer } from "../transfer/pacer.js";
import type { TransferStats } from "../transfer/stats.js";
import { DEFAULT_BLOCK_SIZE, type UploadOptions } from "../transfer/upload.js";
import { BlobClient } from "./blob-client.js";
import { INNER, RANGE_READER } from "./service-inner.js";

/**
 * The metadata key under which `uploadFilesOpts` stores a local file's
 * modification time (`keepMtime`), as seconds since the Unix epoch with nine
 * decimals (`1700000000.123456789`), and from which {@link mtimeFromMetadata}
 * reads it back. The same key and format as the Rust library's.
 */
export const MTIME_METADATA_KEY = "azblob_mtime";

/** The most files in flight at once; each is one request when small. */
const MAX_FILES_IN_FLIGHT = 256;

/** The unit the byte budget is counted in, as in Rust (where it keeps budgets within a `u32`). */
const BUDGET_UNIT = 1024;

const NANOS = 1_000_000_000n;
/** The largest number of seconds a Rust `SystemTime` holds on the platforms it runs on (an `i64`). */
const MAX_SECONDS = (1n << 63n) - 1n;

/** One local file and the blob it is written to or read from. */
export interface FileJob {
  /** The local file. */
  path: string;
  /** The blob's name in the container. */
  name: string;
  /** The file's size when known beforehand (a listing's size for a download), which sizes its share of the byte budget. */
  size?: number;
  /**
   * The modification time to give the local file after a download, in
   * nanoseconds since the Unix epoch (what {@link mtimeFromMetadata}
   * returns); ignored by uploads. Node sets it through a `number` of
   * seconds, so it lands to about a microsecond.
   */
  mtime?: bigint;
  /** A checkpoint file that makes this file's block upload resumable (`UploadOptions.checkpoint`); ignored by downloads. */
  checkpoint?: string;
  /**
   * Conditions on this file's blob write, in place of the options'
   * `upload.blob.conditions`: `ifNotExists()` for a file whose blob a
   * listing did not show, so that a blob which appeared since is not
   * replaced unseen, or `ifMatch(etag)` for one that replaces a version it
   * has compared with. Ignored by downloads.
   */
  conditions?: Conditions;
}

/** Options of `ContainerClient.uploadFilesOpts`. */
export interface UploadFilesOptions {
  /** Files in flight: a number, or `"adaptive"` (the default, at most 256). */
  concurrency?: Concurrency;
  /**
   * The most bytes the whole job holds in buffers at once (default 256 MiB):
   * a small file holds its size while it is sent, a large one a quarter of
   * the budget (at least one block) for its blocks.
   */
  memoryBudget?: number;
  /**
   * How each file is sent and what its blob is written with (block size,
   * MD5s, content headers, metadata, tier, conditions, `resume`). Its
   * `concurrency`, `memoryBudget`, `singlePutMax` and `checkpoint` are set
   * per file by the pool: files up to one block go in one Put Blob.
   */
  upload?: UploadOptions;
  /** Store each file's modification time in its blob's metadata under {@link MTIME_METADATA_KEY} (default true). */
  keepMtime?: boolean;
  /**
   * Cap on the job's rate in bytes per second (default none): every request
   * body of every file (a Put Blob, a block) waits until its bytes fit the
   * rate, after those sent before it, so a job of `n` bytes takes at least
   * `n / cap` seconds.
   */
  maxBytesPerSecond?: number;
}

/** Options of `ContainerClient.downloadFilesOpts`. */
export interface DownloadFilesOptions {
  /** Files in flight: a number, or `"adaptive"` (the default, at most 256). */
  concurrency?: Concurrency;
  /** The most bytes the whole job holds in buffers at once (default 256 MiB), shared as for uploads. */
  memoryBudget?: number;
  /** How each blob is read (chunk size, MD5 check, `overwrite`); its `concurrency` and `memoryBudget` are set per file by the pool. */
  download?: DownloadOptions;
  /**
   * Cap on the job's rate in bytes per second, as for uploads: each ranged
   * Get's body is paid for once its answer's head gives its length, before
   * it is read.
   */
  maxBytesPerSecond?: number;
}

/** What one file of a job moved. */
export interface FileReport {
  /** Bytes transferred. */
  bytes: number;
  /** Blocks a resumed upload found already staged and did not send again. */
  resumedBlocks: number;
  /** The requests sent, retries, throttled answers and time waiting on the service. */
  stats: TransferStats;
  /**
   * How many times the job's shared concurrency had been halved, when this
   * file ended, because a request of any of its files was answered 429 or
   * 503 or timed out: the last file's figure is the job's.
   */
  jobConcurrencyBackoffs: number;
}

/** One file's outcome: its report, or its typed error. */
export type FileResult =
  | { job: FileJob; ok: true; value: FileReport }
  | { job: FileJob; ok: false; error: AzblobError };

/** The jobs of a many-file transfer: any iterable, or an async one (a walk, a listing). */
export type FileJobs = Iterable<FileJob> | AsyncIterable<FileJob>;

/**
 * The modification time stored under {@link MTIME_METADATA_KEY}, in
 * nanoseconds since the Unix epoch, if there is one that parses (as Rust
 * reads it: whole seconds, then at most nine decimals).
 */
export function mtimeFromMetadata(metadata: Metadata): bigint | undefined {
  const text = metadata[MTIME_METADATA_KEY];
  if (text === undefined) return undefined;
  const dot = text.indexOf(".");
  const [secs, frac] = dot < 0 ? [text, ""] : [text.slice(0, dot), text.slice(dot + 1)];
  // Rust's `u64` parse takes an optional leading `+`, then digits only.
  if (!/^\+?[0-9]+$/.test(secs) || frac.length > 9 || !/^[0-9]*$/.test(frac)) return undefined;
  const seconds = BigInt(secs.replace("+", ""));
  if (seconds > MAX_SECONDS) return undefined;
  return seconds * NANOS + BigInt(frac.padEnd(9, "0") || "0");
}

/** The text {@link mtimeFromMetadata} reads; times before the epoch are not stored. */
export function mtimeText(nanos: bigint): string | undefined {
  if (nanos < 0n) return undefined;
  return `${nanos / NANOS}.${(nanos % NANOS).toString().padStart(9, "0")}`;
}

/** An I/O error on a local path, its cause in the message. */
function ioError(what: string, err: unknown): AzblobError {
  return errorOfKind("Io", { message: `${what}: ${(err as Error).message}`, cause: err });
}

/** A counting semaphore whose waiters are served in order. */
class Semaphore {
  #free: number;
  readonly #queue: Array<[number, () => void]> = [];

  constructor(units: number) {
    this.#free = units;
  }

  /** Takes `n` units once they are free (in arrival order); the returned function gives them back. */
  async acquire(n: number): Promise<() => void> {
    if (this.#queue.length > 0 || this.#free < n) {
      await new Promise<void>((resolve) => this.#queue.push([n, resolve]));
    } else {
      this.#free -= n;
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#free += n;
      for (let head = this.#queue[0]; head && head[0] <= this.#free; head = this.#queue[0]) {
        this.#queue.shift();
        this.#free -= head[0];
        head[1]();
      }
    };
  }
}

/** The budgets every file of one job draws from. */
export class FilePool {
  readonly #files: Limiter;
  readonly #bytes: Semaphore;
  /** The budget's size in units, the most one file may take. */
  readonly #units: number;
  /** A large file's share of the budget, in bytes. */
  readonly largeShare: number;
  /** The rate cap, when there is one, which every file's requests pay into. */
  readonly #pacer: Pacer | undefined;

  /** The pool, or an `InvalidInputError` for a bad concurrency, budget or rate. */
  constructor(concurrency: Concurrency | undefined, memoryBudget: number | undefined, unit: number, rate?: number) {
    this.#files = limiterFor(concurrency, MAX_FILES_IN_FLIGHT);
    if (rate !== undefined && (!Number.isSafeInteger(rate) || rate < 1)) {
      throw invalidInput(`a rate cap must be at least 1 byte per second, got ${rate}`);
    }
    const budget = memoryBudget ?? DEFAULT_MEMORY_BUDGET;
    if (!Number.isSafeInteger(budget) || budget < 1) {
      throw invalidInput(`the memory budget of a many-file job must be at least 1 byte, got ${budget}`);
    }
    this.#units = Math.min(Math.max(Math.ceil(budget / BUDGET_UNIT), 1), 0x7fff_ffff);
    this.#bytes = new Semaphore(this.#units);
    this.largeShare = Math.min(Math.max(Math.floor(budget / 4), unit), Math.max(budget, unit));
    this.#pacer = rate === undefined ? undefined : new Pacer(rate);
  }

  /** How many times the job's limit was halved so far. */
  get halvings(): number {
    return this.#files.halvings;
  }

  /**
   * The client of one file's blob for its transfer: its requests counted in
   * the job's tally (so the job's limiter sees their throttling) and paced
   * by the job's cap.
   */
  blob(client: BlobClient): BlobClient {
    const inner = client[INNER]();
    const pipeline = jobPipeline(inner.pipeline, this.#files.congestion, this.#pacer);
    return new BlobClient({ ...inner, pipeline }, client.containerName, client.name);
  }

  /** Runs `work` once the file has a place and `charge` bytes of budget. */
  async run<T>(charge: number, work: () => Promise<T>): Promise<T> {
    const place = await this.#files.acquire();
    try {
      const units = Math.min(Math.max(Math.ceil(charge / BUDGET_UNIT), 1), this.#units);
      const bytes = await this.#bytes.acquire(units);
      try {
        return await work();
      } finally {
        bytes();
      }
    } finally {
      place();
    }
  }
}

/** How many jobs are taken ahead of the limiter: the fixed number, or the cap. */
function feedCap(concurrency: Concurrency | undefined): number {
  return typeof concurrency === "number" && Number.isSafeInteger(concurrency) && concurrency >= 1
    ? Math.min(concurrency, MAX_FILES_IN_FLIGHT)
    : MAX_FILES_IN_FLIGHT;
}

/**
 * Runs `work` on each job, at most `cap` taken from `jobs` at a time, and
 * yields each outcome as it completes. With no pool (its options were
 * invalid), every job fails with that error, and nothing is sent.
 */
async function* runFiles(
  jobs: FileJobs,
  pool: FilePool | AzblobError,
  cap: number,
  work: (job: FileJob, pool: FilePool) => Promise<FileReport>,
): AsyncGenerator<FileResult> {
  const iterator =
    Symbol.asyncIterator in jobs ? jobs[Symbol.asyncIterator]() : (jobs as Iterable<FileJob>)[Symbol.iterator]();
  const running = new Map<number, Promise<[number, FileResult]>>();
  let next = 0;
  let done = false;
  const start = async (): Promise<void> => {
    const step = await iterator.next();
    if (step.done) {
      done = true;
      return;
    }
    const id = next++;
    const job = step.value;
    const promise = (async (): Promise<[number, FileResult]> => {
      try {
        if (pool instanceof AzblobError) throw invalidInput(pool.message);
        return [id, { job, ok: true, value: await work(job, pool) }];
      } catch (err) {
        if (!(err instanceof AzblobError)) throw err;
        return [id, { job, ok: false, error: err }];
      }
    })();
    running.set(id, promise);
  };
  const fill = async (): Promise<void> => {
    while (!done && running.size < (pool instanceof AzblobError ? 1 : cap)) await start();
  };
  await fill();
  while (running.size > 0) {
    const [id, result] = await Promise.race(running.values());
    running.delete(id);
    yield result;
    await fill();
  }
}

/** The pool of a job's options, or the `InvalidInputError` that fails each of its files. */
function poolOf(concurrency: Concurrency | undefined, budget: number | undefined, unit: number, rate?: number) {
  try {
    return new FilePool(concurrency, budget, unit, rate);
  } catch (err) {
    if (err instanceof AzblobError) return err;
    throw err;
  }
}

/** The engine behind `ContainerClient.uploadFilesOpts`. */
export function uploadFiles(
  blob: (name: string) => BlobClient,
  jobs: FileJobs,
  options: UploadFilesOptions,
): AsyncIterable<FileResult> {
  const block = Math.max(options.upload?.blockSize ?? DEFAULT_BLOCK_SIZE, 1);
  const pool = poolOf(options.concurrency, options.memoryBudget, block, options.maxBytesPerSecond);
  return runFiles(jobs, pool, feedCap(options.concurrency), (job, pool) => uploadOne(blob, job, options, pool));
}

/** The engine behind `ContainerClient.downloadFilesOpts`. */
export function downloadFiles(
  blob: (name: string) => BlobClient,
  jobs: FileJobs,
  options: DownloadFilesOptions,
): AsyncIterable<FileResult> {
  const chunk = Math.max(options.download?.chunkSize ?? DEFAULT_CHUNK_SIZE, 1);
  const pool = poolOf(options.concurrency, options.memoryBudget, chunk, options.maxBytesPerSecond);
  return runFiles(jobs, pool, feedCap(options.concurrency), (job, pool) => downloadOne(blob, job, options, pool));
}

/** Sends one file: a small one whole in one Put Blob, a large one in blocks within its share of the budget. */
async function uploadOne(
  blob: (name: string) => BlobClient,
  job: FileJob,
  options: UploadFilesOptions,
  pool: FilePool,
): Promise<FileReport> {
  let meta: Awaited<ReturnType<typeof statBig>>;
  try {
    meta = await statBig(job.path);
  } catch (err) {
    throw ioError(`cannot read ${job.path}`, err);
  }
  if (!meta.isFile()) throw invalidInput(`${job.path} is not a regular file`);
  const size = Number(meta.size);
  const upload: UploadOptions = { ...options.upload };
  const block = Math.max(upload.blockSize ?? DEFAULT_BLOCK_SIZE, 1);
  const small = size <= block;
  upload.singlePutMax = block;
  if (job.checkpoint === undefined) delete upload.checkpoint;
  else upload.checkpoint = job.checkpoint;
  upload.memoryBudget = Math.max(pool.largeShare, block);
  upload.concurrency = "adaptive";
  if (job.conditions !== undefined) upload.blob = { ...upload.blob, conditions: job.conditions };
  if (options.keepMtime ?? true) {
    const text = mtimeText(meta.mtimeNs);
    if (text !== undefined) {
      upload.blob = { ...upload.blob, metadata: { ...upload.blob?.metadata, [MTIME_METADATA_KEY]: text } };
    }
  }
  const charge = small ? size : pool.largeShare;
  const client = pool.blob(blob(job.name));
  const report = await pool.run(charge, () => client.uploadOpts({ file: job.path }, upload));
  return {
    bytes: report.bytes,
    resumedBlocks: report.resumedBlocks,
    stats: report.stats,
    jobConcurrencyBackoffs: pool.halvings,
  };
}

/** Reads one blob into its file, which has the job's mtime when it appears. */
async function downloadOne(
  blob: (name: string) => BlobClient,
  job: FileJob,
  options: DownloadFilesOptions,
  pool: FilePool,
): Promise<FileReport> {
  const download: DownloadOptions = { ...options.download };
  const chunk = Math.max(download.chunkSize ?? DEFAULT_CHUNK_SIZE, 1);
  const charge = job.size === undefined ? chunk : Math.min(job.size, pool.largeShare);
  download.memoryBudget = Math.max(pool.largeShare, chunk);
  download.concurrency = "adaptive";
  if (options.maxBytesPerSecond !== undefined && job.size !== undefined && job.size >= 1 && job.size < chunk) {
    // A paced Get pays for the range it asks before it is sent: a small blob
    // asks its listed size, not a whole chunk it would be refunded only after
    // waiting for it.
    download.chunkSize = job.size;
  }
  const parent = dirname(job.path);
  try {
    await mkdir(parent, { recursive: true });
  } catch (err) {
    throw ioError(`cannot create ${parent}`, err);
  }
  const reader = pool.blob(blob(job.name))[RANGE_READER]();
  // The mtime goes on the temporary file before it is moved into place.
  const report = await pool.run(charge, () => downloadToFile(reader, job.path, download, job.mtime));
  return { bytes: report.bytes, resumedBlocks: 0, stats: report.stats, jobConcurrencyBackoffs: pool.halvings };
}

/** `stat` with nanosecond times. */
function statBig(path: string) {
  return stat(path, { bigint: true });
}
