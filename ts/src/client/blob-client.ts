import type { Writable } from "node:stream";
// The config layer builds clients; this static only forwards to it when called.
import { blobClientFromUrl } from "../config/client-from-url.js";
import { AzblobError } from "../errors/azblob-error.js";
import { invalidInput, invalidResponse, withOperation } from "../errors/kinds.js";
import {
  type AppendOptions,
  buildCreateAppendBlobRequest,
  buildSealRequest,
  type CreateAppendBlobOptions,
} from "../ops/append-blob.js";
import {
  buildGetPropertiesRequest,
  buildSetHttpHeadersRequest,
  buildSetMetadataRequest,
  type PropertiesOptions,
  parseBlobProperties,
} from "../ops/blob-properties.js";
import {
  type BlockList,
  type BlockListOptions,
  buildGetBlockList,
  buildPutBlock,
  buildPutBlockList,
  type PutBlockListOptions,
  type PutBlockOptions,
  parseBlockList,
} from "../ops/blocks.js";
import type { Conditions } from "../ops/conditions.js";
import { refineIfNotExists } from "../ops/conditions.js";
import {
  buildAbortCopyRequest,
  buildCopyRequest,
  type CopyOptions,
  type CopyStarted,
  parseCopyResponse,
} from "../ops/copy-blob.js";
import { askRangeCrc64 } from "../ops/crc64.js";
import { buildDeleteBlobRequest, type DeleteBlobOptions, deletedByEarlierAttempt } from "../ops/delete-blob.js";
import { buildGetBlobRequest, checkRange, type GetOptions } from "../ops/get-blob.js";
import {
  type AcquireLeaseOptions,
  type BreakLeaseOptions,
  buildLeaseRequest,
  type LeaseAction,
  type LeaseDuration,
  type LeaseGranted,
  parseLeaseBroken,
  parseLeaseGranted,
} from "../ops/lease.js";
import type { ListBlobsOptions } from "../ops/list-blobs.js";
import type { BlobItem } from "../ops/list-models.js";
import type { AccessTier, BlobProperties, BlobRange, ContentHeaders, Metadata, WriteResult } from "../ops/models.js";
import { blobUrl, blobUrlText } from "../ops/names.js";
import {
  type BlobData,
  buildPutBlobRequest,
  bytesOf,
  type PutBlobOptions,
  parseWriteResponse,
} from "../ops/put-blob.js";
import {
  buildPutBlockFromUrlRequest,
  type PutBlockFromUrlOptions,
  refineSourceChanged,
} from "../ops/put-block-from-url.js";
import { buildSetTierRequest, type SetTierOptions } from "../ops/set-tier.js";
import {
  buildSnapshotRequest,
  parseSnapshotResponse,
  type SnapshotInfo,
  type SnapshotOptions,
} from "../ops/snapshot.js";
import {
  buildGetTagsRequest,
  buildSetTagsRequest,
  checkSetTagsResponse,
  parseTagsBody,
  type Tags,
} from "../ops/tags.js";
import { redactUrl } from "../redact/url.js";
import { type BlockCopyOptions, runBlockCopy, validateBlockCopyOptions } from "../transfer/block-copy.js";
import {
  type DownloadOptions,
  type DownloadReport,
  downloadToFile,
  downloadToMemory,
  type RangeReader,
  runDownload,
  writeTo,
} from "../transfer/download.js";
import { type GetBlobResponse, getBlob } from "../transfer/get-stream.js";
import { runUpload, type UploadOptions, type UploadReport, type UploadSource } from "../transfer/upload.js";
import { errorFromResponse } from "../wire/error-map.js";
import type { Request, Response } from "../wire/request.js";
import type { Tally } from "../wire/tally.js";
import { appendData } from "./append.js";
import { ContainerClient } from "./container-client.js";
import { CopyOperation, type CopySource } from "./copy.js";
import { INNER, RANGE_READER, type ServiceInner, SOURCE_BLOB, WITH_CONGESTION } from "./service-inner.js";
import type { GetTagsOptions, SetTagsOptions } from "./tags.js";

