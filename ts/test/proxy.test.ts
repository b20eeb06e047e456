// Proxies: the variables' rules, and a local forward proxy carrying plain-http
// requests (absolute form) to Azurite and https requests as CONNECT tunnels to
// a local TLS server, TLS end to end.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, request as httpRequest, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { type AddressInfo, connect } from "node:net";
import { after, before, test } from "node:test";
import { inspect } from "node:util";
import { ClientBuilder, DEV_ACCOUNT, DEV_ACCOUNT_KEY, ProxyConfig, StaticTokenCredential } from "../src/index.js";
import { createContainer } from "./conformance/suite.js";
import { type Emulator, startEmulator } from "./support/azurite.js";
import { selfSignedCert } from "./support/tls-cert.js";

const url = (s: string): URL => new URL(s);

test("the variables' rules: lowercase first, CGI, NO_PROXY hosts, domains, networks and ports", () => {
  const from = (vars: Record<string, string>) => ProxyConfig.fromVars((n) => vars[n]);
  const rules = from({
    https_proxy: "http://low:3128",
    HTTPS_PROXY: "http://up:3128",
    HTTP_PROXY: "proxy.corp:8080",
    NO_PROXY: "localhost,.internal.example, 10.0.0.0/8, [::1], api.example:8443",
  });
  assert.equal(rules.proxyFor(url("https://a.blob.core.windows.net/c"))?.host, "low:3128");
  assert.equal(rules.proxyFor(url("http://a.example/c"))?.href, "http://proxy.corp:8080/");
  for (const bypassed of [
    "http://localhost:10000/a",
    "https://x.internal.example/",
    "http://10.1.2.3/",
    "http://[::1]:1/",
    "https://api.example:8443/",
  ]) {
    assert.equal(rules.proxyFor(url(bypassed)), undefined, bypassed);
  }
  assert.ok(rules.proxyFor(url("https://api.example/")), "another port of a port-restricted entry");
  assert.ok(rules.proxyFor(url("http://11.0.0.1/")));
  const cgi = ProxyConfig.fromVars((n) => ({ HTTP_PROXY: "http://evil:1", REQUEST_METHOD: "GET" })[n]);
  assert.equal(cgi.proxyFor(url("http://a.example/")), undefined, "HTTP_PROXY is ignored under CGI");
  assert.ok(from({ ALL_PROXY: "http://all:1" }).proxyFor(url("https://a.example/")));
  assert.throws(
    () => from({ ALL_PROXY: "socks5://user:hunter2@p:1080" }),
    (err: Error) => {
      assert.match(err.message, /unsupported proxy.*ALL_PROXY/);
      assert.ok(!err.message.includes("hunter2"), err.message);
      return true;
    },
  );
  const explicit = ProxyConfig.explicit("http://user:hunter2@proxy.corp:3128");
  assert.ok(!JSON.stringify(explicit).includes("hunter2") && !inspect(explicit).includes("hunter2"));
  assert.equal(ProxyConfig.off().proxyFor(url("https://a.example/")), undefined);
});

test("bearer tokens never cross a remote proxy in clear", () => {
  const token = new StaticTokenCredential("t", new Date());
  const local = () => new ClientBuilder().endpoint("http://127.0.0.1:10000/devstoreaccount1").tokenCredential(token);
  assert.throws(() => local().proxy("http://proxy.corp:3128").build(), { kind: "InvalidInput" });
  assert.ok(local().proxy("http://127.0.0.1:3128").build(), "a proxy on this machine");
  assert.ok(
    local()
      .proxyFromVars((n) => ({ HTTP_PROXY: "http://proxy.corp:1", NO_PROXY: "127.0.0.1" })[n])
      .build(),
  );
  assert.ok(
    new ClientBuilder().account("acct").tokenCredential(token).proxy("http://proxy.corp:3128").build(),
    "https tunnels",
  );
});

interface Seen {
  method: string;
  target: string;
  auth: string | undefined;
}

