//! `Upload`: the fluent configuration of an upload, awaited to run it.

use std::future::{Future, IntoFuture};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use super::options::UploadOptions;
use super::progress::ProgressSink;
use super::source::UploadSource;
use super::upload::{run_upload, UploadReport};
use crate::client::BlobClient;
use crate::error::Result;
use crate::ops::models::AccessTier;

/// An upload being configured; `.await` it (or call [`send`](Upload::send)) to run it.
///
/// ```no_run
/// # async fn f(blob: azblob::BlobClient) -> azblob::Result<()> {
/// let report = blob
///     .upload_file("model.safetensors")
///     .block_size(16 * 1024 * 1024)
///     .concurrency(8)
///     .resume("model.upload.json")
///     .await?;
/// println!("{} blocks, {} already there", report.blocks, report.resumed_blocks);
/// # Ok(()) }
/// ```
#[must_use = "an upload does nothing until awaited"]
#[derive(Debug)]
pub struct Upload<'a> {
    blob: &'a BlobClient,
    source: UploadSource,
    options: UploadOptions,
}

impl<'a> Upload<'a> {
    pub(crate) fn new(blob: &'a BlobClient, source: UploadSource) -> Self {
        Upload { blob, source, options: UploadOptions::default() }
    }

    /// Replaces all options at once.
    pub fn options(mut self, options: UploadOptions) -> Self {
        self.options = options;
        self
    }

    /// Bytes per block (default 8 MiB).
    pub fn block_size(mut self, bytes: u64) -> Self {
        self.options.block_size = bytes;
        self
    }

    /// Blocks in flight (default 8).
    pub fn concurrency(mut self, n: usize) -> Self {
        self.options.concurrency = n;
        self
    }

    /// The largest upload sent as one Put Blob (default 256 MiB).
    pub fn single_put_max(mut self, bytes: u64) -> Self {
        self.options.single_put_max = bytes;
        self
    }

    /// The blob's `Content-Type`.
    pub fn content_type(mut self, content_type: impl Into<String>) -> Self {
        self.options.content.content_type = Some(content_type.into());
        self
    }

    /// Adds one metadata pair.
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.options.metadata.insert(key.into(), value.into());
        self
    }

    /// The access tier.
    pub fn tier(mut self, tier: AccessTier) -> Self {
        self.options.tier = Some(tier);
        self
    }

    /// Sends a transactional `Content-MD5` with every block.
    pub fn transactional_md5(mut self, on: bool) -> Self {
        self.options.transactional_md5 = on;
        self
    }

    /// Computes the whole blob's `Content-MD5` from the bytes sent and stores it.
    pub fn blob_md5(mut self, on: bool) -> Self {
        self.options.blob_md5 = on;
        self
    }

    /// Reports progress to `sink`.
    pub fn progress(mut self, sink: Arc<dyn ProgressSink>) -> Self {
        self.options.progress = Some(sink);
        self
    }

    /// Keeps a checkpoint at `path` so an interrupted upload can be resumed;
    /// an existing checkpoint there is replaced by a new session.
    pub fn checkpoint(mut self, path: impl Into<PathBuf>) -> Self {
        self.options.checkpoint = Some(path.into());
        self.options.resume = false;
        self
    }

    /// Continues the upload saved in the checkpoint at `path` if there is
    /// one (only missing blocks are sent), else starts one and saves it there.
    /// A checkpoint of another blob is refused ([`InvalidInput`](crate::ErrorKind::InvalidInput)),
    /// one of a source that changed too ([`SourceChanged`](crate::ErrorKind::SourceChanged)):
    /// size, modification time and, on Unix, inode and change time must match.
    pub fn resume(mut self, path: impl Into<PathBuf>) -> Self {
        self.options.checkpoint = Some(path.into());
        self.options.resume = true;
        self
    }

    /// Runs the upload.
    pub async fn send(self) -> Result<UploadReport> {
        run_upload(self.blob, self.source, self.options).await
    }
}

impl<'a> IntoFuture for Upload<'a> {
    type Output = Result<UploadReport>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<UploadReport>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}
