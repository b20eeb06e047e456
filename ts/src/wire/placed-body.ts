// A 2xx body that the direct GET (`direct-get.ts`) reads straight into its
// place, as its reader sees it: views of the bytes received so far.

import type { WireError } from "./wire-error.js";

/**
 * A body read into `place`: each `next()` yields a view of the bytes that
 * landed since the last one, however many socket reads filled them. No
 * queue: the socket writes where the bytes belong, so a slow reader costs
 * no memory.
 */
export class PlacedBody implements AsyncIterableIterator<Uint8Array> {
  readonly place: Uint8Array;
  /** Bytes of `place` filled; the connection moves it. */
  filled = 0;
  #yielded = 0;
  #failure: WireError | undefined;
  /** Wakes the reads waiting for bytes, the end or a failure. */
  #wake: (() => void) | undefined;
  readonly #stop: () => void;

  /** `stop` ends the connection of a body its reader gave up before it was whole. */
  constructor(place: Uint8Array, stop: () => void) {
    this.place = place;
    this.#stop = stop;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Wakes the waiting reads: bytes landed or the body ended. */
  notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** The body broke: reads from now on fail with `failure`, after the bytes already received. */
  fail(failure: WireError): void {
    this.#failure = failure;
    this.notify();
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    for (;;) {
      if (this.#yielded < this.filled) {
        const view = this.place.subarray(this.#yielded, this.filled);
        this.#yielded = this.filled;
        return { value: view, done: false };
      }
      if (this.#failure) throw this.#failure;
      if (this.filled === this.place.length) return { value: undefined, done: true };
      await new Promise<void>((resolve) => {
        // Reads made together (not awaited one by one) all wake, in the order they were made.
        const earlier = this.#wake;
        this.#wake = earlier
          ? () => {
              earlier();
              resolve();
            }
          : resolve;
      });
    }
  }

  /** A reader that stops early ends the body: the connection is closed, not reused. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    if (this.filled < this.place.length) this.#stop();
    return { value: undefined, done: true };
  }
}
