// Sanitizing at record time (docs/cassette-format.md, "Sanitizing"): the
// recording holds each request as sent, minus every secret.

import { REDACTED } from "../redact/url.js";

/** Request headers never recorded. */
export const DROPPED_REQUEST_HEADERS = [
  "authorization",
  "x-ms-date",
  "x-ms-client-request-id",
  "user-agent",
  "host",
  "content-length",
  "x-ms-copy-source-authorization",
];

/** Hop-by-hop response headers never recorded. */
export const DROPPED_RESPONSE_HEADERS = ["connection", "keep-alive", "transfer-encoding"];

/** Headers that are a credential as a whole. */
const CREDENTIAL_HEADERS = ["x-ms-encryption-key", "x-ms-source-encryption-key", "proxy-authorization"];

/** Where a signature's or a named key's value ends. */
const VALUE_END = "&\\s\"'<>#;,\\\\)\\]}\\x00-\\x1f";

const BEARER = /(?<![A-Za-z0-9_])(bearer[ \t]+)([A-Za-z0-9\-._~+/]+=*)(?![A-Za-z0-9\-._~+/=])/gi;
const SIG = new RegExp(`(^|[^A-Za-z0-9_]|%26|%3F)(sig(?:=|%3D))((?:(?!%26)[^${VALUE_END}])*)`, "gi");
const JWT = /(?<![A-Za-z0-9_\-.])eyJ[A-Za-z0-9_-]*(?:\.[A-Za-z0-9_-]*){2,}/g;
const ACCOUNT_KEY = /(?<![A-Za-z0-9+/])[A-Za-z0-9+/]+={1,2}(?![A-Za-z0-9+/=])/g;
const NAMED_KEY = new RegExp(
  `(?<![A-Za-z0-9_-])(x-ms-encryption-key|x-ms-source-encryption-key|AccountKey)(?![A-Za-z0-9_-])([ \\t]*[:=][ \\t]*)([^${VALUE_END}]*)`,
  "gi",
);
const SHARED_KEY = /(?<![A-Za-z0-9_])(SharedKey(?:Lite)?[ \t]+[^\s:]+:)([A-Za-z0-9+/=]+)/gi;
const DELEGATION_VALUE = /(<Value>)[^<]*(<\/Value>)/g;

/** `text` with every secret shape of the spec's step 3 redacted. */
export function redactText(text: string): string {
  return text
    .replace(JWT, (m) => (m.length >= 16 ? REDACTED : m))
    .replace(BEARER, (_m, head: string) => `${head}${REDACTED}`)
    .replace(SIG, (_m, before: string, name: string) => `${before}${name}${REDACTED}`)
    .replace(NAMED_KEY, (_m, name: string, sep: string) => `${name}${sep}${REDACTED}`)
    .replace(SHARED_KEY, (_m, head: string) => `${head}${REDACTED}`)
    .replace(ACCOUNT_KEY, (m) => (m.length >= 86 && m.length <= 88 ? REDACTED : m));
}

/** A header value sanitized: credential headers whole, bearer values, then the text shapes. */
export function sanitizeHeader(name: string, value: string): string {
  if (CREDENTIAL_HEADERS.includes(name)) return REDACTED;
  if (/^bearer /i.test(value)) return `Bearer ${REDACTED}`;
  return redactText(value);
}

/**
 * Redacts what record time must never keep; with an account placeholder, also
 * replaces the account name (and puts it back into replayed responses).
 */
export class Sanitizer {
  readonly #account: [string, string] | undefined;

  constructor(account?: [name: string, placeholder: string]) {
    this.#account = account && account[0] !== "" && account[0] !== account[1] ? account : undefined;
  }

  #place(text: string): string {
    return this.#account ? text.split(this.#account[0]).join(this.#account[1]) : text;
  }

  /** A path or query value: secrets redacted, the account replaced. */
  text(text: string): string {
    return this.#place(redactText(text));
  }

  /** A header value. */
  header(name: string, value: string): string {
    return this.#place(sanitizeHeader(name, value));
  }

  /** A text body. */
  body(text: string): string {
    return this.#place(sanitizeBody(text));
  }

  /** Replayed text with the account name put back. */
  restore(text: string): string {
    return this.#account ? text.split(this.#account[1]).join(this.#account[0]) : text;
  }
}

/** A text body sanitized; a user delegation key's `<Value>` loses its content. */
export function sanitizeBody(text: string): string {
  const redacted = redactText(text);
  return redacted.includes("<UserDelegationKey>") ? redacted.replace(DELEGATION_VALUE, `$1${REDACTED}$2`) : redacted;
}
