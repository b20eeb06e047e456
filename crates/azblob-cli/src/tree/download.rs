//! A blob prefix to a local directory: `cp -r az://c/p/ DIR` and `sync az://c/p/ DIR`.

use std::path::Path;
use std::sync::Arc;

use anyhow::{Context, Result};
use azblob::{
    mtime_from_metadata, Concurrency, DownloadFilesOptions, ErrorKind, FileJob, ListBlobsOptions, ListInclude, ListItem,
};
use futures_util::StreamExt;

use super::compare::{skip_reason, Side};
use super::filter::Filter;
use super::journal;
use super::local_path::local_path;
use super::merge::{merge, Paired};
use super::report::Report;
use super::stop::{self, Stopped};
use super::upload::{file_md5, list_sides};
use super::walk::{walk, Entry};
use super::{dir_prefix, Common, Mode, Overwrite, TreeArgs};
use crate::location::BlobLocation;

/// Downloads the blobs below `from`'s prefix into `dir`.
pub(super) async fn run(
    from: &BlobLocation,
    dir: &Path,
    tree: &TreeArgs,
    common: &Common,
    mode: Mode,
    filter: Filter,
    connection: &crate::Connection,
) -> Result<()> {
    let client = crate::client_for(from, connection)?;
    let container = client.container(&from.container);
    let prefix = dir_prefix(&from.blob);
    if !tree.dry_run {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let root = std::path::absolute(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    let url = container.url()?.to_string();
    let job_parts = ["download", mode.name(), &url, &prefix, &root.to_string_lossy()].map(str::to_owned);
    let job_ref: Vec<&str> = job_parts.iter().map(String::as_str).collect();
    let journal = super::open_journal(mode, &job_ref)?;
    let report = Arc::new(Report::new(common.json, tree.dry_run, common.progress));
    let shown_src = |name: &str| format!("az://{}/{name}", from.container);

    let options = ListBlobsOptions {
        prefix: (!prefix.is_empty()).then(|| prefix.clone()),
        include: ListInclude { metadata: true, ..ListInclude::default() },
        ..ListBlobsOptions::default()
    };
    let listing = container.list_blobs_opts(&options);
    let filter = Arc::new(filter);
    let decide = {
        let (report, journal, root, prefix, container_name) =
            (Arc::clone(&report), journal.clone(), root.clone(), prefix.clone(), from.container.clone());
        let (overwrite, filter) = (tree.overwrite, Arc::clone(&filter));
        move |item: azblob::Result<ListItem>| {
            let (report, journal, root, prefix, container_name) =
                (Arc::clone(&report), journal.clone(), root.clone(), prefix.clone(), container_name.clone());
            let rejected = match &item {
                Ok(ListItem::Blob(blob)) => blob
                    .name
                    .strip_prefix(&prefix)
                    .is_some_and(|rel| filter.rejects(rel, blob.content_length).is_some()),
                _ => false,
            };
            async move {
                let blob = match item? {
                    ListItem::Blob(blob) => blob,
                    ListItem::Prefix(_) => return anyhow::Ok(None),
                };
                let Some(rel) = blob.name.strip_prefix(&prefix).map(str::to_owned) else { return Ok(None) };
                if rejected {
                    return Ok(None);
                }
                let src = format!("az://{container_name}/{}", blob.name);
                // A zero-byte blob ending in `/` is a directory marker some tools write.
                if rel.ends_with('/') && blob.content_length == 0 {
                    report.skipped("download", &src, "", "a directory marker")?;
                    return Ok(None);
                }
                let path = match local_path(&root, &rel) {
                    Ok(path) => path,
                    Err(why) => {
                        report.refused("download", &src, &format!("refused: {why}; nothing written"))?;
                        return Ok(None);
                    }
                };
                let shown = path.display().to_string();
                let etag = blob.etag.as_ref().map(|e| e.0.clone()).unwrap_or_default();
                let key = journal::key(&blob.name, blob.content_length, &etag);
                if journal.as_ref().is_some_and(|j| j.is_done(key)) {
                    report.skipped("download", &src, &shown, "done by an earlier run of this job")?;
                    return Ok(None);
                }
                let mtime = mtime_from_metadata(&blob.metadata).or(blob.last_modified);
                if mode != Mode::Copy || overwrite != Overwrite::Always {
                    let existing = match std::fs::metadata(&path) {
                        Ok(meta) => {
                            let mut side = Side { size: meta.len(), mtime: meta.modified().ok(), md5: None };
                            if matches!(mode, Mode::Sync { checksum: true, .. }) && side.size == blob.content_length {
                                match file_md5(&path).await {
                                    Ok(md5) => side.md5 = Some(md5),
                                    // One unreadable local file is one failed
                                    // file, not a failed listing: the job goes on.
                                    Err(e) => {
                                        let why = format!("cannot compare with the local file: {e:#}");
                                        report.failed("download", &src, &shown, &why)?;
                                        return Ok(None);
                                    }
                                }
                            }
                            Some(side)
                        }
                        Err(_) => None,
                    };
                    let source = Side { size: blob.content_length, mtime, md5: blob.content.content_md5.clone() };
                    if let Some(reason) = skip_reason(mode, overwrite, &source, existing.as_ref()) {
                        report.skipped("download", &src, &shown, reason)?;
                        return Ok(None);
                    }
                }
                let job =
                    FileJob { path, name: blob.name, size: Some(blob.content_length), mtime, ..FileJob::default() };
                Ok(Some((job, key)))
            }
        }
    };
    let planned = listing.then(decide);
    if tree.dry_run {
        let mut planned = planned.boxed();
        while let Some(item) = planned.next().await {
            if let Some((job, _)) = item? {
                report.transferred(
                    "download",
                    &shown_src(&job.name),
                    &job.path.display().to_string(),
                    job.size.unwrap_or(0),
                )?;
            }
        }
    } else {
        let stopped = Stopped::default();
        // A listing that fails ends the job: what follows is unknown.
        let (jobs, keys) = stop::queue(planned, Arc::clone(&report), Arc::clone(&stopped));
        let mut options = DownloadFilesOptions {
            concurrency: common.concurrency.map_or(Concurrency::Adaptive, Concurrency::Fixed),
            max_bytes_per_second: tree.cap_bytes_per_second()?,
            memory_budget: super::JOB_DOWNLOAD_MEMORY_BUDGET,
            ..DownloadFilesOptions::default()
        };
        options.download.chunk_size = common.block_size;
        options.download.verify_md5 = common.md5;
        options.download.overwrite = tree.overwrite != Overwrite::Never;
        let mut results = container.download_files_opts(jobs, &options);
        while let Some((job, result)) = results.next().await {
            let key = stop::take_pending(&keys, &job.name);
            let (src, dst) = (shown_src(&job.name), job.path.display().to_string());
            match result {
                Ok(done) => {
                    report.backoffs(done.job_concurrency_backoffs);
                    if let Some(journal) = &journal {
                        journal.record(key)?;
                    }
                    report.transferred("download", &src, &dst, done.bytes)?;
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists && tree.overwrite == Overwrite::Never => {
                    report.skipped("download", &src, &dst, "exists (--overwrite never)")?;
                }
                Err(e) => {
                    // Two names that collide (`a` and `a/b`) both pass the
                    // check as they are listed; the one that lost the race
                    // is refused like a name found colliding beforehand.
                    let rel = job.name.strip_prefix(prefix.as_str()).unwrap_or(&job.name);
                    match local_path(&root, rel) {
                        Err(why) => report.refused("download", &src, &format!("refused: {why}; nothing written"))?,
                        Ok(_) => report.failed("download", &src, &dst, &e.to_string())?,
                    }
                }
            }
        }
        if let Some(e) = stop::take(&stopped) {
            return Err(e.context("listing the source failed"));
        }
    }
    if let Mode::Sync { delete: true, .. } = mode {
        delete_extra(&root, &container, &prefix, &filter, &report, tree.dry_run).await?;
    }
    let report = Arc::into_inner(report).expect("the job's streams are done");
    if let (Some(journal), false) = (journal.and_then(Arc::into_inner), tree.dry_run) {
        if !report.any_failed() {
            journal.finish()?;
        }
    }
    report.finish(true)
}

/// `sync --delete`: removes the local files the source did not have.
///
/// The source is listed once more and merged by name with a walk of the
/// destination (`merge.rs`), so neither side is held whole: the local files
/// no blob pairs with are the extras. They are gathered first and removed
/// only once the merge ended without error, since a blob the listing gives
/// out of name order (a hierarchical-namespace account) comes after its
/// file was taken for an extra: the merge gives it as `Paired::Late`,
/// which takes the file back out of the extras.
///
/// Nothing is deleted after a failure, and no file the filters exclude:
/// `--exclude` protects, as in rsync and rclone.
async fn delete_extra(
    root: &Path,
    container: &azblob::ContainerClient,
    prefix: &str,
    filter: &Filter,
    report: &Report,
    dry_run: bool,
) -> Result<()> {
    if report.any_failed() {
        crate::output::note("azblob: --delete: nothing deleted, since the transfer had failures");
        return Ok(());
    }
    let mut extras = std::collections::BTreeMap::new();
    let mut paired = merge(root, walk(root, false), list_sides(container, prefix));
    while let Some(item) = paired.next().await {
        let (rel, path, size) = match item {
            Err(e) => {
                report.failed("delete", "", "", &format!("{e:#}"))?;
                crate::output::note("azblob: --delete: nothing deleted, since the comparison failed");
                return Ok(());
            }
            Ok(Paired::Local(Entry::File { rel, path, size, .. }, None)) => (rel, path, size),
            Ok(Paired::Local(Entry::Symlink { rel }, None)) => (rel.clone(), root.join(&rel), 0),
            Ok(Paired::Late(rel)) => {
                extras.remove(&rel);
                continue;
            }
            Ok(_) => continue,
        };
        if rel.ends_with(".partial") || filter.rejects(&rel, size).is_some() {
            continue;
        }
        extras.insert(rel, path);
    }
    for path in extras.into_values() {
        if !dry_run {
            if let Err(e) = std::fs::remove_file(&path) {
                report.failed("delete", &path.display().to_string(), &path.display().to_string(), &e.to_string())?;
                continue;
            }
        }
        report.deleted(&path.display().to_string())?;
    }
    Ok(())
}
