// Pure request builders and parsers: what they send, what they refuse, what is safe to repeat.

import assert from "node:assert/strict";
import { test } from "node:test";
import { BlobRange, newResponse } from "../src/index.js";
import {
  buildAppendBlockRequest,
  buildCreateAppendBlobRequest,
  buildSealRequest,
  mayHaveAppendedEarlier,
} from "../src/ops/append-blob.js";
import { parseBlobProperties, parseContentRange } from "../src/ops/blob-properties.js";
import { buildDeleteBlobRequest } from "../src/ops/delete-blob.js";
import { buildGetBlobRequest } from "../src/ops/get-blob.js";
import { buildPutBlobRequest } from "../src/ops/put-blob.js";
import { buildSetTierRequest } from "../src/ops/set-tier.js";
import { buildSnapshotRequest, parseSnapshotResponse } from "../src/ops/snapshot.js";

const url = new URL("https://acct.blob.core.windows.net/c/b");
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

test("Put Blob: headers, MD5, and idempotent unless a condition its own success breaks", () => {
  const r = buildPutBlobRequest(url, bytes("hello"), {
    content: { contentType: "text/plain", cacheControl: "no-cache" },
    metadata: { project: "alpha" },
    tier: "Cool",
    transactionalMd5: true,
  });
  assert.equal(r.headers.get("x-ms-blob-type"), "BlockBlob");
  assert.equal(r.headers.get("x-ms-blob-content-type"), "text/plain");
  assert.equal(r.headers.get("x-ms-meta-project"), "alpha");
  assert.equal(r.headers.get("x-ms-access-tier"), "Cool");
  assert.equal(r.headers.get("content-md5"), "XUFAKrxLKna5cZ2REBfFkg==");
  assert.equal(r.idempotent, true);
  const createOnly = buildPutBlobRequest(url, bytes("x"), { conditions: { ifNoneMatch: "*" } });
  assert.equal(createOnly.idempotent, false);
  assert.equal(
    createOnly.repeatRefused,
    true,
    "but a refused one (429, 503) did nothing, and a repeat cannot write twice",
  );
  assert.equal(buildPutBlobRequest(url, bytes("x"), { conditions: { ifMatch: '"e"' } }).idempotent, false);
  assert.equal(buildPutBlobRequest(url, bytes("x"), { conditions: { ifMatch: "*" } }).idempotent, true);
  assert.throws(() => buildPutBlobRequest(url, bytes("x"), { content: { contentMd5: new Uint8Array(3) } }), {
    kind: "InvalidInput",
  });
  assert.throws(
    () => buildPutBlobRequest(url, bytes("x"), { conditions: { ifUnmodifiedSince: new Date(-1) } }),
    /between 1970 and 9999/,
  );
});

test("Get Blob ranges: documented header, empty ranges refused", () => {
  assert.equal(buildGetBlobRequest(url, { range: BlobRange.of(2, 3) }).headers.get("x-ms-range"), "bytes=2-4");
  assert.equal(buildGetBlobRequest(url, { range: BlobRange.fromOffset(7) }).headers.get("x-ms-range"), "bytes=7-");
  assert.equal(BlobRange.inclusive(0, 0).toHeader(), "bytes=0-0");
  assert.throws(() => BlobRange.of(0, 0).toHeader(), { kind: "InvalidInput" });
  assert.throws(() => BlobRange.of(-1, 2), { kind: "InvalidInput" });
  assert.throws(() => BlobRange.inclusive(5, 4), { kind: "InvalidInput" });
  assert.throws(() => BlobRange.of(Number.MAX_SAFE_INTEGER, 3).toHeader(), /overflows/);
  const v = buildGetBlobRequest(url, { selector: { versionId: "2026-01-01T00:00:00.0000000Z" } });
  assert.equal(v.url.searchParams.get("versionid"), "2026-01-01T00:00:00.0000000Z");
  assert.throws(() => buildGetBlobRequest(url, { selector: { snapshot: " " } }), { kind: "InvalidInput" });
});

test("Content-Range: the blob's size, and an empty range at the end is InvalidRange", () => {
  assert.deepEqual(parseContentRange("bytes 0-99/1234"), [0, 99, 1234]);
  assert.throws(() => parseContentRange("bytes 10-9/10"), { kind: "InvalidRange" });
  for (const bad of ["bytes 5-4/10", "bytes 0-10/10", "0-1/2", "bytes a-b/c", "bytes 0-1/99999999999999999999"]) {
    assert.throws(() => parseContentRange(bad), { kind: "InvalidResponse" }, bad);
  }
});

