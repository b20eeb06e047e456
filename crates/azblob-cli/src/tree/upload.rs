//! A local directory to a blob prefix: `cp -r DIR az://c/p/` and `sync DIR az://c/p/`.

use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result};
use azblob::{
    mtime_from_metadata, Concurrency, Conditions, ContainerClient, ErrorKind, FileJob, ListBlobsOptions, ListInclude,
    ListItem, UploadFilesOptions,
};
use futures_util::stream::BoxStream;
use futures_util::{StreamExt, TryStreamExt};

use super::appeared::{self, Appeared};
use super::compare::{skip_reason, Side};
use super::filter::Filter;
use super::journal;
use super::merge::{merge, Paired};
use super::report::Report;
use super::stop::{self, Stopped};
use super::walk::{walk, Entry};
use super::{dir_prefix, mtime_text, Common, Mode, Overwrite, TreeArgs};
use crate::location::BlobLocation;

/// Uploads the files of `dir` below `to`'s prefix.
pub(super) async fn run(
    dir: &Path,
    to: &BlobLocation,
    tree: &TreeArgs,
    common: &Common,
    mode: Mode,
    filter: Filter,
    connection: &crate::Connection,
) -> Result<()> {
    let client = crate::client_for(to, connection)?;
    let container = client.container(&to.container);
    let prefix = dir_prefix(&to.blob);
    let root = std::path::absolute(dir).with_context(|| format!("cannot resolve {}", dir.display()))?;
    let url = container.url()?.to_string();
    let job_parts = ["upload", mode.name(), &root.to_string_lossy(), &url, &prefix].map(str::to_owned);
    let job_ref: Vec<&str> = job_parts.iter().map(String::as_str).collect();
    let journal = super::open_journal(mode, &job_ref)?;
    // The destination is listed when a decision needs it: a sync, or an
    // --overwrite other than always. It is merged with the walk by name
    // (`merge.rs`), never held whole.
    let compare = mode != Mode::Copy || tree.overwrite != Overwrite::Always;
    let listing = if compare { list_sides(&container, &prefix) } else { futures_util::stream::empty().boxed() };
    // What `--delete` is to remove: only the blobs the source lacks.
    let extras: Arc<Mutex<Vec<String>>> = Arc::default();
    let report = Arc::new(Report::new(common.json, tree.dry_run, common.progress));
    let shown_dst = |rel: &str| format!("az://{}/{prefix}{rel}", to.container);

    let filter = Arc::new(filter);
    let decide = {
        let (report, journal, extras) = (Arc::clone(&report), journal.clone(), Arc::clone(&extras));
        let (prefix, tree, container_name) = (prefix.clone(), tree.clone(), to.container.clone());
        let (job_parts, filter) = (job_parts.clone(), Arc::clone(&filter));
        move |paired: Result<Paired>| {
            let (report, journal) = (Arc::clone(&report), journal.clone());
            let (prefix, container_name, job_parts) = (prefix.clone(), container_name.clone(), job_parts.clone());
            let overwrite = tree.overwrite;
            // A blob the source lacks is an extra, unless the filters
            // exclude it: `--exclude` protects, as in rsync and rclone.
            // Whatever happens to a local entry (filtered, done by an
            // earlier run, a symbolic link), it exists here, so its blob
            // is no extra.
            let paired = match paired {
                Ok(Paired::RemoteOnly(rel, side)) => {
                    if matches!(mode, Mode::Sync { delete: true, .. }) && filter.rejects(&rel, side.size).is_none() {
                        extras.lock().unwrap_or_else(|p| p.into_inner()).push(format!("{prefix}{rel}"));
                    }
                    None
                }
                // Its file was decided on already, as one without a blob.
                Ok(Paired::Late(_)) => None,
                other => Some(other),
            };
            let filtered = match &paired {
                Some(Ok(Paired::Local(Entry::File { rel, size, .. }, _))) => filter.rejects(rel, *size).is_some(),
                Some(Ok(Paired::Local(Entry::Symlink { rel }, _))) => filter.rejects(rel, 0).is_some(),
                _ => false,
            };
            async move {
                let Some(paired) = paired else { return Ok(None) };
                let (entry, existing) = match paired? {
                    Paired::Local(entry, existing) => (entry, existing),
                    // `Unsure` comes only from a source listing (`LeftOrder::MayBreak`).
                    Paired::RemoteOnly(..) | Paired::Late(_) | Paired::Unsure(_) => return Ok(None),
                };
                if filtered {
                    return Ok(None);
                }
                let dst = |rel: &str| format!("az://{container_name}/{prefix}{rel}");
                let (rel, path, size, mtime) = match entry {
                    Entry::File { rel, path, size, mtime } => (rel, path, size, mtime),
                    Entry::Symlink { rel } => {
                        report.skipped("upload", &rel, &dst(&rel), "symbolic link (--follow-symlinks follows it)")?;
                        return Ok(None);
                    }
                    Entry::Problem { shown, error } => {
                        report.failed("upload", &shown, "", &error)?;
                        return Ok(None);
                    }
                };
                if let Some(why) = refused_name(&rel) {
                    report.refused("upload", &rel, why)?;
                    return Ok(None);
                }
                let key = journal::key(&rel, size, &mtime_text(mtime));
                if journal.as_ref().is_some_and(|j| j.is_done(key)) {
                    report.skipped("upload", &rel, &dst(&rel), "done by an earlier run of this job")?;
                    return Ok(None);
                }
                if compare {
                    let mut src = Side { size, mtime, md5: None };
                    if matches!(mode, Mode::Sync { checksum: true, .. })
                        && existing.as_ref().is_some_and(|d| d.size == size)
                    {
                        match file_md5(&path).await {
                            Ok(md5) => src.md5 = Some(md5),
                            // One unreadable file is one failed file; the job goes on.
                            Err(e) => {
                                report.failed("upload", &rel, &dst(&rel), &format!("{e:#}"))?;
                                return Ok(None);
                            }
                        }
                    }
                    if let Some(reason) = skip_reason(mode, overwrite, &src, existing.as_ref()) {
                        report.skipped("upload", &rel, &dst(&rel), reason)?;
                        return Ok(None);
                    }
                }
                let checkpoint = {
                    let parts: Vec<&str> = job_parts.iter().map(String::as_str).collect();
                    journal::checkpoint_path(&parts, &rel)
                };
                let conditions = appeared::conditions(mode, overwrite, existing.is_some());
                let job = FileJob { path, name: String::new(), size: Some(size), mtime, checkpoint, conditions };
                anyhow::Ok(Some((rel, job, key)))
            }
        }
    };

    let planned = merge(&root, walk(&root, tree.follow_symlinks), listing).then(decide);
    let stopped = Stopped::default();
    if tree.dry_run {
        let mut planned = planned.boxed();
        while let Some(item) = planned.next().await {
            if let Some((rel, job, _)) = item? {
                report.transferred("upload", &rel, &shown_dst(&rel), job.size.unwrap_or(0))?;
            }
        }
    } else {
        let name_prefix = prefix.clone();
        let named = planned.map_ok(move |item| {
            item.map(|(rel, mut job, key)| {
                job.name = format!("{name_prefix}{rel}");
                (job, (rel, key))
            })
        });
        let (jobs, keys) = stop::queue(named, Arc::clone(&report), Arc::clone(&stopped));
        let mut options = UploadFilesOptions {
            concurrency: common.concurrency.map_or(Concurrency::Adaptive, Concurrency::Fixed),
            max_bytes_per_second: tree.cap_bytes_per_second()?,
            memory_budget: super::JOB_MEMORY_BUDGET,
            ..UploadFilesOptions::default()
        };
        options.upload.block_size = common.block_size;
        options.upload.resume = true;
        options.upload.blob.transactional_md5 = common.md5;
        options.upload.blob_md5 = common.md5 || matches!(mode, Mode::Sync { checksum: true, .. });
        if tree.overwrite == Overwrite::Never {
            // A blob that appears after the listing is not replaced either.
            options.upload.blob.conditions = Conditions::if_not_exists();
        }
        let mut results = container.upload_files_opts(jobs, &options);
        let mut appeared = Vec::new();
        while let Some((job, result)) = results.next().await {
            let (rel, key): (String, u64) = stop::take_pending(&keys, &job.name);
            match result {
                Ok(done) => {
                    report.backoffs(done.job_concurrency_backoffs);
                    if let Some(journal) = &journal {
                        journal.record(key)?;
                    }
                    report.transferred_resuming("upload", &rel, &shown_dst(&rel), done.bytes, done.resumed_blocks)?;
                }
                Err(e) if e.kind() == ErrorKind::AlreadyExists && tree.overwrite == Overwrite::Never => {
                    report.skipped("upload", &rel, &shown_dst(&rel), "exists (--overwrite never)")?;
                }
                Err(e) if appeared::refused_as_existing(&job, e.kind()) => appeared.push(Appeared { rel, key, job }),
                Err(e) => report.failed("upload", &rel, &shown_dst(&rel), &e.to_string())?,
            }
        }
        drop(results);
        if let Some(e) = stop::take(&stopped) {
            return Err(e);
        }
        let context = appeared::Context {
            container: &container,
            mode,
            overwrite: tree.overwrite,
            options: &options,
            report: &report,
            journal: journal.as_ref(),
            shown: &shown_dst,
        };
        appeared::settle(&context, appeared).await?;
    }
    if let Mode::Sync { delete: true, .. } = mode {
        let extras = std::mem::take(&mut *extras.lock().unwrap_or_else(|p| p.into_inner()));
        delete_names(&container, extras, &report, tree.dry_run, &to.container).await?;
    }
    let report = Arc::into_inner(report).expect("the job's streams are done");
    let clean = !report.any_failed();
    if let (Some(journal), false) = (journal.and_then(Arc::into_inner), tree.dry_run) {
        if clean {
            journal.finish()?;
        }
    }
    report.finish(true)
}

