// `node ceiling.mjs ENDPOINT [ROUNDS]`: how fast Node.js itself can take a
// 1 GiB blob into memory from the sink, in ranges of 8 MiB, 8 in flight, as
// worker.mjs's `download-mem-c8` asks both clients, by three readers:
// - `node-http`: node:http with a keep-alive agent, each chunk copied to its
//   place (what the port and @azure/storage-blob are built on);
// - `undici`: undici's `request` (bench/node's pinned dev dependency);
// - `socket`: net sockets, each reading into its own reused buffer (`onread`), the
//   status line and headers found by hand and the body copied to its place:
//   no HTTP library, no buffer allocated per read;
// - `placed`: the same sockets, but each read of a body goes straight into its
//   place in the result (`onread` with a buffer chosen per read), so no byte
//   is copied in JavaScript: what the port's `wire/direct-get.ts` does.
// The last two are probes of the ceiling, not clients: they know only the
// sink's answers (Content-Length bodies).
// Each reader runs in its own process, readers alternating over ROUNDS
// rounds (default 3); it prints MB/s and CPU seconds per GB of each run.
// The blob is put once first (the sink checks no signature).

import { spawnSync } from "node:child_process";
import http from "node:http";
import net from "node:net";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const SIZE = 1 << 30;
const PART = 8 << 20;
const IN_FLIGHT = 8;
const BLOB = "/devstoreaccount1/bench/ceiling.bin";
const READERS = ["node-http", "undici", "socket", "placed"];

function cpuSeconds() {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 1).trim().split(/\s+/);
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rangeHeader(offset) {
  return `bytes=${offset}-${offset + PART - 1}`;
}

function nodeHttpReader(endpoint) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  return (into, offset) =>
    new Promise((resolve, reject) => {
      const headers = { range: rangeHeader(offset), "x-ms-version": "2023-11-03" };
      const request = http.request(new URL(BLOB, endpoint), { agent, headers }, (response) => {
        let at = offset;
        response.on("data", (chunk) => {
          chunk.copy(into, at);
          at += chunk.length;
        });
        response.on("end", () => resolve(at - offset));
        response.on("error", reject);
      });
      request.on("error", reject);
      request.end();
    });
}

async function undiciReader(endpoint) {
  const { Agent, request } = await import("undici");
  const dispatcher = new Agent({ connections: IN_FLIGHT });
  return async (into, offset) => {
    const headers = { range: rangeHeader(offset), "x-ms-version": "2023-11-03" };
    const { body } = await request(new URL(BLOB, endpoint), { dispatcher, headers });
    let at = offset;
    for await (const chunk of body) {
      chunk.copy(into, at);
      at += chunk.length;
    }
    return at - offset;
  };
}

// One connection per range in flight, each with its own reused read buffer.
function socketRun(endpoint, into) {
  const { hostname, port } = new URL(endpoint);
  let next = 0;
  const connection = () =>
    new Promise((resolve, reject) => {
      let range = null;
      const ask = () => {
        if (next >= SIZE) {
          socket.end();
          resolve();
          return;
        }
        range = { at: next, head: Buffer.alloc(0), left: -1 };
        socket.write(
          `GET ${BLOB} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nx-ms-version: 2023-11-03\r\n` +
            `Range: ${rangeHeader(next)}\r\n\r\n`,
        );
        next += PART;
      };
      const onread = (length, buffer) => {
        let data = buffer.subarray(0, length);
        if (range.left < 0) {
          range.head = Buffer.concat([range.head, data]);
          const end = range.head.indexOf("\r\n\r\n");
          if (end < 0) return;
          const head = range.head.subarray(0, end).toString("latin1");
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
          if (!head.startsWith("HTTP/1.1 206") || Number(length?.[1]) !== PART) {
            socket.destroy();
            reject(new Error(`unexpected answer: ${head.split("\r\n")[0]}, ${length?.[0] ?? "no length"}`));
            return;
          }
          range.left = Number(length[1]);
          data = range.head.subarray(end + 4);
        }
        data.copy(into, range.at);
        range.at += data.length;
        range.left -= data.length;
        if (range.left === 0) ask();
      };
      const socket = net.connect({ host: hostname, port: Number(port), onread: { buffer: Buffer.allocUnsafe(256 << 10), callback: onread } }, ask);
      socket.on("error", reject);
      socket.on("close", () => {
        if (range && range.left !== 0) reject(new Error(`the connection closed within the range at ${range.at}`));
      });
    });
  return Promise.all(Array.from({ length: IN_FLIGHT }, connection));
}

