//! Header names used by the Blob REST API, declared once.
//!
//! Values are lowercase because `http::HeaderMap` stores names lowercase.
//! The module sits at the bottom of the crate: every layer names headers.

/// The REST API version sent as `x-ms-version` unless configured otherwise.
pub const DEFAULT_API_VERSION: &str = "2023-11-03";

/// `Content-Encoding`.
pub(crate) const CONTENT_ENCODING: &str = "content-encoding";
/// `Content-Language`.
pub(crate) const CONTENT_LANGUAGE: &str = "content-language";
/// `Content-Length`.
pub(crate) const CONTENT_LENGTH: &str = "content-length";
/// `Content-MD5`.
pub(crate) const CONTENT_MD5: &str = "content-md5";
/// `Content-Type`.
pub(crate) const CONTENT_TYPE: &str = "content-type";
/// `Content-Disposition`.
pub(crate) const CONTENT_DISPOSITION: &str = "content-disposition";
/// `Content-Range`.
pub(crate) const CONTENT_RANGE: &str = "content-range";
/// `Cache-Control`.
pub(crate) const CACHE_CONTROL: &str = "cache-control";
/// `ETag`.
pub(crate) const ETAG: &str = "etag";
/// `Last-Modified`.
pub(crate) const LAST_MODIFIED: &str = "last-modified";
/// `If-Modified-Since`.
pub(crate) const IF_MODIFIED_SINCE: &str = "if-modified-since";
/// `If-Match`.
pub(crate) const IF_MATCH: &str = "if-match";
/// `If-None-Match`.
pub(crate) const IF_NONE_MATCH: &str = "if-none-match";
/// `If-Unmodified-Since`.
pub(crate) const IF_UNMODIFIED_SINCE: &str = "if-unmodified-since";
/// `Location`: where a redirect points (never followed).
pub(crate) const LOCATION: &str = "location";
/// `Range`.
pub(crate) const RANGE: &str = "range";
/// `Retry-After`.
pub(crate) const RETRY_AFTER: &str = "retry-after";

