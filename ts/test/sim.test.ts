import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  blockId,
  ClientBuilder,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  type Next,
  newRequest,
  newResponse,
  SeededRng,
} from "../src/index.js";
import { canonicalQuery } from "../src/sim/canonical-query.js";
import { parseCassette, serializeCassette } from "../src/sim/cassette.js";
import { findSecret } from "../src/sim/detect.js";
import { Matcher } from "../src/sim/matcher.js";
import { redactText, sanitizeBody, sanitizeHeader } from "../src/sim/sanitize.js";
import { testdata } from "./support/paths.js";

test("the canonical query decodes, drops sig, sorts and encodes strictly", () => {
  assert.equal(canonicalQuery("?comp=block&blockid=MDEy%3D&sig=secret"), "blockid=MDEy%3D&comp=block");
  assert.equal(
    canonicalQuery("b=2&a=x+y&a=%C3%A9&c="),
    "a=x%20y&a=%C3%A9&b=2&c=",
    "values in byte order: x (0x78) before é (0xC3)",
  );
});

test("the seeded generator gives the block ids the Rust recording sent", () => {
  // The Rust client drew this upload's session id from the cassette's seed (fastrand's WyRand).
  const cassette = parseCassette(readFileSync(testdata("cassettes", "transfer_block_upload_concurrent.json"), "utf8"));
  const rng = new SeededRng(BigInt(`0x${cassette.seed}`));
  const session = rng.newSessionId();
  const sent = cassette.interactions
    .map((i) => new URLSearchParams(i.request.query).get("blockid"))
    .filter((id): id is string => id !== null);
  assert.ok(sent.length >= 6, "the cassette holds Put Block requests");
  assert.ok(sent.includes(blockId(session, 0)), `${blockId(session, 0)} in ${sent.join(",")}`);
  assert.ok(sent.includes(blockId(session, 5)));
  assert.equal(new SeededRng(0n).newSessionId(), new SeededRng(0n).newSessionId(), "deterministic");
  // The worked example of docs/cassette-format.md, "Seeded session ids".
  assert.equal(new SeededRng(0x9edf222dd84df254n).newSessionId(), "1e2d189c1595ae7c");
  assert.equal(blockId("1e2d189c1595ae7c", 0), "MWUyZDE4OWMxNTk1YWU3Yy0wMDAwMDA=");
});

test("a cassette of another format or with a bad seed is refused", () => {
  assert.throws(() => parseCassette('{"format":"vcr/2","seed":"0","matching":"exact"}'), { kind: "InvalidInput" });
  assert.throws(() => parseCassette('{"format":"azblob-cassette/1","seed":"xyz","matching":"exact"}'), /seed/);
  const c = parseCassette('{"format":"azblob-cassette/1","seed":"000000000000feed","matching":"exact","extra":1}');
  assert.deepEqual([c.interactions.length, c.ignore_block_ids], [0, false]);
  assert.equal(serializeCassette(c), `${JSON.stringify({ ...c, interactions: [] }, null, 2)}\n`);
});

test("the sanitizer redacts every secret shape and keeps the rest", () => {
  const key = DEV_ACCOUNT_KEY;
  assert.equal(sanitizeHeader("authorization", "Bearer abc.def"), "Bearer REDACTED");
  assert.equal(sanitizeHeader("x-ms-encryption-key", "anything"), "REDACTED");
  assert.equal(sanitizeHeader("x-ms-encryption-key-sha256", "abc"), "abc");
  assert.equal(
    redactText("https://a/c/b?sv=1&sig=abc%2B&sp=r"),
    "https://a/c/b?sv=1&sig=REDACTED&sp=r",
    "the signature, not the other fields",
  );
  assert.equal(
    redactText("x-ms-copy-source: u%3Fsv%3D1%26sig%3Dabc%26sp%3Dr"),
    "x-ms-copy-source: u%3Fsv%3D1%26sig%3DREDACTED%26sp%3Dr",
  );
  assert.equal(
    redactText("authorization: SharedKey devstoreaccount1:abc+/="),
    "authorization: SharedKey devstoreaccount1:REDACTED",
  );
  assert.equal(redactText(`AccountKey=${key};x`), "AccountKey=REDACTED;x");
  assert.equal(redactText(`k ${key} k`), "k REDACTED k");
  assert.equal(
    redactText("WWW-Authenticate: Bearer authorization_uri=https://x"),
    "WWW-Authenticate: Bearer authorization_uri=https://x",
  );
  assert.equal(redactText("token eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln end"), "token REDACTED end");
  assert.equal(
    sanitizeBody("<UserDelegationKey><SignedOid>o</SignedOid><Value>c2VjcmV0</Value></UserDelegationKey>"),
    "<UserDelegationKey><SignedOid>o</SignedOid><Value>REDACTED</Value></UserDelegationKey>",
  );
  assert.equal(findSecret("nothing here"), undefined);
  assert.equal(findSecret("xsig=abcdef"), "SAS signature", "the detector is broader than the sanitizer");
  assert.equal(findSecret("sig=REDACTED"), undefined);
});

