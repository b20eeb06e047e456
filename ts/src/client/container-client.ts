// The config layer builds clients; this static only forwards to it when called.
import { containerClientFromUrl } from "../config/client-from-url.js";
import { AzblobError } from "../errors/azblob-error.js";
import { errorOfKind } from "../errors/kinds.js";
import type { FindBlobsByTagsOptions, TaggedBlob } from "../ops/find-blobs.js";
import { buildListBlobsRequest, type ListBlobsOptions, parseListBlobsResponse } from "../ops/list-blobs.js";
import type { ListBlobsPage, ListItem } from "../ops/list-models.js";
import type { AccessTier, WriteResult } from "../ops/models.js";
import { containerUrl } from "../ops/names.js";
import { type BlobData, bytesOf } from "../ops/put-blob.js";
import { type BatchItemResult, type DeleteBlobsOptions, runBatches, type SetBlobTiersOptions } from "./batch.js";
import { BlobClient } from "./blob-client.js";
import {
  type DownloadFilesOptions,
  downloadFiles,
  type FileJobs,
  type FileResult,
  type UploadFilesOptions,
  uploadFiles,
} from "./files.js";
import { type GetBlobsOptions, type ManyResult, type PutBlobsOptions, runMany } from "./many.js";
import { type ServiceInner, WITH_CONGESTION } from "./service-inner.js";
import { taggedBlobs } from "./tags.js";

/** A client for one container. */
export class ContainerClient {
  readonly #inner: ServiceInner;
  /** The container's name. */
  readonly name: string;

  /** @internal Made by `BlobServiceClient.container`. */
  constructor(inner: ServiceInner, name: string) {
    this.#inner = inner;
    this.name = name;
  }

  /** The client of the container a URL names, authorized by the URL's SAS if it has one. */
  static fromUrl(url: string): ContainerClient {
    return containerClientFromUrl(url);
  }

