// `Pacer` (Rust `transfer/pacer.rs`): a rate cap on the bytes a whole job
// puts on the wire. A many-file job with a cap hands one pacer to every
// transfer it runs (through the job's pipeline, `job.ts`); each request body
// is paid for before it is sent, and so is each ranged Get's range: paying
// after the head arrived would leave the answer unread while the pacer waits
// (minutes, with many ranges in flight at a low cap), which the inactivity
// timer, the deadlines and the server's own timeouts punish. What the answer
// turns out not to hold (a blob shorter than the range) is given back. It is
// a token bucket with no reserve: bytes
// are paid for at the rate, one after the other, so a job of `n` bytes cannot
// end before `n / rate` seconds, and a job that paused (a slow listing) does
// not burst afterwards to catch up.

/** The monotonic time a pacer reads and waits on, in milliseconds; injectable for tests. */
export interface PacerTime {
  now(): number;
  /** Resolves after about `ms` milliseconds (possibly a little early: the pacer checks `now` again). */
  sleep(ms: number): Promise<void>;
}

/**
 * The longest one payment waits, in milliseconds: bytes beyond it at the rate
 * (an absurd length at a rate of a few bytes a second) are not waited for.
 */
export const MAX_WAIT_MS = 365 * 24 * 3600 * 1000;

/** The longest timer `setTimeout` keeps: a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

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
    const due = from + this.#timeFor(bytes);
    this.#paidUntil = due;
    // A timer may fire a fraction of a millisecond early: wait until the clock has passed `due`.
    for (let left = due - this.#time.now(); left > 0; left = due - this.#time.now()) {
      await this.#time.sleep(Math.min(Math.ceil(left), MAX_TIMER_MS));
    }
  }

  /**
   * Gives back `bytes` paid for but not sent (an answer shorter than the range
   * asked): the bytes paid for after them go that much sooner, but never
   * earlier than now.
   */
  refund(bytes: number): void {
    if (!(bytes > 0) || this.#paidUntil === undefined) return;
    this.#paidUntil = Math.max(this.#time.now(), this.#paidUntil - this.#timeFor(bytes));
  }

  /** How long `bytes` take at the rate, in milliseconds, at most `MAX_WAIT_MS`. */
  #timeFor(bytes: number): number {
    const ms = (bytes / this.#rate) * 1000;
    return Number.isFinite(ms) ? Math.min(ms, MAX_WAIT_MS) : MAX_WAIT_MS;
  }
}
