import assert from "node:assert/strict";
import { test } from "node:test";
import { inspect } from "node:util";
import { redactUrl, Secret } from "../src/index.js";
import { redactUrlText } from "../src/redact/url.js";

test("a Secret prints as Secret(***) everywhere", () => {
  const s = new Secret("hunter2-account-key==");
  for (const shown of [
    inspect(s),
    String(s),
    `${s}`,
    JSON.stringify({ s }),
    inspect({ nested: { s } }, { depth: 9 }),
  ]) {
    assert.ok(!shown.includes("hunter2") && shown.includes("Secret(***)"), shown);
  }
  assert.equal(s.expose(), "hunter2-account-key==");
  assert.ok(!Object.values(s).includes("hunter2-account-key=="), "not even a property holds it");
});

test("a SAS signature is redacted and the other fields kept", () => {
  const shown = redactUrl(new URL("https://a.blob.core.windows.net/c/b?sv=2023-11-03&sp=r&sig=abc%2Bdef%3D"));
  assert.ok(!shown.includes("abc") && shown.includes("sig=REDACTED") && shown.includes("sp=r"), shown);
});

test("passwords, nested signatures and unparsable text are redacted", () => {
  const shown = redactUrl(new URL("https://user:hunter2@a.example/c?next=https%3A%2F%2Fb%2Fc%3Fsig%3Dnested&sp=r"));
  assert.ok(!shown.includes("hunter2") && !shown.includes("nested"), shown);
  assert.ok(shown.includes("sp=r") && shown.includes("user:REDACTED@"), shown);
  assert.equal(redactUrlText("not a url?sv=1&sig=abc"), "not a url?REDACTED");
  assert.equal(redactUrlText("https://a/c/b?SIG=abc&sv=1"), "https://a/c/b?SIG=REDACTED&sv=1");
  assert.equal(redactUrlText("/relative/path"), "/relative/path");
  const plain = new URL("http://127.0.0.1:10000/devstoreaccount1/c/b?comp=list");
  assert.equal(redactUrl(plain), plain.href);
});

test("a planted signature never shows, whatever the other pairs (seeded random cases)", () => {
  let state = 0x2545f4914f6cdd1dn;
  const next = (): number => {
    state ^= (state << 13n) & 0xffffffffffffffffn;
    state ^= state >> 7n;
    state ^= (state << 17n) & 0xffffffffffffffffn;
    return Number(state & 0xffffn);
  };
  const word = (): string => String.fromCharCode(...Array.from({ length: 1 + (next() % 8) }, () => 32 + (next() % 95)));
  for (let i = 0; i < 500; i++) {
    const url = new URL("https://user:pass@a.example/c/b");
    const secret = `Qz7${word()}`;
    const pairs: Array<[string, string]> = Array.from({ length: next() % 5 }, () => [word(), word()]);
    pairs.splice(next() % (pairs.length + 1), 0, [["sig", "SIG", "Sig"][next() % 3] ?? "sig", secret]);
    for (const [k, v] of pairs) url.searchParams.append(k, v);
    for (const shown of [redactUrl(url), redactUrlText(url.href)]) {
      const encoded = new URLSearchParams({ x: secret }).toString().slice(2);
      assert.ok(!shown.includes(secret) && !shown.includes(encoded) && !shown.includes(":pass@"), shown);
    }
  }
});
