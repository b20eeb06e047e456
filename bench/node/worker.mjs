// `node worker.mjs CLIENT WORKLOAD ENDPOINT SOURCE`: one workload of a
// Node.js Azure Blob client (`azblob-ts`, the TypeScript port in ../../ts,
// built to ts/dist; or `azure-sdk-js`, the pinned @azure/storage-blob)
// against the endpoint, printed as one line in the format of azblob's
// `bench-worker` and bench/peers' `peer-worker`, so that `cargo xtask bench`
// puts all of them in one table.
//
// Workloads, the same as bench/peers' and configured alike (8 MiB blocks or
// ranges, 8 in flight):
// - `upload-memory`: the source read into one Buffer before the clock
//   starts, then uploaded in 8 MiB blocks, 8 in flight;
// - `upload-one-put`: the same Buffer in one Put Blob;
// - `download-memory`: one GET into memory;
// - `download-mem-c8`: ranged GETs of 8 MiB, 8 in flight, into memory;
// - `small-put-get`: 2,000 sequential 4 KiB put and get pairs after 1,000 untimed
//   ones (the connection open, the code compiled), p50 and p99;
// - `list-5000`: 5,000 blobs created (not timed), then listed.

import { createReadStream, readFileSync, statSync, writeFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** Block and range size, as azblob's default and the Rust peers'. */
const PART = 8 * 1024 * 1024;
/** Blocks or ranges in flight, as azblob's default and the Rust peers'. */
const CONCURRENCY = 8;
/**
 * `small-put-get`'s untimed and timed pairs, as in every worker
 * (`xtask/src/bench.rs` says why): the percentiles are a warm client's, its
 * connection open and its code compiled by V8's optimizing tier.
 */
const WARM_UP_PAIRS = 1000;
const TIMED_PAIRS = 2000;
/** The container every workload uses (the sink ignores containers). */
const CONTAINER = "bench";
/** The emulator's well-known account (the sink checks no signature). */
const ACCOUNT = "devstoreaccount1";
/** The emulator's well-known development key, as `azblob::DEV_ACCOUNT_KEY`. */
const ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

// User plus system CPU seconds of this whole process (every thread), from
// /proc/self/stat as xtask's proc_stats.rs reads it, so that all workers
// measure alike.
function cpuSeconds() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 1).trim().split(/\s+/);
  // utime and stime are fields 14 and 15 of the whole line; 100 clock ticks a second on Linux.
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

// Peak resident memory (VmHWM) in MiB, as proc_stats.rs reads it.
function peakRssMib() {
  const status = readFileSync("/proc/self/status", "utf8");
  const line = status.split("\n").find((l) => l.startsWith("VmHWM:"));
  return line ? Number.parseFloat(line.slice(6)) / 1024 : 0;
}

// A measurement started just before the timed part of a workload, the peak
// memory so far forgotten (VmHWM lowered to the current RSS), as the Rust
// workers do (`reset_peak_rss` in xtask/src/proc_stats.rs).
function startClock() {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
  } catch {
    // Not Linux, or /proc not writable: the peak stays the whole process's.
  }
  const cpu0 = cpuSeconds();
  const started = performance.now();
  return {
    seconds: () => (performance.now() - started) / 1000,
    // The throughput line for `size` bytes moved since the start.
    line(workload, size, note) {
      const seconds = (performance.now() - started) / 1000;
      const cpu = cpuSeconds() - cpu0;
      const gb = size / 1e9;
      return `${workload.padEnd(16)} ${((gb * 1000) / seconds).toFixed(0).padStart(10)} ${(cpu / gb).toFixed(2).padStart(12)} ${peakRssMib().toFixed(0).padStart(12)} ${note.padStart(14)}`;
    },
  };
}

// The `q` quantile of `samples` (milliseconds), nearest rank below, as the Rust workers.
function quantile(samples, q) {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) * q)];
}

// The latency line of the timed put and get pairs.
function latencyLine(client, puts, gets) {
  const note = `${client} p50 ${quantile(puts, 0.5).toFixed(2)}/${quantile(gets, 0.5).toFixed(2)} p99 ${quantile(puts, 0.99).toFixed(2)}/${quantile(gets, 0.99).toFixed(2)} ms`;
  return `${"4KiB put/get".padEnd(16)} ${"-".padStart(10)} ${"-".padStart(12)} ${peakRssMib().toFixed(0).padStart(12)} ${note.padStart(14)}`;
}

// The line of a listing of `count` blobs that took `seconds`.
function listLine(client, count, seconds) {
  const note = `${client} ${count} in ${seconds.toFixed(3)} s`;
  return `${"list 5,000".padEnd(16)} ${"-".padStart(10)} ${"-".padStart(12)} ${peakRssMib().toFixed(0).padStart(12)} ${note.padStart(14)}`;
}

// Fails unless the bytes received are the blob's size.
function checkLength(got, want) {
  if (got !== want) throw new Error(`received ${got} bytes of ${want}`);
}

// Runs `fn` on 0..count with `width` calls in flight.
async function pool(count, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) await fn(next++);
    }),
  );
}

