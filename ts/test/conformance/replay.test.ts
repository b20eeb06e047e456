// The conformance suite in replay, from the Rust-recorded testdata/cassettes/:
// no server, no network, no credential. The client points at a port nothing
// listens on, its wire fails the test if reached, and each case must use
// every recorded exchange.

import assert from "node:assert/strict";
import { test } from "node:test";
import { ClientBuilder, type Next, type TokenCredential } from "../../src/index.js";
import { testdata } from "../support/paths.js";
import { CASES, containerName, createContainer } from "./suite.js";

/** Nothing listens here: a request that reached the network would fail. */
const DEAD_ENDPOINT = "http://127.0.0.1:9/devstoreaccount1";

const noNetwork: Next = async (request) => {
  assert.fail(`a replay reached the network: ${request.method} ${request.url.pathname}`);
};

/** A token credential that must never be asked: a token would need the network. */
const neverAsked: TokenCredential = {
  getToken: async () => assert.fail("a replaying client asked its token credential for a token"),
};

/** The Rust recordings (testdata/cassettes/), and the TypeScript ones (testdata/cassettes/ts/, AZBLOB_TS_RECORD=1). */
const SOURCES: Array<[string, (name: string) => string]> = [
  ["Rust", (name) => testdata("cassettes", `${name}.json`)],
  ["TypeScript", (name) => testdata("cassettes", "ts", `${name}.json`)],
];

for (const [name, run] of Object.entries(CASES)) {
  for (const [recorder, cassette] of SOURCES) {
    test(`conformance replay (${recorder} recording): ${name}`, async () => {
      await replay(name, cassette(name), run);
    });
  }
}

async function replay(name: string, path: string, run: (typeof CASES)[string]): Promise<void> {
  for (const token of [false, true]) {
    const builder = new ClientBuilder().endpoint(DEAD_ENDPOINT).wire(noNetwork);
    if (token) builder.tokenCredential(neverAsked);
    const client = builder.simulation({ mode: "replay", path }).build();
    const container = await createContainer(client, containerName(name));
    await run(client, container);
    const stats = client.simulationStats();
    assert.equal(stats?.unused, 0, `every recorded exchange of ${name} is replayed: ${JSON.stringify(stats)}`);
  }
}
