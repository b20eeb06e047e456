// The Shared Key string-to-sign built in one pass (an insertion sort of the
// x-ms- names with an allocation-free comparison, no query work without a
// query): these cases hold it to the documented canonicalization where the
// shared vectors have few headers and no repeated query parameter.
// https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key

import assert from "node:assert/strict";
import { test } from "node:test";
import { compareBytes, compareHeaderNames } from "../src/auth/shared-key.js";
import { newRequest, SharedKeyCredential, stringToSign } from "../src/index.js";

const KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

test("many x-ms- headers out of order and repeated query parameters canonicalize as documented", () => {
  const url =
    "https://myaccount.blob.core.windows.net/mycontainer/blob?restype=x&Comp=list&include=versions&INCLUDE=metadata&include=deleted&marker=";
  const request = newRequest("Test", "PUT", new URL(url));
  const given: Array<[string, string]> = [
    ["x-ms-version", "2023-11-03"],
    ["x-ms-meta-zeta", "z"],
    ["content-type", "text/plain"],
    ["x-ms-date", "Mon, 23 Nov 2026 10:00:00 GMT"],
    ["x-ms-meta-a-c", "3"],
    ["x-ms-blob-type", "BlockBlob"],
    ["if-match", '"0x1"'],
    ["x-ms-meta-ab", "2"],
    ["x-ms-meta-a-b", "4"],
    ["x-ms-meta-a_b", "1"],
    ["x-ms-client-request-id", "abc"],
    ["x-ms-access-tier", "Cool"],
    ["x-ms-tags", "  a=b  "],
  ];
  for (const [name, value] of given) request.headers.set(name, value);
  request.body = new TextEncoder().encode("hello");
  // Written out by hand from the documented rules: the standard lines (an
  // empty Date line), the x-ms- names in the service's collation (hyphens
  // ignored first, `_` before letters, bytes breaking the a-b/ab tie), values
  // trimmed; then the resource, parameter names lowercased and sorted, values
  // of one name sorted and joined with commas, an empty value kept.
  const expected =
    'PUT\n\n\n5\n\ntext/plain\n\n\n"0x1"\n\n\n\n' +
    "x-ms-access-tier:Cool\n" +
    "x-ms-blob-type:BlockBlob\n" +
    "x-ms-client-request-id:abc\n" +
    "x-ms-date:Mon, 23 Nov 2026 10:00:00 GMT\n" +
    "x-ms-meta-a_b:1\n" +
    "x-ms-meta-a-b:4\n" +
    "x-ms-meta-ab:2\n" +
    "x-ms-meta-a-c:3\n" +
    "x-ms-meta-zeta:z\n" +
    "x-ms-tags:a=b\n" +
    "x-ms-version:2023-11-03\n" +
    "/myaccount/mycontainer/blob\ncomp:list\ninclude:deleted,metadata,versions\nmarker:\nrestype:x";
  assert.equal(stringToSign(request, "myaccount"), expected);
  // A second call gives the same text: the shared list of names is emptied each time.
  assert.equal(stringToSign(request, "myaccount"), expected);
});

test("a request with no query and no x-ms- header ends at the path", () => {
  const request = newRequest("Test", "GET", new URL("https://myaccount.blob.core.windows.net/c/b?"));
  assert.equal(stringToSign(request, "myaccount"), "GET\n\n\n\n\n\n\n\n\n\n\n\n/myaccount/c/b");
});

test("a header that cannot be signed leaves the shared list of names empty", () => {
  const key = new SharedKeyCredential("myaccount", KEY);
  const bad = newRequest("Test", "GET", new URL("https://myaccount.blob.core.windows.net/c/b"));
  bad.headers.set("x-ms-meta-b", "caf\u00e9");
  assert.throws(() => key.authorize(bad), { kind: "InvalidInput" });
  const good = newRequest("Test", "GET", new URL("https://myaccount.blob.core.windows.net/c/b"));
  good.headers.set("x-ms-date", "d");
  assert.equal(stringToSign(good, "myaccount"), "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:d\n/myaccount/c/b");
});

test("compareBytes orders as UTF-8 bytes, surrogates and U+E000 and above included", () => {
  const words = [
    "",
    "a",
    "ab",
    "b",
    "\u00e9",
    "\ue000",
    "\uffff",
    "\u{1f600}",
    "\u{1f600}a",
    "\ud83d",
    "\ud83dz",
    "a\u{10000}",
    "a\uffff",
  ];
  for (const a of words) {
    for (const b of words) {
      const want = Math.sign(Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8")));
      assert.equal(Math.sign(compareBytes(a, b)), want, `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
    }
  }
});

test("compareHeaderNames: hyphens ignored first, _ before digits before letters, fewer weights first", () => {
  const sorted = ["x-ms-meta-1", "x-ms-meta-a", "x-ms-meta-a-c", "x-ms-meta-_z", "x-ms-meta-9", "x-ms-meta-a_"].sort(
    compareHeaderNames,
  );
  assert.deepEqual(sorted, [
    "x-ms-meta-_z",
    "x-ms-meta-1",
    "x-ms-meta-9",
    "x-ms-meta-a",
    "x-ms-meta-a_",
    "x-ms-meta-a-c",
  ]);
});
