//! Uploads: one Put Blob when small, otherwise parallel Put Block with a
//! resumable session and a final Put Block List.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use http::StatusCode;
use md5::Digest as _;
use tokio::io::{AsyncRead, AsyncReadExt};

use super::checkpoint::{block_id, would_overwrite, Checkpoint};
use super::gauge::{BufferGauge, GaugeGuard};
use super::identity::SourceIdentity;
use super::options::{plan_block_size, UploadOptions};
use super::ordered_md5::OrderedMd5;
use super::progress::ProgressTracker;
use super::source::UploadSource;
use crate::client::BlobClient;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::block_blob::{
    build_get_uncommitted_blocks_request, build_put_block_list_request, build_put_block_request,
    parse_uncommitted_blocks, CommitOptions, MAX_BLOCKS,
};
use crate::ops::models::ETag;
use crate::ops::put_blob::{parse_write_response, PutBlobOptions};
use crate::ops::request_util::md5_digest;

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UploadReport {
    /// Bytes in the blob.
    pub bytes: u64,
    /// Blocks committed (0 for a single Put Blob).
    pub blocks: u64,
    /// Blocks a resumed upload found already staged and did not send again.
    pub resumed_blocks: u64,
    /// The block size used (after growing it for very large blobs).
    pub block_size: u64,
    /// The blob's new ETag.
    pub etag: ETag,
    /// The new version's id, on accounts with versioning.
    pub version_id: Option<String>,
    /// The whole blob's MD5, when asked for with `blob_md5`.
    pub content_md5: Option<[u8; 16]>,
    /// The most payload bytes the upload held in its own buffers at once.
    pub peak_buffer_bytes: u64,
}

/// A block read and ready to send; its guard keeps it on the gauge.
struct Block {
    index: u64,
    data: Bytes,
    /// False for a block a resumed upload finds already staged: it is read
    /// only to feed the whole blob's MD5.
    send: bool,
    _guard: Option<GaugeGuard>,
}

/// How a block gets its bytes; loading happens on the uploader that sends it,
/// so file reads run in parallel.
enum BlockLoad {
    /// Already in memory (a slice of a bytes source, or read from a stream).
    Ready(Block),
    /// To be read from a file at `index * block_size`.
    File { path: Arc<PathBuf>, index: u64, offset: u64, len: u64, send: bool, guard: GaugeGuard },
    /// Reading the stream failed.
    Failed(Error),
}

impl BlockLoad {
    async fn load(self) -> Result<Block> {
        match self {
            BlockLoad::Ready(block) => Ok(block),
            BlockLoad::File { path, index, offset, len, send, guard } => {
                let data = tokio::task::spawn_blocking(move || read_block(&path, offset, len))
                    .await
                    .map_err(|e| Error::new(ErrorKind::Other, format!("a read task failed: {e}")))??;
                Ok(Block { index, data, send, _guard: Some(guard) })
            }
            BlockLoad::Failed(err) => Err(err),
        }
    }
}

/// Runs an upload from any source.
pub(crate) async fn run_upload(
    blob: &BlobClient,
    source: UploadSource,
    options: UploadOptions,
) -> Result<UploadReport> {
    options.validate()?;
    let gauge = Arc::new(BufferGauge::default());
    match source {
        UploadSource::Bytes(data) => upload_bytes(blob, data, &options, &gauge).await,
        UploadSource::File(path) => upload_file(blob, &path, &options, &gauge).await,
        UploadSource::Reader(reader) => upload_reader(blob, reader, &options, &gauge).await,
    }
}

/// File and stream sources go in one Put Blob only while that fits the memory bound.
fn single_put_threshold(options: &UploadOptions) -> u64 {
    let budget = options.block_size.saturating_mul(options.concurrency as u64);
    options.single_put_max.min(budget)
}

fn refuse_checkpoint_without_file(options: &UploadOptions) -> Result<()> {
    if options.checkpoint.is_some() {
        return Err(Error::invalid_input("checkpoints and resume need a file source"));
    }
    Ok(())
}

