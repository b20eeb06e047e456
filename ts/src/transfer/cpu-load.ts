// How busy the machine's CPUs are, and how much of that is this process,
// for adaptive concurrency (Rust `transfer/cpu_load.rs`): a transfer whose
// process keeps the CPUs busy gains nothing from more requests in flight;
// CPUs busy with other work do not hold it, since a transfer that waits on
// the network still gains. The readings are the first line of Linux's
// `/proc/stat` and `/proc/self/stat`'s utime and stime, in clock ticks, taken
// by a `CpuWatch` as the controller closes each window; elsewhere, or where
// they cannot be read, there is none and the controller decides from
// throughput alone. In a container `/proc/stat` counts the
// host's CPUs, not the container's quota.

import { readFileSync } from "node:fs";

/** CPU time since boot, in clock ticks: the machine's busy (stolen included) and total, and this process's own. */
export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
  readonly own: number;
}

/** What the CPUs did between two readings: the busy share of all CPU time, and this process's share of that. */
export interface Load {
  readonly busy: number;
  readonly own: number;
}

/** Where a controller reads the CPU times (`readCpuTimes`, or a script in tests). */
export type CpuGauge = () => CpuTimes | undefined;

/** The fewest ticks between two readings that tell a busy share (50 ms on 2 CPUs). */
const MIN_TICKS = 10;
/** The busy share at or above which, if this process is `OWN_SHARE` of it, the process keeps the CPUs busy. */
const CPU_BUSY = 0.9;
/** This process's share of the busy time at or above which busy CPUs are its doing. */
const OWN_SHARE = 0.5;
/** Once bound, a watch stays so until a span reads less busy than this, or less of it its own than `OWN_STILL` (a 10-tick span moves by a tick's 10%). */
const CPU_STILL = 0.8;
const OWN_STILL = 0.4;
/** The most readings a watch keeps. */
const HISTORY_MAX = 64;

/** Whether this process kept the CPUs busy over `load`, given whether it did over the span `before`. */
export function isBound(load: Load, before: boolean): boolean {
  const [busy, own] = before ? [CPU_STILL, OWN_STILL] : [CPU_BUSY, OWN_SHARE];
  return load.busy >= busy && load.own >= own;
}

/** The machine's and this process's times from `/proc/stat` and `/proc/self/stat`. */
export function parseCpuTimes(stat: string, ownStat: string): CpuTimes | undefined {
  const machine = parseMachine(stat);
  const own = parseOwn(ownStat);
  return machine === undefined || own === undefined ? undefined : { ...machine, own };
}

/**
 * `/proc/stat`'s aggregate line (`cpu user nice system idle iowait irq
 * softirq steal guest guest_nice`): guest time is already in user and nice,
 * and idle and iowait are the time no task ran.
 */
function parseMachine(stat: string): { busy: number; total: number } | undefined {
  const fields = (stat.split("\n", 1)[0] ?? "").split(/\s+/).filter((f) => f !== "");
  if (fields[0] !== "cpu") return undefined;
  const ticks = fields.slice(1, 9).map(tickCount);
  // Kernels before 2.6.11 had no steal column; 4 columns is the least that says anything.
  if (ticks.length < 4 || !ticks.every(Number.isSafeInteger)) return undefined;
  const total = ticks.reduce((sum, t) => sum + t, 0);
  if (!Number.isSafeInteger(total)) return undefined;
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/** utime and stime (fields 14 and 15), counted after the command name's last `)`, since the name may hold both. */
function parseOwn(stat: string): number | undefined {
  const close = stat.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = stat
    .slice(close + 1)
    .split(/\s+/)
    .filter((f) => f !== "");
  const own = tickCount(fields[11] ?? "") + tickCount(fields[12] ?? "");
  return Number.isSafeInteger(own) ? own : undefined;
}

function tickCount(field: string): number {
  return /^\d+$/.test(field) ? Number(field) : Number.NaN;
}

/** What the CPUs did between `earlier` and `now`, or undefined when too little time passed (or a counter went back). */
export function loadSince(now: CpuTimes, earlier: CpuTimes): Load | undefined {
  const total = now.total - earlier.total;
  const busy = now.busy - earlier.busy;
  const own = now.own - earlier.own;
  if (total < MIN_TICKS || busy < 0 || own < 0) return undefined;
  // Ticks are sampled per CPU and per process apart, so `own` can exceed `busy` by a tick or two.
  return { busy: busy / total, own: busy === 0 ? 0 : Math.min(own / busy, 1) };
}

/** Reads the CPU times now, where the system tells them. */
export function readCpuTimes(): CpuTimes | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    return parseCpuTimes(readFileSync("/proc/stat", "latin1"), readFileSync("/proc/self/stat", "latin1"));
  } catch {
    return undefined;
  }
}

/**
 * Readings taken one after another, and whether this process kept the CPUs
 * busy over the last span long enough to tell: from the newest earlier
 * reading at least `MIN_TICKS` before the latest, to the latest. Until a
 * span is that long it cannot tell, and says no.
 */
export class CpuWatch {
  readonly #gauge: CpuGauge;
  #history: CpuTimes[] = [];
  #bound = false;

  constructor(gauge: CpuGauge) {
    this.#gauge = gauge;
  }

  /** Takes a reading and judges the span it ends. */
  sample(): void {
    const now = this.#gauge();
    if (now === undefined) return;
    const history = this.#history;
    // The second reading is old enough to be the span's start, so the first is not needed.
    while (history.length >= 2 && now.total - (history[1]?.total ?? now.total) >= MIN_TICKS) history.shift();
    const start = history[0];
    const load = start === undefined ? undefined : loadSince(now, start);
    if ((start !== undefined && now.total < start.total) || history.length >= HISTORY_MAX) history.length = 0;
    history.push(now);
    this.#bound = load !== undefined && isBound(load, this.#bound);
  }

  /** Whether this process kept the CPUs busy over the last span that tells. */
  get bound(): boolean {
    return this.#bound;
  }

  /** How many readings it keeps, for tests. */
  get kept(): number {
    return this.#history.length;
  }
}
