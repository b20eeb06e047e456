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
  // `forEach` with a module-level callback walks the headers without an iterator or entry arrays.
  request.headers.forEach(checkSignableHeader);
}

function checkSignableHeader(value: string, name: string): void {
  const signed = name.startsWith("x-ms-") || SIGNED_STANDARD_HEADERS.includes(name);
  if (signed && !/^[\t\x20-\x7e]*$/.test(value)) {
    throw invalidInput(`the ${name} header holds characters other than printable ASCII, so it cannot be sent signed`);
  }
}

/**
 * The `x-ms-` header names of the request being signed, the first
 * `xmsCount` of them. One array serves every call: `stringToSign` is
 * synchronous and blanks what it used before returning, so signing allocates
 * no list of names (the array keeps its length, so it does not grow again).
 */
const xmsNames: string[] = [];
let xmsCount = 0;

function collectXmsName(_value: string, name: string): void {
  if (name.startsWith("x-ms-")) xmsNames[xmsCount++] = name;
}

/**
 * The Shared Key string-to-sign (version 2009-09-19 and later). The
 * canonicalized resource is `/{account}{encoded path}`; for a path-style
 * emulator URL the account appears twice, as the emulator expects.
 */
export function stringToSign(request: Request, account: string): string {
  const headers = request.headers;
  // Content-Length is empty, not "0", for an empty body (version 2015-02-21 and later).
  const length = request.body.length;
  // One template for the fixed lines; the Date line is empty since the library always sends x-ms-date.
  let out =
    `${request.method}\n${headers.get("content-encoding") ?? ""}\n${headers.get("content-language") ?? ""}\n` +
    `${length === 0 ? "" : length}\n${headers.get("content-md5") ?? ""}\n${headers.get("content-type") ?? ""}\n\n` +
    `${headers.get("if-modified-since") ?? ""}\n${headers.get("if-match") ?? ""}\n` +
    `${headers.get("if-none-match") ?? ""}\n${headers.get("if-unmodified-since") ?? ""}\n${headers.get("range") ?? ""}\n`;
  // The canonicalized headers: a request carries a handful, so an insertion
  // sort in place with an allocation-free comparison does.
  const names = xmsNames;
  xmsCount = 0;
  try {
    headers.forEach(collectXmsName);
    const count = xmsCount;
    for (let i = 1; i < count; i++) {
      const name = names[i] as string;
      let j = i - 1;
      while (j >= 0 && compareHeaderNames(names[j] as string, name) > 0) {
        names[j + 1] = names[j] as string;
        j--;
      }
      names[j + 1] = name;
    }
    for (let i = 0; i < count; i++) {
      const name = names[i] as string;
      out += `${name}:${(headers.get(name) ?? "").trim()}\n`;
    }
  } finally {
    for (let i = 0; i < xmsCount; i++) names[i] = "";
    xmsCount = 0;
  }
  const url = request.url;
  out += `/${account}${url.pathname}`;
  // Most requests (Put Blob, Get Blob) have no query: nothing to canonicalize.
  if (url.search === "") return out;
  const params = new Map<string, string[]>();
  for (const [key, value] of url.searchParams) {
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

/**
 * Byte order of two strings' UTF-8 encodings (the order Rust's `str::cmp`
 * gives). UTF-8 orders as code points, and UTF-16 code units below the
 * surrogates order the same way, so only a difference at or after a
 * surrogate needs the encodings themselves.
 */
export function compareBytes(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
  }
  // One is a prefix of the other, unless the common part ends inside a surrogate pair.
  const last = n > 0 ? a.charCodeAt(n - 1) : 0;
  if (last >= 0xd800 && last <= 0xdfff) return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
  return a.length - b.length;
}

/**
 * Orders header names as the service does: a culture-aware collation where a
 * hyphen is ignored at first and an underscore sorts before digits and
 * letters; byte order breaks ties. Both names are walked in place (code point
 * by code point, hyphens skipped), so no list of weights is built.
 */
export function compareHeaderNames(a: string, b: string): number {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && a.charCodeAt(i) === 45) i++;
    while (j < b.length && b.charCodeAt(j) === 45) j++;
    const endA = i >= a.length;
    const endB = j >= b.length;
    // Equal weights as far as the shorter goes: fewer weights first, then bytes.
    if (endA || endB) return endA && endB ? compareBytes(a, b) : endA ? -1 : 1;
    const ca = a.codePointAt(i) as number;
    const cb = b.codePointAt(j) as number;
    const d = collationWeight(ca) - collationWeight(cb);
    if (d !== 0) return d;
    i += ca > 0xffff ? 2 : 1;
    j += cb > 0xffff ? 2 : 1;
  }
}

/**
 * A character's collation weight: `_` before digits before letters. The
 * weight of a character beyond U+FFFF is its first UTF-16 unit's, as it was
 * when weights were lists; any code that high weighs 255 either way.
 */
function collationWeight(codePoint: number): number {
  const code = codePoint > 0xffff ? 0xd800 : codePoint;
  // An underscore (95) weighs least.
  if (code === 95) return 1;
  if (code >= 48 && code <= 57) return 10 + code - 48;
  if (code >= 97 && code <= 122) return 30 + code - 97;
  return Math.min(255, 100 + code);
}
