// Put Block From URL's builder, the copy checkpoint (the Rust format, read
// as untrusted input), and the block copy engine against a scripted wire.

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  AzblobError,
  BlobRange,
  ClientBuilder,
  CopySource,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  DEV_BLOB_ENDPOINT,
  type Next,
  newResponse,
} from "../src/index.js";
import { buildPutBlockFromUrlRequest, refineSourceChanged } from "../src/ops/put-block-from-url.js";
import { isUnredactedCredentialHeader } from "../src/sim/detect.js";
import { sanitizeHeader } from "../src/sim/sanitize.js";
import {
  checkCopyMatches,
  newCopyCheckpoint,
  parseCopyCheckpoint,
  serializeCopyCheckpoint,
} from "../src/transfer/copy-checkpoint.js";

const url = new URL("https://a.blob.core.windows.net/c/dst");
const source = new URL("https://a.blob.core.windows.net/c/src?sv=2023-11-03&sig=abc");

test("Put Block From URL: source, range, ETag pin, CRC64 and token, checked before sending", () => {
  const r = buildPutBlockFromUrlRequest(url, "YmxvY2stMQ==", source, "tok", {
    sourceRange: BlobRange.of(1024, 2048),
    sourceIfMatch: '"0x1"',
    sourceContentCrc64: 0x6596_32cb_7e4b_e261n,
  });
  assert.equal(r.url.search, "?comp=block&blockid=YmxvY2stMQ%3D%3D");
  assert.equal(r.headers.get("x-ms-copy-source"), source.href);
  assert.equal(r.headers.get("x-ms-copy-source-authorization"), "Bearer tok");
  assert.equal(r.headers.get("x-ms-source-range"), "bytes=1024-3071");
  assert.equal(r.headers.get("x-ms-source-if-match"), '"0x1"');
  // The CRC64 of "Hello World", little-endian base64.
  assert.equal(r.headers.get("x-ms-source-content-crc64"), "YeJLfssylmU=");
  assert.equal(r.body.length, 0);
  assert.equal(r.idempotent, true);
  assert.throws(() => buildPutBlockFromUrlRequest(url, "not base64!", source, undefined), { kind: "InvalidInput" });
  assert.throws(() => buildPutBlockFromUrlRequest(url, "QUFB", source, undefined, { sourceIfMatch: "" }), {
    kind: "InvalidInput",
  });
  assert.throws(
    () =>
      buildPutBlockFromUrlRequest(url, "QUFB", source, undefined, { sourceRange: BlobRange.of(0, 4001 * 1024 * 1024) }),
    { kind: "InvalidInput" },
  );
});

test("a 412 of Put Block From URL is a changed source; other errors pass", async () => {
  const { errorOfKind } = await import("../src/errors/kinds.js");
  const refined = refineSourceChanged(
    errorOfKind("PreconditionFailed", { status: 412, errorCode: "SourceConditionNotMet" }),
  );
  assert.ok(refined instanceof AzblobError);
  assert.deepEqual([refined.kind, refined.status, refined.errorCode], ["SourceChanged", 412, "SourceConditionNotMet"]);
  const other = errorOfKind("NotFound", {});
  assert.equal(refineSourceChanged(other), other);
});

test("x-ms-copy-source-authorization is redacted in cassettes and a leftover token is refused", () => {
  assert.equal(sanitizeHeader("x-ms-copy-source-authorization", "Bearer secret-token").includes("secret-token"), false);
  assert.equal(isUnredactedCredentialHeader("x-ms-copy-source-authorization", "Bearer secret-token"), true);
});

const SAMPLE = `{
  "format": "azblob-copy-checkpoint/1",
  "blob": "https://acct.blob.core.windows.net/c/dst",
  "source": "https://acct.blob.core.windows.net/c/src",
  "source_etag": "\\"0x8D1\\"",
  "source_size": 1073741824,
  "block_size": 134217728,
  "block_count": 8,
  "session_id": "0123456789abcdef"
}`;

