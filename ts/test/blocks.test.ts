// The public block operations' builders and parser (mirrors the unit tests of crates/azblob/src/ops/blocks.rs).

import assert from "node:assert/strict";
import { test } from "node:test";
import {
  buildGetBlockList,
  buildPutBlock,
  buildPutBlockList,
  parseBlockList,
  validateBlockId,
} from "../src/ops/blocks.js";

const url = new URL("https://a.blob.core.windows.net/c/b");
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const LEASE = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
const b64 = (n: number): string => Buffer.alloc(n, 7).toString("base64");

test("Put Block checks the id, sends the MD5 and takes only a lease id", () => {
  let r = buildPutBlock(url, "YmxvY2stMQ==", bytes("abc"));
  assert.equal(r.url.search, "?comp=block&blockid=YmxvY2stMQ%3D%3D");
  assert.equal(r.headers.get("content-md5"), undefined);
  r = buildPutBlock(url, "YmxvY2stMQ==", bytes("abc"), { transactionalMd5: true, conditions: { leaseId: LEASE } });
  // MD5("abc"), as `printf abc | openssl md5 -binary | base64` prints it.
  assert.equal(r.headers.get("content-md5"), "kAFQmDzST7DWlj99KOF/cg==");
  assert.equal(r.headers.get("x-ms-lease-id"), LEASE);
  assert.throws(() => buildPutBlock(url, "YmxvY2stMQ==", bytes(""), { conditions: { ifNoneMatch: "*" } }), {
    kind: "InvalidInput",
  });
  assert.throws(() => buildPutBlock(url, "YmxvY2stMQ==", bytes(""), { conditions: { ifTags: "\"a\" = 'b'" } }), {
    kind: "InvalidInput",
  });
  assert.throws(() => buildPutBlock(url, "YmxvY2stMQ==", bytes(""), { conditions: { leaseId: "not-a-guid" } }), {
    kind: "InvalidInput",
  });
  for (const bad of ["", "not base64!", b64(65), "QUF"]) {
    assert.throws(() => buildPutBlock(url, bad, bytes("")), { kind: "InvalidInput" }, JSON.stringify(bad));
  }
  assert.equal(validateBlockId(b64(64)), 64);
});

test("Put Block List carries the blob options and checks the ids", () => {
  const r = buildPutBlockList(url, ["QUFB", "QkJC"], {
    blob: {
      content: { contentType: "text/csv" },
      metadata: { k: "v" },
      tier: "Cool",
      conditions: { ifNoneMatch: "*" },
      transactionalMd5: true,
    },
  });
  const body = Buffer.from(r.body).toString("utf8");
  assert.ok(body.endsWith("<BlockList><Latest>QUFB</Latest><Latest>QkJC</Latest></BlockList>"), body);
  assert.equal(r.headers.get("x-ms-blob-content-type"), "text/csv");
  assert.equal(r.headers.get("x-ms-meta-k"), "v");
  assert.equal(r.headers.get("x-ms-access-tier"), "Cool");
  assert.equal(r.headers.get("if-none-match"), "*");
  assert.equal(r.headers.get("content-md5")?.length, 24);
  assert.equal(r.idempotent, false, "a create-only commit cannot be repeated");
  assert.throws(() => buildPutBlockList(url, ["QUFB", "QkJCQg=="]), { kind: "InvalidInput" });
  assert.throws(() => buildPutBlockList(url, new Array(50_001).fill("QUFB")), { kind: "InvalidInput" });
  const empty = buildPutBlockList(url, []);
  assert.ok(Buffer.from(empty.body).toString("utf8").endsWith("<BlockList></BlockList>"));
});

test("Get Block List asks the list type and the selector", () => {
  let r = buildGetBlockList(url);
  assert.equal(r.url.search, "?comp=blocklist&blocklisttype=all");
  assert.equal(r.method, "GET");
  assert.equal(r.idempotent, true);
  r = buildGetBlockList(url, { listType: "committed", selector: { versionId: "v1" } });
  assert.equal(r.url.search, "?comp=blocklist&blocklisttype=committed&versionid=v1");
  assert.throws(() => buildGetBlockList(url, { selector: { snapshot: "" } }), { kind: "InvalidInput" });
});

test("the documented Get Block List answer parses; garbage is an invalid response", () => {
  // The sample answer of Get Block List in the REST reference.
  const body = bytes(`<?xml version="1.0" encoding="utf-8"?>
<BlockList>
  <CommittedBlocks>
    <Block><Name>BlockId001</Name><Size>4194304</Size></Block>
  </CommittedBlocks>
  <UncommittedBlocks>
    <Block><Name>BlockId002</Name><Size>1024</Size></Block>
  </UncommittedBlocks>
</BlockList>`);
  const headers = new Map([
    ["etag", '"0x8CB171DBEAD6A6B"'],
    ["x-ms-blob-content-length", "4194304"],
  ]);
  const list = parseBlockList(headers, body);
  assert.deepEqual(list.committed, [{ id: "BlockId001", size: 4194304 }]);
  assert.deepEqual(list.uncommitted, [{ id: "BlockId002", size: 1024 }]);
  assert.equal(list.etag, '"0x8CB171DBEAD6A6B"');
  assert.equal(list.blobContentLength, 4194304);
  const bare = parseBlockList(new Map(), bytes("<BlockList/>"));
  assert.deepEqual([bare.committed, bare.uncommitted, bare.etag], [[], [], undefined]);
  assert.throws(() => parseBlockList(new Map(), bytes("nope")), { kind: "InvalidResponse" });
  assert.throws(
    () =>
      parseBlockList(
        new Map(),
        bytes("<BlockList><CommittedBlocks><Block><Name>x</Name></Block></CommittedBlocks></BlockList>"),
      ),
    {
      kind: "InvalidResponse",
    },
  );
});
