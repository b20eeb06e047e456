// The conformance cases' type and deterministic payloads, in a module of
// their own so the per-topic case files (cases/) and the suite that gathers
// them import it without importing each other.

import type { BlobServiceClient, ContainerClient } from "../../src/index.js";

/** A case: the client (for another container) and the case's own container. */
export type Case = (client: BlobServiceClient, container: ContainerClient) => Promise<void>;

/** The Rust test kit's deterministic pseudo-random bytes (xorshift64), so both suites send the same payloads. */
export function data(len: number, seed: bigint): Uint8Array {
  const mask = (1n << 64n) - 1n;
  let state = ((seed * 0x9e3779b97f4a7c15n) & mask) | 1n;
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) {
    state ^= (state << 13n) & mask;
    state ^= state >> 7n;
    state ^= (state << 17n) & mask;
    out[i] = Number(state & 0xffn);
  }
  return out;
}

/** Printable text from {@link data}: `a` plus each byte modulo 26. */
export function letters(len: number, seed: bigint): string {
  return String.fromCharCode(...[...data(len, seed)].map((b) => 97 + (b % 26)));
}
