// `TransferStats`: what a transfer's requests cost, for its report.

import type { Tally } from "../wire/tally.js";

/**
 * The requests a transfer sent and how the service answered them, from the
 * retry policy's count of every attempt (the ones it repeats included). Many
 * retries or throttled answers say the account or the path is overloaded
 * long before a transfer fails.
 */
export interface TransferStats {
  /** HTTP requests sent, each attempt counted, retries included. */
  requests: number;
  /** Attempts that repeated a failed one. */
  retries: number;
  /** Attempts the service answered 429 (too many requests) or 503 (server busy). */
  throttled: number;
  /**
   * Milliseconds from each attempt's start to its answer (for a streamed Get
   * Blob, its head) or its failure, summed over attempts: requests in
   * parallel add up, so this can exceed the transfer's own duration.
   */
  serviceTime: number;
}

/** The totals of `tallies` (a transfer's limiter's and its requests outside the limiter). */
export function statsOf(...tallies: Tally[]): TransferStats {
  const sum = (f: (t: Tally) => number) => tallies.reduce((n, t) => n + f(t), 0);
  return {
    requests: sum((t) => t.attempts),
    retries: sum((t) => t.retries),
    throttled: sum((t) => t.throttled),
    serviceTime: sum((t) => t.serviceMs),
  };
}