test("the copy checkpoint is the Rust format, and each bad field is named", () => {
  const parsed = parseCopyCheckpoint(SAMPLE);
  assert.equal(serializeCopyCheckpoint(parsed), SAMPLE, "written as serde_json writes it");
  const good = newCopyCheckpoint(
    "http://127.0.0.1:10000/devstoreaccount1/c/dst",
    "http://127.0.0.1:10000/devstoreaccount1/c/src",
    '"0x8D1"',
    600 << 20,
    128 << 20,
    "abc-123",
  );
  assert.equal(good.block_count, 5);
  assert.deepEqual(parseCopyCheckpoint(serializeCopyCheckpoint(good)), good);
  const spoils: Array<[string, Record<string, unknown>]> = [
    ["format", { format: "azblob-upload-checkpoint/2" }],
    ["blob", { blob: "file:///etc/passwd" }],
    ["source", { source: "not a url" }],
    ["source_etag", { source_etag: "" }],
    ["block_size", { block_size: 0 }],
    ["block_count", { block_count: 4 }],
    ["session_id", { session_id: "../x" }],
    ["json", { extra: 1 }],
  ];
  for (const [field, spoil] of spoils) {
    assert.throws(
      () => parseCopyCheckpoint(JSON.stringify({ ...good, ...spoil })),
      (err: Error) => err.message.startsWith(field),
    );
  }
  assert.throws(() => parseCopyCheckpoint("{}"));
  checkCopyMatches(good, good.blob, good.source, good.source_etag, good.source_size, "/tmp/x.json");
  assert.throws(() => checkCopyMatches(good, good.blob, good.source, '"0x8D2"', good.source_size, "x"), {
    kind: "SourceChanged",
  });
  assert.throws(() => checkCopyMatches(good, "http://h/a/c/other", good.source, good.source_etag, 1, "x"), {
    kind: "InvalidInput",
  });
});

/** A wire for a 10-byte source in blocks of 4: properties, staged blocks, a commit. */
function copyWire(failBlock?: number): { wire: Next; log: string[] } {
  const log: string[] = [];
  const wire: Next = async (request) => {
    const q = request.url.searchParams;
    if (request.method === "HEAD") {
      log.push("HEAD");
      return newResponse(200, [
        ["content-length", "10"],
        ["etag", '"0xSRC"'],
        ["last-modified", "Mon, 30 Nov 2026 20:00:00 GMT"],
        ["x-ms-blob-type", "BlockBlob"],
        ["content-type", "text/plain"],
        ["x-ms-meta-origin", "src"],
      ]);
    }
    if (q.get("comp") === "blocklist" && request.method === "GET") {
      log.push("GetBlockList");
      return newResponse(200, [], new TextEncoder().encode("<BlockList><UncommittedBlocks/></BlockList>"));
    }
    if (q.get("comp") === "block") {
      const range = request.headers.get("x-ms-source-range") ?? "";
      log.push(`PutBlockFromUrl ${range} ${request.headers.get("x-ms-source-if-match")}`);
      if (failBlock !== undefined && range.startsWith(`bytes=${failBlock * 4}-`)) {
        return newResponse(412, [["x-ms-error-code", "SourceConditionNotMet"]]);
      }
      return newResponse(201);
    }
    if (q.get("comp") === "blocklist") {
      const body = Buffer.from(request.body).toString("utf8");
      log.push(
        `PutBlockList ${(body.match(/<Latest>/g) ?? []).length} ${request.headers.get("x-ms-blob-content-type")} ${request.headers.get("x-ms-meta-origin")}`,
      );
      return newResponse(201, [
        ["etag", '"0xDST"'],
        ["last-modified", "Mon, 30 Nov 2026 20:00:01 GMT"],
      ]);
    }
    return newResponse(500);
  };
  return { wire, log };
}

