// What Azurite 3.37 cannot produce, replayed from the hand-written cassettes
// of testdata/cassettes/hand/ (each one's `note` says why it is a replay and
// where its exchanges come from), as crates/azblob/tests/replay.rs does.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { AzblobError, ClientBuilder, DEV_ACCOUNT_KEY, type Next } from "../src/index.js";
import { testdata } from "./support/paths.js";

const ENDPOINT = "https://fakestorageaccount.blob.core.windows.net";

function clientFor(name: string) {
  const path = testdata("cassettes", "hand", name);
  assert.match(
    JSON.parse(readFileSync(path, "utf8")).note ?? "",
    /Why a replay/,
    `${name} must say why it is a replay`,
  );
  const noNetwork: Next = async () => assert.fail("a replay reached the network");
  return new ClientBuilder()
    .endpoint(ENDPOINT)
    .sharedKey("fakestorageaccount", DEV_ACCOUNT_KEY)
    .retry({ maxRetries: 0 })
    .wire(noNetwork)
    .simulation({ mode: "replay", path, matching: "exact" })
    .build();
}

test("versions: listed newest first, read, inspected and deleted by id (Azurite has no versions)", async () => {
  // `exact`: every request must carry exactly the recorded query, so a read or
  // delete without `versionid=` (or with another value) finds no answer.
  const client = clientFor("versions.json");
  const blob = client.blob("container159218742224703366", "blob159218742269309927");
  const versions = await blob.listVersions();
  assert.deepEqual(
    versions.map((v) => v.versionId),
    ["2020-06-15T02:17:03.6740094Z", "2020-06-15T02:17:03.0755841Z", "2020-06-15T02:17:02.7893828Z"],
    "newest first",
  );
  assert.equal(versions[0]?.isCurrentVersion, true);
  assert.equal(versions[1]?.contentLength, 0);
  const oldest = await blob.getOpts({ selector: { versionId: "2020-06-15T02:17:02.7893828Z" } });
  assert.equal(Buffer.from(oldest.body).toString(), "Hello World");
  const props = await blob.propertiesOpts({ selector: { versionId: "2020-06-15T02:17:03.0755841Z" } });
  assert.equal(props.contentLength, 0);
  assert.equal(props.versionId, "2020-06-15T02:17:03.0755841Z");
  await blob.deleteOpts({ selector: { versionId: "2020-06-15T02:17:03.0755841Z" } });
  const err = await blob.getOpts({ selector: { versionId: "2020-06-15T02:17:03.0755841Z" } }).then(
    () => assert.fail("the deleted version is gone"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof AzblobError);
  assert.deepEqual([err.kind, err.errorCode], ["NotFound", "BlobNotFound"]);
  const current = await blob.get();
  assert.equal(current.head.properties.isCurrentVersion, true);
  assert.equal(current.head.properties.versionId, "2020-06-15T02:17:03.6740094Z");
  assert.equal(Buffer.from(current.body).toString(), "Hello World");
  const stats = client.simulationStats();
  assert.deepEqual([stats?.unused, stats?.used], [0, stats?.interactions]);
});
