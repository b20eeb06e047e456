/** Decodes strict, padded standard base64 (as Rust's `STANDARD` engine); `undefined` for anything else. */
export function decodeBase64Strict(text: string): Uint8Array | undefined {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return undefined;
  const bytes = Buffer.from(text, "base64");
  // Non-canonical trailing bits would decode, but not round-trip: refuse them as Rust does.
  if (bytes.toString("base64") !== text) return undefined;
  return new Uint8Array(bytes);
}
