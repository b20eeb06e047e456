// The adaptive controller against throughput models, as the Rust tests drive it (no clock).

import assert from "node:assert/strict";
import { test } from "node:test";
import { ADAPTIVE_START, Controller, Limiter } from "../src/transfer/concurrency.js";
import { CpuWatch, isBound, loadSince, parseCpuTimes, readCpuTimes } from "../src/transfer/cpu-load.js";

/** Runs `controller` against a model where `c` in flight complete `throughput(c)` per second; one limit per window. */
function drive(controller: Controller, throughput: (c: number) => number, windows: number): number[] {
  let now = 0;
  const limits: number[] = [];
  for (let w = 0; w < windows; w++) {
    const c = controller.limit;
    for (let i = 0; i < c; i++) controller.started();
    const done = Math.max(c, 4, Math.ceil(throughput(c) * 0.01) + 1);
    const step = 1000 / throughput(c);
    // Little's law: `c` in flight at this rate each take `c / rate`.
    const took = (c / throughput(c)) * 1000;
    for (let i = 0; i < done; i++) {
      now += step;
      controller.completed(now, took);
      if (i + c < done) controller.started();
    }
    controller.inFlight = 0;
    limits.push(controller.limit);
  }
  return limits;
}

const linearThenFlat =
  (rate: number, capacity: number) =>
  (c: number): number =>
    Math.min(c * rate, capacity);

test("a gain whose requests took 1.5 times as long is not spare capacity", () => {
  const noisy = (c: number): number => (c === 16 ? 130 : 100);
  const controller = new Controller(8, 64, 0);
  const limits = drive(controller, noisy, 40);
  assert.ok(
    limits.every((l) => l <= 16),
    String(limits),
  );
  assert.equal(controller.limit, 8, String(limits));
});

test("it converges within 90% of the best fixed level", () => {
  const model = linearThenFlat(100, 5000);
  const controller = new Controller(ADAPTIVE_START, 256, 0);
  const limits = drive(controller, model, 40);
  const last = limits[limits.length - 1] ?? 0;
  assert.ok(model(last) >= 0.9 * 5000, `settled at ${last}: ${limits}`);
  assert.ok(last > ADAPTIVE_START, `it grew: ${limits}`);
});

test("it stops growing near the knee, and never passes the cap", () => {
  const limits = drive(new Controller(ADAPTIVE_START, 256, 0), linearThenFlat(100, 1200), 60);
  assert.ok(Math.max(...limits) <= 32, `one doubling past the knee at most: ${limits}`);
  const capped = drive(new Controller(ADAPTIVE_START, 20, 0), linearThenFlat(100, 1e9), 60);
  assert.ok(Math.max(...capped) <= 20, String(capped));
});

test("congestion halves the limit once per window, then probes upwards additively", () => {
  const controller = new Controller(ADAPTIVE_START, 256, 0);
  drive(controller, linearThenFlat(100, 5000), 30);
  const before = controller.limit;
  controller.congested(1e9);
  controller.congested(1e9);
  assert.equal(controller.limit, Math.max(1, Math.floor(before / 2)));
  assert.equal(controller.halvings, 1);
  drive(controller, linearThenFlat(100, 5000), 3);
  assert.ok(
    controller.trace.some(([change]) => change === "probe"),
    JSON.stringify(controller.trace),
  );
});

test("/proc/stat and /proc/self/stat read as Rust's cpu_load reads them (its vectors)", () => {
  const stat = "cpu  100 5 50 800 20 3 2 10 7 0\ncpu0 50 2 25 400 10 1 1 5 3 0\nintr 1 2 3\n";
  // A process named `a) b` (names may hold both), utime 40 and stime 2.
  const own = "4242 (a) b) S 1 4242 4242 0 -1 4194304 98 0 1 0 40 2 0 0 20 0 3 0 1155239 3133440 382\n";
  assert.deepEqual(parseCpuTimes(stat, own), { busy: 170, total: 990, own: 42 });
  assert.deepEqual(parseCpuTimes("cpu 10 0 10 80\n", own), { busy: 20, total: 100, own: 42 });
  for (const bad of [
    "",
    "cpu0 1 2 3 4 5\n",
    "cpu 1 2\n",
    "cpu a b c d\n",
    "intr 1 2 3 4\n",
    "cpu 18446744073709551615 1 0 0\n",
  ]) {
    assert.equal(parseCpuTimes(bad, own), undefined, bad);
  }
  for (const bad of [
    "",
    "4242 (x S 1 2 3 4 5 6 7 8 9 10 11 12",
    "4242 (x) S 1 2 3",
    "4242 (x) S 1 2 3 4 5 6 7 8 9 10 u 2",
  ]) {
    assert.equal(parseCpuTimes(stat, bad), undefined, bad);
  }
  const start = { busy: 1000, total: 2000, own: 500 };
  const at = (busy: number, total: number, ownTicks: number) => loadSince({ busy, total, own: ownTicks }, start);
  assert.equal(at(1009, 2009, 500), undefined);
  assert.deepEqual(at(1009, 2010, 503), { busy: 0.9, own: 1 / 3 });
  assert.deepEqual(at(1010, 2010, 512), { busy: 1, own: 1 }, "capped at all of it");
  assert.deepEqual(at(1000, 2010, 500), { busy: 0, own: 0 });
  assert.equal(at(999, 2100, 500), undefined);
  assert.equal(at(1050, 2100, 499), undefined);
  const reading = readCpuTimes();
  assert.equal(reading !== undefined, process.platform === "linux");
});