async fn upload_bytes(
    blob: &BlobClient,
    data: Bytes,
    options: &UploadOptions,
    gauge: &Arc<BufferGauge>,
) -> Result<UploadReport> {
    refuse_checkpoint_without_file(options)?;
    let size = data.len() as u64;
    if size <= options.single_put_max {
        let md5 = if options.blob_md5 { Some(md5_blocking(data.clone()).await?) } else { None };
        return single_put(blob, data, options, md5, gauge).await;
    }
    let block_size = plan_block_size(size, options.block_size)?;
    let count = size.div_ceil(block_size);
    let loads = stream::iter(0..count).map(move |index| {
        let start = (index * block_size) as usize;
        let end = (start + block_size as usize).min(data.len());
        BlockLoad::Ready(Block { index, data: data.slice(start..end), send: true, _guard: None })
    });
    let session = Session {
        id: blob.service().new_session_id(),
        block_size,
        count: Some(count),
        resumed: 0,
        checkpoint: None,
        source: None,
        md5: options.blob_md5.then(|| Arc::new(OrderedMd5::new())),
    };
    upload_blocks(blob, session, loads.boxed(), Some(size), 0, options, gauge).await
}

async fn upload_file(
    blob: &BlobClient,
    path: &Path,
    options: &UploadOptions,
    gauge: &Arc<BufferGauge>,
) -> Result<UploadReport> {
    let io_error = |e| read_error(path, e);
    let metadata = tokio::fs::metadata(path).await.map_err(io_error)?;
    if !metadata.is_file() {
        return Err(Error::invalid_input(format!("{} is not a regular file", path.display())));
    }
    if let Some(checkpoint) = &options.checkpoint {
        if would_overwrite(checkpoint, path, &metadata) {
            return Err(Error::invalid_input(format!(
                "the checkpoint {} would be written over the file being uploaded, {}",
                checkpoint.display(),
                path.display()
            )));
        }
    }
    let size = metadata.len();
    let url = blob.url()?.to_string();
    let identity = SourceIdentity::of(path, &metadata);
    // A checkpoint to resume from is checked first, whatever the size: one
    // that belongs to another blob or a changed file is refused.
    let existing = match (&options.checkpoint, options.resume) {
        (Some(ckpt_path), true) => match Checkpoint::load(ckpt_path)? {
            Some(existing) => {
                existing.check_matches(&url, &identity, ckpt_path)?;
                Some(existing)
            }
            None => None,
        },
        _ => None,
    };
    if existing.is_none() && size <= single_put_threshold(options) {
        let guard = gauge.hold(size);
        let data = Bytes::from(tokio::fs::read(path).await.map_err(io_error)?);
        // The bytes read are what goes out: a change during the read could
        // have torn them, so the file must still be the one first seen.
        check_unchanged(path, &identity)?;
        let md5 = if options.blob_md5 { Some(md5_blocking(data.clone()).await?) } else { None };
        let report = single_put(blob, data, options, md5, gauge).await;
        drop(guard);
        return report;
    }

    let mut block_size = plan_block_size(size, options.block_size)?;
    let mut present: HashMap<String, u64> = HashMap::new();
    let checkpoint = match (existing, &options.checkpoint) {
        (Some(existing), Some(ckpt_path)) => {
            // The staged blocks have the checkpoint's size, whatever is asked now.
            block_size = existing.block_size;
            present = staged_blocks(blob).await?;
            Some((existing, ckpt_path.clone()))
        }
        (_, Some(ckpt_path)) => {
            let session_id = blob.service().new_session_id();
            Some((Checkpoint::new(url.clone(), identity.clone(), block_size, session_id), ckpt_path.clone()))
        }
        (_, None) => None,
    };
    let count = size.div_ceil(block_size);
    if count > MAX_BLOCKS {
        return Err(Error::invalid_input(format!(
            "{count} blocks of {block_size} bytes exceed the limit of {MAX_BLOCKS}"
        )));
    }
    let session_id =
        checkpoint.as_ref().map(|(c, _)| c.session_id.clone()).unwrap_or_else(|| blob.service().new_session_id());
    if let Some((ckpt, ckpt_path)) = &checkpoint {
        // Saved before the first block leaves, so even a killed process can resume.
        ckpt.save(ckpt_path)?;
    }
    let block_len = move |index: u64| (size - index * block_size).min(block_size);
    let missing: Vec<u64> =
        (0..count).filter(|&i| present.get(&block_id(&session_id, i)) != Some(&block_len(i))).collect();
    let resumed = count - missing.len() as u64;
    let resumed_bytes = size - missing.iter().map(|&i| block_len(i)).sum::<u64>();

    let source = Some((path.to_path_buf(), identity));
    let path = Arc::new(path.to_path_buf());
    let gauge_for_loads = Arc::clone(gauge);
    // With a whole-blob MD5 every block is read in order (the staged ones
    // only to be hashed), so the digest covers the file as this run reads it.
    let indices: Vec<(u64, bool)> = if options.blob_md5 {
        (0..count).map(|i| (i, missing.binary_search(&i).is_ok())).collect()
    } else {
        missing.into_iter().map(|i| (i, true)).collect()
    };
    let loads = stream::iter(indices).map(move |(index, send)| {
        let len = block_len(index);
        // Counted from now: the buffer is allocated when the block is read.
        let guard = gauge_for_loads.hold(len);
        BlockLoad::File { path: Arc::clone(&path), index, offset: index * block_size, len, send, guard }
    });
    let session = Session {
        id: session_id,
        block_size,
        count: Some(count),
        resumed,
        checkpoint,
        source,
        md5: options.blob_md5.then(|| Arc::new(OrderedMd5::new())),
    };
    upload_blocks(blob, session, loads.boxed(), Some(size), resumed_bytes, options, gauge).await
}

