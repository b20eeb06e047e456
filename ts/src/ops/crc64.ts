// Azure's transactional CRC64 (CRC-64/NVME: polynomial 0xAD93D23594C93659,
// reflected, initial and final value all ones), sent as `x-ms-content-crc64`
// with a write and returned by a ranged read of at most 4 MiB asked with
// `x-ms-range-get-content-crc64: true`: the base64 of the value's eight
// bytes, little-endian. Slice-by-8 tables over two 32-bit halves, so no
// BigInt arithmetic runs per byte.
// https://learn.microsoft.com/rest/api/storageservices/put-block#request-headers

import { invalidResponse } from "../errors/kinds.js";
import type { Request } from "../wire/request.js";

/** The longest range a read may ask the CRC64 of (4 MiB), as documented. */
export const MAX_CRC64_RANGE = 4 * 1024 * 1024;

/** The polynomial reflected (0x9A6C9329AC4BC9B5), as low and high 32-bit halves. */
const POLY_LO = 0xac4bc9b5;
const POLY_HI = 0x9a6c9329;

/** Tables `[k][byte]` as low and high halves: table 0 is the byte-wise table, table k advances k more zero bytes. */
const LO: Uint32Array[] = [];
const HI: Uint32Array[] = [];
{
  const lo0 = new Uint32Array(256);
  const hi0 = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let lo = n;
    let hi = 0;
    for (let bit = 0; bit < 8; bit++) {
      const carry = lo & 1;
      lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
      hi >>>= 1;
      if (carry) {
        lo = (lo ^ POLY_LO) >>> 0;
        hi = (hi ^ POLY_HI) >>> 0;
      }
    }
    lo0[n] = lo;
    hi0[n] = hi;
  }
  LO.push(lo0);
  HI.push(hi0);
  for (let k = 1; k < 8; k++) {
    const prevLo = LO[k - 1] as Uint32Array;
    const prevHi = HI[k - 1] as Uint32Array;
    const lo = new Uint32Array(256);
    const hi = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      const pl = prevLo[n] as number;
      const ph = prevHi[n] as number;
      const idx = pl & 0xff;
      // (prev >> 8) ^ T0[prev & 0xff]
      lo[n] = ((((pl >>> 8) | (ph << 24)) >>> 0) ^ (lo0[idx] as number)) >>> 0;
      hi[n] = ((ph >>> 8) ^ (hi0[idx] as number)) >>> 0;
    }
    LO.push(lo);
    HI.push(hi);
  }
}

/** A running CRC64 over bytes fed in order. */
export class Crc64 {
  // The register, inverted (initial value all ones).
  #lo = 0xffffffff;
  #hi = 0xffffffff;

  /** Feeds the next bytes. */
  update(bytes: Uint8Array): this {
    let lo = this.#lo;
    let hi = this.#hi;
    let i = 0;
    const n = bytes.length;
    const [l0, l1, l2, l3, l4, l5, l6, l7] = LO as [
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
    ];
    const [h0, h1, h2, h3, h4, h5, h6, h7] = HI as [
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
      Uint32Array,
    ];
    for (; i + 8 <= n; i += 8) {
      const a =
        (lo ^
          ((bytes[i] as number) |
            ((bytes[i + 1] as number) << 8) |
            ((bytes[i + 2] as number) << 16) |
            ((bytes[i + 3] as number) << 24))) >>>
        0;
      const b =
        (hi ^
          ((bytes[i + 4] as number) |
            ((bytes[i + 5] as number) << 8) |
            ((bytes[i + 6] as number) << 16) |
            ((bytes[i + 7] as number) << 24))) >>>
        0;
      lo =
        ((l7[a & 0xff] as number) ^
          (l6[(a >>> 8) & 0xff] as number) ^
          (l5[(a >>> 16) & 0xff] as number) ^
          (l4[a >>> 24] as number) ^
          (l3[b & 0xff] as number) ^
          (l2[(b >>> 8) & 0xff] as number) ^
          (l1[(b >>> 16) & 0xff] as number) ^
          (l0[b >>> 24] as number)) >>>
        0;
      hi =
        ((h7[a & 0xff] as number) ^
          (h6[(a >>> 8) & 0xff] as number) ^
          (h5[(a >>> 16) & 0xff] as number) ^
          (h4[a >>> 24] as number) ^
          (h3[b & 0xff] as number) ^
          (h2[(b >>> 8) & 0xff] as number) ^
          (h1[(b >>> 16) & 0xff] as number) ^
          (h0[b >>> 24] as number)) >>>
        0;
    }
    for (; i < n; i++) {
      const idx = (lo ^ (bytes[i] as number)) & 0xff;
      lo = ((((lo >>> 8) | (hi << 24)) >>> 0) ^ (l0[idx] as number)) >>> 0;
      hi = ((hi >>> 8) ^ (h0[idx] as number)) >>> 0;
    }
    this.#lo = lo;
    this.#hi = hi;
    return this;
  }

  /** The CRC64 of everything fed so far. */
  value(): bigint {
    return (BigInt(~this.#hi >>> 0) << 32n) | BigInt(~this.#lo >>> 0);
  }
}

/** The CRC64 of `bytes`. */
export function crc64(bytes: Uint8Array): bigint {
  return new Crc64().update(bytes).value();
}

/** The header form: base64 of the eight little-endian bytes. */
export function crc64Header(crc: bigint): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt.asUintN(64, crc));
  return b.toString("base64");
}

/** Sets `x-ms-content-crc64` on a write, which the service checks against the body it receives. */
export function setContentCrc64(request: Request, crc: bigint): void {
  request.headers.set("x-ms-content-crc64", crc64Header(crc));
}

/** Asks a ranged read for its CRC64 (`x-ms-range-get-content-crc64: true`). */
export function askRangeCrc64(request: Request): void {
  request.headers.set("x-ms-range-get-content-crc64", "true");
}

/** The `x-ms-content-crc64` of an answer, if it has one; anything but the base64 of eight bytes is an invalid response. */
export function parseContentCrc64(headers: Map<string, string>): bigint | undefined {
  const value = headers.get("x-ms-content-crc64")?.trim();
  if (value === undefined) return undefined;
  const ok = /^[A-Za-z0-9+/]{11}=$/.test(value);
  if (!ok) throw invalidResponse("x-ms-content-crc64 is not the base64 of 8 bytes");
  return Buffer.from(value, "base64").readBigUInt64LE(0);
}
