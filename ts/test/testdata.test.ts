// Every file under testdata/ is free of anything shaped like a secret (as the
// Rust suite's testdata_holds_no_secrets checks), and every cassette loads.

import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parseCassette } from "../src/sim/cassette.js";
import { findSecret } from "../src/sim/detect.js";
import { testdata } from "./support/paths.js";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

test("testdata holds no secrets and every cassette loads", () => {
  const all = files(testdata());
  assert.ok(all.length >= 20, `only ${all.length} files`);
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for (const path of all) {
    let text: string;
    try {
      text = decoder.decode(readFileSync(path));
    } catch {
      continue;
    }
    assert.equal(findSecret(text), undefined, `${path} holds a secret`);
    if (path.endsWith(".json") && path.startsWith(testdata("cassettes"))) parseCassette(text);
  }
});
