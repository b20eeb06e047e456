import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import {
  AzblobError,
  BlobUrl,
  ClientBuilder,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  DEV_BLOB_ENDPOINT,
  type EnvAuth,
  StaticTokenCredential,
} from "../src/index.js";

function build(cs: string) {
  return ClientBuilder.fromConnectionString(cs).build();
}

function failure(f: () => unknown): AzblobError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof AzblobError, String(err));
    return err;
  }
  assert.fail("expected an error");
}

test("development storage", () => {
  const c = build("UseDevelopmentStorage=true");
  assert.equal(c.account, "devstoreaccount1");
  assert.equal(c.endpoint.href, "http://127.0.0.1:10000/devstoreaccount1");
  assert.equal(c.credential.kind, "shared-key");
});

test("an account key with the default protocol and a suffix", () => {
  let c = build(
    `DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=${DEV_ACCOUNT_KEY};EndpointSuffix=core.chinacloudapi.cn;`,
  );
  assert.equal(c.endpoint.href, "https://acct1.blob.core.chinacloudapi.cn/");
  c = build(`AccountName=acct1;AccountKey=${DEV_ACCOUNT_KEY}`);
  assert.equal(c.endpoint.href, "https://acct1.blob.core.windows.net/");
});

test("emulator style with a blob endpoint and other services", () => {
  const c = build(
    `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${DEV_ACCOUNT_KEY};` +
      "BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;",
  );
  assert.equal(c.endpoint.port, "10000");
});

test("a SAS connection string", () => {
  const c = build(
    "BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2023-11-03&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=abc%3D",
  );
  assert.equal(c.account, "acct");
  assert.equal(c.credential.kind, "sas");
});

test("a key pasted without its name is never printed", () => {
  for (const cs of [
    `AccountName=acct;${DEV_ACCOUNT_KEY}`,
    `AccountName=acct;${DEV_ACCOUNT_KEY};${DEV_ACCOUNT_KEY}`,
    `AccountName=acct;${DEV_ACCOUNT_KEY.slice(0, 87)}`,
  ]) {
    const err = failure(() => build(cs));
    assert.equal(err.kind, "InvalidInput");
    const shown = `${err.message} ${inspect(err)}`;
    assert.ok(shown.includes("segment 2"), shown);
    for (let i = 0; i + 16 <= DEV_ACCOUNT_KEY.length; i++) {
      assert.ok(!shown.includes(DEV_ACCOUNT_KEY.slice(i, i + 16)), shown);
    }
  }
});

test("malformed connection strings have clear errors without secrets", () => {
  const secret = "c2VjcmV0LWtleS12YWx1ZQ==";
  const cases: Array<[string, string]> = [
    ["", "empty"],
    [";;", "empty"],
    ["AccountName", "not Key=Value"],
    [`AccountName=a;AccountName=b;AccountKey=${secret}`, "twice"],
    [`AccountKey=${secret}`, "AccountName or BlobEndpoint"],
    [`BlobEndpoint=https://a.blob.core.windows.net;AccountKey=${secret}`, "no AccountName"],
    ["AccountName=acct;AccountKey=%%%notbase64%%%", "base64"],
    [`AccountName=a;AccountKey=${secret};SharedAccessSignature=sv=1&sig=x`, "both"],
    ["DefaultEndpointsProtocol=ftp;AccountName=a", "http or https"],
    ["UseDevelopmentStorage=false", "must be true"],
    ["AccountName=a;Colour=blue", "unknown"],
    ["BlobEndpoint=not a url", "invalid endpoint"],
    ["AccountName=;AccountKey=x", "empty AccountName"],
    ["BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2023-11-03&sp=r", "no signature"],
  ];
  for (const [cs, expected] of cases) {
    const err = failure(() => build(cs));
    assert.equal(err.kind, "InvalidInput", cs);
    assert.ok(err.message.includes(expected), `${cs}: ${err.message}`);
    assert.ok(!err.message.includes(secret) && !inspect(err).includes(secret), err.message);
  }
});

function withVars(vars: Record<string, string>, auth: EnvAuth = "auto") {
  const token = new StaticTokenCredential("t", new Date());
  return ClientBuilder.fromEnv({ vars: (n) => vars[n], auth, tokenCredential: token }).build();
}

