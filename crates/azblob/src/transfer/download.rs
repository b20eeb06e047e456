//! Downloads: a first ranged GET learns the size and ETag, the other ranges
//! follow with `If-Match`, `concurrency` in flight, delivered in order.
//!
//! A body that breaks mid-transfer is resumed from the last byte received,
//! still with `If-Match`; if the blob changed meanwhile the download fails
//! with [`PreconditionFailed`](crate::ErrorKind::PreconditionFailed) and a
//! message that says so.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::options::DownloadOptions;
use super::progress::ProgressTracker;
use super::temp_file::{self, TempFile};
use crate::client::BlobClient;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::blob_properties::BlobSelector;
use crate::ops::conditions::Conditions;
use crate::ops::get_blob::{GetBlobHead, GetBlobOptions};
use crate::ops::models::{BlobProperties, BlobRange, ETag};
use crate::transport::Body;

/// How many times one range's body may break off (or end early) and be resumed.
const MAX_BODY_RESUMES: u32 = 5;

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
    /// How many broken bodies were resumed.
    pub body_resumes: u64,
}

/// Reads ranges of one blob, pinned to one ETag, resuming broken bodies.
#[derive(Debug)]
pub(crate) struct RangeFetcher {
    blob: BlobClient,
    etag: ETag,
    /// The blob's size as the first answer gave it; every later answer must agree.
    total: u64,
    selector: BlobSelector,
    resumes: AtomicU64,
}

impl RangeFetcher {
    /// Fills `buf` (empty, with room for `len`) with bytes `offset..offset+len`.
    ///
    /// Every attempt that ends before the range is full counts against
    /// [`MAX_BODY_RESUMES`], whether its body broke off or ended early: a
    /// server that keeps answering the right range with too few bytes (or
    /// none) gets an error, not an endless loop.
    async fn fetch_into<B: RangeBuf>(&self, offset: u64, len: u64, mut buf: B) -> Result<B> {
        let mut failures = 0;
        while buf.filled() < len {
            let have = buf.filled();
            let asked = BlobRange::new(offset + have, len - have);
            let options = GetBlobOptions {
                range: Some(asked),
                selector: self.selector.clone(),
                conditions: Conditions::if_match(self.etag.clone()),
            };
            let response = self.blob.get(&options).await.map_err(changed_blob)?;
            check_answer(&response.head, asked, Some(self.total))?;
            let broke = read_body(response.body, &mut buf, len).await.is_err();
            if buf.filled() < len {
                failures += 1;
                self.resumes.fetch_add(1, Ordering::Relaxed);
                if failures > MAX_BODY_RESUMES {
                    let how = if broke { "broke off" } else { "ended early" };
                    return Err(Error::new(
                        ErrorKind::Transport,
                        format!("the body of bytes {offset}.. {how} {failures} times"),
                    )
                    .with_operation("GetBlob"));
                }
                tracing::debug!(offset, have = buf.filled(), broke, "resuming an incomplete body");
            }
        }
        Ok(buf)
    }
}

/// Checks a ranged answer against what was asked: it must start at the
/// asked offset, end within the asked range, and (after the first answer)
/// report the same blob size. The server's numbers decide where bytes are
/// written and how much is read, so none of them is taken on trust. A
/// whole-blob answer (200) starts at byte 0 and is read only as far as asked.
fn check_answer(head: &GetBlobHead, asked: BlobRange, total: Option<u64>) -> Result<()> {
    let bad = |why: String| Error::invalid_response(why).with_operation("GetBlob");
    let asked_end = asked.length.map(|len| asked.offset.saturating_add(len.saturating_sub(1)));
    let (start, end) = head.range.unwrap_or((0, head.properties.content_length.saturating_sub(1)));
    let overlong = head.range.is_some() && asked_end.is_some_and(|asked_end| end > asked_end);
    if start != asked.offset || overlong {
        return Err(bad(format!(
            "the service answered bytes {start}-{end} to a request for bytes {}-{}",
            asked.offset,
            asked_end.map_or(String::new(), |e| e.to_string())
        )));
    }
    if let Some(total) = total.filter(|&t| t != head.properties.content_length) {
        return Err(bad(format!(
            "the blob's size changed from {total} to {} bytes with the same ETag",
            head.properties.content_length
        )));
    }
    Ok(())
}

/// Where a range's bytes collect while it is read.
trait RangeBuf: Send {
    /// Bytes collected so far.
    fn filled(&self) -> u64;
    /// Adds the next chunk of the body.
    fn put(&mut self, chunk: Bytes);
}

