// `node pairs.mjs ENDPOINT [PAIRS] [ROUNDS]`: the 4 KiB put and get pairs of
// worker.mjs's `small-put-get`, for both Node.js clients in one process run
// after run, alternating (ROUNDS rounds of PAIRS pairs each, default 5 of
// 2,000), so that both meet the same machine load. Per client and round it
// prints p50, p99 and p99.9 of puts and gets, CPU milliseconds per pair and
// the garbage collections seen (count and total pause), then each client's
// medians. A quick loop for work on the tail, not a row of the bench table:
// both clients share one process, so one's garbage can land on the other.

import { readFileSync } from "node:fs";
import { PerformanceObserver, performance } from "node:perf_hooks";

const ACCOUNT = "devstoreaccount1";
const ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

const [endpoint, pairsArg, roundsArg] = process.argv.slice(2);
if (!endpoint) {
  console.error("usage: node pairs.mjs ENDPOINT [PAIRS] [ROUNDS]");
  process.exit(2);
}
const PAIRS = Number(pairsArg ?? 2000);
const ROUNDS = Number(roundsArg ?? 5);

// User plus system CPU milliseconds of this process.
function cpuMs() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 1).trim().split(/\s+/);
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const gcs = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcs.push(entry.duration);
}).observe({ entryTypes: ["gc"] });

// PAIRS_DIST=DIR measures another build of the port (say, the one before a change).
const ts = await import(process.env.PAIRS_DIST ? `${process.env.PAIRS_DIST}/src/index.js` : "../../ts/dist/src/index.js");
const sdk = await import("@azure/storage-blob");
const port = new ts.ClientBuilder().endpoint(endpoint).sharedKey(ACCOUNT, ACCOUNT_KEY).build().container("bench");
const service = new sdk.BlobServiceClient(endpoint, new sdk.StorageSharedKeyCredential(ACCOUNT, ACCOUNT_KEY));
const sdkContainer = service.getContainerClient("bench");
const clients = {
  "azblob-ts": {
    put: (data) => port.blob("small.bin").put(data),
    get: async () => (await (await port.blob("small.bin").get()).bytes()).length,
  },
  "azure-sdk-js": {
    put: (data) => sdkContainer.getBlockBlobClient("small.bin").upload(data, data.length),
    get: async () => {
      const response = await sdkContainer.getBlobClient("small.bin").download();
      const parts = [];
      for await (const chunk of response.readableStreamBody) parts.push(chunk);
      return Buffer.concat(parts).length;
    },
  },
};

const q = (xs, p) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)];
const payload = Buffer.alloc(4096, 7);
const results = {};
// PAIRS_ONLY=azblob-ts (or azure-sdk-js) runs one client alone, e.g. under --cpu-prof.
const chosen = Object.entries(clients).filter(([name]) => !process.env.PAIRS_ONLY || name === process.env.PAIRS_ONLY);
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, client] of chosen) {
    const puts = [];
    const gets = [];
    gcs.length = 0;
    const cpu0 = cpuMs();
    for (let i = 0; i < PAIRS; i++) {
      let t = performance.now();
      await client.put(payload);
      puts.push(performance.now() - t);
      t = performance.now();
      if ((await client.get()) !== payload.length) throw new Error("short body");
      gets.push(performance.now() - t);
    }
    // Let the observer deliver this round's collections before they are counted.
    await new Promise((resolve) => setImmediate(resolve));
    const cpu = (cpuMs() - cpu0) / PAIRS;
    const row = {
      p50: Math.max(q(puts, 0.5), q(gets, 0.5)),
      p99: Math.max(q(puts, 0.99), q(gets, 0.99)),
      p999: Math.max(q(puts, 0.999), q(gets, 0.999)),
      cpu,
    };
    (results[name] ??= []).push(row);
    const f = (x) => x.toFixed(2);
    console.log(
      `${name.padEnd(13)} round ${round + 1}: p50 ${f(q(puts, 0.5))}/${f(q(gets, 0.5))} p99 ${f(q(puts, 0.99))}/${f(q(gets, 0.99))} p99.9 ${f(q(puts, 0.999))}/${f(q(gets, 0.999))} ms; CPU ${f(cpu)} ms/pair; ${gcs.length} GCs, ${f(gcs.reduce((a, b) => a + b, 0))} ms`,
    );
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (const [name, rows] of Object.entries(results)) {
  const m = (k) => median(rows.map((r) => r[k])).toFixed(2);
  console.log(`${name.padEnd(13)} medians (worse of put/get): p50 ${m("p50")} p99 ${m("p99")} p99.9 ${m("p999")} ms; CPU ${m("cpu")} ms/pair`);
}
