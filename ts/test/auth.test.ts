import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { inspect } from "node:util";
import { check } from "../src/auth/sas/check.js";
import { serviceString, userDelegationString } from "../src/auth/sas/string-to-sign.js";
import { compareHeaderNames } from "../src/auth/shared-key.js";
import {
  CredentialScope,
  DEV_ACCOUNT_KEY,
  newRequest,
  Sas,
  type SasSettings,
  SasToken,
  Secret,
  SharedKeyCredential,
  StaticTokenCredential,
  stringToSign,
  type UserDelegationKey,
} from "../src/index.js";
import { testdata } from "./support/paths.js";

interface SharedKeyVector {
  name: string;
  account: string;
  method: "GET" | "PUT" | "HEAD";
  url: string;
  headers: Array<[string, string]>;
  body: string;
  string_to_sign?: string;
  string_to_sign_suffix?: string;
  signature: string;
}

interface SasVector {
  name: string;
  signer: "account_key" | "user_delegation_key";
  account: string;
  scope: { kind: "blob" | "container" | "account"; container?: string; blob?: string; resource_types?: string };
  permissions: string;
  start?: string;
  expiry: string;
  protocol?: "https" | "https,http";
  version?: string;
  ip?: string;
  identifier?: string;
  snapshot?: string;
  blob_version?: string;
  cache_control?: string;
  content_disposition?: string;
  content_type?: string;
  string_to_sign?: string;
  expected: Record<string, string | null>;
}

const vectors = JSON.parse(readFileSync(testdata("auth_vectors.json"), "utf8")) as {
  account_key: string;
  shared_key: {
    date: string;
    version: string;
    vectors: SharedKeyVector[];
    header_order: { given: string[]; sorted: string[] };
  };
  user_delegation_key: Record<string, string>;
  sas: SasVector[];
};
/** The vectors name their keys; "DEV_ACCOUNT_KEY" is the development storage account's well-known key. */
function keyNamed(name: string): string {
  assert.equal(name, "DEV_ACCOUNT_KEY", "the only key the vectors name");
  return DEV_ACCOUNT_KEY;
}
const KEY = keyNamed(vectors.account_key);

function delegationKey(): UserDelegationKey {
  const k = vectors.user_delegation_key;
  return {
    signedOid: k.signed_oid ?? "",
    signedTid: k.signed_tid ?? "",
    signedStart: k.signed_start ?? "",
    signedExpiry: k.signed_expiry ?? "",
    signedService: k.signed_service ?? "",
    signedVersion: k.signed_version ?? "",
    value: new Secret(keyNamed(k.value ?? "")),
  };
}

function sasOf(v: SasVector): Sas {
  const settings: SasSettings = {};
  if (v.start) settings.start = new Date(v.start);
  if (v.protocol) settings.protocol = v.protocol;
  if (v.version) settings.version = v.version;
  if (v.ip) settings.ip = v.ip;
  if (v.identifier) settings.identifier = v.identifier;
  if (v.snapshot) settings.snapshot = v.snapshot;
  if (v.blob_version) settings.blobVersion = v.blob_version;
  if (v.cache_control) settings.cacheControl = v.cache_control;
  if (v.content_disposition) settings.contentDisposition = v.content_disposition;
  if (v.content_type) settings.contentType = v.content_type;
  const expiry = new Date(v.expiry);
  switch (v.scope.kind) {
    case "blob":
      return Sas.blob(v.scope.container ?? "", v.scope.blob ?? "", v.permissions, expiry, settings);
    case "container":
      return Sas.container(v.scope.container ?? "", v.permissions, expiry, settings);
    default:
      return Sas.account(v.scope.resource_types ?? "", v.permissions, expiry, settings);
  }
}

for (const v of vectors.shared_key.vectors) {
  test(`shared key vector ${v.name}`, () => {
    const request = newRequest("Test", v.method, new URL(v.url));
    for (const [k, value] of v.headers) request.headers.set(k.toLowerCase(), value);
    request.headers.set("x-ms-date", vectors.shared_key.date);
    request.headers.set("x-ms-version", vectors.shared_key.version);
    request.body = new TextEncoder().encode(v.body);
    const sts = stringToSign(request, v.account);
    if (v.string_to_sign !== undefined) assert.equal(sts, v.string_to_sign);
    if (v.string_to_sign_suffix !== undefined) assert.ok(sts.endsWith(v.string_to_sign_suffix), sts);
    assert.equal(new SharedKeyCredential(v.account, KEY).sign(sts), v.signature);
  });
}

test("header names sort in the service's collation", () => {
  const names = [...vectors.shared_key.header_order.given].sort(compareHeaderNames);
  assert.deepEqual(names, vectors.shared_key.header_order.sorted);
});

