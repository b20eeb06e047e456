// The client's seeded randomness (upload session ids, hence block ids): the
// same generator as Rust's `fastrand::Rng` 2.x (WyRand), so both languages
// derive the same session ids from a cassette's seed. The algorithm is in
// docs/cassette-format.md ("Seeded session ids").

import { randomBytes } from "node:crypto";

const MASK = (1n << 64n) - 1n;
const WY_CONST_0 = 0x2d358dccaa6c78a5n;
const WY_CONST_1 = 0x8bb84b93962eacc9n;

/** WyRand over a 64-bit state. */
export class SeededRng {
  #state: bigint;

  constructor(seed: bigint) {
    this.#state = seed & MASK;
  }

  /** A generator seeded from the operating system's randomness. */
  static fresh(): SeededRng {
    return new SeededRng(randomBytes(8).readBigUInt64BE());
  }

  /** The next 64-bit number: `s += C0; t = s * (s ^ C1) (128-bit); t_low ^ t_high`. */
  nextU64(): bigint {
    this.#state = (this.#state + WY_CONST_0) & MASK;
    const s = this.#state;
    const t = s * (s ^ WY_CONST_1);
    return (t & MASK) ^ (t >> 64n);
  }

  /** A new upload session id: the next number as 16 lower-case hex digits. */
  newSessionId(): string {
    return this.nextU64().toString(16).padStart(16, "0");
  }
}

/** The block id of block `index` of an upload session: base64 of `{session}-{index:06}`. */
export function blockId(sessionId: string, index: number): string {
  return Buffer.from(`${sessionId}-${String(index).padStart(6, "0")}`, "utf8").toString("base64");
}
