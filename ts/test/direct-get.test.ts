// The direct GET of the default wire (`wire/direct-get.ts`): a GET that
// offers its body a place (`Request.bodyInto`) is read over the wire's own
// HTTP/1.1 connections straight into it. Against raw local servers that write
// exactly the bytes each test needs, plain and TLS: the body lands in its
// place and the connection is reused; answers it does not take go to
// node:http; hostile or broken answers are typed failures; TLS is verified.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import net from "node:net";
import { test } from "node:test";
import tls from "node:tls";
import { fileURLToPath } from "node:url";
import {
  ClientBuilder,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  type Next,
  newRequest,
  nodeWire,
  ProxyConfig,
  type Request,
  type Response,
  WireError,
} from "../src/index.js";
import { socketHost } from "../src/net.js";
import { parseHead, requestHead } from "../src/wire/http1-head.js";
import { selfSignedCert } from "./support/tls-cert.js";

/** A raw server: `answer` gets each request's head and writes what it likes. */
interface RawServer {
  url: string;
  connections: () => number;
  /** Settles once `n` of its connections have closed. */
  closed: (n: number) => Promise<void>;
  requests: string[];
  close: () => void;
}

async function rawServer(
  answer: (head: string, socket: net.Socket, index: number) => void,
  secure?: { key: string; cert: string },
): Promise<RawServer> {
  const requests: string[] = [];
  let connections = 0;
  let closes = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  const sockets = new Set<net.Socket>();
  const onSocket = (socket: net.Socket): void => {
    connections += 1;
    sockets.add(socket);
    socket.on("close", () => {
      sockets.delete(socket);
      closes += 1;
      for (const wait of waiting.filter((w) => w.n <= closes)) wait.resolve();
    });
    socket.on("error", () => {});
    let buffered = "";
    socket.on("data", (data: Buffer) => {
      buffered += data.toString("latin1");
      for (let end = buffered.indexOf("\r\n\r\n"); end >= 0; end = buffered.indexOf("\r\n\r\n")) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        requests.push(head);
        answer(head, socket, requests.length - 1);
      }
    });
  };
  const server = secure ? tls.createServer(secure, onSocket) : net.createServer(onSocket);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${secure ? "https" : "http"}://127.0.0.1:${port}/devstoreaccount1/c1c/b`,
    connections: () => connections,
    closed: (n) => (n <= closes ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve }))),
    requests,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

const blob = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 251));

/** A 206 answer's head for `length` bytes, with `extra` header lines. */
function partialHead(length: number, extra = ""): string {
  return `HTTP/1.1 206 Partial Content\r\ncontent-length: ${length}\r\netag: "e1"\r\n${extra}\r\n`;
}

/** A Get Blob of `length` bytes from `offset`, its body's place given. */
function ranged(url: string, place: Uint8Array, offset = 0): Request {
  const request = newRequest("GetBlob", "GET", new URL(url));
  request.headers.set("x-ms-range", `bytes=${offset}-${offset + place.length - 1}`);
  request.idempotent = true;
  request.streamBody = true;
  request.maxResponseBytes = Math.max(place.length, 64 * 1024);
  request.bodyInto = place;
  return request;
}

/** The chunks a streamed answer yields. */
async function chunksOf(response: Response): Promise<Uint8Array[]> {
  assert.ok(response.stream, "the answer is streamed");
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.stream) chunks.push(chunk);
  return chunks;
}

/** A server answering each `bytes=A-B` range from `blob` (in two writes, so the body spans several reads). */
function servesRanges(head: string, socket: net.Socket): void {
  const m = /x-ms-range: bytes=(\d+)-(\d+)/.exec(head);
  const body = blob.subarray(Number(m?.[1]), Number(m?.[2]) + 1);
  socket.write(partialHead(body.length) + body.subarray(0, 1000).toString("latin1"), "latin1");
  setImmediate(() => socket.write(body.subarray(1000)));
}