for (const v of vectors.sas) {
  test(`SAS vector ${v.name}`, () => {
    const sas = sasOf(v);
    const token =
      v.signer === "account_key"
        ? sas.sign(new SharedKeyCredential(v.account, KEY))
        : sas.signUserDelegation(v.account, delegationKey());
    for (const [field, value] of Object.entries(v.expected)) {
      assert.equal(token.get(field), value ?? undefined, `${field}`);
    }
    if (v.string_to_sign !== undefined) {
      const kind = v.signer === "account_key" ? "service" : "user-delegation";
      const checked = check(sas, kind, v.account);
      const text = kind === "service" ? serviceString(checked) : userDelegationString(checked, delegationKey());
      assert.equal(text, v.string_to_sign);
    }
    assert.ok(!inspect(token).includes(v.expected.sig ?? "?"), "inspect hides the signature");
    assert.ok(!JSON.stringify(token).includes(v.expected.sig ?? "?"), "JSON hides the signature");
  });
}

const T10 = new Date("2026-11-23T10:00:00Z");
const T11 = new Date("2026-11-23T11:00:00Z");
const T24 = new Date("2026-11-24T00:00:00Z");

test("every kind refuses bad input with InvalidInput", () => {
  const bad: Array<[string, Sas]> = [
    ["empty permissions", Sas.container("c", "", T24)],
    ["unknown permission", Sas.container("c", "rq", T24)],
    ["expiry before start", Sas.container("c", "r", T10, { start: T11 })],
    ["expiry at start", Sas.blob("c", "b", "r", T10, { start: T10 })],
    ["old version", Sas.container("c", "r", T24, { version: "2020-02-10" })],
    ["not a version", Sas.container("c", "r", T24, { version: "latest" })],
    ["bad IP", Sas.container("c", "r", T24, { ip: "10.0.0.300" })],
    ["reversed IP range", Sas.container("c", "r", T24, { ip: "10.0.0.9-10.0.0.1" })],
    ["snapshot of a container", Sas.container("c", "r", T24, { snapshot: "2026-11-23T09:00:00Z" })],
    ["empty version id", Sas.blob("c", "b", "r", T24, { blobVersion: "" })],
    ["empty blob name", Sas.blob("c", "", "r", T24)],
  ];
  const key = new SharedKeyCredential("myaccount", KEY);
  for (const [what, sas] of bad) {
    assert.throws(() => sas.sign(key), { kind: "InvalidInput" }, `service: ${what}`);
    assert.throws(() => sas.signUserDelegation("myaccount", delegationKey()), { kind: "InvalidInput" }, what);
  }
  const accountOnly: Array<[string, Sas]> = [
    ["resource types", Sas.account("x", "r", T24)],
    ["permission", Sas.account("sco", "rz", T24)],
    ["expiry before start", Sas.account("sco", "r", T10, { start: T11 })],
    ["version", Sas.account("sco", "r", T24, { version: "2019-12-12" })],
    ["snapshot", Sas.account("sco", "r", T24, { snapshot: "2026-11-23T09:00:00Z" })],
    ["response header", Sas.account("sco", "r", T24, { contentType: "text/plain" })],
  ];
  for (const [what, sas] of accountOnly) assert.throws(() => sas.sign(key), { kind: "InvalidInput" }, what);
  assert.throws(() => Sas.container("c", "rq", T24).sign(key), /'q'/);
});

test("each kind refuses what its format cannot sign", () => {
  const key = delegationKey();
  for (const version of ["2020-02-10", "2025-07-05", "2026-10-06"]) {
    assert.throws(() => Sas.container("c", "r", T24, { version }).signUserDelegation("a", key), {
      kind: "InvalidInput",
    });
  }
  const shared = new SharedKeyCredential("myaccount", KEY);
  assert.ok(Sas.container("c", "r", T24, { version: "2025-07-05" }).sign(shared));
  const withPolicy = Sas.container("c", "r", T24, { identifier: "p" });
  assert.ok(withPolicy.sign(shared));
  assert.throws(() => withPolicy.signUserDelegation("a", key), { kind: "InvalidInput" });
  assert.throws(() => Sas.account("sco", "r", T24).signUserDelegation("a", key), { kind: "InvalidInput" });
  assert.throws(() => Sas.account("sco", "r", T24, { identifier: "p" }).sign(shared), { kind: "InvalidInput" });
  const notBase64 = { ...key, value: new Secret("not base64!") };
  assert.throws(
    () => Sas.container("c", "r", T24).signUserDelegation("a", notBase64),
    (err: Error) => (err as { kind?: string }).kind === "InvalidInput" && !err.message.includes("not base64!"),
  );
});

