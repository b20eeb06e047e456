// CredentialScope: the hosts a client's credential may be sent to. A key, a
// SAS or a token belongs to the account it was configured for; a request for
// any other host is refused before anything is sent. Bearer tokens may be
// trusted to other accounts on Azure's own storage hosts, if the user says so.

import { invalidInput } from "../errors/kinds.js";
import { origin, portOrDefault } from "../net.js";
import type { Credential } from "./credential.js";

/** Azure's own blob-storage host suffixes, the only ones a token may be trusted to. */
export const AZURE_STORAGE_SUFFIXES = [
  "blob.core.windows.net",
  "blob.core.chinacloudapi.cn",
  "blob.core.usgovcloudapi.net",
  "blob.storage.azure.net",
] as const;

/** Where a client's credential may be sent. */
export class CredentialScope {
  readonly endpoint: URL;
  readonly trustedSuffixes: readonly string[];

  /**
   * `{origin}{base path}` of the endpoint as its href spells it: a URL whose
   * href starts with it, then a `/` (or nothing, `?` or `#` right after a
   * base path), is covered, read with no part of the URL taken apart.
   */
  readonly #hrefPrefix: string;
  readonly #hasBase: boolean;
  /** The endpoint's href the prefix was made from (the prefix is used only while it still is). */
  readonly #endpointHref: string;

  constructor(endpoint: URL, trustedSuffixes: readonly string[] = []) {
    this.endpoint = new URL(endpoint.href);
    this.trustedSuffixes = trustedSuffixes;
    const base = this.endpoint.pathname.replace(/\/+$/, "");
    this.#hrefPrefix = `${this.endpoint.protocol}//${this.endpoint.host}${base}`;
    this.#hasBase = base !== "";
    this.#endpointHref = this.endpoint.href;
  }

  /** Also trusts `https://` hosts under these Azure suffixes with a bearer token (never a key or a SAS). */
  trustSuffixes(suffixes: Iterable<string>): CredentialScope {
    const all = [...this.trustedSuffixes];
    for (const s of suffixes) {
      const suffix = normalizeSuffix(s);
      if (!all.includes(suffix)) all.push(suffix);
    }
    return new CredentialScope(this.endpoint, all);
  }

  /** Whether `url` has the endpoint's scheme, host and port, and a path at or below the endpoint's. */
  covers(url: URL): boolean {
    // The common case, a URL of this endpoint with no user name, is told from its href alone.
    const href = url.href;
    const prefix = this.#hrefPrefix;
    if (href.startsWith(prefix) && this.endpoint.href === this.#endpointHref) {
      const next = href.charCodeAt(prefix.length);
      // "/" (47) always; after a base path also the end, "?" (63) or "#" (35).
      if (next === 47 || (this.#hasBase && (Number.isNaN(next) || next === 63 || next === 35))) return true;
    }
    const base = this.endpoint.pathname.replace(/\/+$/, "");
    const path = url.pathname;
    const underBase = base === "" || path === base || path.startsWith(`${base}/`);
    return (
      url.protocol === this.endpoint.protocol &&
      url.hostname === this.endpoint.hostname &&
      portOrDefault(url) === portOrDefault(this.endpoint) &&
      underBase
    );
  }

  /** Whether a bearer token may go to `url` although it is not under the endpoint. */
  trustsWithToken(url: URL): boolean {
    const host = url.hostname.toLowerCase();
    return (
      url.protocol === "https:" &&
      portOrDefault(url) === 443 &&
      this.trustedSuffixes.some((suffix) => host.endsWith(`.${suffix}`))
    );
  }

  /** Throws `InvalidInputError` (nothing sent) if `credential` must not be attached to a request for `url`. */
  check(credential: Credential, url: URL): void {
    let allowed: boolean;
    switch (credential.kind) {
      case "anonymous":
        allowed = true;
        break;
      case "token":
        allowed = this.covers(url) || this.trustsWithToken(url);
        break;
      default:
        allowed = this.covers(url);
    }
    if (allowed) return;
    const hint =
      credential.kind === "token" ? " (trust other Azure storage hosts with a token through trustedSuffixes)" : "";
    throw invalidInput(
      `refusing to send the ${credential.kind} credential of ${origin(this.endpoint)} to ${origin(url)}${hint}`,
    );
  }
}

function normalizeSuffix(text: string): string {
  const suffix = text.trim().replace(/^\*\./, "").replace(/^\.+/, "").toLowerCase();
  if (AZURE_STORAGE_SUFFIXES.some((known) => suffix === known || suffix.endsWith(`.${known}`))) return suffix;
  throw invalidInput(
    `${JSON.stringify(text)} is not an Azure storage host suffix; a bearer token may only be trusted to ${AZURE_STORAGE_SUFFIXES.join(", ")}`,
  );
}