/// `x-ms-version`: the REST API version.
pub(crate) const X_MS_VERSION: &str = "x-ms-version";
/// `x-ms-date`: the request time, signed.
pub(crate) const X_MS_DATE: &str = "x-ms-date";
/// `x-ms-range`: like `Range`, understood by every API version.
pub(crate) const X_MS_RANGE: &str = "x-ms-range";
/// `x-ms-request-id`: the service's id of a request.
pub(crate) const X_MS_REQUEST_ID: &str = "x-ms-request-id";
/// `x-ms-error-code`: the service's error code.
pub(crate) const X_MS_ERROR_CODE: &str = "x-ms-error-code";
/// `x-ms-retry-after-ms`: the service's retry hint in milliseconds.
pub(crate) const X_MS_RETRY_AFTER_MS: &str = "x-ms-retry-after-ms";
/// `x-ms-blob-type`.
pub(crate) const X_MS_BLOB_TYPE: &str = "x-ms-blob-type";
/// `x-ms-access-tier`.
pub(crate) const X_MS_ACCESS_TIER: &str = "x-ms-access-tier";
/// `x-ms-access-tier-inferred`.
pub(crate) const X_MS_ACCESS_TIER_INFERRED: &str = "x-ms-access-tier-inferred";
/// `x-ms-version-id`.
pub(crate) const X_MS_VERSION_ID: &str = "x-ms-version-id";
/// `x-ms-is-current-version`.
pub(crate) const X_MS_IS_CURRENT_VERSION: &str = "x-ms-is-current-version";
/// `x-ms-creation-time`.
pub(crate) const X_MS_CREATION_TIME: &str = "x-ms-creation-time";
/// `x-ms-blob-content-type` (Put Blob and Set Blob HTTP Headers).
pub(crate) const X_MS_BLOB_CONTENT_TYPE: &str = "x-ms-blob-content-type";
/// `x-ms-blob-content-encoding`.
pub(crate) const X_MS_BLOB_CONTENT_ENCODING: &str = "x-ms-blob-content-encoding";
/// `x-ms-blob-content-language`.
pub(crate) const X_MS_BLOB_CONTENT_LANGUAGE: &str = "x-ms-blob-content-language";
/// `x-ms-blob-content-disposition`.
pub(crate) const X_MS_BLOB_CONTENT_DISPOSITION: &str = "x-ms-blob-content-disposition";
/// `x-ms-blob-cache-control`.
pub(crate) const X_MS_BLOB_CACHE_CONTROL: &str = "x-ms-blob-cache-control";
/// `x-ms-blob-content-md5`.
pub(crate) const X_MS_BLOB_CONTENT_MD5: &str = "x-ms-blob-content-md5";
/// `x-ms-blob-content-length`: a committed blob's size in a Get Block List answer.
pub(crate) const X_MS_BLOB_CONTENT_LENGTH: &str = "x-ms-blob-content-length";
/// `x-ms-delete-snapshots`.
pub(crate) const X_MS_DELETE_SNAPSHOTS: &str = "x-ms-delete-snapshots";
/// `x-ms-meta-`: the prefix of metadata headers.
pub(crate) const X_MS_META_PREFIX: &str = "x-ms-meta-";
/// `x-ms-blob-condition-appendpos`: Append Block's position condition.
pub(crate) const X_MS_BLOB_CONDITION_APPENDPOS: &str = "x-ms-blob-condition-appendpos";
/// `x-ms-blob-condition-maxsize`: Append Block's size condition.
pub(crate) const X_MS_BLOB_CONDITION_MAXSIZE: &str = "x-ms-blob-condition-maxsize";
/// `x-ms-snapshot`: the timestamp of a snapshot just created.
pub(crate) const X_MS_SNAPSHOT: &str = "x-ms-snapshot";
/// `x-ms-rehydrate-priority`: how fast an archived blob comes back.
pub(crate) const X_MS_REHYDRATE_PRIORITY: &str = "x-ms-rehydrate-priority";
/// `x-ms-archive-status`: a rehydration in progress.
pub(crate) const X_MS_ARCHIVE_STATUS: &str = "x-ms-archive-status";
/// `x-ms-copy-source`: the URL a copy reads from.
pub(crate) const X_MS_COPY_SOURCE: &str = "x-ms-copy-source";
/// `x-ms-source-range`: the bytes of the source Put Block From URL stages.
pub(crate) const X_MS_SOURCE_RANGE: &str = "x-ms-source-range";
/// `x-ms-source-if-match`: the ETag a copy's source must still have.
pub(crate) const X_MS_SOURCE_IF_MATCH: &str = "x-ms-source-if-match";
/// `x-ms-content-crc64`: a request body's transactional CRC64 (base64 of 8 bytes).
pub(crate) const X_MS_CONTENT_CRC64: &str = "x-ms-content-crc64";
/// `x-ms-source-content-crc64`: the CRC64 a Put Block From URL's source bytes must have.
pub(crate) const X_MS_SOURCE_CONTENT_CRC64: &str = "x-ms-source-content-crc64";
/// `x-ms-range-get-content-crc64`: asks a ranged read (at most 4 MiB) for its CRC64.
pub(crate) const X_MS_RANGE_GET_CONTENT_CRC64: &str = "x-ms-range-get-content-crc64";
/// `x-ms-copy-source-authorization`: a bearer token for the copy source.
pub(crate) const X_MS_COPY_SOURCE_AUTHORIZATION: &str = "x-ms-copy-source-authorization";
/// `x-ms-requires-sync`: makes Copy Blob From URL synchronous.
pub(crate) const X_MS_REQUIRES_SYNC: &str = "x-ms-requires-sync";
/// `x-ms-copy-id`: the id of a copy operation.
pub(crate) const X_MS_COPY_ID: &str = "x-ms-copy-id";
/// `x-ms-copy-status`: `pending`, `success`, `aborted` or `failed`.
pub(crate) const X_MS_COPY_STATUS: &str = "x-ms-copy-status";
/// `x-ms-copy-progress`: `bytes copied/bytes total`.
pub(crate) const X_MS_COPY_PROGRESS: &str = "x-ms-copy-progress";
/// `x-ms-copy-status-description`: why a copy failed.
pub(crate) const X_MS_COPY_STATUS_DESCRIPTION: &str = "x-ms-copy-status-description";
/// `x-ms-copy-completion-time`.
pub(crate) const X_MS_COPY_COMPLETION_TIME: &str = "x-ms-copy-completion-time";
/// `x-ms-copy-action`: `abort` for Abort Copy Blob.
pub(crate) const X_MS_COPY_ACTION: &str = "x-ms-copy-action";
/// `x-ms-tags`: a new blob's index tags, URL-encoded as `k=v&k2=v2`.
pub(crate) const X_MS_TAGS: &str = "x-ms-tags";
/// `x-ms-if-tags`: a condition on the blob's index tags, in the Find Blobs by Tags syntax.
pub(crate) const X_MS_IF_TAGS: &str = "x-ms-if-tags";
/// `x-ms-tag-count`: how many index tags a blob has.
pub(crate) const X_MS_TAG_COUNT: &str = "x-ms-tag-count";
/// `x-ms-lease-state`: available, leased, expired, breaking or broken.
pub(crate) const X_MS_LEASE_STATE: &str = "x-ms-lease-state";
/// `x-ms-lease-id`: the active lease a request acts under.
pub(crate) const X_MS_LEASE_ID: &str = "x-ms-lease-id";
/// `x-ms-lease-action`: acquire, renew, change, release or break.
pub(crate) const X_MS_LEASE_ACTION: &str = "x-ms-lease-action";
/// `x-ms-lease-duration`: seconds (15 to 60) or -1 for an infinite lease.
pub(crate) const X_MS_LEASE_DURATION: &str = "x-ms-lease-duration";
/// `x-ms-proposed-lease-id`: the lease id asked for by acquire or change.
pub(crate) const X_MS_PROPOSED_LEASE_ID: &str = "x-ms-proposed-lease-id";
/// `x-ms-lease-break-period`: seconds (0 to 60) a broken lease lasts.
pub(crate) const X_MS_LEASE_BREAK_PERIOD: &str = "x-ms-lease-break-period";
/// `x-ms-lease-time`: seconds left until a broken lease ends.
pub(crate) const X_MS_LEASE_TIME: &str = "x-ms-lease-time";
/// `Content-ID`: numbers the parts of a Blob Batch body.
pub(crate) const CONTENT_ID: &str = "content-id";
/// `x-ms-encryption-key`: a customer-provided key (base64 AES-256), a secret.
pub(crate) const X_MS_ENCRYPTION_KEY: &str = "x-ms-encryption-key";
/// `x-ms-source-encryption-key`: the customer-provided key of a copy's source, a secret.
pub(crate) const X_MS_SOURCE_ENCRYPTION_KEY: &str = "x-ms-source-encryption-key";
/// `Authorization`.
pub(crate) const AUTHORIZATION: &str = "authorization";
/// `Proxy-Authorization`.
pub(crate) const PROXY_AUTHORIZATION: &str = "proxy-authorization";
/// `x-ms-client-request-id`, a per-attempt id some clients send.
pub(crate) const X_MS_CLIENT_REQUEST_ID: &str = "x-ms-client-request-id";
/// `User-Agent`.
pub(crate) const USER_AGENT: &str = "user-agent";
/// `Date`.
pub(crate) const DATE: &str = "date";
/// `Host`.
pub(crate) const HOST: &str = "host";
/// `Connection`.
pub(crate) const CONNECTION: &str = "connection";
/// `Keep-Alive`.
pub(crate) const KEEP_ALIVE: &str = "keep-alive";
/// `Transfer-Encoding`.
pub(crate) const TRANSFER_ENCODING: &str = "transfer-encoding";
/// `X-IDENTITY-HEADER`, App Service's managed identity secret.
pub(crate) const X_IDENTITY_HEADER: &str = "x-identity-header";
/// `Metadata`, which IMDS requires (`true`) to refuse requests forwarded by a proxy.
pub(crate) const METADATA: &str = "metadata";

/// Headers whose whole value is a credential: recordings never keep them as
/// they are, and logs never print them.
pub(crate) const CREDENTIAL_HEADERS: &[&str] = &[
    AUTHORIZATION,
    PROXY_AUTHORIZATION,
    X_MS_COPY_SOURCE_AUTHORIZATION,
    X_MS_ENCRYPTION_KEY,
    X_MS_SOURCE_ENCRYPTION_KEY,
];