test("env: the connection string wins and the endpoint overrides", () => {
  const c = withVars({
    AZURE_STORAGE_CONNECTION_STRING: "UseDevelopmentStorage=true",
    AZURE_STORAGE_BLOB_ENDPOINT: "http://127.0.0.1:12345/devstoreaccount1",
    AZURE_STORAGE_ACCOUNT: "ignored",
  });
  assert.equal(c.endpoint.port, "12345");
});

test("env: an account with a key or a SAS", () => {
  let c = withVars({ AZURE_STORAGE_ACCOUNT: "acct", AZURE_STORAGE_KEY: DEV_ACCOUNT_KEY });
  assert.equal(c.credential.kind, "shared-key");
  assert.equal(c.endpoint.hostname, "acct.blob.core.windows.net");
  c = withVars({ AZURE_STORAGE_ACCOUNT: "acct", AZURE_STORAGE_SAS_TOKEN: "?sv=2023-11-03&sp=r&sig=x" });
  assert.equal(c.credential.kind, "sas");
});

test("env: missing configuration is a clear error", () => {
  assert.match(failure(() => withVars({})).message, /AZURE_STORAGE_CONNECTION_STRING/);
  assert.match(failure(() => withVars({ AZURE_STORAGE_ACCOUNT: "acct" }, "shared-key")).message, /AZURE_STORAGE_KEY/);
  const keyed = { AZURE_STORAGE_ACCOUNT: "acct", AZURE_STORAGE_KEY: DEV_ACCOUNT_KEY };
  assert.match(failure(() => withVars(keyed, "sas")).message, /AZURE_STORAGE_SAS_TOKEN/);
  // An account alone means Entra ID: the default chain, which sends nothing until a token is asked for.
  const chained = ClientBuilder.fromEnv({ vars: (n) => (n === "AZURE_STORAGE_ACCOUNT" ? "acct" : undefined) }).build();
  assert.equal(chained.credential.kind, "token");
});

test("env: an account name that is not one is refused", () => {
  // The name becomes the host: `evil.com/` would send the token or SAS to evil.com.
  for (const bad of ["evil.com/", "evil.com#", "acct.evil", "Acct", "ab", "a23456789012345678901234x"]) {
    for (const vars of <Array<Record<string, string>>>[
      { AZURE_STORAGE_ACCOUNT: bad },
      { AZURE_STORAGE_ACCOUNT: bad, AZURE_STORAGE_SAS_TOKEN: "sv=2023-11-03&sp=r&sig=x" },
    ]) {
      const err = failure(() => withVars(vars));
      assert.equal(err.kind, "InvalidInput", bad);
      assert.match(err.message, /account name/);
    }
  }
  const cs = "AccountName=evil.com/;SharedAccessSignature=sv=2023-11-03&sp=r&sig=x";
  assert.match(failure(() => withVars({ AZURE_STORAGE_CONNECTION_STRING: cs })).message, /account name/);
  const c = withVars({
    AZURE_STORAGE_ACCOUNT: "Custom.Name",
    AZURE_STORAGE_BLOB_ENDPOINT: "https://blobs.example.com",
    AZURE_STORAGE_SAS_TOKEN: "sv=2023-11-03&sp=r&sig=x",
  });
  assert.equal(c.endpoint.hostname, "blobs.example.com");
});

test("env: an account alone means Entra ID, and the auth choice overrides", () => {
  let c = withVars({ AZURE_STORAGE_ACCOUNT: "acct" });
  assert.equal(c.credential.kind, "token");
  assert.equal(c.endpoint.href, "https://acct.blob.core.windows.net/");
  const keyed = { AZURE_STORAGE_ACCOUNT: "acct", AZURE_STORAGE_KEY: DEV_ACCOUNT_KEY };
  assert.equal(withVars(keyed, "entra").credential.kind, "token");
  assert.equal(withVars(keyed, "shared-key").credential.kind, "shared-key");
  c = withVars({ AZURE_STORAGE_BLOB_ENDPOINT: "https://127.0.0.1:10000/devstoreaccount1" });
  assert.equal(c.account, "devstoreaccount1");
  assert.equal(c.credential.kind, "token");
});

test("builder: path- and host-style endpoints give the account", () => {
  assert.equal(new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).build().account, "devstoreaccount1");
  assert.equal(new ClientBuilder().account("myacct").build().endpoint.href, "https://myacct.blob.core.windows.net/");
  assert.equal(new ClientBuilder().endpoint("https://other.blob.core.windows.net").build().account, "other");
});

