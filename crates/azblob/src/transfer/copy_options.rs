//! Options of a copy of any size in server-side blocks (Put Block From URL).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use super::options::Concurrency;
use super::progress::ProgressSink;
use crate::error::{Error, Result};
use crate::ops::block_blob::MAX_BLOCK_BYTES;
use crate::ops::models::BlobProperties;
use crate::ops::put_blob::PutBlobOptions;

/// Default block size of a block copy: 128 MiB.
///
/// No byte of a block copy passes through the client, so a block costs no
/// memory however large it is; what its size trades is the number of
/// requests (a 10 GiB copy is 80 Put Block From URL calls, not 1,280 of
/// 8 MiB) against parallelism for mid-sized blobs (a 1 GiB copy still runs
/// as 8 parallel blocks) and the work a resumed copy redoes (at most one
/// block per request that was in flight). The service allows 4000 MiB.
pub const DEFAULT_COPY_BLOCK_SIZE: u64 = 128 * 1024 * 1024;

/// The most Put Block From URL requests a block copy keeps in flight: each
/// makes the service read its source, so past a few dozen they only queue
/// there (or are throttled), and the adaptive limiter would find no gain.
pub(crate) const MAX_COPY_IN_FLIGHT: usize = 64;

/// How a copy of any size is split and what the new blob is written with,
/// for [`BlobClient::copy_blocks_from_url_opts`](crate::BlobClient::copy_blocks_from_url_opts).
#[derive(Clone)]
pub struct BlockCopyOptions {
    /// Bytes per block (default 128 MiB, see [`DEFAULT_COPY_BLOCK_SIZE`]),
    /// grown automatically so a blob needs at most 50,000 blocks.
    pub block_size: u64,
    /// Put Block From URL requests in flight (default adaptive, at most 64).
    pub concurrency: Concurrency,
    /// What the new blob is written with, applied to its Put Block List:
    /// content headers, metadata, tier and conditions on the destination.
    /// Empty content headers take the source's (its `Content-MD5`
    /// included: the bytes are the same), and empty metadata the source's,
    /// as Copy Blob does. `transactional_md5` does not apply: no body is sent.
    pub blob: PutBlobOptions,
    /// The source's properties when the caller already has them (they save
    /// one Get Blob Properties); required for a
    /// [`CopySource::Url`](crate::CopySource::Url), which this client's
    /// credential may not read. The copy stages every block with
    /// `x-ms-source-if-match` set to their ETag.
    pub source_properties: Option<BlobProperties>,
    /// Where progress goes.
    pub progress: Option<Arc<dyn ProgressSink>>,
    /// A checkpoint file that makes the copy resumable; deleted after the commit.
    pub checkpoint: Option<PathBuf>,
    /// Continue from `checkpoint` if it exists; one of another copy, or of a
    /// source whose ETag or size changed since, is refused.
    pub resume: bool,
}

impl Default for BlockCopyOptions {
    fn default() -> Self {
        BlockCopyOptions {
            block_size: DEFAULT_COPY_BLOCK_SIZE,
            concurrency: Concurrency::Adaptive,
            blob: PutBlobOptions::default(),
            source_properties: None,
            progress: None,
            checkpoint: None,
            resume: false,
        }
    }
}

impl fmt::Debug for BlockCopyOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockCopyOptions")
            .field("block_size", &self.block_size)
            .field("concurrency", &self.concurrency)
            .field("blob", &self.blob)
            .field("source_properties", &self.source_properties)
            .field("checkpoint", &self.checkpoint)
            .field("resume", &self.resume)
            .finish_non_exhaustive()
    }
}

impl BlockCopyOptions {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.block_size == 0 || self.block_size > MAX_BLOCK_BYTES {
            return Err(Error::invalid_input(format!(
                "block size must be between 1 byte and {MAX_BLOCK_BYTES} bytes (4000 MiB), got {}",
                self.block_size
            )));
        }
        self.concurrency.validate()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_block_sizes_the_service_would() {
        for block_size in [0, MAX_BLOCK_BYTES + 1] {
            let options = BlockCopyOptions { block_size, ..Default::default() };
            assert_eq!(options.validate().unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        }
        let zero = BlockCopyOptions { concurrency: Concurrency::Fixed(0), ..Default::default() };
        assert_eq!(zero.validate().unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        assert!(BlockCopyOptions { block_size: MAX_BLOCK_BYTES, ..Default::default() }.validate().is_ok());
    }
}
