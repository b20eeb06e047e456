// The default wire (node:http) against local servers: redirects are never
// followed, a refused connection is a typed Transport error retried even for
// writes, a silent server times out, a broken Get Blob body resumes.

import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { type AttemptRecord, ClientBuilder, DEV_ACCOUNT, DEV_ACCOUNT_KEY } from "../src/index.js";

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

const noSleep = { sleep: async () => {}, now: () => Date.now() };

test("a redirect is an invalid response and its target is never contacted", async () => {
  let targetHits = 0;
  const target = createServer((_req, res) => {
    targetHits += 1;
    res.end();
  });
  const targetPort = await listen(target);
  const server = createServer((_req, res) => {
    res.writeHead(307, { location: `http://127.0.0.1:${targetPort}/devstoreaccount1/c1c/b?sig=secret` });
    res.end();
  });
  const port = await listen(server);
  try {
    const client = new ClientBuilder()
      .endpoint(`http://127.0.0.1:${port}/devstoreaccount1`)
      .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
      .build();
    await assert.rejects(client.blob("c1c", "b").download(), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, "InvalidResponse");
      assert.ok(err.message.includes("redirects are never followed") && !err.message.includes("secret"), err.message);
      return true;
    });
    assert.equal(targetHits, 0);
  } finally {
    server.close();
    target.close();
  }
});

test("a refused connection is a Transport error, retried even for a write that never left", async () => {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  const attempts: AttemptRecord[] = [];
  const client = new ClientBuilder()
    .endpoint(`http://127.0.0.1:${port}/devstoreaccount1`)
    .retry({ maxRetries: 2 })
    .clock(noSleep)
    .onAttempt((a) => attempts.push(a))
    .build();
  await assert.rejects(client.blob("c1c", "b").createAppendBlob(), { kind: "Transport" });
  assert.equal(attempts.length, 3, "a create that never left is repeated");
  assert.ok(attempts.every((a) => a.error === "WireError" && a.status === undefined));
});

test("a server that stays silent times out", async () => {
  const held: Array<() => void> = [];
  const server = createServer((_req, res) => {
    held.push(() => res.destroy());
  });
  const port = await listen(server);
  try {
    const client = new ClientBuilder()
      .endpoint(`http://127.0.0.1:${port}/devstoreaccount1`)
      .inactivityTimeout(150)
      .retry({ maxRetries: 0 })
      .build();
    await assert.rejects(client.blob("c1c", "b").properties(), { kind: "Timeout" });
  } finally {
    for (const release of held) release();
    server.close();
  }
});

