// The emulator the live tests run against: `AZBLOB_TEST_ENDPOINT` if the
// harness gives one (as `cargo xtask test` does for the Rust tests), else the
// pinned Azurite of tools/azurite started on a free loopback port, the way
// the Rust test kit (crates/azblob-testkit/src/emulator.rs) starts it.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

/** The emulator's endpoint and a way to stop it (a no-op for one the harness owns). */
export interface Emulator {
  endpoint: string;
  stop(): void;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** Installs the pinned Azurite with `npm ci` if it is not there yet. */
function ensureInstalled(): string {
  const dir = join(repoRoot(), "tools", "azurite");
  if (!existsSync(join(dir, "node_modules/azurite/dist/src/blob/main.js"))) {
    execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], { cwd: dir, stdio: "inherit" });
  }
  return dir;
}

/** Starts (or finds) the emulator; it listens before this resolves. */
export async function startEmulator(): Promise<Emulator> {
  const given = process.env.AZBLOB_TEST_ENDPOINT;
  if (given) return { endpoint: given, stop: () => {} };
  return launch([], "http");
}

/** An HTTPS emulator and the PEM root certificate to trust for it. */
export interface TlsEmulator extends Emulator {
  caPem: string;
}

/**
 * Starts this process's own HTTPS emulator with OAuth on (`--oauth basic`)
 * and a fresh certificate, as the Rust test kit's `start_oauth` does
 * (crates/azblob-testkit/src/endpoints.rs); the harness's emulators have
 * OAuth off, so this one is always started here, never taken from the environment.
 */
export async function startOAuthEmulator(): Promise<TlsEmulator> {
  const dir = mkdtempSync(join(tmpdir(), "azblob-ts-oauth-tls-"));
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  let caPem: string;
  let emulator: Emulator;
  try {
    // The same certificate as the test kit's tls.rs: for 127.0.0.1 and localhost, not a CA, for server auth.
    execFileSync(
      "openssl",
      [
        ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7", "-subj", "/CN=127.0.0.1"],
        ...["-keyout", key, "-out", cert],
        ...["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-addext", "basicConstraints=critical,CA:FALSE"],
        ...["-addext", "keyUsage=critical,digitalSignature,keyEncipherment", "-addext", "extendedKeyUsage=serverAuth"],
      ],
      { stdio: "ignore", timeout: 60_000 },
    );
    caPem = readFileSync(cert, "utf8");
    emulator = await launch(["--cert", cert, "--key", key, "--oauth", "basic"], "https");
  } catch (err) {
    // Nobody gets a `stop` to call, so the key and certificate go now.
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    ...emulator,
    caPem,
    stop: () => {
      emulator.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Runs the pinned Azurite with `extra` arguments on a free loopback port; it listens before this resolves. */
async function launch(extra: string[], scheme: "http" | "https"): Promise<Emulator> {
  const dir = ensureInstalled();
  const port = await freePort();
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(dir, "launch.js"),
      "--inMemoryPersistence",
      "--blobHost",
      "127.0.0.1",
      "--blobPort",
      String(port),
      "--skipApiVersionCheck",
      "--loose",
      "--silent",
      "--disableTelemetry",
      ...extra,
    ],
    // launch.js exits when its stdin closes, so the emulator never outlives the tests.
    { cwd: dir, stdio: ["pipe", "ignore", "inherit"] },
  );
  let exited = false;
  child.once("exit", () => {
    exited = true;
  });
  const stop = (): void => {
    child.stdin?.end();
    child.kill();
  };
  // Readiness, not a sleep: the test goes on once the port accepts, and fails if the emulator exits first.
  // Between tries the loop waits a little, so that it does not take the CPU the emulator needs to start.
  const deadline = Date.now() + 60_000;
  while (!(await accepts(port))) {
    if (exited) throw new Error("Azurite exited before it listened");
    if (Date.now() > deadline) {
      // The caller gets no `stop` to call: the emulator that never listened goes now.
      stop();
      throw new Error("Azurite did not listen within 60 s");
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { endpoint: `${scheme}://127.0.0.1:${port}/devstoreaccount1`, stop };
}
