//! The block half of the upload engine: Put Block with the options'
//! concurrency in flight (fixed, or adaptive through `concurrency.rs`), the whole blob's MD5 fed in order, then Put Block List.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use http::StatusCode;

use super::block_read::BlockHashes;
use super::block_source::{check_unchanged, BlockLoad};
use super::buffer_pool::pool_capacity;
use super::checkpoint::{block_id, Checkpoint};
use super::concurrency::Limiter;
use super::gauge::BufferGauge;
use super::identity::SourceIdentity;
use super::options::UploadOptions;
use super::ordered_md5::OrderedMd5;
use super::progress::ProgressTracker;
use super::stats::TransferStats;
use super::target::BlobTarget;
use super::upload::UploadReport;
use crate::error::{Error, Result};
use crate::ops::block_blob::{build_put_block_list_request, build_put_block_request, CommitOptions};
use crate::ops::conditions::refine_if_not_exists;
use crate::ops::crc64::{crc64 as crc64_of, set_content_crc64};
use crate::ops::put_blob::parse_write_response;

/// An upload session: its id (the block id prefix) and what is known of its blocks.
#[derive(Debug)]
pub(crate) struct Session {
    pub(crate) id: String,
    pub(crate) block_size: u64,
    /// The number of blocks, when the size is known.
    pub(crate) count: Option<u64>,
    /// The size, when known before the blocks are read.
    pub(crate) size: Option<u64>,
    /// Blocks (and their bytes) a resumed upload found already staged.
    pub(crate) resumed: u64,
    pub(crate) resumed_bytes: u64,
    pub(crate) checkpoint: Option<(Checkpoint, PathBuf)>,
    /// The source file and its identity when the upload started, checked
    /// again before the commit.
    pub(crate) source: Option<(PathBuf, SourceIdentity)>,
}

/// What the blocks sent add up to.
struct Sent {
    /// Blocks staged by this run.
    blocks: u64,
    /// One past the highest index seen.
    highest: u64,
    /// Bytes of the blocks sent or read to be hashed.
    bytes: u64,
}

/// Stages every block of `loads` and commits them in order.
pub(crate) async fn upload_blocks(
    target: &BlobTarget,
    session: Session,
    loads: BoxStream<'static, BlockLoad>,
    options: &UploadOptions,
    gauge: &Arc<BufferGauge>,
) -> Result<UploadReport> {
    // The commit's settings are checked before the first block is sent:
    // tags, metadata or conditions the commit would refuse fail the upload
    // now, not after every block has crossed the network.
    build_put_block_list_request(target.url().clone(), &[], &CommitOptions::of(&options.blob))?;
    let tracker = ProgressTracker::new(options.progress.clone(), session.size);
    if session.resumed_bytes > 0 {
        tracker.advance(session.resumed_bytes);
    }
    let md5 = options.blob_md5.then(|| Arc::new(OrderedMd5::new()));
    let cap = pool_capacity(options, session.block_size);
    let limiter = Limiter::for_concurrency(options.concurrency, cap, target.tally());
    let sent =
        send_blocks(target, (&session.id, session.block_size), loads, md5.clone(), options, &tracker, (&limiter, cap))
            .await?;
    let digest = md5.as_deref().map(OrderedMd5::finish);
    let report = commit(target, &session, &sent, digest, options).await?;
    Ok(UploadReport {
        peak_buffer_bytes: gauge.peak(),
        peak_concurrency: limiter.peak(),
        concurrency_backoffs: limiter.halvings(),
        stats: TransferStats::from_tally(&target.tally()),
        ..report
    })
}

