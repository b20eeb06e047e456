// The conformance suite of crates/azblob/tests/conformance/mod.rs, written
// once more against the TypeScript client API. Each case gets a container and
// uses nothing else, so the same requests go out live and in replay.

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import {
  AzblobError,
  BlobRange,
  type BlobServiceClient,
  type ContainerClient,
  CopySource,
  ifMatch,
  ifNotExists,
  type ListBlobsOptions,
  newRequest,
  type PutBlobOptions,
} from "../../src/index.js";
import { BLOCK_COPY_CASES } from "./cases/block-copy.js";
import { BLOCK_CASES } from "./cases/blocks.js";
import { CRC64_CASES } from "./cases/crc64.js";
import { FILES_CASES } from "./cases/files.js";
import { LEASE_CASES } from "./cases/leases.js";
import { TAG_CASES } from "./cases/tags.js";
import { type Case, data, letters } from "./data.js";

export { type Case, data, letters };

/** The fixed container of a recorded case (replays must send the same paths). */
export function containerName(caseName: string): string {
  return `conf-${caseName.replaceAll("_", "-")}`;
}

/** The seed of a case: FNV-1a of its name, as the Rust suite derives it. */
export function caseSeed(caseName: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (const b of Buffer.from(caseName, "utf8")) h = ((h ^ BigInt(b)) * 0x100000001b3n) & ((1n << 64n) - 1n);
  return h;
}

/** Creates `name` through `client`, so a recording holds it and a replay answers it. */
export async function createContainer(client: BlobServiceClient, name: string): Promise<ContainerClient> {
  const container = client.container(name);
  const url = container.url();
  url.searchParams.append("restype", "container");
  await client.sendRaw(newRequest("CreateContainer", "PUT", url));
  return container;
}

const STALE = '"0x8D000000000DEAD"';
const text = (bytes: Uint8Array): string => Buffer.from(bytes).toString("utf8");
const md5 = (data: string): Uint8Array => new Uint8Array(createHash("md5").update(data).digest());