test("ignore-volatile skips the SAS window, a copy source's SAS and port, and a batch's boundary", () => {
  const base = { method: "PUT", path: "/a/c/b", headers: {}, body: { text: "" } };
  const exact = new Matcher("exact", false);
  const volatile = new Matcher("ignore-volatile", false);
  const a = { ...base, query: "se=2026&sv=1" };
  const b = { ...base, query: "se=2027&sv=1" };
  assert.ok(!exact.matches(a, b) && volatile.matches(a, b));
  const copy = (v: string) => ({ ...base, query: "", headers: { "x-ms-copy-source": v } });
  assert.ok(volatile.matches(copy("http://127.0.0.1:1/a/c/s?sv=1&sig=x"), copy("http://127.0.0.1:2/a/c/s")));
  assert.ok(!volatile.matches(copy("http://127.0.0.1:1/a/c/s"), copy("http://127.0.0.1:1/a/c/t")));
  const batch = (boundary: string, date: string) => ({
    ...base,
    query: "comp=batch",
    headers: { "content-type": `multipart/mixed; boundary=${boundary}` },
    body: { text: `--${boundary}\r\nx-ms-date: ${date}\r\nDELETE /a/c/b HTTP/1.1\r\n--${boundary}--` },
  });
  assert.ok(volatile.matches(batch("b1", "Mon"), batch("b2", "Tue")));
  assert.ok(!exact.matches(batch("b1", "Mon"), batch("b2", "Tue")));
  const withBlock = (id: string) => ({ ...base, query: `blockid=${id}&comp=block` });
  assert.ok(!volatile.matches(withBlock("QQ%3D%3D"), withBlock("Qg%3D%3D")));
  assert.ok(new Matcher("ignore-volatile", true).matches(withBlock("QQ%3D%3D"), withBlock("Qg%3D%3D")));
  assert.ok(new Matcher("sequential", false).matches(a, { ...base, query: "other=1", body: { text: "x" } }));
});

test("the hand-written put_get cassette replays, its sidecar body checked", async () => {
  const noNetwork: Next = async () => assert.fail("a replay reached the network");
  const client = new ClientBuilder()
    .endpoint("http://127.0.0.1:9/devstoreaccount1")
    .wire(noNetwork)
    .simulation({ mode: "replay", path: testdata("cassettes", "hand", "put_get.json") })
    .build();
  await client.blob("hand", "hello.txt").putOpts("hello", { metadata: { run: "7" } });
  assert.equal(Buffer.from(await client.blob("hand", "hello.txt").download()).toString(), "hello");
  const bytes = await client.blob("hand", "bytes.bin").download();
  assert.deepEqual([...bytes], [...Array(256).keys()]);
  assert.equal(client.simulationStats()?.unused, 0);
});

