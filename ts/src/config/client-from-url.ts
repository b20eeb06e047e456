// A client straight from a URL (Rust `config/client_from_url.rs`): the
// builder's `fromUrl`, then the container and blob the URL names. A URL that
// selects a snapshot or version is refused: a client addresses the current blob.

import type { BlobClient } from "../client/blob-client.js";
import type { ContainerClient } from "../client/container-client.js";
import { invalidInput } from "../errors/kinds.js";
import { redactUrlText } from "../redact/url.js";
import { BlobUrl } from "./blob-url.js";
import { ClientBuilder } from "./client-builder.js";

function parseCurrent(url: string): BlobUrl {
  const parsed = BlobUrl.parse(url);
  if (parsed.selector.snapshot !== undefined || parsed.selector.versionId !== undefined) {
    throw invalidInput(
      `${redactUrlText(url)} selects a snapshot or version; a client addresses the current blob (pass the selector to an Opts operation)`,
    );
  }
  return parsed;
}

/** The client of the blob a URL names, with the URL's SAS if it has one. */
export function blobClientFromUrl(url: string): BlobClient {
  const parsed = parseCurrent(url);
  if (parsed.container === undefined || parsed.blob === undefined) {
    throw invalidInput(`${redactUrlText(url)} names no blob`);
  }
  return ClientBuilder.fromUrl(url).build().blob(parsed.container, parsed.blob);
}

/** The client of the container a URL names, with the URL's SAS if it has one. */
export function containerClientFromUrl(url: string): ContainerClient {
  const parsed = parseCurrent(url);
  if (parsed.container === undefined) throw invalidInput(`${redactUrlText(url)} names no container`);
  return ClientBuilder.fromUrl(url).build().container(parsed.container);
}
