// Find Blobs by Tags: the blobs whose index tags match an expression, in a
// container or across the account.
// https://learn.microsoft.com/rest/api/storageservices/find-blobs-by-tags
// https://learn.microsoft.com/rest/api/storageservices/find-blobs-by-tags-container

import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { newRequest, type Request } from "../wire/request.js";
import { MAX_LIST_PAGE_BYTES, MAX_LIST_RESULTS } from "./list-blobs.js";
import { addQuery } from "./request-util.js";
import type { Tags } from "./tags.js";
import { child, children, parseOrdered, tagOf, tagSetOf, textOf } from "./tags-xml.js";

/** Options of Find Blobs by Tags. */
export interface FindBlobsByTagsOptions {
  /** Blobs per page, 1 to 5,000; the service's default is 5,000. */
  maxResults?: number;
}

/** A blob that matched a Find Blobs by Tags expression. */
export interface TaggedBlob {
  /** The container the blob is in. */
  container: string;
  /** The blob's name. */
  name: string;
  /** The blob's tags that the expression named (the service returns those, not all of them). */
  tags: Tags;
}

/** One page of Find Blobs by Tags. */
export interface TaggedBlobsPage {
  blobs: TaggedBlob[];
  /** The marker of the next page; undefined on the last page. */
  nextMarker: string | undefined;
}

/** Builds one Find Blobs by Tags request: on one container, or on the account when `inContainer` is false. */
export function buildFindBlobsRequest(
  url: URL,
  inContainer: boolean,
  expression: string,
  options: FindBlobsByTagsOptions = {},
  marker?: string,
): Request {
  // An empty expression matches nothing the service can parse (400).
  if (expression.trim() === "") throw invalidInput("a Find Blobs by Tags expression cannot be empty");
  const request = newRequest("FindBlobsByTags", "GET", url);
  if (inContainer) addQuery(request, "restype", "container");
  addQuery(request, "comp", "blobs");
  addQuery(request, "where", expression);
  if (marker) addQuery(request, "marker", marker);
  if (options.maxResults !== undefined) {
    const max = options.maxResults;
    if (!Number.isInteger(max) || max < 1 || max > MAX_LIST_RESULTS) {
      throw invalidInput(`maxResults must be 1 to ${MAX_LIST_RESULTS}, got ${max}`);
    }
    addQuery(request, "maxresults", String(max));
  }
  request.idempotent = true;
  request.maxResponseBytes = MAX_LIST_PAGE_BYTES;
  return request;
}

/** Parses a Find Blobs by Tags body; tags keep their spaces. */
export function parseFindBlobsResponse(body: Uint8Array): TaggedBlobsPage {
  const WHAT = "Find Blobs by Tags";
  const root = parseOrdered(body, WHAT).find((n) => tagOf(n) === "EnumerationResults");
  if (root === undefined)
    throw invalidResponse(`the ${WHAT} answer is not the documented XML: no <EnumerationResults>`);
  const blobs: TaggedBlob[] = [];
  const list = child(root, "Blobs");
  for (const blob of list ? children(list) : []) {
    if (tagOf(blob) !== "Blob") continue;
    const name = child(blob, "Name");
    const container = child(blob, "ContainerName");
    if (name === undefined) throw invalidResponse(`the ${WHAT} answer has a <Blob> without <Name>`);
    if (container === undefined) throw invalidResponse(`the ${WHAT} answer has a <Blob> without <ContainerName>`);
    const tagsNode = child(blob, "Tags");
    const tags = tagSetOf(tagsNode ? child(tagsNode, "TagSet") : undefined, WHAT);
    blobs.push({ container: textOf(container), name: textOf(name), tags });
  }
  const next = child(root, "NextMarker");
  const marker = next === undefined ? undefined : textOf(next);
  return { blobs, nextMarker: marker === undefined || marker.trim() === "" ? undefined : marker };
}
