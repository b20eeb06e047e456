// Set Blob Tier: moves a block blob between Hot, Cool, Cold and Archive.
// https://learn.microsoft.com/rest/api/storageservices/set-blob-tier

import { invalidInput } from "../errors/kinds.js";
import { newRequest, type Request } from "../wire/request.js";
import { type Accepted, applyAccepted, type Conditions } from "./conditions.js";
import { type AccessTier, parseAccessTier } from "./models.js";
import { addQuery, setHeader } from "./request-util.js";
import type { BlobSelector } from "./selector.js";
import { applySelector } from "./selector.js";

/** Options of `setTier`: a snapshot or version, and how fast an archived blob comes back. */
export interface SetTierOptions {
  selector?: BlobSelector;
  rehydratePriority?: "Standard" | "High";
  /** The blob's lease and a tag condition; ETag and date conditions are refused unsent. */
  conditions?: Conditions;
}

/** Set Blob Tier accepts a lease id and a tag condition only. */
const SET_TIER_ACCEPTS: Accepted = { etagAndDates: false, lease: true, tags: true };

/** Builds Set Blob Tier; asking for the same tier again leaves the same tier, so it is idempotent. */
export function buildSetTierRequest(url: URL, tier: AccessTier, options: SetTierOptions = {}): Request {
  const request = newRequest("SetBlobTier", "PUT", url);
  addQuery(request, "comp", "tier");
  applySelector(request.url, options.selector);
  setHeader(request, "x-ms-access-tier", parseAccessTier(tier));
  applyAccepted(request, options.conditions ?? {}, SET_TIER_ACCEPTS, "Set Blob Tier");
  if (options.rehydratePriority !== undefined) {
    if (options.rehydratePriority !== "Standard" && options.rehydratePriority !== "High") {
      throw invalidInput(
        `rehydratePriority must be Standard or High, got ${JSON.stringify(options.rehydratePriority)}`,
      );
    }
    request.headers.set("x-ms-rehydrate-priority", options.rehydratePriority);
  }
  request.idempotent = true;
  return request;
}
