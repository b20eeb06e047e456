// Names of accounts, containers and blobs, checked before any request is built.

import { invalidInput } from "../errors/kinds.js";

const MAX_BLOB_NAME_CHARS = 1024;

/**
 * Checks a storage account name as the service defines it: 3 to 24 lowercase
 * letters and digits. It becomes part of a host name, so anything else (a dot,
 * a slash) would send requests, and the credential, to another host.
 */
export function validateAccountName(name: string): void {
  if (!/^[a-z0-9]{3,24}$/.test(name)) {
    throw invalidInput(
      `invalid storage account name ${JSON.stringify(name)}: account names are 3 to 24 lowercase letters and digits ` +
        "(set the endpoint explicitly for an emulator or a custom domain)",
    );
  }
}

/** Checks a container name: 3 to 63 lowercase letters, digits and single hyphens; or `$root`, `$logs`, `$web`. */
export function validateContainerName(name: string): void {
  if (name === "$root" || name === "$logs" || name === "$web") return;
  const ok = /^[a-z0-9-]{3,63}$/.test(name) && !name.startsWith("-") && !name.endsWith("-") && !name.includes("--");
  if (!ok) {
    throw invalidInput(
      `invalid container name ${JSON.stringify(name)}: container names are 3 to 63 characters of lowercase letters, ` +
        "digits and single hyphens, starting and ending with a letter or digit",
    );
  }
}

/** Checks a blob name: 1 to 1,024 characters, no control characters, no `.` or `..` segments. */
export function validateBlobName(name: string): void {
  const bad = (why: string): never => {
    throw invalidInput(`invalid blob name ${JSON.stringify(name)}: ${why}`);
  };
  if (name === "") bad("it is empty");
  // A name has no more characters than UTF-16 units, so only a long one needs counting.
  if (name.length > MAX_BLOB_NAME_CHARS && [...name].length > MAX_BLOB_NAME_CHARS) {
    bad("it is longer than 1,024 characters");
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) bad("it contains a control character");
  if (hasDotSegment(name)) bad("it contains a '.' or '..' path segment");
}

/** Whether a `/`-separated segment of `name` is `.` or `..`, found in place (no array of segments). */
function hasDotSegment(name: string): boolean {
  let start = 0;
  for (;;) {
    const slash = name.indexOf("/", start);
    const end = slash === -1 ? name.length : slash;
    const dots = end - start;
    if (dots === 1 || dots === 2) {
      if (name.charCodeAt(start) === 46 && (dots === 1 || name.charCodeAt(start + 1) === 46)) return true;
    }
    if (slash === -1) return false;
    start = slash + 1;
  }
}

/** Percent-encodes a blob name for a path: everything but `A-Z a-z 0-9 - . _ ~ /`. */
export function encodeBlobPath(name: string): string {
  // Most names need no escape at all: then the name is its own encoding.
  if (/^[A-Za-z0-9._~/-]*$/.test(name)) return name;
  return encodeURIComponent(name)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, "/");
}

/**
 * The last container URL text worked out, by the endpoint's href and the
 * container's name: clients ask for the same container over and over, and the
 * text depends on nothing else, so it is checked and built once for them.
 */
let lastEndpointHref = "";
let lastContainer = "";
let lastContainerText = "";

/** `{origin}{endpoint path}/{container}` for a checked container name. */
function containerText(endpoint: URL, container: string): string {
  const href = endpoint.href;
  if (href === lastEndpointHref && container === lastContainer) return lastContainerText;
  validateContainerName(container);
  const base = endpoint.pathname.replace(/\/+$/, "");
  const text = `${endpoint.origin}${base}/${container}`;
  lastEndpointHref = href;
  lastContainer = container;
  lastContainerText = text;
  return text;
}

/** The URL of a container under `endpoint`. */
export function containerUrl(endpoint: URL, container: string): URL {
  return new URL(containerText(endpoint, container));
}

/**
 * The URL of a blob under `endpoint`, the name percent-encoded. A container
 * name needs no escape, so the container URL's text is the blob URL's
 * prefix and one parse does.
 */
export function blobUrl(endpoint: URL, container: string, blob: string): URL {
  return new URL(blobUrlText(endpoint, container, blob));
}

/** {@link blobUrl} as text, for a request that parses it once as its own URL. */
export function blobUrlText(endpoint: URL, container: string, blob: string): string {
  validateBlobName(blob);
  return `${containerText(endpoint, container)}/${encodeBlobPath(blob)}`;
}