test("a ranged body is read straight into its place, and the connection carries the next GET", async () => {
  const server = await rawServer(servesRanges);
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off() });
    const result = new Uint8Array(200_000);
    for (const offset of [0, 100_000]) {
      const place = result.subarray(offset, offset + 100_000);
      const chunks = await chunksOf(await wire(ranged(server.url, place, offset)));
      let at = offset;
      for (const chunk of chunks) {
        assert.equal(chunk.buffer, result.buffer, "each chunk is a view of the result");
        assert.equal(chunk.byteOffset, at, "the views follow each other, each byte yielded once");
        at += chunk.length;
      }
      assert.equal(at, offset + 100_000);
    }
    assert.deepEqual(Buffer.from(result), blob.subarray(0, 200_000));
    assert.equal(server.connections(), 1, "one keep-alive connection");
    assert.match(server.requests[0] ?? "", /^GET \/devstoreaccount1\/c1c\/b HTTP\/1\.1\r\n/);
    assert.match(server.requests[0] ?? "", /\r\nhost: 127\.0\.0\.1:\d+/);
  } finally {
    server.close();
  }
});

test("over TLS the body lands in its place too; an untrusted certificate or another name gets no request", async () => {
  const pems = selfSignedCert("DNS:localhost");
  const server = await rawServer(servesRanges, pems);
  const byName = server.url.replace("127.0.0.1", "localhost");
  try {
    const place = new Uint8Array(100_000);
    const trusting = nodeWire({ proxy: ProxyConfig.off(), rootCertificatesPem: [pems.cert] });
    const chunks = await chunksOf(await trusting(ranged(byName, place)));
    assert.ok(chunks.length > 0 && chunks.every((chunk) => chunk.buffer === place.buffer));
    assert.deepEqual(Buffer.from(place), blob.subarray(0, 100_000));
    const before = server.requests.length;
    const refusal = (code: string) => (err: unknown) =>
      err instanceof WireError && (err.cause as { code?: string } | undefined)?.code === code;
    await assert.rejects(
      nodeWire({ proxy: ProxyConfig.off() })(ranged(byName, new Uint8Array(10))),
      refusal("DEPTH_ZERO_SELF_SIGNED_CERT"),
    );
    // The certificate names localhost only: the same server by its address is refused.
    await assert.rejects(trusting(ranged(server.url, new Uint8Array(10))), refusal("ERR_TLS_CERT_ALTNAME_INVALID"));
    assert.equal(server.requests.length, before, "no request reached a server the client does not trust");
  } finally {
    server.close();
  }
});

test("a chunked answer is handed to node:http, which asks again, and takes the origin's GETs for a while", async () => {
  const server = await rawServer((_head, socket) => {
    socket.write(
      'HTTP/1.1 206 Partial Content\r\ntransfer-encoding: chunked\r\netag: "e1"\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    );
  });
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off() });
    const chunks = await chunksOf(await wire(ranged(server.url, new Uint8Array(5))));
    assert.equal(Buffer.concat(chunks).toString(), "hello");
    assert.equal(server.requests.length, 2, "asked once directly, once by node:http");
    await chunksOf(await wire(ranged(server.url, new Uint8Array(5))));
    assert.equal(server.requests.length, 3, "the origin's next GET goes to node:http at once");
  } finally {
    server.close();
  }
});

test("an unsized error answer goes to node:http without sending the origin's later GETs there", async () => {
  const server = await rawServer((head, socket, index) => {
    if (index < 2) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\n\r\nbusy");
      return;
    }
    servesRanges(head, socket);
  });
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off() });
    const busy = await wire(ranged(server.url, new Uint8Array(5)));
    assert.equal(busy.status, 503);
    assert.equal(server.requests.length, 2, "asked once directly, once by node:http");
    const place = new Uint8Array(5);
    const chunks = await chunksOf(await wire(ranged(server.url, place)));
    assert.ok(
      chunks.length > 0 && chunks.every((chunk) => chunk.buffer === place.buffer),
      "the next GET is read into its place",
    );
  } finally {
    server.close();
  }
});