/// One contiguous buffer: a download into memory fills its piece of the result.
impl RangeBuf for BytesMut {
    fn filled(&self) -> u64 {
        self.len() as u64
    }

    fn put(&mut self, chunk: Bytes) {
        self.extend_from_slice(&chunk);
    }
}

/// The chunks as the connection delivered them, uncopied: writers and files
/// take them one after another.
#[derive(Default)]
struct Chunks {
    parts: Vec<Bytes>,
    len: u64,
}

impl RangeBuf for Chunks {
    fn filled(&self) -> u64 {
        self.len
    }

    fn put(&mut self, chunk: Bytes) {
        self.len += chunk.len() as u64;
        self.parts.push(chunk);
    }
}

/// Appends the body to `buf` up to `limit` bytes; `Err` if it broke off.
async fn read_body<B: RangeBuf>(body: Body, buf: &mut B, limit: u64) -> Result<(), ()> {
    let mut stream = body.into_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ())?;
        let room = (limit - buf.filled()) as usize;
        // More than asked for is the server's bug; keep what was asked.
        buf.put(chunk.slice(..chunk.len().min(room)));
    }
    Ok(())
}

/// A 412 during a download means the blob changed under it.
fn changed_blob(err: Error) -> Error {
    if err.kind() == ErrorKind::PreconditionFailed {
        return err.with_message(
            "the blob changed while it was being downloaded (its ETag no longer matches); start the download again",
        );
    }
    err
}

/// The first exchange: size, ETag, properties and the first chunk.
struct Start {
    properties: BlobProperties,
    first: BytesMut,
    fetcher: Arc<RangeFetcher>,
}

