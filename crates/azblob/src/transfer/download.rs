//! The download engine: a first ranged GET learns the size and ETag, the
//! other ranges follow with `If-Match`, `concurrency` in flight, and reach
//! the sink (memory, a writer or a file) in order, hashed in order when an
//! MD5 check is asked.
//!
//! A body that breaks mid-transfer is resumed from the last byte received,
//! still with `If-Match`; if the blob changed meanwhile the download fails
//! with [`PreconditionFailed`](crate::ErrorKind::PreconditionFailed) and a
//! message that says so.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, StreamExt};
use tokio::io::AsyncWrite;

use super::concurrency::Limiter;
use super::download_sink::{write_range, FileRange, Sink};
use super::options::DownloadOptions;
use super::ordered_md5::OrderedMd5;
use super::progress::ProgressTracker;
use super::range_fetch::{
    check_answer, check_range_crc64, get_once, get_once_crc64, read_body_crc64, Piece, RangeBuf, RangeFetcher,
};
use super::stats::TransferStats;
use super::target::BlobTarget;
use super::temp_file::{self, TempFile};
use crate::error::{Error, ErrorKind, Result};
use crate::ops::conditions::Conditions;
use crate::ops::crc64::{Crc64, MAX_CRC64_RANGE};
use crate::ops::get_blob::GetOptions;
use crate::ops::models::{BlobProperties, BlobRange, ETag};

/// The most a first-chunk buffer reserves before bytes arrive; it grows past
/// this only as the body actually delivers them.
const INITIAL_CAPACITY: u64 = 8 * 1024 * 1024;

/// What a download did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DownloadReport {
    /// Bytes downloaded.
    pub bytes: u64,
    /// Ranged GETs made (including the first).
    pub chunks: u64,
    /// The ETag of the blob that was read.
    pub etag: ETag,
    /// Whether the stored `Content-MD5` was checked (asked for, and the blob has one).
    pub md5_verified: bool,
    /// Whether every range's CRC64 was checked (`verify_crc64`).
    pub crc64_verified: bool,
    /// How many broken bodies were resumed.
    pub body_resumes: u64,
    /// The most ranged GETs that were in flight at once; with adaptive
    /// concurrency, how high it went.
    pub peak_concurrency: usize,
    /// How many times adaptive concurrency was halved because an attempt
    /// was answered 429 or 503 or timed out (retried attempts included).
    pub concurrency_backoffs: u64,
    /// The requests sent, retries, throttled answers and time waiting on the service.
    pub stats: TransferStats,
}

/// Downloads the whole blob into one buffer, each range written in place.
pub(crate) async fn download_to_memory(target: &BlobTarget, options: &DownloadOptions) -> Result<Bytes> {
    let mut sink: Sink<'_, tokio::io::Sink> = Sink::Memory(None);
    run(target, options, &mut sink).await?;
    sink.finish().await
}

/// Downloads the blob into `writer` in order; memory stays within `chunk_size × concurrency`.
pub(crate) async fn download_to_writer<W: AsyncWrite + Unpin + Send + ?Sized>(
    target: &BlobTarget,
    writer: &mut W,
    options: &DownloadOptions,
) -> Result<DownloadReport> {
    let mut sink = Sink::Writer(writer);
    let report = run(target, options, &mut sink).await?;
    sink.finish().await?;
    Ok(report)
}

/// Downloads the blob into a file at `path` through a temporary file in the
/// same directory, moved into place only on success and removed otherwise,
/// also when this future is dropped (see `temp_file`). With `mtime`, the
/// file is given that modification time before it is moved into place: the
/// temporary file is still open for writing then, whereas the target may
/// be read-only once it has the old file's permissions. With `make_parent`
/// a missing directory is created.
pub(crate) async fn download_to_file(
    target: &BlobTarget,
    path: &Path,
    options: &DownloadOptions,
    mtime: Option<std::time::SystemTime>,
    make_parent: bool,
) -> Result<DownloadReport> {
    options.validate()?;
    if !options.overwrite && std::fs::symlink_metadata(path).is_ok() {
        // Refused before a byte is fetched; `persist` checks again at the end.
        return Err(temp_file::exists(path));
    }
    let (temp, file) = TempFile::create_beside(path, make_parent)?;
    let file = Arc::new(tokio::sync::Mutex::new(file));
    let mut sink: Sink<'_, tokio::io::Sink> = Sink::File(Arc::clone(&file));
    let report = run(target, options, &mut sink).await?;
    if let Some(mtime) = mtime {
        // After the last write, which would move it again.
        file.lock().await.set_modified(mtime).map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot set the mtime of {}: {e}", path.display()))
                .with_source_in_message(e)
        })?;
    }
    temp.persist(path, options.overwrite)?;
    Ok(report)
}

