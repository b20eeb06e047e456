// Shared pieces of request builders and response parsers.

import { createHash } from "node:crypto";
import { invalidInput, invalidResponse } from "../errors/kinds.js";
import type { Request } from "../wire/request.js";
import { parseHttpDate } from "./http-date.js";
import type { ContentHeaders, Metadata } from "./models.js";

/** Sets a header whose value must be printable ASCII (headers carry nothing else). */
export function setHeader(request: Request, name: string, value: string): void {
  if (!/^[\t\x20-\x7e]*$/.test(value)) {
    throw invalidInput(`the value for ${name} must be printable ASCII (headers carry nothing else)`);
  }
  request.headers.set(name, value);
}

/** Adds a query pair. */
export function addQuery(request: Request, name: string, value: string): void {
  request.url.searchParams.append(name, value);
}

/** Sets `x-ms-meta-*`; names are checked, and names differing only in case are refused (one would be lost). */
export function setMetadata(request: Request, metadata: Metadata): void {
  for (const [name, value] of Object.entries(metadata)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw invalidInput(
        `invalid metadata name ${JSON.stringify(name)}: names are letters, digits and '_', not starting with a digit`,
      );
    }
    if (!/^[\x20-\x7e]*$/.test(value)) {
      throw invalidInput(`invalid metadata value for ${JSON.stringify(name)}: values must be printable ASCII`);
    }
    const header = `x-ms-meta-${name.toLowerCase()}`;
    if (request.headers.has(header)) {
      throw invalidInput(
        `metadata names differ only in case (${JSON.stringify(name)} and another): the service keeps one of them`,
      );
    }
    request.headers.set(header, value.trim());
  }
}

/** Sets the `x-ms-blob-*` content headers that are given. */
export function setContentHeaders(request: Request, content: ContentHeaders): void {
  // One test per header rather than a list of pairs: most writes give none of them.
  if (content.contentType !== undefined) setHeader(request, "x-ms-blob-content-type", content.contentType);
  if (content.contentEncoding !== undefined) setHeader(request, "x-ms-blob-content-encoding", content.contentEncoding);
  if (content.contentLanguage !== undefined) setHeader(request, "x-ms-blob-content-language", content.contentLanguage);
  if (content.contentDisposition !== undefined) {
    setHeader(request, "x-ms-blob-content-disposition", content.contentDisposition);
  }
  if (content.cacheControl !== undefined) setHeader(request, "x-ms-blob-cache-control", content.cacheControl);
  if (content.contentMd5 !== undefined) {
    if (content.contentMd5.length !== 16) throw invalidInput("a Content-MD5 must be 16 bytes");
    setHeader(request, "x-ms-blob-content-md5", Buffer.from(content.contentMd5).toString("base64"));
  }
}

/** The MD5 of `data`. */
export function md5(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("md5").update(data).digest());
}

/** A required header, else `InvalidResponseError`. */
export function required(headers: Map<string, string>, name: string): string {
  const value = headers.get(name);
  if (value === undefined) throw invalidResponse(`the response has no ${name} header`);
  return value;
}

/** The ETag, which must be present and non-empty. */
export function etag(headers: Map<string, string>): string {
  const value = required(headers, "etag");
  if (value.trim() === "") throw invalidResponse("the response's ETag header is empty");
  return value;
}

/** An HTTP date header, if present. */
export function date(headers: Map<string, string>, name: string): Date | undefined {
  const value = headers.get(name);
  if (value === undefined) return undefined;
  const ms = parseHttpDate(value);
  if (Number.isNaN(ms)) throw invalidResponse(`the ${name} header is not an HTTP date: ${JSON.stringify(value)}`);
  return new Date(ms);
}

/** A decimal number header, if present. */
export function num(headers: Map<string, string>, name: string): number | undefined {
  const value = headers.get(name);
  if (value === undefined) return undefined;
  if (!/^\s*\d+\s*$/.test(value)) throw invalidResponse(`the ${name} header is not a number: ${JSON.stringify(value)}`);
  return Number(value.trim());
}

/** A base64 MD5 header, if present. */
export function md5Header(headers: Map<string, string>, name: string): Uint8Array | undefined {
  const value = headers.get(name)?.trim();
  if (value === undefined) return undefined;
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(value) || value.length % 4 !== 0) {
    throw invalidResponse(`the ${name} header is not base64: ${JSON.stringify(value)}`);
  }
  return new Uint8Array(Buffer.from(value, "base64"));
}

/** The `x-ms-meta-*` headers as metadata. */
export function metadataOf(headers: Map<string, string>): Metadata {
  const out: Metadata = {};
  // `forEach` with a module callback: no iterator and no entry array per header of the answer.
  headers.forEach(addMetadata, out);
  return out;
}

function addMetadata(this: Metadata, value: string, name: string): void {
  if (name.startsWith("x-ms-meta-")) this[name.slice(10)] = value;
}
