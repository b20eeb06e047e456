// BlobUrl: an account, container or blob URL split into the endpoint, the
// names below it and the SAS it carries (Rust `config/blob_url.rs`).

import { inspect } from "node:util";
import { invalidInput } from "../errors/kinds.js";
import type { BlobSelector } from "../ops/selector.js";
import { Secret } from "../redact/secret.js";
import { redactUrlText } from "../redact/url.js";

/**
 * A Blob service URL taken apart. Host-style, `https://ACCOUNT.blob.SUFFIX/C/B`
 * on any suffix; path-style, every other host (emulators, custom domains),
 * the account being the path's first segment.
 */
export class BlobUrl {
  /** The account's blob endpoint. */
  readonly endpoint: URL;
  readonly account: string;
  readonly container: string | undefined;
  /** The blob's name, percent-decoded, `/` kept. */
  readonly blob: string | undefined;
  /** The query when it is a SAS (it has a `sig`), without `snapshot` and `versionid`. */
  readonly sas: Secret | undefined;
  readonly selector: BlobSelector;

  private constructor(fields: {
    endpoint: URL;
    account: string;
    container: string | undefined;
    blob: string | undefined;
    sas: Secret | undefined;
    selector: BlobSelector;
  }) {
    this.endpoint = fields.endpoint;
    this.account = fields.account;
    this.container = fields.container;
    this.blob = fields.blob;
    this.sas = fields.sas;
    this.selector = fields.selector;
  }

  /** Parses an account, container or blob URL; throws `InvalidInputError` (the URL shown without its signature). */
  static parse(text: string): BlobUrl {
    const shown = (): string => redactUrlText(text);
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw invalidInput(`invalid URL ${shown()}`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw invalidInput(`${shown()} is not an http:// or https:// URL`);
    }
    if (url.username !== "" || url.password !== "" || url.hash !== "" || text.includes("#")) {
      throw invalidInput(`${shown()} carries a user name, password or fragment, which a blob URL never has`);
    }
    const raw = url.pathname.split("/").slice(1);
    const rawSegments = raw.length === 1 && raw[0] === "" ? [] : raw;
    let segments: string[];
    try {
      segments = rawSegments.map((s) => decodeUtf8Strict(s));
    } catch {
      throw invalidInput(`${shown()}: the path is not UTF-8 once decoded`);
    }
    const hostAccount = hostStyleAccount(url.hostname);
    let endpoint: URL;
    let account: string;
    let names: string[];
    if (hostAccount !== undefined) {
      endpoint = new URL(`${url.protocol}//${url.host}/`);
      account = hostAccount;
      names = segments;
    } else {
      const [first, ...rest] = segments;
      if (first === undefined || first === "") throw invalidInput(`${shown()} names no account`);
      endpoint = new URL(`${url.protocol}//${url.host}/${rawSegments[0]}`);
      account = first;
      names = rest;
    }
    const container = names[0] === "" ? undefined : names[0];
    const blobName = container === undefined ? "" : names.slice(1).join("/");
    const { sas, selector } = splitQuery(url);
    return new BlobUrl({ endpoint, account, container, blob: blobName === "" ? undefined : blobName, sas, selector });
  }

  [inspect.custom](): string {
    return `BlobUrl ${inspect({ endpoint: this.endpoint.href, account: this.account, container: this.container, blob: this.blob, sas: this.sas, selector: this.selector })}`;
  }
}

/** Percent-decodes a segment, refusing bytes that are not UTF-8 (U+FFFD would name another blob). */
function decodeUtf8Strict(segment: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === "%" && /^[0-9A-Fa-f]{2}$/.test(segment.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(segment.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c ?? "", "utf8")) bytes.push(b);
    }
  }
  return new TextDecoder("utf-8", { fatal: true }).decode(new Uint8Array(bytes));
}

/** The account of a host-style host, `ACCOUNT.blob.SUFFIX`. */
function hostStyleAccount(host: string): string | undefined {
  const first = host.indexOf(".");
  if (first <= 0) return undefined;
  const second = host.indexOf(".", first + 1);
  if (second < 0 || second === host.length - 1) return undefined;
  const service = host.slice(first + 1, second);
  return service.toLowerCase() === "blob" ? host.slice(0, first) : undefined;
}

function splitQuery(url: URL): { sas: Secret | undefined; selector: BlobSelector } {
  const selector: BlobSelector = {};
  const rest = new URLSearchParams();
  let hasSig = false;
  let selects = false;
  for (const [key, value] of url.searchParams) {
    if (key === "snapshot") {
      selector.snapshot = value;
      selects = true;
    } else if (key === "versionid") {
      selector.versionId = value;
      selects = true;
    } else {
      hasSig ||= key === "sig";
      rest.append(key, value);
    }
  }
  // Without a selector the query is kept as written, so the SAS is the exact text that was signed.
  let sas: Secret | undefined;
  if (hasSig) sas = new Secret(selects ? rest.toString() : url.search.slice(1));
  return { sas, selector };
}
