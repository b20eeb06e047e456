// CRC-64/NVME (the documented vectors), its header form, and the writes and
// reads that carry it (mirrors crates/azblob/src/ops/crc64.rs's tests).

import assert from "node:assert/strict";
import { test } from "node:test";
import { newResponse } from "../src/index.js";
import { buildAppendBlockRequest } from "../src/ops/append-blob.js";
import { Crc64, crc64, crc64Header, parseContentCrc64 } from "../src/ops/crc64.js";
import { parseGetBlobResponse } from "../src/ops/get-blob.js";
import { buildPutBlobRequest } from "../src/ops/put-blob.js";
import { checkRangeCrc64 } from "../src/transfer/download.js";

const url = new URL("https://a.blob.core.windows.net/c/b");
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

/** The bit-by-bit definition (reflected polynomial 0x9A6C9329AC4BC9B5, all-ones initial and final value). */
function reference(data: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  let c = mask;
  for (const b of data) {
    c ^= BigInt(b);
    for (let k = 0; k < 8; k++) c = c & 1n ? (c >> 1n) ^ 0x9a6c9329ac4bc9b5n : c >> 1n;
  }
  return c ^ mask;
}

test("CRC-64/NVME: the documented vectors", () => {
  assert.equal(crc64Header(crc64(bytes("Hello World"))), "YeJLfssylmU=");
  assert.equal(crc64Header(crc64(new Uint8Array())), "AAAAAAAAAAA=");
  // The catalogue's check value of CRC-64/NVME.
  assert.equal(crc64(bytes("123456789")), 0xae8b14860a799888n);
});

test("the slice-by-8 digest agrees with the definition, whatever the split", () => {
  const data = new Uint8Array(5000).map((_, i) => (i * 7919 + (i >> 8)) & 0xff);
  const whole = crc64(data);
  assert.equal(whole, reference(data));
  for (const step of [1, 3, 8, 13, 4096]) {
    const digest = new Crc64();
    for (let i = 0; i < data.length; i += step) digest.update(data.subarray(i, i + step));
    assert.equal(digest.value(), whole, `in pieces of ${step}`);
  }
  for (let n = 0; n < 20; n++) assert.equal(crc64(data.subarray(0, n)), reference(data.subarray(0, n)), `${n} bytes`);
});

test("writes send x-ms-content-crc64, and one checksum at most", () => {
  const put = buildPutBlobRequest(url, bytes("Hello World"), { transactionalCrc64: true });
  assert.equal(put.headers.get("x-ms-content-crc64"), "YeJLfssylmU=");
  assert.equal(put.headers.get("content-md5"), undefined);
  assert.throws(() => buildPutBlobRequest(url, bytes("x"), { transactionalCrc64: true, transactionalMd5: true }), {
    kind: "InvalidInput",
  });
  const append = buildAppendBlockRequest(url, bytes("Hello World"), { transactionalCrc64: true });
  assert.equal(append.headers.get("x-ms-content-crc64"), "YeJLfssylmU=");
  assert.throws(() => buildAppendBlockRequest(url, bytes("x"), { transactionalCrc64: true, transactionalMd5: true }), {
    kind: "InvalidInput",
  });
});

test("a range's CRC64 is read; a garbled one is none; a mismatch names the range", () => {
  const head = (crc: string) =>
    parseGetBlobResponse(
      newResponse(206, [
        ["content-length", "11"],
        ["content-range", "bytes 0-10/11"],
        ["etag", '"0x1"'],
        ["last-modified", "Mon, 30 Nov 2026 20:00:00 GMT"],
        ["x-ms-blob-type", "BlockBlob"],
        ["x-ms-content-crc64", crc],
      ]),
    ).contentCrc64;
  assert.equal(head("YeJLfssylmU="), crc64(bytes("Hello World")));
  assert.equal(head("not base64"), undefined);
  assert.equal(head("AAAA"), undefined);
  assert.throws(() => parseContentCrc64(new Map([["x-ms-content-crc64", "AAAA"]])), { kind: "InvalidResponse" });
  const hello = crc64(bytes("Hello World"));
  checkRangeCrc64(hello, hello, 0, 11);
  assert.throws(
    () => checkRangeCrc64(hello, hello + 1n, 4, 4),
    (err: Error & { kind?: string }) => {
      assert.equal(err.kind, "IntegrityMismatch");
      assert.match(err.message, /bytes 4-7/);
      return true;
    },
  );
  assert.throws(() => checkRangeCrc64(undefined, hello, 0, 11), { kind: "Unverifiable" });
});
