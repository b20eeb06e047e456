// Conformance case of the block operations (crates/azblob/tests/conformance/blocks.rs):
// Put Block, Put Block List and Get Block List, as a caller that manages its own blocks uses them.

import assert from "node:assert/strict";
import { type BlockInfo, ifNotExists, type PutBlockListOptions } from "../../../src/index.js";
import type { Case } from "../data.js";
import { letters } from "../data.js";
import { rejects, STALE, text } from "./common.js";

/** The base64 id of block `n`: every id of a blob has the same length. */
const id = (n: number): string => Buffer.from(`block-${String(n).padStart(4, "0")}`).toString("base64");

const sizes = (ids: number[], lens: number[]): BlockInfo[] => ids.map((n, i) => ({ id: id(n), size: lens[i] ?? 0 }));

export const BLOCK_CASES: Record<string, Case> = {
  async blocks_stage_commit_and_list(_client, container) {
    const blob = container.blob("staged/blocks.txt");
    const parts = [letters(10, 1n), letters(20, 2n), letters(30, 3n)];
    await blob.putBlock(id(0), parts[0] ?? "");
    await blob.putBlockOpts(id(1), parts[1] ?? "", { transactionalMd5: true });
    await blob.putBlock(id(2), parts[2] ?? "");
    const staged = await blob.blockListOpts({ listType: "uncommitted" });
    assert.deepEqual(staged.committed, []);
    const names = [...staged.uncommitted].sort((a, b) => (a.id < b.id ? -1 : 1));
    assert.deepEqual(names, sizes([0, 1, 2], [10, 20, 30]));
    assert.equal(await blob.exists(), false, "staged blocks are no blob yet");

    // Committed out of staging order, without block 1, under "only if new".
    const options: PutBlockListOptions = {
      blob: { content: { contentType: "text/plain" }, metadata: { origin: "blocks" }, conditions: ifNotExists() },
    };
    const written = await blob.putBlockListOpts([id(2), id(0)], options);
    assert.equal(text(await blob.download()), `${parts[2]}${parts[0]}`);
    const props = await blob.properties();
    assert.equal(props.etag, written.etag);
    assert.equal(props.content.contentType, "text/plain");
    assert.equal(props.metadata.origin, "blocks");

    const list = await blob.blockList();
    assert.deepEqual(list.committed, sizes([2, 0], [30, 10]));
    assert.deepEqual(list.uncommitted, [], "the commit discarded block 1");
    assert.equal(list.etag, written.etag);
    assert.equal(list.blobContentLength, 40);

    // Recommitting committed blocks finds them among the committed ones.
    const again = await blob.putBlockList([id(0)]);
    assert.notEqual(again.etag, written.etag);
    assert.equal(text(await blob.download()), parts[0]);

    let err = await rejects(blob.putBlockListOpts([id(0)], options));
    assert.equal(err.kind, "AlreadyExists", err.message);
    err = await rejects(blob.putBlockListOpts([id(0)], { blob: { conditions: { ifMatch: STALE } } }));
    assert.equal(err.kind, "PreconditionFailed", err.message);
    err = await rejects(blob.putBlockList([id(7)]));
    assert.deepEqual([err.kind, err.errorCode], ["BadRequest", "InvalidBlockList"], err.message);

    // Refused before sending: not base64, and ids of two lengths.
    assert.equal((await rejects(blob.putBlock("not base64!", "x"))).kind, "InvalidInput");
    const mixed = [id(0), Buffer.from("longer-block-id").toString("base64")];
    assert.equal((await rejects(blob.putBlockList(mixed))).kind, "InvalidInput");

    err = await rejects(container.blob("no-blocks").blockList());
    assert.equal(err.kind, "NotFound", err.message);
  },
};
