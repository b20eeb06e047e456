// `Tally`: what a transfer's requests cost, counted by the retry policy on
// every attempt. A transfer attaches one tally to each request it sends
// (`Request.congestion`); the retry policy is the one place that sees every
// attempt, including those it repeats and hides, so it counts them there.
// The adaptive concurrency limiter reads `count`; the transfer's report the rest.
// A transfer that is one file of a many-file job also counts every attempt
// in the job's tally (`parent`, Rust's `Tally::under`), so the job's limiter
// backs off when any of its files is throttled.

/** Counters shared by the requests of one transfer. */
export class Tally {
  /** Attempts answered 429 or 503, or timed out: each tells adaptive concurrency to back off. */
  count = 0;
  /** HTTP attempts sent, retries included. */
  attempts = 0;
  /** Attempts that repeated a failed one. */
  retries = 0;
  /** Attempts answered 429 (too many requests) or 503 (server busy). */
  throttled = 0;
  /** Milliseconds from each attempt's start to its answer (or failure), summed over attempts. */
  serviceMs = 0;
  /**
   * The counters of the job this transfer belongs to (a many-file job's
   * pool), which see every attempt too. A job sets it when the transfer's
   * first request passes through the job (`join`), since the engines make
   * their tallies themselves.
   */
  parent: Tally | undefined;

  /** Fresh counters whose attempts are also counted in `parent`, when there is one. */
  static under(parent: Tally | undefined): Tally {
    const tally = new Tally();
    tally.parent = parent;
    return tally;
  }

  /**
   * Makes `job` this tally's parent, unless it has one already or is `job`
   * itself (a request counted in the job's own tally), so an attempt is
   * never counted twice in the job.
   */
  join(job: Tally): void {
    if (this.parent === undefined && this !== job) this.parent = job;
  }

  /**
   * Counts one attempt that took `elapsedMs` until its answer's head (or its
   * failure); `throttled` for a 429 or 503, `congested` when it also tells
   * adaptive concurrency to back off (a throttle or a timeout).
   */
  attempt(elapsedMs: number, throttled: boolean, congested: boolean): void {
    this.attempts += 1;
    this.serviceMs += elapsedMs;
    if (throttled) this.throttled += 1;
    if (congested) this.count += 1;
    this.parent?.attempt(elapsedMs, throttled, congested);
  }

  /** Counts a decision to send an attempt again. */
  retry(): void {
    this.retries += 1;
    this.parent?.retry();
  }
}