async fn start(blob: &BlobClient, options: &DownloadOptions) -> Result<Start> {
    options.validate()?;
    let asked = BlobRange::new(0, options.chunk_size);
    let first_range =
        GetBlobOptions { range: Some(asked), selector: options.selector.clone(), conditions: Conditions::default() };
    let response = match blob.get(&first_range).await {
        Ok(response) => {
            check_answer(&response.head, asked, None)?;
            response
        }
        // An empty blob has no byte 0: read it whole instead.
        Err(e) if e.kind() == ErrorKind::InvalidRange => {
            blob.get(&GetBlobOptions { selector: options.selector.clone(), ..GetBlobOptions::default() }).await?
        }
        Err(e) => return Err(e),
    };
    let properties = response.head.properties.clone();
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
    let first_len = response.head.body_length.min(options.chunk_size);
    let fetcher = Arc::new(RangeFetcher {
        blob: blob.clone(),
        etag: properties.etag.clone(),
        total: properties.content_length,
        selector: options.selector.clone(),
        resumes: AtomicU64::new(0),
    });
    // The buffer grows with the bytes that arrive, not with the size the
    // server claims, so a lying header cannot make it allocate a terabyte.
    let mut first = BytesMut::with_capacity(first_len.min(INITIAL_CAPACITY) as usize);
    if read_body(response.body, &mut first, first_len).await.is_err() || (first.len() as u64) < first_len {
        fetcher.resumes.fetch_add(1, Ordering::Relaxed);
        first = fetcher.fetch_into(0, first_len, first).await?;
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

/// Hashes a download in order, when the caller asked and the blob has an MD5.
struct Md5Check {
    expected: Option<[u8; 16]>,
    hasher: Option<md5::Md5>,
}

impl Md5Check {
    fn new(options: &DownloadOptions, properties: &BlobProperties) -> Self {
        let expected = expected_md5(options, properties);
        Md5Check { expected, hasher: expected.map(|_| md5_hasher()) }
    }

    fn update(&mut self, bytes: &[u8]) {
        if let Some(h) = self.hasher.as_mut() {
            md5::Digest::update(h, bytes);
        }
    }

    /// Compares the digest; `Ok(true)` when a check was made.
    fn finish(self) -> Result<bool> {
        match (self.expected, self.hasher) {
            (Some(expected), Some(h)) => check_md5(expected, md5::Digest::finalize(h).into()).map(|()| true),
            _ => Ok(false),
        }
    }
}

fn report(start: &Start, bytes: u64, chunks: u64, md5_verified: bool) -> DownloadReport {
    DownloadReport {
        bytes,
        chunks,
        etag: start.properties.etag.clone(),
        md5_verified,
        body_resumes: start.fetcher.resumes.load(Ordering::Relaxed),
    }
}

/// Downloads the whole blob into one buffer, each range written in place.
pub(crate) async fn download_to_memory(
    blob: &BlobClient,
    options: &DownloadOptions,
) -> Result<(Bytes, DownloadReport)> {
    let start = start(blob, options).await?;
    let total = start.properties.content_length;
    let tracker = ProgressTracker::new(options.progress.clone(), Some(total));
    let first_len = start.first.len() as u64;
    tracker.advance(first_len);
    let ranges = Ranges::new(first_len, total, options.chunk_size);
    let chunks = 1 + ranges.remaining();
    let whole = if ranges.remaining() == 0 {
        start.first.clone()
    } else {
        // One allocation for the whole blob, split into disjoint pieces that
        // the ranges fill; joining them back in order copies nothing.
        let mut whole = allocate_whole(total)?;
        whole.extend_from_slice(&start.first);
        let mut rest = whole.split_off(first_len as usize);
        let pieces = ranges.map(move |(offset, len)| {
            let tail = rest.split_off(len as usize);
            (offset, len, std::mem::replace(&mut rest, tail))
        });
        let filled: Vec<BytesMut> = stream::iter(pieces)
            .map(|(offset, len, piece)| {
                let (fetcher, tracker) = (Arc::clone(&start.fetcher), tracker.clone());
                async move {
                    let piece = fetcher.fetch_into(offset, len, piece).await?;
                    tracker.advance(len);
                    Ok::<_, Error>(piece)
                }
            })
            .buffered(options.concurrency)
            .try_collect()
            .await?;
        for piece in filled {
            whole.unsplit(piece);
        }
        whole
    };
    let bytes = whole.freeze();
    let verified = match expected_md5(options, &start.properties) {
        Some(expected) => {
            // Stops with this future: a whole blob can take seconds to hash.
            let actual = super::hash::md5_off_thread(bytes.clone()).await?;
            check_md5(expected, actual)?;
            true
        }
        None => false,
    };
    let report = report(&start, bytes.len() as u64, chunks, verified);
    Ok((bytes, report))
}

/// Reserves room for a whole blob of `total` bytes, or fails with a typed
/// error when the machine cannot hold it (instead of aborting the process).
fn allocate_whole(total: u64) -> Result<BytesMut> {
    let too_big = || {
        Error::new(ErrorKind::Io, format!("cannot hold a blob of {total} bytes in memory; download it to a file"))
            .with_operation("GetBlob")
    };
    let size = usize::try_from(total).map_err(|_| too_big())?;
    // `BytesMut` has no fallible allocation, so a `Vec` probes first; a large
    // probe is mapped but never touched, so freeing it and allocating again
    // costs no copying.
    let mut probe = Vec::<u8>::new();
    probe.try_reserve_exact(size).map_err(|_| too_big())?;
    drop(probe);
    Ok(BytesMut::with_capacity(size))
}

/// Downloads the blob into `writer` in order; memory stays within `chunk_size × concurrency`.
pub(crate) async fn download_to_writer<W: AsyncWrite + Unpin + Send + ?Sized>(
    blob: &BlobClient,
    writer: &mut W,
    options: &DownloadOptions,
) -> Result<DownloadReport> {
    let start = start(blob, options).await?;
    let total = start.properties.content_length;
    let tracker = ProgressTracker::new(options.progress.clone(), Some(total));
    let mut md5 = Md5Check::new(options, &start.properties);
    let write_error = |e: std::io::Error| {
        Error::new(ErrorKind::Io, format!("cannot write the download: {e}")).with_source_in_message(e)
    };
    let first_len = start.first.len() as u64;
    md5.update(&start.first);
    writer.write_all(&start.first).await.map_err(write_error)?;
    tracker.advance(first_len);
    let ranges = Ranges::new(first_len, total, options.chunk_size);
    let chunks = 1 + ranges.remaining();
    let mut pieces = stream::iter(ranges)
        .map(|(offset, len)| {
            let fetcher = Arc::clone(&start.fetcher);
            async move { fetcher.fetch_into(offset, len, Chunks::default()).await }
        })
        .buffered(options.concurrency);
    while let Some(piece) = pieces.next().await {
        let piece = piece?;
        for part in &piece.parts {
            md5.update(part);
            writer.write_all(part).await.map_err(write_error)?;
        }
        tracker.advance(piece.len);
    }
    writer.flush().await.map_err(write_error)?;
    let verified = md5.finish()?;
    Ok(report(&start, total, chunks, verified))
}

/// Downloads the blob into a file at `path` through a temporary file in the
/// same directory, moved into place only on success and removed otherwise,
/// also when this future is dropped (see `temp_file`).
pub(crate) async fn download_to_file(
    blob: &BlobClient,
    path: &Path,
    options: &DownloadOptions,
) -> Result<DownloadReport> {
    options.validate()?;
    if !options.overwrite && std::fs::symlink_metadata(path).is_ok() {
        // Refused before a byte is fetched; `persist` checks again at the end.
        return Err(temp_file::exists(path));
    }
    let (temp, file) = TempFile::create_beside(path)?;
    let report = download_into_file(blob, Arc::new(file), options).await?;
    temp.persist(path, options.overwrite)?;
    Ok(report)
}

async fn download_into_file(
    blob: &BlobClient,
    file: Arc<std::fs::File>,
    options: &DownloadOptions,
) -> Result<DownloadReport> {
    let start = start(blob, options).await?;
    let total = start.properties.content_length;
    let tracker = ProgressTracker::new(options.progress.clone(), Some(total));
    let mut md5 = Md5Check::new(options, &start.properties);
    file.set_len(total)
        .map_err(|e| Error::new(ErrorKind::Io, format!("cannot size the file: {e}")).with_source_in_message(e))?;
    let first = start.first.clone().freeze();
    md5.update(&first);
    write_at(Arc::clone(&file), vec![first.clone()], 0).await?;
    tracker.advance(first.len() as u64);
    let ranges = Ranges::new(first.len() as u64, total, options.chunk_size);
    let chunks = 1 + ranges.remaining();
    let mut written = stream::iter(ranges)
        .map(|(offset, len)| {
            let (file, fetcher, tracker) = (Arc::clone(&file), Arc::clone(&start.fetcher), tracker.clone());
            async move {
                let piece = fetcher.fetch_into(offset, len, Chunks::default()).await?;
                // Positional writes land out of order; only the hash needs order.
                write_at(file, piece.parts.clone(), offset).await?;
                tracker.advance(len);
                Ok::<_, Error>(piece.parts)
            }
        })
        .buffered(options.concurrency);
    while let Some(parts) = written.next().await {
        for part in parts? {
            md5.update(&part);
        }
    }
    let verified = md5.finish()?;
    Ok(report(&start, total, chunks, verified))
}

/// Writes `parts` one after another from `offset`, in one blocking task.
async fn write_at(file: Arc<std::fs::File>, parts: Vec<Bytes>, offset: u64) -> Result<()> {
    tokio::task::spawn_blocking(move || {
        let mut at = offset;
        for part in &parts {
            positional_write(&file, part, at)?;
            at += part.len() as u64;
        }
        Ok::<_, std::io::Error>(())
    })
    .await
    .map_err(|e| Error::new(ErrorKind::Other, format!("a write task failed: {e}")))?
    .map_err(|e| Error::new(ErrorKind::Io, format!("cannot write the download: {e}")).with_source_in_message(e))
}

#[cfg(unix)]
fn positional_write(file: &std::fs::File, data: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

#[cfg(windows)]
fn positional_write(file: &std::fs::File, mut data: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !data.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, data, offset)?;
        data = &data[n..];
        offset += n as u64;
    }
    Ok(())
}

fn md5_hasher() -> md5::Md5 {
    <md5::Md5 as md5::Digest>::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::request_util::md5_digest;

    fn properties_with_md5(md5: &[u8]) -> BlobProperties {
        use base64::Engine as _;
        let mut h = http::HeaderMap::new();
        h.insert("etag", "\"0x1\"".parse().unwrap());
        h.insert("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT".parse().unwrap());
        h.insert("x-ms-blob-type", "BlockBlob".parse().unwrap());
        h.insert("content-length", "3".parse().unwrap());
        let b64 = base64::engine::general_purpose::STANDARD.encode(md5);
        h.insert("content-md5", b64.parse().unwrap());
        crate::ops::blob_properties::parse_blob_properties(&h).unwrap()
    }

    #[test]
    fn md5_check_hashes_parts_in_order_and_reports_mismatches() {
        let props = properties_with_md5(&md5_digest(b"abc"));
        let verify = DownloadOptions { verify_md5: true, ..DownloadOptions::default() };

        let mut check = Md5Check::new(&verify, &props);
        check.update(b"ab");
        check.update(b"c");
        assert!(check.finish().unwrap());

        let mut check = Md5Check::new(&verify, &props);
        check.update(b"abd");
        assert_eq!(check.finish().unwrap_err().kind(), ErrorKind::IntegrityMismatch);

        let mut unasked = Md5Check::new(&DownloadOptions::default(), &props);
        unasked.update(b"anything");
        assert!(!unasked.finish().unwrap(), "no check unless asked");
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
