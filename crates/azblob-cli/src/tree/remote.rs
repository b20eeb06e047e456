//! A blob prefix to another blob prefix, server-side: `cp -r az://a/p/ az://b/q/`
//! and `sync` between two prefixes. Each blob is one Copy Blob From URL (up
//! to 256 MiB, else Copy Blob, polled to its end); no byte passes through
//! this machine. The source's metadata, its stored mtime included, is copied.
//!
//! When a decision needs the destination (a sync, `--overwrite` other than
//! always), the source's listing and the destination's are merged by name
//! in one pass (`merge.rs`), holding one entry of each, never the whole
//! destination: only the extras `--delete` is to remove are gathered.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use azblob::{
    BlobClient, Conditions, ContainerClient, CopyOptions, CopySource, CopyStatus, ErrorKind, MAX_SYNC_COPY_BYTES,
};
use futures_util::StreamExt;

use super::compare::{skip_reason, Side};
use super::filter::Filter;
use super::merge::{merge_sides, LeftOrder, Paired};
use super::report::Report;
use super::upload::{delete_names, list_sides};
use super::{dir_prefix, Common, Mode, Overwrite, TreeArgs};
use crate::location::BlobLocation;

/// How long one asynchronous copy may run before the job gives up waiting.
const COPY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(24 * 3600);

/// A copy's outcome: source and destination as shown, bytes, result.
type Done = (String, String, u64, Result<Option<&'static str>>);

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
    let source_client = crate::client_for(from, connection)?;
    // Two `az://` locations are the configured account's: one client serves
    // both (one connection pool, and one recording: `--record` saves each
    // client's exchanges to the command's one cassette, the last overwriting).
    let target_client = if from.endpoint.is_none() && to.endpoint.is_none() {
        source_client.clone()
    } else {
        crate::client_for(to, connection)?
    };
    let source = source_client.container(&from.container);
    let target = target_client.container(&to.container);
    let (src_prefix, dst_prefix) = (dir_prefix(&from.blob), dir_prefix(&to.blob));
    // Overlapping prefixes of one container would copy onto the source, or
    // list the copies as they are made.
    if source.url()? == target.url()? && (src_prefix.starts_with(&dst_prefix) || dst_prefix.starts_with(&src_prefix)) {
        bail!("the source and destination prefixes overlap in az://{}; nothing copied", to.container);
    }
    let compare = mode != Mode::Copy || tree.overwrite != Overwrite::Always;
    let delete = matches!(mode, Mode::Sync { delete: true, .. });
    let destination = if compare { list_sides(&target, &dst_prefix) } else { futures_util::stream::empty().boxed() };
    let listing = list_sides(&source, &src_prefix).map(|item| item.context("listing the source failed")).boxed();
    // A blob the destination's listing gives late is kept whatever its
    // name: whether the source has it is not known without holding the
    // source's names, and in doubt nothing is deleted.
    let mut paired = merge_sides(listing, destination, LeftOrder::MayBreak, Box::new(|_| true));
    let report = Report::new(common.json, tree.dry_run, common.progress);
    let job = Job { from, to, tree, mode, compare, source: &source, target: &target, src_prefix, dst_prefix };
    // With `--delete`, the blobs only the destination has that `--delete`
    // removes (not those the filters exclude: `--exclude` protects), by
    // name below the prefix. These are what is held, not the whole
    // destination; a source blob given late takes its name back out.
    let mut extras: BTreeMap<String, Side> = BTreeMap::new();
    let mut stopped = None;
    let in_flight = common.concurrency.unwrap_or(16).max(1);
    let mut running = futures_util::stream::FuturesUnordered::new();
    loop {
        let item = tokio::select! {
            item = paired.next(), if running.len() < in_flight => item,
            Some(done) = running.next(), if !running.is_empty() => {
                if let Err(e) = finished(&report, done) {
                    stopped = Some(e);
                    break;
                }
                continue;
            }
        };
        let Some(item) = item else { break };
        let step = match item {
            Ok(Paired::RemoteOnly(rel, side)) => {
                if delete && filter.rejects(&rel, side.size).is_none() {
                    extras.insert(rel, side);
                }
                Ok(None)
            }
            // Given late by the destination's listing, at or before the last
            // source name taken in order: the source may have it (filtered
            // or not), so `--delete` must not remove it.
            Ok(Paired::Late(rel)) => {
                extras.remove(&rel);
                Ok(None)
            }
            // Its blob, if any, was given before as the destination's alone:
            // it comes back out of the extras, and when it is not there (no
            // `--delete`, a blob the filters exclude, or none) it is asked for.
            Ok(Paired::Unsure((rel, side))) => {
                let existing = extras.remove(&rel).map(Some);
                job.decide(&report, &filter, rel, side, existing).await
            }
            // The source has it, filtered or not: paired with its
            // destination blob, which is therefore never an extra.
            Ok(Paired::Local((rel, side), existing)) => job.decide(&report, &filter, rel, side, Some(existing)).await,
            Err(e) => Err(e),
        };
        match step {
            Ok(Some(copy)) => running.push(copy),
            Ok(None) => {}
            Err(e) => {
                stopped = Some(e);
                break;
            }
        }
    }
    // A job that stopped (a listing failed, names out of order in a way
    // that cannot be compared, standard output closed) has not seen every
    // name, so `--delete` deletes nothing; its copies under way end first.
    if stopped.is_some() {
        report.stopped();
    }
    while let Some(done) = running.next().await {
        if let Err(e) = finished(&report, done) {
            report.stopped();
            stopped.get_or_insert(e);
        }
    }
    if let Some(e) = stopped {
        return Err(e);
    }
    if delete {
        let names = extras.into_keys().map(|rel| format!("{}{rel}", job.dst_prefix)).collect();
        delete_names(&target, names, &report, tree.dry_run, &to.container).await?;
    }
    report.finish(false)
}