  /** The container's URL; throws `InvalidInputError` for an invalid name. */
  url(): URL {
    return containerUrl(this.#inner.endpoint, this.name);
  }

  /** A client for one blob of this container. */
  blob(name: string): BlobClient {
    return new BlobClient(this.#inner, this.name, name);
  }

  /** One page of [List Blobs](https://learn.microsoft.com/rest/api/storageservices/list-blobs) after `marker`. */
  listBlobsPage(marker?: string): Promise<ListBlobsPage> {
    return this.listBlobsPageOpts(marker, {});
  }

  /** {@link listBlobsPage} with a prefix, a delimiter, a page size or inclusions. */
  async listBlobsPageOpts(marker: string | undefined, options: ListBlobsOptions): Promise<ListBlobsPage> {
    const response = await this.#inner.pipeline.execute(buildListBlobsRequest(this.url(), options, marker));
    try {
      return parseListBlobsResponse(response.body);
    } catch (err) {
      if (!(err instanceof AzblobError)) throw err;
      throw errorOfKind(err.kind, { message: err.detail, operation: "ListBlobs", cause: err });
    }
  }

  /** Every page, following `NextMarker`; a marker the service repeats ends it with `InvalidResponseError`. */
  listBlobPages(): AsyncIterable<ListBlobsPage> {
    return this.listBlobPagesOpts({});
  }

  /** {@link listBlobPages} with options. */
  async *listBlobPagesOpts(options: ListBlobsOptions): AsyncIterable<ListBlobsPage> {
    const seen = new Set<string>();
    let marker: string | undefined;
    for (;;) {
      const page = await this.listBlobsPageOpts(marker, options);
      yield page;
      if (page.nextMarker === undefined) return;
      if (seen.has(page.nextMarker)) {
        throw errorOfKind("InvalidResponse", {
          message: `the service repeated the NextMarker ${JSON.stringify(page.nextMarker)}: following it would list the same pages forever`,
          operation: "ListBlobs",
        });
      }
      seen.add(page.nextMarker);
      marker = page.nextMarker;
    }
  }

  /** Every blob and virtual directory, page after page. */
  listBlobs(): AsyncIterable<ListItem> {
    return this.listBlobsOpts({});
  }

  /** {@link listBlobs} with options. */
  async *listBlobsOpts(options: ListBlobsOptions): AsyncIterable<ListItem> {
    for await (const page of this.listBlobPagesOpts(options)) yield* page.items;
  }

  /**
   * Every blob of this container whose index tags match `expression`, with
   * [Find Blobs by Tags in a container](https://learn.microsoft.com/rest/api/storageservices/find-blobs-by-tags-container),
   * page after page. The expression is the service's: `"stage" = 'prod' AND "run" >= '40'`
   * (keys in double quotes, values in single quotes). The index is updated
   * shortly after a write, so a blob tagged a moment ago may not be found yet on Azure.
   */
  findBlobsByTags(expression: string): AsyncIterable<TaggedBlob> {
    return this.findBlobsByTagsOpts(expression, {});
  }

  /** {@link findBlobsByTags} with a page size. */
  findBlobsByTagsOpts(expression: string, options: FindBlobsByTagsOptions): AsyncIterable<TaggedBlob> {
    return taggedBlobs(this.#inner, () => this.url(), true, expression, options);
  }

  /** Deletes `names` with [Blob Batch](https://learn.microsoft.com/rest/api/storageservices/blob-batch): one outcome per blob, in order. */
  deleteBlobs(names: Iterable<string>): Promise<BatchItemResult[]> {
    return this.deleteBlobsOpts(names, {});
  }

  /** {@link deleteBlobs} with their snapshots, or with another number of batches in flight. */
  deleteBlobsOpts(names: Iterable<string>, options: DeleteBlobsOptions): Promise<BatchItemResult[]> {
    const del = options.deleteSnapshots === undefined ? {} : { deleteSnapshots: options.deleteSnapshots };
    return runBatches(this.#inner, this.name, this.url(), [...names], { delete: del }, options.concurrency);
  }

  /** Sets the tier of `names` with Blob Batch: one outcome per blob, in order. */
  setBlobTiers(names: Iterable<string>, tier: AccessTier): Promise<BatchItemResult[]> {
    return this.setBlobTiersOpts(names, tier, {});
  }

  /** {@link setBlobTiers} with a rehydrate priority, or another number of batches in flight. */
  setBlobTiersOpts(
    names: Iterable<string>,
    tier: AccessTier,
    options: SetBlobTiersOptions,
  ): Promise<BatchItemResult[]> {
    const set = options.rehydratePriority === undefined ? {} : { rehydratePriority: options.rehydratePriority };
    return runBatches(this.#inner, this.name, this.url(), [...names], { setTier: [tier, set] }, options.concurrency);
  }

  /** Writes many small blobs, one Put Blob each, adaptive concurrency (at most 256); each outcome as it completes. */
  putBlobs(items: Iterable<[string, BlobData]>): AsyncIterable<ManyResult<WriteResult>> {
    return this.putBlobsOpts(items, {});
  }

  /** {@link putBlobs} with a concurrency and the blobs' write settings. */
  putBlobsOpts(items: Iterable<[string, BlobData]>, options: PutBlobsOptions): AsyncIterable<ManyResult<WriteResult>> {
    const blob = options.blob ?? {};
    return runMany(
      items,
      ([name]) => name,
      ([name, data], congestion) => this.blob(name)[WITH_CONGESTION](congestion).put(bytesOf(data), blob),
      options.concurrency,
    );
  }

  /** Reads many small blobs whole, one Get Blob each, adaptive concurrency (at most 256); each outcome as it completes. */
  getBlobs(names: Iterable<string>): AsyncIterable<ManyResult<Uint8Array>> {
    return this.getBlobsOpts(names, {});
  }

  /** {@link getBlobs} with a concurrency. */
  getBlobsOpts(names: Iterable<string>, options: GetBlobsOptions): AsyncIterable<ManyResult<Uint8Array>> {
    return runMany(
      names,
      (name) => name,
      async (name, congestion) => (await this.blob(name)[WITH_CONGESTION](congestion).get()).bytes(),
      options.concurrency,
    );
  }
  /**
   * Uploads many local files, each to its blob, with the default options, and
   * yields each job's outcome as it completes (not in the order given). One
   * file failing does not stop the others; jobs are read only as places free up.
   */
  uploadFiles(jobs: FileJobs): AsyncIterable<FileResult> {
    return this.uploadFilesOpts(jobs, {});
  }

  /**
   * {@link uploadFiles} with budgets and the settings every blob is written
   * with. Invalid budgets fail every file with `InvalidInputError`, before
   * anything is sent.
   */
  uploadFilesOpts(jobs: FileJobs, options: UploadFilesOptions): AsyncIterable<FileResult> {
    return uploadFiles((name) => this.blob(name), jobs, options);
  }

  /**
   * Downloads many blobs, each to its local file, with the default options,
   * and yields each job's outcome as it completes. One blob failing does not
   * stop the others. The parent directory of each file is created; the
   * caller decides which paths are acceptable.
   */
  downloadFiles(jobs: FileJobs): AsyncIterable<FileResult> {
    return this.downloadFilesOpts(jobs, {});
  }

  /** {@link downloadFiles} with budgets and how each blob is read; a job's `mtime` is given to its file once written. */
  downloadFilesOpts(jobs: FileJobs, options: DownloadFilesOptions): AsyncIterable<FileResult> {
    return downloadFiles((name) => this.blob(name), jobs, options);
  }
}
