// The parity check: every public operation of the Rust clients is listed in
// ts/PARITY.md, and every row marked `yes` exists on the TypeScript class.

import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ClientBuilder, CopyOperation, CopySource, DEV_BLOB_ENDPOINT, Lease } from "../src/index.js";
import { repoRoot } from "./support/paths.js";

/** `Type::fn` for every `pub fn`/`pub async fn` in an `impl` block of the Rust clients, tests left out. */
function rustOperations(): string[] {
  const dir = join(repoRoot(), "crates", "azblob", "src", "client");
  const ops: string[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".rs"))
    .sort()) {
    let impl: string | undefined;
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      if (line.startsWith("#[cfg(test)]")) break;
      const implMatch = /^impl(?:<[^>]*>)?\s+(\w+)/.exec(line);
      if (implMatch) {
        impl = implMatch[1];
        continue;
      }
      const fn = /^\s+pub (?:async )?fn (\w+)/.exec(line);
      if (fn && impl) ops.push(`${impl}::${fn[1]}`);
    }
  }
  return ops;
}

function parityRows(): Map<string, { ts: string; ported: boolean }> {
  const rows = new Map<string, { ts: string; ported: boolean }>();
  for (const line of readFileSync(join(repoRoot(), "ts", "PARITY.md"), "utf8").split("\n")) {
    const m = /^\| `([\w:]+)` \| `([\w.]+)` \| (yes|no) \|$/.exec(line);
    if (m?.[1] && m[2]) rows.set(m[1], { ts: m[2], ported: m[3] === "yes" });
  }
  return rows;
}

const camel = (s: string): string => s.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());

test("every Rust client operation is in PARITY.md under its camelCase name", () => {
  const rows = parityRows();
  const ops = rustOperations();
  assert.ok(ops.length > 50, `found ${ops.length} Rust operations`);
  for (const op of ops) {
    const row = rows.get(op);
    assert.ok(row, `${op} is missing from ts/PARITY.md`);
    const [type, fn] = op.split("::");
    assert.equal(row.ts, `${type}.${camel(fn ?? "")}`, op);
  }
  for (const listed of rows.keys()) assert.ok(ops.includes(listed), `${listed} is no Rust operation any more`);
});

test("every Rust client operation is ported", () => {
  const missing = [...parityRows()].filter(([, row]) => !row.ported).map(([op]) => op);
  assert.deepEqual(missing, [], "operations without a TypeScript counterpart");
});

test("every operation marked ported exists on the TypeScript class", () => {
  const service = new ClientBuilder().endpoint(DEV_BLOB_ENDPOINT).build();
  const container = service.container("c1c");
  const instances: Record<string, object> = {
    BlobServiceClient: service,
    ContainerClient: container,
    BlobClient: container.blob("b"),
    // Rust's associated functions are static methods in TypeScript.
    CopySource,
    CopyOperation: new CopyOperation(container.blob("b"), "copy-id", "pending"),
    // A guard is made only by acquiring: its static and instance members are checked on the class.
    Lease,
  };
  for (const [op, row] of parityRows()) {
    if (!row.ported) continue;
    const [type, member] = row.ts.split(".");
    const instance = instances[type ?? ""];
    assert.ok(instance, `${op}: no TypeScript class ${type}`);
    const onPrototype = typeof instance === "function" && member !== undefined && member in instance.prototype;
    assert.ok(member && (member in instance || onPrototype), `${op}: ${row.ts} does not exist`);
  }
});

test("the root README's table by type matches PARITY.md", () => {
  const counts = new Map<string, { ts: string; all: number; ported: number }>();
  for (const [op, row] of parityRows()) {
    const type = op.split("::")[0] ?? "";
    const entry = counts.get(type) ?? { ts: row.ts.split(".")[0] ?? "", all: 0, ported: 0 };
    entry.all += 1;
    entry.ported += row.ported ? 1 : 0;
    counts.set(type, entry);
  }
  const shown = new Map<string, string>();
  for (const line of readFileSync(join(repoRoot(), "README.md"), "utf8").split("\n")) {
    const m = /^\| `(\w+)` \| `(\w+)` \| (\d+) \| (\d+) \|$/.exec(line);
    if (m?.[1]) shown.set(m[1], `${m[2]} ${m[3]} ${m[4]}`);
  }
  const expected = new Map([...counts].map(([type, c]) => [type, `${c.ts} ${c.all} ${c.ported}`]));
  assert.deepEqual(shown, expected, "update the README's table from ts/PARITY.md");
});