/// Refuses to go on when the file at `path` is no longer the one first seen.
fn check_unchanged(path: &Path, identity: &SourceIdentity) -> Result<()> {
    let now = SourceIdentity::read(path).map_err(|e| read_error(path, e))?;
    match identity.difference(&now) {
        None => Ok(()),
        Some(what) => Err(Error::new(
            ErrorKind::SourceChanged,
            format!("{} changed during the upload ({what}); nothing was committed", path.display()),
        )),
    }
}

/// The error for a failed read of the source file at `path`.
fn read_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("cannot read {}: {e}", path.display())).with_source_in_message(e)
}

/// Reads `len` bytes at `offset` with its own file handle, so parallel reads
/// share no file position.
fn read_block(path: &Path, offset: u64, len: u64) -> Result<Bytes> {
    use std::io::{Read, Seek, SeekFrom};
    let io_error = |e| read_error(path, e);
    let mut file = std::fs::File::open(path).map_err(io_error)?;
    file.seek(SeekFrom::Start(offset)).map_err(io_error)?;
    let mut buf = Vec::with_capacity(len as usize);
    file.take(len).read_to_end(&mut buf).map_err(io_error)?;
    if buf.len() as u64 != len {
        return Err(Error::new(ErrorKind::Io, format!("{} shrank during the upload", path.display())));
    }
    Ok(Bytes::from(buf))
}

async fn upload_reader(
    blob: &BlobClient,
    mut reader: Box<dyn AsyncRead + Send + Unpin>,
    options: &UploadOptions,
    gauge: &Arc<BufferGauge>,
) -> Result<UploadReport> {
    refuse_checkpoint_without_file(options)?;
    let block_size = options.block_size;
    let first_guard = gauge.hold(block_size);
    let first = read_up_to(&mut reader, block_size).await?;
    let mut hasher = options.blob_md5.then(md5_hasher);
    if (first.len() as u64) < block_size && first.len() as u64 <= single_put_threshold(options) {
        let md5 = hasher.map(|mut h| {
            h.update(&first);
            h.finalize().into()
        });
        let report = single_put(blob, first, options, md5, gauge).await;
        drop(first_guard);
        return report;
    }
    // Blocks are read in order as the uploaders ask for them; the MD5 is
    // updated in that same order.
    struct ReadState {
        reader: Box<dyn AsyncRead + Send + Unpin>,
        next: u64,
        pending: Option<(Bytes, GaugeGuard)>,
        hasher: Option<md5::Md5>,
        total: Arc<AtomicU64>,
        md5_out: Arc<std::sync::Mutex<Option<[u8; 16]>>>,
        gauge: Arc<BufferGauge>,
        block_size: u64,
    }
    if let Some(h) = hasher.as_mut() {
        h.update(&first);
    }
    let total = Arc::new(AtomicU64::new(0));
    let md5_out = Arc::new(std::sync::Mutex::new(None));
    let state = ReadState {
        reader,
        next: 0,
        pending: Some((first, first_guard)),
        hasher,
        total: Arc::clone(&total),
        md5_out: Arc::clone(&md5_out),
        gauge: Arc::clone(gauge),
        block_size,
    };
    let loads = stream::unfold(state, |mut s| async move {
        let (data, guard) = match s.pending.take() {
            Some(first) => first,
            None => {
                let guard = s.gauge.hold(s.block_size);
                match read_up_to(&mut s.reader, s.block_size).await {
                    Ok(data) if data.is_empty() => {
                        if let Some(h) = s.hasher.take() {
                            *s.md5_out.lock().expect("md5 lock") = Some(h.finalize().into());
                        }
                        return None;
                    }
                    Ok(data) => {
                        if let Some(h) = s.hasher.as_mut() {
                            h.update(&data);
                        }
                        (data, guard)
                    }
                    Err(e) => return Some((BlockLoad::Failed(e), s)),
                }
            }
        };
        let index = s.next;
        s.next += 1;
        s.total.fetch_add(data.len() as u64, Ordering::SeqCst);
        let load = if index >= MAX_BLOCKS {
            BlockLoad::Failed(Error::invalid_input(format!(
                "the stream is longer than {MAX_BLOCKS} blocks of {} bytes; use a larger block size",
                s.block_size
            )))
        } else {
            BlockLoad::Ready(Block { index, data, send: true, _guard: Some(guard) })
        };
        Some((load, s))
    });
    // The stream is hashed as it is read, which is already in order.
    let session = Session {
        id: blob.service().new_session_id(),
        block_size,
        count: None,
        resumed: 0,
        checkpoint: None,
        source: None,
        md5: None,
    };
    let tracker = ProgressTracker::new(options.progress.clone(), None);
    let sent = send_blocks(blob, &session, loads.boxed(), options, &tracker).await?;
    let md5 = *md5_out.lock().expect("md5 lock");
    let size = total.load(Ordering::SeqCst);
    commit(blob, &session, sent, size, md5, options, gauge).await
}

