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
  if ([...name].length > MAX_BLOB_NAME_CHARS) bad("it is longer than 1,024 characters");
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) bad("it contains a control character");
  if (name.split("/").some((s) => s === "." || s === "..")) bad("it contains a '.' or '..' path segment");
}

/** Percent-encodes a blob name for a path: everything but `A-Z a-z 0-9 - . _ ~ /`. */
export function encodeBlobPath(name: string): string {
  return encodeURIComponent(name)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, "/");
}

/** The URL of a container under `endpoint`. */
export function containerUrl(endpoint: URL, container: string): URL {
  validateContainerName(container);
  const base = endpoint.pathname.replace(/\/+$/, "");
  return new URL(`${endpoint.origin}${base}/${container}`);
}

/** The URL of a blob under `endpoint`, the name percent-encoded. */
export function blobUrl(endpoint: URL, container: string, blob: string): URL {
  validateBlobName(blob);
  const url = containerUrl(endpoint, container);
  return new URL(`${url.origin}${url.pathname}/${encodeBlobPath(blob)}`);
}
