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
/// Where an adaptive transfer starts, in blocks or chunks in flight: 8 (the
/// former fixed default, already at the plateau on a fast, near link).
pub const DEFAULT_CONCURRENCY: usize = 8;
/// Default memory budget of an adaptive transfer's block or chunk buffers: 256 MiB.
pub const DEFAULT_MEMORY_BUDGET: u64 = 256 * 1024 * 1024;

/// How many requests a transfer keeps in flight.
///
/// [`Adaptive`](Concurrency::Adaptive) (the default) starts at 8 and raises
/// the number while throughput keeps growing, within the options' memory
/// budget, and halves it when the service answers 429 or 503 or a request
/// times out. [`Fixed`](Concurrency::Fixed) pins it; a number converts:
///
/// ```
/// use azblob::{Concurrency, UploadOptions};
/// let pinned = UploadOptions { concurrency: 4.into(), ..Default::default() };
/// assert_eq!(pinned.concurrency, Concurrency::Fixed(4));
/// assert_eq!(UploadOptions::default().concurrency, Concurrency::Adaptive);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Concurrency {
    /// Found while the transfer runs (see the module `transfer::concurrency`
    /// in ARCHITECTURE.md): more requests while they add throughput, fewer
    /// on throttling.
    #[default]
    Adaptive,
    /// Exactly this many requests in flight (at least 1).
    Fixed(usize),
}

impl From<usize> for Concurrency {
    fn from(n: usize) -> Self {
        Concurrency::Fixed(n)
    }
}

impl Concurrency {
    /// Refuses `Fixed(0)`, which would never send anything.
    pub(crate) fn validate(self) -> Result<()> {
        match self {
            Concurrency::Fixed(0) => Err(Error::invalid_input("concurrency must be at least 1")),
            _ => Ok(()),
        }
    }

    /// The most buffers of `unit` bytes a transfer holds: `n` when fixed,
    /// what fits the budget when adaptive (at least one); never more than
    /// [`MAX_IN_FLIGHT`], so a huge number or budget cannot size a
    /// semaphore or a buffer list past what the process can hold.
    pub(crate) fn buffers(self, unit: u64, budget: u64) -> usize {
        let n = match self {
            Concurrency::Fixed(n) => n,
            _ => usize::try_from(budget / unit.max(1)).unwrap_or(usize::MAX),
        };
        n.clamp(1, MAX_IN_FLIGHT)
    }
}

/// Refuses a memory budget that holds less than one block or chunk.
fn validate_budget(concurrency: Concurrency, budget: u64, unit: u64, what: &str) -> Result<()> {
    if concurrency == Concurrency::Adaptive && budget < unit {
        return Err(Error::invalid_input(format!(
            "the memory budget ({budget} bytes) must hold at least one {what} ({unit} bytes)"
        )));
    }
    Ok(())
}
/// The most requests one transfer keeps in flight, whatever its
/// concurrency or memory budget asks for.
pub const MAX_IN_FLIGHT: usize = 1024;
/// Default largest upload sent as one Put Blob: 256 MiB.
pub const DEFAULT_SINGLE_PUT_MAX: u64 = 256 * 1024 * 1024;

