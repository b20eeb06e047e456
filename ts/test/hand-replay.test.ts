// What Azurite 3.37 cannot produce, replayed from the hand-written cassettes
// of testdata/cassettes/hand/ (each one's `note` says why it is a replay and
// where its exchanges come from), as crates/azblob/tests/replay.rs does.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Writable } from "node:stream";
import { test } from "node:test";
import {
  AzblobError,
  type CassetteRequest,
  ClientBuilder,
  CopySource,
  type CopyState,
  DEV_ACCOUNT_KEY,
  type DownloadOptions,
  ifNotExists,
  type Matching,
  type Next,
} from "../src/index.js";
import { testdata } from "./support/paths.js";

const ENDPOINT = "https://fakestorageaccount.blob.core.windows.net";

function builderFor(name: string, matching: Matching = "exact"): ClientBuilder {
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
    .simulation({ mode: "replay", path, matching });
}

function clientFor(name: string, matching: Matching = "exact") {
  return builderFor(name, matching).build();
}

/** The copy-source URL without its validity window (`st`, `se`), which follows the clock the SAS was made at. */
function withoutWindow(copySource: string): string {
  const url = new URL(copySource);
  url.searchParams.delete("st");
  url.searchParams.delete("se");
  return url.href;
}

/**
 * The copy cassettes' matching: sequential (the n-th request to a path gets
 * the n-th answer, as polling needs) but stricter: the query and headers must
 * match too, except the SAS's validity window. Accepted requests go to `sent`.
 */
function sequentialKeeping(sent: CassetteRequest[]): Matching {
  const headers = (r: CassetteRequest): string => {
    const h = { ...r.headers };
    if (h["x-ms-copy-source"]) h["x-ms-copy-source"] = withoutWindow(h["x-ms-copy-source"]);
    return JSON.stringify(Object.entries(h).sort());
  };
  return (s, r) => {
    const same = s.method === r.method && s.path === r.path && s.query === r.query && headers(s) === headers(r);
    if (same) sent.push(s);
    return same;
  };
}

function assertDone(client: ReturnType<typeof clientFor>): void {
  const stats = client.simulationStats();
  assert.deepEqual([stats?.unused, stats?.used], [0, stats?.interactions]);
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
  assert.equal(Buffer.from(await oldest.bytes()).toString(), "Hello World");
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
  assert.equal(Buffer.from(await current.bytes()).toString(), "Hello World");
  const stats = client.simulationStats();
  assert.deepEqual([stats?.unused, stats?.used], [0, stats?.interactions]);
});

test("a pending copy is polled to success (Azurite completes every copy at once)", async () => {
  const sent: CassetteRequest[] = [];
  const client = clientFor("copy_pending_to_success.json", sequentialKeeping(sent));
  const copy = await client.blob("dst", "big-copy.bin").startCopy(CopySource.blob(client.blob("src", "big.bin")));
  assert.equal(copy.lastState().status, "pending");
  const seen: Array<[string, [number, number] | undefined]> = [];
  const done = await copy.waitOpts({
    timeoutMs: 10_000,
    pollIntervalMs: 1,
    maxPollIntervalMs: 2,
    onProgress: (s: CopyState) => seen.push([s.status, s.progress]),
  });
  assert.equal(done.status, "success");
  assert.ok(done.completedOn);
  assert.deepEqual(seen, [
    ["pending", [0, 10_485_760]],
    ["pending", [4_194_304, 10_485_760]],
    ["success", [10_485_760, 10_485_760]],
  ]);
  // The source was authorized with a short-lived read SAS made from the key, never the key.
  const start = sent[0];
  assert.ok(start);
  const source = new URL(start.headers["x-ms-copy-source"] ?? "");
  assert.equal(source.pathname, "/src/big.bin");
  assert.deepEqual([source.searchParams.get("sp"), source.searchParams.get("sr")], ["r", "b"]);
  assert.ok(source.searchParams.has("sig") && source.searchParams.has("se"));
  assert.equal(start.headers["x-ms-requires-sync"], undefined, "an asynchronous copy");
  assert.equal(sent.length, 4);
  assertDone(client);
});

test("a copy's polls wait on the client's clock: 500 ms, then doubled", async () => {
  const pauses: number[] = [];
  const clock = { sleep: async (ms: number) => void pauses.push(ms), now: () => 0 };
  const client = builderFor("copy_pending_to_success.json", sequentialKeeping([])).clock(clock).build();
  const copy = await client.blob("dst", "big-copy.bin").startCopy(CopySource.blob(client.blob("src", "big.bin")));
  assert.equal((await copy.wait(60_000)).status, "success");
  assert.deepEqual(pauses, [500, 1000]);
  assertDone(client);
});