test("the bounds are 90% busy and half of it this process to enter, 80% and 40% to stay", () => {
  assert.equal(isBound({ busy: 0.9, own: 0.5 }, false), true);
  assert.equal(isBound({ busy: 0.89, own: 1 }, false), false);
  assert.equal(isBound({ busy: 1, own: 0.49 }, false), false);
  assert.equal(isBound({ busy: 0.8, own: 0.4 }, true), true);
  assert.equal(isBound({ busy: 0.79, own: 1 }, true), false);
  assert.equal(isBound({ busy: 1, own: 0.39 }, true), false);
  // A watch that said yes goes on saying it until a span reads under 80%; the same 80% does not make a fresh one say yes.
  const held = watch([
    [0, 0, 0],
    [10, 10, 10],
    [18, 20, 18],
    [25, 30, 25],
  ]);
  const verdicts = Array.from({ length: 4 }, () => {
    held.sample();
    return held.bound;
  });
  assert.deepEqual(verdicts, [false, true, true, false]);
  const fresh = watch([
    [0, 0, 0],
    [8, 10, 8],
  ]);
  fresh.sample();
  fresh.sample();
  assert.equal(fresh.bound, false);
});

/** A watch over scripted readings, `[busy, total, own]` each. */
function watch(readings: Array<[number, number, number]>): CpuWatch {
  const script = readings.map(([busy, total, own]) => ({ busy, total, own }));
  return new CpuWatch(() => script.shift());
}

test("a watch judges spans of enough ticks however often it reads (Rust's cases)", () => {
  // 5 ticks between readings, all busy and this process's: the second cannot tell, the third can;
  // then 5 idle ticks make the span from 10 ticks back half idle.
  const w = watch([
    [0, 0, 0],
    [5, 5, 5],
    [10, 10, 10],
    [15, 15, 15],
    [15, 20, 15],
    [15, 25, 15],
  ]);
  const verdicts = Array.from({ length: 6 }, () => {
    w.sample();
    return w.bound;
  });
  assert.deepEqual(verdicts, [false, false, true, true, false, false]);
  assert.ok(w.kept <= 3, String(w.kept));
  const none = new CpuWatch(() => undefined);
  none.sample();
  assert.equal(none.bound, false);
  const back = watch([
    [100, 100, 100],
    [200, 200, 200],
    [10, 10, 10],
    [15, 15, 15],
  ]);
  back.sample();
  back.sample();
  assert.equal(back.bound, true);
  back.sample();
  assert.equal(back.bound, false, "the counters went back");
  back.sample();
  assert.equal(back.bound, false, "5 ticks since they started again");
});

/** A watch whose CPUs were busy `busy` ticks of every `ticks` between readings, `own` of them this process's, idle after `busyReadings` readings. */
function cpusFor(ticks: number, busy: number, own: number, busyReadings = Number.POSITIVE_INFINITY): CpuWatch {
  let now = { busy: 0, total: 0, own: 0 };
  let readings = 0;
  return new CpuWatch(() => {
    readings += 1;
    const [b, o] = readings > busyReadings ? [0, 0] : [busy, own];
    now = { busy: now.busy + b, total: now.total + ticks, own: now.own + o };
    return now;
  });
}

const cpus = (busy: number, own: number): CpuWatch => cpusFor(100, busy, own);

test("readings a few ticks apart still hold it; once the CPUs are free slow start doubles again", () => {
  const model = linearThenFlat(100, 5000);
  const short = drive(new Controller(ADAPTIVE_START, 256, 0, cpusFor(5, 5, 4)), model, 40);
  assert.ok(
    short.every((l) => l === ADAPTIVE_START),
    String(short),
  );
  const freed = new Controller(ADAPTIVE_START, 256, 0, cpusFor(100, 95, 60, 8));
  const limits = drive(freed, model, 40);
  // The 8th reading is the last busy one; the window after it doubles.
  assert.ok(
    limits.slice(0, 7).every((l) => l === ADAPTIVE_START),
    String(limits),
  );
  assert.ok((limits[limits.length - 1] ?? 0) >= 50, String(limits));
});