/** A forward proxy: absolute-form requests forwarded, CONNECT tunnels copied blind; everything recorded. */
async function forwardProxy(seen: Seen[]): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? "", target: req.url ?? "", auth: req.headers["proxy-authorization"] });
    const target = new URL(req.url ?? "");
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    const upstream = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        path: `${target.pathname}${target.search}`,
        method: req.method,
        headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  server.on("connect", (req, client, head) => {
    seen.push({ method: "CONNECT", target: req.url ?? "", auth: req.headers["proxy-authorization"] });
    const [host, port] = (req.url ?? "").split(":");
    const upstream = connect(Number(port), host, () => {
      client.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

let emulator: Emulator;
// The hook starts a process; node:test gives it no timeout of its own.
before(
  async () => {
    emulator = await startEmulator();
  },
  { timeout: 120_000 },
);
after(() => emulator?.stop());

test("plain http goes to the proxy in absolute form, with its credentials; NO_PROXY bypasses it", async () => {
  const seen: Seen[] = [];
  const proxy = await forwardProxy(seen);
  try {
    const client = new ClientBuilder()
      .endpoint(emulator.endpoint)
      .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
      .proxy(`http://user:p%40ss@127.0.0.1:${proxy.port}`)
      .build();
    const container = await createContainer(client, `proxy-${randomBytes(4).toString("hex")}`);
    await container.blob("b").put("through the proxy");
    assert.equal(Buffer.from(await container.blob("b").download()).toString(), "through the proxy");
    assert.ok(seen.length >= 3);
    assert.ok(
      seen.every((s) => s.target.startsWith(`${emulator.endpoint}/`)),
      JSON.stringify(seen),
    );
    assert.equal(seen[0]?.auth, `Basic ${Buffer.from("user:p@ss").toString("base64")}`);
    const before = seen.length;
    const bypass = new ClientBuilder()
      .endpoint(emulator.endpoint)
      .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
      .proxyFromVars((n) => ({ HTTP_PROXY: `http://127.0.0.1:${proxy.port}`, NO_PROXY: "127.0.0.1" })[n])
      .build();
    await bypass.blob(container.name, "b").properties();
    assert.equal(seen.length, before, "NO_PROXY: nothing through the proxy");
  } finally {
    proxy.server.close();
  }
});

test("https crosses the proxy as a CONNECT tunnel, TLS end to end with a custom root", {
  timeout: 120_000,
}, async () => {
  const seen: Seen[] = [];
  const proxy = await forwardProxy(seen);
  const received: string[] = [];
  try {
    const { key, cert } = selfSignedCert("DNS:localhost,IP:127.0.0.1");
    const tlsServer = createHttpsServer({ key, cert }, (req, res) => {
      received.push(`${req.method} ${req.url} ${req.headers.authorization?.split(":")[0]}`);
      res.writeHead(201, { etag: '"1"', "last-modified": "Mon, 23 Nov 2026 10:00:00 GMT" });
      res.end();
    });
    await new Promise<void>((resolve) => tlsServer.listen(0, "127.0.0.1", resolve));
    const port = (tlsServer.address() as AddressInfo).port;
    try {
      const client = new ClientBuilder()
        .endpoint(`https://localhost:${port}/devstoreaccount1`)
        .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .proxy(`http://127.0.0.1:${proxy.port}`)
        .rootCertificatePem(cert)
        .build();
      await client.blob("c1c", "b").put("secret payload");
      assert.deepEqual(
        seen.map((s) => `${s.method} ${s.target}`),
        [`CONNECT localhost:${port}`],
        "the proxy saw only the tunnel",
      );
      assert.deepEqual(received, ["PUT /devstoreaccount1/c1c/b SharedKey devstoreaccount1"]);
      const untrusted = new ClientBuilder()
        .endpoint(`https://localhost:${port}/devstoreaccount1`)
        .proxy(`http://127.0.0.1:${proxy.port}`)
        .retry({ maxRetries: 0 })
        .build();
      await assert.rejects(untrusted.blob("c1c", "b").put("x"), { kind: "Transport" }, "an unknown root is refused");
    } finally {
      tlsServer.close();
    }
  } finally {
    proxy.server.close();
  }
});
