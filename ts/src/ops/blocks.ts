// The public block operations: Put Block, Put Block List and Get Block List
// with their options, over the builders of block-blob.ts, which the upload
// engine shares.
// https://learn.microsoft.com/rest/api/storageservices/put-block
// https://learn.microsoft.com/rest/api/storageservices/put-block-list
// https://learn.microsoft.com/rest/api/storageservices/get-block-list

import { XMLParser } from "fast-xml-parser";
import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { newRequest, type Request } from "../wire/request.js";
import { buildPutBlockListRequest, buildPutBlockRequest, MAX_BLOCKS } from "./block-blob.js";
import { type Accepted, applyAccepted, type Conditions } from "./conditions.js";
import type { PutBlobOptions } from "./put-blob.js";
import * as ru from "./request-util.js";
import { applySelector, type BlobSelector } from "./selector.js";

/** The longest block id the service accepts, in bytes before base64 encoding. */
export const MAX_BLOCK_ID_BYTES = 64;

/** Put Block takes a lease id and no other condition. */
export const PUT_BLOCK_ACCEPTS: Accepted = { etagAndDates: false, lease: true, tags: false };

/** Options of Put Block. */
export interface PutBlockOptions {
  /** Sends a transactional `Content-MD5` of the block, which the service checks. */
  transactionalMd5?: boolean;
  /** The lease id of a leased blob; any other condition is refused before sending. */
  conditions?: Conditions;
}

/**
 * Options of Put Block List: what the committed blob is written with. `blob`
 * is the group a Put Blob takes; its `transactionalMd5` sends the MD5 of the
 * block list itself (the blob's MD5 goes in `blob.content.contentMd5`).
 */
export interface PutBlockListOptions {
  /** Headers, metadata, tier and conditions of the committed blob. */
  blob?: PutBlobOptions;
}

/** Which of a blob's block lists Get Block List returns. */
export type BlockListType = "committed" | "uncommitted" | "all";

/** Options of Get Block List. */
export interface BlockListOptions {
  /** The committed list, the uncommitted list, or both (the default). */
  listType?: BlockListType;
  /** A snapshot or version whose committed blocks to list instead of the current blob's. */
  selector?: BlobSelector;
}

/** One block: its base64 id and its size in bytes. */
export interface BlockInfo {
  id: string;
  size: number;
}

/** A blob's blocks, as Get Block List answers. */
export interface BlockList {
  /** The committed blocks, in the blob's order (empty unless asked). */
  committed: BlockInfo[];
  /** The staged, uncommitted blocks (empty unless asked). */
  uncommitted: BlockInfo[];
  /** The committed blob's ETag; undefined when no blob is committed yet. */
  etag: string | undefined;
  /** The committed blob's size (`x-ms-blob-content-length`), when the service sent it. */
  blobContentLength: number | undefined;
}

/** Checks that `id` is a block id the service accepts (base64 of 1 to 64 bytes); returns its decoded length. */
export function validateBlockId(id: string): number {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(id) || id.length % 4 !== 0) {
    throw invalidInput(`block id ${JSON.stringify(id)} is not base64 (encode the id before passing it)`);
  }
  const length = Buffer.from(id, "base64").length;
  if (length === 0 || length > MAX_BLOCK_ID_BYTES) {
    throw invalidInput(
      `block id ${JSON.stringify(id)} decodes to ${length} bytes; it must hold 1 to ${MAX_BLOCK_ID_BYTES}`,
    );
  }
  return length;
}

/** Builds Put Block for a caller's block id. */
export function buildPutBlock(url: URL, blockId: string, body: Uint8Array, options: PutBlockOptions = {}): Request {
  validateBlockId(blockId);
  const request = buildPutBlockRequest(url, blockId, body, options.transactionalMd5 ? ru.md5(body) : undefined);
  applyAccepted(request, options.conditions ?? {}, PUT_BLOCK_ACCEPTS, "Put Block");
  return request;
}

/**
 * Builds Put Block List for a caller's ids, checked first: each a valid id,
 * all of one length (the service refuses a list that mixes lengths), at most
 * {@link MAX_BLOCKS} of them.
 */
export function buildPutBlockList(url: URL, blockIds: readonly string[], options: PutBlockListOptions = {}): Request {
  if (blockIds.length > MAX_BLOCKS) {
    throw invalidInput(`a blob holds at most ${MAX_BLOCKS} blocks, the list names ${blockIds.length}`);
  }
  let length: number | undefined;
  for (const id of blockIds) {
    const len = validateBlockId(id);
    length ??= len;
    if (length !== len) throw invalidInput("every block id of a blob must have the same length");
  }
  const blob = options.blob ?? {};
  const request = buildPutBlockListRequest(url, blockIds, blob);
  if (blob.transactionalMd5) ru.setHeader(request, "content-md5", Buffer.from(ru.md5(request.body)).toString("base64"));
  return request;
}

/** Builds Get Block List; a read, so idempotent. */
export function buildGetBlockList(url: URL, options: BlockListOptions = {}): Request {
  const request = newRequest("GetBlockList", "GET", url);
  ru.addQuery(request, "comp", "blocklist");
  ru.addQuery(request, "blocklisttype", options.listType ?? "all");
  applySelector(request.url, options.selector);
  request.idempotent = true;
  // 50,000 committed and 100,000 uncommitted blocks with 64-byte ids fit well within it.
  request.maxResponseBytes = 32 * 1024 * 1024;
  return request;
}

const parser = new XMLParser({ parseTagValue: false, isArray: (name) => name === "Block" });

type BlocksXml = { Block?: Array<{ Name?: unknown; Size?: unknown }> } | string | undefined;

function infos(blocks: BlocksXml): BlockInfo[] {
  if (typeof blocks !== "object") return [];
  return (blocks.Block ?? []).map((b) => {
    const size = String(b.Size ?? "");
    if (typeof b.Name !== "string" || !/^\d+$/.test(size)) throw invalidResponse("a block without a name or size");
    return { id: b.Name, size: Number(size) };
  });
}

/** Parses a Get Block List answer: its headers and its XML body. */
export function parseBlockList(headers: Map<string, string>, body: Uint8Array): BlockList {
  let doc: { BlockList?: { CommittedBlocks?: BlocksXml; UncommittedBlocks?: BlocksXml } | string };
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(body).replace(/^\uFEFF/, "");
    doc = parser.parse(text);
  } catch (err) {
    throw invalidResponse(`cannot parse the block list: ${(err as Error).message}`);
  }
  if (doc.BlockList === undefined) throw invalidResponse("cannot parse the block list: no BlockList");
  const list = typeof doc.BlockList === "object" ? doc.BlockList : {};
  return {
    committed: infos(list.CommittedBlocks),
    uncommitted: infos(list.UncommittedBlocks),
    // A blob with only uncommitted blocks has no ETag yet.
    etag: headers.has("etag") ? ru.etag(headers) : undefined,
    blobContentLength: ru.num(headers, "x-ms-blob-content-length"),
  };
}
