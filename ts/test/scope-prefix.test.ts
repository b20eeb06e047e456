// CredentialScope.covers answers most URLs from their href alone: these cases
// hold that shortcut to the full scheme, host, port and path comparison.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CredentialScope } from "../src/index.js";

test("covers: look-alike ports, hosts and paths are refused, userinfo and default ports are not told apart", () => {
  const path = new CredentialScope(new URL("http://127.0.0.1:1000/acct"));
  const cases: Array<[string, boolean]> = [
    ["http://127.0.0.1:1000/acct", true],
    ["http://127.0.0.1:1000/acct?comp=list", true],
    ["http://127.0.0.1:1000/acct#x", true],
    ["http://127.0.0.1:1000/acct/c/b", true],
    ["http://user@127.0.0.1:1000/acct/c/b", true],
    ["http://127.0.0.1:10000/acct/c/b", false],
    ["http://127.0.0.1:1000/acct2/c", false],
    ["http://127.0.0.1:1000/acc", false],
    ["http://127.0.0.1:1000/", false],
    ["https://127.0.0.1:1000/acct/c", false],
    ["http://127.0.0.10:1000/acct/c", false],
  ];
  for (const [url, want] of cases) assert.equal(path.covers(new URL(url)), want, url);
  const host = new CredentialScope(new URL("https://acct.blob.core.windows.net/"));
  const hostCases: Array<[string, boolean]> = [
    ["https://acct.blob.core.windows.net", true],
    ["https://acct.blob.core.windows.net:443/c", true],
    ["https://acct.blob.core.windows.net.evil.example/c", false],
    ["https://acct.blob.core.windows.net:4430/c", false],
    ["https://acct.blob.core.windows.netx/c", false],
  ];
  for (const [url, want] of hostCases) assert.equal(host.covers(new URL(url)), want, url);
});

test("covers follows an endpoint changed after the scope was made", () => {
  const scope = new CredentialScope(new URL("https://acct.blob.core.windows.net"));
  scope.endpoint.host = "other.blob.core.windows.net";
  assert.equal(scope.covers(new URL("https://acct.blob.core.windows.net/c")), false);
  assert.equal(scope.covers(new URL("https://other.blob.core.windows.net/c")), true);
});
