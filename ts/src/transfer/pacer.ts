// `Pacer` (Rust `transfer/pacer.rs`): a rate cap on the bytes a whole job
// puts on the wire. A many-file job with a cap hands one pacer to every
// transfer it runs (through the job's pipeline, `job.ts`); each request body
// is paid for before it is sent, and each Get's body once its head says how
// long it is, before it is read. It is a token bucket with no reserve: bytes
// are paid for at the rate, one after the other, so a job of `n` bytes cannot
// end before `n / rate` seconds, and a job that paused (a slow listing) does
// not burst afterwards to catch up.

/** The monotonic time a pacer reads and waits on, in milliseconds; injectable for tests. */
export interface PacerTime {
  now(): number;
  /** Resolves after about `ms` milliseconds (possibly a little early: the pacer checks `now` again). */
  sleep(ms: number): Promise<void>;
}

/** `performance.now()` and `setTimeout`. */
const MONOTONIC: PacerTime = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** The job's shared rate cap. */
export class Pacer {
  /** Bytes per second. */
  readonly #rate: number;
  readonly #time: PacerTime;
  /** When the bytes paid for so far are all sent at the rate. */
  #paidUntil: number | undefined;

  /** A pacer letting `rate` bytes a second through (at least 1). */
  constructor(rate: number, time: PacerTime = MONOTONIC) {
    this.#rate = Math.max(1, rate);
    this.#time = time;
  }

  /** Waits until `bytes` more fit the rate: the time they take at the rate, after every byte paid for before them. */
  async pay(bytes: number): Promise<void> {
    if (bytes <= 0) return;
    const now = this.#time.now();
    const from = this.#paidUntil !== undefined && this.#paidUntil > now ? this.#paidUntil : now;
    const due = from + (bytes / this.#rate) * 1000;
    this.#paidUntil = due;
    // A timer may fire a fraction of a millisecond early: wait until the clock has passed `due`.
    for (let left = due - this.#time.now(); left > 0; left = due - this.#time.now()) {
      await this.#time.sleep(Math.ceil(left));
    }
  }
}
