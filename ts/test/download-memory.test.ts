// The placed downloads: into memory (`downloadOpts`), one buffer, every range
// copied to its place as it arrives, in parallel; into a file, every range
// written at its offset. Against a scripted wire serving ranges of a buffer,
// as download.test.ts.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ClientBuilder, DEV_BLOB_ENDPOINT, type Next, newResponse, type Request, WireError } from "../src/index.js";

/** Serves `data` by `x-ms-range`; `answer` may replace an answer (by request and index). */
function serve(data: Uint8Array, answer?: (r: Request, i: number) => ReturnType<Next> | undefined) {
  const seen: Request[] = [];
  let inFlight = 0;
  let peak = 0;
  const wire: Next = async (request) => {
    seen.push(request);
    const replaced = answer?.(request, seen.length - 1);
    if (replaced) return replaced;
    inFlight += 1;
    peak = Math.max(peak, inFlight);
    // A turn of the event loop, so that ranges asked together overlap.
    await new Promise((resolve) => setImmediate(resolve));
    inFlight -= 1;
    const m = /^bytes=(\d+)-(\d*)$/.exec(request.headers.get("x-ms-range") ?? "");
    const start = Number(m?.[1] ?? 0);
    const end = Math.min(m?.[2] ? Number(m[2]) : data.length - 1, data.length - 1);
    const body = data.subarray(start, end + 1);
    return newResponse(
      206,
      [
        ["etag", '"e1"'],
        ["last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"],
        ["x-ms-blob-type", "BlockBlob"],
        ["content-range", `bytes ${start}-${end}/${data.length}`],
        ["content-length", String(body.length)],
        ["x-ms-blob-content-md5", createHash("md5").update(data).digest("base64")],
      ],
      body,
    );
  };
  return { wire, seen, peak: () => peak };
}

const data = new Uint8Array(Array.from({ length: 1000 }, (_, i) => (i * 13) % 251));
const client = (wire: Next) =>
  new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(wire).retry({ maxRetries: 0 }).build();

test("ranges in parallel land in their places, the last one short, all after the first under If-Match", async () => {
  const served = serve(data);
  const got = await client(served.wire)
    .blob("c1c", "b")
    .downloadOpts({ chunkSize: 96, concurrency: 4, verifyMd5: true });
  assert.deepEqual(Buffer.from(got), Buffer.from(data));
  assert.equal(got.byteLength, data.length);
  assert.equal(got.buffer.byteLength, data.length, "the result owns its memory, no pool around it");
  assert.equal(served.seen.length, Math.ceil(1000 / 96));
  assert.ok(served.seen.slice(1).every((r) => r.headers.get("if-match") === '"e1"'));
  assert.ok(served.peak() > 1, `ranges were asked together: ${served.peak()}`);
});

test("every range after the first, a resumed one too, offers the wire its place in the result", async () => {
  // The third range's first answer breaks off after 30 bytes; its resume asks the rest.
  const served = serve(data, (request, i) => {
    if (i !== 2) return undefined;
    const response = newResponse(206, [
      ["etag", '"e1"'],
      ["last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"],
      ["x-ms-blob-type", "BlockBlob"],
      ["content-range", "bytes 200-299/1000"],
      ["content-length", "100"],
    ]);
    response.stream = (async function* () {
      yield data.subarray(200, 230);
      throw new WireError("io", "the response body broke off");
    })();
    assert.ok(request.bodyInto);
    return Promise.resolve(response);
  });
  const got = await new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .wire(served.wire)
    .retry({ maxRetries: 1 })
    .build()
    .blob("c1c", "b")
    .downloadOpts({ chunkSize: 100, concurrency: 1 });
  assert.deepEqual(Buffer.from(got), Buffer.from(data));
  const places = served.seen.map((r) => [r.headers.get("x-ms-range"), r.bodyInto?.byteOffset, r.bodyInto?.length]);
  assert.deepEqual(places.slice(0, 4), [
    // The first answer gives the size: no result exists yet to offer.
    ["bytes=0-99", undefined, undefined],
    ["bytes=100-199", 100, 100],
    ["bytes=200-299", 200, 100],
    ["bytes=230-299", 230, 70],
  ]);
  assert.ok(
    served.seen.slice(1).every((r) => r.bodyInto?.buffer === got.buffer),
    "every place is in the result's own memory",
  );
});

test("a blob that changes midway fails as PreconditionFailed and no more ranges are asked", async () => {
  const served = serve(data, (_r, i) =>
    i === 3 ? Promise.resolve(newResponse(412, [["x-ms-error-code", "ConditionNotMet"]])) : undefined,
  );
  await assert.rejects(client(served.wire).blob("c1c", "b").downloadOpts({ chunkSize: 50, concurrency: 2 }), {
    kind: "PreconditionFailed",
  });
  assert.ok(served.seen.length < 20, `stopped early: ${served.seen.length} of 20 asked`);
});

test("a range answered with more bytes than asked is an error, never a write past its place", async () => {
  const served = serve(data, (_r, i) => {
    if (i !== 2) return undefined;
    const body = new Uint8Array(150);
    return Promise.resolve(
      newResponse(
        206,
        [
          ["etag", '"e1"'],
          ["last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"],
          ["x-ms-blob-type", "BlockBlob"],
          ["content-range", "bytes 200-299/1000"],
          ["content-length", "150"],
        ],
        body,
      ),
    );
  });
  await assert.rejects(client(served.wire).blob("c1c", "b").downloadOpts({ chunkSize: 100, concurrency: 1 }), {
    kind: "Transport",
    message: /longer than the 100 bytes/,
  });
});

test("a file download writes ranges in parallel at their offsets, with or without an MD5 check", async () => {
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-placed-"));
  try {
    for (const verifyMd5 of [false, true]) {
      const served = serve(data);
      const path = join(dir, `out-${verifyMd5}.bin`);
      const report = await client(served.wire)
        .blob("c1c", "b")
        .downloadToFileOpts(path, { chunkSize: 70, concurrency: 4, verifyMd5 });
      assert.deepEqual(readFileSync(path), Buffer.from(data));
      assert.deepEqual([report.bytes, report.chunks, report.md5Verified], [1000, Math.ceil(1000 / 70), verifyMd5]);
      assert.ok(served.peak() > 1, `ranges were asked together: ${served.peak()}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
