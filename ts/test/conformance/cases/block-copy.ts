// Conformance cases of copies in server-side blocks (crates/azblob/tests/conformance/block_copy.rs):
// Put Block From URL (a range of the source, pinned to its ETag) and a copy of many blocks.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { BlobRange, CopySource, newRequest } from "../../../src/index.js";
import type { Case } from "../data.js";
import { data } from "../data.js";
import { rejects, STALE } from "./common.js";

const KIB = 1024;
const md5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");

export const BLOCK_COPY_CASES: Record<string, Case> = {
  async block_copy_put_block_from_url_range(client, container) {
    const source = container.blob("source.bin");
    const bytes = data(6 * KIB, 21n);
    const { etag } = await source.put(bytes);
    const target = container.blob("target.bin");
    const from = CopySource.blob(source);
    await target.putBlockFromUrlOpts("YmxvY2stMQ==", from, {
      sourceRange: BlobRange.of(KIB, 2 * KIB),
      sourceIfMatch: etag,
    });
    await target.putBlockFromUrl("YmxvY2stMg==", from);
    // A stale ETag: the source "changed", and the service says so.
    const err = await rejects(target.putBlockFromUrlOpts("YmxvY2stMw==", from, { sourceIfMatch: STALE }));
    assert.equal(err.kind, "SourceChanged", err.message);
    // Committed with a raw Put Block List (block lists have their own cases).
    const url = target.url();
    url.searchParams.append("comp", "blocklist");
    const commit = newRequest("PutBlockList", "PUT", url);
    commit.body = new TextEncoder().encode(
      "<BlockList><Latest>YmxvY2stMQ==</Latest><Latest>YmxvY2stMg==</Latest></BlockList>",
    );
    await client.sendRaw(commit);
    const expected = Buffer.concat([bytes.subarray(KIB, 3 * KIB), bytes]);
    assert.equal(md5(await target.download()), md5(expected));
  },

  async block_copy_many_blocks(_client, container) {
    const source = container.blob("dir/source.bin");
    const bytes = data(10 * KIB + 7, 22n);
    await source.put(bytes);
    const target = container.blob("dir/copy.bin");
    const report = await target.copyBlocksFromUrlOpts(CopySource.blob(source), { blockSize: 4 * KIB, concurrency: 2 });
    assert.deepEqual([report.bytes, report.blocks, report.resumedBlocks], [10 * KIB + 7, 3, 0]);
    assert.equal(md5(await target.download()), md5(bytes));
  },
};
