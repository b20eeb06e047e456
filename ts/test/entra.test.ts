// The client credentials grant against a local token server: the documented
// request, the cache (one request for many callers, refresh ahead), refusals
// typed without echoing the secret, and the credential from the environment.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { inspect } from "node:util";
import { tokenEndpoint } from "../src/auth/entra/client-credential.js";
import { ClientBuilder, ClientCredential, STORAGE_SCOPE } from "../src/index.js";

interface Seen {
  path: string;
  form: URLSearchParams;
}

const seen: Seen[] = [];
let answer: (n: number) => [number, object] = () => [
  200,
  { token_type: "Bearer", expires_in: 3599, access_token: "tok-1" },
];
let authority = "";
const server = createServer(async (req: IncomingMessage, res) => {
  let body = "";
  for await (const chunk of req) body += chunk;
  seen.push({ path: req.url ?? "", form: new URLSearchParams(body) });
  const [status, json] = answer(seen.length);
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(json));
});

before(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  authority = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

test("the documented request, and one token for many callers until it nears its expiry", async () => {
  seen.length = 0;
  answer = (n) => [200, { token_type: "Bearer", expires_in: n === 1 ? 3599 : 3599, access_token: `tok-${n}` }];
  const credential = new ClientCredential({
    tenantId: "contoso.onmicrosoft.com",
    clientId: "app-1",
    clientSecret: "s3cr3t-value",
    authorityHost: authority,
  });
  const tokens = await Promise.all([1, 2, 3].map(() => credential.getToken([STORAGE_SCOPE])));
  assert.ok(tokens.every((t) => t.token.expose() === "tok-1"));
  assert.equal(seen.length, 1, "single flight");
  const first = seen[0];
  assert.ok(first);
  assert.equal(first.path, "/contoso.onmicrosoft.com/oauth2/v2.0/token");
  assert.deepEqual(
    [
      first.form.get("client_id"),
      first.form.get("grant_type"),
      first.form.get("scope"),
      first.form.get("client_secret"),
    ],
    ["app-1", "client_credentials", STORAGE_SCOPE, "s3cr3t-value"],
  );
  await credential.getToken([STORAGE_SCOPE]);
  assert.equal(seen.length, 1, "cached");
  assert.ok(!inspect(credential).includes("s3cr3t") && !JSON.stringify(credential).includes("s3cr3t"));
});

test("a token expiring within 5 minutes is refreshed; a failed refresh keeps one still valid", async () => {
  seen.length = 0;
  answer = (n) =>
    n === 1 ? [200, { access_token: "short", expires_in: 120 }] : [500, { error: "temporarily_unavailable" }];
  const credential = new ClientCredential({
    tenantId: "t1",
    clientId: "app",
    clientSecret: "s",
    authorityHost: authority,
    clock: { sleep: async () => {}, now: () => Date.now() },
  });
  assert.equal((await credential.getToken([STORAGE_SCOPE])).token.expose(), "short");
  // The next call refreshes (120 s < 5 min); the server fails (retried), the short token is still valid.
  assert.equal((await credential.getToken([STORAGE_SCOPE])).token.expose(), "short");
  assert.equal(seen.length, 5, "one request, then a refresh tried four times (three retries)");
});

test("a refusal is typed, names the OAuth error, and never echoes the secret", async () => {
  answer = () => [
    401,
    { error: "invalid_client", error_description: "AADSTS7000215: Invalid client secret provided.\nTrace ID: x" },
  ];
  const credential = new ClientCredential({
    tenantId: "t1",
    clientId: "app",
    clientSecret: "wrong-secret-value",
    authorityHost: authority,
  });
  await assert.rejects(credential.getToken([STORAGE_SCOPE]), (err: Error & { kind?: string; errorCode?: string }) => {
    assert.deepEqual([err.kind, err.errorCode], ["Unauthenticated", "invalid_client"]);
    assert.match(err.message, /AADSTS7000215/);
    assert.ok(!err.message.includes("Trace ID") && !inspect(err).includes("wrong-secret-value"));
    return true;
  });
});

test("a federated token file is read for each request", async () => {
  seen.length = 0;
  answer = () => [200, { access_token: "fed", expires_in: 3600 }];
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-entra-"));
  try {
    const file = join(dir, "token");
    writeFileSync(file, "eyJhbGciOiJSUzI1NiJ9.e30.sig\n");
    const credential = new ClientCredential({
      tenantId: "t1",
      clientId: "app",
      federatedTokenFile: file,
      authorityHost: authority,
    });
    assert.equal((await credential.getToken([STORAGE_SCOPE])).token.expose(), "fed");
    assert.equal(seen[0]?.form.get("client_assertion"), "eyJhbGciOiJSUzI1NiJ9.e30.sig");
    assert.equal(seen[0]?.form.get("client_assertion_type"), "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bad configuration is refused before any request", () => {
  for (const tenant of ["", "../x", "a/b", ".x"]) {
    assert.throws(() => tokenEndpoint("https://login.microsoftonline.com", tenant), { kind: "InvalidInput" }, tenant);
  }
  for (const host of ["http://login.example.com", "ftp://x", "https://login.example.com?x=1", "not a url"]) {
    assert.throws(() => tokenEndpoint(host, "t"), { kind: "InvalidInput" }, host);
  }
  assert.throws(() => new ClientCredential({ tenantId: "t", clientId: "c" }), { kind: "InvalidInput" });
  assert.throws(
    () => new ClientCredential({ tenantId: "t", clientId: "c", clientSecret: "s", federatedTokenFile: "f" }),
    {
      kind: "InvalidInput",
    },
  );
});

test("the default chain from the environment: the first link that gives a token is used from then on", async () => {
  seen.length = 0;
  answer = () => [200, { access_token: "from-secret", expires_in: 3600 }];
  const { ChainedTokenCredential } = await import("../src/index.js");
  const closed = "http://127.0.0.1:9";
  const vars: Record<string, string> = {
    AZURE_STORAGE_ACCOUNT: "acct",
    AZURE_TENANT_ID: "t1",
    AZURE_CLIENT_ID: "app",
    AZURE_CLIENT_SECRET: "s",
    AZURE_AUTHORITY_HOST: authority,
    // Never the real link-local IMDS from a test.
    AZURE_POD_IDENTITY_AUTHORITY_HOST: closed,
  };
  // Never the developer's own `az` from a test.
  const defaultCredential = { azureCli: { program: "/nonexistent/az" } };
  const client = ClientBuilder.fromEnv({ vars: (n) => vars[n], defaultCredential }).build();
  assert.ok(client.credential.kind === "token" && client.credential.source instanceof ChainedTokenCredential);
  const chain = client.credential.source as InstanceType<typeof ChainedTokenCredential>;
  assert.deepEqual(chain.linkNames(), [
    "environment (client secret)",
    "workload identity",
    "managed identity",
    "Azure CLI",
  ]);
  assert.equal((await chain.getToken([STORAGE_SCOPE])).token.expose(), "from-secret");

  // A remote http authority is refused at set-up; the chain names it, and IMDS (closed here) fails fast.
  const remote: Record<string, string> = { ...vars, AZURE_AUTHORITY_HOST: "http://login.example.com" };
  const refused = ClientBuilder.fromEnv({ vars: (n) => remote[n], defaultCredential }).build();
  assert.ok(refused.credential.kind === "token");
  await assert.rejects(refused.credential.source.getToken([STORAGE_SCOPE]), (err: Error & { kind?: string }) => {
    assert.equal(err.kind, "Unauthenticated");
    assert.match(err.message, /environment \(client secret\): .*https/);
    assert.match(err.message, /managed identity: .*did not answer/);
    assert.match(err.message, /Azure CLI: .*\/nonexistent\/az is not installed/);
    return true;
  });
});

test("managed identity: IMDS and App Service requests, as documented", async () => {
  const { ManagedIdentityCredential } = await import("../src/index.js");
  seen.length = 0;
  const headers: Array<Record<string, string | string[] | undefined>> = [];
  const mi = createServer((req, res) => {
    headers.push(req.headers);
    seen.push({ path: req.url ?? "", form: new URLSearchParams() });
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        access_token: "mi-token",
        expires_in: "86399",
        expires_on: String(Math.floor(Date.now() / 1000) + 86399),
      }),
    );
  });
  await new Promise<void>((resolve) => mi.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(mi.address() as AddressInfo).port}`;
  try {
    const imds = ManagedIdentityCredential.fromVars(
      (n) => (n === "AZURE_POD_IDENTITY_AUTHORITY_HOST" ? base : undefined),
      "user-assigned-id",
    );
    assert.equal((await imds.getToken([STORAGE_SCOPE])).token.expose(), "mi-token");
    const imdsUrl = new URL(seen[0]?.path ?? "", base);
    assert.equal(imdsUrl.pathname, "/metadata/identity/oauth2/token");
    assert.deepEqual(
      [
        imdsUrl.searchParams.get("api-version"),
        imdsUrl.searchParams.get("resource"),
        imdsUrl.searchParams.get("client_id"),
      ],
      ["2018-02-01", "https://storage.azure.com", "user-assigned-id"],
    );
    assert.equal(headers[0]?.metadata, "true");
    const appService = new ManagedIdentityCredential({ endpoint: `${base}/msi/token`, identityHeader: "hdr-secret" });
    await appService.getToken([STORAGE_SCOPE]);
    const appUrl = new URL(seen[1]?.path ?? "", base);
    assert.deepEqual([appUrl.pathname, appUrl.searchParams.get("api-version")], ["/msi/token", "2019-08-01"]);
    assert.equal(headers[1]?.["x-identity-header"], "hdr-secret");
    assert.ok(!inspect(appService).includes("hdr-secret"));
    assert.throws(() => new ManagedIdentityCredential({ endpoint: "http://example.com/token", identityHeader: "h" }), {
      kind: "InvalidInput",
    });
  } finally {
    mi.close();
  }
});

test("the Azure CLI credential runs az without a shell and reads expires_on", async () => {
  const { AzureCliCredential } = await import("../src/index.js");
  const { azArguments, parseAzOutput } = await import("../src/auth/entra/azure-cli.js");
  assert.deepEqual(azArguments([STORAGE_SCOPE], "t1"), [
    "account",
    "get-access-token",
    "--output",
    "json",
    "--resource",
    "https://storage.azure.com",
    "--tenant",
    "t1",
  ]);
  assert.throws(() => azArguments(["--help"], undefined), { kind: "InvalidInput" });
  assert.throws(() => azArguments([STORAGE_SCOPE], "-x"), { kind: "InvalidInput" });
  assert.equal(
    parseAzOutput('{"accessToken":"a","expires_on":1795431600}').expiresOn.toISOString(),
    "2026-11-23T11:00:00.000Z",
  );
  assert.throws(() => parseAzOutput('{"accessToken":"a","expiresOn":"2026-11-23 11:00:00"}'), /2\.54/);
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-az-"));
  try {
    const az = join(dir, "az");
    const expires = Math.floor(Date.now() / 1000) + 3600;
    writeFileSync(
      az,
      `#!/bin/sh\necho "$@" > "${dir}/args"\necho '{"accessToken":"cli-token","expires_on":${expires}}'\n`,
      { mode: 0o755 },
    );
    const credential = new AzureCliCredential({ program: az });
    assert.equal((await credential.getToken([STORAGE_SCOPE])).token.expose(), "cli-token");
    const failing = join(dir, "az-fail");
    writeFileSync(failing, "#!/bin/sh\necho \"Please run 'az login' to setup account.\" >&2\nexit 1\n", {
      mode: 0o755,
    });
    await assert.rejects(
      new AzureCliCredential({ program: failing }).getToken([STORAGE_SCOPE]),
      (err: Error & { kind?: string }) => {
        assert.equal(err.kind, "Unauthenticated");
        assert.match(err.message, /az login/);
        return true;
      },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
