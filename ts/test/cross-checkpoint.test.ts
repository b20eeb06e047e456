// One upload, two languages, live on Azurite: an upload the Rust `azblob cp`
// started and was interrupted in is finished by this port from its
// checkpoint, and the reverse. Each resume must send only the blocks the
// service does not hold (Put Block counted on the wire for this port, from
// the CLI's debug log for Rust) and commit the other side's session's block
// ids, so either side ignoring the other's checkpoint fails the test.
// Every test and hook has a timeout (node:test has none by default), and a
// CLI still running when the file ends is killed, so a failure never hangs
// the run or leaves a process behind.

import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import {
  type BlobClient,
  ClientBuilder,
  type ContainerClient,
  DEV_ACCOUNT,
  DEV_ACCOUNT_KEY,
  nodeWire,
} from "../src/index.js";
import { blockId } from "../src/sim/seeded-rng.js";
import { parseCheckpoint } from "../src/transfer/checkpoint.js";
import { createContainer } from "./conformance/suite.js";
import { type Emulator, startEmulator } from "./support/azurite.js";
import { CliRun, cliCheckpointPath, cliEnv, killRunningClis, prepareCli } from "./support/cli.js";
import { PutBlockGate } from "./support/gate-proxy.js";

const BLOCK = 64 * 1024;
const BLOCKS = 64;
/** How many blocks the Rust upload stages before it is interrupted. */
const RUST_STAGED = 3;
/** The most a test (or a hook) may take. */
const TIMEOUT = { timeout: 120_000 };

let emulator: Emulator;
let container: ContainerClient;
let dir: string;

