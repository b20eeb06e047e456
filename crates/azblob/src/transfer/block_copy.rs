//! The block copy engine: a copy of any size as parallel Put Block From URL
//! calls (no byte passes through the client) and one Put Block List, with
//! the upload engine's limiter and a checkpoint that lets a killed copy
//! resume with only the blocks the service does not hold.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use futures_util::future::BoxFuture;
use futures_util::stream::{self, StreamExt, TryStreamExt};
use http::StatusCode;
use url::Url;

use super::checkpoint::block_id;
use super::concurrency::Limiter;
use super::copy_checkpoint::CopyCheckpoint;
use super::copy_options::{BlockCopyOptions, MAX_COPY_IN_FLIGHT};
use super::options::plan_block_size;
use super::progress::ProgressTracker;
use super::stats::TransferStats;
use super::target::BlobTarget;
use super::upload::UploadReport;
use super::upload_plan::staged_blocks;
use crate::error::{Error, Result};
use crate::ops::block_blob::{build_put_block_list_request, CommitOptions, MAX_BLOCKS};
use crate::ops::conditions::refine_if_not_exists;
use crate::ops::models::{BlobRange, ETag};
use crate::ops::put_blob::parse_write_response;
use crate::ops::put_block_from_url::{build_put_block_from_url_request, refine_source_changed, PutBlockFromUrlOptions};

/// Gives the source's URL with its authorization and, for a token source,
/// the bearer token; asked again for every block, so a token refreshes and
/// a generated SAS is fresh however long the copy runs.
pub(crate) type SourceAuth = Arc<dyn Fn() -> BoxFuture<'static, Result<(Url, Option<String>)>> + Send + Sync>;

/// What the copy reads: its identity (URL without credentials), ETag and size.
#[derive(Debug, Clone)]
pub(crate) struct CopySourceInfo {
    pub(crate) id: String,
    pub(crate) etag: ETag,
    pub(crate) size: u64,
}

/// Copies the source into the target in blocks and commits them.
///
/// `options.blob` is applied to the commit as given: the client fills its
/// empty content headers and metadata from the source first.
pub(crate) async fn run_block_copy(
    target: &BlobTarget,
    source: &CopySourceInfo,
    auth: SourceAuth,
    options: &BlockCopyOptions,
) -> Result<UploadReport> {
    options.validate()?;
    // Every request of the copy is counted for its report.
    let target = &target.counting(target.own_tally());
    if source.etag.0.is_empty() {
        return Err(Error::invalid_response("the copy source has no ETag to pin it with"));
    }
    let blob = target.url().to_string();
    let existing = match (&options.checkpoint, options.resume) {
        (Some(path), true) => CopyCheckpoint::load(path)?,
        _ => None,
    };
    let (session_id, block_size, resuming) = match existing {
        Some(existing) => {
            let path = options.checkpoint.as_deref().unwrap_or(std::path::Path::new(""));
            existing.check_matches(&blob, &source.id, &source.etag.0, source.size, path)?;
            (existing.session_id, existing.block_size, true)
        }
        None => (target.new_session_id(), plan_block_size(source.size, options.block_size)?, false),
    };
    let count = source.size.div_ceil(block_size);
    if count > MAX_BLOCKS {
        return Err(Error::invalid_input(format!(
            "{count} blocks of {block_size} bytes exceed the limit of {MAX_BLOCKS}"
        )));
    }
    if let (Some(path), false) = (&options.checkpoint, resuming) {
        // Saved before the first block is staged, so even a killed process can resume.
        let fresh = CopyCheckpoint::new(
            blob.clone(),
            source.id.clone(),
            (source.etag.0.clone(), source.size),
            block_size,
            session_id.clone(),
        );
        fresh.save(path)?;
    }
    // The commit's settings are checked before any block is staged.
    build_put_block_list_request(target.url().clone(), &[], &CommitOptions::of(&options.blob))?;
    let block_len = |index: u64| (source.size - index * block_size).min(block_size);
    let present = if resuming { staged_blocks(target).await? } else { Default::default() };
    let wanted: Vec<u64> =
        (0..count).filter(|&i| present.get(&block_id(&session_id, i)) != Some(&block_len(i))).collect();
    let resumed = count - wanted.len() as u64;

    let tracker = ProgressTracker::new(options.progress.clone(), Some(source.size));
    let resumed_bytes: u64 = (0..count).map(block_len).sum::<u64>() - wanted.iter().map(|&i| block_len(i)).sum::<u64>();
    if resumed_bytes > 0 {
        tracker.advance(resumed_bytes);
    }
    let cap = usize::try_from(count).unwrap_or(usize::MAX).clamp(1, MAX_COPY_IN_FLIGHT);
    let limiter = Limiter::for_concurrency(options.concurrency, cap, target.tally());
    let sender = target.clone();
    let staged = Arc::new(AtomicU64::new(0));
    stream::iter(wanted)
        .map(|index| {
            let (target, auth, limiter, tracker) =
                (sender.clone(), Arc::clone(&auth), Arc::clone(&limiter), tracker.clone());
            let (id, len, staged) = (block_id(&session_id, index), block_len(index), Arc::clone(&staged));
            let block = PutBlockFromUrlOptions {
                source_range: Some(BlobRange::new(index * block_size, len)),
                source_if_match: Some(source.etag.clone()),
                source_content_crc64: None,
            };
            async move {
                let _permit = limiter.acquire().await;
                let (url, bearer) = auth().await?;
                let request =
                    build_put_block_from_url_request(target.url().clone(), &id, &url, bearer.as_deref(), &block)?;
                target.execute(request).await.map_err(refine_source_changed)?;
                staged.fetch_add(1, Ordering::SeqCst);
                tracker.advance(len);
                Ok::<_, Error>(())
            }
        })
        .buffer_unordered(cap)
        .try_collect::<()>()
        .await?;

    let ids: Vec<String> = (0..count).map(|i| block_id(&session_id, i)).collect();
    let put = &options.blob;
    let commit = CommitOptions::of(put);
    let request = build_put_block_list_request(target.url().clone(), &ids, &commit)?;
    let response = target.execute(request).await.map_err(|e| refine_if_not_exists(e, &put.conditions))?;
    let written = parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("PutBlockList"))?;
    if let Some(path) = &options.checkpoint {
        match std::fs::remove_file(path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(path = %path.display(), error = %e, "could not delete the copy checkpoint"),
        }
    }
    debug_assert_eq!(staged.load(Ordering::SeqCst) + resumed, count);
    Ok(UploadReport {
        bytes: source.size,
        blocks: count,
        resumed_blocks: resumed,
        block_size,
        etag: written.etag,
        version_id: written.version_id,
        content_md5: put.content.content_md5.as_deref().and_then(|m| m.try_into().ok()),
        peak_buffer_bytes: 0,
        peak_concurrency: limiter.peak(),
        concurrency_backoffs: limiter.halvings(),
        stats: TransferStats::from_tally(&target.tally()),
    })
}
