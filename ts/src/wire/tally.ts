// `Tally`: what a transfer's requests cost, counted by the retry policy on
// every attempt. A transfer attaches one tally to each request it sends
// (`Request.congestion`); the retry policy is the one place that sees every
// attempt, including those it repeats and hides, so it counts them there.
// The adaptive concurrency limiter reads `count`; the transfer's report the rest.

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
}
