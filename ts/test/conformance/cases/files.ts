// Conformance case of the many-file pool (crates/azblob/tests/conformance/files.rs):
// uploadFiles and downloadFiles, with each file's modification time kept in
// its blob's metadata and given back to the downloaded file.

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type FileJob, ifNotExists, mtimeFromMetadata } from "../../../src/index.js";
import type { Case } from "../data.js";
import { letters } from "../data.js";
import { collect } from "./common.js";

export const FILES_CASES: Record<string, Case> = {
  async files_upload_and_download_many(_client, container) {
    const dir = mkdtempSync(join(tmpdir(), "azblob-ts-files-"));
    try {
      const [src, out] = [join(dir, "src"), join(dir, "out")];
      mkdirSync(src);
      // Fixed mtimes, so the recorded metadata is the same at every run (250 ms: exact in a double).
      const mtimeSeconds = (i: number): number => 1_650_000_000 + i + 0.25;
      const mtimeNanos = (i: number): bigint => BigInt(1_650_000_000 + i) * 1_000_000_000n + 250_000_000n;
      const jobs: FileJob[] = [];
      for (let i = 0; i < 12; i++) {
        const path = join(src, `f${i}`);
        writeFileSync(path, letters(100 + i, BigInt(i)));
        utimesSync(path, mtimeSeconds(i), mtimeSeconds(i));
        jobs.push({ path, name: `tree/d${i % 3}/f${i}` });
      }
      const uploaded = await collect(container.uploadFilesOpts(jobs, { concurrency: 4 }));
      assert.equal(uploaded.length, 12);
      assert.ok(
        uploaded.every((r) => r.ok),
        JSON.stringify(uploaded.map((r) => (r.ok ? r.job.name : r.error.message))),
      );
      assert.deepEqual(uploaded.map((r) => r.job.name).sort(), jobs.map((j) => j.name).sort());

      // The listing carries each file's mtime, which the download restores.
      const items = await collect(container.listBlobsOpts({ prefix: "tree/", include: { metadata: true } }));
      const down: FileJob[] = [];
      for (const item of items) {
        if (item.kind !== "blob") continue;
        const mtime = mtimeFromMetadata(item.metadata);
        const job: FileJob = {
          path: join(out, item.name.replaceAll("/", "_")),
          name: item.name,
          size: item.contentLength,
        };
        if (mtime !== undefined) job.mtime = mtime;
        down.push(job);
      }
      assert.equal(down.length, 12);
      // Fed through an async iterable, as a listing would feed it.
      async function* lazily(): AsyncIterable<FileJob> {
        yield* down;
      }
      const results = await collect(container.downloadFilesOpts(lazily(), { concurrency: 4 }));
      assert.equal(results.length, 12);
      assert.ok(
        results.every((r) => r.ok),
        JSON.stringify(results.map((r) => (r.ok ? r.job.name : r.error.message))),
      );
      for (let i = 0; i < 12; i++) {
        const path = join(out, `tree_d${i % 3}_f${i}`);
        assert.equal(readFileSync(path, "utf8"), letters(100 + i, BigInt(i)));
        assert.equal(statSync(path, { bigint: true }).mtimeNs, mtimeNanos(i), path);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },

  // Each file's own conditions replace the options' for that file: with
  // create-only options, a file of its own unconditional write replaces its
  // blob, one without conditions of its own is refused, and a create-only
  // one onto a new name is written.
  async files_upload_with_per_file_conditions(_client, container) {
    const dir = mkdtempSync(join(tmpdir(), "azblob-ts-files-cond-"));
    try {
      for (const name of ["cond/kept", "cond/replaced"]) {
        await container.blob(name).put(Buffer.from("before"));
      }
      const job = (file: string, name: string, conditions?: FileJob["conditions"]): FileJob => {
        const path = join(dir, file);
        writeFileSync(path, `local ${file}`);
        // A fixed mtime, so the recorded metadata is the same at every run.
        utimesSync(path, 1_650_000_100.25, 1_650_000_100.25);
        return conditions === undefined ? { path, name } : { path, name, conditions };
      };
      const jobs = [
        job("kept", "cond/kept"),
        job("replaced", "cond/replaced", {}),
        job("new", "cond/new", ifNotExists()),
      ];
      const results = await collect(
        container.uploadFilesOpts(jobs, { concurrency: 1, upload: { blob: { conditions: ifNotExists() } } }),
      );
      const outcome = (name: string) => {
        const r = results.find((r) => r.job.name === name);
        return r === undefined ? "missing" : r.ok ? "ok" : r.error.kind;
      };
      assert.equal(outcome("cond/kept"), "AlreadyExists");
      assert.equal(outcome("cond/replaced"), "ok");
      assert.equal(outcome("cond/new"), "ok");
      for (const [name, body] of [
        ["cond/kept", "before"],
        ["cond/replaced", "local replaced"],
        ["cond/new", "local new"],
      ] as const) {
        const got = await (await container.blob(name).get()).bytes();
        assert.equal(Buffer.from(got).toString(), body, name);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
