// The models of blob operations: content headers, metadata, tiers, ranges, properties.

import { invalidInput } from "../errors/kinds.js";
import type { CopyState } from "./list-models.js";

/** The content headers a blob is stored with. */
export interface ContentHeaders {
  contentType?: string | undefined;
  contentEncoding?: string | undefined;
  contentLanguage?: string | undefined;
  contentDisposition?: string | undefined;
  cacheControl?: string | undefined;
  /** The whole blob's MD5 (16 bytes). */
  contentMd5?: Uint8Array | undefined;
}

/** User metadata: names are letters, digits and `_`; values printable ASCII. */
export type Metadata = Record<string, string>;

/** An access tier: `Hot`, `Cool`, `Cold`, `Archive`, or another name the service reports. */
export type AccessTier = "Hot" | "Cool" | "Cold" | "Archive" | (string & {});

/** The kind of blob: `BlockBlob`, `AppendBlob`, `PageBlob`, or another name. */
export type BlobType = "BlockBlob" | "AppendBlob" | "PageBlob" | (string & {});

/** An access tier read from text, case-insensitively; throws `InvalidInputError` for what cannot be one. */
export function parseAccessTier(text: string): AccessTier {
  const known: Record<string, AccessTier> = { hot: "Hot", cool: "Cool", cold: "Cold", archive: "Archive" };
  const tier = known[text.toLowerCase()];
  if (tier) return tier;
  if (text === "") throw invalidInput("an access tier name is empty");
  if (!/^[A-Za-z0-9]+$/.test(text)) throw invalidInput(`'${text}' is not an access tier`);
  return text;
}

/** A byte range: `length` bytes from `offset`, or to the end. */
export class BlobRange {
  readonly offset: number;
  readonly length: number | undefined;

  constructor(offset: number, length?: number) {
    for (const [what, n] of [
      ["offset", offset],
      ["length", length],
    ] as const) {
      if (n !== undefined && (!Number.isSafeInteger(n) || n < 0)) {
        throw invalidInput(`a range's ${what} must be a non-negative integer, got ${n}`);
      }
    }
    this.offset = offset;
    this.length = length;
  }

  /** `length` bytes from `offset`. */
  static of(offset: number, length: number): BlobRange {
    return new BlobRange(offset, length);
  }

  /** Everything from `offset`. */
  static fromOffset(offset: number): BlobRange {
    return new BlobRange(offset);
  }

  /** Bytes `start` through `end`, both included. */
  static inclusive(start: number, end: number): BlobRange {
    if (end < start) throw invalidInput(`range end ${end} is before its start ${start}`);
    return new BlobRange(start, end - start + 1);
  }

  /** The `x-ms-range` value; throws `InvalidInputError` for an empty range. */
  toHeader(): string {
    if (this.length === undefined) return `bytes=${this.offset}-`;
    if (this.length === 0) throw invalidInput("a range of zero bytes cannot be requested");
    const end = this.offset + this.length - 1;
    if (!Number.isSafeInteger(end)) throw invalidInput("the range's end overflows");
    return `bytes=${this.offset}-${end}`;
  }
}

/** What a write returns. */
export interface WriteResult {
  etag: string;
  lastModified: Date | undefined;
  versionId: string | undefined;
  contentMd5: Uint8Array | undefined;
}

/** The properties of a blob (Get Blob Properties, or the head of Get Blob). */
export interface BlobProperties {
  /** The blob's size (for a ranged read, the whole blob's, from `Content-Range`). */
  contentLength: number;
  etag: string;
  lastModified: Date;
  createdOn: Date | undefined;
  content: ContentHeaders;
  metadata: Metadata;
  blobType: BlobType;
  accessTier: AccessTier | undefined;
  accessTierInferred: boolean;
  versionId: string | undefined;
  isCurrentVersion: boolean | undefined;
  archiveStatus: string | undefined;
  /** The blob's last copy, if it was ever a copy's target. */
  copy: CopyState | undefined;
  /** The state of the blob's lease (`x-ms-lease-state`), if the service said one this library knows. */
  leaseState: LeaseState | undefined;
  /** How many index tags the blob has (`x-ms-tag-count`), if it has any. */
  tagCount: number | undefined;
}

/** The state of a blob's lease. */
export type LeaseState = "available" | "leased" | "expired" | "breaking" | "broken";

const LEASE_STATES: readonly LeaseState[] = ["available", "leased", "expired", "breaking", "broken"];

/** The lease state `value` names (any case); undefined for one this library does not know. */
export function parseLeaseState(value: string | undefined): LeaseState | undefined {
  const v = value?.trim().toLowerCase();
  return LEASE_STATES.find((s) => s === v);
}
