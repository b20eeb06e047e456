// Many small blobs at once: one Put Blob or Get Blob per blob, a fixed number
// in flight, each blob's outcome yielded as it completes.

import { AzblobError } from "../errors/azblob-error.js";
import { type Concurrency, limiterFor, SMALL_BLOB_CAP, SMALL_BLOB_START } from "../transfer/concurrency.js";
import type { Tally } from "../wire/tally.js";

/** Options of `putBlobs`: blobs in flight (default adaptive, at most 256) and how each is written. */
export interface PutBlobsOptions {
  concurrency?: Concurrency;
  blob?: import("../ops/put-blob.js").PutBlobOptions;
}

/** Options of `getBlobs`: blobs in flight (default adaptive, at most 256). */
export interface GetBlobsOptions {
  concurrency?: Concurrency;
}

/** One blob's outcome: its value, or its typed error. */
export type ManyResult<T> = { name: string; ok: true; value: T } | { name: string; ok: false; error: AzblobError };

/** Runs `work` on each item through the concurrency's permits, yielding outcomes in completion order. */
export async function* runMany<I, T>(
  items: Iterable<I>,
  nameOf: (item: I) => string,
  work: (item: I, congestion: Tally) => Promise<T>,
  concurrency: Concurrency = "adaptive",
): AsyncGenerator<ManyResult<T>> {
  const limiter = limiterFor(concurrency, SMALL_BLOB_CAP, SMALL_BLOB_START);
  // Items are taken up to the cap; the limiter decides how many of them run.
  const cap = typeof concurrency === "number" ? concurrency : SMALL_BLOB_CAP;
  const iterator = items[Symbol.iterator]();
  const running = new Map<number, Promise<[number, ManyResult<T>]>>();
  let next = 0;
  const start = (): boolean => {
    const step = iterator.next();
    if (step.done) return false;
    const id = next++;
    const name = nameOf(step.value);
    const item = step.value;
    const promise = (async (): Promise<[number, ManyResult<T>]> => {
      try {
        return [id, { name, ok: true, value: await limiter.run(() => work(item, limiter.congestion)) }];
      } catch (err) {
        if (!(err instanceof AzblobError)) throw err;
        return [id, { name, ok: false, error: err }];
      }
    })();
    running.set(id, promise);
    return true;
  };
  while (running.size < cap && start()) {}
  while (running.size > 0) {
    const [id, result] = await Promise.race(running.values());
    running.delete(id);
    yield result;
    while (running.size < cap && start()) {}
  }
}
