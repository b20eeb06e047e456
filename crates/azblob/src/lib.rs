//! azblob: a fast, thin, test-friendly Azure Blob Storage client.
//!
//! It speaks the Blob REST API (`x-ms-version` 2023-11-03 by default) over
//! reqwest and rustls, with Microsoft Entra ID ([`auth::entra`]), Shared Key
//! and SAS authorization, typed errors and retries that know which requests
//! are safe to repeat.
//!
//! ```no_run
//! # async fn demo() -> azblob::Result<()> {
//! let client = azblob::ClientBuilder::from_connection_string("UseDevelopmentStorage=true")?.build()?;
//! let blob = client.blob("datasets", "runs/42/metrics.json");
//! blob.put(r#"{"loss":0.1}"#).await?;
//! assert_eq!(&blob.download().await?[..], br#"{"loss":0.1}"#);
//! # Ok(()) }
//! ```
//!
//! The layers every request passes through, outermost first: operation span,
//! [`RetryLayer`](transport::RetryLayer), [`SignLayer`](transport::SignLayer),
//! [`TraceLayer`](transport::TraceLayer), the simulation layer when
//! recording or replaying ([`sim`]), then the wire
//! ([`ReqwestTransport`](transport::ReqwestTransport) or your own
//! [`HttpTransport`](transport::HttpTransport)).

pub mod auth;
mod client;
mod config;
mod error;
mod headers;
#[cfg(test)]
mod layering_tests;
#[cfg(feature = "logging")]
pub mod logging;
mod net;
mod ops;
#[cfg(test)]
mod proptests;
mod redact;
pub mod sim;
mod transfer;
pub mod transport;
mod wire;

// The core API lives at the root, each name once; `auth`, `transport` and
// `sim` keep their specialist items, which are not repeated here.
pub use crate::client::{
    mtime_from_metadata, DownloadFilesOptions, FileJob, FileReport, UploadFilesOptions, MTIME_METADATA_KEY,
};
pub use crate::client::{
    BatchItemResult, BatchOutcome, BlobBody, BlobClient, BlobServiceClient, ContainerClient, CopyOperation, CopySource,
    DeleteBlobsOptions, GetBlobResponse, GetBlobsOptions, PutBlobsOptions, SetBlobTiersOptions, WaitOptions,
};
pub use crate::client::{GetTagsOptions, Lease, SetTagsOptions};
pub use crate::config::{
    BlobUrl, ClientBuilder, EnvAuth, DEFAULT_API_VERSION, DEV_ACCOUNT, DEV_ACCOUNT_KEY, DEV_BLOB_ENDPOINT,
};
pub use crate::error::{Error, ErrorKind, Result};
pub use crate::ops::append_blob::{AppendOptions, CreateAppendBlobOptions, MAX_APPEND_BLOCK_BYTES};
pub use crate::ops::blob_batch::MAX_BATCH_SIZE;
pub use crate::ops::blob_properties::{BlobSelector, PropertiesOptions};
pub use crate::ops::block_blob::{BlockInfo, MAX_BLOCKS, MAX_BLOCK_BYTES};
pub use crate::ops::blocks::{
    BlockList, BlockListOptions, BlockListType, PutBlockListOptions, PutBlockOptions, MAX_BLOCK_ID_BYTES,
};
pub use crate::ops::conditions::Conditions;
pub use crate::ops::copy_blob::{CopyOptions, CopyStarted, MAX_SYNC_COPY_BYTES};
pub use crate::ops::copy_state::{CopyState, CopyStatus};
pub use crate::ops::delete_blob::{DeleteBlobOptions, DeleteSnapshots};
pub use crate::ops::find_blobs::{FindBlobsByTagsOptions, TaggedBlob};
pub use crate::ops::get_blob::{GetBlobHead, GetOptions};
pub use crate::ops::lease::{
    AcquireLeaseOptions, BreakLeaseOptions, LeaseDuration, LeaseGranted, LeaseState, MAX_BREAK_PERIOD_SECS,
    MAX_LEASE_SECS, MIN_LEASE_SECS,
};
pub use crate::ops::list_blobs::{ListBlobsOptions, ListInclude, MAX_LIST_RESULTS};
pub use crate::ops::list_models::{BlobItem, ListBlobsPage, ListItem};
pub use crate::ops::models::{AccessTier, BlobProperties, BlobRange, BlobType, ContentHeaders, ETag, Metadata};
pub use crate::ops::put_blob::{PutBlobOptions, WriteResult, MAX_PUT_BLOB_BYTES};
pub use crate::ops::put_block_from_url::PutBlockFromUrlOptions;
pub use crate::ops::set_tier::{RehydratePriority, SetTierOptions};
pub use crate::ops::snapshot::{SnapshotInfo, SnapshotOptions};
pub use crate::ops::tags::{Tags, MAX_TAGS, MAX_TAG_KEY_CHARS, MAX_TAG_VALUE_CHARS};
pub use crate::redact::{redact_url, redact_url_text, Secret};
pub use crate::transfer::{BlockCopyOptions, DEFAULT_COPY_BLOCK_SIZE};
pub use crate::transfer::{
    Concurrency, DownloadOptions, DownloadReport, ProgressSink, TransferProgress, TransferStats, UploadOptions,
    UploadReport, UploadSource, DEFAULT_BLOCK_SIZE, DEFAULT_CHUNK_SIZE, DEFAULT_CONCURRENCY, DEFAULT_MEMORY_BUDGET,
    DEFAULT_SINGLE_PUT_MAX, MAX_IN_FLIGHT,
};

/// The README's example, compiled as a doctest so it cannot rot.
#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