/// How an upload is split and what is stored with the blob, for
/// [`BlobClient::upload_opts`](crate::BlobClient::upload_opts).
#[derive(Clone)]
pub struct UploadOptions {
    /// Bytes per block (default 8 MiB), grown automatically so a blob needs
    /// at most 50,000 blocks.
    pub block_size: u64,
    /// Blocks in flight (default adaptive).
    pub concurrency: Concurrency,
    /// The most bytes of block buffers an adaptive upload holds (default
    /// 256 MiB); it caps the blocks in flight at `memory_budget / block_size`
    /// (at least one block: a blob of more than 50,000 × `block_size` grows
    /// its blocks, and one such block may exceed a small budget). A fixed
    /// concurrency holds `block_size × n` instead.
    pub memory_budget: u64,
    /// Uploads up to this size go in one Put Blob (default 256 MiB). For
    /// file and stream sources the threshold is also capped at the memory
    /// bound (`block_size × n` when fixed, the start level's 8 blocks within
    /// `memory_budget` when adaptive); a
    /// stream is read ahead up to that bound to learn whether it ends there.
    pub single_put_max: u64,
    /// What the blob is written with: content headers, metadata, tier,
    /// conditions and transactional MD5, the same group Put Blob takes.
    ///
    /// An upload that fits one Put Blob passes it as is. A block upload
    /// stores the content headers, metadata and tier with Put Block List,
    /// checks the conditions on that commit only, and with
    /// `transactional_md5` (or `transactional_crc64`) sends a `Content-MD5`
    /// (or an `x-ms-content-crc64`) with every Put Block (and
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
            concurrency: Concurrency::Adaptive,
            memory_budget: DEFAULT_MEMORY_BUDGET,
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
            .field("memory_budget", &self.memory_budget)
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
        self.concurrency.validate()?;
        crate::ops::put_blob::check_one_checksum(self.blob.transactional_md5, self.blob.transactional_crc64)?;
        validate_budget(self.concurrency, self.memory_budget, self.block_size, "block")
    }

    /// The bytes of blocks a block upload holds at its start: `block_size ×
    /// n` when fixed; when adaptive, the blocks of its start level (8),
    /// within the budget. The budget is the ceiling the concurrency may grow
    /// to, not an amount to read before sending: a 200 MiB file still goes
    /// in parallel, resumable blocks rather than one Put Blob held whole.
    pub(crate) fn memory_bound(&self) -> u64 {
        match self.concurrency {
            Concurrency::Fixed(n) => self.block_size.saturating_mul(n as u64),
            _ => self.block_size.saturating_mul(super::concurrency::ADAPTIVE_START as u64).min(self.memory_budget),
        }
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
    /// Ranged GETs in flight (default adaptive).
    pub concurrency: Concurrency,
    /// The most bytes of chunk buffers an adaptive download to a writer or
    /// a file holds (default 256 MiB); it caps the ranges in flight at
    /// `memory_budget / chunk_size`. A fixed concurrency holds
    /// `chunk_size × n` instead.
    pub memory_budget: u64,
    /// Check the blob's stored `Content-MD5`, when it has one; whether a
    /// check was made is [`DownloadReport::md5_verified`](crate::DownloadReport::md5_verified).
    pub verify_md5: bool,
    /// Fail with [`Unverifiable`](crate::ErrorKind::Unverifiable) when the
    /// blob has no stored `Content-MD5`, before anything is written (implies
    /// `verify_md5`).
    pub require_md5: bool,
    /// Ask the service for every range's CRC64 (`x-ms-range-get-content-crc64`)
    /// and check it against the bytes received: a mismatch is
    /// [`IntegrityMismatch`](crate::ErrorKind::IntegrityMismatch) naming the
    /// range, an answer without one [`Unverifiable`](crate::ErrorKind::Unverifiable).
    /// The service computes it for ranges of at most 4 MiB, so chunks are
    /// cut to 4 MiB when this is set. Unlike `verify_md5` it needs no stored
    /// checksum, and it checks each range as it arrives.
    pub verify_crc64: bool,
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
            concurrency: Concurrency::Adaptive,
            memory_budget: DEFAULT_MEMORY_BUDGET,
            verify_md5: false,
            require_md5: false,
            verify_crc64: false,
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
            .field("memory_budget", &self.memory_budget)
            .field("verify_md5", &self.verify_md5)
            .field("require_md5", &self.require_md5)
            .field("verify_crc64", &self.verify_crc64)
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
        self.concurrency.validate()?;
        validate_budget(self.concurrency, self.memory_budget, self.chunk_size, "chunk")
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
        let bad = UploadOptions { concurrency: 0.into(), ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("concurrency must be at least 1"));
        let bad = DownloadOptions { concurrency: Concurrency::Fixed(0), ..Default::default() };
        assert!(bad.validate().is_err());
        let bad = DownloadOptions { chunk_size: 0, ..Default::default() };
        assert!(bad.validate().is_err());
    }
}

#[cfg(test)]
mod budget_tests {
    use super::*;

    #[test]
    fn a_budget_below_one_block_is_invalid_when_adaptive() {
        let bad = UploadOptions { memory_budget: DEFAULT_BLOCK_SIZE - 1, ..Default::default() };
        let err = bad.validate().unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("at least one block"), "{err}");
        let bad = DownloadOptions { memory_budget: 1, ..Default::default() };
        assert!(bad.validate().unwrap_err().to_string().contains("at least one chunk"));
        // A fixed concurrency has its own bound and ignores the budget.
        let fixed = UploadOptions { memory_budget: 1, concurrency: 2.into(), ..Default::default() };
        assert!(fixed.validate().is_ok());
    }

    #[test]
    fn the_memory_bound_is_the_start_level_within_the_budget_when_adaptive_and_n_blocks_when_fixed() {
        assert_eq!(UploadOptions::default().memory_bound(), 8 * DEFAULT_BLOCK_SIZE);
        let tight = UploadOptions { memory_budget: 3 * DEFAULT_BLOCK_SIZE, ..Default::default() };
        assert_eq!(tight.memory_bound(), 3 * DEFAULT_BLOCK_SIZE);
        let fixed = UploadOptions { concurrency: 3.into(), ..Default::default() };
        assert_eq!(fixed.memory_bound(), 3 * DEFAULT_BLOCK_SIZE);
        assert_eq!(Concurrency::Adaptive.buffers(DEFAULT_BLOCK_SIZE, DEFAULT_MEMORY_BUDGET), 32);
        assert_eq!(Concurrency::Fixed(5).buffers(DEFAULT_BLOCK_SIZE, 1), 5);
        // Huge asks are clamped, not allocated.
        assert_eq!(Concurrency::Fixed(usize::MAX).buffers(DEFAULT_BLOCK_SIZE, 1), MAX_IN_FLIGHT);
        assert_eq!(Concurrency::Adaptive.buffers(1, u64::MAX), MAX_IN_FLIGHT);
    }
}