// The twin of Rust's `a_create_only_copy_refused_412_is_already_exists`.
test("a copy only-if-new refused 412 is AlreadyExists, as Azurite's 409 is", async () => {
  const sent: CassetteRequest[] = [];
  const client = clientFor("copy_if_not_exists_412.json", sequentialKeeping(sent));
  const target = client.blob("dst", "taken.bin");
  const source = CopySource.url("https://fakestorageaccount.blob.core.windows.net/src/a.bin");
  const options = { conditions: ifNotExists() };
  await assert.rejects(target.copyFromUrlOpts(source, options), (err: AzblobError) => {
    assert.deepEqual([err.kind, err.status], ["AlreadyExists", 412]);
    return true;
  });
  await assert.rejects(target.startCopyOpts(source, options), (err: AzblobError) => {
    assert.equal(err.kind, "AlreadyExists");
    return true;
  });
  assert.equal(sent.length, 2);
  assertDone(client);
});

test("a pending copy is aborted (Azurite never has one pending)", async () => {
  const sent: CassetteRequest[] = [];
  const client = clientFor("copy_abort.json", sequentialKeeping(sent));
  const copy = await client.blob("dst", "big-copy.bin").startCopy(CopySource.blob(client.blob("src", "big.bin")));
  // A wait that runs out reports the progress and leaves the copy running.
  await assert.rejects(copy.wait(0), (err: AzblobError) => {
    assert.equal(err.kind, "Timeout");
    assert.match(err.message, /1048576\/10485760/);
    return true;
  });
  await copy.abort();
  const state = await copy.poll();
  assert.equal(state.status, "aborted");
  assert.equal(state.statusDescription, "Aborted by the client");
  await assert.rejects(copy.abort(), (err: AzblobError) => {
    assert.deepEqual([err.kind, err.errorCode], ["Conflict", "NoPendingCopyOperation"]);
    return true;
  });
  const aborts = sent.filter((r) => r.query.includes("comp=copy"));
  assert.equal(aborts.length, 2);
  for (const abort of aborts) {
    assert.equal(abort.query, "comp=copy&copyid=c6b8e4a0-4d2f-4f0e-9a3b-2b1f0c9d8e7a");
    assert.equal(abort.headers["x-ms-copy-action"], "abort");
  }
  assertDone(client);
});

// Downloads that verify each range's CRC64 (as crates/azblob/tests/replay_crc64.rs):
// Azurite 3.37 computes no CRC64 on reads, so these exchanges follow the Get
// Blob reference and real Azure's answer for `Hello World`. Matching is exact:
// every GET must ask for its range's CRC64.

async function crc64Download(name: string, chunkSize?: number) {
  const client = clientFor(name);
  const chunks: Uint8Array[] = [];
  const writer = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk);
      done();
    },
  });
  const options: DownloadOptions = { verifyCrc64: true, concurrency: 1, ...(chunkSize ? { chunkSize } : {}) };
  try {
    const report = await client.blob("data", "hello.txt").downloadToWriterOpts(writer, options);
    return { report, text: Buffer.concat(chunks).toString("utf8"), client };
  } catch (err) {
    const stats = client.simulationStats();
    assert.equal(stats?.unused, 0, `every recorded exchange of ${name} is replayed: ${JSON.stringify(stats)}`);
    throw err;
  }
}

test("CRC64: one range checked against Azure's own CRC64, the 8 MiB chunk cut to 4 MiB", async () => {
  const { report, text, client } = await crc64Download("crc64_read_one_range.json");
  assert.equal(text, "Hello World");
  assert.equal(report.crc64Verified, true);
  assertDone(client);
});

test("CRC64: every range is asked and checked", async () => {
  const { report, text, client } = await crc64Download("crc64_read_ranges.json", 4);
  assert.deepEqual([text, report.chunks, report.crc64Verified], ["Hello World", 3, true]);
  assertDone(client);
});

test("CRC64: a range whose bytes changed on the way is an integrity mismatch naming it", async () => {
  await assert.rejects(crc64Download("crc64_read_mismatch.json", 4), (err: AzblobError) => {
    assert.equal(err.kind, "IntegrityMismatch", err.message);
    assert.match(err.message, /bytes 4-7/);
    return true;
  });
});

test("CRC64: an answer without a CRC64 is unverifiable, as on Azurite", async () => {
  await assert.rejects(crc64Download("crc64_read_missing.json"), { kind: "Unverifiable" });
});

test("CRC64: a range that ends early is asked again whole and checked", async () => {
  const { report, text, client } = await crc64Download("crc64_read_resumed.json", 4);
  assert.deepEqual([text, report.crc64Verified], ["Hello World", true]);
  assertDone(client);
});
