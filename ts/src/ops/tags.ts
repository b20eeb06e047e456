// Blob index tags: the `Tags` type and its checks, Get Blob Tags and Set Blob Tags.
// https://learn.microsoft.com/rest/api/storageservices/get-blob-tags
// https://learn.microsoft.com/rest/api/storageservices/set-blob-tags

import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { newRequest, type Request, type Response } from "../wire/request.js";
import { type Accepted, applyAccepted, type Conditions } from "./conditions.js";
import { addQuery, setHeader } from "./request-util.js";
import { applySelector, type BlobSelector } from "./selector.js";
import { child, parseOrdered, tagOf, tagSetOf } from "./tags-xml.js";

/**
 * A blob's index tags: key to value. Every operation that sends tags checks
 * them first, as the service does: at most {@link MAX_TAGS} tags, keys of 1
 * to 128 and values of 0 to 256 characters, each an ASCII letter or digit, a
 * space or one of `+ - . / : = _`. Keys and values are case-sensitive.
 */
export type Tags = Record<string, string>;

/** The most index tags one blob may have. */
export const MAX_TAGS = 10;
/** The longest tag key, in characters. */
export const MAX_TAG_KEY_CHARS = 128;
/** The longest tag value, in characters. */
export const MAX_TAG_VALUE_CHARS = 256;

const ALLOWED = /^[A-Za-z0-9 +\-./:=_]$/;

/** The tags in key order (the order Rust's `BTreeMap` sends them in; keys are ASCII). */
export function sortedTags(tags: Tags): Array<[string, string]> {
  return Object.entries(tags).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Checks `tags` as the service would, so a bad set fails before it is sent (the service's 400 names no tag). */
export function validateTags(tags: Tags): void {
  const entries = Object.entries(tags);
  if (entries.length > MAX_TAGS) {
    throw invalidInput(`a blob holds at most ${MAX_TAGS} index tags, got ${entries.length}`);
  }
  for (const [key, value] of entries) {
    if (key.length === 0 || key.length > MAX_TAG_KEY_CHARS) {
      throw invalidInput(`the tag key ${JSON.stringify(key)} must be 1 to ${MAX_TAG_KEY_CHARS} characters long`);
    }
    if (typeof value !== "string" || value.length > MAX_TAG_VALUE_CHARS) {
      throw invalidInput(`the value of tag ${JSON.stringify(key)} is longer than ${MAX_TAG_VALUE_CHARS} characters`);
    }
    const bad = [...key, ...value].find((c) => !ALLOWED.test(c));
    if (bad !== undefined) {
      throw invalidInput(
        `the tag ${JSON.stringify(key)} holds ${JSON.stringify(bad)}: tags allow letters, digits, space and + - . / : = _ only`,
      );
    }
  }
}

/** Percent-encodes all but the URL's unreserved characters, so space, `+ / : = &` survive the header's query syntax. */
function escapeTag(s: string): string {
  return [...Buffer.from(s, "utf8")]
    .map((b) => {
      const c = String.fromCharCode(b);
      return /[A-Za-z0-9\-._~]/.test(c) ? c : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
    })
    .join("");
}

/** Sets `x-ms-tags` for a write that creates a blob (Put Blob, Put Block List, a copy); an empty set sends nothing. */
export function setTagsHeader(request: Request, tags: Tags | undefined): void {
  if (tags === undefined || Object.keys(tags).length === 0) return;
  validateTags(tags);
  const value = sortedTags(tags)
    .map(([k, v]) => `${escapeTag(k)}=${escapeTag(v)}`)
    .join("&");
  setHeader(request, "x-ms-tags", value);
}

/** What Get Blob Tags and Set Blob Tags accept among the conditions: the lease and a tag condition. */
export const TAGS_ACCEPT: Accepted = { etagAndDates: false, lease: true, tags: true };

/** Builds Get Blob Tags for the current blob, a snapshot or a version; a read, so idempotent. */
export function buildGetTagsRequest(url: URL, selector: BlobSelector = {}, conditions: Conditions = {}): Request {
  const request = newRequest("GetBlobTags", "GET", url);
  addQuery(request, "comp", "tags");
  applySelector(request.url, selector);
  applyAccepted(request, conditions, TAGS_ACCEPT, "Get Blob Tags");
  request.idempotent = true;
  return request;
}

/** Builds Set Blob Tags, replacing all of the blob's tags with `tags` (an empty set removes them all). */
export function buildSetTagsRequest(
  url: URL,
  tags: Tags,
  selector: BlobSelector = {},
  conditions: Conditions = {},
): Request {
  validateTags(tags);
  const request = newRequest("SetBlobTags", "PUT", url);
  addQuery(request, "comp", "tags");
  applySelector(request.url, selector);
  applyAccepted(request, conditions, TAGS_ACCEPT, "Set Blob Tags");
  setHeader(request, "content-type", "application/xml; charset=UTF-8");
  // The allowed characters need no XML escaping (no `<`, `>`, `&` or quotes).
  const body = sortedTags(tags)
    .map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`)
    .join("");
  request.body = new TextEncoder().encode(
    `<?xml version="1.0" encoding="utf-8"?><Tags><TagSet>${body}</TagSet></Tags>`,
  );
  // The whole set is replaced, so a repeat leaves the same tags; a tag
  // condition the new tags no longer meet would fail the repeat.
  request.idempotent = conditions.ifTags === undefined;
  return request;
}

/** Checks Set Blob Tags' answer (204 No Content). */
export function checkSetTagsResponse(response: Response): void {
  if (response.status !== 204 && response.status !== 200) {
    throw invalidResponse(`Set Blob Tags answered HTTP ${response.status}`);
  }
}

/** Parses Get Blob Tags' XML body, keeping each key and value as sent (spaces at either end included). */
export function parseTagsBody(body: Uint8Array): Tags {
  const root = parseOrdered(body, "Get Blob Tags").find((n) => tagOf(n) === "Tags");
  if (root === undefined) throw invalidResponse("the Get Blob Tags answer is not the documented XML: no <Tags>");
  return tagSetOf(child(root, "TagSet"), "Get Blob Tags");
}