test("an error answer is read whole, however many reads bring it, never into the place", async () => {
  const xml = `<?xml version="1.0"?><Error><Code>BlobNotFound</Code><Pad>${"p".repeat(100_000)}</Pad></Error>`;
  const server = await rawServer((_head, socket) => {
    socket.write(`HTTP/1.1 404 Not Found\r\nx-ms-error-code: BlobNotFound\r\ncontent-length: ${xml.length}\r\n\r\n`);
    socket.write(xml.slice(0, 70_000));
    setImmediate(() => socket.write(xml.slice(70_000)));
  });
  try {
    const place = new Uint8Array(200_000);
    const response = await nodeWire({ proxy: ProxyConfig.off() })(ranged(server.url, place));
    assert.equal(response.status, 404);
    assert.equal(response.headers.get("x-ms-error-code"), "BlobNotFound");
    assert.equal(Buffer.from(response.body).toString(), xml);
    assert.equal(response.stream, undefined);
    assert.ok(
      place.every((byte) => byte === 0),
      "an error's body is not written into the place",
    );
  } finally {
    server.close();
  }
});

test("no content, and an informational answer handed to node:http", async () => {
  const server = await rawServer((_head, socket, index) => {
    if (index === 0) socket.write("HTTP/1.1 204 No Content\r\ncontent-length: 9\r\n\r\n");
    else if (index === 1) socket.write("HTTP/1.1 103 Early Hints\r\nlink: </x>\r\n\r\n");
    else socket.write(`${partialHead(3)}abc`);
  });
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off() });
    const empty = await wire(ranged(server.url, new Uint8Array(3)));
    assert.equal(empty.status, 204);
    assert.deepEqual(await chunksOf(empty), []);
    const place = new Uint8Array(3);
    const chunks = await chunksOf(await wire(ranged(server.url, place)));
    assert.equal(Buffer.concat(chunks).toString(), "abc");
    assert.equal(server.requests.length, 3, "the 103 made node:http ask again");
  } finally {
    server.close();
  }
});

/** The failure of one GET whose server answers with `raw`. */
async function failureOf(raw: string | Buffer, placeLength = 100): Promise<WireError> {
  const server = await rawServer((_head, socket) => {
    socket.write(raw);
  });
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off(), inactivityTimeoutMs: 2_000 });
    let failure: unknown;
    try {
      await chunksOf(await wire(ranged(server.url, new Uint8Array(placeLength))));
    } catch (err) {
      failure = err;
    }
    assert.ok(failure instanceof WireError, `a WireError, not ${String(failure)}`);
    return failure;
  } finally {
    server.close();
  }
}

test("hostile answers are typed failures: a body longer than its place, a garbled or endless head", async () => {
  const longer = await failureOf(`${partialHead(150)}${"x".repeat(150)}`);
  assert.equal(longer.transportKind, "too-long");
  assert.match(longer.message, /longer than 100 bytes/);
  const garbled = await failureOf("HTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n");
  assert.equal(garbled.transportKind, "io");
  assert.match(garbled.message, /status line/);
  const folded = await failureOf("HTTP/1.1 206 Partial Content\r\ncontent-length: 1\r\n folded\r\n\r\nx");
  assert.match(folded.message, /malformed header line 2/);
  const twoLengths = await failureOf(
    "HTTP/1.1 206 Partial Content\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nxx",
  );
  assert.match(twoLengths.message, /more than one Content-Length/);
  const bareLineFeed = await failureOf(
    'HTTP/1.1 206 Partial Content\r\netag: "a"\nx-evil: 1\r\ncontent-length: 1\r\n\r\nx',
  );
  assert.match(bareLineFeed.message, /malformed header line 1/);
  const endless = await failureOf(`HTTP/1.1 206 Partial Content\r\nx-pad: ${"a".repeat(70_000)}`);
  assert.equal(endless.transportKind, "io");
  assert.match(endless.message, /head is longer than 65536 bytes/);
});

test("a body that breaks off fails its stream after the bytes that came, all in place", async () => {
  const server = await rawServer((_head, socket) => {
    socket.write(partialHead(1000) + "y".repeat(300));
    setImmediate(() => socket.destroy());
  });
  try {
    const place = new Uint8Array(1000);
    const response = await nodeWire({ proxy: ProxyConfig.off() })(ranged(server.url, place));
    const received: Uint8Array[] = [];
    await assert.rejects(
      (async () => {
        for await (const chunk of response.stream ?? []) received.push(chunk);
      })(),
      (err: unknown) => err instanceof WireError && err.transportKind === "io" && /broke off/.test(err.message),
    );
    assert.equal(Buffer.concat(received).toString(), "y".repeat(300));
    assert.ok(received.every((chunk) => chunk.buffer === place.buffer));
  } finally {
    server.close();
  }
});

