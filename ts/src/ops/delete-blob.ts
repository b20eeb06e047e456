// Delete Blob.
// https://learn.microsoft.com/rest/api/storageservices/delete-blob

import { invalidInput } from "../errors/kinds.js";
import { newRequest, type Request, type Response } from "../wire/request.js";
import { applyConditions, type Conditions } from "./conditions.js";
import type { BlobSelector } from "./selector.js";
import { applySelector, isCurrent } from "./selector.js";

/** Options of `delete`: a snapshot or version, what happens to snapshots, conditions. */
export interface DeleteBlobOptions {
  selector?: BlobSelector;
  /** `include`: the blob and its snapshots; `only`: its snapshots only. */
  deleteSnapshots?: "include" | "only";
  conditions?: Conditions;
}

/** Builds Delete Blob; deleting twice leaves the same state, so it is idempotent. */
export function buildDeleteBlobRequest(url: URL, options: DeleteBlobOptions = {}): Request {
  // The service answers 400 to x-ms-delete-snapshots on a snapshot or a version; say so before sending.
  if (options.deleteSnapshots !== undefined && !isCurrent(options.selector)) {
    throw invalidInput("deleteSnapshots applies to the base blob, not to a snapshot or a version");
  }
  if (options.deleteSnapshots !== undefined && !["include", "only"].includes(options.deleteSnapshots)) {
    throw invalidInput(`deleteSnapshots must be "include" or "only", got ${JSON.stringify(options.deleteSnapshots)}`);
  }
  const request = newRequest("DeleteBlob", "DELETE", url);
  applySelector(request.url, options.selector);
  if (options.deleteSnapshots !== undefined) request.headers.set("x-ms-delete-snapshots", options.deleteSnapshots);
  applyConditions(request, options.conditions ?? {});
  request.idempotent = true;
  return request;
}

/** Whether a 404 answers a repeat whose earlier attempt did the delete. */
export function deletedByEarlierAttempt(response: Response): boolean {
  return response.repeated && response.status === 404 && response.headers.get("x-ms-error-code") === "BlobNotFound";
}