/// Why a local name cannot be uploaded under its own name, if it cannot:
/// Azure trims the dots that end a path segment, so `x.` would be stored
/// as `x` (and `sync --delete` would then delete `x` as an extra).
fn refused_name(rel: &str) -> Option<&'static str> {
    rel.split('/').any(|segment| segment.ends_with('.')).then_some(
        "refused: a path segment ends in '.', which Azure trims, so the blob would get another name; nothing sent",
    )
}

/// The blobs below `prefix`, by relative name in the listing's order, with
/// their size, stored modification time (else last-modified) and MD5.
pub(super) fn list_sides(container: &ContainerClient, prefix: &str) -> BoxStream<'static, Result<(String, Side)>> {
    let options = ListBlobsOptions {
        prefix: (!prefix.is_empty()).then(|| prefix.to_owned()),
        include: ListInclude { metadata: true, ..ListInclude::default() },
        ..ListBlobsOptions::default()
    };
    let prefix = prefix.to_owned();
    container
        .list_blobs_opts(&options)
        .filter_map(move |item| {
            let found = match item {
                Ok(ListItem::Blob(blob)) => blob.name.strip_prefix(&prefix).map(|rel| {
                    let side = Side {
                        size: blob.content_length,
                        mtime: mtime_from_metadata(&blob.metadata).or(blob.last_modified),
                        md5: blob.content.content_md5.clone(),
                    };
                    Ok((rel.to_owned(), side))
                }),
                Ok(ListItem::Prefix(_)) => None,
                Err(e) => Some(Err(e.into())),
            };
            std::future::ready(found)
        })
        .boxed()
}

