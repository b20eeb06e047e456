// Shared Key authorization: the documented string-to-sign and its HMAC-SHA256.
// https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key

import { createHmac } from "node:crypto";
import { inspect } from "node:util";
import { invalidInput } from "../errors/kinds.js";
import { Secret } from "../redact/secret.js";
import type { Request } from "../wire/request.js";
import { decodeBase64Strict } from "./base64.js";

const decodedKeys = new WeakMap<SharedKeyCredential, Uint8Array>();

/** An account name and its base64 account key; it shows the account name only. */
export class SharedKeyCredential {
  /** The storage account name. */
  readonly account: string;
  /** The base64 account key; keep it out of logs. */
  readonly key: Secret;

  /**
   * A credential for `account` with the base64 `key` from the portal. Throws
   * `InvalidInputError` for a key that is not base64; the message never repeats it.
   */
  constructor(account: string, key: string) {
    // Emulators accept more than the service's names, so only what a header cannot carry is refused.
    if (!/^[A-Za-z0-9_-]+$/.test(account)) {
      throw invalidInput(`invalid storage account name ${JSON.stringify(account)}`);
    }
    const decoded = decodeBase64Strict(key.trim());
    if (decoded === undefined) throw invalidInput("the account key is not valid base64");
    if (decoded.length === 0) throw invalidInput("the account key is empty");
    this.account = account;
    this.key = new Secret(key);
    decodedKeys.set(this, decoded);
  }

  /** Base64 HMAC-SHA256 of `stringToSign` under the account key. */
  sign(stringToSign: string): string {
    return createHmac("sha256", decodedKeys.get(this) ?? new Uint8Array())
      .update(stringToSign, "utf8")
      .digest("base64");
  }

  /**
   * Adds `Authorization: SharedKey account:signature` to a request that
   * already carries its `x-ms-date` and `x-ms-version`. Throws
   * `InvalidInputError`, unsigned, if a signed header is not printable ASCII.
   */
  authorize(request: Request): void {
    checkSignable(request);
    const signature = this.sign(stringToSign(request, this.account));
    request.headers.set("authorization", `SharedKey ${this.account}:${signature}`);
  }

  toJSON(): object {
    return { account: this.account, key: this.key };
  }

  [inspect.custom](): string {
    return `SharedKeyCredential { account: ${JSON.stringify(this.account)}, key: Secret(***) }`;
  }
}

/** The standard headers the string-to-sign covers, in their documented order. */
const SIGNED_STANDARD_HEADERS = [
  "content-encoding",
  "content-language",
  "content-md5",
  "content-type",
  "if-modified-since",
  "if-match",
  "if-none-match",
  "if-unmodified-since",
  "range",
];

/** Refuses a signed header whose value is not printable ASCII: the string-to-sign cannot hold it. */
function checkSignable(request: Request): void {
  for (const [name, value] of request.headers) {
    const signed = name.startsWith("x-ms-") || SIGNED_STANDARD_HEADERS.includes(name);
    if (signed && !/^[\t\x20-\x7e]*$/.test(value)) {
      throw invalidInput(`the ${name} header holds characters other than printable ASCII, so it cannot be sent signed`);
    }
  }
}

/**
 * The Shared Key string-to-sign (version 2009-09-19 and later). The
 * canonicalized resource is `/{account}{encoded path}`; for a path-style
 * emulator URL the account appears twice, as the emulator expects.
 */
export function stringToSign(request: Request, account: string): string {
  const h = (name: string): string => request.headers.get(name) ?? "";
  // Content-Length is empty, not "0", for an empty body (version 2015-02-21 and later).
  const contentLength = request.body.length === 0 ? "" : String(request.body.length);
  const parts = [
    request.method,
    h("content-encoding"),
    h("content-language"),
    contentLength,
    h("content-md5"),
    h("content-type"),
    "", // Date: the library always sends x-ms-date instead.
    h("if-modified-since"),
    h("if-match"),
    h("if-none-match"),
    h("if-unmodified-since"),
    h("range"),
  ];
  let out = parts.map((p) => `${p}\n`).join("");
  // Each name's collation weights are worked out once, not in every comparison of the sort.
  const names = [...request.headers.keys()]
    .filter((k) => k.startsWith("x-ms-"))
    .map((name) => ({ name, weights: collationWeights(name) }))
    .sort((a, b) => compareWeighted(a.name, a.weights, b.name, b.weights));
  for (const { name } of names) out += `${name}:${h(name).trim()}\n`;
  out += `/${account}${request.url.pathname}`;
  const params = new Map<string, string[]>();
  for (const [key, value] of request.url.searchParams) {
    const name = key.toLowerCase();
    const values = params.get(name);
    if (values) values.push(value);
    else params.set(name, [value]);
  }
  for (const name of [...params.keys()].sort(compareBytes)) {
    out += `\n${name}:${(params.get(name) ?? []).sort(compareBytes).join(",")}`;
  }
  return out;
}

/** Byte order of two strings (the order Rust's `str::cmp` gives). */
export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/**
 * Orders header names as the service does: a culture-aware collation where a
 * hyphen is ignored at first and an underscore sorts before digits and
 * letters; byte order breaks ties.
 */
export function compareHeaderNames(a: string, b: string): number {
  return compareWeighted(a, collationWeights(a), b, collationWeights(b));
}

/** A header name's collation weights: hyphens left out, `_` before digits before letters. */
function collationWeights(s: string): number[] {
  const weights: number[] = [];
  // By code point, as the service's collation sees characters.
  for (const c of s) {
    const code = c.charCodeAt(0);
    // A hyphen (45) weighs nothing, an underscore (95) least.
    if (code === 45) continue;
    if (code === 95) {
      weights.push(1);
    } else if (code >= 48 && code <= 57) {
      weights.push(10 + code - 48);
    } else if (code >= 97 && code <= 122) {
      weights.push(30 + code - 97);
    } else {
      weights.push(Math.min(255, 100 + code));
    }
  }
  return weights;
}

/** Orders two names by their weights, then the shorter first, then by bytes. */
function compareWeighted(a: string, wa: number[], b: string, wb: number[]): number {
  for (let i = 0; i < Math.min(wa.length, wb.length); i++) {
    const d = (wa[i] ?? 0) - (wb[i] ?? 0);
    if (d !== 0) return d;
  }
  if (wa.length !== wb.length) return wa.length - wb.length;
  return compareBytes(a, b);
}