/// Stages blocks with up to `cap` in flight, each once `limiter` lets it.
///
/// Each block's future owns what it uses (cheap clones), so the whole
/// upload future is `Send` and can be spawned.
async fn send_blocks(
    target: &BlobTarget,
    (session_id, block_size): (&str, u64),
    loads: BoxStream<'static, BlockLoad>,
    whole_md5: Option<Arc<OrderedMd5>>,
    options: &UploadOptions,
    tracker: &ProgressTracker,
    (limiter, cap): (&Arc<Limiter>, usize),
) -> Result<Sent> {
    let hashes = BlockHashes { whole: whole_md5, transactional: options.blob.transactional_md5 };
    let crc64 = options.blob.transactional_crc64;
    let counters = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let target = target.clone();
    let (tracker, session_id, all, limiter) =
        (tracker.clone(), session_id.to_owned(), Arc::clone(&counters), Arc::clone(limiter));
    loads
        .map(move |load: BlockLoad| {
            let (target, tracker, session_id) = (target.clone(), tracker.clone(), session_id.clone());
            let (counters, hashes, limiter) = (Arc::clone(&all), hashes.clone(), Arc::clone(&limiter));
            async move {
                // Taken before a file's block is read, so only blocks about
                // to be sent hold its buffers, and released when its answer
                // is in. (A stream's blocks are read as the combinator pulls
                // them, up to `cap`: within the budget, not the level.) A
                // block read only for the MD5 sends nothing: counted as a
                // completion it would read as throughput to the controller.
                let _permit = if load.sends() { Some(limiter.acquire().await) } else { None };
                // Read and hashed in one pass: the whole blob's MD5 covers
                // the very bytes sent.
                let block = load.load(&hashes).await?;
                let len = block.data.len() as u64;
                counters[1].fetch_max(block.index + 1, Ordering::SeqCst);
                counters[2].fetch_add(len, Ordering::SeqCst);
                if !block.send {
                    return Ok(());
                }
                let id = block_id(&session_id, block.index);
                let mut request = build_put_block_request(
                    target.url().clone(),
                    &id,
                    block.data.clone(),
                    block.md5,
                    options.blob.conditions.lease_id.as_deref(),
                )?;
                if crc64 {
                    // Computed here, on the bytes sent: a few hundred
                    // microseconds for 8 MiB with the SIMD implementation.
                    set_content_crc64(&mut request, crc64_of(&block.data));
                }
                target.execute(request).await.map_err(|e| name_block(e, block.index, block_size, len))?;
                counters[0].fetch_add(1, Ordering::SeqCst);
                drop(block);
                tracker.advance(len);
                Ok::<_, Error>(())
            }
        })
        .buffer_unordered(cap)
        .try_collect::<()>()
        .await?;
    let [blocks, highest, bytes] = counters.as_ref().each_ref().map(|c| c.load(Ordering::SeqCst));
    Ok(Sent { blocks, highest, bytes })
}

/// A block the service found corrupted (its MD5 or CRC64 did not match)
/// is named with the bytes of the source it holds.
fn name_block(err: Error, index: u64, block_size: u64, len: u64) -> Error {
    if err.kind() != crate::error::ErrorKind::IntegrityMismatch {
        return err;
    }
    let start = index.saturating_mul(block_size);
    err.context(&format!("block {index} (bytes {start}-{})", start.saturating_add(len.saturating_sub(1))))
}

/// Commits the blocks in order with Put Block List, then deletes the checkpoint.
async fn commit(
    target: &BlobTarget,
    session: &Session,
    sent: &Sent,
    md5: Option<[u8; 16]>,
    options: &UploadOptions,
) -> Result<UploadReport> {
    let count = session.count.unwrap_or(sent.highest).max(sent.highest);
    debug_assert_eq!(sent.blocks + session.resumed, count);
    if let Some((path, identity)) = &session.source {
        // The last moment to refuse: after Put Block List the blob is public.
        check_unchanged(path, identity)?;
    }
    let ids: Vec<String> = (0..count).map(|i| block_id(&session.id, i)).collect();
    let blob = &options.blob;
    let mut content = blob.content.clone();
    if let Some(md5) = md5 {
        content.content_md5 = Some(md5.to_vec());
    }
    // The blob's write settings apply to the commit; its transactional MD5
    // went with each Put Block instead.
    let commit = CommitOptions { content: Some(&content), ..CommitOptions::of(blob) };
    let request = build_put_block_list_request(target.url().clone(), &ids, &commit)?;
    let response = target.execute(request).await.map_err(|e| refine_if_not_exists(e, &blob.conditions))?;
    let written = parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("PutBlockList"))?;
    if let Some((_, path)) = &session.checkpoint {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not delete the upload checkpoint"),
        }
    }
    Ok(UploadReport {
        bytes: session.size.unwrap_or(sent.bytes),
        blocks: count,
        resumed_blocks: session.resumed,
        block_size: session.block_size,
        etag: written.etag,
        version_id: written.version_id,
        content_md5: md5,
        peak_buffer_bytes: 0,
        peak_concurrency: 0,
        concurrency_backoffs: 0,
        stats: TransferStats::default(),
    })
}