// One connection per range in flight, each body read straight into its place.
function placedRun(endpoint, into) {
  const { hostname, port } = new URL(endpoint);
  let next = 0;
  const connection = () =>
    new Promise((resolve, reject) => {
      const head = Buffer.allocUnsafe(64 << 10);
      let range = null;
      const ask = () => {
        if (next >= SIZE) {
          socket.end();
          resolve();
          return;
        }
        range = { at: next, headLength: 0, left: -1 };
        socket.write(
          `GET ${BLOB} HTTP/1.1\r\nHost: ${hostname}:${port}\r\nx-ms-version: 2023-11-03\r\n` +
            `Range: ${rangeHeader(next)}\r\n\r\n`,
        );
        next += PART;
      };
      // The head goes to its own buffer; the body, once the head is in, to the rest of its place.
      const buffer = () => (range === null || range.left < 0 ? head.subarray(range?.headLength ?? 0) : into.subarray(range.at, range.at + range.left));
      const onread = (n) => {
        if (range.left >= 0) {
          range.at += n;
          range.left -= n;
        } else {
          range.headLength += n;
          const end = head.subarray(0, range.headLength).indexOf("\r\n\r\n");
          if (end < 0) return;
          const text = head.subarray(0, end).toString("latin1");
          const length = /\r\ncontent-length:\s*(\d+)/i.exec(text);
          if (!text.startsWith("HTTP/1.1 206") || Number(length?.[1]) !== PART) {
            socket.destroy();
            reject(new Error(`unexpected answer: ${text.split("\r\n")[0]}, ${length?.[0] ?? "no length"}`));
            return;
          }
          const early = head.subarray(end + 4, range.headLength);
          early.copy(into, range.at);
          range.at += early.length;
          range.left = PART - early.length;
        }
        if (range.left === 0) ask();
      };
      const socket = net.connect({ host: hostname, port: Number(port), onread: { buffer, callback: onread } }, ask);
      socket.on("error", reject);
      socket.on("close", () => {
        if (range && range.left !== 0) reject(new Error(`the connection closed within the range at ${range.at}`));
      });
    });
  return Promise.all(Array.from({ length: IN_FLIGHT }, connection));
}

async function measure(reader, endpoint) {
  const into = Buffer.allocUnsafe(SIZE);
  const cpu0 = cpuSeconds();
  const started = performance.now();
  if (reader === "socket" || reader === "placed") {
    await (reader === "socket" ? socketRun : placedRun)(endpoint, into);
  } else {
    const read = reader === "undici" ? await undiciReader(endpoint) : nodeHttpReader(endpoint);
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < SIZE) {
          const offset = next;
          next += PART;
          if ((await read(into, offset)) !== PART) throw new Error(`short range at ${offset}`);
        }
      }),
    );
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpu0;
  console.log(`${reader.padEnd(10)} ${(SIZE / 1e6 / seconds).toFixed(0).padStart(6)} MB/s ${(cpu / (SIZE / 1e9)).toFixed(2)} CPU-s/GB`);
}

async function putBlob(endpoint) {
  await new Promise((resolve, reject) => {
    const headers = { "x-ms-version": "2023-11-03", "x-ms-blob-type": "BlockBlob", "content-length": SIZE };
    const request = http.request(new URL(BLOB, endpoint), { method: "PUT", headers }, (response) => {
      response.resume();
      response.on("end", () => (response.statusCode === 201 ? resolve() : reject(new Error(`Put Blob: ${response.statusCode}`))));
    });
    request.on("error", reject);
    request.end(Buffer.alloc(SIZE, 7));
  });
}

const [endpoint, second] = process.argv.slice(2);
if (!endpoint) {
  console.error("usage: node ceiling.mjs ENDPOINT [ROUNDS]");
  process.exit(2);
}
if (second && READERS.includes(second)) {
  await measure(second, endpoint);
  process.exit(0);
}
await putBlob(endpoint);
for (let round = 1; round <= Number(second ?? 3); round++) {
  for (const reader of READERS) {
    const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), endpoint, reader], { stdio: "inherit" });
    if (run.status !== 0) process.exit(1);
  }
}
