// The checkpoint of a resumable block copy (`azblob-copy-checkpoint/1`, the
// Rust library's format). Like an upload's, it is written before the first
// block is staged, so a killed copy can continue: the same session id gives
// the same block ids, and Get Block List tells which of them the service
// already holds. It records the source's ETag and size, so a resumed copy
// never mixes blocks of two versions of its source. Read back from disk it is
// untrusted input, checked field by field.

import { randomBytes } from "node:crypto";
import { readFile, rename, rm, writeFile } from "node:fs/promises";
import { errorOfKind, invalidInput } from "../errors/kinds.js";
import { MAX_BLOCK_BYTES, MAX_BLOCKS } from "../ops/block-blob.js";

const FORMAT = "azblob-copy-checkpoint/1";
/** The longest session id: with `-` and six digits of block index it stays within 64 bytes of block id. */
const MAX_SESSION_ID_LEN = 48;

/** A saved block copy session; the field names are the Rust checkpoint's. */
export interface CopyCheckpoint {
  format: string;
  /** The destination blob's URL without credentials. */
  blob: string;
  /** The source's URL without credentials (a snapshot or version kept). */
  source: string;
  /** The source's ETag when the copy started. */
  source_etag: string;
  /** The source's size when the copy started. */
  source_size: number;
  block_size: number;
  block_count: number;
  session_id: string;
}

/** A new checkpoint. */
export function newCopyCheckpoint(
  blob: string,
  source: string,
  sourceEtag: string,
  sourceSize: number,
  blockSize: number,
  sessionId: string,
): CopyCheckpoint {
  return {
    format: FORMAT,
    blob,
    source,
    source_etag: sourceEtag,
    source_size: sourceSize,
    block_size: blockSize,
    block_count: Math.ceil(sourceSize / Math.max(1, blockSize)),
    session_id: sessionId,
  };
}

function fail(field: string, reason: string): never {
  throw new Error(`${field}: ${reason}`);
}

function count(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) fail(field, "not a non-negative integer");
  return value;
}

function httpUrl(value: unknown, field: string): string {
  if (typeof value !== "string") fail(field, "missing");
  try {
    const url = new URL(value);
    if (url.protocol === "http:" || url.protocol === "https:") return value;
  } catch {
    // Reported below.
  }
  fail(field, "not an http(s) URL");
}

/** Parses and validates a checkpoint's text; the error names the field. */
export function parseCopyCheckpoint(text: string): CopyCheckpoint {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    fail("json", `not a copy checkpoint: ${(err as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("json", "not a copy checkpoint");
  const known = ["format", "blob", "source", "source_etag", "source_size", "block_size", "block_count", "session_id"];
  for (const key of Object.keys(raw)) if (!known.includes(key)) fail("json", `unknown field ${key}`);
  if (raw.format !== FORMAT) fail("format", `${JSON.stringify(raw.format)}, expected ${JSON.stringify(FORMAT)}`);
  const c: CopyCheckpoint = {
    format: FORMAT,
    blob: httpUrl(raw.blob, "blob"),
    source: httpUrl(raw.source, "source"),
    source_etag: typeof raw.source_etag === "string" ? raw.source_etag : fail("source_etag", "missing"),
    source_size: count(raw.source_size, "source_size"),
    block_size: count(raw.block_size, "block_size"),
    block_count: count(raw.block_count, "block_count"),
    session_id: typeof raw.session_id === "string" ? raw.session_id : fail("session_id", "missing"),
  };
  if (!/^[\x21-\x7e]+$/.test(c.source_etag)) fail("source_etag", "not an ETag");
  if (c.block_size < 1 || c.block_size > MAX_BLOCK_BYTES) {
    fail("block_size", `${c.block_size} is not between 1 and ${MAX_BLOCK_BYTES} bytes`);
  }
  const needed = Math.ceil(c.source_size / c.block_size);
  if (c.block_count !== needed || c.block_count > MAX_BLOCKS) {
    fail(
      "block_count",
      `${c.block_count} blocks, but ${c.source_size} bytes make ${needed} of ${c.block_size} (at most ${MAX_BLOCKS})`,
    );
  }
  if (!new RegExp(`^[A-Za-z0-9_-]{1,${MAX_SESSION_ID_LEN}}$`).test(c.session_id)) {
    fail("session_id", `must be 1 to ${MAX_SESSION_ID_LEN} ASCII letters, digits, '-' or '_'`);
  }
  return c;
}

/** The checkpoint as the Rust library writes it (serde_json's pretty form). */
export function serializeCopyCheckpoint(c: CopyCheckpoint): string {
  return JSON.stringify(c, undefined, 2);
}

/** The checkpoint at `path`, undefined if there is none; a malformed one is an `InvalidInputError` naming the field. */
export async function loadCopyCheckpoint(path: string): Promise<CopyCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return undefined;
    throw errorOfKind("Io", {
      message: `cannot read ${path}: ${(err as Error).message}`,
      operation: "ReadCheckpoint",
      cause: err,
    });
  }
  try {
    return parseCopyCheckpoint(text);
  } catch (err) {
    throw invalidInput(
      `the checkpoint ${path} is not a valid copy checkpoint: ${(err as Error).message}; delete it to start over`,
    );
  }
}

/** Writes the checkpoint through a temporary file renamed into place. */
export async function saveCopyCheckpoint(path: string, c: CopyCheckpoint): Promise<void> {
  const tmp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(tmp, serializeCopyCheckpoint(c), { mode: 0o600 });
  await rename(tmp, path);
}

/** Removes the checkpoint after the commit. */
export async function removeCopyCheckpoint(path: string): Promise<void> {
  await rm(path, { force: true });
}

/** Fails if the checkpoint belongs to another copy, or if its source changed since (then `SourceChangedError`). */
export function checkCopyMatches(
  c: CopyCheckpoint,
  blob: string,
  source: string,
  etag: string,
  size: number,
  path: string,
): void {
  const refuse = (kind: "InvalidInput" | "SourceChanged", what: string): never => {
    throw errorOfKind(kind, { message: `cannot resume from ${path}: ${what}; delete it to start over` });
  };
  if (c.blob !== blob) refuse("InvalidInput", `it belongs to another blob (${c.blob})`);
  if (c.source !== source) refuse("InvalidInput", `it copies another source (${c.source})`);
  if (c.source_etag !== etag || c.source_size !== size) {
    refuse(
      "SourceChanged",
      `the source changed since the copy started (ETag ${c.source_etag} and ${c.source_size} bytes, now ${etag} and ${size} bytes)`,
    );
  }
}
