// Resumable uploads: the checkpoint file (`azblob-upload-checkpoint/2`, the
// Rust library's format: 64-bit numbers written as JSON numbers in full) and
// the source file's identity, validated field by field as untrusted input.

import { randomBytes } from "node:crypto";
import type { BigIntStats } from "node:fs";
import { mkdir, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, isAbsolute } from "node:path";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import { MAX_BLOCK_BYTES, MAX_BLOCKS } from "../ops/block-blob.js";

const FORMAT = "azblob-upload-checkpoint/2";
const MAX_SESSION_ID_LEN = 48;

/** What identifies a source file: a change between reading and committing, or before a resume, is refused. */
export interface SourceIdentity {
  path: string;
  size: bigint;
  modified_ns: bigint;
  device: bigint;
  inode: bigint;
  /** The inode change time, `[seconds, nanoseconds]`. */
  changed: [bigint, bigint];
}

/** An upload's checkpoint. */
export interface Checkpoint {
  format: string;
  blob: string;
  source: SourceIdentity;
  block_size: bigint;
  block_count: bigint;
  session_id: string;
}

/** The identity of the file at `path` now. */
export async function identityOf(path: string): Promise<SourceIdentity> {
  let s: BigIntStats;
  try {
    s = await stat(path, { bigint: true });
  } catch (err) {
    throw errorOfKind("Io", { message: `cannot read ${path}: ${(err as Error).message}`, cause: err });
  }
  const ctime = s.ctimeNs;
  return {
    path: await realpath(path),
    size: s.size,
    modified_ns: s.mtimeNs,
    device: s.dev,
    inode: s.ino,
    changed: [ctime / 1_000_000_000n, ctime % 1_000_000_000n],
  };
}

/** What differs between two identities, or `undefined`. */
export function difference(before: SourceIdentity, now: SourceIdentity): string | undefined {
  if (before.size !== now.size) return "its size differs";
  if (before.modified_ns !== now.modified_ns) return "its modification time differs";
  if (before.device !== now.device || before.inode !== now.inode) return "it was replaced by another file";
  if (before.changed[0] !== now.changed[0] || before.changed[1] !== now.changed[1]) {
    return "its inode change time differs: it was rewritten or its attributes changed";
  }
  return undefined;
}

/** A new checkpoint. */
export function newCheckpoint(blob: string, source: SourceIdentity, blockSize: number, sessionId: string): Checkpoint {
  const bs = BigInt(blockSize);
  return {
    format: FORMAT,
    blob,
    source,
    block_size: bs,
    block_count: (source.size + bs - 1n) / bs,
    session_id: sessionId,
  };
}

/** The checkpoint as JSON, 64-bit numbers in full. */
export function serializeCheckpoint(c: Checkpoint): string {
  const json = JSON.stringify(c, (_k, v: unknown) => (typeof v === "bigint" ? `__big__${v}` : v), 2);
  return `${json.replace(/"__big__(-?\d+)"/g, "$1")}\n`;
}

function fail(field: string, reason: string): never {
  throw new Error(`${field}: ${reason}`);
}

function big(value: unknown, field: string): bigint {
  if (typeof value !== "string" || !/^-?\d+$/.test(value)) fail(field, "not an integer");
  return BigInt(value);
}

