// TransferStats in upload, download and block copy reports: every attempt
// counted by the retry policy, retries and throttled answers among them,
// over a scripted wire that answers 503 once.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ClientBuilder, CopySource, DEV_BLOB_ENDPOINT, type Next, newResponse, type Request } from "../src/index.js";

const noSleep = { sleep: async () => {}, now: () => Date.now() };
const HEAD: Array<[string, string]> = [
  ["etag", '"0x1"'],
  ["last-modified", "Mon, 30 Nov 2026 20:00:00 GMT"],
  ["x-ms-blob-type", "BlockBlob"],
];
const DATA = new TextEncoder().encode("0123456789");

/** Answers a 10-byte blob's requests, the first matching `busy` once with 503. */
function wire(busy: (r: Request) => boolean): Next {
  let refused = false;
  return async (request) => {
    if (!refused && busy(request)) {
      refused = true;
      return newResponse(503, [["x-ms-error-code", "ServerBusy"]]);
    }
    const q = request.url.searchParams;
    if (request.method === "HEAD") return newResponse(200, [...HEAD, ["content-length", "10"]]);
    if (request.method === "GET") {
      const m = /bytes=(\d+)-(\d+)/.exec(request.headers.get("x-ms-range") ?? "");
      const start = Number(m?.[1] ?? 0);
      const end = Math.min(Number(m?.[2] ?? 9), 9);
      const body = DATA.subarray(start, end + 1);
      return newResponse(
        206,
        [...HEAD, ["content-length", String(body.length)], ["content-range", `bytes ${start}-${end}/10`]],
        body,
      );
    }
    if (q.get("comp") === "block") return newResponse(201);
    return newResponse(201, HEAD);
  };
}

function blob(next: Next) {
  return new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(next).clock(noSleep).build().blob("c1c", "b");
}

test("an upload's report counts its blocks, the commit, and the retry of a throttled block", async () => {
  const target = blob(wire((r) => r.url.searchParams.get("comp") === "block"));
  const report = await target.uploadOpts(DATA, { blockSize: 4, singlePutMax: 0, concurrency: 1 });
  assert.equal(report.blocks, 3);
  assert.deepEqual([report.stats.requests, report.stats.retries, report.stats.throttled], [5, 1, 1]);
  assert.ok(report.stats.serviceTime >= 0);
  const single = await blob(wire(() => false)).upload(DATA);
  assert.deepEqual([single.stats.requests, single.stats.retries, single.stats.throttled], [1, 0, 0]);
});

test("a download's report counts its first read and its ranges", async () => {
  const source = blob(wire((r) => r.headers.get("x-ms-range") === "bytes=4-7"));
  const chunks: Uint8Array[] = [];
  const { Writable } = await import("node:stream");
  const writer = new Writable({
    write(chunk: Buffer, _e, done) {
      chunks.push(chunk);
      done();
    },
  });
  const report = await source.downloadToWriterOpts(writer, { chunkSize: 4, concurrency: 1 });
  assert.equal(Buffer.concat(chunks).toString(), "0123456789");
  assert.deepEqual([report.stats.requests, report.stats.retries, report.stats.throttled], [4, 1, 1]);
});

test("a block copy's report counts its blocks and its commit", async () => {
  const next = wire((r) => r.headers.get("x-ms-source-range") === "bytes=0-3");
  const client = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(next).clock(noSleep).build();
  const report = await client
    .blob("c1c", "dst")
    .copyBlocksFromUrlOpts(CopySource.blob(client.blob("c1c", "src")), { blockSize: 4, concurrency: 1 });
  // The source's properties are read before the copy, not counted in it.
  assert.deepEqual([report.stats.requests, report.stats.retries, report.stats.throttled], [5, 1, 1]);
});
