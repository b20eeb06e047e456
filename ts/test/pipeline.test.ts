// The pipeline's order and its guarantees: sign inside retry (a fresh date and
// token per attempt), refusal before sending, typed errors for wire failures,
// x-ms-version stamped, secrets kept out of what prints.

import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import {
  AzblobError,
  ClientBuilder,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  DEV_BLOB_ENDPOINT,
  type Next,
  newRequest,
  newResponse,
  type Request,
  type TokenCredential,
  WireError,
} from "../src/index.js";

function recordingWire(answers: Array<number | "reset">): { wire: Next; sent: Request[] } {
  const sent: Request[] = [];
  const wire: Next = async (request) => {
    sent.push(request);
    const next = answers.shift() ?? 200;
    if (next === "reset") throw new WireError("io", "connection reset");
    return newResponse(next, [
      ["etag", '"e"'],
      ["last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"],
      ["x-ms-blob-type", "BlockBlob"],
      ["content-length", "0"],
    ]);
  };
  return { wire, sent };
}

const noSleep = { sleep: async () => {}, now: () => Date.now() };

test("every attempt is signed afresh, below the retry", async () => {
  let asked = 0;
  const token: TokenCredential = {
    getToken: async () => {
      asked += 1;
      const { Secret } = await import("../src/index.js");
      return { token: new Secret(`token-${asked}`), expiresOn: new Date(Date.now() + 3600_000) };
    },
  };
  const { wire, sent } = recordingWire([503, "reset", 200]);
  const client = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .tokenCredential(token)
    .wire(wire)
    .clock(noSleep)
    .build();
  await client.blob("c1c", "b").properties();
  assert.equal(sent.length, 3);
  assert.deepEqual(
    sent.map((r) => r.headers.get("authorization")),
    ["Bearer token-1", "Bearer token-2", "Bearer token-3"],
  );
  assert.ok(sent.every((r) => r.headers.get("x-ms-version") === "2023-11-03" && r.headers.has("x-ms-date")));
});

test("a Shared Key client signs every attempt and retries only what is safe", async () => {
  const { wire, sent } = recordingWire([500, 201]);
  const client = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
    .wire(wire)
    .clock(noSleep)
    .build();
  await client.blob("c1c", "b").put("x");
  assert.equal(sent.length, 2, "Put Blob without conditions is idempotent");
  assert.ok(sent.every((r) => r.headers.get("authorization")?.startsWith("SharedKey devstoreaccount1:")));
  const conditional = recordingWire([500]);
  const strict = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
    .wire(conditional.wire)
    .clock(noSleep)
    .build();
  await assert.rejects(strict.blob("c1c", "b").putOpts("x", { conditions: { ifNoneMatch: "*" } }), {
    kind: "ServerBusy",
  });
  assert.equal(conditional.sent.length, 1, "a write its own success would fail is not repeated");
});

test("a request for another host is refused before anything is sent", async () => {
  const { wire, sent } = recordingWire([]);
  const client = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
    .wire(wire)
    .build();
  for (const target of [
    "http://127.0.0.1:10001/devstoreaccount1/c/b",
    "http://127.0.0.1:10000/other/c/b",
    "http://evil.example/devstoreaccount1/c",
  ]) {
    await assert.rejects(client.sendRaw(newRequest("Raw", "GET", new URL(target))), (err: AzblobError) => {
      assert.equal(err.kind, "InvalidInput");
      assert.match(err.message, /refusing to send the shared-key credential/);
      return true;
    });
  }
  assert.equal(sent.length, 0);
});

test("a wire failure becomes a typed error of the operation, never a leak", async () => {
  const wire: Next = async () => {
    throw new WireError("connect", "connection refused");
  };
  const client = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .wire(wire)
    .clock(noSleep)
    .retry({ maxRetries: 1 })
    .build();
  const err = await client
    .blob("c1c", "b")
    .download()
    .then(
      () => assert.fail("should fail"),
      (e: unknown) => e,
    );
  assert.ok(err instanceof AzblobError);
  assert.deepEqual([err.kind, err.operation, err.isRetryable], ["Transport", "GetBlob", true]);
  assert.ok(err.cause instanceof WireError);
});

test("bad input fails before sending, with a typed error", async () => {
  const { wire, sent } = recordingWire([]);
  const client = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(wire).build();
  const cases: Array<Promise<unknown>> = [
    client.blob("Bad_Container", "b").put("x"),
    client.blob("c1c", "").put("x"),
    client.blob("c1c", "a/../b").put("x"),
    client.blob("c1c", "b").putOpts("x", { metadata: { "1bad": "v" } }),
    client.blob("c1c", "b").putOpts("x", { metadata: { Owner: "a", owner: "b" } }),
    client.blob("c1c", "b").putOpts("x", { conditions: { ifMatch: " " } }),
    client.blob("c1c", "b").putOpts("x", { content: { contentType: "t\u00e9xt" } }),
    client.blob("c1c", "b").getOpts({ selector: { snapshot: "s", versionId: "v" } }),
    client.blob("c1c", "b").deleteOpts({ selector: { snapshot: "s" }, deleteSnapshots: "include" }),
    client.container("c1c").listBlobsPageOpts(undefined, { maxResults: 0 }),
  ];
  for (const promise of cases) await assert.rejects(promise, { kind: "InvalidInput" });
  assert.equal(sent.length, 0);
});

test("clients and builders print no secret", () => {
  const builder = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY);
  const client = builder.build();
  for (const shown of [
    inspect(builder),
    inspect(client),
    JSON.stringify(client),
    JSON.stringify(builder),
    inspect(client.credential, { depth: 5 }),
    JSON.stringify(client.credential),
  ]) {
    assert.ok(!shown.includes(DEV_ACCOUNT_KEY.slice(0, 16)), shown);
  }
  const sas = new ClientBuilder()
    .endpoint(DEV_BLOB_ENDPOINT)
    .sasToken("sv=2023-11-03&sp=r&sig=c2VjcmV0LXNpZw%3D%3D")
    .build();
  for (const shown of [inspect(sas.credential, { depth: 5 }), JSON.stringify(sas.credential)]) {
    assert.ok(!shown.includes("c2VjcmV0"), shown);
  }
});