/// The engine: the first chunk, then the other ranges through a window of
/// `concurrency`, each read into the sink's buffer, written at once when
/// the sink is a file, hashed in order, and delivered in order.
async fn run<W: AsyncWrite + Unpin + Send + ?Sized>(
    target: &BlobTarget,
    options: &DownloadOptions,
    sink: &mut Sink<'_, W>,
) -> Result<DownloadReport> {
    options.validate()?;
    // The service computes a range's CRC64 for at most 4 MiB.
    let cut;
    let options = if options.verify_crc64 && options.chunk_size > MAX_CRC64_RANGE {
        cut = DownloadOptions { chunk_size: MAX_CRC64_RANGE, ..options.clone() };
        &cut
    } else {
        options
    };
    let cap = options.concurrency.buffers(options.chunk_size, options.memory_budget);
    let target = &target.counting(target.own_tally());
    let limiter = Limiter::for_concurrency(options.concurrency, cap, target.tally());
    let start = start(target, options, sink.contiguous()).await?;
    let total = start.properties.content_length;
    let tracker = ProgressTracker::new(options.progress.clone(), Some(total));
    let expected = expected_md5(options, &start.properties);
    let md5 = expected.map(|_| Arc::new(OrderedMd5::new()));
    let first_len = start.first.filled();
    let ranges = Ranges::new(first_len, total, options.chunk_size);
    let chunks = 1 + ranges.remaining();
    let first = match &md5 {
        Some(md5) => md5.add(0, start.first).await?,
        None => start.first,
    };
    let mut pieces = sink.begin(total, first, ranges.remaining() > 0).await?;
    tracker.advance(first_len);
    let file = sink.positional();
    let fetcher = &start.fetcher;
    let md5_in_order = md5.clone();
    let mut arrived = stream::iter(ranges.zip(1u64..))
        .map(|((offset, len), index)| {
            let (piece, file, md5) = (pieces.next(len), file.clone(), md5_in_order.clone());
            let limiter = Arc::clone(&limiter);
            async move {
                // Held while the range is fetched (and written), so the
                // controller sees each GET's completion.
                let permit = limiter.acquire().await;
                // Positional writes land out of order; only the hash needs
                // order, and without one a range is written as it arrives.
                let piece = match file {
                    Some(file) if md5.is_none() => {
                        let range = fetcher.fetch_into(offset, len, FileRange::new(file, offset)).await?;
                        Piece::written(range.finish().await?)
                    }
                    Some(file) => write_range(file, fetcher.fetch_into(offset, len, piece).await?, offset).await?,
                    None => fetcher.fetch_into(offset, len, piece).await?,
                };
                drop(permit);
                match md5 {
                    Some(md5) => md5.add(index, piece).await,
                    None => Ok(piece),
                }
            }
        })
        .buffered(cap);
    while let Some(piece) = arrived.next().await {
        let piece = piece?;
        let len = piece.filled();
        sink.deliver(piece).await?;
        tracker.advance(len);
    }
    let md5_verified = match (expected, md5) {
        (Some(expected), Some(md5)) => check_md5(expected, md5.finish()).map(|()| true)?,
        _ => false,
    };
    let body_resumes = fetcher.resumes.load(Ordering::Relaxed);
    let (peak_concurrency, concurrency_backoffs) = (limiter.peak(), limiter.halvings());
    let etag = start.properties.etag;
    Ok(DownloadReport {
        bytes: total,
        chunks,
        etag,
        md5_verified,
        crc64_verified: options.verify_crc64,
        body_resumes,
        peak_concurrency,
        concurrency_backoffs,
        stats: TransferStats::from_tally(&target.tally()),
    })
}

/// The first exchange: size, ETag, properties and the first chunk.
struct Start {
    properties: BlobProperties,
    first: Piece,
    fetcher: RangeFetcher,
}