test("a connection the server dropped while idle is replaced once and the new one reused", async () => {
  const server = await rawServer((head, socket, index) => {
    // The second request, on the first connection, finds it closed.
    if (index === 1) socket.destroy();
    else servesRanges(head, socket);
  });
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off() });
    for (let i = 0; i < 3; i++) {
      const place = new Uint8Array(2000);
      await chunksOf(await wire(ranged(server.url, place)));
      assert.deepEqual(Buffer.from(place), blob.subarray(0, 2000));
    }
    assert.deepEqual([server.requests.length, server.connections()], [4, 2]);
  } finally {
    server.close();
  }
});

test("a GET whose reused and replacement connections both close fails, sent twice only", async () => {
  const server = await rawServer((head, socket, index) => {
    if (index === 0) servesRanges(head, socket);
    else socket.destroy();
  });
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off() });
    await chunksOf(await wire(ranged(server.url, new Uint8Array(2000))));
    await assert.rejects(wire(ranged(server.url, new Uint8Array(2000))), (err: unknown) => {
      return err instanceof WireError && err.transportKind === "io" && /closed before an answer/.test(err.message);
    });
    assert.deepEqual([server.requests.length, server.connections()], [3, 2]);
  } finally {
    server.close();
  }
});

test("idle connections, a replacement's too, do not keep the process alive", async () => {
  const server = await rawServer((head, socket, index) => {
    if (index === 1) socket.destroy();
    else servesRanges(head, socket);
  });
  try {
    const index = fileURLToPath(new URL("../src/index.js", import.meta.url));
    const script = `
      const { newRequest, nodeWire, ProxyConfig } = await import(${JSON.stringify(index)});
      const wire = nodeWire({ proxy: ProxyConfig.off() });
      for (let i = 0; i < 2; i++) {
        const request = newRequest("GetBlob", "GET", new URL(${JSON.stringify(server.url)}));
        request.headers.set("x-ms-range", "bytes=0-99");
        request.bodyInto = new Uint8Array(100);
        for await (const _ of (await wire(request)).stream) {}
      }
      console.log("done");`;
    const started = performance.now();
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ["--input-type=module", "-e", script], { timeout: 20_000 }, (err, out) =>
        err ? reject(err) : resolve(out),
      );
    });
    assert.equal(stdout.trim(), "done");
    assert.equal(server.requests.length, 3, "the second GET was sent again on a new connection");
    // Idle connections close after 30 s and time out after 60: an exit well before either is theirs to allow.
    assert.ok(performance.now() - started < 10_000, `exited after ${performance.now() - started} ms`);
  } finally {
    server.close();
  }
});

test("an answer that closes, or sends past its body, leaves its connection unused", async () => {
  for (const [answer, label] of [
    [(body: string) => `${partialHead(body.length, "connection: close\r\n")}${body}`, "connection: close"],
    [(body: string) => `${partialHead(body.length)}${body}UNASKED`, "bytes past the body"],
    [(body: string) => `${partialHead(body.length, "keep-alive: timeout=1\r\n")}${body}`, "kept idle 1 s at most"],
  ] as const) {
    const server = await rawServer((_head, socket) => {
      socket.write(answer("abc"));
    });
    try {
      const wire = nodeWire({ proxy: ProxyConfig.off() });
      for (let i = 0; i < 2; i++) {
        const place = new Uint8Array(3);
        await chunksOf(await wire(ranged(server.url, place)));
        assert.equal(Buffer.from(place).toString(), "abc", label);
      }
      assert.equal(server.connections(), 2, label);
    } finally {
      server.close();
    }
  }
  const kept = await rawServer((_head, socket) => {
    socket.write(`${partialHead(3, "keep-alive: timeout=5\r\n")}abc`);
  });
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off() });
    for (let i = 0; i < 2; i++) await chunksOf(await wire(ranged(kept.url, new Uint8Array(3))));
    assert.equal(kept.connections(), 1, "a server that keeps connections 5 s idle gets the next GET on the same one");
  } finally {
    kept.close();
  }
});

