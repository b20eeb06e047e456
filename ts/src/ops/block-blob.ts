// Put Block and Put Block List: the pieces of a block upload.
// https://learn.microsoft.com/rest/api/storageservices/put-block
// https://learn.microsoft.com/rest/api/storageservices/put-block-list

import { XMLParser } from "fast-xml-parser";
import { invalidInput, invalidResponse } from "../errors/kinds.js";
import { newRequest, type Request } from "../wire/request.js";
import { applyConditions, type Conditions, surviveOwnWrite } from "./conditions.js";
import type { AccessTier, ContentHeaders, Metadata } from "./models.js";
import * as ru from "./request-util.js";
import { setTagsHeader, type Tags } from "./tags.js";

/** The most blocks a blob commits. */
export const MAX_BLOCKS = 50_000;
/** The largest block. */
export const MAX_BLOCK_BYTES = 4000 * 1024 * 1024;

/** Builds Put Block; staging the same block twice leaves the same block, so it is idempotent. */
export function buildPutBlockRequest(url: URL, blockId: string, body: Uint8Array, md5?: Uint8Array): Request {
  if (body.length > MAX_BLOCK_BYTES) throw invalidInput(`a block holds at most ${MAX_BLOCK_BYTES} bytes`);
  const request = newRequest("PutBlock", "PUT", url);
  ru.addQuery(request, "comp", "block");
  ru.addQuery(request, "blockid", blockId);
  if (md5) ru.setHeader(request, "content-md5", Buffer.from(md5).toString("base64"));
  request.idempotent = true;
  request.body = body;
  return request;
}

/** What a commit writes besides its blocks. */
export interface CommitOptions {
  content?: ContentHeaders;
  metadata?: Metadata;
  tier?: AccessTier;
  tags?: Tags | undefined;
  conditions?: Conditions;
}

/**
 * Builds Put Block List committing `blockIds` as `Latest`. Committing the same
 * list twice gives the same blob, unless a condition the first commit
 * invalidates would make the repeat fail.
 */
export function buildPutBlockListRequest(url: URL, blockIds: readonly string[], options: CommitOptions = {}): Request {
  // Base64 ids contain no characters XML needs escaped.
  const body = `<?xml version="1.0" encoding="utf-8"?><BlockList>${blockIds.map((id) => `<Latest>${id}</Latest>`).join("")}</BlockList>`;
  const request = newRequest("PutBlockList", "PUT", url);
  ru.addQuery(request, "comp", "blocklist");
  ru.setHeader(request, "content-type", "application/xml");
  ru.setContentHeaders(request, options.content ?? {});
  ru.setMetadata(request, options.metadata ?? {});
  if (options.tier !== undefined) ru.setHeader(request, "x-ms-access-tier", options.tier);
  setTagsHeader(request, options.tags);
  applyConditions(request, options.conditions ?? {});
  request.idempotent = surviveOwnWrite(options.conditions ?? {});
  // As a conditional Put Blob: a repeat after a refusal cannot commit twice.
  request.repeatRefused = true;
  request.body = new TextEncoder().encode(body);
  return request;
}

/** Builds Get Block List for the uncommitted blocks; a read, so idempotent. */
export function buildGetUncommittedBlocksRequest(url: URL): Request {
  const request = newRequest("GetBlockList", "GET", url);
  ru.addQuery(request, "comp", "blocklist");
  ru.addQuery(request, "blocklisttype", "uncommitted");
  request.idempotent = true;
  // 50,000 ids of up to 64 bytes, and their sizes.
  request.maxResponseBytes = 32 * 1024 * 1024;
  return request;
}

const blockListParser = new XMLParser({
  parseTagValue: false,
  isArray: (name) => name === "Block",
});

/** The staged blocks of a Get Block List answer, by id, with their sizes. */
export function parseUncommittedBlocks(body: Uint8Array): Map<string, number> {
  let doc: { BlockList?: { UncommittedBlocks?: { Block?: Array<{ Name?: unknown; Size?: unknown }> } | string } };
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(body).replace(/^\uFEFF/, "");
    doc = blockListParser.parse(text);
  } catch (err) {
    throw invalidResponse(`cannot parse the block list: ${(err as Error).message}`);
  }
  if (!doc.BlockList) throw invalidResponse("cannot parse the block list: no BlockList");
  const blocks =
    typeof doc.BlockList.UncommittedBlocks === "object" ? (doc.BlockList.UncommittedBlocks.Block ?? []) : [];
  const out = new Map<string, number>();
  for (const b of blocks) {
    const size = String(b.Size ?? "");
    if (typeof b.Name !== "string" || !/^\d+$/.test(size))
      throw invalidResponse("a staged block without a name or size");
    out.set(b.Name, Number(size));
  }
  return out;
}
