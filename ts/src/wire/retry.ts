// The retry policy repeats failed attempts that are safe and worth repeating.
// It sits outside the sign policy so every attempt is signed afresh. Decisions
// are made on types only: the transport error's kind, the HTTP status, the
// service's retry hint and the request's `idempotent` flag.

import type { Next, Policy } from "./policy.js";
import type { Request, Response } from "./request.js";
import { WireError } from "./wire-error.js";

/** How many times and how patiently failed requests are retried. */
export interface RetryOptions {
  /** Retries after the first attempt (default 3). */
  maxRetries: number;
  /** The delay before the first retry in ms; each further retry doubles it (default 400). */
  initialBackoffMs: number;
  /** The longest computed delay between two attempts in ms (default 30,000). */
  maxBackoffMs: number;
  /** The longest service-requested delay in ms; a longer hint ends the retries (default 60,000). */
  maxRetryAfterMs: number;
}

/** The defaults, as in Rust. */
export const DEFAULT_RETRY: Readonly<RetryOptions> = {
  maxRetries: 3,
  initialBackoffMs: 400,
  maxBackoffMs: 30_000,
  maxRetryAfterMs: 60_000,
};

/** Waits between attempts; injectable so tests and replays need no real sleeps. */
export interface Clock {
  sleep(ms: number): Promise<void>;
  /** Milliseconds since the epoch (for `Retry-After` dates). */
  now(): number;
}

/** The real clock. */
export const SYSTEM_CLOCK: Clock = {
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  now: () => Date.now(),
};

/** The randomness behind jitter; injectable so tests get a fixed schedule. */
export interface RetryRng {
  /** A number in `[0, 1)`. */
  nextFloat(): number;
}

/** `Math.random`, for jitter only (never for anything secret). */
export const MATH_RNG: RetryRng = { nextFloat: () => Math.random() };

/** Whether an attempt says the service or the path is overloaded: a 429 or 503, or a timeout. */
export function isCongestion(outcome: { response: Response } | { error: unknown }): boolean {
  if ("response" in outcome) return outcome.response.status === 429 || outcome.response.status === 503;
  return outcome.error instanceof WireError && outcome.error.transportKind === "timeout";
}

/** Statuses that mean "try again later". */
export function isRetryableStatus(status: number): boolean {
  switch (status) {
    case 408:
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    default:
      return false;
  }
}

/**
 * Whether to retry: `undefined` for no, `null` for after the computed
 * backoff, a number for after the service's hint in ms. A request that is not
 * idempotent is retried only when it certainly never left the client, or, if
 * its operation says a repeat cannot act twice (`repeatRefused`), after a 429
 * or 503: the service refused it before acting on it.
 */
export function retryDecision(
  outcome: { response: Response } | { error: unknown },
  idempotent: boolean,
  nowMs: number,
  repeatRefused = false,
): number | null | undefined {
  if ("error" in outcome) {
    const err = outcome.error;
    if (!(err instanceof WireError)) return undefined;
    if (err.isConnect) return null;
    if ((err.transportKind === "timeout" || err.transportKind === "io") && idempotent) return null;
    return undefined;
  }
  const response = outcome.response;
  if (idempotent && isRetryableStatus(response.status)) return retryAfterMs(response.headers, nowMs) ?? null;
  if (repeatRefused && (response.status === 429 || response.status === 503)) {
    return retryAfterMs(response.headers, nowMs) ?? null;
  }
  return undefined;
}

/** The service's requested delay: `x-ms-retry-after-ms`, else `Retry-After` in seconds or as a date. */
export function retryAfterMs(headers: Map<string, string>, nowMs: number): number | undefined {
  const ms = headers.get("x-ms-retry-after-ms")?.trim();
  if (ms !== undefined && /^\d+$/.test(ms)) return Number(ms);
  const value = headers.get("retry-after")?.trim();
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  if (Number.isNaN(at)) return undefined;
  // A date in the past means "now".
  return Math.max(0, at - nowMs);
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random. */
export function backoffMs(options: RetryOptions, retry: number, random: number): number {
  const exp = options.initialBackoffMs * 2 ** Math.min(retry, 16);
  const capped = Math.min(exp, options.maxBackoffMs);
  const half = capped / 2;
  const r = Number.isNaN(random) ? 0 : Math.min(1, Math.max(0, random));
  return half + half * r;
}

/** The retry policy with `options`, sleeping on `clock`, jittering with `rng`. */
export function retryPolicy(options: RetryOptions, clock: Clock, rng: RetryRng): Policy {
  return (request, next) => new RetryRun(request, next, options, clock, rng).attempt();
}

/**
 * One operation's attempts: each attempt is a promise handed to `settle`, and
 * a repeat chains the next attempt after the pause. Promise handlers rather
 * than an async loop, since nearly every operation ends after one attempt
 * and an async frame costs more than this object.
 */
class RetryRun {
  readonly #request: Request;
  readonly #next: Next;
  readonly #options: RetryOptions;
  readonly #clock: Clock;
  readonly #rng: RetryRng;
  #retries = 0;
  /** Whether an earlier attempt may have reached the service. */
  #sentBefore = false;
  #started = 0;

  constructor(request: Request, next: Next, options: RetryOptions, clock: Clock, rng: RetryRng) {
    this.#request = request;
    this.#next = next;
    this.#options = options;
    this.#clock = clock;
    this.#rng = rng;
  }

  attempt(): Promise<Response> {
    this.#started = performance.now();
    let pending: Promise<Response>;
    try {
      pending = this.#next(this.#request);
    } catch (error) {
      pending = Promise.reject(error);
    }
    return pending.then(
      (response) => {
        response.repeated = this.#sentBefore;
        // Most answers are final and counted by no tally: no outcome object, no decision.
        if (this.#request.congestion === undefined && !isRetryableStatus(response.status)) return response;
        return this.#settle({ response });
      },
      (error: unknown) => this.#settle({ error }),
    );
  }

  /** The outcome counted, then returned, thrown, or tried again after a pause. */
  #settle(outcome: { response: Response } | { error: unknown }): Response | Promise<Response> {
    const request = this.#request;
    const options = this.#options;
    const tally = request.congestion;
    if (tally) {
      const throttled = "response" in outcome && (outcome.response.status === 429 || outcome.response.status === 503);
      tally.attempt(performance.now() - this.#started, throttled, isCongestion(outcome));
    }
    const hint = retryDecision(outcome, request.idempotent, this.#clock.now(), request.repeatRefused === true);
    // Past the operation's deadline nothing is tried again.
    const done = hint === undefined || this.#retries >= options.maxRetries || request.signal?.aborted === true;
    if (done || (typeof hint === "number" && hint > options.maxRetryAfterMs)) {
      if ("error" in outcome) throw outcome.error;
      return outcome.response;
    }
    const delay = typeof hint === "number" ? hint : backoffMs(options, this.#retries, this.#rng.nextFloat());
    // A refused connection never carried the request; anything else may follow a service that acted.
    const connect = "error" in outcome && outcome.error instanceof WireError && outcome.error.isConnect;
    this.#sentBefore ||= !connect;
    return this.#clock.sleep(delay).then(() => {
      this.#retries += 1;
      tally?.retry();
      return this.attempt();
    });
  }
}