test("a recording that still holds a secret is refused, naming the interaction and field, and nothing is written", async () => {
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-sim-"));
  try {
    const path = join(dir, "leak.json");
    // A server that echoes a signature inside a word: the sanitizer keeps it, the detector must not.
    const leaky: Next = async () =>
      newResponse(201, [
        ["etag", '"1"'],
        ["x-echo", "mysig=abcdef"],
      ]);
    const client = new ClientBuilder()
      .endpoint("http://127.0.0.1:9/devstoreaccount1")
      .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
      .wire(leaky)
      .simulation({ mode: "record", path })
      .build();
    await client.blob("c1c", "b").put("x");
    assert.throws(() => client.saveRecordings(), /interaction 0, response\.headers\.x-echo holds a SAS signature/);
    assert.equal(existsSync(path), false);
    // A credential header is refused by its name, whatever its value looks like.
    const echoing: Next = async () =>
      newResponse(201, [
        ["etag", '"1"'],
        ["x-ms-copy-source-authorization", "opaque"],
      ]);
    const second = new ClientBuilder()
      .endpoint("http://127.0.0.1:9/devstoreaccount1")
      .wire(echoing)
      .simulation({ mode: "record", path })
      .build();
    await second.blob("c1c", "b").put("x");
    assert.throws(
      () => second.saveRecordings(),
      /response\.headers\.x-ms-copy-source-authorization holds a credential header/,
    );
    assert.equal(existsSync(path), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a recorded 503 then 200 replays as a retry, on a clock that does not sleep", { timeout: 10_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-sim-"));
  try {
    const path = join(dir, "retry.json");
    const answers = [503, 201];
    const scripted: Next = async () =>
      newResponse(answers.shift() ?? 500, [
        ["etag", '"1"'],
        ["retry-after", "30"],
        ["x-ms-request-id", "r"],
      ]);
    const recorder = new ClientBuilder()
      .endpoint("http://127.0.0.1:9/devstoreaccount1")
      .wire(scripted)
      .clock({ sleep: async () => {}, now: () => 0 })
      .simulation({ mode: "record", path, seed: 7n })
      .build();
    await recorder.blob("c1c", "b").put("x");
    recorder.saveRecordings();
    const saved = parseCassette(readFileSync(path, "utf8"));
    assert.deepEqual(
      saved.interactions.map((i) => i.response.status),
      [503, 201],
    );
    assert.equal(saved.seed, "0000000000000007");
    const noNetwork: Next = async () => assert.fail("a replay reached the network");
    // No injected clock: the replay's own clock must not wait the 30 s the 503 asks for.
    const replayer = new ClientBuilder()
      .endpoint("http://127.0.0.1:9/devstoreaccount1")
      .wire(noNetwork)
      .simulation({ mode: "replay", path })
      .build();
    const written = await replayer.blob("c1c", "b").put("x");
    assert.equal(written.etag, '"1"');
    assert.deepEqual(replayer.simulationStats(), { interactions: 2, used: 2, unused: 0 });
    // A request nothing matches fails with the closest difference named.
    await assert.rejects(replayer.blob("c1c", "b").put("y"), /no unused interaction .* every interaction is used/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a custom matcher decides, and a request that matches nothing names the closest difference", async () => {
  const noNetwork: Next = async () => assert.fail("a replay reached the network");
  const seen: string[] = [];
  const client = new ClientBuilder()
    .endpoint("http://127.0.0.1:9/devstoreaccount1")
    .wire(noNetwork)
    .simulation({
      mode: "replay",
      path: testdata("cassettes", "hand", "put_get.json"),
      matching: (sent, recorded) => {
        seen.push(sent.path);
        return sent.method === recorded.method && sent.path === recorded.path;
      },
    })
    .build();
  await client.blob("hand", "hello.txt").putOpts("other body", { metadata: { run: "8" } });
  assert.ok(seen.includes("/devstoreaccount1/hand/hello.txt"));
  const strict = new ClientBuilder()
    .endpoint("http://127.0.0.1:9/devstoreaccount1")
    .wire(noNetwork)
    .simulation({ mode: "replay", path: testdata("cassettes", "hand", "put_get.json") })
    .build();
  await assert.rejects(strict.blob("hand", "hello.txt").putOpts("hello", { metadata: { run: "8" } }), (err: Error) => {
    assert.match(err.message, /header x-ms-meta-run: recorded "7", sent "8"/);
    return true;
  });
});

test("an account placeholder replaces the account in recordings and is put back in replays", async () => {
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-sim-"));
  try {
    const path = join(dir, "placeholder.json");
    const xml =
      '<EnumerationResults ServiceEndpoint="http://127.0.0.1:9/devstoreaccount1/" ContainerName="c1c"><Blobs /><NextMarker /></EnumerationResults>';
    const scripted: Next = async () =>
      newResponse(
        200,
        [
          ["content-length", String(xml.length)],
          ["x-ms-echo", "devstoreaccount1"],
        ],
        new TextEncoder().encode(xml),
      );
    const options = { path, accountPlaceholder: "ACCOUNT" } as const;
    const recorder = new ClientBuilder()
      .endpoint("http://127.0.0.1:9/devstoreaccount1")
      .wire(scripted)
      .simulation({ ...options, mode: "record" })
      .build();
    await recorder.container("c1c").listBlobsPageOpts(undefined, { prefix: "devstoreaccount1/" });
    recorder.saveRecordings();
    const text = readFileSync(path, "utf8");
    assert.ok(!text.includes("devstoreaccount1"), text);
    assert.match(text, /"path": "\/ACCOUNT\/c1c"/);
    assert.match(text, /prefix=ACCOUNT%2F/);
    const noNetwork: Next = async () => assert.fail("a replay reached the network");
    const replayer = new ClientBuilder()
      .endpoint("http://127.0.0.1:9/devstoreaccount1")
      .wire(noNetwork)
      .simulation({ ...options, mode: "replay" })
      .build();
    const probe = await replayer.sendRaw(
      (() => {
        const url = replayer.container("c1c").url();
        url.search = "restype=container&comp=list&prefix=devstoreaccount1%2F";
        const r = newRequest("ListBlobs", "GET", url);
        r.maxResponseBytes = 1 << 20;
        return r;
      })(),
    );
    const seen = {
      body: new TextDecoder().decode(probe.body),
      length: probe.headers.get("content-length"),
      echo: probe.headers.get("x-ms-echo"),
    };
    assert.equal(seen.body, xml);
    assert.equal(seen.length, String(xml.length));
    assert.equal(seen.echo, "devstoreaccount1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("recorded paths and query values are sanitized, and sig is dropped in any case", async () => {
  const { captureRequest } = await import("../src/sim/simulation.js");
  const r = newRequest(
    "Raw",
    "GET",
    new URL(
      "http://127.0.0.1/a/c/eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln?SIG=abc&t=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln&sv=1",
    ),
  );
  const captured = captureRequest(r);
  assert.equal(captured.path, "/a/c/REDACTED");
  assert.equal(captured.query, "sv=1&t=REDACTED");
});
