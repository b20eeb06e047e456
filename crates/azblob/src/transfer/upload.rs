//! The upload engine: one Put Blob when the source is small by the one
//! single-Put rule, otherwise parallel Put Block and a Put Block List, for
//! every kind of source.

use std::sync::Arc;

use http::StatusCode;

use super::block_source::{single_put_limit, BlockSource};
use super::gauge::BufferGauge;
use super::options::UploadOptions;
use super::ordered_md5::OrderedMd5;
use super::progress::ProgressTracker;
use super::source::UploadSource;
use super::stats::TransferStats;
use super::target::BlobTarget;
use super::upload_blocks::upload_blocks;
use super::upload_plan::{existing_checkpoint, plan_blocks};
use crate::error::Result;
use crate::ops::conditions::refine_if_not_exists;
use crate::ops::models::ETag;
use crate::ops::put_blob::{build_put_blob_request, parse_write_response};

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
    /// The most Put Block (or Put Blob) requests that were in flight at
    /// once; with adaptive concurrency, how high it went.
    pub peak_concurrency: usize,
    /// How many times adaptive concurrency was halved because an attempt
    /// was answered 429 or 503 or timed out (retried attempts included).
    pub concurrency_backoffs: u64,
    /// The requests sent, retries, throttled answers and time waiting on the service.
    pub stats: TransferStats,
}

/// Runs an upload from any source.
pub(crate) async fn run_upload(
    target: &BlobTarget,
    source: UploadSource,
    options: &UploadOptions,
) -> Result<UploadReport> {
    options.validate()?;
    // Every request of the upload (a resume's block list, the blocks, the
    // commit) is counted for its report.
    let target = &target.counting(target.own_tally());
    let gauge = Arc::new(BufferGauge::default());
    let source = BlockSource::open(source, options, &gauge).await?;
    // A checkpoint to resume from is checked first, whatever the size: one
    // that belongs to another blob or a changed file is refused.
    let existing = existing_checkpoint(target, &source, options)?;
    let limit = single_put_limit(options, source.in_memory());
    if existing.is_none() && source.size().is_some_and(|size| size <= limit) {
        return single_put(target, source, options, &gauge).await;
    }
    let (session, wanted) = plan_blocks(target, &source, options, existing).await?;
    let loads = source.loads(session.block_size, wanted, options, &gauge)?;
    upload_blocks(target, session, loads, options, &gauge).await
}

/// The whole source in one Put Blob with the upload's settings.
async fn single_put(
    target: &BlobTarget,
    source: BlockSource,
    options: &UploadOptions,
    gauge: &Arc<BufferGauge>,
) -> Result<UploadReport> {
    // The same ordered hash as a block upload's, with one block, fed as
    // the source is read.
    let whole = options.blob_md5.then(|| Arc::new(OrderedMd5::new()));
    let (data, _guards) = source.read_all(gauge, whole.as_ref()).await?;
    let size = data.len() as u64;
    let md5 = whole.map(|md5| md5.finish());
    // The blob's write settings go to Put Blob as they are, with only the
    // whole-blob MD5 added when it was asked for.
    let mut put = options.blob.clone();
    if let Some(md5) = md5 {
        put.content.content_md5 = Some(md5.to_vec());
    }
    let tracker = ProgressTracker::new(options.progress.clone(), Some(size));
    let request = build_put_blob_request(target.url().clone(), data, &put)?;
    let response = target.execute(request).await.map_err(|e| refine_if_not_exists(e, &put.conditions))?;
    let written = parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("PutBlob"))?;
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
        peak_concurrency: 1,
        concurrency_backoffs: 0,
        stats: TransferStats::from_tally(&target.tally()),
    })
}