test("the fetch wire: the same refusals as the default", async () => {
  const { fetchWire } = await import("../src/wire/fetch-wire.js");
  const server = createServer((_req, res) => {
    res.writeHead(302, { location: "http://127.0.0.1:1/elsewhere" });
    res.end();
  });
  const port = await listen(server);
  try {
    const client = new ClientBuilder().endpoint(`http://127.0.0.1:${port}/devstoreaccount1`).wire(fetchWire()).build();
    await assert.rejects(client.blob("c1c", "b").download(), { kind: "InvalidResponse" });
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  const attempts: AttemptRecord[] = [];
  const refused = new ClientBuilder()
    .endpoint(`http://127.0.0.1:${port}/devstoreaccount1`)
    .wire(fetchWire())
    .retry({ maxRetries: 1 })
    .clock(noSleep)
    .onAttempt((a) => attempts.push(a))
    .build();
  await assert.rejects(refused.blob("c1c", "b").createAppendBlob(), { kind: "Transport" });
  assert.equal(attempts.length, 2);
});

test("an answer longer than the operation reads is an invalid response, not retried", async () => {
  let hits = 0;
  const server = createServer((req, res) => {
    hits += 1;
    req.resume();
    // No Content-Length: the cap must hold while the body streams in.
    res.writeHead(201, { "transfer-encoding": "chunked", etag: '"1"' });
    const chunk = Buffer.alloc(16 * 1024, 120);
    for (let i = 0; i < 8; i++) res.write(chunk);
    res.end();
  });
  const port = await listen(server);
  try {
    for (const { fetchWire } of [{ fetchWire: undefined }, await import("../src/wire/fetch-wire.js")]) {
      const builder = new ClientBuilder().endpoint(`http://127.0.0.1:${port}/devstoreaccount1`).clock(noSleep);
      if (fetchWire) builder.wire(fetchWire());
      const before = hits;
      await assert.rejects(builder.build().blob("c1c", "b").put("x"), (err: Error & { kind?: string }) => {
        assert.equal(err.kind, "InvalidResponse");
        assert.match(err.message, /longer than 65536 bytes/);
        return true;
      });
      assert.equal(hits - before, 1, "not retried");
    }
  } finally {
    server.close();
  }
});

test("an operation's deadline ends a stalled attempt and any retry", async () => {
  const held: Array<() => void> = [];
  const server = createServer((_req, res) => {
    held.push(() => res.destroy());
  });
  const port = await listen(server);
  try {
    const attempts: AttemptRecord[] = [];
    const client = new ClientBuilder()
      .endpoint(`http://127.0.0.1:${port}/devstoreaccount1`)
      .deadline(200)
      .onAttempt((a) => attempts.push(a))
      .build();
    await assert.rejects(client.blob("c1c", "b").properties(), (err: Error & { kind?: string }) => {
      assert.equal(err.kind, "Timeout");
      assert.match(err.message, /deadline/);
      return true;
    });
    assert.equal(attempts.length, 1, "no retry past the deadline");
    assert.throws(() => new ClientBuilder().deadline(0), { kind: "InvalidInput" });
  } finally {
    for (const release of held) release();
    server.close();
  }
});

// A body shorter than one socket read and one that spans several: a break
// is resumed alike.
for (const [size, cut] of [
  [20, 7],
  [100 * 1024, 70 * 1024],
] as const) {
  test(`a Get Blob body of ${size} bytes that breaks off after ${cut} is resumed from the next byte, under If-Match`, async () => {
    const blob = Buffer.from(Array.from({ length: size }, (_, i) => "0123456789abcdefghij".charCodeAt(i % 20)));
    const ranges: Array<string | undefined> = [];
    const conditions: Array<string | undefined> = [];
    const server = createServer((req, res) => {
      const range = req.headers["x-ms-range"] as string | undefined;
      ranges.push(range);
      conditions.push(req.headers["if-match"] as string | undefined);
      const m = /^bytes=(\d+)-(\d+)?$/.exec(range ?? "");
      const start = Number(m?.[1] ?? 0);
      const end = m?.[2] ? Number(m[2]) : blob.length - 1;
      const headers = {
        etag: '"e7"',
        "last-modified": "Mon, 23 Nov 2026 10:00:00 GMT",
        "x-ms-blob-type": "BlockBlob",
        "content-length": String(end - start + 1),
        ...(range ? { "content-range": `bytes ${start}-${end}/${blob.length}` } : {}),
      };
      res.writeHead(range ? 206 : 200, headers);
      if (ranges.length === 1) {
        // The first answer breaks off after `cut` bytes.
        res.write(blob.subarray(start, start + cut));
        setImmediate(() => res.socket?.destroy());
        return;
      }
      res.end(blob.subarray(start, end + 1));
    });
    const port = await listen(server);
    try {
      const client = new ClientBuilder().endpoint(`http://127.0.0.1:${port}/devstoreaccount1`).build();
      const response = await client.blob("c1c", "b").get();
      assert.equal(Buffer.from(await response.bytes()).toString(), blob.toString());
      assert.deepEqual(ranges, [undefined, `bytes=${cut}-${size - 1}`]);
      assert.deepEqual(conditions, [undefined, '"e7"']);
    } finally {
      server.close();
    }
  });
}
