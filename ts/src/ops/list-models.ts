// What List Blobs returns: blobs, virtual directories and pages of them.

import type { AccessTier, BlobType, ContentHeaders, Metadata } from "./models.js";

/** The state of a copy whose target a blob is. */
export interface CopyState {
  id: string;
  /** `pending`, `success`, `aborted`, `failed`, or another word of the service. */
  status: string;
  /** Bytes copied and bytes in all. */
  progress: [number, number] | undefined;
  /** The copy's source URL, its SAS signature redacted. */
  source: string | undefined;
  statusDescription: string | undefined;
  completedOn: Date | undefined;
}

/** A blob in a listing. */
export interface BlobItem {
  kind: "blob";
  name: string;
  snapshot: string | undefined;
  versionId: string | undefined;
  isCurrentVersion: boolean | undefined;
  deleted: boolean;
  contentLength: number;
  /** Quoted, as headers carry it, so it works in `If-Match`. */
  etag: string | undefined;
  lastModified: Date | undefined;
  createdOn: Date | undefined;
  content: ContentHeaders;
  blobType: BlobType | undefined;
  accessTier: AccessTier | undefined;
  accessTierInferred: boolean;
  archiveStatus: string | undefined;
  metadata: Metadata;
  tags: Record<string, string>;
  copy: CopyState | undefined;
}

/** A virtual directory (a `BlobPrefix`) in a listing with a delimiter. */
export interface PrefixItem {
  kind: "prefix";
  name: string;
}

/** An entry of a listing. */
export type ListItem = BlobItem | PrefixItem;

/** One page of a listing and the marker of the next (`undefined` on the last). */
export interface ListBlobsPage {
  items: ListItem[];
  nextMarker: string | undefined;
}
