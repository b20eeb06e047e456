// List Blobs: one page of a container's blobs and virtual directories.
// https://learn.microsoft.com/rest/api/storageservices/list-blobs

import { isUtf8 } from "node:buffer";
import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { redactUrlText } from "../redact/url.js";
import { newRequest, type Request } from "../wire/request.js";
import { parseHttpDate } from "./http-date.js";
import type { BlobItem, CopyState, ListBlobsPage, ListItem } from "./list-models.js";
import { parseAccessTier } from "./models.js";
import { addQuery } from "./request-util.js";
import { childOf, scanXml, type XmlElement, XmlScanError } from "./xml-scan.js";

/** The most entries one page may ask for. */
export const MAX_LIST_RESULTS = 5000;

/** What else a listing includes. */
export interface ListInclude {
  metadata?: boolean;
  snapshots?: boolean;
  versions?: boolean;
  deleted?: boolean;
  tags?: boolean;
  copy?: boolean;
  uncommittedBlobs?: boolean;
}

/** Options of a listing: a prefix, a delimiter (virtual directories), a page size, inclusions. */
export interface ListBlobsOptions {
  prefix?: string;
  delimiter?: string;
  maxResults?: number;
  include?: ListInclude;
}

function includeQuery(include: ListInclude = {}): string | undefined {
  const names: Array<[boolean | undefined, string]> = [
    [include.copy, "copy"],
    [include.deleted, "deleted"],
    [include.metadata, "metadata"],
    [include.snapshots, "snapshots"],
    [include.tags, "tags"],
    [include.uncommittedBlobs, "uncommittedblobs"],
    [include.versions, "versions"],
  ];
  const chosen = names.filter(([on]) => on).map(([, name]) => name);
  return chosen.length > 0 ? chosen.join(",") : undefined;
}

/** Builds List Blobs for one page after `marker`; a read, so idempotent. */
export function buildListBlobsRequest(containerUrl: URL, options: ListBlobsOptions = {}, marker?: string): Request {
  const request = newRequest("ListBlobs", "GET", containerUrl);
  addQuery(request, "restype", "container");
  addQuery(request, "comp", "list");
  if (options.prefix) addQuery(request, "prefix", options.prefix);
  if (options.delimiter !== undefined) {
    if (options.delimiter === "") throw invalidInput("a listing delimiter cannot be empty");
    addQuery(request, "delimiter", options.delimiter);
  }
  if (marker) addQuery(request, "marker", marker);
  if (options.maxResults !== undefined) {
    const max = options.maxResults;
    if (!Number.isInteger(max) || max < 1 || max > MAX_LIST_RESULTS) {
      throw invalidInput(`maxResults must be 1 to ${MAX_LIST_RESULTS}, got ${max}`);
    }
    addQuery(request, "maxresults", String(max));
  }
  const include = includeQuery(options.include);
  if (include) addQuery(request, "include", include);
  request.idempotent = true;
  // 5,000 entries with names of up to 1,024 characters and metadata stay well under it.
  request.maxResponseBytes = MAX_LIST_PAGE_BYTES;
  return request;
}

/** The largest List Blobs page read. */
export const MAX_LIST_PAGE_BYTES = 32 * 1024 * 1024;

/** A text element, empty elements (`<Content-Encoding />`) as absent. */
function field(node: XmlElement | undefined, name: string): string | undefined {
  const value = childOf(node, name)?.text;
  return value === undefined || value.trim() === "" ? undefined : value;
}

function bool(node: XmlElement | undefined, name: string): boolean | undefined {
  const value = field(node, name)?.trim();
  if (value === undefined) return undefined;
  if (value !== "true" && value !== "false") throw invalidResponse(`${name} in a listing is not a boolean: ${value}`);
  return value === "true";
}

function date(value: string | undefined, what: string): Date | undefined {
  if (value === undefined) return undefined;
  const ms = parseHttpDate(value);
  if (Number.isNaN(ms)) throw invalidResponse(`${what} in a listing is not an HTTP date: ${JSON.stringify(value)}`);
  return new Date(ms);
}

function nameOf(node: XmlElement): string {
  const name = childOf(node, "Name");
  const text = name?.text ?? "";
  if (name?.attributes?.Encoded !== "true") return text;
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalidResponse(`the encoded name ${JSON.stringify(text)} is not UTF-8`);
  }
}

