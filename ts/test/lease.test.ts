// Lease Blob's builder and parsers (mirrors crates/azblob/src/ops/lease.rs's
// unit tests), and the Lease guard's background renewals on mocked timers.

import assert from "node:assert/strict";
import { mock, test } from "node:test";
import { ClientBuilder, DEV_BLOB_ENDPOINT, Lease, type Next, newResponse, type Request } from "../src/index.js";
import { buildLeaseRequest, parseLeaseBroken, parseLeaseGranted } from "../src/ops/lease.js";

const url = new URL("https://a.blob.core.windows.net/c/b");
const ID = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
const OTHER = "0a0b0c0d-0000-4000-8000-000000000002";

test("each lease action sends its headers, and is retried only when a repeat is harmless", () => {
  let r = buildLeaseRequest(url, { action: "acquire", duration: 30, proposed: ID });
  assert.equal(r.url.search, "?comp=lease");
  assert.deepEqual(
    [r.headers.get("x-ms-lease-action"), r.headers.get("x-ms-lease-duration"), r.headers.get("x-ms-proposed-lease-id")],
    ["acquire", "30", ID],
  );
  assert.equal(r.idempotent, true, "an acquire with a proposed id succeeds again on its own lease");
  r = buildLeaseRequest(url, { action: "acquire", duration: "infinite" });
  assert.equal(r.headers.get("x-ms-lease-duration"), "-1");
  assert.equal(r.idempotent, false, "an acquire without an id collides with its own lease");
  r = buildLeaseRequest(url, { action: "change", leaseId: ID, proposed: OTHER });
  assert.deepEqual([r.headers.get("x-ms-lease-id"), r.headers.get("x-ms-proposed-lease-id")], [ID, OTHER]);
  assert.equal(r.idempotent, true);
  r = buildLeaseRequest(url, { action: "release", leaseId: ID });
  assert.equal(r.idempotent, false, "a repeated release finds no lease");
  r = buildLeaseRequest(url, { action: "break", period: 0 }, { ifTags: `"a" = 'b'` });
  assert.equal(r.headers.get("x-ms-lease-break-period"), "0");
  assert.equal(r.headers.get("x-ms-if-tags"), `"a" = 'b'`);
  assert.equal(r.idempotent, false, "a tag condition may not survive");
  assert.equal(buildLeaseRequest(url, { action: "break" }).headers.get("x-ms-lease-break-period"), undefined);

  for (const duration of [14, 61, 0, 20.5]) {
    assert.throws(() => buildLeaseRequest(url, { action: "acquire", duration }), { kind: "InvalidInput" });
  }
  assert.throws(() => buildLeaseRequest(url, { action: "break", period: 61 }), { kind: "InvalidInput" });
  assert.throws(() => buildLeaseRequest(url, { action: "renew", leaseId: "not-a-guid" }), { kind: "InvalidInput" });
  assert.throws(() => buildLeaseRequest(url, { action: "renew", leaseId: ID }, { leaseId: ID }), /Lease Blob/);
});

test("lease answers parse; a lease id that is not a GUID is an invalid response", () => {
  const granted = parseLeaseGranted(
    newResponse(201, [
      ["x-ms-lease-id", ID],
      ["etag", '"0x1"'],
    ]),
  );
  assert.deepEqual([granted.leaseId, granted.etag], [ID, '"0x1"']);
  assert.throws(() => parseLeaseGranted(newResponse(201, [["x-ms-lease-id", "nope"]])), { kind: "InvalidResponse" });
  assert.throws(() => parseLeaseGranted(newResponse(200)), { kind: "InvalidResponse" });
  assert.throws(() => parseLeaseGranted(newResponse(202, [["x-ms-lease-id", ID]])), { kind: "InvalidResponse" });
  assert.equal(parseLeaseBroken(newResponse(202, [["x-ms-lease-time", "7"]])), 7);
  assert.throws(() => parseLeaseBroken(newResponse(202)), { kind: "InvalidResponse" });
  assert.throws(() => parseLeaseBroken(newResponse(200, [["x-ms-lease-time", "7"]])), { kind: "InvalidResponse" });
});

/** A wire answering lease actions, the renewals failing once `breakAfter` renewals were granted. */
function leaseWire(breakAfter: number): { wire: Next; actions: string[] } {
  const actions: string[] = [];
  const wire: Next = async (request: Request) => {
    const action = request.headers.get("x-ms-lease-action") ?? "";
    actions.push(action);
    if (action === "renew" && actions.filter((a) => a === "renew").length > breakAfter) {
      return newResponse(409, [["x-ms-error-code", "LeaseIdMismatchWithLeaseOperation"]]);
    }
    const status = action === "acquire" ? 201 : 200;
    return newResponse(status, [
      ["x-ms-lease-id", ID],
      ["etag", '"0x1"'],
    ]);
  };
  return { wire, actions };
}

