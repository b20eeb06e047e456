// Upload checkpoints: the Rust format read and written with 64-bit numbers in
// full, every field validated, and a resume refused for another blob or a changed file.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { ClientBuilder, DEV_BLOB_ENDPOINT, newResponse } from "../src/index.js";
import {
  checkMatches,
  identityOf,
  newCheckpoint,
  parseCheckpoint,
  saveCheckpoint,
  serializeCheckpoint,
} from "../src/transfer/checkpoint.js";

const SAMPLE = `{
  "format": "azblob-upload-checkpoint/2",
  "blob": "https://a.blob.core.windows.net/c/b",
  "source": {
    "path": "/data/big.bin",
    "size": 100,
    "modified_ns": 1795428000123456789,
    "device": 18446744073709551615,
    "inode": 42,
    "changed": [
      1795428000,
      123456789
    ]
  },
  "block_size": 16,
  "block_count": 7,
  "session_id": "0123456789abcdef"
}
`;

test("a checkpoint round-trips with 64-bit numbers in full", () => {
  const c = parseCheckpoint(SAMPLE);
  assert.equal(c.source.modified_ns, 1795428000123456789n);
  assert.equal(c.source.device, 18446744073709551615n);
  assert.equal(serializeCheckpoint(c), SAMPLE);
});

test("every field is validated and named", () => {
  const cases: Array<[string, string]> = [
    ['"format": "azblob-upload-checkpoint/2"', "format"],
    ['"blob": "https://a.blob.core.windows.net/c/b"', "blob"],
    ['"path": "/data/big.bin"', "source.path"],
    ['"block_size": 16', "block_size"],
    ['"block_count": 7', "block_count"],
    ['"session_id": "0123456789abcdef"', "session_id"],
  ];
  const bad: Record<string, string> = {
    format: '"format": "azblob-upload-checkpoint/1"',
    blob: '"blob": "https://a.blob.core.windows.net/c/b?sig=x"',
    "source.path": '"path": "relative/big.bin"',
    block_size: '"block_size": 0',
    block_count: '"block_count": 6',
    session_id: '"session_id": "a/b"',
  };
  for (const [good, field] of cases) {
    assert.throws(
      () => parseCheckpoint(SAMPLE.replace(good, bad[field] ?? "")),
      new RegExp(`^Error: ${field.replace(".", "\\.")}:`),
      field,
    );
  }
  assert.throws(() => parseCheckpoint("not json"), /^Error: json:/);
});

test("a resume is refused for another blob, another file, or a changed file; nothing is sent", async () => {
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-checkpoint-"));
  try {
    const path = join(dir, "f.bin");
    writeFileSync(path, "0123456789");
    const identity = await identityOf(path);
    const c = newCheckpoint("https://a.blob.core.windows.net/c/b", identity, 4, "s1");
    assert.equal(c.block_count, 3n);
    assert.throws(() => checkMatches(c, "https://a.blob.core.windows.net/c/other", identity, "cp"), {
      kind: "InvalidInput",
    });
    utimesSync(path, new Date(2000, 1, 1), new Date(2000, 1, 1));
    checkMatches(c, c.blob, identity, "cp");
    const changed = await identityOf(path);
    assert.throws(() => checkMatches(c, c.blob, changed, "cp"), { kind: "SourceChanged" });

    let sent = 0;
    const client = new ClientBuilder()
      .endpoint(DEV_BLOB_ENDPOINT)
      .wire(async () => {
        sent += 1;
        return newResponse(500);
      })
      .build();
    const blob = client.blob("c1c", "b");
    const checkpoint = join(dir, "cp.json");
    await saveCheckpoint(checkpoint, newCheckpoint(blob.url().href, identity, 4, "s1"));
    await assert.rejects(blob.uploadOpts({ file: path }, { checkpoint, resume: true, blockSize: 4 }), {
      kind: "SourceChanged",
    });
    writeFileSync(checkpoint, "{}");
    await assert.rejects(blob.uploadOpts({ file: path }, { checkpoint, resume: true }), (err: Error) =>
      /not a valid upload checkpoint: format/.test(err.message),
    );
    assert.equal(sent, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
