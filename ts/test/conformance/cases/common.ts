// Helpers the per-topic conformance cases share (the suite's own are private to suite.ts).

import assert from "node:assert/strict";
import { AzblobError } from "../../../src/index.js";

/** An ETag no blob has. */
export const STALE = '"0x8D000000000DEAD"';

/** UTF-8 text of bytes. */
export const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");

/** The error a promise rejects with, which must be an `AzblobError`. */
export async function rejects(promise: Promise<unknown>): Promise<AzblobError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AzblobError, `an AzblobError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a rejection");
}

/** Every item of an async iterable. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
