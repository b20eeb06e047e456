// Measures the two wires against Azurite: many small reads, and a few large
// ones. Run after `npm run build`: `node dist/bench/wire.js`.

import { randomBytes } from "node:crypto";
import { ClientBuilder, DEV_ACCOUNT, DEV_ACCOUNT_KEY, type Next } from "../src/index.js";
import { fetchWire } from "../src/wire/fetch-wire.js";
import { nodeWire } from "../src/wire/node-wire.js";
import { createContainer } from "../test/conformance/suite.js";
import { startEmulator } from "../test/support/azurite.js";

const emulator = await startEmulator();
try {
  const setup = new ClientBuilder().endpoint(emulator.endpoint).sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY).build();
  const name = `bench-${randomBytes(4).toString("hex")}`;
  const container = await createContainer(setup, name);
  await container.blob("small").put(randomBytes(1024));
  await container.blob("large").upload(randomBytes(64 * 1024 * 1024));
  const wires: Array<[string, () => Next]> = [
    ["node:http", () => nodeWire()],
    ["fetch (undici)", () => fetchWire()],
  ];
  const results = new Map<string, { small: number[]; large: number[] }>();
  const ROUNDS = 5;
  for (let round = 0; round < ROUNDS; round++) {
    for (const [label, make] of wires) {
      const client = new ClientBuilder()
        .endpoint(emulator.endpoint)
        .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .wire(make())
        .build();
      const small = client.blob(name, "small");
      let started = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 100; i++) await small.get();
        }),
      );
      const smallMs = performance.now() - started;
      started = performance.now();
      await client.blob(name, "large").downloadOpts({ chunkSize: 8 * 1024 * 1024, concurrency: 4 });
      const largeMs = performance.now() - started;
      const entry = results.get(label) ?? { small: [], large: [] };
      entry.small.push(smallMs);
      entry.large.push(largeMs);
      results.set(label, entry);
    }
  }
  // Rounds interleave the wires, so a noisy neighbour slows both; medians keep one bad round out.
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  for (const [label, { small, large }] of results) {
    const largeMs = median(large);
    console.log(
      `${label.padEnd(16)} median of ${ROUNDS} rounds: 800 small GETs (8 at a time) ${median(small).toFixed(0)} ms; 64 MiB download ${largeMs.toFixed(0)} ms (${((64 / largeMs) * 1000).toFixed(0)} MiB/s)`,
    );
  }
} finally {
  emulator.stop();
}
