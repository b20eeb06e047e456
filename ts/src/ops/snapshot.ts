// Snapshot Blob: a read-only copy of a blob at a point in time.
// https://learn.microsoft.com/rest/api/storageservices/snapshot-blob

import { invalidResponse } from "../errors/kinds.js";
import { newRequest, type Request, type Response } from "../wire/request.js";
import { applyConditions, type Conditions } from "./conditions.js";
import type { Metadata } from "./models.js";
import { addQuery, required, setMetadata } from "./request-util.js";

/** A snapshot made: its timestamp (to select it), ETag and version id. */
export interface SnapshotInfo {
  snapshot: string;
  etag: string | undefined;
  versionId: string | undefined;
}

/** Options of `createSnapshot`: the snapshot's metadata and conditions on the blob. */
export interface SnapshotOptions {
  metadata?: Metadata;
  conditions?: Conditions;
}

/**
 * Builds Snapshot Blob. Not idempotent: a repeat after a lost answer would
 * leave a second snapshot the caller never hears of, which blocks a plain
 * delete of the blob (SnapshotsPresent) and is billed.
 */
export function buildSnapshotRequest(url: URL, options: SnapshotOptions = {}): Request {
  const request = newRequest("SnapshotBlob", "PUT", url);
  addQuery(request, "comp", "snapshot");
  setMetadata(request, options.metadata ?? {});
  applyConditions(request, options.conditions ?? {});
  return request;
}

/** Parses the 201 of Snapshot Blob. */
export function parseSnapshotResponse(response: Response): SnapshotInfo {
  if (response.status !== 201) throw invalidResponse(`Snapshot Blob answered HTTP ${response.status}`);
  const h = response.headers;
  return { snapshot: required(h, "x-ms-snapshot"), etag: h.get("etag"), versionId: h.get("x-ms-version-id") };
}