test("builder: plain http needs loopback or consent, tokens never go in clear", () => {
  assert.equal(failure(() => new ClientBuilder().endpoint("http://example.com/acct").build()).kind, "InvalidInput");
  assert.ok(new ClientBuilder().endpoint("http://example.com/acct").allowHttp(true).build());
  assert.ok(new ClientBuilder().endpoint("http://localhost:10000/acct").build());
  assert.ok(new ClientBuilder().endpoint("http://[::1]:10000/acct").build());
  const token = new StaticTokenCredential("t", new Date());
  const err = failure(() =>
    new ClientBuilder().endpoint("http://example.com/acct").allowHttp(true).tokenCredential(token).build(),
  );
  assert.match(err.message, /bearer/);
});

test("builder: malformed endpoints and a key for another account are refused", () => {
  for (const bad of ["not a url", "ftp://host/acct", "https://h/acct?sv=1&sig=x", "https:///nohost"]) {
    const err = failure(() => new ClientBuilder().endpoint(bad).build());
    assert.equal(err.kind, "InvalidInput", bad);
    assert.ok(!err.message.includes("sig=x"), err.message);
  }
  const err = failure(() =>
    new ClientBuilder().sharedKey("other", DEV_ACCOUNT_KEY).endpoint(DEV_BLOB_ENDPOINT).account(DEV_ACCOUNT).build(),
  );
  assert.equal(err.kind, "InvalidInput");
});

test("blob URLs: host style on every cloud, path style elsewhere", () => {
  for (const suffix of ["core.windows.net", "core.chinacloudapi.cn", "core.usgovcloudapi.net", "example.test"]) {
    const u = BlobUrl.parse(`https://acct.blob.${suffix}/c/dir/b.txt`);
    assert.equal(u.endpoint.href, `https://acct.blob.${suffix}/`);
    assert.deepEqual([u.account, u.container, u.blob], ["acct", "c", "dir/b.txt"]);
  }
  let u = BlobUrl.parse("http://127.0.0.1:10000/devstoreaccount1/c/x/y");
  assert.equal(u.endpoint.href, "http://127.0.0.1:10000/devstoreaccount1");
  assert.deepEqual([u.account, u.container, u.blob], ["devstoreaccount1", "c", "x/y"]);
  u = BlobUrl.parse("http://localhost:10000/devstoreaccount1");
  assert.deepEqual([u.container, u.blob], [undefined, undefined]);
  assert.equal(BlobUrl.parse("https://acct.blob.core.windows.net/").container, undefined);
  assert.deepEqual(
    [
      BlobUrl.parse("https://acct.blob.core.windows.net/c/").container,
      BlobUrl.parse("https://acct.blob.core.windows.net/c/").blob,
    ],
    ["c", undefined],
  );
  assert.equal(BlobUrl.parse("https://acct.blob.core.windows.net/c/a/b/").blob, "a/b/");
  assert.equal(BlobUrl.parse("https://acct.blob.core.windows.net/c/a%20b%2Fc%3F%C3%A9").blob, "a b/c?é");
});

test("blob URLs: the SAS is kept, the selector taken out, bad URLs refused without their signature", () => {
  let u = BlobUrl.parse("https://acct.blob.core.windows.net/c/b?sv=2023-11-03&sp=r&sig=a%2Bb%3D");
  assert.equal(u.sas?.expose(), "sv=2023-11-03&sp=r&sig=a%2Bb%3D");
  assert.ok(!inspect(u).includes("a%2Bb"), inspect(u));
  u = BlobUrl.parse("https://acct.blob.core.windows.net/c/b?snapshot=2026-01-01T00:00:00Z&sv=1&sig=x");
  assert.equal(u.sas?.expose(), "sv=1&sig=x");
  assert.equal(u.selector.snapshot, "2026-01-01T00:00:00Z");
  u = BlobUrl.parse("https://acct.blob.core.windows.net/c/b?versionid=v1");
  assert.deepEqual([u.sas, u.selector.versionId], [undefined, "v1"]);
  assert.equal(BlobUrl.parse("https://acct.blob.core.windows.net/c?comp=list").sas, undefined);
  for (const bad of [
    "acct.blob.core.windows.net/c/b?sig=secret-signature",
    "ftp://acct.blob.core.windows.net/c?sig=secret-signature",
    "https://user:pw@acct.blob.core.windows.net/c?sig=secret-signature",
    "https://acct.blob.core.windows.net/c#frag",
    "http://127.0.0.1:10000/?sig=secret-signature",
    "https://acct.blob.core.windows.net/c/%ff%fe?sig=secret-signature",
    "https://[bad/c/b?sig=secret-signature",
  ]) {
    const err = failure(() => BlobUrl.parse(bad));
    assert.equal(err.kind, "InvalidInput", bad);
    assert.ok(!`${err.message} ${inspect(err)}`.includes("secret-signature"), `${bad}: ${err.message}`);
  }
  const c = ClientBuilder.fromUrl("https://acct.blob.core.chinacloudapi.cn/cnt/b?sv=1&sig=x").build();
  assert.deepEqual([c.account, c.credential.kind], ["acct", "sas"]);
});

