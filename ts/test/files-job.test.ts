// A many-file job's shared budgets against Azurite, the twin of Rust's
// tests/files_job.rs: the job's adaptive concurrency backs off when 503s
// are injected in front of the emulator (a wire that answers every fourth
// Put Blob or ranged Get 503 and passes the rest to the real wire, as the
// Rust test kit's FaultProxy does), and a rate cap paces the bytes on the
// wire (also within one large file), not only the files' starts. Every test
// and hook has a timeout (node:test has none by default).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  ClientBuilder,
  type ContainerClient,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  type FileJob,
  type FileReport,
  type FileResult,
  ifMatch,
  ifNotExists,
  type Next,
  newResponse,
  nodeWire,
} from "../src/index.js";
import { createContainer } from "./conformance/suite.js";
import { type Emulator, startEmulator } from "./support/azurite.js";

let emulator: Emulator;
const dir = mkdtempSync(join(tmpdir(), "azblob-ts-files-job-"));
// The hook starts a process; node:test gives it no timeout of its own.
before(
  async () => {
    emulator = await startEmulator();
  },
  { timeout: 120_000 },
);
after(() => {
  emulator?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const direct = () => new ClientBuilder().endpoint(emulator.endpoint).sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY).build();

/** Writes `count` files of `size` random bytes and their jobs, named `prefix/f{i}`. */
function files(count: number, size: number, prefix: string): FileJob[] {
  const folder = mkdtempSync(join(dir, `${prefix}-`));
  return Array.from({ length: count }, (_, i) => {
    const path = join(folder, `f${i}`);
    writeFileSync(path, randomBytes(size));
    return { path, name: `${prefix}/f${i}` };
  });
}

async function collect(results: AsyncIterable<FileResult>): Promise<FileReport[]> {
  const out: FileReport[] = [];
  for await (const r of results) out.push(r.ok ? r.value : assert.fail(`${r.job.name}: ${r.error.message}`));
  return out;
}

test("a throttled job backs off and ends complete (503s in front of Azurite)", { timeout: 120_000 }, async () => {
  const container = await createContainer(direct(), `files-job-${randomBytes(4).toString("hex")}`);
  // Every fourth Put Blob and every fourth ranged Get is answered 503 before it reaches the emulator.
  const real = nodeWire();
  let seen = 0;
  let injected = 0;
  const faulty: Next = async (request) => {
    const data =
      (request.method === "PUT" || request.method === "GET") && !/[?&](comp|restype)=/.test(request.url.search);
    if (data && seen++ % 4 === 3) {
      injected += 1;
      return newResponse(503, [["x-ms-error-code", "ServerBusy"]]);
    }
    return real(request);
  };
  const throttled = new ClientBuilder()
    .endpoint(emulator.endpoint)
    .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
    .wire(faulty)
    .retry({ maxRetries: 8 })
    // Retries do not wait: the test is about the limiter, not the backoff.
    .clock({ sleep: async () => {}, now: () => Date.now() })
    .build()
    .container(container.name);
  const jobs = files(120, 2000, "t");
  const up = await collect(throttled.uploadFiles(jobs));
  assert.equal(up.length, 120, "every file ends complete");
  assert.ok(Math.max(...up.map((r) => r.jobConcurrencyBackoffs)) >= 1, "the job's limiter halved on its files' 503s");
  assert.ok(injected >= 20, `${injected} injected`);
  assert.equal(
    up.reduce((n, r) => n + r.stats.throttled, 0),
    injected,
    "each 503 is counted once, in its file's stats",
  );
  for (const job of jobs) {
    const stored = await direct().blob(container.name, job.name).download();
    assert.ok(Buffer.from(stored).equals(readFileSync(job.path)), job.name);
  }

  // The same for a download of the files just sent.
  const before = injected;
  const out = mkdtempSync(join(dir, "out-"));
  const downloads = jobs.map((j) => ({ path: join(out, j.name), name: j.name, size: 2000 }));
  const down = await collect(throttled.downloadFiles(downloads));
  assert.equal(down.length, 120);
  assert.ok(Math.max(...down.map((r) => r.jobConcurrencyBackoffs)) >= 1, "the download job's limiter halved too");
  assert.ok(injected > before + 10, `${injected - before} injected`);
  jobs.forEach((up, i) => {
    assert.ok(readFileSync(downloads[i]?.path ?? "").equals(readFileSync(up.path)), up.name);
  });
});

test("a rate cap paces the bytes of one large file both ways", { timeout: 120_000 }, async () => {
  const container: ContainerClient = await createContainer(direct(), `files-cap-${randomBytes(4).toString("hex")}`);
  // One file of 600 KB in 64 KiB blocks: a cap that paced file starts alone would let it go at full speed.
  const size = 600_000;
  const jobs = files(1, size, "cap");
  const rate = 300_000;
  const lowerBound = (size / rate) * 1000;

  let started = performance.now();
  await collect(container.uploadFilesOpts(jobs, { maxBytesPerSecond: rate, upload: { blockSize: 64 * 1024 } }));
  const capped = performance.now() - started;
  assert.ok(capped >= lowerBound, `capped upload took ${capped} ms, less than ${lowerBound}`);

  started = performance.now();
  const [free] = await collect(container.uploadFilesOpts(jobs, { upload: { blockSize: 64 * 1024 } }));
  const uncapped = performance.now() - started;
  assert.ok(uncapped < capped, `uncapped ${uncapped} ms is faster than capped ${capped} ms`);
  assert.ok((free?.stats.requests ?? 0) > 1, "the file went in blocks");

  const back = join(dir, "back");
  started = performance.now();
  await collect(
    container.downloadFilesOpts([{ path: back, name: "cap/f0", size }], {
      maxBytesPerSecond: rate,
      download: { chunkSize: 64 * 1024 },
    }),
  );
  const cappedDown = performance.now() - started;
  assert.ok(cappedDown >= lowerBound, `capped download took ${cappedDown} ms, less than ${lowerBound}`);
  assert.ok(readFileSync(back).equals(readFileSync(jobs[0]?.path ?? "")));
});

// The twin of Rust's tests/dirs.rs `a_jobs_conditions_replace_the_options_for_its_file`.
test("a job's conditions replace the options' for its file", { timeout: 120_000 }, async () => {
  const container: ContainerClient = await createContainer(direct(), `files-cond-${randomBytes(4).toString("hex")}`);
  const folder = mkdtempSync(join(dir, "cond-"));
  const write = (name: string, size: number) => {
    const path = join(folder, name);
    writeFileSync(path, Buffer.alloc(size, "n"));
    return path;
  };
  for (const name of ["c/appeared", "c/big", "c/known", "c/stale", "c/plain"]) {
    await container.blob(name).put(Buffer.from("old"));
  }
  const knownEtag = (await container.blob("c/known").properties()).etag;
  const staleEtag = (await container.blob("c/stale").properties()).etag;
  await container.blob("c/stale").put(Buffer.from("changed"));
  const jobs: FileJob[] = [
    { path: write("new", 10), name: "c/new", conditions: ifNotExists() },
    { path: write("appeared", 10), name: "c/appeared", conditions: ifNotExists() },
    { path: write("big", 150_000), name: "c/big", conditions: ifNotExists() },
    { path: write("known", 10), name: "c/known", conditions: ifMatch(knownEtag) },
    { path: write("stale", 10), name: "c/stale", conditions: ifMatch(staleEtag) },
    // No conditions of its own: the options' If-Match of an ETag no blob has applies, and refuses it.
    { path: write("plain", 10), name: "c/plain" },
  ];
  const outcomes = new Map<string, string | undefined>();
  for await (const r of container.uploadFilesOpts(jobs, {
    upload: { blockSize: 64 * 1024, blob: { conditions: ifMatch('"0x0"') } },
  })) {
    outcomes.set(r.job.name, r.ok ? undefined : r.error.kind);
  }
  assert.deepEqual(
    [...outcomes].sort(([a], [b]) => a.localeCompare(b)),
    [
      ["c/appeared", "AlreadyExists"],
      ["c/big", "AlreadyExists"],
      ["c/known", undefined],
      ["c/new", undefined],
      ["c/plain", "PreconditionFailed"],
      ["c/stale", "PreconditionFailed"],
    ],
  );
  const bodies: Array<[string, string]> = [
    ["c/new", "nnnnnnnnnn"],
    ["c/known", "nnnnnnnnnn"],
    ["c/appeared", "old"],
    ["c/big", "old"],
    ["c/stale", "changed"],
    ["c/plain", "old"],
  ];
  for (const [name, body] of bodies) {
    const got = await (await container.blob(name).get()).bytes();
    assert.equal(Buffer.from(got).toString(), body, name);
  }
});