/// Sends the first GET and reads its answer, into one buffer when
/// `contiguous` (memory), else as the chunks arrive, uncopied.
async fn start(target: &BlobTarget, options: &DownloadOptions, contiguous: bool) -> Result<Start> {
    let asked = BlobRange::new(0, options.chunk_size);
    let first_range =
        GetOptions { range: Some(asked), selector: options.selector.clone(), conditions: Conditions::default() };
    let (head, body) = match get_once_crc64(target, &first_range, options.verify_crc64).await {
        Ok((head, body)) => {
            check_answer(&head, asked, None)?;
            (head, body)
        }
        // An empty blob has no byte 0: read it whole instead.
        Err(e) if e.kind() == ErrorKind::InvalidRange => {
            get_once(target, &GetOptions { selector: options.selector.clone(), ..GetOptions::default() }).await?
        }
        Err(e) => return Err(e),
    };
    let properties = head.properties.clone();
    if options.require_md5 && expected_md5(options, &properties).is_none() {
        // Refused before the first byte reaches a writer or a file.
        return Err(Error::new(
            ErrorKind::Unverifiable,
            "the blob has no stored Content-MD5 (of 16 bytes), so the download cannot be verified as required",
        )
        .with_operation("GetBlob"));
    }
    // A whole-blob answer (the empty-blob path) still yields at most one chunk
    // here; whatever else the blob holds is read by the ranges that follow.
    let first_len = head.body_length.min(options.chunk_size);
    let fetcher = RangeFetcher {
        target: target.clone(),
        etag: properties.etag.clone(),
        total: properties.content_length,
        selector: options.selector.clone(),
        resumes: AtomicU64::new(0),
        crc64: options.verify_crc64,
    };
    // The buffer grows with the bytes that arrive, not with the size the
    // server claims, so a lying header cannot make it allocate a terabyte.
    let mut first = if contiguous {
        Piece::Slice(BytesMut::with_capacity(first_len.min(INITIAL_CAPACITY) as usize))
    } else {
        Piece::chunks()
    };
    // An empty blob's whole-blob answer has no range, no byte and no CRC64 to check.
    let mut crc = (options.verify_crc64 && first_len > 0).then(Crc64::new);
    if !read_body_crc64(body, &mut first, first_len, crc.as_mut()).await? || first.filled() < first_len {
        fetcher.resumes.fetch_add(1, Ordering::Relaxed);
        if crc.is_some() {
            // Asked again whole: the answer's CRC64 covers all of it.
            first.truncate(0);
        }
        first = fetcher.fetch_into(0, first_len, first).await?;
    } else if let Some(crc) = crc {
        check_range_crc64(head.content_crc64, crc.value(), BlobRange::new(0, first_len))?;
    }
    Ok(Start { properties, first, fetcher })
}

/// The ranges after the first chunk, computed as they are needed: a list
/// made up front would take 400 MB for a 190 TiB blob read in 8 MiB chunks.
#[derive(Debug, Clone)]
struct Ranges {
    next: u64,
    total: u64,
    chunk: u64,
}

impl Ranges {
    fn new(first_len: u64, total: u64, chunk: u64) -> Self {
        Ranges { next: first_len, total, chunk: chunk.max(1) }
    }

    /// How many ranges are left.
    fn remaining(&self) -> u64 {
        (self.total.saturating_sub(self.next)).div_ceil(self.chunk)
    }
}

impl Iterator for Ranges {
    type Item = (u64, u64);

    fn next(&mut self) -> Option<(u64, u64)> {
        if self.next >= self.total {
            return None;
        }
        let len = self.chunk.min(self.total - self.next);
        let range = (self.next, len);
        self.next += len;
        Some(range)
    }
}

/// The stored MD5 to check, when the caller asked and the blob has one.
fn expected_md5(options: &DownloadOptions, properties: &BlobProperties) -> Option<[u8; 16]> {
    if !options.verify_md5 && !options.require_md5 {
        return None;
    }
    properties.content.content_md5.as_deref().and_then(|m| <[u8; 16]>::try_from(m).ok())
}

fn check_md5(expected: [u8; 16], actual: [u8; 16]) -> Result<()> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::new(ErrorKind::IntegrityMismatch, "the downloaded bytes do not match the blob's Content-MD5"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_mismatches_are_integrity_errors() {
        assert!(check_md5([1; 16], [1; 16]).is_ok());
        assert_eq!(check_md5([1; 16], [2; 16]).unwrap_err().kind(), ErrorKind::IntegrityMismatch);
    }

    #[test]
    fn ranges_cover_the_rest_exactly() {
        let list = |first, total, chunk| Ranges::new(first, total, chunk).collect::<Vec<_>>();
        assert_eq!(list(4, 4, 4), vec![]);
        assert_eq!(list(4, 10, 4), vec![(4, 4), (8, 2)]);
        assert_eq!(list(0, 0, 4), vec![]);
        assert_eq!(Ranges::new(4, 10, 4).remaining(), 2);
        // 190 TiB in 8 MiB chunks: counted, not listed.
        assert_eq!(Ranges::new(0, 190 << 40, 8 << 20).remaining(), 190 << 17);
    }
}
