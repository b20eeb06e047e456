// The many-file job's shared parts (src/transfer/pacer.ts, src/wire/tally.ts,
// src/transfer/job.ts), the twins of Rust's `transfer/pacer.rs` and
// `Tally::under` tests: bytes paid at the rate one after the other, a pause
// not made up for with a burst (on a virtual clock, so no real waiting), and
// a transfer's attempts counted in its job's tally too.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Pipeline } from "../src/pipeline/pipeline.js";
import { jobPipeline, rangeLength } from "../src/transfer/job.js";
import { MAX_WAIT_MS, Pacer, type PacerTime } from "../src/transfer/pacer.js";
import { newRequest, newResponse } from "../src/wire/request.js";
import { Tally } from "../src/wire/tally.js";

/** A clock whose sleeps move virtual time forward at once. */
function virtual(): PacerTime & { advance(ms: number): void } {
  let now = 0;
  return {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

test("bytes go at the rate one after the other, without catching up after a pause", async () => {
  const time = virtual();
  const pacer = new Pacer(1000, time);
  await pacer.pay(500);
  assert.equal(time.now(), 500);
  // Two payments at once are served one after the other.
  await Promise.all([pacer.pay(1000), pacer.pay(1000)]);
  assert.equal(time.now(), 2500);
  // A pause is not made up for with a burst.
  time.advance(10_000);
  const resumed = time.now();
  await pacer.pay(250);
  assert.equal(time.now() - resumed, 250);
  await pacer.pay(0);
  assert.equal(time.now() - resumed, 250);
});

test("a timer that fires early is waited out: pay returns only once the clock passed its due time", async () => {
  let now = 0;
  const sleeps: number[] = [];
  // Each sleep moves the clock half a millisecond less than asked, as an early timer would.
  const pacer = new Pacer(1000, {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms - 0.5;
    },
  });
  await pacer.pay(100);
  assert.ok(now >= 100, `returned at ${now}`);
  assert.deepEqual(sleeps, [100, 1]);
});

test("a transfer counts its attempts in its job too", () => {
  const job = new Tally();
  const file = Tally.under(job);
  file.attempt(5, true, true);
  file.retry();
  file.attempt(5, false, false);
  assert.deepEqual([file.count, file.attempts, file.retries, file.throttled], [1, 2, 1, 1]);
  assert.deepEqual([job.count, job.attempts, job.retries, job.throttled], [1, 2, 1, 1], "the job sees them");
  const alone = Tally.under(undefined);
  alone.attempt(0, true, true);
  assert.equal(job.count, 1);
  // Joining keeps a parent already there, and a job's own tally never becomes its own parent.
  const other = new Tally();
  file.join(other);
  assert.equal(file.parent, job);
  job.join(job);
  assert.equal(job.parent, undefined);
});

test("the job's pipeline joins every request's tally to the job's and pays bodies into the pacer", async () => {
  let now = 0;
  const pacer = new Pacer(1000, {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  const job = new Tally();
  const sent: Array<[string, number]> = [];
  const base = new Pipeline(
    async (request) => {
      sent.push([request.method, now]);
      request.congestion?.attempt(1, true, true);
      return request.method === "GET" ? newResponse(206, [["content-length", "300"]]) : newResponse(201);
    },
    {
      now: () => 0,
      sleep: async () => {},
    },
  );
  const pipeline = jobPipeline(base, job, pacer);
  const put = newRequest("PutBlock", "PUT", new URL("http://127.0.0.1/a/c/b"));
  put.body = new Uint8Array(200);
  const own = new Tally();
  put.congestion = own;
  await pipeline.execute(put);
  const get = newRequest("GetBlob", "GET", new URL("http://127.0.0.1/a/c/b"));
  await pipeline.execute(get);
  // The Put's 200 bytes are paid before it is sent; the Get's 300 after its head, before this returns.
  assert.deepEqual(sent, [
    ["PUT", 200],
    ["GET", 200],
  ]);
  assert.equal(now, 500);
  assert.equal(own.parent, job);
  assert.equal(get.congestion, job, "a request with no tally of its own is counted in the job's");
  assert.deepEqual([own.count, job.count], [1, 2]);
});

test("a ranged Get pays its range before it is sent, and a shorter answer gives the rest back", async () => {
  let now = 0;
  const pacer = new Pacer(1000, {
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
  });
  const sent: number[] = [];
  const base = new Pipeline(
    async () => {
      sent.push(now);
      return newResponse(206, [["content-length", "250"]]);
    },
    { now: () => 0, sleep: async () => {} },
  );
  const pipeline = jobPipeline(base, new Tally(), pacer);
  const get = newRequest("GetBlob", "GET", new URL("http://127.0.0.1/a/c/b"));
  get.headers.set("x-ms-range", "bytes=0-999");
  await pipeline.execute(get);
  // Paid before it was sent: the answer is never left unread while the pacer waits.
  assert.deepEqual(sent, [1000]);
  assert.equal(now, 1000);
  assert.equal(rangeLength(get), 1000);
  get.headers.set("x-ms-range", "bytes=10-");
  assert.equal(rangeLength(get), undefined, "an open range is paid from its head");
  get.headers.set("x-ms-range", "bytes=0-99999999999999999999");
  assert.equal(rangeLength(get), undefined);
});

test("a refund lets the bytes paid for after it go sooner", async () => {
  let now = 0;
  const sleeps: number[] = [];
  const wakes: Array<() => void> = [];
  // Sleeps wait until the test wakes them, so payments overlap.
  const pacer = new Pacer(1000, {
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      return new Promise((resolve) => wakes.push(resolve));
    },
  });
  const asked = pacer.pay(2000);
  // The answer held 500 of the 2000.
  pacer.refund(1500);
  const next = pacer.pay(500);
  // Without the refund the next 500 would be due at 2500.
  assert.deepEqual(sleeps, [2000, 1000]);
  now = 2000;
  for (const wake of wakes) wake();
  await Promise.all([asked, next]);
});

test("an absurd length waits at most the cap and the timers stay within what setTimeout keeps", async () => {
  let now = 0;
  const sleeps: number[] = [];
  const pacer = new Pacer(1, {
    now: () => now,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  });
  await pacer.pay(Number.MAX_VALUE);
  assert.equal(now, MAX_WAIT_MS);
  assert.ok(
    sleeps.every((ms) => ms <= 2 ** 31 - 1),
    "each timer fits setTimeout",
  );
  pacer.refund(Number.MAX_VALUE);
  await pacer.pay(1);
  assert.equal(now, MAX_WAIT_MS + 1000, "a refund never goes before now");
});
