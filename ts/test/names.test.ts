// Blob and container URLs: one parse per blob URL from a remembered container
// prefix, names with no escape kept as they are, dot segments found in place.

import assert from "node:assert/strict";
import { test } from "node:test";
import { blobUrl, containerUrl, encodeBlobPath, validateBlobName } from "../src/ops/names.js";

test("blob URLs: path-style and host-style endpoints, escaped names, switching endpoints and containers", () => {
  const emulator = new URL("http://127.0.0.1:10000/devstoreaccount1/");
  const azure = new URL("https://acct.blob.core.windows.net");
  assert.equal(blobUrl(emulator, "box1", "a/b.txt").href, "http://127.0.0.1:10000/devstoreaccount1/box1/a/b.txt");
  assert.equal(
    blobUrl(emulator, "box1", "my blob (1)!*'.txt").href,
    "http://127.0.0.1:10000/devstoreaccount1/box1/my%20blob%20%281%29%21%2A%27.txt",
  );
  assert.equal(blobUrl(azure, "box1", "x~y_z-1.bin").href, "https://acct.blob.core.windows.net/box1/x~y_z-1.bin");
  assert.equal(
    blobUrl(azure, "box2", "caf\u00e9?#%").href,
    "https://acct.blob.core.windows.net/box2/caf%C3%A9%3F%23%25",
  );
  assert.equal(blobUrl(emulator, "box2", "b").href, "http://127.0.0.1:10000/devstoreaccount1/box2/b");
  assert.equal(containerUrl(emulator, "$root").href, "http://127.0.0.1:10000/devstoreaccount1/$root");
  assert.equal(containerUrl(azure, "box2").href, "https://acct.blob.core.windows.net/box2");
});

test("a bad container is refused every time, also right after a good one under the same endpoint", () => {
  const azure = new URL("https://acct.blob.core.windows.net");
  blobUrl(azure, "good", "b");
  for (let i = 0; i < 2; i++) {
    assert.throws(() => blobUrl(azure, "Bad_Name", "b"), { kind: "InvalidInput" });
    assert.throws(() => containerUrl(azure, "a--b"), { kind: "InvalidInput" });
  }
  // The blob's name is checked first, as before.
  assert.throws(() => blobUrl(azure, "Bad_Name", ""), /invalid blob name/);
});

test("encodeBlobPath escapes all but A-Z a-z 0-9 - . _ ~ /", () => {
  assert.equal(encodeBlobPath("dir/sub/file-1_2.~txt"), "dir/sub/file-1_2.~txt");
  assert.equal(encodeBlobPath("a b+c&d=e"), "a%20b%2Bc%26d%3De");
  assert.equal(encodeBlobPath("!'()*"), "%21%27%28%29%2A");
  assert.equal(encodeBlobPath("\u{1f600}/x"), "%F0%9F%98%80/x");
});

test("validateBlobName: dot segments anywhere, dots inside segments allowed, length in characters", () => {
  for (const name of [".", "..", "./a", "a/.", "a/../b", "a//..", "../"]) {
    assert.throws(() => validateBlobName(name), /'\.' or '\.\.' path segment/, name);
  }
  for (const name of ["...", ".a", "a.", "a/.b/..c", "a/...", "/", "a//b"]) validateBlobName(name);
  validateBlobName("\u{1f600}".repeat(1024));
  assert.throws(() => validateBlobName("\u{1f600}".repeat(1025)), /longer than 1,024/);
  assert.throws(() => validateBlobName("a".repeat(1025)), /longer than 1,024/);
});
