// The package's front door: re-exports only.

export type { Credential } from "./auth/credential.js";
export type { UserDelegationKey } from "./auth/delegation-key.js";
export { AzureCliCredential, type AzureCliOptions } from "./auth/entra/azure-cli.js";
export { ChainedTokenCredential, type DefaultCredentialOptions, defaultAzureCredential } from "./auth/entra/chain.js";
export {
  ClientCredential,
  type ClientCredentialOptions,
  DEFAULT_AUTHORITY_HOST,
} from "./auth/entra/client-credential.js";
export {
  IMDS_ENDPOINT,
  ManagedIdentityCredential,
  type ManagedIdentityOptions,
} from "./auth/entra/managed-identity.js";
export { Sas, type SasScope, type SasSettings } from "./auth/sas/sas.js";
export { type SasProtocol, SasToken } from "./auth/sas/sas-token.js";
export { AZURE_STORAGE_SUFFIXES, CredentialScope } from "./auth/scope.js";
export { SharedKeyCredential, stringToSign } from "./auth/shared-key.js";
export { type AccessToken, STORAGE_SCOPE, StaticTokenCredential, type TokenCredential } from "./auth/token.js";
export type { BatchItemResult, BatchOutcome, DeleteBlobsOptions, SetBlobTiersOptions } from "./client/batch.js";
export { BlobClient } from "./client/blob-client.js";
export { BlobServiceClient } from "./client/blob-service-client.js";
export { ContainerClient } from "./client/container-client.js";
export { CopyOperation, CopySource, type WaitOptions } from "./client/copy.js";
export {
  type DownloadFilesOptions,
  type FileJob,
  type FileJobs,
  type FileReport,
  type FileResult,
  MTIME_METADATA_KEY,
  mtimeFromMetadata,
  type UploadFilesOptions,
} from "./client/files.js";
export { Lease } from "./client/lease.js";
export type { GetBlobsOptions, ManyResult, PutBlobsOptions } from "./client/many.js";
export type { GetTagsOptions, SetTagsOptions } from "./client/tags.js";
export { BlobUrl } from "./config/blob-url.js";
export { ClientBuilder } from "./config/client-builder.js";
export { DEV_ACCOUNT, DEV_ACCOUNT_KEY, DEV_BLOB_ENDPOINT } from "./config/dev.js";
export type { EnvAuth, FromEnvOptions } from "./config/env.js";
export { AzblobError, type AzblobErrorInit } from "./errors/azblob-error.js";
export { ErrorKind } from "./errors/error-kind.js";
export * from "./errors/guards.js";
export {
  AlreadyExistsError,
  ArchivedError,
  BadRequestError,
  ConflictError,
  errorOfKind,
  IntegrityMismatchError,
  InvalidInputError,
  InvalidRangeError,
  InvalidResponseError,
  IoError,
  NotFoundError,
  OtherError,
  PermissionDeniedError,
  PreconditionFailedError,
  ServerBusyError,
  SourceChangedError,
  ThrottledError,
  TimeoutError,
  TransportError,
  UnauthenticatedError,
  UnverifiableError,
} from "./errors/kinds.js";
export { type AppendOptions, type CreateAppendBlobOptions, MAX_APPEND_BLOCK_BYTES } from "./ops/append-blob.js";
export { MAX_BATCH_SIZE } from "./ops/blob-batch.js";
export type { PropertiesOptions } from "./ops/blob-properties.js";
export {
  type BlockInfo,
  type BlockList,
  type BlockListOptions,
  type BlockListType,
  MAX_BLOCK_ID_BYTES,
  type PutBlockListOptions,
  type PutBlockOptions,
} from "./ops/blocks.js";
export { type Conditions, ifMatch, ifNotExists, lease } from "./ops/conditions.js";
export { type CopyOptions, type CopyStarted, MAX_SYNC_COPY_BYTES } from "./ops/copy-blob.js";
export type { DeleteBlobOptions } from "./ops/delete-blob.js";
export type { FindBlobsByTagsOptions, TaggedBlob } from "./ops/find-blobs.js";
export type { GetBlobHead, GetOptions } from "./ops/get-blob.js";
export {
  type AcquireLeaseOptions,
  type BreakLeaseOptions,
  type LeaseDuration,
  type LeaseGranted,
  MAX_BREAK_PERIOD_SECS,
  MAX_LEASE_SECS,
  MIN_LEASE_SECS,
} from "./ops/lease.js";
export { type ListBlobsOptions, type ListInclude, MAX_LIST_RESULTS } from "./ops/list-blobs.js";
export type { BlobItem, CopyState, ListBlobsPage, ListItem, PrefixItem } from "./ops/list-models.js";
export {
  type AccessTier,
  type BlobProperties,
  BlobRange,
  type BlobType,
  type ContentHeaders,
  type LeaseState,
  type Metadata,
  type WriteResult,
} from "./ops/models.js";
export { type BlobData, MAX_PUT_BLOB_BYTES, type PutBlobOptions } from "./ops/put-blob.js";
export type { PutBlockFromUrlOptions } from "./ops/put-block-from-url.js";
export type { BlobSelector } from "./ops/selector.js";
export type { SetTierOptions } from "./ops/set-tier.js";
export type { SnapshotInfo, SnapshotOptions } from "./ops/snapshot.js";
export { MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS, MAX_TAGS, type Tags } from "./ops/tags.js";
export type { AttemptRecord } from "./pipeline/trace.js";
export { Secret } from "./redact/secret.js";
export { redactUrl } from "./redact/url.js";
export type { Cassette, CassetteBody, CassetteRequest, CassetteResponse, Interaction } from "./sim/cassette.js";
export type { Matching } from "./sim/matcher.js";
export { blockId, SeededRng } from "./sim/seeded-rng.js";
export type { SimulationOptions, SimulationStats } from "./sim/simulation.js";
export { type BlockCopyOptions, DEFAULT_COPY_BLOCK_SIZE } from "./transfer/block-copy.js";
export { DEFAULT_CHUNK_SIZE, type DownloadOptions, type DownloadReport } from "./transfer/download.js";
export { GetBlobResponse } from "./transfer/get-stream.js";
export type { TransferStats } from "./transfer/stats.js";
export {
  DEFAULT_BLOCK_SIZE,
  DEFAULT_SINGLE_PUT_MAX,
  type FileSource,
  type UploadOptions,
  type UploadReport,
  type UploadSource,
} from "./transfer/upload.js";
export { type FetchWireOptions, fetchWire } from "./wire/fetch-wire.js";
export { type NodeWireOptions, nodeWire } from "./wire/node-wire.js";
export { compose, type Next, type Policy } from "./wire/policy.js";
export { ProxyConfig } from "./wire/proxy.js";
export { type Method, newRequest, newResponse, type Request, type Response } from "./wire/request.js";
export { type Clock, DEFAULT_RETRY, type RetryOptions, type RetryRng } from "./wire/retry.js";
export { WireError, type WireErrorKind } from "./wire/wire-error.js";
