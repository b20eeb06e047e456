// Conformance case of transactional CRC64 on writes (crates/azblob/tests/conformance/crc64.rs):
// Put Blob, Put Block and Append Block each carry `x-ms-content-crc64`, which
// Azurite checks when the case is recorded and the replay compares header by header.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { PutBlobOptions } from "../../../src/index.js";
import type { Case } from "../data.js";
import { data } from "../data.js";
import { text } from "./common.js";

const KIB = 1024;
const md5 = (bytes: Uint8Array): string => createHash("md5").update(bytes).digest("hex");

export const CRC64_CASES: Record<string, Case> = {
  async crc64_transactional_writes(_client, container) {
    const crc: PutBlobOptions = { transactionalCrc64: true };
    const hello = container.blob("hello.txt");
    await hello.putOpts("Hello World", crc);
    assert.equal(text(await hello.download()), "Hello World");

    const bytes = data(10 * KIB, 31n);
    const blocks = container.blob("blocks.bin");
    const report = await blocks.uploadOpts(bytes, { blockSize: 4 * KIB, concurrency: 1, singlePutMax: 0, blob: crc });
    assert.equal(report.blocks, 3);
    assert.equal(md5(await blocks.download()), md5(bytes));

    const log = container.blob("log.txt");
    await log.createAppendBlob();
    await log.appendOpts("line one\n", { transactionalCrc64: true });
    assert.equal(text(await log.download()), "line one\n");
  },
};
