// Service-level operations: user delegation keys (builder and parser on the
// documented sample), loading another cassette, and many blobs at once live
// against Azurite.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { after, before, test } from "node:test";
import { inspect } from "node:util";
import {
  ClientBuilder,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  DEV_BLOB_ENDPOINT,
  type ManyResult,
  type Next,
  StaticTokenCredential,
} from "../src/index.js";
import { buildUserDelegationKeyRequest, parseUserDelegationKey } from "../src/ops/user-delegation-key.js";
import { createContainer } from "./conformance/suite.js";
import { type Emulator, startEmulator } from "./support/azurite.js";
import { testdata } from "./support/paths.js";

const SAMPLE =
  '\uFEFF<?xml version="1.0" encoding="utf-8"?>\n<UserDelegationKey>\n' +
  "    <SignedOid>6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10</SignedOid>\n" +
  "    <SignedTid>72f988bf-86f1-41af-91ab-2d7cd011db47</SignedTid>\n" +
  "    <SignedStart>2026-11-23T10:00:00Z</SignedStart>\n    <SignedExpiry>2026-11-24T10:00:00Z</SignedExpiry>\n" +
  "    <SignedService>b</SignedService>\n    <SignedVersion>2023-11-03</SignedVersion>\n" +
  `    <Value>${DEV_ACCOUNT_KEY}</Value>\n</UserDelegationKey>`;

test("Get User Delegation Key: the documented request and answer, the key never shown", () => {
  const start = new Date("2026-11-23T10:00:00Z");
  const hour = new Date("2026-11-23T11:00:00Z");
  for (const endpoint of ["https://myaccount.blob.core.windows.net", "https://myaccount.blob.core.windows.net/"]) {
    const r = buildUserDelegationKeyRequest(new URL(endpoint), start, hour);
    assert.deepEqual(
      [r.method, r.url.href, r.headers.get("content-type")],
      ["POST", "https://myaccount.blob.core.windows.net/?restype=service&comp=userdelegationkey", "application/xml"],
    );
    assert.equal(
      new TextDecoder().decode(r.body),
      '<?xml version="1.0" encoding="utf-8"?><KeyInfo><Start>2026-11-23T10:00:00Z</Start><Expiry>2026-11-23T11:00:00Z</Expiry></KeyInfo>',
    );
  }
  const pathStyle = buildUserDelegationKeyRequest(new URL(DEV_BLOB_ENDPOINT), start, hour);
  assert.equal(pathStyle.url.href, "http://127.0.0.1:10000/devstoreaccount1/?restype=service&comp=userdelegationkey");
  assert.throws(() => buildUserDelegationKeyRequest(new URL(DEV_BLOB_ENDPOINT), start, start), {
    kind: "InvalidInput",
  });
  const key = parseUserDelegationKey(new TextEncoder().encode(SAMPLE));
  assert.deepEqual(
    [key.signedOid, key.signedTid, key.signedStart, key.signedExpiry, key.signedService, key.signedVersion],
    [
      "6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10",
      "72f988bf-86f1-41af-91ab-2d7cd011db47",
      "2026-11-23T10:00:00Z",
      "2026-11-24T10:00:00Z",
      "b",
      "2023-11-03",
    ],
  );
  assert.ok(key.value.expose().startsWith("Eby8") && !inspect(key).includes("Eby8"));
  const broken = SAMPLE.replace("<SignedService>b</SignedService>", "");
  assert.throws(
    () => parseUserDelegationKey(new TextEncoder().encode(broken)),
    (err: Error) => (err as { kind?: string }).kind === "InvalidResponse" && !err.message.includes("Eby8"),
  );
});

test("a user delegation key needs a token credential, and is fetched with it", async () => {
  let sent = 0;
  const wire: Next = async (request) => {
    sent += 1;
    assert.equal(request.headers.get("authorization"), "Bearer t0k3n");
    const { newResponse } = await import("../src/index.js");
    return newResponse(200, [], new TextEncoder().encode(SAMPLE));
  };
  const start = new Date();
  const expiry = new Date(start.getTime() + 3600_000);
  const keyed = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
    .wire(wire)
    .build();
  await assert.rejects(keyed.userDelegationKey(start, expiry), { kind: "InvalidInput" });
  assert.equal(sent, 0);
  const token = new StaticTokenCredential("t0k3n", expiry);
  const client = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).tokenCredential(token).wire(wire).build();
  const key = await client.userDelegationKey(start, expiry);
  assert.equal(key.signedService, "b");
  assert.equal(sent, 1);
});

test("loading another cassette replays from it and reseeds the client", async () => {
  const noNetwork: Next = async () => assert.fail("a replay reached the network");
  const client = new ClientBuilder()
    .endpoint("http://127.0.0.1:9/devstoreaccount1")
    .wire(noNetwork)
    .simulation({ mode: "replay", path: testdata("cassettes", "core_range_reads.json") })
    .build();
  client.loadRecordings(testdata("cassettes", "hand", "put_get.json"));
  await client.blob("hand", "hello.txt").putOpts("hello", { metadata: { run: "7" } });
  assert.equal(client.simulationStats()?.interactions, 3);
  assert.equal(client.simulationStats()?.used, 1);
  assert.throws(() => new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).build().loadRecordings("x.json"), {
    kind: "InvalidInput",
  });
});

let emulator: Emulator;
// The hook starts a process; node:test gives it no timeout of its own.
before(
  async () => {
    emulator = await startEmulator();
  },
  { timeout: 120_000 },
);
after(() => emulator?.stop());

test("many blobs at once: each outcome as it completes, failures typed per blob (Azurite)", async () => {
  const client = new ClientBuilder().endpoint(emulator.endpoint).sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY).build();
  const container = await createContainer(client, `many-${randomBytes(4).toString("hex")}`);
  const items: Array<[string, string]> = Array.from({ length: 20 }, (_, i) => [`item/${i}`, `value ${i}`]);
  const put: Array<ManyResult<unknown>> = [];
  for await (const r of container.putBlobsOpts(items, { concurrency: 5, blob: { metadata: { batch: "1" } } }))
    put.push(r);
  assert.equal(put.length, 20);
  assert.ok(put.every((r) => r.ok));
  assert.deepEqual(put.map((r) => r.name).sort(), items.map(([n]) => n).sort());
  const got = new Map<string, string>();
  const errors: string[] = [];
  for await (const r of container.getBlobs([...items.map(([n]) => n), "item/missing"])) {
    if (r.ok) got.set(r.name, Buffer.from(r.value).toString());
    else errors.push(`${r.name}:${r.error.kind}`);
  }
  assert.equal(got.size, 20);
  assert.equal(got.get("item/7"), "value 7");
  assert.deepEqual(errors, ["item/missing:NotFound"]);
  assert.equal((await container.blob("item/3").properties()).metadata.batch, "1");
  await assert.rejects(
    async () => {
      for await (const _ of container.getBlobsOpts(["a"], { concurrency: 0 })) {
        // never reached
      }
    },
    { kind: "InvalidInput" },
  );
});
