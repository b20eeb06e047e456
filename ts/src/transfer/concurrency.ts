// Adaptive concurrency (Rust `transfer/concurrency.rs`): a pure controller
// that finds how many requests to keep in flight from the throughput they
// bring, and the limiter whose permits each request takes. In short: start
// at 8 (many small blobs at 16); measure completions per window (at least
// the limit's completions and 10 ms; the window after each change is not
// measured); warm up at the start level while its throughput still rises;
// double while throughput grows by
// more than 25% and each request does not take 1.5 times as long (Little's
// law: on a saturated link a gain that comes with longer requests is noise);
// settle on the smallest level within 5% of the best; probe upwards
// additively; raise no level (neither double nor probe) while, over the last
// 10 ticks or more, the machine's CPUs were at least 90% busy and at least
// half of that was this process (`CpuWatch`, read as windows close; slow
// start measures the level again and doubles once they are not); halve
// on a 429, a 503 or a timeout, at most once per window; never above the cap
// (the memory budget ÷ the block size, or 256 small blobs).

import { invalidInput } from "../errors/kinds.js";
import { Tally } from "../wire/tally.js";
import { CpuWatch, readCpuTimes } from "./cpu-load.js";

/** Where an adaptive transfer starts. */
export const ADAPTIVE_START = 8;
/** The cap of many small blobs at once. */
export const SMALL_BLOB_CAP = 256;
/** Where many small blobs start (Rust `SMALL_BLOB_START`): their buffers cost little, and at 10 ms a round trip each doubling from 8 costs two windows. */
export const SMALL_BLOB_START = 16;
const MIN_WINDOW = 4;
const MIN_WINDOW_TIME_MS = 10;
const GROWTH = 0.25;
const SATURATED = 1.5;
const NEAR_BEST = 0.95;
const WARM_UP_MAX = 4;
const HOLD_WINDOWS = 8;

/** What a change of the limit was, for tests. */
export type Change = "double" | "settle" | "probe" | "revert" | "halve";

type Phase =
  | { kind: "warm-up"; last: number | undefined; windows: number }
  | { kind: "slow-start"; previous: [number, number] | undefined; again: boolean }
  | { kind: "baseline" }
  | { kind: "probe"; from: number; base: number }
  | { kind: "hold"; windows: number };

interface Window {
  start: number;
  done: number;
  busy: number;
  saturated: boolean;
  halved: boolean;
}

/** The pure controller: time is passed in, in ms. */
export class Controller {
  #limit: number;
  readonly #cap: number;
  #phase: Phase = { kind: "warm-up", last: undefined, windows: 0 };
  #window: Window;
  inFlight = 0;
  #peak = 0;
  #halvings = 0;
  #settling = true;
  /** (level, best throughput, best latency) of the levels slow start tried. */
  #levels: Array<[number, number, number]> = [];
  readonly trace: Array<[Change, number]> = [];
  readonly #cpu: CpuWatch | undefined;

  /** A controller from `start` (within 1..cap); `cpu` watches the CPUs as windows close (none: throughput alone decides). */
  constructor(start: number, cap: number, nowMs: number, cpu?: CpuWatch) {
    this.#cap = Math.max(1, cap);
    this.#limit = Math.min(Math.max(start, 1), this.#cap);
    this.#window = { start: nowMs, done: 0, busy: 0, saturated: false, halved: false };
    this.#cpu = cpu;
  }