/** Parses and validates a checkpoint; the error names the field. */
export function parseCheckpoint(text: string): Checkpoint {
  // 64-bit numbers are read as text, so no precision is lost.
  const quoted = text.replace(/("(?:modified_ns|device|inode|size|block_size|block_count)"\s*:\s*)(-?\d+)/g, '$1"$2"');
  const withChanged = quoted.replace(/("changed"\s*:\s*\[)\s*(-?\d+)\s*,\s*(-?\d+)\s*\]/, '$1"$2","$3"]');
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(withChanged) as Record<string, unknown>;
  } catch (err) {
    fail("json", `not a checkpoint: ${(err as Error).message}`);
  }
  if (raw.format !== FORMAT) fail("format", `${JSON.stringify(raw.format)}, expected ${JSON.stringify(FORMAT)}`);
  const known = ["format", "blob", "source", "block_size", "block_count", "session_id"];
  for (const key of Object.keys(raw)) if (!known.includes(key)) fail("json", `unknown field ${key}`);
  const s = raw.source as Record<string, unknown> | undefined;
  if (!s || typeof s !== "object") fail("source", "missing");
  if (typeof s.path !== "string" || !isAbsolute(s.path)) fail("source.path", "not an absolute path");
  const changed = s.changed as unknown[] | undefined;
  if (!Array.isArray(changed) || changed.length !== 2) fail("source.changed", "not [seconds, nanoseconds]");
  const c: Checkpoint = {
    format: FORMAT,
    blob: typeof raw.blob === "string" ? raw.blob : fail("blob", "missing"),
    source: {
      path: s.path,
      size: big(s.size, "source.size"),
      modified_ns: big(s.modified_ns, "source.modified_ns"),
      device: big(s.device, "source.device"),
      inode: big(s.inode, "source.inode"),
      changed: [big(changed[0], "source.changed"), big(changed[1], "source.changed")],
    },
    block_size: big(raw.block_size, "block_size"),
    block_count: big(raw.block_count, "block_count"),
    session_id: typeof raw.session_id === "string" ? raw.session_id : fail("session_id", "missing"),
  };
  let url: URL;
  try {
    url = new URL(c.blob);
  } catch {
    fail("blob", "not a URL");
  }
  if ((url.protocol !== "http:" && url.protocol !== "https:") || url.search !== "") {
    fail("blob", "not an http(s) blob URL without a query");
  }
  if (c.block_size < 1n || c.block_size > BigInt(MAX_BLOCK_BYTES)) {
    fail("block_size", `${c.block_size} is not between 1 and ${MAX_BLOCK_BYTES} bytes (4000 MiB)`);
  }
  const needed = (c.source.size + c.block_size - 1n) / c.block_size;
  if (c.block_count !== needed) {
    fail("block_count", `${c.block_count} blocks, but ${c.source.size} bytes make ${needed} of ${c.block_size}`);
  }
  if (c.block_count > BigInt(MAX_BLOCKS)) fail("block_count", `${c.block_count} exceeds the limit of ${MAX_BLOCKS}`);
  if (!new RegExp(`^[A-Za-z0-9_-]{1,${MAX_SESSION_ID_LEN}}$`).test(c.session_id)) {
    fail("session_id", `must be 1 to ${MAX_SESSION_ID_LEN} ASCII letters, digits, '-' or '_'`);
  }
  return c;
}

/** The checkpoint at `path`, `undefined` if there is none; a malformed one is an `InvalidInputError` naming the field. */
export async function loadCheckpoint(path: string): Promise<Checkpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw errorOfKind("Io", { message: `cannot read ${path}: ${(err as Error).message}`, cause: err });
  }
  try {
    return parseCheckpoint(text);
  } catch (err) {
    throw invalidInput(
      `the checkpoint ${path} is not a valid upload checkpoint: ${(err as Error).message}; delete it to start over`,
    );
  }
}

/** Writes the checkpoint through a temporary file renamed into place, creating its directory as the Rust library does. */
export async function saveCheckpoint(path: string, c: Checkpoint): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, serializeCheckpoint(c), { mode: 0o600 });
  await rename(tmp, path);
}

/** Removes the checkpoint after a commit. */
export async function removeCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Refuses a checkpoint of another blob or file, or of a file that changed since. */
export function checkMatches(c: Checkpoint, blob: string, source: SourceIdentity, path: string): void {
  const refuse = (kind: "InvalidInput" | "SourceChanged", what: string): never => {
    throw errorOfKind(kind, { message: `cannot resume from ${path}: ${what}; delete it to start over` });
  };
  if (c.blob !== blob) refuse("InvalidInput", `it belongs to another blob (${c.blob})`);
  if (c.source.path !== source.path) refuse("InvalidInput", `it belongs to another file (${c.source.path})`);
  const what = difference(c.source, source);
  if (what) refuse("SourceChanged", `the source file changed since the upload started (${what})`);
}
