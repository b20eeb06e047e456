//! Options of uploads and downloads, and the block plan that keeps a blob within the service's limits.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::progress::ProgressSink;
use crate::error::{Error, Result};
use crate::ops::blob_properties::BlobSelector;
use crate::ops::block_blob::{MAX_BLOCKS, MAX_BLOCK_BYTES};
use crate::ops::put_blob::PutBlobOptions;

/// Default block size of uploads: 8 MiB.
pub const DEFAULT_BLOCK_SIZE: u64 = 8 * 1024 * 1024;
/// Default chunk size of ranged downloads: 8 MiB.
pub const DEFAULT_CHUNK_SIZE: u64 = 8 * 1024 * 1024;
/// Default number of blocks or chunks in flight: 8.
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default largest upload sent as one Put Blob: 256 MiB.
pub const DEFAULT_SINGLE_PUT_MAX: u64 = 256 * 1024 * 1024;

/// How an upload is split and what is stored with the blob, for
/// [`BlobClient::upload_opts`](crate::BlobClient::upload_opts).
#[derive(Clone)]
pub struct UploadOptions {
    /// Bytes per block (default 8 MiB), grown automatically so a blob needs
    /// at most 50,000 blocks.
    pub block_size: u64,
    /// Blocks in flight (default 8).
    pub concurrency: usize,
    /// Uploads up to this size go in one Put Blob (default 256 MiB). For
    /// file and stream sources the threshold is also capped at
    /// `block_size × concurrency`, so memory stays within that bound; a
    /// stream is read ahead up to that bound to learn whether it ends there.
    pub single_put_max: u64,
    /// What the blob is written with: content headers, metadata, tier,
    /// conditions and transactional MD5, the same group Put Blob takes.
    ///
    /// An upload that fits one Put Blob passes it as is. A block upload
    /// stores the content headers, metadata and tier with Put Block List,
    /// checks the conditions on that commit only, and with
    /// `transactional_md5` sends a `Content-MD5` with every Put Block (and
    /// not with the commit, whose body is the block list).
    pub blob: PutBlobOptions,
    /// Compute the whole blob's MD5 from the bytes sent, in order, and store
    /// it as its `Content-MD5`.
    pub blob_md5: bool,
    /// Where progress goes.
    pub progress: Option<Arc<dyn ProgressSink>>,
    /// A checkpoint file that makes a block upload resumable; deleted after the commit.
    pub checkpoint: Option<PathBuf>,
    /// Continue from `checkpoint` if it exists (and matches the source: see
    /// the README's "What an upload notices about its source file").
    pub resume: bool,
}

impl Default for UploadOptions {
    fn default() -> Self {
        UploadOptions {
            block_size: DEFAULT_BLOCK_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            single_put_max: DEFAULT_SINGLE_PUT_MAX,
            blob: PutBlobOptions::default(),
            blob_md5: false,
            progress: None,
            checkpoint: None,
            resume: false,
        }
    }
}

impl fmt::Debug for UploadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UploadOptions")
            .field("block_size", &self.block_size)
            .field("concurrency", &self.concurrency)
            .field("single_put_max", &self.single_put_max)
            .field("blob", &self.blob)
            .field("blob_md5", &self.blob_md5)
            .field("checkpoint", &self.checkpoint)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl UploadOptions {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.block_size == 0 || self.block_size > MAX_BLOCK_BYTES {
            return Err(Error::invalid_input(format!(
                "block size must be between 1 byte and {MAX_BLOCK_BYTES} bytes (4000 MiB), got {}",
                self.block_size
            )));
        }
        if self.concurrency == 0 {
            return Err(Error::invalid_input("concurrency must be at least 1"));
        }
        Ok(())
    }
}

