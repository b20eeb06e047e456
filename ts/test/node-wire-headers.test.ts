// The default wire hands node:http one flat header list and reads answers
// with listeners shared by every request: what a local server receives and
// answers holds it to what the header object and closures did before.

import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "node:test";
import { newRequest, nodeWire, ProxyConfig } from "../src/index.js";

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/** The raw header pairs a request arrived with, names lower-cased. */
function pairs(req: IncomingMessage): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    out.push([(req.rawHeaders[i] ?? "").toLowerCase(), req.rawHeaders[i + 1] ?? ""]);
  }
  return out;
}

test("headers arrive once each, Host and Content-Length as node:http set them, a request's own Host kept", async () => {
  const seen: Array<Array<[string, string]>> = [];
  const server = createServer((req, res) => {
    seen.push(pairs(req));
    req.resume();
    req.on("end", () => res.end());
  });
  const port = await listen(server);
  const wire = nodeWire({ proxy: ProxyConfig.off() });
  try {
    const put = newRequest("Test", "PUT", new URL(`http://127.0.0.1:${port}/acct/c/b?comp=x`));
    put.headers.set("x-ms-version", "2023-11-03");
    put.headers.set("content-length", "999");
    put.body = new TextEncoder().encode("hello");
    assert.equal((await wire(put)).status, 200);
    const get = newRequest("Test", "GET", new URL(`http://127.0.0.1:${port}/acct/c/b`));
    get.headers.set("host", "example.test");
    assert.equal((await wire(get)).status, 200);
  } finally {
    server.close();
  }
  const [first, second] = seen;
  const names = (list: Array<[string, string]> | undefined) => (list ?? []).map(([name]) => name);
  assert.deepEqual(
    names(first).filter((n) => n !== "connection"),
    ["x-ms-version", "content-length", "host"],
  );
  assert.deepEqual(
    (first ?? []).filter(([n]) => n === "content-length" || n === "host"),
    [
      ["content-length", "5"],
      ["host", `127.0.0.1:${port}`],
    ],
  );
  assert.deepEqual(
    (second ?? []).filter(([n]) => n === "host" || n === "content-length"),
    [
      ["host", "example.test"],
      ["content-length", "0"],
    ],
  );
});

test("answers: repeated headers joined, a body of several chunks joined, an empty body empty", async () => {
  const server = createServer((req, res) => {
    if (req.url === "/chunks") {
      res.setHeader("x-ms-meta-a", ["1", "2"]);
      res.write("abc");
      setImmediate(() => res.end("def"));
    } else {
      res.statusCode = 201;
      res.end();
    }
  });
  const port = await listen(server);
  const wire = nodeWire({ proxy: ProxyConfig.off() });
  try {
    const chunked = await wire(newRequest("Test", "GET", new URL(`http://127.0.0.1:${port}/chunks`)));
    assert.equal(chunked.headers.get("x-ms-meta-a"), "1, 2");
    assert.equal(Buffer.from(chunked.body).toString(), "abcdef");
    const empty = await wire(newRequest("Test", "PUT", new URL(`http://127.0.0.1:${port}/empty`)));
    assert.equal(empty.status, 201);
    assert.equal(empty.body.length, 0);
    assert.equal(empty.repeated, false);
  } finally {
    server.close();
  }
});
