// URL redaction of SAS signatures and passwords (Rust `redact/mod.rs`).

/** What replaces a secret in printed text and in recordings. */
export const REDACTED = "REDACTED";

const SECRET_QUERY_PARAMS = ["sig", "se_sig", "skoid_sig"];

function isSecretPair(key: string, value: string): boolean {
  return SECRET_QUERY_PARAMS.includes(key.toLowerCase()) || value.toLowerCase().includes("sig=");
}

/** The URL as text with secret query values (a signature, or a nested URL's) and any password redacted. */
export function redactUrl(url: URL): string {
  const pairs = [...url.searchParams];
  const hasPassword = url.password !== "";
  if (!hasPassword && !pairs.some(([k, v]) => isSecretPair(k, v))) return url.href;
  const out = new URL(url.href);
  if (hasPassword) out.password = REDACTED;
  if (out.search) {
    const params = new URLSearchParams();
    for (const [k, v] of pairs) params.append(k, isSecretPair(k, v) ? REDACTED : v);
    out.search = params.toString();
  }
  return out.href;
}

/** `text`, a URL given as text, redacted as {@link redactUrl} does; unparsable text loses its whole query. */
export function redactUrlText(text: string): string {
  try {
    return redactUrl(new URL(text));
  } catch {
    const at = text.indexOf("?");
    return at < 0 ? text : `${text.slice(0, at)}?${REDACTED}`;
  }
}