/// The block size actually used for `size` bytes: the requested one, grown
/// (to whole MiB) so that the blob needs at most 50,000 blocks.
pub(crate) fn plan_block_size(size: u64, requested: u64) -> Result<u64> {
    const MIB: u64 = 1024 * 1024;
    if size > MAX_BLOCKS * MAX_BLOCK_BYTES {
        return Err(Error::invalid_input(format!(
            "{size} bytes exceed the largest block blob ({} bytes)",
            MAX_BLOCKS * MAX_BLOCK_BYTES
        )));
    }
    let needed = size.div_ceil(MAX_BLOCKS);
    if needed <= requested {
        return Ok(requested);
    }
    Ok(needed.div_ceil(MIB).saturating_mul(MIB).min(MAX_BLOCK_BYTES))
}

/// How a download is split and checked, for the `_opts` forms of
/// [`BlobClient::download`](crate::BlobClient::download) and its siblings.
#[derive(Clone)]
pub struct DownloadOptions {
    /// Bytes per ranged GET (default 8 MiB).
    pub chunk_size: u64,
    /// Ranged GETs in flight (default 8).
    pub concurrency: usize,
    /// Check the blob's stored `Content-MD5`, when it has one; whether a
    /// check was made is [`DownloadReport::md5_verified`](crate::DownloadReport::md5_verified).
    pub verify_md5: bool,
    /// Fail with [`Unverifiable`](crate::ErrorKind::Unverifiable) when the
    /// blob has no stored `Content-MD5`, before anything is written (implies
    /// `verify_md5`).
    pub require_md5: bool,
    /// Replace an existing file in [`download_to_file_opts`](crate::BlobClient::download_to_file_opts)
    /// (default `true`, like `cp`); `false` refuses with
    /// [`AlreadyExists`](crate::ErrorKind::AlreadyExists) before downloading,
    /// and again, atomically, if the file appeared meanwhile.
    pub overwrite: bool,
    /// Read a snapshot or version instead of the current blob.
    pub selector: BlobSelector,
    /// Where progress goes.
    pub progress: Option<Arc<dyn ProgressSink>>,
}

impl Default for DownloadOptions {
    fn default() -> Self {
        DownloadOptions {
            chunk_size: DEFAULT_CHUNK_SIZE,
            concurrency: DEFAULT_CONCURRENCY,
            verify_md5: false,
            require_md5: false,
            overwrite: true,
            selector: BlobSelector::default(),
            progress: None,
        }
    }
}

impl fmt::Debug for DownloadOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DownloadOptions")
            .field("chunk_size", &self.chunk_size)
            .field("concurrency", &self.concurrency)
            .field("verify_md5", &self.verify_md5)
            .field("require_md5", &self.require_md5)
            .field("overwrite", &self.overwrite)
            .field("selector", &self.selector)
            .finish_non_exhaustive()
    }
}

impl DownloadOptions {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.chunk_size == 0 {
            return Err(Error::invalid_input("chunk size must be at least 1 byte"));
        }
        if self.concurrency == 0 {
            return Err(Error::invalid_input("concurrency must be at least 1"));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_size_grows_to_stay_under_50000_blocks() {
        const MIB: u64 = 1024 * 1024;
        assert_eq!(plan_block_size(100 * MIB, 8 * MIB).unwrap(), 8 * MIB);
        // 1 TiB with 8 MiB blocks would be 131,072 blocks.
        let grown = plan_block_size(1 << 40, 8 * MIB).unwrap();
        assert_eq!(grown, 21 * MIB);
        assert!((1u64 << 40).div_ceil(grown) <= MAX_BLOCKS);
        assert!(plan_block_size(MAX_BLOCKS * MAX_BLOCK_BYTES + 1, 8 * MIB).is_err());
    }

    #[test]
    fn zero_sizes_are_invalid() {
        let bad = UploadOptions { block_size: 0, ..Default::default() };
        assert_eq!(bad.validate().unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        let bad = UploadOptions { block_size: MAX_BLOCK_BYTES + 1, ..Default::default() };
        assert!(bad.validate().is_err());
        let bad = UploadOptions { concurrency: 0, ..Default::default() };
        assert!(bad.validate().is_err());
        let bad = DownloadOptions { chunk_size: 0, ..Default::default() };
        assert!(bad.validate().is_err());
    }
}