/** A client for one blob. */
export class BlobClient {
  readonly #inner: ServiceInner;
  /** The container's name. */
  readonly containerName: string;
  /** The blob's name. */
  readonly name: string;

  /** @internal Made by `ContainerClient.blob`. */
  constructor(inner: ServiceInner, container: string, name: string) {
    this.#inner = inner;
    this.containerName = container;
    this.name = name;
  }

  /**
   * The client of the blob a URL names (`https://acct.blob.core.windows.net/c/b?<SAS>`),
   * authorized by the URL's SAS if it has one. A URL selecting a snapshot or version is refused.
   */
  static fromUrl(url: string): BlobClient {
    return blobClientFromUrl(url);
  }

  /** The blob's URL; throws `InvalidInputError` for an invalid container or blob name. */
  url(): URL {
    return blobUrl(this.#inner.endpoint, this.containerName, this.name);
  }

  /** {@link url} as text: the request built from it parses it once, as its own URL. */
  #urlText(): string {
    return blobUrlText(this.#inner.endpoint, this.containerName, this.name);
  }

  /** Writes the whole blob with one [Put Blob](https://learn.microsoft.com/rest/api/storageservices/put-blob). */
  put(data: BlobData): Promise<WriteResult> {
    return this.putOpts(data, {});
  }

  /** {@link put} with content headers, metadata, tier, conditions or a transactional MD5. */
  putOpts(data: BlobData, options: PutBlobOptions): Promise<WriteResult> {
    return this.#put(data, options, undefined);
  }

  #put(data: BlobData, options: PutBlobOptions, congestion: Tally | undefined): Promise<WriteResult> {
    // Promise handlers rather than an async method: small puts are the hot path, and an async frame costs more.
    let request: Request;
    try {
      request = buildPutBlobRequest(this.#urlText(), bytesOf(data), options);
    } catch (err) {
      return Promise.reject(err);
    }
    request.congestion = congestion;
    return this.execute(request).then(parsePutBlobResponse, (err: unknown) => {
      throw refineIfNotExists(err, options.conditions ?? {});
    });
  }

  /**
   * Uploads bytes, text or a stream: one Put Blob up to `singlePutMax` (256
   * MiB by default), else blocks of 8 MiB, 8 in flight, and one Put Block List.
   */
  upload(source: UploadSource): Promise<UploadReport> {
    return this.uploadOpts(source, {});
  }

  /** {@link upload} with a block size, a concurrency, the blob's write settings, or a whole-blob MD5. */
  uploadOpts(source: UploadSource, options: UploadOptions): Promise<UploadReport> {
    const inner = this.#inner;
    return runUpload(inner.pipeline, this.url(), () => inner.rng.newSessionId(), source, options);
  }

  /** [Get Blob](https://learn.microsoft.com/rest/api/storageservices/get-blob): the body and its head. */
  get(): Promise<GetBlobResponse> {
    return this.getOpts({});
  }

  /** {@link get} with a range, a snapshot or version, or conditions; a body that breaks off resumes from the next byte. */
  getOpts(options: GetOptions): Promise<GetBlobResponse> {
    return this.#get(options, undefined);
  }

  /**
   * Get Blob, its requests carrying a transfer's congestion counter if given;
   * with `into`, the place of the range's bytes (a download into memory),
   * which each request, a resumed one too, offers the wire for its part.
   */
  #get(
    options: GetOptions,
    congestion: Tally | undefined,
    rangeCrc64 = false,
    into?: Uint8Array,
  ): Promise<GetBlobResponse> {
    const base = options.range?.offset ?? 0;
    const getOnce = (o: GetOptions) => {
      const request = buildGetBlobRequest(this.#urlText(), o);
      if (rangeCrc64) askRangeCrc64(request);
      request.congestion = congestion;
      if (into !== undefined && o.range?.length !== undefined) {
        const at = o.range.offset - base;
        request.bodyInto = into.subarray(at, at + o.range.length);
      }
      return this.execute(request);
    };
    // A range's CRC64 covers the whole range: a body that breaks off is
    // not resumed from the next byte but asked again whole by the download.
    return getBlob(getOnce, options, rangeCrc64 ? 0 : this.#inner.bodyResumes).then(undefined, rethrowAsGetBlob);
  }

  /** The whole blob in memory, read in ranges of 8 MiB, every range after the first with `If-Match`. */
  download(): Promise<Uint8Array> {
    return this.downloadOpts({});
  }

  /** {@link download} with a chunk size, a concurrency, an MD5 check, or a snapshot or version. */
  async downloadOpts(options: DownloadOptions): Promise<Uint8Array> {
    const [data] = await downloadToMemory(this.#ranges(), options);
    return data;
  }

  /** Downloads into a Node writable, in order. */
  downloadToWriter(writer: Writable): Promise<DownloadReport> {
    return this.downloadToWriterOpts(writer, {});
  }

  /** {@link downloadToWriter} with options. */
  downloadToWriterOpts(writer: Writable, options: DownloadOptions): Promise<DownloadReport> {
    return runDownload(this.#ranges(), options, writeTo(writer));
  }

  /** Downloads into a file through a temporary `.partial` file renamed into place on success. */
  downloadToFile(path: string): Promise<DownloadReport> {
    return this.downloadToFileOpts(path, {});
  }

  /** {@link downloadToFile} with options (`overwrite: false` refuses an existing file). */
  downloadToFileOpts(path: string, options: DownloadOptions): Promise<DownloadReport> {
    return downloadToFile(this.#ranges(), path, options);
  }

  /** The bytes of `range`; a range starting at or past the end fails with `InvalidRangeError`. */
  async downloadRange(range: BlobRange): Promise<Uint8Array> {
    const response = await this.getOpts({ range });
    checkRange(response.head, range);
    return response.bytes();
  }

  /** [Get Blob Properties](https://learn.microsoft.com/rest/api/storageservices/get-blob-properties). */
  properties(): Promise<BlobProperties> {
    return this.propertiesOpts({});
  }

  /** {@link properties} of a snapshot or version, or under conditions. */
  async propertiesOpts(options: PropertiesOptions): Promise<BlobProperties> {
    const response = await this.execute(buildGetPropertiesRequest(this.url(), options));
    try {
      return parseBlobProperties(response.headers);
    } catch (err) {
      throw withOperation(err, "GetBlobProperties");
    }
  }

  /** Whether the blob exists (a `HEAD` answered 404 means no). */
  async exists(): Promise<boolean> {
    try {
      await this.properties();
      return true;
    } catch (err) {
      if (err instanceof AzblobError && err.kind === "NotFound") return false;
      throw err;
    }
  }

  /** [Set Blob Metadata](https://learn.microsoft.com/rest/api/storageservices/set-blob-metadata): replaces all metadata. */
  setMetadata(metadata: Metadata): Promise<WriteResult> {
    return this.setMetadataOpts(metadata, {});
  }

  /** {@link setMetadata} under conditions. */
  async setMetadataOpts(metadata: Metadata, conditions: Conditions): Promise<WriteResult> {
    const response = await this.execute(buildSetMetadataRequest(this.url(), metadata, conditions));
    try {
      return parseWriteResponse(response, 200);
    } catch (err) {
      throw withOperation(err, "SetBlobMetadata");
    }
  }

  /** [Set Blob Properties](https://learn.microsoft.com/rest/api/storageservices/set-blob-properties): replaces all content headers. */
  setHttpHeaders(content: ContentHeaders): Promise<WriteResult> {
    return this.setHttpHeadersOpts(content, {});
  }

  /** {@link setHttpHeaders} under conditions. */
  async setHttpHeadersOpts(content: ContentHeaders, conditions: Conditions): Promise<WriteResult> {
    const response = await this.execute(buildSetHttpHeadersRequest(this.url(), content, conditions));
    try {
      return parseWriteResponse(response, 200);
    } catch (err) {
      throw withOperation(err, "SetBlobHttpHeaders");
    }
  }

  /** [Delete Blob](https://learn.microsoft.com/rest/api/storageservices/delete-blob). */
  delete(): Promise<void> {
    return this.deleteOpts({});
  }

  /** {@link delete} of a snapshot or version, with its snapshots, or under conditions. */
  async deleteOpts(options: DeleteBlobOptions): Promise<void> {
    const request = buildDeleteBlobRequest(this.url(), options);
    const response = await this.#inner.pipeline.send(request);
    if ((response.status >= 200 && response.status <= 299) || deletedByEarlierAttempt(response)) return;
    throw errorFromResponse(response, "DeleteBlob");
  }

  /** Creates an empty append blob (Put Blob with `x-ms-blob-type: AppendBlob`). */
  createAppendBlob(): Promise<WriteResult> {
    return this.createAppendBlobOpts({});
  }

  /** {@link createAppendBlob} with content headers, metadata or conditions. */
  async createAppendBlobOpts(options: CreateAppendBlobOptions): Promise<WriteResult> {
    let response: Awaited<ReturnType<typeof this.execute>>;
    try {
      response = await this.execute(buildCreateAppendBlobRequest(this.url(), options));
    } catch (err) {
      throw refineIfNotExists(err, options.conditions ?? {});
    }
    try {
      return parseWriteResponse(response, 201);
    } catch (err) {
      throw withOperation(err, "CreateAppendBlob");
    }
  }

  /** [Append Block](https://learn.microsoft.com/rest/api/storageservices/append-block), in blocks of up to 100 MiB. */
  append(data: BlobData): Promise<WriteResult> {
    return this.appendOpts(data, {});
  }

  /**
   * {@link append} at a position, under a size cap, or with a transactional
   * MD5. With a position, a repeat that fails the position check after an
   * attempt whose answer was lost reads the blob back: the data in place
   * means it landed.
   */
  appendOpts(data: BlobData, options: AppendOptions): Promise<WriteResult> {
    return appendData(this.#inner.pipeline, this, bytesOf(data), options);
  }

  /** [Append Blob Seal](https://learn.microsoft.com/rest/api/storageservices/append-blob-seal): no more appends. */
  seal(): Promise<WriteResult> {
    return this.sealOpts({});
  }

  /** {@link seal} under conditions. */
  async sealOpts(conditions: Conditions): Promise<WriteResult> {
    const response = await this.execute(buildSealRequest(this.url(), conditions));
    try {
      return parseWriteResponse(response, 200);
    } catch (err) {
      throw withOperation(err, "SealAppendBlob");
    }
  }

  /**
   * [Copy Blob From URL](https://learn.microsoft.com/rest/api/storageservices/copy-blob-from-url):
   * a synchronous copy (sources up to 256 MiB), done when this resolves.
   */
  copyFromUrl(source: CopySource): Promise<CopyStarted> {
    return this.copyFromUrlOpts(source, {});
  }

  /** {@link copyFromUrl} with the destination's metadata, tier or conditions. */
  async copyFromUrlOpts(source: CopySource, options: CopyOptions): Promise<CopyStarted> {
    const destination = this.url();
    const { url, bearer } = await source.resolve(true, destination);
    let response: Awaited<ReturnType<typeof this.execute>>;
    try {
      response = await this.execute(buildCopyRequest(destination, url, bearer, true, options));
    } catch (err) {
      // A copy that asked "only if new" may be refused 409 or 412: both are AlreadyExists.
      throw refineIfNotExists(err, options.conditions ?? {});
    }
    let started: CopyStarted;
    try {
      started = parseCopyResponse(response);
    } catch (err) {
      throw withOperation(err, "CopyBlobFromUrl");
    }
    if (started.status !== "success") {
      throw withOperation(
        invalidResponse(`a synchronous copy answered status ${started.status}, not success`),
        "CopyBlobFromUrl",
      );
    }
    return started;
  }

  /** [Copy Blob](https://learn.microsoft.com/rest/api/storageservices/copy-blob): an asynchronous copy to poll or wait for. */
  startCopy(source: CopySource): Promise<CopyOperation> {
    return this.startCopyOpts(source, {});
  }

  /** {@link startCopy} with the destination's metadata, tier or conditions. */
  async startCopyOpts(source: CopySource, options: CopyOptions): Promise<CopyOperation> {
    const destination = this.url();
    const { url } = await source.resolve(false, destination);
    let response: Awaited<ReturnType<typeof this.execute>>;
    try {
      response = await this.execute(buildCopyRequest(destination, url, undefined, false, options));
    } catch (err) {
      throw refineIfNotExists(err, options.conditions ?? {});
    }
    try {
      const started = parseCopyResponse(response);
      return new CopyOperation(this, started.copyId, started.status, options.conditions?.leaseId);
    } catch (err) {
      throw withOperation(err, "CopyBlob");
    }
  }

  /** [Abort Copy Blob](https://learn.microsoft.com/rest/api/storageservices/abort-copy-blob). */
  async abortCopy(copyId: string): Promise<void> {
    await this.abortCopyOpts(copyId, {});
  }

  /**
   * {@link abortCopy} of a copy into a leased blob: `conditions` carries the
   * destination's lease id (`leaseId`), which Abort Copy Blob requires while
   * the lease is active; it takes no other condition.
   */
  async abortCopyOpts(copyId: string, conditions: Conditions): Promise<void> {
    await this.execute(buildAbortCopyRequest(this.url(), copyId, conditions));
  }

  /**
   * Stages `data` as the block `blockId` (base64, 1 to 64 bytes before
   * encoding, the same length for every block of the blob) with
   * [Put Block](https://learn.microsoft.com/rest/api/storageservices/put-block).
   * It becomes part of the blob only when a Put Block List names it.
   */
  putBlock(blockId: string, data: BlobData): Promise<void> {
    return this.putBlockOpts(blockId, data, {});
  }

  /** {@link putBlock} with a transactional MD5 or a lease id. */
  async putBlockOpts(blockId: string, data: BlobData, options: PutBlockOptions): Promise<void> {
    await this.execute(buildPutBlock(this.url(), blockId, bytesOf(data), options));
  }

  /**
   * Commits the blocks `blockIds` (base64, in blob order) as the blob's
   * content with [Put Block List](https://learn.microsoft.com/rest/api/storageservices/put-block-list).
   * Each id is looked up among the uncommitted blocks first, then the
   * committed ones (`<Latest>`); blocks the list leaves out are discarded.
   */
  putBlockList(blockIds: readonly string[]): Promise<WriteResult> {
    return this.putBlockListOpts(blockIds, {});
  }

  /** {@link putBlockList} with the committed blob's content headers, metadata, tier and conditions. */
  async putBlockListOpts(blockIds: readonly string[], options: PutBlockListOptions): Promise<WriteResult> {
    const request = buildPutBlockList(this.url(), blockIds, options);
    let response: Awaited<ReturnType<typeof this.execute>>;
    try {
      response = await this.execute(request);
    } catch (err) {
      throw refineIfNotExists(err, options.blob?.conditions ?? {});
    }
    try {
      return parseWriteResponse(response, 201);
    } catch (err) {
      throw withOperation(err, "PutBlockList");
    }
  }

  /**
   * The committed and uncommitted blocks of the blob with
   * [Get Block List](https://learn.microsoft.com/rest/api/storageservices/get-block-list).
   * A blob with neither fails with `NotFoundError`.
   */
  blockList(): Promise<BlockList> {
    return this.blockListOpts({});
  }

  /** {@link blockList} of one list, or of a snapshot or version. */
  async blockListOpts(options: BlockListOptions): Promise<BlockList> {
    const response = await this.execute(buildGetBlockList(this.url(), options));
    try {
      return parseBlockList(response.headers, response.body);
    } catch (err) {
      throw withOperation(err, "GetBlockList");
    }
  }

  /** The blob's index tags, with [Get Blob Tags](https://learn.microsoft.com/rest/api/storageservices/get-blob-tags). */
  getTags(): Promise<Tags> {
    return this.getTagsOpts({});
  }

  /** {@link getTags} of a snapshot or version, or under a lease or tag condition. */
  async getTagsOpts(options: GetTagsOptions): Promise<Tags> {
    const response = await this.execute(buildGetTagsRequest(this.url(), options.selector, options.conditions));
    try {
      return parseTagsBody(response.body);
    } catch (err) {
      throw withOperation(err, "GetBlobTags");
    }
  }

  /**
   * Replaces all of the blob's index tags with `tags` (empty removes them),
   * with [Set Blob Tags](https://learn.microsoft.com/rest/api/storageservices/set-blob-tags).
   * The tags are checked first: see `Tags`.
   */
  setTags(tags: Tags): Promise<void> {
    return this.setTagsOpts(tags, {});
  }

  /** {@link setTags} of a version, or under a lease or tag condition. */
  async setTagsOpts(tags: Tags, options: SetTagsOptions): Promise<void> {
    const request = buildSetTagsRequest(this.url(), tags, options.selector, options.conditions);
    const response = await this.execute(request);
    try {
      checkSetTagsResponse(response);
    } catch (err) {
      throw withOperation(err, "SetBlobTags");
    }
  }

  /**
   * Takes the blob's lease, so that only requests naming its id
   * (`Conditions.leaseId`) may write or delete the blob, with
   * [Lease Blob](https://learn.microsoft.com/rest/api/storageservices/lease-blob) `acquire`.
   * A blob leased by someone else fails with `ConflictError` (`LeaseAlreadyPresent`).
   * A fixed lease must be renewed before it runs out; `Lease.acquire` does that in the background.
   */
  acquireLease(duration: LeaseDuration): Promise<LeaseGranted> {
    return this.acquireLeaseOpts(duration, {});
  }

  /** {@link acquireLease} with a proposed id or under conditions. */
  acquireLeaseOpts(duration: LeaseDuration, options: AcquireLeaseOptions): Promise<LeaseGranted> {
    return this.#leaseAction(
      { action: "acquire", duration, proposed: options.proposedLeaseId },
      options.conditions ?? {},
    );
  }

  /** Restarts the lease's duration (Lease Blob `renew`); an expired lease that nobody else took is renewed too. */
  renewLease(leaseId: string): Promise<LeaseGranted> {
    return this.renewLeaseOpts(leaseId, {});
  }

  /** {@link renewLease} under ETag, date or tag conditions. */
  renewLeaseOpts(leaseId: string, conditions: Conditions): Promise<LeaseGranted> {
    return this.#leaseAction({ action: "renew", leaseId }, conditions);
  }

  /** Gives the active lease the id `proposedLeaseId` (Lease Blob `change`). */
  changeLease(leaseId: string, proposedLeaseId: string): Promise<LeaseGranted> {
    return this.changeLeaseOpts(leaseId, proposedLeaseId, {});
  }

  /** {@link changeLease} under ETag, date or tag conditions. */
  changeLeaseOpts(leaseId: string, proposedLeaseId: string, conditions: Conditions): Promise<LeaseGranted> {
    return this.#leaseAction({ action: "change", leaseId, proposed: proposedLeaseId }, conditions);
  }

  /** Ends the lease at once, so another client may acquire it (Lease Blob `release`). */
  releaseLease(leaseId: string): Promise<void> {
    return this.releaseLeaseOpts(leaseId, {});
  }

  /** {@link releaseLease} under ETag, date or tag conditions. */
  async releaseLeaseOpts(leaseId: string, conditions: Conditions): Promise<void> {
    const response = await this.execute(buildLeaseRequest(this.url(), { action: "release", leaseId }, conditions));
    if (response.status !== 200) {
      throw withOperation(invalidResponse(`Lease Blob (release) answered HTTP ${response.status}`), "LeaseBlob");
    }
  }

  /**
   * Ends the lease without its id, for when its holder is gone (Lease Blob
   * `break`): a fixed lease runs out, an infinite one ends at once. Resolves
   * with the seconds until the lease is broken.
   */
  breakLease(): Promise<number> {
    return this.breakLeaseOpts({});
  }

  /** {@link breakLease} after a break period of 0 to 60 seconds, or under conditions. */
  async breakLeaseOpts(options: BreakLeaseOptions): Promise<number> {
    const action: LeaseAction = { action: "break", period: options.breakPeriod };
    const response = await this.execute(buildLeaseRequest(this.url(), action, options.conditions ?? {}));
    try {
      return parseLeaseBroken(response);
    } catch (err) {
      throw withOperation(err, "LeaseBlob");
    }
  }

  async #leaseAction(action: LeaseAction, conditions: Conditions): Promise<LeaseGranted> {
    const response = await this.execute(buildLeaseRequest(this.url(), action, conditions));
    try {
      return parseLeaseGranted(response);
    } catch (err) {
      throw withOperation(err, "LeaseBlob");
    }
  }

  /**
   * Stages the whole of `source` (at most 4000 MiB) as the uncommitted block
   * `blockId` (base64, at most 64 bytes before encoding) with
   * [Put Block From URL](https://learn.microsoft.com/rest/api/storageservices/put-block-from-url):
   * the service reads the source, nothing passes through the client. The
   * source is authorized as for {@link copyFromUrl}.
   */
  putBlockFromUrl(blockId: string, source: CopySource): Promise<void> {
    return this.putBlockFromUrlOpts(blockId, source, {});
  }

  /** {@link putBlockFromUrl} of a range of the source, pinned to its ETag (a changed source fails with `SourceChangedError`). */
  async putBlockFromUrlOpts(blockId: string, source: CopySource, options: PutBlockFromUrlOptions): Promise<void> {
    const destination = this.url();
    const { url, bearer } = await source.resolve(true, destination);
    const request = buildPutBlockFromUrlRequest(destination, blockId, url, bearer, options);
    try {
      await this.execute(request);
    } catch (err) {
      throw refineSourceChanged(err);
    }
  }

  /**
   * Copies `source`, of any size, into this block blob: parallel Put Block
   * From URL calls of 128 MiB blocks, each pinned to the source's ETag, then
   * one Put Block List. Unlike {@link copyFromUrl} it has no 256 MiB limit,
   * and unlike {@link startCopy} it takes a bearer token for its source. The
   * new blob gets the source's content headers and metadata. A source that
   * changes during the copy fails it with `SourceChangedError`, and nothing is committed.
   */
  copyBlocksFromUrl(source: CopySource): Promise<UploadReport> {
    return this.copyBlocksFromUrlOpts(source, {});
  }

  /** {@link copyBlocksFromUrl} with a block size, a concurrency, the new blob's settings, or a checkpoint to resume from. */
  async copyBlocksFromUrlOpts(source: CopySource, options: BlockCopyOptions): Promise<UploadReport> {
    validateBlockCopyOptions(options);
    const destination = this.url();
    let props = options.sourceProperties;
    if (props === undefined) {
      const of = source[SOURCE_BLOB]();
      if (of === undefined) {
        const { url } = await source.resolve(true, destination);
        throw invalidInput(
          `a block copy from ${redactUrl(url)} needs the source's properties (BlockCopyOptions.sourceProperties)`,
        );
      }
      props = await of.blob.propertiesOpts({ selector: of.selector });
    }
    // Resolved once up front, so a source this client may not authorize
    // fails before anything is written, and to name it in the checkpoint.
    const { url: first } = await source.resolve(true, destination);
    const info = { id: sourceId(first), etag: props.etag, size: props.contentLength };
    const inner = this.#inner;
    return runBlockCopy(
      inner.pipeline,
      destination,
      () => inner.rng.newSessionId(),
      info,
      () => source.resolve(true, destination),
      { ...options, blob: inherit(options.blob ?? {}, props) },
    );
  }

  /** What the download engine reads through. */
  #ranges(): RangeReader {
    return {
      getOpts: (options, congestion, rangeCrc64, into) => this.#get(options, congestion, rangeCrc64, into),
    };
  }

  /** @internal What the download engine reads through, for `downloadFiles`, which calls the engine itself. */
  [RANGE_READER](): RangeReader {
    return this.#ranges();
  }

  /** @internal Put Blob and whole Get Blob carrying a transfer's congestion counter (`putBlobs`, `getBlobs`). */
  [WITH_CONGESTION](congestion: Tally): {
    put(data: BlobData, options: PutBlobOptions): Promise<WriteResult>;
    get(): Promise<GetBlobResponse>;
  } {
    return { put: (data, options) => this.#put(data, options, congestion), get: () => this.#get({}, congestion) };
  }

  /** @internal The service state, for the library's own modules. */
  [INNER](): ServiceInner {
    return this.#inner;
  }

  /** The client of this blob's container. */
  container(): ContainerClient {
    return new ContainerClient(this.#inner, this.containerName);
  }

  /**
   * The blob's versions, newest first, from a listing with `include=versions`
   * (accounts with versioning; Azurite keeps none).
   */
  async listVersions(): Promise<BlobItem[]> {
    const options: ListBlobsOptions = { prefix: this.name, include: { versions: true, metadata: true } };
    const versions: BlobItem[] = [];
    for await (const item of this.container().listBlobsOpts(options)) {
      if (item.kind === "blob" && item.name === this.name && item.versionId !== undefined) versions.push(item);
    }
    // Version ids are fixed-width ISO 8601 timestamps: text order is time order.
    return versions.sort((a, b) => ((a.versionId ?? "") < (b.versionId ?? "") ? 1 : -1));
  }

  /** [Set Blob Tier](https://learn.microsoft.com/rest/api/storageservices/set-blob-tier). */
  setTier(tier: AccessTier): Promise<void> {
    return this.setTierOpts(tier, {});
  }

  /** {@link setTier} of a snapshot or version, or with a rehydrate priority. */
  async setTierOpts(tier: AccessTier, options: SetTierOptions): Promise<void> {
    await this.execute(buildSetTierRequest(this.url(), tier, options));
  }

  /** [Snapshot Blob](https://learn.microsoft.com/rest/api/storageservices/snapshot-blob). */
  createSnapshot(): Promise<SnapshotInfo> {
    return this.createSnapshotOpts({});
  }

  /** {@link createSnapshot} with the snapshot's metadata or conditions. */
  async createSnapshotOpts(options: SnapshotOptions): Promise<SnapshotInfo> {
    const response = await this.execute(buildSnapshotRequest(this.url(), options));
    try {
      return parseSnapshotResponse(response);
    } catch (err) {
      throw withOperation(err, "SnapshotBlob");
    }
  }

  private execute(request: Parameters<ServiceInner["pipeline"]["execute"]>[0]) {
    return this.#inner.pipeline.execute(request);
  }
}

/** Put Blob's answer read, a failure named as Put Blob's. */
function parsePutBlobResponse(response: Response): WriteResult {
  try {
    return parseWriteResponse(response, 201);
  } catch (err) {
    throw withOperation(err, "PutBlob");
  }
}

/** A Get Blob failure named as Get Blob's. */
function rethrowAsGetBlob(err: unknown): never {
  throw withOperation(err, "GetBlob");
}

/** The source's URL without its credentials, a snapshot or version kept: it names the source in a checkpoint. */
function sourceId(url: URL): string {
  const id = new URL(url.href);
  const kept = [...url.searchParams].filter(([k]) => k === "snapshot" || k === "versionid");
  id.search = "";
  for (const [k, v] of kept) id.searchParams.append(k, v);
  return id.href;
}

/** Empty content headers and metadata take the source's, as Copy Blob does. */
function inherit(blob: PutBlobOptions, props: BlobProperties): PutBlobOptions {
  const content = blob.content ?? {};
  const emptyContent = Object.values(content).every((v) => v === undefined);
  const emptyMetadata = Object.keys(blob.metadata ?? {}).length === 0;
  return {
    ...blob,
    ...(emptyContent ? { content: props.content } : {}),
    ...(emptyMetadata ? { metadata: props.metadata } : {}),
  };
}