test("properties come from the documented headers", () => {
  const h = new Map([
    ["last-modified", "Fri, 23 Oct 2026 10:00:00 GMT"],
    ["x-ms-creation-time", "Fri, 23 Oct 2026 09:00:00 GMT"],
    ["x-ms-meta-project", "alpha"],
    ["x-ms-blob-type", "BlockBlob"],
    ["content-length", "11"],
    ["content-type", "text/plain"],
    ["etag", '"0x8D7D6A4F9A6A8B0"'],
    ["content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="],
    ["content-encoding", "gzip"],
    ["cache-control", "no-cache"],
    ["x-ms-access-tier", "Hot"],
    ["x-ms-access-tier-inferred", "true"],
    ["x-ms-version-id", "2026-10-23T10:00:00.1234567Z"],
    ["x-ms-is-current-version", "true"],
  ]);
  const p = parseBlobProperties(h);
  assert.deepEqual(
    [p.contentLength, p.etag, p.blobType, p.accessTier, p.accessTierInferred, p.versionId, p.isCurrentVersion],
    [11, '"0x8D7D6A4F9A6A8B0"', "BlockBlob", "Hot", true, "2026-10-23T10:00:00.1234567Z", true],
  );
  assert.equal(p.content.contentMd5?.length, 16);
  assert.deepEqual(p.metadata, { project: "alpha" });
  assert.equal(p.lastModified.toISOString(), "2026-10-23T10:00:00.000Z");
  h.delete("etag");
  assert.throws(() => parseBlobProperties(h), { kind: "InvalidResponse" });
});

test("delete, tier and snapshot builders", () => {
  const d = buildDeleteBlobRequest(url, { deleteSnapshots: "include" });
  assert.deepEqual([d.method, d.headers.get("x-ms-delete-snapshots"), d.idempotent], ["DELETE", "include", true]);
  const t = buildSetTierRequest(url, "archive", { rehydratePriority: "High" });
  assert.deepEqual(
    [t.url.searchParams.get("comp"), t.headers.get("x-ms-access-tier"), t.headers.get("x-ms-rehydrate-priority")],
    ["tier", "Archive", "High"],
  );
  assert.throws(() => buildSetTierRequest(url, "Hot tier"), { kind: "InvalidInput" });
  assert.throws(() => buildSetTierRequest(url, ""), { kind: "InvalidInput" });
  const s = buildSnapshotRequest(url, { metadata: { at: "noon" } });
  assert.deepEqual(
    [s.url.searchParams.get("comp"), s.headers.get("x-ms-meta-at"), s.idempotent],
    ["snapshot", "noon", false],
  );
  const info = parseSnapshotResponse(newResponse(201, [["x-ms-snapshot", "2026-11-23T10:00:00.0000000Z"]]));
  assert.equal(info.snapshot, "2026-11-23T10:00:00.0000000Z");
  assert.throws(() => parseSnapshotResponse(newResponse(201)), { kind: "InvalidResponse" });
});

test("append builders: non-empty blocks, idempotent only at a position", () => {
  const c = buildCreateAppendBlobRequest(url, { conditions: { ifNoneMatch: "*" } });
  assert.deepEqual([c.headers.get("x-ms-blob-type"), c.idempotent], ["AppendBlob", false]);
  assert.throws(() => buildAppendBlockRequest(url, new Uint8Array()), { kind: "InvalidInput" });
  assert.throws(() => buildAppendBlockRequest(url, bytes("x"), { appendPosition: -1 }), { kind: "InvalidInput" });
  const plain = buildAppendBlockRequest(url, bytes("x"));
  assert.deepEqual([plain.url.searchParams.get("comp"), plain.idempotent], ["appendblock", false]);
  const placed = buildAppendBlockRequest(url, bytes("x"), { appendPosition: 4, maxSize: 100 });
  assert.deepEqual(
    [
      placed.headers.get("x-ms-blob-condition-appendpos"),
      placed.headers.get("x-ms-blob-condition-maxsize"),
      placed.idempotent,
    ],
    ["4", "100", true],
  );
  assert.equal(buildSealRequest(url).url.searchParams.get("comp"), "seal");
  const repeat = newResponse(412, [["x-ms-error-code", "AppendPositionConditionNotMet"]]);
  assert.equal(mayHaveAppendedEarlier(repeat), false, "a first answer is no repeat");
  repeat.repeated = true;
  assert.equal(mayHaveAppendedEarlier(repeat), true);
});

test("uploads: block size planning and bad options refused before sending", async () => {
  const { planBlockSize } = await import("../src/transfer/upload.js");
  const { ClientBuilder, DEV_BLOB_ENDPOINT } = await import("../src/index.js");
  const mib = 1024 * 1024;
  assert.equal(planBlockSize(10 * mib, 8 * mib), 8 * mib);
  const grown = planBlockSize(2 ** 40, 8 * mib);
  assert.ok(grown > 8 * mib && grown % mib === 0 && Math.ceil(2 ** 40 / grown) <= 50_000);
  assert.throws(() => planBlockSize(50_000 * 4000 * mib + 1, 8 * mib), { kind: "InvalidInput" });
  let sent = 0;
  const client = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .wire(async () => {
      sent += 1;
      return newResponse(500);
    })
    .build();
  const blob = client.blob("c1c", "b");
  for (const options of [{ blockSize: 0 }, { blockSize: 4001 * mib }, { concurrency: 0 }, { singlePutMax: -1 }]) {
    await assert.rejects(blob.uploadOpts("x", options), { kind: "InvalidInput" }, JSON.stringify(options));
  }
  assert.equal(sent, 0);
});
