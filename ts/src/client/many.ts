// Many small blobs at once: one Put Blob or Get Blob per blob, a fixed number
// in flight, each blob's outcome yielded as it completes.

import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind } from "../errors/kinds.js";

/** Options of `putBlobs`: blobs in flight (default 8) and how each is written. */
export interface PutBlobsOptions {
  concurrency?: number;
  blob?: import("../ops/put-blob.js").PutBlobOptions;
}

/** Options of `getBlobs`: blobs in flight (default 8). */
export interface GetBlobsOptions {
  concurrency?: number;
}

/** One blob's outcome: its value, or its typed error. */
export type ManyResult<T> = { name: string; ok: true; value: T } | { name: string; ok: false; error: AzblobError };

const DEFAULT_MANY_CONCURRENCY = 8;

/** Runs `work` on each item, `concurrency` at a time, yielding outcomes in completion order. */
export async function* runMany<I, T>(
  items: Iterable<I>,
  nameOf: (item: I) => string,
  work: (item: I) => Promise<T>,
  concurrency = DEFAULT_MANY_CONCURRENCY,
): AsyncGenerator<ManyResult<T>> {
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw errorOfKind("InvalidInput", { message: `concurrency must be at least 1, got ${concurrency}` });
  }
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
        return [id, { name, ok: true, value: await work(item) }];
      } catch (err) {
        if (!(err instanceof AzblobError)) throw err;
        return [id, { name, ok: false, error: err }];
      }
    })();
    running.set(id, promise);
    return true;
  };
  while (running.size < concurrency && start()) {}
  while (running.size > 0) {
    const [id, result] = await Promise.race(running.values());
    running.delete(id);
    yield result;
    while (running.size < concurrency && start()) {}
  }
}