/// `sync --delete`'s last step: removes the blobs named `extra` (full
/// names), in name order, or in a dry run lists them.
///
/// Nothing is deleted after a failure (an unreadable directory, a file that
/// could not be sent, a listing that failed) or once the job stopped short
/// (standard output closed): its blobs would look like extras.
pub(super) async fn delete_names(
    container: &ContainerClient,
    mut extra: Vec<String>,
    report: &Report,
    dry_run: bool,
    container_name: &str,
) -> Result<()> {
    if report.any_failed() {
        crate::output::note("azblob: --delete: nothing deleted, since the transfer had failures");
        return Ok(());
    }
    extra.sort();
    if dry_run || extra.is_empty() {
        for name in &extra {
            report.deleted(&format!("az://{container_name}/{name}"))?;
        }
        return Ok(());
    }
    for result in container.delete_blobs(extra).await? {
        let shown = format!("az://{container_name}/{}", result.name);
        match result.outcome {
            azblob::BatchOutcome::Failed(e) => report.failed("delete", &shown, &shown, &e.to_string())?,
            _ => report.deleted(&shown)?,
        }
    }
    Ok(())
}

/// A local file's MD5, read on a blocking thread.
pub(super) async fn file_md5(path: &Path) -> Result<Vec<u8>> {
    use md5::Digest as _;
    let path = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let mut hasher = md5::Md5::new();
        std::io::copy(&mut file, &mut hasher).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(hasher.finalize().to_vec())
    })
    .await?
}

#[cfg(test)]
mod tests {
    use super::refused_name;

    #[test]
    fn a_segment_ending_in_a_dot_is_refused() {
        for name in ["x.", "d./y", "a/b..", "..."] {
            assert!(refused_name(name).is_some(), "{name}");
        }
        for name in ["x", ".hidden", "a.b/c.txt", "d/.e"] {
            assert!(refused_name(name).is_none(), "{name}");
        }
    }
}