// The five operations every workload needs, through the TypeScript port.
// Its defaults are used except where the Rust peers are configured alike:
// 8 MiB blocks and ranges, 8 in flight, and blocks always for
// `upload-memory` (its default Put Blob up to 256 MiB would otherwise take
// a 256 MiB source in one request).
async function azblobTs(endpoint) {
  const ts = await import("../../ts/dist/src/index.js");
  const client = new ts.ClientBuilder().endpoint(endpoint).sharedKey(ACCOUNT, ACCOUNT_KEY).build();
  const container = client.container(CONTAINER);
  return {
    name: "azblob-ts",
    uploadBlocks: async (blob, data) => {
      const report = await container
        .blob(blob)
        .uploadOpts(data, { blockSize: PART, concurrency: CONCURRENCY, singlePutMax: 0 });
      return `${report.blocks}x8MiB c8`;
    },
    put: (blob, data) => container.blob(blob).put(data),
    getWhole: async (blob) => (await (await container.blob(blob).get()).bytes()).length,
    getRanges: async (blob) =>
      (await container.blob(blob).downloadOpts({ chunkSize: PART, concurrency: CONCURRENCY })).length,
    list: async (prefix) => {
      let count = 0;
      for await (const _ of container.listBlobsOpts({ prefix })) count++;
      return count;
    },
  };
}

// The same operations through @azure/storage-blob, as its docs recommend for
// throughput: one BlobServiceClient with a StorageSharedKeyCredential,
// `uploadData` with an 8 MiB block size and 8 in flight (its
// `maxSingleShotSize` lowered so it always uses blocks; `uploadStream` for
// a file read 8 MiB at a time), `downloadToBuffer`
// with 8 MiB blocks and 8 in flight, `download` read whole for one GET,
// `listBlobsFlat` for the listing.
async function azureSdkJs(endpoint) {
  const sdk = await import("@azure/storage-blob");
  const service = new sdk.BlobServiceClient(endpoint, new sdk.StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY));
  const container = service.getContainerClient(CONTAINER);
  return {
    name: "azure-sdk-js",
    uploadBlocks: async (blob, data) => {
      const target = container.getBlockBlobClient(blob);
      if (Buffer.isBuffer(data)) {
        await target.uploadData(data, { blockSize: PART, concurrency: CONCURRENCY, maxSingleShotSize: 1 });
        return `${Math.ceil(data.length / PART)}x8MiB c8`;
      }
      await target.uploadStream(data, PART, CONCURRENCY);
      return "stream";
    },
    put: (blob, data) => container.getBlockBlobClient(blob).upload(data, data.length),
    getWhole: async (blob) => {
      const response = await container.getBlobClient(blob).download();
      const parts = [];
      for await (const chunk of response.readableStreamBody) parts.push(chunk);
      return Buffer.concat(parts).length;
    },
    getRanges: async (blob) =>
      (await container.getBlobClient(blob).downloadToBuffer(0, undefined, { blockSize: PART, concurrency: CONCURRENCY }))
        .length,
    list: async (prefix) => {
      let count = 0;
      for await (const _ of container.listBlobsFlat({ prefix })) count++;
      return count;
    },
  };
}

// Runs `workload` with `client`; returns its result line.
async function run(client, workload, source) {
  const size = statSync(source).size;
  switch (workload) {
    case "upload-memory": {
      // The source is read before the clock starts, as an upload from memory.
      const data = readFileSync(source);
      const clock = startClock();
      const note = await client.uploadBlocks("big.bin", data);
      return clock.line(workload, size, `${client.name} ${note}`);
    }
    case "upload-one-put": {
      const data = readFileSync(source);
      const clock = startClock();
      await client.put("big.bin", data);
      return clock.line(workload, size, `${client.name} one put`);
    }
    case "download-memory":
    case "download-mem-c8": {
      // The blob is put in place first from the file, 8 MiB at a time (as
      // the Rust peers do); not timed, and never the whole source in memory,
      // so the peak memory is the download's.
      await client.uploadBlocks("big.bin", createReadStream(source, { highWaterMark: PART }));
      const clock = startClock();
      const whole = workload === "download-memory";
      const got = whole ? await client.getWhole("big.bin") : await client.getRanges("big.bin");
      checkLength(got, size);
      return clock.line(workload, size, `${client.name} ${whole ? "one GET" : "8MiB ranges c8"}`);
    }
    case "small-put-get": {
      const payload = Buffer.alloc(4096, 7);
      const puts = [];
      const gets = [];
      for (let i = 0; i < WARM_UP_PAIRS; i++) {
        await client.put("small.bin", payload);
        checkLength(await client.getWhole("small.bin"), payload.length);
      }
      for (let i = 0; i < TIMED_PAIRS; i++) {
        let t = performance.now();
        await client.put("small.bin", payload);
        puts.push(performance.now() - t);
        t = performance.now();
        checkLength(await client.getWhole("small.bin"), payload.length);
        gets.push(performance.now() - t);
      }
      return latencyLine(client.name, puts, gets);
    }
    case "list-5000": {
      const one = Buffer.from("x");
      await pool(5000, 32, (i) => client.put(`list/${String(i).padStart(5, "0")}`, one));
      const clock = startClock();
      const count = await client.list("list/");
      return listLine(client.name, count, clock.seconds());
    }
    default:
      throw new Error(`unknown workload ${workload}`);
  }
}

const [clientName, workload, endpoint, source] = process.argv.slice(2);
if (!source) {
  console.error("usage: node worker.mjs azblob-ts|azure-sdk-js WORKLOAD ENDPOINT SOURCE");
  process.exit(2);
}
try {
  const makers = { "azblob-ts": azblobTs, "azure-sdk-js": azureSdkJs };
  const make = makers[clientName];
  if (!make) throw new Error(`unknown client ${clientName}`);
  console.log(await run(await make(endpoint), workload, source));
} catch (err) {
  console.error(`node worker ${clientName} ${workload}: ${err?.stack ?? err}`);
  process.exit(1);
}