test("CPUs this process keeps busy hold the start level where throughput alone would double; others' work does not", () => {
  const model = linearThenFlat(100, 5000);
  const held = new Controller(ADAPTIVE_START, 256, 0, cpus(95, 60));
  const limits = drive(held, model, 40);
  assert.ok(
    limits.every((l) => l === ADAPTIVE_START),
    String(limits),
  );
  assert.deepEqual(held.trace, []);
  for (const [busy, own] of [
    [85, 80],
    [100, 20],
  ] as const) {
    const grown = drive(new Controller(ADAPTIVE_START, 256, 0, cpus(busy, own)), model, 40);
    assert.ok((grown[grown.length - 1] ?? 0) >= 50, `${busy}% busy, ${own}% this process: ${grown}`);
  }
});

test("a held level does not probe while the CPUs are busy", () => {
  const probes = (busy: number): number => {
    const controller = new Controller(ADAPTIVE_START, 32, 0, cpus(busy, Math.floor((busy * 6) / 10)));
    drive(controller, linearThenFlat(1000, 8000), 60);
    return controller.trace.filter(([change]) => change === "probe").length;
  };
  assert.ok(probes(50) >= 2, "idle CPUs probe");
  assert.equal(probes(95), 0, "busy CPUs do not");
});

test("an adaptive limiter watches the CPUs, a fixed one does not", () => {
  assert.equal(Limiter.adaptive(64).readsCpu, true);
  assert.equal(Limiter.fixed(8).readsCpu, false);
});

test("the limiter lets no more than its limit run at once", async () => {
  const limiter = Limiter.fixed(3);
  let running = 0;
  let most = 0;
  let finished = 0;
  const release: Array<() => void> = [];
  const jobs = Array.from({ length: 10 }, () =>
    limiter.run(async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise<void>((resolve) => release.push(resolve));
      running -= 1;
      finished += 1;
    }),
  );
  // Each turn lets one job finish; the limiter must then start the next waiting one.
  while (finished < 10) {
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(running <= 3, `${running} running`);
    release.shift()?.();
  }
  await Promise.all(jobs);
  assert.equal(most, 3);
  assert.equal(limiter.peak, 3);
});

test("an adaptive upload halves on a 503 and still completes; a fixed one never passes its number", async () => {
  const { ClientBuilder, DEV_BLOB_ENDPOINT, newResponse } = await import("../src/index.js");
  let busy = 2;
  let inFlight = 0;
  let most = 0;
  const wire = async (request: { url: URL }) => {
    inFlight += 1;
    most = Math.max(most, inFlight);
    await new Promise((resolve) => setImmediate(resolve));
    inFlight -= 1;
    const isBlock = request.url.searchParams.get("comp") === "block";
    if (isBlock && busy > 0) {
      busy -= 1;
      return newResponse(503, [["x-ms-error-code", "ServerBusy"]]);
    }
    return newResponse(201, [["etag", '"1"']]);
  };
  const client = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .wire(wire)
    .clock({ sleep: async () => {}, now: () => 0 })
    .build();
  const data = new Uint8Array(64 * 1024);
  const adaptive = await client.blob("c1c", "b").uploadOpts(data, { blockSize: 1024, singlePutMax: 0 });
  assert.equal(adaptive.blocks, 64);
  assert.ok(adaptive.concurrencyBackoffs >= 1, JSON.stringify(adaptive));
  assert.ok(adaptive.peakConcurrency >= 1 && adaptive.peakConcurrency <= 64);
  most = 0;
  const fixed = await client.blob("c1c", "b").uploadOpts(data, { blockSize: 1024, singlePutMax: 0, concurrency: 3 });
  assert.equal(fixed.concurrencyBackoffs, 0);
  assert.ok(most <= 3, `${most} at once`);
  await assert.rejects(client.blob("c1c", "b").uploadOpts(data, { concurrency: 0 }), { kind: "InvalidInput" });
  await assert.rejects(client.blob("c1c", "b").uploadOpts(data, { concurrency: "fast" as never }), {
    kind: "InvalidInput",
  });
});

test("many small blobs start with 16 in flight, a fixed level with its own", async () => {
  const { runMany } = await import("../src/client/many.js");
  for (const [concurrency, expected] of [
    ["adaptive", 16],
    [4, 4],
  ] as const) {
    let inFlight = 0;
    let peak = 0;
    const release: Array<() => void> = [];
    const outcomes = runMany(
      Array.from({ length: 100 }, (_, i) => i),
      (i) => `b${i}`,
      async () => {
        inFlight += 1;
        peak = Math.max(peak, inFlight);
        await new Promise<void>((resolve) => release.push(resolve));
        inFlight -= 1;
      },
      concurrency,
    );
    let finished = false;
    const count = (async () => {
      let n = 0;
      for await (const outcome of outcomes) n += outcome.ok ? 1 : 0;
      finished = true;
      return n;
    })();
    // Every request the limiter lets out at the start is waiting now, none has completed.
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(peak, expected);
    while (!finished) {
      for (const wake of release.splice(0)) wake();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(await count, 100);
  }
});
