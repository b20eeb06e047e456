// The conformance suite live against Azurite, each case in a fresh container;
// then once more recording each case into a cassette (in a scratch
// directory) that a replaying client must use up: the TypeScript writer and
// reader agree on the format.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { ClientBuilder, DEV_ACCOUNT, DEV_ACCOUNT_KEY, type Next } from "../../src/index.js";
import { type Emulator, startEmulator } from "../support/azurite.js";
import { testdata } from "../support/paths.js";
import { CASES, caseSeed, containerName, createContainer } from "./suite.js";

let emulator: Emulator;
let scratch: string;

// The hook starts a process; node:test gives it no timeout of its own.
before(
  async () => {
    emulator = await startEmulator();
    scratch = mkdtempSync(join(tmpdir(), "azblob-ts-conformance-"));
  },
  { timeout: 120_000 },
);

after(() => {
  emulator?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

function builder(): ClientBuilder {
  return new ClientBuilder().endpoint(emulator.endpoint).sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY);
}

/**
 * With AZBLOB_TS_RECORD=1 (and a fresh emulator: this file starts its own
 * unless AZBLOB_TEST_ENDPOINT is set), each case is also recorded into
 * testdata/cassettes/ts/<case>.json in the container a replay names, for the
 * Rust suite to replay: the cross-language check of the cassette format.
 */
const RECORD_FOR_RUST = process.env.AZBLOB_TS_RECORD === "1";

for (const [name, run] of Object.entries(CASES)) {
  if (RECORD_FOR_RUST) {
    test(`conformance record for Rust: ${name}`, async () => {
      const path = testdata("cassettes", "ts", `${name}.json`);
      const recorder = builder()
        .simulation({ mode: "record", path, seed: caseSeed(name) })
        .build();
      await run(recorder, await createContainer(recorder, containerName(name)));
      recorder.saveRecordings();
    });
  }

  test(`conformance azurite: ${name}`, async () => {
    const client = builder().build();
    const container = await createContainer(client, `${containerName(name)}-${randomBytes(4).toString("hex")}`);
    await run(client, container);
  });

  test(`conformance record then replay: ${name}`, async () => {
    const path = join(scratch, `${name}.json`);
    const recorder = builder()
      .simulation({ mode: "record", path, seed: caseSeed(name) })
      .build();
    // A fresh container per recording, as the emulator may be shared with the live cases.
    const container = `${containerName(name)}-r${randomBytes(3).toString("hex")}`;
    await run(recorder, await createContainer(recorder, container));
    recorder.saveRecordings();
    const text = readFileSync(path, "utf8");
    assert.ok(!text.includes('"authorization":') && !text.includes(DEV_ACCOUNT_KEY), "no credential recorded");
    assert.ok(!/SharedKey [^:\s]+:(?!REDACTED)/.test(text), "a batch's sub-request signatures are redacted");
    assert.ok(text.startsWith('{\n  "format": "azblob-cassette/1"'), text.slice(0, 80));

    const noNetwork: Next = async () => assert.fail("a replay reached the network");
    const replayer = new ClientBuilder()
      .endpoint("http://127.0.0.1:9/devstoreaccount1")
      .wire(noNetwork)
      .simulation({ mode: "replay", path })
      .build();
    await run(replayer, await createContainer(replayer, container));
    assert.equal(replayer.simulationStats()?.unused, 0);
  });
}
