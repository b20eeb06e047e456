// Modules import downwards only, in the Rust crate's order (ARCHITECTURE.md,
// "Layers"), with the TypeScript port's folder names:
// config -> client -> transfer -> ops -> pipeline -> auth, sim -> wire -> errors, redact, net, headers.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { test } from "node:test";
import { repoRoot } from "./support/paths.js";

const LAYERS: string[][] = [
  ["config"],
  ["client"],
  ["transfer"],
  ["ops"],
  ["pipeline"],
  ["auth", "sim"],
  ["wire"],
  ["errors", "redact", "net", "headers"],
];

/**
 * Known upward imports, each with its reason. The test fails when one is
 * gone too, so the list only shrinks.
 */
const KNOWN_UPWARD: Array<[string, string, string]> = [
  // BlobClient.fromUrl and ContainerClient.fromUrl are statics of the client
  // classes, as in Rust, but build their client through the builder; they call
  // it only when invoked, so the module cycle never runs at load time.
  ["client/blob-client.ts", "config/client-from-url.ts", "BlobClient.fromUrl"],
  ["client/container-client.ts", "config/client-from-url.ts", "ContainerClient.fromUrl"],
];

function layerOf(path: string): number {
  const top = path.split("/")[0]?.replace(/\.ts$/, "") ?? "";
  const index = LAYERS.findIndex((layer) => layer.includes(top));
  assert.ok(index >= 0, `${path} is in no layer`);
  return index;
}

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

test("modules import downwards only", () => {
  const src = join(repoRoot(), "ts", "src");
  const upward: string[] = [];
  for (const file of files(src)) {
    const from = relative(src, file);
    if (from === "index.ts") continue;
    for (const m of readFileSync(file, "utf8").matchAll(/from "(\.{1,2}\/[^"]+)\.js"/g)) {
      const to = relative(src, join(file, "..", `${m[1]}.ts`));
      if (layerOf(to) < layerOf(from)) upward.push(`${from} -> ${to}`);
    }
  }
  const known = KNOWN_UPWARD.map(([from, to]) => `${from} -> ${to}`);
  assert.deepEqual(upward.sort(), known.sort(), "upward imports (fix them, or list one with its reason)");
});
