// Index tags on every kind of new blob, and leases guarding every kind of
// write, live against Azurite (as crates/azblob/tests/tags_leases.rs).

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { AzblobError, ClientBuilder, CopySource, DEV_ACCOUNT, DEV_ACCOUNT_KEY, Lease } from "../src/index.js";
import { createContainer } from "./conformance/suite.js";
import { type Emulator, startEmulator } from "./support/azurite.js";

let emulator: Emulator;

// The hook starts a process; node:test gives it no timeout of its own.
before(
  async () => {
    emulator = await startEmulator();
  },
  { timeout: 120_000 },
);

after(() => emulator?.stop());

async function container() {
  const client = new ClientBuilder().endpoint(emulator.endpoint).sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY).build();
  return createContainer(client, `tags-${randomBytes(4).toString("hex")}`);
}

async function kind(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AzblobError, String(err));
    return err.kind;
  }
  return "ok";
}

test("tags reach every kind of new blob: Put Blob, a block upload, Put Block List, copies and append blobs", async () => {
  const c = await container();
  const tags = { stage: "prod", "run id": "a+b/c=d:e" };
  await c.blob("put").putOpts("x", { tags });
  await c.blob("upload").uploadOpts(new Uint8Array(10), { blockSize: 4, singlePutMax: 0, blob: { tags } });
  await c.blob("blocks").putBlock("QUFB", "x");
  await c.blob("blocks").putBlockListOpts(["QUFB"], { blob: { tags } });
  await c.blob("copy").copyFromUrlOpts(CopySource.blob(c.blob("put")), { tags: { copied: "yes" } });
  await c.blob("block-copy").copyBlocksFromUrlOpts(CopySource.blob(c.blob("put")), { blob: { tags } });
  await c.blob("append").createAppendBlobOpts({ tags });
  for (const name of ["put", "upload", "blocks", "block-copy", "append"]) {
    assert.deepEqual(await c.blob(name).getTags(), tags, name);
    assert.equal((await c.blob(name).properties()).tagCount, 2, name);
  }
  assert.deepEqual(await c.blob("copy").getTags(), { copied: "yes" });
  // Refused before sending: a character the service does not allow.
  assert.equal(await kind(c.blob("bad").putOpts("x", { tags: { k: "a<b" } })), "InvalidInput");
  assert.equal(await c.blob("bad").exists(), false);
  // An empty set removes them all.
  await c.blob("put").setTags({});
  assert.deepEqual(await c.blob("put").getTags(), {});
});

test("a lease guards writes, deletes and tags until released; properties show its state", async () => {
  const c = await container();
  const blob = c.blob("leased");
  await blob.put("v1");
  const lease = await Lease.acquire(blob, "infinite");
  try {
    assert.equal((await blob.properties()).leaseState, "leased");
    assert.equal(await kind(blob.put("v2")), "PreconditionFailed");
    assert.equal(await kind(blob.delete()), "PreconditionFailed");
    assert.equal(await kind(blob.setMetadata({ a: "b" })), "PreconditionFailed");
    await blob.putOpts("v2", { conditions: lease.conditions() });
    await blob.setMetadataOpts({ a: "b" }, lease.conditions());
    await blob.setTagsOpts({ k: "v" }, { conditions: lease.conditions() });
    // A lease id on an operation that takes none is refused unsent.
    assert.equal(await kind(blob.acquireLeaseOpts("infinite", { conditions: lease.conditions() })), "InvalidInput");
  } finally {
    await lease.release();
  }
  assert.equal((await blob.properties()).leaseState, "available");
  await blob.put("v3");
  assert.equal(Buffer.from(await blob.download()).toString(), "v3");
});