test("a block copy pins every block to the source's ETag, inherits its headers, and keeps a checkpoint until the commit", async () => {
  const dir = mkdtempSync(join(tmpdir(), "azblob-copy-"));
  try {
    const { wire, log } = copyWire();
    const client = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(wire).build();
    const checkpoint = join(dir, "copy.json");
    const from = CopySource.url("https://elsewhere.example/c/src?sig=x");
    const target = client.blob("c1c", "dst");
    // A URL source this client cannot read needs its properties given.
    await assert.rejects(target.copyBlocksFromUrl(from), { kind: "InvalidInput" });
    assert.deepEqual(log, []);
    const report = await target.copyBlocksFromUrlOpts(CopySource.blob(client.blob("c1c", "src")), {
      blockSize: 4,
      concurrency: 2,
      checkpoint,
    });
    assert.deepEqual([report.bytes, report.blocks, report.resumedBlocks, report.etag], [10, 3, 0, '"0xDST"']);
    assert.deepEqual(log.slice(0, 1), ["HEAD"]);
    assert.deepEqual(log.slice(1, 4).sort(), [
      'PutBlockFromUrl bytes=0-3 "0xSRC"',
      'PutBlockFromUrl bytes=4-7 "0xSRC"',
      'PutBlockFromUrl bytes=8-9 "0xSRC"',
    ]);
    assert.equal(log[4], "PutBlockList 3 text/plain src");
    assert.throws(() => readFileSync(checkpoint), /ENOENT/, "the checkpoint is gone after the commit");

    // A changed source fails the copy with SourceChanged, nothing committed, the checkpoint kept for a resume.
    const failing = copyWire(1);
    const client2 = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(failing.wire).build();
    await assert.rejects(
      client2
        .blob("c1c", "dst")
        .copyBlocksFromUrlOpts(CopySource.blob(client2.blob("c1c", "src")), { blockSize: 4, checkpoint }),
      { kind: "SourceChanged" },
    );
    assert.ok(!failing.log.some((l) => l.startsWith("PutBlockList")));
    const saved = parseCopyCheckpoint(readFileSync(checkpoint, "utf8"));
    assert.deepEqual([saved.source_etag, saved.block_size, saved.block_count], ['"0xSRC"', 4, 3]);
    // Resumed: the staged list is read and the same session's ids are committed.
    const resumed = copyWire();
    const client3 = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(resumed.wire).build();
    const again = await client3
      .blob("c1c", "dst")
      .copyBlocksFromUrlOpts(CopySource.blob(client3.blob("c1c", "src")), { checkpoint, resume: true });
    assert.equal(again.blockSize, 4, "the checkpoint's block size, whatever is asked now");
    assert.ok(resumed.log.includes("GetBlockList"));
    // A checkpoint of another source is refused.
    writeFileSync(checkpoint, serializeCopyCheckpoint({ ...saved, source: "http://other/c/x" }));
    await assert.rejects(
      client3
        .blob("c1c", "dst")
        .copyBlocksFromUrlOpts(CopySource.blob(client3.blob("c1c", "src")), { checkpoint, resume: true }),
      { kind: "InvalidInput" },
    );
    await assert.rejects(target.copyBlocksFromUrlOpts(CopySource.blob(client.blob("c1c", "src")), { blockSize: 0 }), {
      kind: "InvalidInput",
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a block copy's checkpoint names its source without the SAS its blocks carry", async () => {
  const dir = mkdtempSync(join(tmpdir(), "azblob-copy-"));
  try {
    const checkpoint = join(dir, "copy.json");
    const sources: string[] = [];
    const { wire, log } = copyWire(1);
    const spy: Next = async (request) => {
      const from = request.headers.get("x-ms-copy-source");
      if (from) sources.push(from);
      return wire(request);
    };
    const client = new ClientBuilder()
      .endpoint(DEV_BLOB_ENDPOINT)
      .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
      .wire(spy)
      .build();
    await assert.rejects(
      client
        .blob("c1c", "dst")
        .copyBlocksFromUrlOpts(CopySource.snapshot(client.blob("c1c", "src"), "2026-11-30T20:00:00.0000000Z"), {
          blockSize: 4,
          concurrency: 1,
          checkpoint,
        }),
      { kind: "SourceChanged" },
    );
    assert.ok(log.length > 0);
    assert.ok(sources.length > 0 && sources.every((s) => s.includes("sig=")), "each block reads through a read SAS");
    const text = readFileSync(checkpoint, "utf8");
    assert.ok(!text.includes("sig="), text);
    assert.equal(
      parseCopyCheckpoint(text).source,
      "http://127.0.0.1:10000/devstoreaccount1/c1c/src?snapshot=2026-11-30T20%3A00%3A00.0000000Z",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