async function rejects(promise: Promise<unknown>): Promise<AzblobError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof AzblobError, `an AzblobError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected a rejection");
}

export const CASES: Record<string, Case> = {
  async core_put_get_properties(_client, container) {
    const blob = container.blob("dir/hello world ü.txt");
    const options: PutBlobOptions = {
      content: {
        contentType: "text/plain; charset=utf-8",
        contentLanguage: "en-GB",
        contentDisposition: 'attachment; filename="hello.txt"',
        cacheControl: "max-age=60",
      },
      metadata: { project: "alpha" },
      tier: "Cool",
      transactionalMd5: true,
    };
    const written = await blob.putOpts("hello, azure", options);
    assert.equal(text(await blob.download()), "hello, azure");
    const props = await blob.properties();
    assert.equal(props.contentLength, 12);
    assert.equal(props.etag, written.etag);
    assert.equal(props.blobType, "BlockBlob");
    assert.equal(props.content.contentType, "text/plain; charset=utf-8");
    assert.equal(props.content.contentDisposition, 'attachment; filename="hello.txt"');
    assert.equal(props.metadata.project, "alpha");
    assert.equal(props.accessTier, "Cool");
    assert.deepEqual(props.content.contentMd5, md5("hello, azure"));
    assert.equal(await blob.exists(), true);
    assert.equal(await container.blob("absent").exists(), false);
  },

  async core_range_reads(_client, container) {
    const blob = container.blob("digits");
    await blob.put("0123456789");
    assert.equal(text(await blob.downloadRange(BlobRange.of(2, 3))), "234");
    assert.equal(text(await blob.downloadRange(BlobRange.fromOffset(7))), "789");
    assert.equal(text(await blob.downloadRange(BlobRange.of(8, 100))), "89");
    const response = await blob.getOpts({ range: BlobRange.of(4, 2) });
    assert.deepEqual(response.head.range, [4, 5]);
    assert.equal(response.head.properties.contentLength, 10);
    assert.equal(text(await response.bytes()), "45");
    const err = await rejects(blob.downloadRange(BlobRange.of(10, 1)));
    assert.equal(err.kind, "InvalidRange", err.message);
  },

  async core_metadata_and_headers(_client, container) {
    const blob = container.blob("m");
    await blob.putOpts("x", { metadata: { old: "1" } });
    const written = await blob.setMetadata({ fresh: "yes" });
    let props = await blob.properties();
    assert.equal(props.etag, written.etag);
    assert.deepEqual(props.metadata, { fresh: "yes" });
    await blob.setHttpHeaders({ contentType: "application/json", cacheControl: "no-store" });
    props = await blob.properties();
    assert.equal(props.content.contentType, "application/json");
    assert.equal(props.content.cacheControl, "no-store");
    assert.equal(text(await blob.download()), "x");
  },

  async core_delete_and_not_found(_client, container) {
    const blob = container.blob("gone");
    await blob.put("bye");
    await blob.delete();
    let err = await rejects(blob.download());
    assert.deepEqual([err.kind, err.errorCode], ["NotFound", "BlobNotFound"]);
    assert.equal(err.status, 404);
    assert.ok(err.requestId, err.message);
    err = await rejects(blob.properties());
    assert.deepEqual([err.kind, err.errorCode], ["NotFound", "BlobNotFound"]);
    assert.equal(await blob.exists(), false);
    assert.equal((await rejects(blob.delete())).kind, "NotFound");
  },

  async core_conditional_errors(_client, container) {
    const blob = container.blob("c");
    const onlyNew: PutBlobOptions = { conditions: ifNotExists() };
    const first = await blob.putOpts("v1", onlyNew);
    let err = await rejects(blob.putOpts("v2", onlyNew));
    assert.equal(err.kind, "AlreadyExists", err.message);
    const stale = ifMatch(STALE);
    err = await rejects(blob.putOpts("v3", { conditions: stale }));
    assert.equal(err.kind, "PreconditionFailed", err.message);
    err = await rejects(blob.getOpts({ conditions: stale }));
    assert.equal(err.kind, "PreconditionFailed", err.message);
    await blob.putOpts("v4", { conditions: ifMatch(first.etag) });
    assert.equal(text(await blob.download()), "v4");
  },

  async transfer_block_upload_concurrent(_client, container) {
    const KIB = 1024;
    const bytes = data(5 * 16 * KIB + 7, 5n);
    const blob = container.blob("blocks.bin");
    const report = await blob.uploadOpts(bytes, {
      blockSize: 16 * KIB,
      concurrency: 4,
      singlePutMax: 0,
      blob: { transactionalMd5: true },
      blobMd5: true,
    });
    assert.deepEqual([report.blocks, report.bytes], [6, bytes.length]);
    const props = await blob.properties();
    assert.equal(props.contentLength, bytes.length);
    assert.deepEqual(props.content.contentMd5, new Uint8Array(createHash("md5").update(bytes).digest()));
    assert.deepEqual(
      await blob.downloadRange(BlobRange.of(16 * KIB - 8, 16)),
      bytes.subarray(16 * KIB - 8, 16 * KIB + 8),
    );

    // A stream of unknown length goes block by block too.
    async function* stream(): AsyncIterable<Uint8Array> {
      for (let offset = 0; offset < bytes.length; offset += 5000) yield bytes.subarray(offset, offset + 5000);
    }
    const streamed = container.blob("streamed.bin");
    const streamedReport = await streamed.uploadOpts(stream(), { blockSize: 16 * KIB, concurrency: 4 });
    assert.equal(streamedReport.blocks, 6);
    assert.equal((await streamed.properties()).contentLength, bytes.length);
  },

  async transfer_resume(_client, container) {
    const KIB = 1024;
    const bytes = data(6 * 16 * KIB + 3, 6n);
    const dir = mkdtempSync(join(tmpdir(), "azblob-ts-resume-"));
    try {
      const path = join(dir, "big.bin");
      writeFileSync(path, bytes);
      const checkpoint = join(dir, "big.upload.json");
      const blob = container.blob("resumed.bin");

      // The commit fails (a stale If-Match) after every block is staged: the checkpoint stays.
      const err = await rejects(
        blob.uploadOpts(
          { file: path },
          { blockSize: 16 * KIB, concurrency: 3, blob: { conditions: ifMatch(STALE) }, checkpoint, resume: true },
        ),
      );
      assert.ok(["PreconditionFailed", "NotFound"].includes(err.kind), err.message);
      assert.ok(existsSync(checkpoint));

      // Resuming finds every block staged and only commits.
      const report = await blob.uploadOpts(
        { file: path },
        { blockSize: 16 * KIB, concurrency: 3, checkpoint, resume: true },
      );
      assert.deepEqual([report.blocks, report.resumedBlocks], [7, 7]);
      assert.equal(existsSync(checkpoint), false);
      assert.equal((await blob.properties()).contentLength, bytes.length);
      assert.deepEqual(await blob.downloadRange(BlobRange.of(6 * 16 * KIB, 3)), bytes.subarray(6 * 16 * KIB));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },

  async transfer_parallel_download(_client, container) {
    const content = letters(4 * 1024 + 5, 9n);
    const blob = container.blob("text.txt");
    await blob.uploadOpts(content, { blobMd5: true });
    const options = { chunkSize: 512, concurrency: 4, verifyMd5: true };
    assert.equal(text(await blob.downloadOpts(options)), content);

    const chunks: Buffer[] = [];
    const writer = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk);
        done();
      },
    });
    const report = await blob.downloadToWriterOpts(writer, options);
    assert.deepEqual([report.chunks, report.md5Verified], [9, true]);
    assert.equal(Buffer.concat(chunks).toString(), content, "in order");

    const dir = mkdtempSync(join(tmpdir(), "azblob-ts-download-"));
    try {
      const path = join(dir, "text.txt");
      await blob.downloadToFileOpts(path, options);
      assert.equal(readFileSync(path, "utf8"), content);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },

  async manage_list_prefix_delimiter_pages(_client, container) {
    const names = ["list/0", "list/1", "list/2", "list/3", "list/4", "list/sub/x", "top"];
    for (const name of names) await container.blob(name).put(name);

    // Flat, 3 a page: 3 pages, every name once, in order.
    const pages = await collect(container.listBlobPagesOpts({ maxResults: 3 }));
    assert.deepEqual(
      pages.map((p) => p.items.length),
      [3, 3, 1],
    );
    assert.ok(pages.slice(0, 2).every((p) => p.nextMarker !== undefined) && pages[2]?.nextMarker === undefined);
    assert.deepEqual(
      pages.flatMap((p) => p.items.map((i) => i.name)),
      names,
    );

    // A prefix and a delimiter, still 3 a page: the blobs under list/ and one virtual directory.
    const options: ListBlobsOptions = { prefix: "list/", delimiter: "/", maxResults: 3 };
    const items = await collect(container.listBlobsOpts(options));
    assert.deepEqual(
      items.filter((i) => i.kind === "prefix").map((i) => i.name),
      ["list/sub/"],
    );
    assert.equal(items.length, 6, JSON.stringify(items.map((i) => i.name)));

    // The container's root by delimiter.
    const root = await collect(container.listBlobsOpts({ delimiter: "/" }));
    assert.deepEqual(
      root.map((i) => i.name),
      ["list/", "top"],
    );
  },

  async transfer_append(_client, container) {
    const blob = container.blob("log.txt");
    await blob.createAppendBlob();
    await blob.append("one\n");
    await blob.appendOpts("two\n", { appendPosition: 4 });
    await blob.appendOpts("three\n", { transactionalMd5: true, maxSize: 100 });
    assert.equal(text(await blob.download()), "one\ntwo\nthree\n");
    assert.equal((await blob.properties()).blobType, "AppendBlob");
    assert.equal((await rejects(blob.appendOpts("late\n", { appendPosition: 4 }))).kind, "PreconditionFailed");
    await blob.seal();
    assert.equal((await rejects(blob.append("sealed\n"))).kind, "Conflict");
  },

  async manage_batch_delete_with_a_missing_name(_client, container) {
    for (const name of ["b0", "b1", "b 2"]) await container.blob(name).put(name);
    const results = await container.deleteBlobs(["b0", "missing", "b 2"]);
    assert.deepEqual(
      results.map((r) => r.name),
      ["b0", "missing", "b 2"],
      "results keep the input order",
    );
    assert.deepEqual(
      results.map((r) => r.outcome.kind),
      ["done", "not-found", "done"],
    );
    const left = await collect(container.listBlobs());
    assert.deepEqual(
      left.map((i) => i.name),
      ["b1"],
    );
  },

  async manage_sync_copy_across_containers(client, container) {
    const targetContainer = await createContainer(client, `${container.name}-dst`);
    const source = container.blob("data/source.txt");
    const content = letters(3000, 11n);
    await source.putOpts(content, { metadata: { origin: "source" }, content: { contentType: "text/x-test" } });

    const target = targetContainer.blob("copy of source.txt");
    const done = await target.copyFromUrl(CopySource.blob(source));
    assert.equal(done.status, "success");
    assert.equal(text(await target.download()), content);
    const props = await target.properties();
    assert.equal(props.metadata.origin, "source");
    assert.equal(props.content.contentType, "text/x-test");
    assert.equal(props.contentLength, 3000);

    // A missing source is a typed error.
    const err = await rejects(targetContainer.blob("never").copyFromUrl(CopySource.blob(container.blob("missing"))));
    assert.equal(err.kind, "NotFound", err.message);
  },

  async manage_set_tier_reads_back(_client, container) {
    const blob = container.blob("tiered");
    await blob.put("some bytes");
    for (const tier of ["Cool", "Cold", "Hot"]) {
      await blob.setTier(tier);
      const props = await blob.properties();
      assert.equal(props.accessTier, tier);
      assert.equal(props.accessTierInferred, false);
    }
    await blob.setTier("Archive");
    assert.equal((await blob.properties()).accessTier, "Archive");
    const err = await rejects(blob.download());
    assert.deepEqual([err.kind, err.errorCode], ["Archived", "BlobArchived"], err.message);
  },

  async manage_snapshot_create_and_delete_with_snapshots(_client, container) {
    const snapshotCount = async (): Promise<number> => {
      const items = await collect(container.listBlobsOpts({ include: { snapshots: true } }));
      return items.filter((i) => i.kind === "blob" && i.snapshot !== undefined).length;
    };
    const blob = container.blob("snapped");
    await blob.put("version one");
    const first = await blob.createSnapshot();
    await blob.put("version two");
    await blob.createSnapshot();
    assert.equal(await snapshotCount(), 2);
    const old = await blob.getOpts({ selector: { snapshot: first.snapshot } });
    assert.equal(text(await old.bytes()), "version one");

    // Without x-ms-delete-snapshots: a typed error, nothing deleted.
    const err = await rejects(blob.delete());
    assert.deepEqual([err.kind, err.errorCode], ["Conflict", "SnapshotsPresent"], err.message);
    await blob.deleteOpts({ selector: { snapshot: first.snapshot } });
    assert.equal(await snapshotCount(), 1);

    // `include`: the blob and its snapshots go together.
    await blob.deleteOpts({ deleteSnapshots: "include" });
    assert.equal(await blob.exists(), false);
    assert.equal(await snapshotCount(), 0);
  },

  // The cases of the block, tag, lease, block copy and CRC64 operations, one file per topic.
  ...BLOCK_CASES,
  ...TAG_CASES,
  ...LEASE_CASES,
  ...BLOCK_COPY_CASES,
  ...CRC64_CASES,
  ...FILES_CASES,
};

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
