// The canonical query of a recorded request (docs/cassette-format.md, `request.query`).

import { compareBytes } from "../auth/shared-key.js";

/** Percent-encodes every byte but `A-Z a-z 0-9 - . _ ~`, upper-case hex. */
export function encodeStrict(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The pairs of a query decoded as `application/x-www-form-urlencoded`. */
export function decodeQuery(query: string): Array<[string, string]> {
  return [...new URLSearchParams(query)];
}

/**
 * Decodes, drops `sig` (the key in any case), passes each value through
 * `mapValue` (the sanitizer), sorts by key then value (byte order), encodes
 * strictly and joins with `&`.
 */
export function canonicalQuery(search: string, mapValue: (value: string) => string = (v) => v): string {
  return decodeQuery(search.replace(/^\?/, ""))
    .filter(([k]) => k.toLowerCase() !== "sig")
    .map(([k, v]): [string, string] => [k, mapValue(v)])
    .sort(([ka, va], [kb, vb]) => compareBytes(ka, kb) || compareBytes(va, vb))
    .map(([k, v]) => `${encodeStrict(k)}=${encodeStrict(v)}`)
    .join("&");
}