test("SAS tokens need a signature and a version, and round-trip", () => {
  assert.ok(SasToken.parse("?sv=2023-11-03&sp=r&sig=abc"));
  assert.throws(() => SasToken.parse("sv=2023-11-03&sp=r"), { kind: "InvalidInput" });
  assert.throws(() => SasToken.parse("sp=r&sig=abc"), { kind: "InvalidInput" });
  assert.throws(() => SasToken.parse(""), { kind: "InvalidInput" });
  const token = SasToken.parse("sv=2023-11-03&sp=r&sig=c2VjcmV0c2lnbmF0dXJl");
  for (const shown of [inspect(token), String(token), JSON.stringify(token)]) {
    assert.ok(!shown.includes("c2VjcmV0c2lnbmF0dXJl") && shown.includes("2023-11-03"), shown);
  }
  assert.deepEqual(SasToken.parse(token.toQuery()).pairs(), token.pairs());
});

test("the account key never shows: inspect, JSON, String, errors", () => {
  const cred = new SharedKeyCredential("devstoreaccount1", KEY);
  for (const shown of [inspect(cred), JSON.stringify(cred), String(cred.key), `${cred.key}`, inspect({ cred })]) {
    assert.ok(!shown.includes("Eby8"), shown);
  }
  assert.ok(inspect(cred).includes("devstoreaccount1"));
  assert.equal(cred.key.expose(), KEY);
  const err = (() => {
    try {
      new SharedKeyCredential("acct", "not base64 !!secretish");
    } catch (e) {
      return e as Error & { kind: string };
    }
    throw new Error("should throw");
  })();
  assert.equal(err.kind, "InvalidInput");
  assert.ok(!err.message.includes("secretish") && !inspect(err).includes("secretish"));
  const token = new StaticTokenCredential("eyJhbGciOiJIUzI1NiJ9.secret.token", new Date());
  assert.ok(!inspect(token).includes("secret") && !JSON.stringify(token).includes("secret"));
});

test("account names a header cannot carry are refused", () => {
  for (const bad of ["", "acct\nx", "ünïcode", "a b", "a:b"]) {
    assert.throws(() => new SharedKeyCredential(bad, KEY), { kind: "InvalidInput" }, JSON.stringify(bad));
  }
});

test("headers that cannot be signed are refused before sending", () => {
  const cred = new SharedKeyCredential("myaccount", KEY);
  for (const [name, value] of [
    ["content-type", "text/x\u00e9"],
    ["x-ms-blob-content-type", "\u00fcber"],
  ] as const) {
    const r = newRequest("Test", "PUT", new URL("https://myaccount.blob.core.windows.net/c/b"));
    r.headers.set(name, value);
    assert.throws(
      () => cred.authorize(r),
      (e: Error) => e.message.includes(name),
    );
    assert.equal(r.headers.get("authorization"), undefined, "not signed");
  }
  const r = newRequest("Test", "PUT", new URL("https://myaccount.blob.core.windows.net/c/b"));
  r.headers.set("x-other", "\u00e9");
  cred.authorize(r);
  assert.ok(r.headers.get("authorization")?.startsWith("SharedKey myaccount:"));
});

test("the credential scope covers its own scheme, host, port and account path", () => {
  const url = (t: string): URL => new URL(t);
  const hostStyle = new CredentialScope(url("https://acct.blob.core.windows.net"));
  assert.ok(hostStyle.covers(url("https://acct.blob.core.windows.net/c/b?comp=list")));
  assert.ok(hostStyle.covers(url("https://ACCT.blob.core.windows.net:443/c")));
  assert.ok(!hostStyle.covers(url("http://acct.blob.core.windows.net/c/b")), "scheme");
  assert.ok(!hostStyle.covers(url("https://acct.blob.core.windows.net:444/c/b")), "port");
  assert.ok(!hostStyle.covers(url("https://other.blob.core.windows.net/c/b")), "host");
  const pathStyle = new CredentialScope(url("http://127.0.0.1:10000/devstoreaccount1"));
  assert.ok(pathStyle.covers(url("http://127.0.0.1:10000/devstoreaccount1/c/b")));
  assert.ok(pathStyle.covers(url("http://127.0.0.1:10000/devstoreaccount1?comp=list")));
  assert.ok(!pathStyle.covers(url("http://127.0.0.1:10000/devstoreaccount10/c/b")), "another account");
  assert.ok(!pathStyle.covers(url("http://localhost:10000/devstoreaccount1/c/b")), "another host name");
  const trusting = hostStyle.trustSuffixes(["*.blob.core.windows.net"]);
  const token = { kind: "token" as const, source: new StaticTokenCredential("t", new Date()) };
  trusting.check(token, url("https://other.blob.core.windows.net/c"));
  assert.throws(() => hostStyle.check(token, url("https://other.blob.core.windows.net/c")), { kind: "InvalidInput" });
  const key = { kind: "shared-key" as const, key: new SharedKeyCredential("acct", KEY) };
  assert.throws(() => trusting.check(key, url("https://other.blob.core.windows.net/c")), /refusing to send/);
  assert.throws(() => hostStyle.trustSuffixes(["evil.example"]), { kind: "InvalidInput" });
});