/// Reads until `limit` bytes or the end of the stream.
async fn read_up_to(reader: &mut (dyn AsyncRead + Send + Unpin), limit: u64) -> Result<Bytes> {
    let mut buf = BytesMut::with_capacity(limit as usize);
    while (buf.len() as u64) < limit {
        let n = reader.read_buf(&mut buf).await.map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read the upload stream: {e}")).with_source_in_message(e)
        })?;
        if n == 0 {
            break;
        }
    }
    // `read_buf` may have grown the buffer past the limit.
    if buf.len() as u64 > limit {
        return Err(Error::new(ErrorKind::Other, "the reader overfilled a block"));
    }
    Ok(buf.freeze())
}

/// One Put Blob with the upload's options.
async fn single_put(
    blob: &BlobClient,
    data: Bytes,
    options: &UploadOptions,
    md5: Option<[u8; 16]>,
    gauge: &Arc<BufferGauge>,
) -> Result<UploadReport> {
    let size = data.len() as u64;
    let mut content = options.content.clone();
    if let Some(md5) = md5 {
        content.content_md5 = Some(md5.to_vec());
    }
    let put = PutBlobOptions {
        content,
        metadata: options.metadata.clone(),
        tier: options.tier.clone(),
        conditions: options.conditions.clone(),
        transactional_md5: options.transactional_md5,
    };
    let tracker = ProgressTracker::new(options.progress.clone(), Some(size));
    let written = blob.put_opts(data, &put).await?;
    tracker.advance(size);
    Ok(UploadReport {
        bytes: size,
        blocks: 0,
        resumed_blocks: 0,
        block_size: options.block_size,
        etag: written.etag,
        version_id: written.version_id,
        content_md5: md5,
        peak_buffer_bytes: gauge.peak(),
    })
}

/// An upload session: its id (the block id prefix) and what is known of its blocks.
struct Session {
    id: String,
    block_size: u64,
    count: Option<u64>,
    resumed: u64,
    checkpoint: Option<(Checkpoint, PathBuf)>,
    /// The source file and its identity when the upload started, checked
    /// again before the commit.
    source: Option<(PathBuf, SourceIdentity)>,
    /// The whole blob's MD5, fed by the blocks as they are sent.
    md5: Option<Arc<OrderedMd5>>,
}

async fn upload_blocks(
    blob: &BlobClient,
    session: Session,
    loads: BoxStream<'static, BlockLoad>,
    size: Option<u64>,
    resumed_bytes: u64,
    options: &UploadOptions,
    gauge: &Arc<BufferGauge>,
) -> Result<UploadReport> {
    let tracker = ProgressTracker::new(options.progress.clone(), size);
    if resumed_bytes > 0 {
        tracker.advance(resumed_bytes);
    }
    let sent = send_blocks(blob, &session, loads, options, &tracker).await?;
    let md5 = session.md5.as_deref().map(OrderedMd5::finish);
    commit(blob, &session, sent, size.unwrap_or(0), md5, options, gauge).await
}

