//! A blob prefix to another blob prefix, server-side: `cp -r az://a/p/ az://b/q/`
//! and `sync` between two prefixes. Each blob is one Copy Blob From URL (up
//! to 256 MiB, else Copy Blob, polled to its end); no byte passes through
//! this machine. The source's metadata, its stored mtime included, is copied.

use std::sync::{Arc, Mutex};

use anyhow::{bail, Result};
use azblob::{
    mtime_from_metadata, CopySource, CopyStatus, ListBlobsOptions, ListInclude, ListItem, MAX_SYNC_COPY_BYTES,
};
use futures_util::StreamExt;

use super::compare::{skip_reason, Side};
use super::filter::Filter;
use super::report::Report;
use super::upload::{delete_extra, list_index};
use super::{dir_prefix, Common, Mode, TreeArgs};
use crate::location::BlobLocation;

/// How long one asynchronous copy may run before the job gives up waiting.
const COPY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// Copies the blobs below `from`'s prefix to below `to`'s.
pub(super) async fn run(
    from: &BlobLocation,
    to: &BlobLocation,
    tree: &TreeArgs,
    common: &Common,
    mode: Mode,
    filter: Filter,
    connection: &crate::Connection,
) -> Result<()> {
    let source = crate::client_for(from, connection)?.container(&from.container);
    let target = crate::client_for(to, connection)?.container(&to.container);
    let (src_prefix, dst_prefix) = (dir_prefix(&from.blob), dir_prefix(&to.blob));
    // Overlapping prefixes of one container would copy onto the source, or
    // list the copies as they are made.
    if source.url()? == target.url()? && (src_prefix.starts_with(&dst_prefix) || dst_prefix.starts_with(&src_prefix)) {
        bail!("the source and destination prefixes overlap in az://{}; nothing copied", to.container);
    }
    let index = if mode != Mode::Copy || tree.overwrite != super::Overwrite::Always {
        Some(Arc::new(Mutex::new(list_index(&target, &dst_prefix).await?)))
    } else {
        None
    };
    let report = Report::new(common.json, tree.dry_run, common.progress);
    let options = ListBlobsOptions {
        prefix: (!src_prefix.is_empty()).then(|| src_prefix.clone()),
        include: ListInclude { metadata: true, ..ListInclude::default() },
        ..ListBlobsOptions::default()
    };
    let mut listing = source.list_blobs_opts(&options);
    let in_flight = common.concurrency.unwrap_or(16).max(1);
    let mut running = futures_util::stream::FuturesUnordered::new();
    loop {
        let item = tokio::select! {
            item = listing.next(), if running.len() < in_flight => item,
            Some(done) = running.next(), if !running.is_empty() => {
                let (src, dst, bytes, result): (String, String, u64, Result<()>) = done;
                match result {
                    Ok(()) => report.transferred("copy", &src, &dst, bytes)?,
                    Err(e) => report.failed("copy", &src, &dst, &format!("{e:#}"))?,
                }
                continue;
            }
        };
        let Some(item) = item else { break };
        let ListItem::Blob(blob) = item? else { continue };
        let Some(rel) = blob.name.strip_prefix(&src_prefix).map(str::to_owned) else { continue };
        // The source has it, filtered or not, so `--delete` must not remove it.
        if let Some(index) = &index {
            if let Some((_, seen)) = index.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&rel) {
                *seen = true;
            }
        }
        if filter.rejects(&rel, blob.content_length).is_some() {
            continue;
        }
        let (src, dst) =
            (format!("az://{}/{}", from.container, blob.name), format!("az://{}/{dst_prefix}{rel}", to.container));
        let mtime = mtime_from_metadata(&blob.metadata).or(blob.last_modified);
        if let Some(index) = &index {
            let existing = index.lock().unwrap_or_else(|p| p.into_inner()).get_mut(&rel).map(|(side, seen)| {
                *seen = true;
                side.clone()
            });
            let side = Side { size: blob.content_length, mtime, md5: blob.content.content_md5.clone() };
            if let Some(reason) = skip_reason(mode, tree.overwrite, &side, existing.as_ref()) {
                report.skipped("copy", &src, &dst, reason)?;
                continue;
            }
        }
        if tree.dry_run {
            report.transferred("copy", &src, &dst, blob.content_length)?;
            continue;
        }
        let from_blob = source.blob(&blob.name);
        let copy_source = match &from.sas {
            Some(sas) => {
                let mut url = from_blob.url()?;
                url.set_query(Some(sas.expose()));
                CopySource::Url(url)
            }
            None => CopySource::blob(&from_blob),
        };
        let to_blob = target.blob(format!("{dst_prefix}{rel}"));
        let size = blob.content_length;
        running.push(async move {
            let result = async {
                if size <= MAX_SYNC_COPY_BYTES {
                    to_blob.copy_from_url(&copy_source).await?;
                } else {
                    let mut copy = to_blob.start_copy(&copy_source).await?;
                    let state = copy.wait(COPY_TIMEOUT).await?;
                    if state.status != CopyStatus::Success {
                        bail!("the copy ended {}: {}", state.status, state.status_description.unwrap_or_default());
                    }
                }
                Ok(())
            }
            .await;
            (src, dst, size, result)
        });
    }
    while let Some((src, dst, bytes, result)) = running.next().await {
        match result {
            Ok(()) => report.transferred("copy", &src, &dst, bytes)?,
            Err(e) => report.failed("copy", &src, &dst, &format!("{e:#}"))?,
        }
    }
    if let (Mode::Sync { delete: true, .. }, Some(index)) = (mode, &index) {
        delete_extra(&target, &dst_prefix, index, &filter, &report, tree.dry_run, &to.container).await?;
    }
    report.finish(false)
}
