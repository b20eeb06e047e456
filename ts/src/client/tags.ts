// Blob index tags: Find Blobs by Tags on a container or the whole account,
// as an async iterator that follows NextMarker (Get and Set Blob Tags are
// BlobClient's methods), and the options of Get and Set Blob Tags.

import { errorOfKind, withOperation } from "../errors/kinds.js";
import type { Conditions } from "../ops/conditions.js";
import {
  buildFindBlobsRequest,
  type FindBlobsByTagsOptions,
  parseFindBlobsResponse,
  type TaggedBlob,
  type TaggedBlobsPage,
} from "../ops/find-blobs.js";
import type { BlobSelector } from "../ops/selector.js";
import type { ServiceInner } from "./service-inner.js";

/** Options of `BlobClient.getTagsOpts`. */
export interface GetTagsOptions {
  /** A snapshot or version to read the tags of instead of the current blob. */
  selector?: BlobSelector;
  /** The blob's lease and a tag condition (ETag and date conditions are refused unsent). */
  conditions?: Conditions;
}

/** Options of `BlobClient.setTagsOpts`. */
export interface SetTagsOptions {
  /** A version to tag instead of the current blob. */
  selector?: BlobSelector;
  /** The blob's lease and a tag condition (ETag and date conditions are refused unsent). */
  conditions?: Conditions;
}

/**
 * The blobs of every page, following `NextMarker`, each page asked for when
 * the previous one is consumed; a marker already followed ends the iteration
 * with `InvalidResponseError`, as a listing does.
 */
export async function* taggedBlobs(
  inner: ServiceInner,
  url: () => URL,
  inContainer: boolean,
  expression: string,
  options: FindBlobsByTagsOptions,
): AsyncIterable<TaggedBlob> {
  const seen = new Set<string>();
  let marker: string | undefined;
  for (;;) {
    const request = buildFindBlobsRequest(url(), inContainer, expression, options, marker);
    const response = await inner.pipeline.execute(request);
    let page: TaggedBlobsPage;
    try {
      page = parseFindBlobsResponse(response.body);
    } catch (err) {
      throw withOperation(err, "FindBlobsByTags");
    }
    yield* page.blobs;
    if (page.nextMarker === undefined) return;
    if (seen.has(page.nextMarker)) {
      throw errorOfKind("InvalidResponse", {
        message: `the service repeated the NextMarker ${JSON.stringify(page.nextMarker)}: following it would find the same pages forever`,
        operation: "FindBlobsByTags",
      });
    }
    seen.add(page.nextMarker);
    marker = page.nextMarker;
  }
}
