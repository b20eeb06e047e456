// The many-file pool (src/client/files.ts) against a scripted wire: the
// mtime metadata format shared with Rust, bad budgets failing every file
// unsent, local errors typed, the file and byte budgets and the rate cap
// bounding what is in flight, outcomes in completion order, jobs read lazily.

import assert from "node:assert/strict";
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FilePool, mtimeText } from "../src/client/files.js";
import { RANGE_READER } from "../src/client/service-inner.js";
import {
  ClientBuilder,
  type ContainerClient,
  DEV_BLOB_ENDPOINT,
  type FileJob,
  type FileResult,
  MTIME_METADATA_KEY,
  mtimeFromMetadata,
  type Next,
  newResponse,
  type Request,
} from "../src/index.js";
import { downloadToFile } from "../src/transfer/download.js";

const dir = mkdtempSync(join(tmpdir(), "azblob-ts-files-unit-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const container = (wire: Next): ContainerClient =>
  new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(wire).retry({ maxRetries: 0 }).build().container("c1c");

const noNetwork: Next = async (request) => assert.fail(`sent ${request.method} ${request.url.pathname}`);

const created = () =>
  newResponse(201, [
    ["etag", '"e1"'],
    ["last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"],
  ]);

/** `n` files of `size` bytes in a fresh folder, and their jobs. */
function files(n: number, size: number, tag: string): FileJob[] {
  const folder = mkdtempSync(join(dir, `${tag}-`));
  return Array.from({ length: n }, (_, i) => {
    const path = join(folder, `f${i}`);
    writeFileSync(path, Buffer.alloc(size, 97 + i));
    return { path, name: `${tag}/f${i}` };
  });
}

async function collect(results: AsyncIterable<FileResult>): Promise<FileResult[]> {
  const out: FileResult[] = [];
  for await (const result of results) out.push(result);
  return out;
}

/** A wire that answers Put Blob after `hold` resolves, counting requests in flight. */
function holding(hold: (request: Request, index: number) => Promise<void> = async () => {}) {
  const state = { inFlight: 0, peak: 0, seen: [] as Request[] };
  const wire: Next = async (request) => {
    const index = state.seen.push(request) - 1;
    state.inFlight += 1;
    state.peak = Math.max(state.peak, state.inFlight);
    try {
      await hold(request, index);
      return created();
    } finally {
      state.inFlight -= 1;
    }
  };
  return { wire, state };
}

/**
 * A wire that holds each Put Blob until `cap` are in flight (or every file
 * left is), then answers them together: more than `cap` shows in `peak`, and
 * a pool that runs fewer never fills the gate and fails on the test's timeout.
 */
function gated(files: number, cap: number) {
  const state = { inFlight: 0, peak: 0, done: 0 };
  let waiting: Array<() => void> = [];
  const wire: Next = async () => {
    state.inFlight += 1;
    state.peak = Math.max(state.peak, state.inFlight);
    const held = new Promise<void>((resolve) => waiting.push(resolve));
    if (state.inFlight >= Math.min(cap, files - state.done)) {
      const release = waiting;
      waiting = [];
      for (const go of release) go();
    }
    await held;
    state.inFlight -= 1;
    state.done += 1;
    return created();
  };
  return { wire, state };
}

test("an mtime survives the metadata round trip in the Rust format", () => {
  const nanos = 1_700_000_000n * 1_000_000_000n + 123_456_789n;
  assert.equal(MTIME_METADATA_KEY, "azblob_mtime");
  assert.equal(mtimeText(nanos), "1700000000.123456789");
  assert.equal(mtimeFromMetadata({ azblob_mtime: "1700000000.123456789" }), nanos);
  assert.equal(mtimeText(5n), "0.000000005");
  assert.equal(mtimeText(-1n), undefined, "times before the epoch are not stored");
});

test("mtimes that do not parse are undefined", () => {
  for (const bad of ["", "x", "1.x", "-1", "1.1234567890", "1.-5", ".5", "1e3"]) {
    assert.equal(mtimeFromMetadata({ azblob_mtime: bad }), undefined, bad);
  }
  assert.equal(mtimeFromMetadata({ azblob_mtime: "12.5" }), 12_500_000_000n);
  assert.equal(mtimeFromMetadata({ azblob_mtime: "12" }), 12_000_000_000n);
  assert.equal(mtimeFromMetadata({}), undefined);
});

test("bad budgets fail every file with InvalidInput before anything is sent", async () => {
  const jobs = files(3, 10, "bad");
  const uploads = [{ memoryBudget: 0 }, { concurrency: 0 }, { maxBytesPerSecond: 0 }, { memoryBudget: 1.5 }];
  for (const options of uploads) {
    const results = await collect(container(noNetwork).uploadFilesOpts(jobs, options));
    assert.equal(results.length, 3, JSON.stringify(options));
    for (const r of results) assert.ok(!r.ok && r.error.kind === "InvalidInput", JSON.stringify(options));
  }
  const downloads = [{ memoryBudget: 0 }, { concurrency: -1 }, { maxBytesPerSecond: 0 }];
  for (const options of downloads) {
    const down = jobs.map((j) => ({ ...j, path: `${j.path}.out` }));
    const results = await collect(container(noNetwork).downloadFilesOpts(down, options));
    assert.equal(results.length, 3);
    for (const r of results) assert.ok(!r.ok && r.error.kind === "InvalidInput", JSON.stringify(options));
  }
});

test("a missing file is an Io error and a directory InvalidInput, each alone, unsent", async () => {
  const [good] = files(1, 10, "local");
  assert.ok(good);
  const jobs: FileJob[] = [
    { path: join(dir, "no such file"), name: "missing" },
    { path: dir, name: "a directory" },
    good,
  ];
  const { wire, state } = holding();
  const results = await collect(container(wire).uploadFiles(jobs));
  const byName = new Map(results.map((r) => [r.job.name, r]));
  const missing = byName.get("missing");
  assert.ok(missing && !missing.ok && missing.error.kind === "Io", missing?.ok ? "ok" : missing?.error.message);
  const folder = byName.get("a directory");
  assert.ok(folder && !folder.ok && folder.error.kind === "InvalidInput");
  assert.ok(byName.get(good.name)?.ok);
  assert.deepEqual(
    state.seen.map((r) => r.url.pathname),
    [`/devstoreaccount1/c1c/${good.name}`],
  );
});

test("a small file is one Put Blob carrying its mtime; keepMtime false leaves it out", async () => {
  const [job] = files(1, 100, "mtime");
  assert.ok(job);
  utimesSync(job.path, 1_650_000_000.5, 1_650_000_000.5);
  const { wire, state } = holding();
  const [result] = await collect(
    container(wire).uploadFilesOpts([job], { upload: { blob: { metadata: { keep: "me" } } } }),
  );
  assert.ok(result?.ok);
  assert.equal(result.value.bytes, 100);
  assert.equal(state.seen.length, 1);
  const sent = state.seen[0];
  assert.equal(sent?.headers.get("x-ms-blob-type"), "BlockBlob");
  assert.equal(sent?.headers.get("x-ms-meta-azblob_mtime"), "1650000000.500000000");
  assert.equal(sent?.headers.get("x-ms-meta-keep"), "me");

  await collect(container(wire).uploadFilesOpts([job], { keepMtime: false }));
  assert.equal(state.seen[1]?.headers.get("x-ms-meta-azblob_mtime"), undefined);
});

test("uploads keep as many files in flight as a fixed concurrency allows", { timeout: 20_000 }, async () => {
  const jobs = files(10, 10, "cap");
  const { wire, state } = gated(10, 3);
  const results = await collect(container(wire).uploadFilesOpts(jobs, { concurrency: 3 }));
  assert.equal(results.filter((r) => r.ok).length, 10);
  assert.equal(state.peak, 3);
});

test("uploads keep as many files in flight as the byte budget allows: two of 1000 bytes in 2 KiB", {
  timeout: 20_000,
}, async () => {
  const jobs = files(8, 1000, "budget");
  const { wire, state } = gated(8, 2);
  const results = await collect(container(wire).uploadFilesOpts(jobs, { concurrency: 8, memoryBudget: 2048 }));
  assert.equal(results.filter((r) => r.ok).length, 8);
  assert.equal(state.peak, 2);
});

test("outcomes come in completion order, and jobs are read only as places free up", async () => {
  const jobs = files(4, 10, "order");
  let release: () => void = () => {};
  const first = new Promise<void>((resolve) => {
    release = resolve;
  });
  // The first file's answer waits until the three others are answered.
  const { wire } = holding((request) => (request.url.pathname.endsWith("/f0") ? first : Promise.resolve()));
  let pulled = 0;
  async function* lazily(): AsyncIterable<FileJob> {
    for (const job of jobs) {
      pulled += 1;
      yield job;
    }
  }
  const order: string[] = [];
  for await (const result of container(wire).uploadFilesOpts(lazily(), { concurrency: 2 })) {
    assert.ok(pulled <= order.length + 2, `pulled ${pulled} jobs with ${order.length} done`);
    order.push(result.job.name);
    if (order.length === 3) release();
  }
  assert.deepEqual(order, ["order/f1", "order/f2", "order/f3", "order/f0"]);
});

test("the rate cap paces the bytes sent: 3 files of 1000 bytes at 10,000 bytes a second", async () => {
  const jobs = files(3, 1000, "rate");
  const starts: number[] = [];
  const { wire } = holding(async () => {
    starts.push(performance.now());
  });
  const begin = performance.now();
  const results = await collect(container(wire).uploadFilesOpts(jobs, { concurrency: 3, maxBytesPerSecond: 10_000 }));
  assert.equal(results.filter((r) => r.ok).length, 3);
  // Each body is paid for before it is sent, after the bytes before it:
  // the first goes out 100 ms in, the third once all 3000 bytes fit, 300 ms in.
  assert.equal(starts.length, 3);
  assert.ok((starts[0] ?? 0) - begin >= 100, `first sent after ${(starts[0] ?? 0) - begin} ms`);
  assert.ok((starts[2] ?? 0) - begin >= 300, `third sent after ${(starts[2] ?? 0) - begin} ms`);
});

test("a 503 met by any file halves the job's limit: jobConcurrencyBackoffs", async () => {
  const jobs = files(12, 100, "busy");
  let busy = 2;
  const wire: Next = async () => {
    if (busy > 0) {
      busy -= 1;
      return newResponse(503, [["x-ms-error-code", "ServerBusy"]]);
    }
    return created();
  };
  const client = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .wire(wire)
    .clock({ sleep: async () => {}, now: () => 0 })
    .build()
    .container("c1c");
  const results = await collect(client.uploadFiles(jobs));
  const reports = results.map((r) => (r.ok ? r.value : assert.fail(r.error.message)));
  assert.equal(
    reports.reduce((n, r) => n + r.stats.throttled, 0),
    2,
    "each file's own stats count its 503",
  );
  assert.ok(Math.max(...reports.map((r) => r.jobConcurrencyBackoffs)) >= 1, "the job's limiter halved");
});

test("downloads create the parent folder, write the file and give it the job's mtime", async () => {
  const body = Buffer.from("downloaded bytes");
  const wire: Next = async () =>
    newResponse(
      206,
      [
        ["etag", '"e1"'],
        ["last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"],
        ["x-ms-blob-type", "BlockBlob"],
        ["content-range", `bytes 0-${body.length - 1}/${body.length}`],
        ["content-length", String(body.length)],
      ],
      body,
    );
  const path = join(dir, "down", "deep", "file.txt");
  const mtime = 1_650_000_123n * 1_000_000_000n + 750_000_000n;
  const results = await collect(
    container(wire).downloadFiles([
      { path, name: "b", size: body.length, mtime },
      { path: join(dir, "plain"), name: "p" },
    ]),
  );
  assert.ok(results.every((r) => r.ok));
  assert.equal(readFileSync(path, "utf8"), "downloaded bytes");
  assert.equal(statSync(path, { bigint: true }).mtimeNs, mtime);
  assert.notEqual(statSync(join(dir, "plain"), { bigint: true }).mtimeNs, mtime, "no mtime, none set");
  mkdirSync(join(dir, "blocker"));
  writeFileSync(join(dir, "blocker", "file"), "x");
  const [blocked] = await collect(
    container(wire).downloadFiles([{ path: join(dir, "blocker", "file", "x"), name: "b" }]),
  );
  assert.ok(blocked && !blocked.ok && blocked.error.kind === "Io", blocked?.ok ? "ok" : blocked?.error.message);
});

test("downloadToFile gives the partial file the mtime before it moves into place, read-only target or not", async () => {
  const body = Buffer.from("bytes with a time");
  const wire: Next = async () =>
    newResponse(
      206,
      [
        ["etag", '"e1"'],
        ["last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"],
        ["x-ms-blob-type", "BlockBlob"],
        ["content-range", `bytes 0-${body.length - 1}/${body.length}`],
        ["content-length", String(body.length)],
      ],
      body,
    );
  const reader = container(wire).blob("b")[RANGE_READER]();
  const mtime = 1_600_000_000n * 1_000_000_000n + 250_000_000n;
  const folder = mkdtempSync(join(dir, "mtime-"));
  // Linked into place (overwrite false): the one inode has the time.
  const linked = join(folder, "linked");
  await downloadToFile(reader, linked, { overwrite: false }, mtime);
  assert.equal(statSync(linked, { bigint: true }).mtimeNs, mtime);
  // Renamed over a read-only file.
  const readOnly = join(folder, "read-only");
  writeFileSync(readOnly, "old");
  chmodSync(readOnly, 0o444);
  await downloadToFile(reader, readOnly, {}, mtime + 1_000_000_000n);
  assert.equal(readFileSync(readOnly, "utf8"), "bytes with a time");
  assert.equal(statSync(readOnly, { bigint: true }).mtimeNs, mtime + 1_000_000_000n);
  assert.deepEqual(readdirSync(folder).sort(), ["linked", "read-only"], "no partial file left");
  // Without a time, the file keeps the time it was written at.
  const plain = join(folder, "plain");
  await downloadToFile(reader, plain, {});
  assert.notEqual(statSync(plain, { bigint: true }).mtimeNs, mtime);
});

/** Lets every pending promise reaction run: the pool's waits involve no I/O, so after this nothing more can start. */
const settled = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Starts `n` works of `charge` bytes on `pool`, each held until released; counts those started. */
function hold(pool: FilePool, n: number, charge: number) {
  const state = { started: 0, release: [] as Array<() => void> };
  const runs = Array.from({ length: n }, () =>
    pool.run(charge, async () => {
      state.started += 1;
      await new Promise<void>((resolve) => state.release.push(resolve));
    }),
  );
  return { state, all: Promise.all(runs) };
}

test("the pool starts no more files than its fixed concurrency, and the next as one ends", async () => {
  const { state, all } = hold(new FilePool(3, 1 << 20, 1024), 5, 10);
  await settled();
  assert.equal(state.started, 3);
  state.release.shift()?.();
  await settled();
  assert.equal(state.started, 4);
  for (const go of state.release.splice(0)) go();
  await settled();
  for (const go of state.release.splice(0)) go();
  await all;
  assert.equal(state.started, 5);
});

test("the pool starts no more bytes than its budget: a 2 KiB budget holds two 1000-byte files", async () => {
  const { state, all } = hold(new FilePool(8, 2048, 1024), 4, 1000);
  await settled();
  assert.equal(state.started, 2);
  state.release.shift()?.();
  await settled();
  assert.equal(state.started, 3);
  // A file larger than the whole budget takes all of it, not more: it still runs.
  for (const go of state.release.splice(0)) go();
  await settled();
  for (const go of state.release.splice(0)) go();
  await all;
  const big = hold(new FilePool(8, 2048, 1024), 1, 1 << 30);
  await settled();
  assert.equal(big.state.started, 1);
  big.state.release.shift()?.();
  await big.all;
});