/// What one job copies from where to where.
struct Job<'a> {
    from: &'a BlobLocation,
    to: &'a BlobLocation,
    tree: &'a TreeArgs,
    mode: Mode,
    compare: bool,
    source: &'a ContainerClient,
    target: &'a ContainerClient,
    src_prefix: String,
    dst_prefix: String,
}

impl Job<'_> {
    /// Decides on the source blob `rel` (below the prefix): the copy to run,
    /// if any. `existing` is its destination as listed, `None` when that is
    /// not known (the source's listing gave it out of order), and is then
    /// asked of the destination.
    async fn decide(
        &self,
        report: &Report,
        filter: &Filter,
        rel: String,
        side: Side,
        existing: Option<Option<Side>>,
    ) -> Result<Option<futures_util::future::BoxFuture<'static, Done>>> {
        if filter.rejects(&rel, side.size).is_some() {
            return Ok(None);
        }
        let name = format!("{}{rel}", self.src_prefix);
        let (src, dst) = (
            format!("az://{}/{name}", self.from.container),
            format!("az://{}/{}{rel}", self.to.container, self.dst_prefix),
        );
        let to_blob = self.target.blob(format!("{}{rel}", self.dst_prefix));
        // The destination's version the copy may replace: `Some(None)` when
        // there is none, `None` when no comparison is made.
        let mut replaces = None;
        if self.compare {
            let existing = match existing {
                Some(existing) => existing.map(|side| (side, None)),
                None => match to_blob.properties().await {
                    Ok(props) => Some((Side::of_blob(&props), Some(props.etag))),
                    Err(e) if e.kind() == ErrorKind::NotFound => None,
                    Err(e) => {
                        report.failed("copy", &src, &dst, &format!("cannot compare with the destination: {e}"))?;
                        return Ok(None);
                    }
                },
            };
            if let Some(reason) = skip_reason(self.mode, self.tree.overwrite, &side, existing.as_ref().map(|e| &e.0)) {
                report.skipped("copy", &src, &dst, reason)?;
                return Ok(None);
            }
            replaces = Some(existing.map(|(_, etag)| etag));
        }
        if self.tree.dry_run {
            report.transferred("copy", &src, &dst, side.size)?;
            return Ok(None);
        }
        let from_blob = self.source.blob(&name);
        let copy_source = match &self.from.sas {
            Some(sas) => {
                let mut url = from_blob.url()?;
                url.set_query(Some(sas.expose()));
                CopySource::Url(url)
            }
            None => CopySource::blob(&from_blob),
        };
        let mut options = CopyOptions::default();
        let mut appeared = None;
        match (self.tree.overwrite, replaces) {
            // A blob that appears after the listing is not replaced either.
            (Overwrite::Never, _) => options.conditions = Conditions::if_not_exists(),
            // None was listed (or found): one that turns up after all, listed
            // late as a hierarchical-namespace account lists, or written
            // meanwhile, refuses the copy and is compared then, as `appeared.rs`
            // does for uploads.
            (_, Some(None)) => {
                options.conditions = Conditions::if_not_exists();
                appeared = Some((self.mode, self.tree.overwrite, side.clone()));
            }
            // The version compared, when it was asked for by name.
            (_, Some(Some(Some(etag)))) => options.conditions = Conditions::if_match(etag),
            _ => {}
        }
        let size = side.size;
        Ok(Some(Box::pin(async move {
            let result = async {
                match (copy(&to_blob, &copy_source, &options, size).await, appeared) {
                    (Err(e), Some((mode, overwrite, side))) if refused_as_existing(&e) => {
                        let props = to_blob.properties().await.context("cannot compare with the destination")?;
                        if let Some(reason) = skip_reason(mode, overwrite, &side, Some(&Side::of_blob(&props))) {
                            return Ok(Some(reason));
                        }
                        let options = CopyOptions { conditions: Conditions::if_match(props.etag), ..options };
                        copy(&to_blob, &copy_source, &options, size).await.map(|()| None)
                    }
                    (other, _) => other.map(|()| None),
                }
            }
            .await;
            (src, dst, size, result)
        })))
    }
}

/// Copies `source`, of `size` bytes, to `to_blob`: Copy Blob From URL up to
/// 256 MiB, else Copy Blob polled to its end.
async fn copy(to_blob: &BlobClient, source: &CopySource, options: &CopyOptions, size: u64) -> Result<()> {
    if size <= MAX_SYNC_COPY_BYTES {
        to_blob.copy_from_url_opts(source, options).await?;
    } else {
        let mut copy = to_blob.start_copy_opts(source, options).await?;
        let state = copy.wait(COPY_TIMEOUT).await?;
        if state.status != CopyStatus::Success {
            bail!("the copy ended {}: {}", state.status, state.status_description.unwrap_or_default());
        }
    }
    Ok(())
}

/// Whether a copy with `If-None-Match: *` was refused because the
/// destination exists (the library reads a 409 and a 412 alike as `AlreadyExists`).
fn refused_as_existing(e: &anyhow::Error) -> bool {
    e.downcast_ref::<azblob::Error>().is_some_and(|e| e.kind() == ErrorKind::AlreadyExists)
}

/// Reports a copy that ended.
fn finished(report: &Report, (src, dst, bytes, result): Done) -> Result<()> {
    match result {
        Ok(None) => report.transferred("copy", &src, &dst, bytes),
        Ok(Some(reason)) => report.skipped("copy", &src, &dst, reason),
        Err(e) if refused_as_existing(&e) => report.skipped("copy", &src, &dst, "exists (--overwrite never)"),
        Err(e) => report.failed("copy", &src, &dst, &format!("{e:#}")),
    }
}