test("clients from URLs: the names, the SAS, and a selector refused", async () => {
  const { BlobClient, ContainerClient } = await import("../src/index.js");
  const blob = BlobClient.fromUrl("https://acct.blob.core.windows.net/data/runs/a%20b.json?sv=2023-11-03&sig=abc");
  assert.deepEqual([blob.containerName, blob.name], ["data", "runs/a b.json"]);
  assert.equal(blob.url().href, "https://acct.blob.core.windows.net/data/runs/a%20b.json");
  const container = ContainerClient.fromUrl("http://127.0.0.1:10000/devstoreaccount1/data");
  assert.equal(container.name, "data");
  for (const bad of [
    "https://acct.blob.core.windows.net/data/b?snapshot=2026-01-01T00:00:00Z&sv=1&sig=secret-signature",
    "https://acct.blob.core.windows.net/data",
  ]) {
    const err = failure(() => BlobClient.fromUrl(bad));
    assert.equal(err.kind, "InvalidInput");
    assert.ok(!err.message.includes("secret-signature"), err.message);
  }
  assert.equal(failure(() => ContainerClient.fromUrl("https://acct.blob.core.windows.net/")).kind, "InvalidInput");
});

test("forEndpoint: a URL of another account gets only its own SAS or nothing", () => {
  const keyed = () => new ClientBuilder().sharedKey("mine", DEV_ACCOUNT_KEY);
  assert.equal(keyed().forEndpoint("https://mine.blob.core.windows.net").build().credential.kind, "shared-key");
  assert.equal(keyed().forEndpoint("https://mine.blob.core.windows.net/", "sv=1&sig=x").build().credential.kind, "sas");
  for (const other of [
    "https://evil.example/mine",
    "https://other.blob.core.windows.net",
    "http://mine.blob.core.windows.net",
  ]) {
    assert.equal(keyed().forEndpoint(other).allowHttp(true).build().credential.kind, "anonymous", other);
    assert.equal(keyed().forEndpoint(other, "sv=1&sig=url").allowHttp(true).build().credential.kind, "sas", other);
  }
  const sas = new ClientBuilder().account("mine").sasToken("sv=1&sig=env");
  assert.equal(sas.forEndpoint("https://evil.example/mine").build().credential.kind, "anonymous");
  const pathStyle = () => new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY);
  const other = pathStyle().forEndpoint("http://127.0.0.1:10000/otheraccount").build();
  assert.deepEqual([other.credential.kind, other.account], ["anonymous", "otheraccount"]);
  assert.equal(
    pathStyle().forEndpoint("http://127.0.0.1:10000/devstoreaccount1/").build().credential.kind,
    "shared-key",
  );
});

test("forEndpoint: a token goes to other Azure accounts only when trusted", () => {
  const token = new StaticTokenCredential("t", new Date());
  const other = "https://other.blob.core.windows.net";
  const entra = () => new ClientBuilder().account("mine").tokenCredential(token);
  assert.equal(entra().forEndpoint(other).build().credential.kind, "anonymous", "not trusted by default");
  const trusting = () => entra().trustedSuffixes(["blob.core.windows.net"]);
  assert.equal(trusting().forEndpoint(other).build().credential.kind, "token");
  assert.equal(
    trusting().forEndpoint("https://other.blob.core.usgovcloudapi.net").build().credential.kind,
    "anonymous",
  );
  assert.equal(trusting().forEndpoint("https://evil.example/other").build().credential.kind, "anonymous");
  assert.throws(() => entra().trustedSuffixes(["evil.example"]).build(), { kind: "InvalidInput" });
  assert.throws(() => new ClientBuilder().trustedSuffixes(["evil.example"]).forEndpoint(other), {
    kind: "InvalidInput",
  });
});