/// Stages blocks with `concurrency` in flight; returns how many were sent
/// and one past the highest index seen.
///
/// Each block's future owns what it uses (cheap clones), so the whole
/// upload future is `Send` and can be spawned.
async fn send_blocks(
    blob: &BlobClient,
    session: &Session,
    loads: BoxStream<'static, BlockLoad>,
    options: &UploadOptions,
    tracker: &ProgressTracker,
) -> Result<(u64, u64)> {
    let url = blob.url()?;
    let md5 = options.transactional_md5;
    let highest = Arc::new(AtomicU64::new(0));
    let sent = Arc::new(AtomicU64::new(0));
    let (owned_blob, owned_tracker, owned_id) = (blob.clone(), tracker.clone(), session.id.clone());
    let (all_highest, all_sent, all_md5) = (Arc::clone(&highest), Arc::clone(&sent), session.md5.clone());
    loads
        .map(move |load: BlockLoad| {
            let (url, blob, tracker) = (url.clone(), owned_blob.clone(), owned_tracker.clone());
            let (highest, sent, session_id) = (Arc::clone(&all_highest), Arc::clone(&all_sent), owned_id.clone());
            let whole_md5 = all_md5.clone();
            async move {
                let block = load.load().await?;
                if let Some(whole_md5) = whole_md5 {
                    // Hashed before it is sent, from the very bytes sent.
                    whole_md5.add(block.index, block.data.clone()).await?;
                }
                highest.fetch_max(block.index + 1, Ordering::SeqCst);
                if !block.send {
                    return Ok(());
                }
                let len = block.data.len() as u64;
                let id = block_id(&session_id, block.index);
                let digest = md5.then(|| md5_digest(&block.data));
                let request = build_put_block_request(url, &id, block.data.clone(), digest)?;
                blob.pipeline().execute(request).await?;
                sent.fetch_add(1, Ordering::SeqCst);
                drop(block);
                tracker.advance(len);
                Ok::<_, Error>(())
            }
        })
        .buffer_unordered(options.concurrency)
        .try_collect::<()>()
        .await?;
    Ok((sent.load(Ordering::SeqCst), highest.load(Ordering::SeqCst)))
}

/// Commits the blocks in order with Put Block List, then deletes the checkpoint.
async fn commit(
    blob: &BlobClient,
    session: &Session,
    (sent, highest): (u64, u64),
    size: u64,
    md5: Option<[u8; 16]>,
    options: &UploadOptions,
    gauge: &Arc<BufferGauge>,
) -> Result<UploadReport> {
    let count = session.count.unwrap_or(highest).max(highest);
    debug_assert_eq!(sent + session.resumed, count);
    if let Some((path, identity)) = &session.source {
        // The last moment to refuse: after Put Block List the blob is public.
        check_unchanged(path, identity)?;
    }
    let ids: Vec<String> = (0..count).map(|i| block_id(&session.id, i)).collect();
    let mut content = options.content.clone();
    if let Some(md5) = md5 {
        content.content_md5 = Some(md5.to_vec());
    }
    let commit = CommitOptions {
        content: Some(&content),
        metadata: Some(&options.metadata),
        tier: options.tier.as_ref(),
        conditions: Some(&options.conditions),
    };
    let request = build_put_block_list_request(blob.url()?, &ids, &commit)?;
    let response = blob
        .pipeline()
        .execute(request)
        .await
        .map_err(|e| crate::client::refine_if_not_exists(e, &options.conditions))?;
    let written = parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("PutBlockList"))?;
    if let Some((_, path)) = &session.checkpoint {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not delete the upload checkpoint"),
        }
    }
    Ok(UploadReport {
        bytes: size,
        blocks: count,
        resumed_blocks: session.resumed,
        block_size: session.block_size,
        etag: written.etag,
        version_id: written.version_id,
        content_md5: md5,
        peak_buffer_bytes: gauge.peak(),
    })
}

/// The uncommitted blocks the service holds for this blob, by id.
async fn staged_blocks(blob: &BlobClient) -> Result<HashMap<String, u64>> {
    let request = build_get_uncommitted_blocks_request(blob.url()?);
    let response = match blob.pipeline().execute(request).await {
        Ok(response) => response,
        // No blob yet means no blocks yet.
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(HashMap::new()),
        Err(e) => return Err(e),
    };
    // 50,000 block ids of at most 64 characters fit well within a list page's cap.
    let body = crate::client::read_body(response, "GetBlockList", crate::client::MAX_LIST_PAGE_BYTES).await?;
    Ok(parse_uncommitted_blocks(&body)?.into_iter().map(|b| (b.id, b.size)).collect())
}

fn md5_hasher() -> md5::Md5 {
    md5::Md5::new()
}

async fn md5_blocking(data: Bytes) -> Result<[u8; 16]> {
    super::hash::md5_off_thread(data).await
}