// Finding the CLI may mean building it (run alone, without `cargo xtask test`): minutes when cold.
before(() => prepareCli(), { timeout: 900_000 });
before(async () => {
  emulator = await startEmulator();
  const client = new ClientBuilder().endpoint(emulator.endpoint).sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY).build();
  container = await createContainer(client, `xlang-${randomBytes(4).toString("hex")}`);
  dir = mkdtempSync(join(tmpdir(), "azblob-ts-xlang-"));
}, TIMEOUT);
after(() => {
  killRunningClis();
  emulator?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A file of `BLOCKS` blocks of random bytes. */
function source(name: string): { path: string; data: Buffer } {
  const path = join(dir, name);
  const data = randomBytes(BLOCK * BLOCKS);
  writeFileSync(path, data);
  return { path, data };
}

/** The committed blocks are exactly the session's ids, in order, so the other side's session was continued. */
async function assertCommittedFrom(blob: BlobClient, session: string): Promise<void> {
  const list = await blob.blockListOpts({ listType: "committed" });
  assert.deepEqual(
    list.committed.map((b) => b.id),
    Array.from({ length: BLOCKS }, (_, i) => blockId(session, i)),
    "the commit continued the checkpoint's session",
  );
}

test(
  "an upload `azblob cp` (Rust) started and was interrupted in is resumed by TypeScript, byte-exact",
  TIMEOUT,
  async () => {
    const { path, data } = source("rust-started.bin");
    const blob = container.blob("rust-started.bin");
    const state = join(dir, "state-r2t");
    // The CLI goes through a gate that lets RUST_STAGED Put Blocks through and
    // holds the next one, so SIGINT lands with exactly that many staged, however
    // loaded the machine (without it the CLI may finish the upload first).
    const gate = await PutBlockGate.start(RUST_STAGED);
    try {
      const args = [
        "cp",
        path,
        `az://${container.name}/rust-started.bin`,
        "--block-size",
        "64KiB",
        "--concurrency",
        "1",
      ];
      const run = new CliRun([...args, "--no-progress", "--proxy", gate.url], cliEnv(emulator.endpoint, state));
      // The library saved its checkpoint before the first Put Block; the held
      // request means the first RUST_STAGED were answered (one at a time).
      await Promise.race([
        gate.waitForHeld(),
        run.exit.then((code) =>
          assert.fail(`azblob exited (${code}) before its Put Block was held: ${run.errors.join("\n")}`),
        ),
      ]);
      run.child.kill("SIGINT");
      gate.release();
      assert.equal(await run.exit, 130, "the CLI stops on SIGINT");
      assert.equal(run.answers.get("PutBlock"), RUST_STAGED, "the CLI's log shows the staged blocks answered");
    } finally {
      gate.stop();
    }
    assert.equal(await blob.exists(), false, "interrupted before its commit");
    const checkpoints = join(state, "azblob", "checkpoints");
    const files = readdirSync(checkpoints);
    assert.equal(files.length, 1, "the CLI kept its checkpoint");
    const checkpointPath = join(checkpoints, files[0] ?? "");
    assert.equal(checkpointPath, cliCheckpointPath(state, path, blob.url()), "the CLI's checkpoint name");
    const checkpoint = parseCheckpoint(readFileSync(checkpointPath, "utf8"));
    assert.equal(checkpoint.block_size, BigInt(BLOCK));
    const staged = (await blob.blockListOpts({ listType: "uncommitted" })).uncommitted;
    assert.deepEqual(
      staged.map((b) => b.id).sort(),
      Array.from({ length: RUST_STAGED }, (_, i) => blockId(checkpoint.session_id, i)).sort(),
      "the CLI staged the first blocks of its checkpoint's session",
    );

    let putBlocks = 0;
    const wire = nodeWire();
    const resumer = new ClientBuilder()
      .endpoint(emulator.endpoint)
      .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
      .wire(async (request) => {
        if (request.operation === "PutBlock") putBlocks += 1;
        return wire(request);
      })
      .build();
    // No block size given: the checkpoint's is used, as the staged blocks have
    // it. The checkpoint names the session, not the staged blocks: the resume
    // learns those from Get Block List.
    const report = await resumer
      .blob(container.name, "rust-started.bin")
      .uploadOpts({ file: path }, { checkpoint: checkpointPath, resume: true, concurrency: 1 });
    assert.equal(report.blocks, BLOCKS);
    assert.equal(report.resumedBlocks, RUST_STAGED, "every staged block was kept");
    assert.equal(putBlocks, BLOCKS - report.resumedBlocks, "only the missing blocks were sent");
    assert.ok(Buffer.from(await blob.download()).equals(data), "the resumed blob is byte-exact");
    await assertCommittedFrom(blob, checkpoint.session_id);
    assert.equal(existsSync(checkpointPath), false, "the commit removes the checkpoint");
  },
);

test(
  "an upload TypeScript started and was interrupted in is resumed by `azblob cp --resume` (Rust), byte-exact",
  TIMEOUT,
  async () => {
    const { path, data } = source("ts-started.bin");
    const blob = container.blob("ts-started.bin");
    const state = join(dir, "state-t2r");
    // The checkpoint goes where the CLI looks for it, so `--resume` finds it.
    const checkpointPath = cliCheckpointPath(state, path, blob.url());
    const staged = 5;
    let putBlocks = 0;
    const wire = nodeWire();
    const starter = new ClientBuilder()
      .endpoint(emulator.endpoint)
      .sharedKey(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
      .wire(async (request) => {
        // The interruption: after `staged` blocks the process "stops"; an
        // error that is not the wire's own is not retried.
        if (request.operation === "PutBlock" && ++putBlocks > staged) throw new Error("interrupted by the test");
        return wire(request);
      })
      .build();
    await assert.rejects(
      starter
        .blob(container.name, "ts-started.bin")
        .uploadOpts({ file: path }, { checkpoint: checkpointPath, blockSize: BLOCK, concurrency: 1, singlePutMax: 0 }),
      /interrupted by the test/,
    );
    assert.equal(await blob.exists(), false, "interrupted before its commit");
    const checkpoint = parseCheckpoint(readFileSync(checkpointPath, "utf8"));
    assert.equal((await blob.blockListOpts({ listType: "uncommitted" })).uncommitted.length, staged);

    const args = ["cp", path, `az://${container.name}/ts-started.bin`, "--block-size", "64KiB", "--concurrency", "1"];
    const run = new CliRun([...args, "--resume", "--json", "--no-progress"], cliEnv(emulator.endpoint, state));
    const [code, stdout] = [await run.exit, await run.stdout];
    assert.equal(code, 0, `${stdout}${run.errors.join("\n")}`);
    const figures = JSON.parse(stdout) as { blocks: number; resumed_blocks: number };
    assert.deepEqual([figures.blocks, figures.resumed_blocks], [BLOCKS, staged], stdout);
    assert.equal(run.answers.get("PutBlock"), BLOCKS - staged, "only the missing blocks were sent");
    assert.equal(run.answers.get("PutBlockList"), 1);
    assert.ok(Buffer.from(await blob.download()).equals(data), "the resumed blob is byte-exact");
    await assertCommittedFrom(blob, checkpoint.session_id);
    assert.equal(existsSync(checkpointPath), false, "the commit removes the checkpoint");
  },
);
