// The Rust `azblob` command-line tool, for the tests that hand an upload's
// checkpoint between the two languages: the binary `cargo xtask test` built
// (`AZBLOB_CLI_BIN`), else one `cargo build -p azblob-cli` makes here.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { DEV_ACCOUNT, DEV_ACCOUNT_KEY } from "../../src/index.js";
import { repoRoot } from "./paths.js";

let built: string | undefined;

/** The path of the `azblob` binary; a missing one fails the test, never skips it. */
export function cliBinary(): string {
  if (built) return built;
  const given = process.env.AZBLOB_CLI_BIN;
  if (given) {
    if (!existsSync(given)) throw new Error(`AZBLOB_CLI_BIN=${given} does not exist; run \`cargo xtask test\``);
    built = given;
    return built;
  }
  // Run alone (`npm test`), the binary is built here; cargo makes this a no-op when it is up to date,
  // and its JSON messages name the executable wherever the target directory is.
  const messages = execFileSync("cargo", ["build", "--quiet", "-p", "azblob-cli", "--message-format=json"], {
    cwd: repoRoot(),
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    maxBuffer: 64 * 1024 * 1024,
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
  #waiters: Array<() => void> = [];

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(cliBinary(), args, { env, stdio: ["ignore", "pipe", "pipe"] });
    const child = this.child;
    let out = "";
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
    });
    const lines = createInterface({ input: child.stderr as NodeJS.ReadableStream });
    lines.on("line", (line) => this.#read(line));
    const closed = new Promise<void>((resolve) => lines.once("close", () => resolve()));
    this.exit = new Promise((resolve) => child.once("exit", (code, signal) => resolve(signal ? 128 : code)));
    this.stdout = Promise.all([this.exit, closed]).then(() => out);
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
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Resolves once `count` answers to `operation` have arrived; rejects if the process exits first. */
  async waitForAnswers(operation: string, count: number): Promise<void> {
    let exited = false;
    void this.exit.then(() => {
      exited = true;
      for (const wake of this.#waiters.splice(0)) wake();
    });
    while ((this.answers.get(operation) ?? 0) < count) {
      if (exited) {
        const seen = this.answers.get(operation) ?? 0;
        throw new Error(`azblob exited after ${seen} ${operation} answers: ${this.errors.join("\n")}`);
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }
}