async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
  await new Promise((resolve) => setImmediate(resolve));
}

test("the Lease guard renews every third of a fixed duration, records the failure that stops it, and releases", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { wire, actions } = leaseWire(2);
    const blob = new ClientBuilder()
      .endpoint(DEV_BLOB_ENDPOINT)
      .wire(wire)
      .retry({ maxRetries: 0 })
      .build()
      .blob("c1c", "b");
    const lease = await Lease.acquire(blob, 30);
    assert.equal(lease.id(), ID);
    assert.deepEqual(lease.conditions(), { leaseId: ID });
    mock.timers.tick(9_999);
    await flush();
    assert.deepEqual(actions, ["acquire"], "nothing before a third of the duration");
    mock.timers.tick(1);
    await flush();
    assert.deepEqual(actions, ["acquire", "renew"]);
    mock.timers.tick(10_000);
    await flush();
    assert.equal(lease.renewalError(), undefined);
    mock.timers.tick(10_000);
    await flush();
    assert.deepEqual(actions, ["acquire", "renew", "renew", "renew"]);
    assert.equal(lease.renewalError(), "Conflict", "the third renewal found the lease lost");
    mock.timers.tick(60_000);
    await flush();
    assert.equal(actions.length, 4, "renewals stopped after the failure");
    await lease.release();
    assert.deepEqual(actions.slice(4), ["release"]);
  } finally {
    mock.timers.reset();
  }
});

test("disposing the guard stops the renewals without releasing; an infinite lease is never renewed", async () => {
  mock.timers.enable({ apis: ["setTimeout"] });
  try {
    const { wire, actions } = leaseWire(100);
    const blob = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).wire(wire).build().blob("c1c", "b");
    const lease = await Lease.acquire(blob, 15);
    lease[Symbol.dispose]();
    mock.timers.tick(60_000);
    await flush();
    assert.deepEqual(actions, ["acquire"], "no renewal and no release after disposal");
    const forever = await Lease.acquireOpts(blob, "infinite", { proposedLeaseId: ID });
    mock.timers.tick(600_000);
    await flush();
    assert.deepEqual(actions, ["acquire", "acquire"]);
    await forever.release();
    assert.deepEqual(actions, ["acquire", "acquire", "release"]);
  } finally {
    mock.timers.reset();
  }
});

test("a renewal that fails for a passing reason is tried again while the lease lasts; one that never answers lets it lapse", async () => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 1_000_000 });
  try {
    const actions: string[] = [];
    let answer: "busy" | "ok" | "silent" = "busy";
    const wire: Next = async (request: Request) => {
      const action = request.headers.get("x-ms-lease-action") ?? "";
      actions.push(action);
      if (action === "renew" && answer === "busy") {
        answer = "ok";
        return newResponse(503, [["x-ms-error-code", "ServerBusy"]]);
      }
      if (action === "renew" && answer === "silent") return new Promise<never>(() => {});
      return newResponse(action === "acquire" ? 201 : 200, [
        ["x-ms-lease-id", ID],
        ["etag", '"0x1"'],
      ]);
    };
    const blob = new ClientBuilder()
      .endpoint(DEV_BLOB_ENDPOINT)
      .wire(wire)
      .retry({ maxRetries: 0 })
      .build()
      .blob("c1c", "b");
    const lease = await Lease.acquire(blob, 15);
    assert.equal(lease.expiresAt(), 1_000_000 + 15_000);
    mock.timers.tick(5_000);
    await flush();
    assert.deepEqual(actions, ["acquire", "renew"], "the first renewal, answered 503");
    assert.equal(lease.renewalError(), undefined, "a busy service does not lose the lease");
    mock.timers.tick(1_000);
    await flush();
    assert.deepEqual(actions, ["acquire", "renew", "renew"], "tried again after a pause");
    assert.equal(lease.expiresAt(), 1_006_000 + 15_000, "the lease runs from the renewal that succeeded");

    answer = "silent";
    mock.timers.tick(5_000);
    await flush();
    assert.equal(actions.length, 4, "a renewal that never answers");
    assert.equal(lease.renewalError(), undefined, "still within the lease");
    mock.timers.tick(10_000);
    await flush();
    assert.equal(lease.renewalError(), "Timeout", "the lease ran out before a renewal succeeded");
    mock.timers.tick(60_000);
    await flush();
    assert.equal(actions.length, 4, "renewals stopped once the lease ran out");
  } finally {
    mock.timers.reset();
  }
});
