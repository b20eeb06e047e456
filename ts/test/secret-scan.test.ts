// Secrets never leak: a SAS client and a Shared Key client work against
// Azurite while recording; the attempts reported, errors (message and
// inspect), the clients' inspect and JSON, and the saved cassette are scanned
// for the signature and the key.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { inspect } from "node:util";
import {
  type AttemptRecord,
  ClientBuilder,
  CopySource,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  Sas,
  SharedKeyCredential,
} from "../src/index.js";
import { createContainer } from "./conformance/suite.js";
import { type Emulator, startEmulator } from "./support/azurite.js";

let emulator: Emulator;
let scratch: string;
// The hook starts a process; node:test gives it no timeout of its own.
before(
  async () => {
    emulator = await startEmulator();
    scratch = mkdtempSync(join(tmpdir(), "azblob-ts-scan-"));
  },
  { timeout: 120_000 },
);
after(() => {
  emulator?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function scan(texts: string[], secrets: string[]): void {
  for (const text of texts) {
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), `a secret leaked: ${text.slice(0, 300)}`);
      assert.ok(!text.includes(encodeURIComponent(secret)), `a secret leaked, encoded: ${text.slice(0, 300)}`);
    }
  }
}

test("no signature or key in attempts, errors, inspect or cassettes", async () => {
  const key = new SharedKeyCredential(DEV_ACCOUNT, DEV_ACCOUNT_KEY);
  const sas = Sas.account("sco", "racwdl", new Date(Date.now() + 3600_000), { protocol: "https,http" }).sign(key);
  const sig = sas.get("sig") ?? "";
  assert.ok(sig.length > 20);
  const attempts: AttemptRecord[] = [];
  const printed: string[] = [];
  const container = `scan-${randomBytes(4).toString("hex")}`;
  const keyed = new ClientBuilder()
    .endpoint(emulator.endpoint)
    .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
    .onAttempt((a) => attempts.push(a))
    .simulation({ mode: "record", path: join(scratch, "keyed.json") })
    .build();
  await createContainer(keyed, container);
  const sasClient = new ClientBuilder()
    .endpoint(emulator.endpoint)
    .sasToken(sas.toQuery())
    .onAttempt((a) => attempts.push(a))
    .simulation({ mode: "record", path: join(scratch, "sas.json") })
    .build();
  for (const client of [keyed, sasClient]) {
    const blob = client.blob(container, `b-${client.credential.kind}`);
    await blob.putOpts("data", { metadata: { m: "1" } });
    await blob.download();
    const copy = client.blob(container, `copy-${client.credential.kind}`);
    await copy.copyFromUrl(CopySource.blob(blob));
    await client.container(container).deleteBlobs([`copy-${client.credential.kind}`, "absent"]);
    for await (const item of client.container(container).listBlobs()) printed.push(inspect(item));
    try {
      await client.blob(container, "absent").download();
      assert.fail("absent");
    } catch (err) {
      printed.push(String(err), inspect(err), JSON.stringify(err));
    }
    printed.push(inspect(client), JSON.stringify(client), inspect(client.credential, { depth: 9 }));
    client.saveRecordings();
  }
  printed.push(...attempts.map((a) => JSON.stringify(a)));
  assert.ok(
    attempts.some((a) => a.url.includes("sig=REDACTED")),
    "SAS attempts are reported, redacted",
  );
  printed.push(readFileSync(join(scratch, "keyed.json"), "utf8"), readFileSync(join(scratch, "sas.json"), "utf8"));
  scan(printed, [sig, DEV_ACCOUNT_KEY, DEV_ACCOUNT_KEY.slice(0, 20)]);
});