  /** Whether this process kept the CPUs busy over the last span that tells. */
  #cpuBound(): boolean {
    return this.#cpu?.bound ?? false;
  }

  get limit(): number {
    return this.#limit;
  }

  get peak(): number {
    return this.#peak;
  }

  get halvings(): number {
    return this.#halvings;
  }

  /** Whether it watches the CPUs. */
  get readsCpu(): boolean {
    return this.#cpu !== undefined;
  }

  started(): void {
    this.inFlight += 1;
    this.#peak = Math.max(this.#peak, this.inFlight);
    if (this.inFlight >= this.#limit) this.#window.saturated = true;
  }

  completed(nowMs: number, tookMs: number): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
    this.#window.done += 1;
    this.#window.busy += tookMs / 1000;
    const elapsed = Math.max(0, nowMs - this.#window.start);
    if (this.#window.done >= Math.max(this.#limit, MIN_WINDOW) && elapsed >= MIN_WINDOW_TIME_MS) {
      const seconds = Math.max(elapsed / 1000, 1e-9);
      const throughput = this.#window.done / seconds;
      const latency = this.#window.busy / this.#window.done;
      const measure = this.#window.saturated && !this.#settling;
      this.#settling = false;
      this.#openWindow(nowMs);
      this.#cpu?.sample();
      if (measure) this.#measured(throughput, latency);
    }
  }

  congested(nowMs: number): void {
    if (this.#window.halved) return;
    this.#halvings += 1;
    this.#set("halve", Math.max(1, Math.floor(this.#limit / 2)));
    this.#levels = [];
    this.#phase = { kind: "baseline" };
    this.#openWindow(nowMs);
    this.#window.halved = true;
  }

  #openWindow(nowMs: number): void {
    this.#window = { start: nowMs, done: 0, busy: 0, saturated: this.inFlight >= this.#limit, halved: false };
  }

  #set(change: Change, limit: number): void {
    const clamped = Math.min(Math.max(limit, 1), this.#cap);
    if (clamped !== this.#limit) {
      this.#settling = true;
      if (this.trace.length < 256) this.trace.push([change, clamped]);
    }
    this.#limit = clamped;
  }

  #measured(throughput: number, latency: number): void {
    const phase = this.#phase;
    switch (phase.kind) {
      case "warm-up":
        if (phase.windows + 1 < WARM_UP_MAX && (phase.last === undefined || throughput > phase.last * (1 + GROWTH))) {
          this.#phase = { kind: "warm-up", last: throughput, windows: phase.windows + 1 };
        } else {
          this.#phase = { kind: "slow-start", previous: undefined, again: false };
          this.#measured(throughput, latency);
        }
        return;
      case "slow-start": {
        // A level's best window counts: the first one after a change still carries the level before's requests.
        const last = this.#levels[this.#levels.length - 1];
        let level: [number, number];
        if (last && last[0] === this.#limit) {
          last[1] = Math.max(last[1], throughput);
          last[2] = Math.min(last[2], latency);
          level = [last[1], last[2]];
        } else {
          this.#levels.push([this.#limit, throughput, latency]);
          level = [throughput, latency];
        }
        // A gain counts only if each request did not take much longer (Little's law).
        const saturated = phase.previous !== undefined && level[1] >= phase.previous[1] * SATURATED;
        const grew = (phase.previous === undefined || level[0] > phase.previous[0] * (1 + GROWTH)) && !saturated;
        // Its throughput is not to be believed, so it cannot be the level the plateau settles on either.
        if (saturated && phase.again) this.#levels.pop();
        const room = grew && this.#limit < this.#cap;
        if (room && this.#cpuBound()) {
          // Not while the CPUs are this process's: measure this level again, and double once they are not.
          this.#phase = { kind: "slow-start", previous: phase.previous, again: false };
        } else if (room) {
          this.#set("double", this.#limit * 2);
          this.#phase = { kind: "slow-start", previous: level, again: false };
        } else if (!grew && !phase.again) {
          // One more window at this level before calling it a plateau.
          this.#phase = { kind: "slow-start", previous: phase.previous, again: true };
        } else {
          const best = this.#levels.reduce((m, l) => Math.max(m, l[1]), 0);
          const near = this.#levels.filter((l) => l[1] >= best * NEAR_BEST).map((l) => l[0]);
          this.#set("settle", near.length > 0 ? Math.min(...near) : this.#limit);
          this.#phase = { kind: "hold", windows: 0 };
        }
        return;
      }
      case "baseline":
        this.#probe(throughput);
        return;
      case "probe": {
        const step = (this.#limit - phase.from) / phase.from;
        if (throughput >= phase.base * (1 + step / 2)) {
          this.#probe(throughput);
        } else {
          this.#set("revert", phase.from);
          this.#phase = { kind: "hold", windows: 0 };
        }
        return;
      }
      case "hold":
        if (phase.windows + 1 >= HOLD_WINDOWS) this.#probe(throughput);
        else this.#phase = { kind: "hold", windows: phase.windows + 1 };
        return;
    }
  }

  #probe(base: number): void {
    if (this.#limit >= this.#cap || this.#cpuBound()) {
      this.#phase = { kind: "hold", windows: 0 };
      return;
    }
    const from = this.#limit;
    this.#set("probe", from + Math.max(1, Math.floor(from / 8)));
    this.#phase = { kind: "probe", from, base };
  }
}

