import assert from "node:assert/strict";
import { test } from "node:test";
import {
  compose,
  DEFAULT_RETRY,
  newRequest,
  newResponse,
  type Response,
  WireError,
  type WireErrorKind,
} from "../src/index.js";
import { backoffMs, type Clock, retryPolicy } from "../src/wire/retry.js";

type Scripted = { status: number; headers?: Array<[string, string]> } | { fail: WireErrorKind };

async function run(
  answers: Scripted[],
  idempotent: boolean,
  repeatRefused = false,
): Promise<{ result: Response | WireError; attempts: number; sleeps: number[] }> {
  const script = [...answers];
  let attempts = 0;
  const sleeps: number[] = [];
  const clock: Clock = { sleep: async (ms) => void sleeps.push(ms), now: () => Date.now() };
  const wire = async () => {
    attempts += 1;
    const next = script.shift();
    assert.ok(next, "script exhausted");
    if ("fail" in next) throw new WireError(next.fail, "scripted failure");
    return newResponse(next.status, next.headers ?? []);
  };
  const send = compose([retryPolicy(DEFAULT_RETRY, clock, { nextFloat: () => 1 })], wire);
  const request = newRequest("Test", "PUT", new URL("http://127.0.0.1/a/c/b"));
  request.idempotent = idempotent;
  request.repeatRefused = repeatRefused;
  try {
    return { result: await send(request), attempts, sleeps };
  } catch (err) {
    assert.ok(err instanceof WireError);
    return { result: err, attempts, sleeps };
  }
}

const statusOf = (r: Response | WireError): number | string => (r instanceof WireError ? r.transportKind : r.status);

test("retries each transient status, then succeeds", async () => {
  for (const status of [408, 429, 500, 502, 503, 504]) {
    const { result, attempts } = await run([{ status }, { status: 200 }], true);
    assert.deepEqual([statusOf(result), attempts], [200, 2], `status ${status}`);
  }
});

test("does not retry client errors", async () => {
  for (const status of [400, 401, 403, 404, 409, 412, 416]) {
    const { result, attempts } = await run([{ status }], true);
    assert.deepEqual([statusOf(result), attempts], [status, 1]);
  }
});

test("gives up after the maximum with exponential delays", async () => {
  const { result, attempts, sleeps } = await run(Array(4).fill({ status: 503 }), true);
  assert.deepEqual([statusOf(result), attempts, sleeps], [503, 4, [400, 800, 1600]]);
});

test("honours Retry-After and x-ms-retry-after-ms", async () => {
  let r = await run([{ status: 429, headers: [["retry-after", "7"]] }, { status: 200 }], true);
  assert.deepEqual(r.sleeps, [7000]);
  r = await run(
    [
      {
        status: 503,
        headers: [
          ["x-ms-retry-after-ms", "250"],
          ["retry-after", "9"],
        ],
      },
      { status: 200 },
    ],
    true,
  );
  assert.deepEqual(r.sleeps, [250]);
  r = await run([{ status: 503, headers: [["retry-after", "3600"]] }], true);
  assert.deepEqual(
    [statusOf(r.result), r.attempts, r.sleeps],
    [503, 1, []],
    "a hint beyond the limit ends the retries",
  );
});

test("requests that are not idempotent are retried only when they never left", async () => {
  for (const answer of [{ status: 503 }, { fail: "io" as const }, { fail: "timeout" as const }]) {
    assert.equal((await run([answer], false)).attempts, 1);
  }
  const r = await run([{ fail: "connect" }, { status: 201 }], false);
  assert.deepEqual([statusOf(r.result), r.attempts], [201, 2]);
  const broken = await run([{ fail: "io" }, { status: 200 }], true);
  assert.deepEqual([statusOf(broken.result), broken.attempts], [200, 2]);
});

// The twin of Rust's `a_conditional_write_is_repeated_after_a_refusal_only`.
test("a write whose repeat cannot act twice is repeated after a refusal only", async () => {
  const refused = await run([{ status: 503 }, { status: 429 }, { status: 201 }], false, true);
  assert.deepEqual([statusOf(refused.result), refused.attempts], [201, 3], "429 and 503: the service did nothing");
  for (const answer of [{ status: 500 }, { fail: "io" as const }, { fail: "timeout" as const }]) {
    assert.equal((await run([answer, { status: 201 }], false, true)).attempts, 1, "the service may have acted");
  }
});

test("answers after an attempt that may have acted are marked repeated", async () => {
  const repeated = async (answers: Scripted[]): Promise<boolean> => {
    const { result } = await run(answers, true);
    assert.ok(!(result instanceof WireError));
    return result.repeated;
  };
  assert.equal(await repeated([{ status: 404 }]), false, "a first answer is not a repeat");
  assert.equal(await repeated([{ fail: "io" }, { status: 404 }]), true, "the answer was lost");
  assert.equal(await repeated([{ fail: "timeout" }, { status: 404 }]), true);
  assert.equal(await repeated([{ status: 500 }, { status: 404 }]), true, "a 500 may follow an act");
  assert.equal(await repeated([{ fail: "connect" }, { status: 404 }]), false, "never carried the request");
});

test("jitter keeps at least half the delay and respects the cap", () => {
  assert.equal(backoffMs(DEFAULT_RETRY, 0, 0), 200);
  assert.equal(backoffMs(DEFAULT_RETRY, 0, 1), 400);
  assert.equal(backoffMs(DEFAULT_RETRY, 20, 1), DEFAULT_RETRY.maxBackoffMs);
  for (const random of [0, 0.999999, 1, 2, Number.NaN]) {
    const huge = { ...DEFAULT_RETRY, initialBackoffMs: Number.MAX_VALUE, maxBackoffMs: Number.MAX_VALUE };
    assert.ok(backoffMs(huge, 3, random) >= Number.MAX_VALUE / 2, `${random}`);
  }
});