test("a silent server times out, and an aborted GET ends at once", async () => {
  const aborts = new AbortController();
  const server = await rawServer((_head, _socket, index) => {
    if (index === 1) aborts.abort();
  });
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off(), inactivityTimeoutMs: 100 });
    await assert.rejects(wire(ranged(server.url, new Uint8Array(10))), (err: unknown) => {
      return err instanceof WireError && err.transportKind === "timeout" && /silent/.test(err.message);
    });
    const patient = nodeWire({ proxy: ProxyConfig.off(), inactivityTimeoutMs: 60_000 });
    const request: Request = { ...ranged(server.url, new Uint8Array(10)), signal: aborts.signal };
    await assert.rejects(patient(request), (err: unknown) => {
      return err instanceof WireError && err.transportKind === "timeout" && /deadline/.test(err.message);
    });
  } finally {
    server.close();
  }
});

test("an abort or a reader that stops mid-body ends the body and its connection", { timeout: 10_000 }, async () => {
  const aborts = new AbortController();
  const server = await rawServer((_head, socket) => {
    socket.write(partialHead(1000) + "z".repeat(100));
  });
  try {
    const wire = nodeWire({ proxy: ProxyConfig.off() });
    const request: Request = { ...ranged(server.url, new Uint8Array(1000)), signal: aborts.signal };
    const chunks = (await wire(request)).stream?.[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
    assert.equal((await chunks.next()).value?.length, 100);
    aborts.abort();
    await assert.rejects(chunks.next(), (err: unknown) => {
      return (
        err instanceof WireError &&
        /broke off/.test(err.message) &&
        /deadline/.test(String((err.cause as Error).message))
      );
    });
    await server.closed(1);
    const stopped = (await wire(ranged(server.url, new Uint8Array(1000)))).stream as AsyncIterableIterator<Uint8Array>;
    await stopped.next();
    await stopped.return?.();
    // Without the close, the server's sockets stay open and this test times out.
    await server.closed(2);
    assert.equal(server.connections(), 2);
  } finally {
    server.close();
  }
});

test("a head that arrives a byte at a time is found", async () => {
  const server = await rawServer((_head, socket) => {
    const answer = Buffer.from(`${partialHead(3)}abc`, "latin1");
    const step = (at: number): void => {
      if (at >= answer.length || socket.destroyed) return;
      socket.write(answer.subarray(at, at + 1), () => setImmediate(() => step(at + 1)));
    };
    step(0);
  });
  try {
    const place = new Uint8Array(3);
    await chunksOf(await nodeWire({ proxy: ProxyConfig.off() })(ranged(server.url, place)));
    assert.equal(Buffer.from(place).toString(), "abc");
  } finally {
    server.close();
  }
});

test("a request header a header cannot carry never reaches the socket", async () => {
  const server = await rawServer(servesRanges);
  try {
    const request = ranged(server.url, new Uint8Array(10));
    request.headers.set("x-ms-client-request-id", "id\r\n\r\nGET /other HTTP/1.1");
    assert.equal(requestHead(request), undefined);
    await assert.rejects(nodeWire({ proxy: ProxyConfig.off() })(request), { code: "ERR_INVALID_CHAR" });
    assert.equal(server.requests.length, 0);
  } finally {
    server.close();
  }
});

test("a download into memory over the default wire: every range in place, a broken one resumed", async () => {
  const size = 250_000;
  const server = await rawServer((head, socket, index) => {
    const m = /x-ms-range: bytes=(\d+)-(\d+)/.exec(head);
    const start = Number(m?.[1]);
    const end = Math.min(Number(m?.[2]), size - 1);
    const body = blob.subarray(start, end + 1);
    const headers =
      `HTTP/1.1 206 Partial Content\r\ncontent-length: ${body.length}\r\ncontent-range: bytes ${start}-${end}/${size}\r\n` +
      `etag: "e1"\r\nlast-modified: Mon, 23 Nov 2026 10:00:00 GMT\r\nx-ms-blob-type: BlockBlob\r\n\r\n`;
    // The third request's body breaks off after 10,000 bytes.
    if (index === 2) {
      socket.write(headers + body.subarray(0, 10_000).toString("latin1"), "latin1");
      setImmediate(() => socket.destroy());
      return;
    }
    socket.write(headers + body.toString("latin1"), "latin1");
  });
  try {
    const client = new ClientBuilder()
      .endpoint(server.url.replace("/c1c/b", ""))
      .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
      .build();
    const got = await client.blob("c1c", "b").downloadOpts({ chunkSize: 60_000, concurrency: 2 });
    assert.deepEqual(Buffer.from(got), blob.subarray(0, size));
    const resumed = server.requests.filter((r) => /if-match: "e1"/.test(r));
    assert.equal(resumed.length, 5, "four ranges after the first, and one resume");
  } finally {
    server.close();
  }
});

test("through a proxy, node:http carries the GET", async () => {
  const proxy = await rawServer((head, socket) => {
    const path = /^GET (\S+)/.exec(head)?.[1] ?? "";
    socket.write(`${partialHead(path.length)}${path}`);
  });
  try {
    const wire: Next = nodeWire({ proxy: ProxyConfig.explicit(new URL(proxy.url).origin) });
    const target = "http://blob.example.test/devstoreaccount1/c1c/b";
    const place = new Uint8Array(target.length);
    const chunks = await chunksOf(await wire(ranged(target, place)));
    assert.equal(Buffer.concat(chunks).toString(), target, "the proxy was asked for the target in absolute form");
    assert.ok(
      chunks.every((chunk) => chunk.buffer !== place.buffer),
      "node:http's own chunks",
    );
  } finally {
    proxy.close();
  }
});

test("an answer's head: status, headers joined, framing and keep-alive", () => {
  const head = parseHead(
    'HTTP/1.1 206 Partial Content\r\nETag: "e1"\r\nx-ms-meta-a:  1 \r\nX-MS-META-A: 2\r\nContent-Length: 7',
  );
  assert.ok(typeof head !== "string");
  assert.deepEqual(
    [head.status, head.length, head.keepAlive, head.headers.get("etag"), head.headers.get("x-ms-meta-a")],
    [206, 7, true, '"e1"', "1, 2"],
  );
  const chunked = parseHead("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ncontent-length: 5");
  assert.equal(typeof chunked !== "string" && chunked.length, undefined);
  const notModified = parseHead("HTTP/1.1 304 Not Modified\r\ncontent-length: 5");
  assert.equal(typeof notModified !== "string" && notModified.length, 0);
  const keepAlive = (text: string): boolean => {
    const parsed = parseHead(text);
    assert.ok(typeof parsed !== "string", parsed as string);
    return parsed.keepAlive;
  };
  assert.equal(keepAlive("HTTP/1.0 200 OK\r\ncontent-length: 1"), false);
  assert.equal(keepAlive("HTTP/1.0 200 OK\r\nconnection: Keep-Alive\r\ncontent-length: 1"), true);
  assert.equal(keepAlive("HTTP/1.1 200 OK\r\nconnection: upgrade, close\r\ncontent-length: 1"), false);
  const repeated = parseHead(
    'HTTP/1.1 200 OK\r\nETag: "a"\r\netag: "b"\r\nkeep-alive: max=5, timeout=7\r\ncontent-length: 1',
  );
  assert.ok(typeof repeated !== "string");
  assert.deepEqual([repeated.headers.get("etag"), repeated.idleMs], ['"a"', 7000], "the first ETag, as node:http");
  assert.equal(typeof head !== "string" && head.idleMs, undefined, "no hint, no limit");
  assert.match(String(parseHead("HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 1")), /more than one/);
  assert.match(String(parseHead("HTTP/1.1 200 OK\r\ncontent-length: -1")), /not a number/);
  assert.match(String(parseHead("HTTP/2 200")), /status line/);
  assert.match(String(parseHead("HTTP/1.1 200 OK\r\nno colon here")), /malformed header line 1/);
  assert.match(String(parseHead("HTTP/1.1 200 OK\r\nbad name: x")), /malformed header line 1/);
  assert.match(String(parseHead("HTTP/1.1 200 OK\r\nx-a: a\u0000b")), /malformed header line 1/);
  const noContent = parseHead("HTTP/1.1 204 No Content\r\ntransfer-encoding: chunked");
  assert.equal(typeof noContent !== "string" && noContent.length, 0, "no body, whatever frames it");
  assert.equal(socketHost(new URL("http://[::1]:10000/a")), "::1");
});
