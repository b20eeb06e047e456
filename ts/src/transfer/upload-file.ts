// A file upload: one Put Blob within the limit, else blocks read with
// positional reads, resumable through a checkpoint; the file's identity is
// checked before anything is committed.

import { open } from "node:fs/promises";
import { errorOfKind } from "../errors/kinds.js";
import { buildGetUncommittedBlocksRequest, parseUncommittedBlocks } from "../ops/block-blob.js";
import type { Pipeline } from "../pipeline/pipeline.js";
import { blockId } from "../sim/seeded-rng.js";
import { Tally } from "../wire/tally.js";
import {
  type Checkpoint,
  checkMatches,
  difference,
  identityOf,
  loadCheckpoint,
  newCheckpoint,
  removeCheckpoint,
  type SourceIdentity,
  saveCheckpoint,
} from "./checkpoint.js";
import { type Block, planBlockSize, sendBlocks, singlePut, type UploadOptions, type UploadReport } from "./upload.js";

/** What the commit of a file upload checks and clears. */
export interface FileCommit {
  path: string;
  identity: SourceIdentity;
  checkpoint: string | undefined;
  resumed: number;
}

/** A file upload: one Put Blob within the limit, else blocks, resumable through a checkpoint. */
export async function uploadFile(
  pipeline: Pipeline,
  url: URL,
  newSessionId: () => string,
  path: string,
  options: UploadOptions,
  requestedBlockSize: number,
  singlePutLimit: number,
): Promise<UploadReport> {
  const identity = await identityOf(path);
  const size = Number(identity.size);
  let existing: Checkpoint | undefined;
  // Counts the requests outside the blocks' limiter (the staged list) for the report.
  const outside = new Tally();
  if (options.checkpoint !== undefined && options.resume) {
    existing = await loadCheckpoint(options.checkpoint);
    if (existing) checkMatches(existing, url.href, identity, options.checkpoint);
  }
  const handle = await open(path, "r").catch((err: Error) => {
    throw errorOfKind("Io", { message: `cannot open ${path}: ${err.message}`, cause: err });
  });
  try {
    const read = async (offset: number, length: number): Promise<Uint8Array> => {
      const buffer = new Uint8Array(length);
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buffer, done, length - done, offset + done);
        if (bytesRead === 0) {
          throw errorOfKind("SourceChanged", { message: `${path} became shorter while it was read` });
        }
        done += bytesRead;
      }
      return buffer;
    };
    if (!existing && size <= singlePutLimit) {
      const data = await read(0, size);
      const what = difference(identity, await identityOf(path));
      if (what) throw errorOfKind("SourceChanged", { message: `${path} changed while it was read (${what})` });
      const report = await singlePut(pipeline, url, data, options.blob ?? {}, options.blobMd5);
      if (options.checkpoint !== undefined) await removeCheckpoint(options.checkpoint);
      return report;
    }
    let blockSize: number;
    let session: string;
    let staged = new Map<string, number>();
    if (existing) {
      // The staged blocks have the checkpoint's size, whatever is asked now.
      blockSize = Number(existing.block_size);
      session = existing.session_id;
      const list = buildGetUncommittedBlocksRequest(url);
      list.congestion = outside;
      staged = parseUncommittedBlocks((await pipeline.execute(list)).body);
    } else {
      blockSize = planBlockSize(size, requestedBlockSize);
      session = newSessionId();
      if (options.checkpoint !== undefined) {
        await saveCheckpoint(options.checkpoint, newCheckpoint(url.href, identity, blockSize, session));
      }
    }
    const count = Math.ceil(size / blockSize);
    const file: FileCommit = { path, identity, checkpoint: options.checkpoint, resumed: 0 };
    const needsBytes = options.blobMd5 === true;
    async function* blocks(): AsyncGenerator<Block> {
      for (let index = 0; index < count; index++) {
        const offset = index * blockSize;
        const length = Math.min(blockSize, size - offset);
        const send = staged.get(blockId(session, index)) !== length;
        if (!send) file.resumed += 1;
        // A staged block is read only to feed the whole blob's MD5.
        yield { index, data: send || needsBytes ? await read(offset, length) : new Uint8Array(length), send };
      }
    }
    return await sendBlocks(pipeline, url, session, blockSize, blocks(), options, file, outside);
  } finally {
    await handle.close();
  }
}
