// The Rust `azblob` command-line tool, for the tests that hand an upload's
// checkpoint between the two languages: the binary `cargo xtask test` built
// (`AZBLOB_CLI_BIN`), else one `cargo build -p azblob-cli` makes here, in a
// `before()` hook so that the build does not count against a test's timeout.

import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { constants } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { DEV_ACCOUNT, DEV_ACCOUNT_KEY } from "../../src/index.js";
import { repoRoot } from "./paths.js";

let built: string | undefined;

/**
 * Finds (or builds) the `azblob` binary; call it from `before()`. A missing
 * one fails the test, never skips it.
 */
export async function prepareCli(): Promise<string> {
  if (built) return built;
  const given = process.env.AZBLOB_CLI_BIN;
  if (given) {
    if (!existsSync(given)) throw new Error(`AZBLOB_CLI_BIN=${given} does not exist; run \`cargo xtask test\``);
    built = given;
    return built;
  }
  // Run alone (`npm test`), the binary is built here; cargo makes this a no-op when it is up to date,
  // and its JSON messages name the executable wherever the target directory is.
  const messages = await new Promise<string>((resolve, reject) => {
    const cargo = process.env.CARGO ?? "cargo";
    const args = ["build", "--quiet", "-p", "azblob-cli", "--message-format=json"];
    const child = execFile(cargo, args, { cwd: repoRoot(), maxBuffer: 64 * 1024 * 1024 }, (err, stdout) =>
      err ? reject(new Error(`cargo build -p azblob-cli failed: ${err.message}`)) : resolve(stdout),
    );
    child.stderr?.pipe(process.stderr);
  });
  for (const line of messages.split("\n")) {
    if (!line.startsWith("{")) continue;
    const message = JSON.parse(line) as { reason?: string; target?: { name?: string }; executable?: string | null };
    if (message.reason === "compiler-artifact" && message.target?.name === "azblob" && message.executable) {
      built = message.executable;
    }
  }
  if (!built) throw new Error("cargo build -p azblob-cli named no azblob executable");
  return built;
}

/** The binary [`prepareCli`] found; calling this first is a test's mistake, reported as such. */
function cliBinary(): string {
  if (!built) throw new Error("the azblob binary is not ready: call prepareCli() in before()");
  return built;
}

/** The CLI processes that have not closed yet, so that a failed test leaves none behind. */
const running = new Set<ChildProcess>();

/** SIGKILLs every CLI process still running; for `after()`, which runs whether the tests passed or not. */
export function killRunningClis(): void {
  for (const child of running) child.kill("SIGKILL");
}

/** A process's status as a shell reports it: its exit code, or 128 plus the number of the signal that ended it. */
function shellStatus(code: number | null, signal: NodeJS.Signals | null): number | null {
  return signal ? 128 + constants.signals[signal] : code;
}

/** The environment of one CLI run: the emulator's connection string, checkpoints under `stateDir`, a JSON debug log. */
export function cliEnv(endpoint: string, stateDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    AZURE_STORAGE_CONNECTION_STRING: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_ACCOUNT_KEY};BlobEndpoint=${endpoint}`,
    XDG_STATE_HOME: stateDir,
    AZBLOB_LOG: "azblob=debug",
    AZBLOB_LOG_FORMAT: "json",
  };
  // The caller's account must not choose another one.
  delete env.AZURE_STORAGE_ACCOUNT;
  return env;
}

/**
 * Where `azblob cp` keeps the checkpoint of an upload of `file` to `blobUrl`
 * (crates/azblob-cli/src/cp.rs, `checkpoint_path`): the first 16 bytes of the
 * SHA-256 of the file's absolute path, a newline and the blob's URL, in hex.
 */
export function cliCheckpointPath(stateDir: string, file: string, blobUrl: URL): string {
  const name = createHash("sha256")
    .update(`${resolve(file)}\n${blobUrl.href}`)
    .digest()
    .subarray(0, 16);
  return join(stateDir, "azblob", "checkpoints", `${name.toString("hex")}.json`);
}

/** A running `azblob` whose JSON debug log is read line by line. */
export class CliRun {
  readonly child: ChildProcess;
  readonly stdout: Promise<string>;
  readonly exit: Promise<number | null>;
  /** Answers received per operation, from the log's "response headers received" lines. */
  readonly answers = new Map<string, number>();
  /** The last lines of the log that were not JSON (an error line), for failure messages. */
  readonly errors: string[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(cliBinary(), args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const child = this.child;
    running.add(child);
    // A binary that cannot start shows in the failure message (and 'close' still comes, with a negative code).
    child.once("error", (err) => this.errors.push(`cannot run azblob: ${err.message}`));
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    lines.on("line", (line) => this.#read(line));
    // 'close' comes after the process exited and its stdio streams ended, so
    // the whole of stdout and every log line has been read by then ('exit'
    // may come before the last chunks).
    const closed = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once("close", (code, signal) => {
        running.delete(child);
        resolve([code, signal]);
      }),
    );
    this.exit = closed.then(([code, signal]) => shellStatus(code, signal));
    this.stdout = closed.then(() => out);
  }

  #read(line: string): void {
    let parsed: { message?: string; spans?: Array<Record<string, unknown>> };
    try {
      parsed = JSON.parse(line);
    } catch {
      this.errors.push(line);
      if (this.errors.length > 20) this.errors.shift();
      return;
    }
    if (parsed.message !== "response headers received") return;
    const operation = parsed.spans?.find((s) => typeof s["azblob.operation"] === "string")?.["azblob.operation"];
    if (typeof operation !== "string") return;
    this.answers.set(operation, (this.answers.get(operation) ?? 0) + 1);
  }
}
