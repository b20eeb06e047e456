import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root: tests run from `ts/dist/test/...`, the sources sit in `ts/test/...`. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  // dist/test/support → ts → repo; test/support → ts → repo.
  while (!dir.endsWith("/ts")) dir = dirname(dir);
  return dirname(dir);
}

/** A file under the repository's `testdata/`. */
export function testdata(...parts: string[]): string {
  return join(repoRoot(), "testdata", ...parts);
}
