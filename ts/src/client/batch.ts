// Batch delete and batch set-tier over Blob Batch: split by 256, a few batches
// in flight, one outcome per blob in the order given.

import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind } from "../errors/kinds.js";
import {
  buildBatchRequest,
  encodeBatchBody,
  MAX_BATCH_SIZE,
  newBoundary,
  parseBatchResponse,
  type SubResponse,
} from "../ops/blob-batch.js";
import { buildDeleteBlobRequest, type DeleteBlobOptions } from "../ops/delete-blob.js";
import type { AccessTier } from "../ops/models.js";
import { blobUrl, validateBlobName } from "../ops/names.js";
import { buildSetTierRequest, type SetTierOptions } from "../ops/set-tier.js";
import { errorFromParts } from "../wire/error-map.js";
import type { Request } from "../wire/request.js";
import type { ServiceInner } from "./service-inner.js";

const DEFAULT_BATCH_CONCURRENCY = 4;

/** Options of `deleteBlobs`: what happens to snapshots, how many batches in flight (default 4). */
export interface DeleteBlobsOptions {
  deleteSnapshots?: "include" | "only";
  concurrency?: number;
}

/** Options of `setBlobTiers`: the rehydrate priority, how many batches in flight (default 4). */
export interface SetBlobTiersOptions {
  rehydratePriority?: "Standard" | "High";
  concurrency?: number;
}

/** What happened to one blob of a batch. */
export type BatchOutcome = { kind: "done" } | { kind: "not-found" } | { kind: "failed"; error: AzblobError };

/** One blob's outcome. */
export interface BatchItemResult {
  name: string;
  outcome: BatchOutcome;
}

/** A sub-operation: how one blob's sub-request is built. */
export type SubOperation = { delete: DeleteBlobOptions } | { setTier: [AccessTier, SetTierOptions] };

/** Runs `operation` on `names` in batches of up to 256; a failed batch fails each of its blobs, never the whole. */
export async function runBatches(
  inner: ServiceInner,
  container: string,
  containerUrl: URL,
  names: readonly string[],
  operation: SubOperation,
  concurrency = DEFAULT_BATCH_CONCURRENCY,
): Promise<BatchItemResult[]> {
  for (const name of names) validateBlobName(name);
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw errorOfKind("InvalidInput", { message: `concurrency must be a positive integer, got ${concurrency}` });
  }
  const chunks: string[][] = [];
  for (let i = 0; i < names.length; i += MAX_BATCH_SIZE) chunks.push(names.slice(i, i + MAX_BATCH_SIZE));
  const results: BatchItemResult[][] = new Array(chunks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < chunks.length) {
      const index = next++;
      const chunk = chunks[index] ?? [];
      try {
        const outcomes = await sendBatch(inner, container, containerUrl, chunk, operation);
        results[index] = chunk.map((name, i) => ({ name, outcome: outcomes[i] ?? missingPart() }));
      } catch (err) {
        if (!(err instanceof AzblobError)) throw err;
        results[index] = chunk.map((name) => ({ name, outcome: { kind: "failed", error: err } }));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, chunks.length) }, worker));
  return results.flat();
}

function missingPart(): BatchOutcome {
  const error = errorOfKind("InvalidResponse", {
    message: "the batch answer has no part for this sub-request",
    operation: "BlobBatch",
  });
  return { kind: "failed", error };
}

async function sendBatch(
  inner: ServiceInner,
  container: string,
  containerUrl: URL,
  names: readonly string[],
  operation: SubOperation,
): Promise<BatchOutcome[]> {
  const parts: Request[] = names.map((name) => {
    const url = blobUrl(inner.endpoint, container, name);
    return "delete" in operation
      ? buildDeleteBlobRequest(url, operation.delete)
      : buildSetTierRequest(url, operation.setTier[0], operation.setTier[1]);
  });
  const operationName = parts[0]?.operation ?? "BlobBatch";
  const boundary = newBoundary();
  // Encoding the unsigned parts once checks them before anything is sent.
  const request = buildBatchRequest(containerUrl, boundary, encodeBatchBody(boundary, parts));
  request.subRequests = { boundary, parts, encode: encodeBatchBody };
  const response = await inner.pipeline.execute(request);
  let subs: SubResponse[];
  try {
    subs = parseBatchResponse(response.headers.get("content-type") ?? "", response.body);
  } catch (err) {
    if (!(err instanceof AzblobError)) throw err;
    throw errorOfKind(err.kind, { message: err.detail, operation: "BlobBatch" });
  }
  const repeatedDelete = response.repeated && "delete" in operation;
  const outcomes: Array<BatchOutcome | undefined> = names.map(() => undefined);
  let batchError: AzblobError | undefined;
  for (const part of subs) {
    const outcome = outcomeOf(part, operationName, repeatedDelete);
    if (part.contentId !== undefined && part.contentId < names.length) outcomes[part.contentId] = outcome;
    else if (outcome.kind === "failed") batchError = outcome.error;
  }
  return outcomes.map((o) => o ?? (batchError ? { kind: "failed", error: batchError } : missingPart()));
}

function outcomeOf(part: SubResponse, operation: string, repeatedDelete: boolean): BatchOutcome {
  if (part.status >= 200 && part.status <= 299) return { kind: "done" };
  const code = part.headers.get("x-ms-error-code");
  // A repeat whose lost first attempt deleted the blob: deleted, not missing.
  if (repeatedDelete && part.status === 404 && code === "BlobNotFound") return { kind: "done" };
  const error = errorFromParts(part.status, code, part.headers.get("x-ms-request-id"), part.body, operation);
  return part.status === 404 && error.kind === "NotFound" ? { kind: "not-found" } : { kind: "failed", error };
}
