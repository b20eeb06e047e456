// The download engine against a scripted wire that serves ranges of a
// buffer (as the Rust hostile.rs tests do): order, If-Match, MD5 checks, files.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ClientBuilder, DEV_BLOB_ENDPOINT, type Next, newResponse, type Request } from "../src/index.js";

interface Served {
  wire: Next;
  seen: Request[];
}

/** Serves `data` by `x-ms-range`, with `md5` as the stored MD5; `mutate` may change an answer. */
function serve(
  data: Uint8Array,
  md5: Uint8Array | undefined,
  mutate?: (r: Request, i: number) => Uint8Array | undefined,
): Served {
  const seen: Request[] = [];
  const wire: Next = async (request) => {
    seen.push(request);
    const m = /^bytes=(\d+)-(\d*)$/.exec(request.headers.get("x-ms-range") ?? "");
    const start = Number(m?.[1] ?? 0);
    const end = Math.min(m?.[2] ? Number(m[2]) : data.length - 1, data.length - 1);
    const body = mutate?.(request, seen.length - 1) ?? data.subarray(start, end + 1);
    const headers: Array<[string, string]> = [
      ["etag", '"e1"'],
      ["last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"],
      ["x-ms-blob-type", "BlockBlob"],
      ["content-range", `bytes ${start}-${end}/${data.length}`],
      ["content-length", String(body.length)],
    ];
    if (md5) headers.push(["x-ms-blob-content-md5", Buffer.from(md5).toString("base64")]);
    return newResponse(206, headers, body);
  };
  return { wire, seen };
}

const data = new Uint8Array(Array.from({ length: 1000 }, (_, i) => (i * 7) % 256));
const md5 = new Uint8Array(createHash("md5").update(data).digest());
const client = (wire: Next) =>
  new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(wire).retry({ maxRetries: 0 }).build();

test("ranges arrive in order, every one after the first under If-Match, the MD5 checked", async () => {
  const { wire, seen } = serve(data, md5);
  const blob = client(wire).blob("c1c", "b");
  const chunks: number[] = [];
  const { Writable } = await import("node:stream");
  const out: Buffer[] = [];
  const report = await blob.downloadToWriterOpts(
    new Writable({
      write(chunk: Buffer, _e, done) {
        out.push(chunk);
        chunks.push(chunk.length);
        done();
      },
    }),
    { chunkSize: 128, concurrency: 3, verifyMd5: true },
  );
  assert.deepEqual(Buffer.concat(out), Buffer.from(data));
  assert.deepEqual([report.chunks, report.md5Verified, report.bytes], [8, true, 1000]);
  assert.equal(seen[0]?.headers.get("if-match"), undefined);
  assert.ok(seen.slice(1).every((r) => r.headers.get("if-match") === '"e1"'));
});

test("a corrupted range fails the MD5 check; no stored MD5 fails a required check before any byte", async () => {
  const corrupt = serve(data, md5, (_r, i) => (i === 3 ? new Uint8Array(128) : undefined));
  await assert.rejects(client(corrupt.wire).blob("c1c", "b").downloadOpts({ chunkSize: 128, verifyMd5: true }), {
    kind: "IntegrityMismatch",
  });
  const bare = serve(data, undefined);
  let delivered = 0;
  const { Writable } = await import("node:stream");
  const sink = new Writable({
    write(_c, _e, done) {
      delivered += 1;
      done();
    },
  });
  await assert.rejects(client(bare.wire).blob("c1c", "b").downloadToWriterOpts(sink, { requireMd5: true }), {
    kind: "Unverifiable",
  });
  assert.equal(delivered, 0);
  const unchecked = await client(bare.wire).blob("c1c", "b").downloadToWriterOpts(sink, { verifyMd5: true });
  assert.equal(unchecked.md5Verified, false, "no stored MD5: nothing to verify");
});

test("a short body is resumed from the next byte under If-Match; past the resumes it is a Transport error", async () => {
  // The third answer stops after 5 of its 128 bytes; the resume asks for the rest.
  const short = serve(data, md5, (_r, i) => (i === 2 ? data.subarray(256, 261) : undefined));
  const resumed = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(short.wire).build();
  assert.deepEqual(await resumed.blob("c1c", "b").downloadOpts({ chunkSize: 128, concurrency: 1 }), data);
  const again = short.seen.find((r) => r.headers.get("x-ms-range") === "bytes=261-383");
  assert.ok(again, short.seen.map((r) => r.headers.get("x-ms-range")).join(" "));
  assert.equal(again.headers.get("if-match"), '"e1"');
  const broken = serve(data, md5, (_r, i) => (i === 2 ? new Uint8Array(5) : undefined));
  await assert.rejects(
    client(broken.wire).blob("c1c", "b").downloadOpts({ chunkSize: 128 }),
    (err: Error & { kind?: string }) => {
      assert.equal(err.kind, "Transport");
      assert.match(err.message, /ended early after 5 of 128 bytes/);
      return true;
    },
  );
});

test("a range other than asked is an invalid response", async () => {
  const { wire } = serve(data, md5);
  const shifted: Next = async (request) => {
    const response = await wire(request);
    if (request.headers.get("x-ms-range") === "bytes=128-255")
      response.headers.set("content-range", "bytes 0-127/1000");
    return response;
  };
  await assert.rejects(client(shifted).blob("c1c", "b").downloadOpts({ chunkSize: 128 }), { kind: "InvalidResponse" });
});

test("a file download leaves nothing behind on failure and refuses to overwrite when asked", async () => {
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-file-"));
  try {
    const path = join(dir, "out.bin");
    const broken = serve(data, md5, (_r, i) => (i === 2 ? new Uint8Array(3) : undefined));
    await assert.rejects(client(broken.wire).blob("c1c", "b").downloadToFileOpts(path, { chunkSize: 128 }));
    assert.deepEqual([existsSync(path), existsSync(`${path}.partial`)], [false, false]);
    const good = serve(data, md5);
    await client(good.wire).blob("c1c", "b").downloadToFile(path);
    assert.deepEqual(readFileSync(path), Buffer.from(data));
    writeFileSync(path, "keep me");
    await assert.rejects(client(good.wire).blob("c1c", "b").downloadToFileOpts(path, { overwrite: false }), {
      kind: "AlreadyExists",
    });
    assert.equal(readFileSync(path, "utf8"), "keep me");
    assert.equal(existsSync(`${path}.partial`), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