function convertBlob(node: XmlElement): BlobItem {
  const p = childOf(node, "Properties");
  const lengthText = field(p, "Content-Length");
  if (lengthText !== undefined && !/^\s*\d+\s*$/.test(lengthText)) {
    throw invalidResponse(`Content-Length in a listing is not a number: ${JSON.stringify(lengthText)}`);
  }
  const md5 = field(p, "Content-MD5")?.trim();
  if (md5 !== undefined && !/^[A-Za-z0-9+/]*={0,2}$/.test(md5)) {
    throw invalidResponse(`Content-MD5 ${JSON.stringify(md5)} is not base64`);
  }
  const copyId = field(p, "CopyId");
  const copyStatus = field(p, "CopyStatus");
  let copy: CopyState | undefined;
  if (copyId !== undefined && copyStatus !== undefined) {
    const progressText = field(p, "CopyProgress");
    let progress: [number, number] | undefined;
    if (progressText !== undefined) {
      const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(progressText);
      if (!m) throw invalidResponse(`malformed copy progress ${JSON.stringify(progressText)}`);
      progress = [Number(m[1]), Number(m[2])];
    }
    const source = field(p, "CopySource");
    copy = {
      id: copyId,
      status: copyStatus,
      progress,
      source: source === undefined ? undefined : redactUrlText(source),
      statusDescription: field(p, "CopyStatusDescription"),
      completedOn: date(field(p, "CopyCompletionTime"), "CopyCompletionTime"),
    };
  }
  const etag = field(p, "Etag");
  const tier = field(p, "AccessTier");
  let accessTier: string | undefined;
  try {
    accessTier = tier === undefined ? undefined : parseAccessTier(tier);
  } catch {
    accessTier = undefined;
  }
  const metadata: Record<string, string> = {};
  for (const m of childOf(node, "Metadata")?.children ?? []) metadata[m.name] = m.text;
  const tags: Record<string, string> = {};
  for (const t of childOf(childOf(node, "Tags"), "TagSet")?.children ?? []) {
    if (t.name === "Tag") tags[childOf(t, "Key")?.text ?? ""] = childOf(t, "Value")?.text ?? "";
  }
  return {
    kind: "blob",
    name: nameOf(node),
    snapshot: field(node, "Snapshot"),
    versionId: field(node, "VersionId"),
    isCurrentVersion: bool(node, "IsCurrentVersion"),
    deleted: bool(node, "Deleted") ?? false,
    contentLength: lengthText === undefined ? 0 : Number(lengthText.trim()),
    // Listings carry the ETag without quotes; headers carry it with them. Quote it so both compare equal.
    etag: etag === undefined ? undefined : etag.startsWith('"') ? etag : `"${etag}"`,
    lastModified: date(field(p, "Last-Modified"), "Last-Modified"),
    createdOn: date(field(p, "Creation-Time"), "Creation-Time"),
    content: {
      contentType: field(p, "Content-Type"),
      contentEncoding: field(p, "Content-Encoding"),
      contentLanguage: field(p, "Content-Language"),
      contentDisposition: field(p, "Content-Disposition"),
      cacheControl: field(p, "Cache-Control"),
      contentMd5: md5 === undefined ? undefined : new Uint8Array(Buffer.from(md5, "base64")),
    },
    blobType: field(p, "BlobType"),
    accessTier,
    accessTierInferred: bool(p, "AccessTierInferred") ?? false,
    archiveStatus: field(p, "ArchiveStatus"),
    metadata,
    tags,
    copy,
  };
}

/** Parses one List Blobs page, keeping blobs and prefixes in the order sent. */
export function parseListBlobsResponse(body: Uint8Array): ListBlobsPage {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  // isUtf8 (simdutf) then toString is several times faster than a fatal TextDecoder on a page of 5,000.
  if (!isUtf8(bytes)) throw invalidResponse("the List Blobs answer is not UTF-8");
  let text = bytes.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let root: XmlElement;
  try {
    root = scanXml(text);
  } catch (err) {
    if (!(err instanceof XmlScanError)) throw err;
    throw invalidResponse(`the List Blobs answer is not the documented XML: ${err.message}`);
  }
  if (root.name !== "EnumerationResults") {
    throw invalidResponse("the List Blobs answer is not the documented XML: no EnumerationResults");
  }
  const items: ListItem[] = [];
  for (const entry of childOf(root, "Blobs")?.children ?? []) {
    if (entry.name === "Blob") items.push(convertBlob(entry));
    else if (entry.name === "BlobPrefix") items.push({ kind: "prefix", name: nameOf(entry) });
  }
  return { items, nextMarker: field(root, "NextMarker") };
}