/**
 * The permits requests take before they send: `limit` at once, the limit
 * moved by the controller (adaptive) or fixed. A 429, a 503 or a timeout seen
 * by any attempt (`congestion`, bumped by the retry policy) halves an adaptive limit.
 */
export class Limiter {
  readonly #controller: Controller;
  readonly #adaptive: boolean;
  readonly #queue: Array<() => void> = [];
  /** The tally the limiter's requests carry: the retry policy counts their attempts, and their congestion halves an adaptive limit. */
  readonly congestion = new Tally();
  #seen = 0;

  private constructor(controller: Controller, adaptive: boolean) {
    this.#controller = controller;
    this.#adaptive = adaptive;
  }

  /** An adaptive limiter starting at `start` (8 unless asked), never above `cap`. */
  static adaptive(cap: number, start = ADAPTIVE_START): Limiter {
    return new Limiter(new Controller(start, cap, performance.now(), new CpuWatch(readCpuTimes)), true);
  }

  /** A limiter of `n` at once, whatever happens. */
  static fixed(n: number): Limiter {
    return new Limiter(new Controller(n, n, performance.now()), false);
  }

  get peak(): number {
    return this.#controller.peak;
  }

  get halvings(): number {
    return this.#controller.halvings;
  }

  get limit(): number {
    return this.#controller.limit;
  }

  /** Whether the controller watches the CPUs (an adaptive limiter). */
  get readsCpu(): boolean {
    return this.#controller.readsCpu;
  }

  /** A permit, once one is free; call the returned function (once) to give it back. */
  async acquire(): Promise<() => void> {
    if (this.#queue.length > 0 || this.#controller.inFlight >= this.#controller.limit) {
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else {
      this.#controller.started();
    }
    const started = performance.now();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release(started);
    };
  }

  /** Runs `work` once a permit is free, and gives the permit back after it. */
  async run<T>(work: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await work();
    } finally {
      release();
    }
  }

  #release(started: number): void {
    const now = performance.now();
    this.#controller.completed(now, now - started);
    if (this.congestion.count > this.#seen) {
      this.#seen = this.congestion.count;
      if (this.#adaptive) this.#controller.congested(now);
    }
    while (this.#controller.inFlight < this.#controller.limit) {
      const next = this.#queue.shift();
      if (!next) break;
      this.#controller.started();
      next();
    }
  }
}

/** How many requests a transfer keeps in flight: a fixed number, or adaptive (the default). */
export type Concurrency = number | "adaptive";

/** The default memory budget of an adaptive transfer's block or chunk buffers: 256 MiB. */
export const DEFAULT_MEMORY_BUDGET = 256 * 1024 * 1024;

/** The limiter of `concurrency`, never above `cap`; a bad value is an `InvalidInputError`. */
export function limiterFor(concurrency: Concurrency | undefined, cap: number, start = ADAPTIVE_START): Limiter {
  if (concurrency === undefined || concurrency === "adaptive") return Limiter.adaptive(cap, start);
  if (!Number.isSafeInteger(concurrency) || concurrency < 1) {
    throw invalidInput(`concurrency must be at least 1 (or "adaptive"), got ${String(concurrency)}`);
  }
  return Limiter.fixed(Math.min(concurrency, Math.max(1, cap)));
}
