// How busy the machine's CPUs are, for adaptive concurrency (Rust
// `transfer/cpu_load.rs`): a transfer whose CPUs are all busy gains nothing
// from more requests in flight. The reading is the first line of Linux's
// `/proc/stat`, in clock ticks; elsewhere, or where it cannot be read, there
// is none and the controller decides from throughput alone. In a container
// `/proc/stat` counts the host's CPUs, not the container's quota.

import { readFileSync } from "node:fs";

/** The CPU time of all the machine's CPUs since boot, in clock ticks: busy (stolen included) and in total. */
export interface CpuTimes {
  readonly busy: number;
  readonly total: number;
}

/** Where a controller reads the CPU times (`readCpuTimes`, or a script in tests). */
export type CpuGauge = () => CpuTimes | undefined;

/** The fewest ticks between two readings that tell a busy share (50 ms on 2 CPUs). */
const MIN_TICKS = 10;

/**
 * Parses `/proc/stat`'s aggregate line (`cpu user nice system idle iowait irq
 * softirq steal guest guest_nice`): guest time is already in user and nice,
 * and idle and iowait are the time no task ran.
 */
export function parseCpuTimes(stat: string): CpuTimes | undefined {
  const fields = (stat.split("\n", 1)[0] ?? "").split(/\s+/).filter((f) => f !== "");
  if (fields[0] !== "cpu") return undefined;
  const ticks = fields.slice(1, 9).map((f) => (/^\d+$/.test(f) ? Number(f) : Number.NaN));
  // Kernels before 2.6.11 had no steal column; 4 columns is the least that says anything.
  if (ticks.length < 4 || !ticks.every(Number.isSafeInteger)) return undefined;
  const total = ticks.reduce((sum, t) => sum + t, 0);
  if (!Number.isSafeInteger(total)) return undefined;
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busy: total - idle, total };
}

/** The busy share between `earlier` and `now`, or undefined when too little time passed (or the counters went back). */
export function busyShareSince(now: CpuTimes, earlier: CpuTimes): number | undefined {
  const total = now.total - earlier.total;
  const busy = now.busy - earlier.busy;
  if (total < MIN_TICKS || busy < 0) return undefined;
  return busy / total;
}

/** Reads the machine's CPU times now, where the system tells them. */
export function readCpuTimes(): CpuTimes | undefined {
  if (process.platform !== "linux") return undefined;
  try {
    return parseCpuTimes(readFileSync("/proc/stat", "latin1"));
  } catch {
    return undefined;
  }
}
