//! Uploads that compare (`sync`, `--overwrite if-newer`) whose blob
//! appeared after the listing: a file the listing showed no blob for is
//! sent with `If-None-Match: *`, so a blob that is there after all (one
//! listed late, as a hierarchical-namespace account lists a directory's
//! contents right after it, or one written meanwhile) refuses it instead of
//! being replaced unseen. Each such file is compared here with the blob as
//! it is now, as the listing's blob would have been, and sent again only
//! if the comparison says so, pinned with `If-Match` to the version it was
//! compared with. (`--overwrite never` sends every file with
//! `If-None-Match: *` already, and skips what it refuses.)

use std::sync::Arc;

use anyhow::Result;
use azblob::{mtime_from_metadata, Conditions, ContainerClient, ErrorKind, FileJob, UploadFilesOptions};
use futures_util::{stream, StreamExt};

use super::compare::{skip_reason, Side};
use super::journal::Journal;
use super::report::Report;
use super::upload::file_md5;
use super::{Mode, Overwrite};

/// A file refused because its blob exists after all.
pub(super) struct Appeared {
    /// Its name below the source directory.
    pub(super) rel: String,
    /// Its journal key.
    pub(super) key: u64,
    /// Its job, as it was sent.
    pub(super) job: FileJob,
}

/// The conditions of a file's upload, given whether the listing showed its
/// blob: `If-None-Match: *` for an unlisted file of a job that compares.
pub(super) fn conditions(mode: Mode, overwrite: Overwrite, listed: bool) -> Option<Conditions> {
    let compares = mode != Mode::Copy || overwrite == Overwrite::IfNewer;
    (compares && overwrite != Overwrite::Never && !listed).then(Conditions::if_not_exists)
}

/// Whether `kind` is how the service refuses a write with `If-None-Match: *`
/// to a blob that exists (Put Blob answers 409, a commit may answer 412).
pub(super) fn refused_as_existing(job: &FileJob, kind: ErrorKind) -> bool {
    job.conditions.as_ref() == Some(&Conditions::if_not_exists())
        && matches!(kind, ErrorKind::AlreadyExists | ErrorKind::PreconditionFailed)
}

/// What the settling of the appeared files needs from the job.
pub(super) struct Context<'a> {
    pub(super) container: &'a ContainerClient,
    pub(super) mode: Mode,
    pub(super) overwrite: Overwrite,
    pub(super) options: &'a UploadFilesOptions,
    pub(super) report: &'a Report,
    pub(super) journal: Option<&'a Arc<Journal>>,
    /// The `az://` name a file is shown with.
    pub(super) shown: &'a (dyn Fn(&str) -> String + Sync),
}

/// Compares each appeared file with its blob and sends the newer ones again.
pub(super) async fn settle(cx: &Context<'_>, appeared: Vec<Appeared>) -> Result<()> {
    let mut again = Vec::new();
    for mut file in appeared {
        let shown = (cx.shown)(&file.rel);
        let properties = match cx.container.blob(&file.job.name).properties().await {
            Ok(properties) => properties,
            // Gone again: still a new file, sent as one.
            Err(e) if e.kind() == ErrorKind::NotFound => {
                again.push(file);
                continue;
            }
            Err(e) => {
                cx.report.failed("upload", &file.rel, &shown, &format!("cannot compare with the blob: {e}"))?;
                continue;
            }
        };
        let mut local = match std::fs::metadata(&file.job.path) {
            Ok(meta) => Side { size: meta.len(), mtime: meta.modified().ok(), md5: None },
            Err(e) => {
                let why = format!("cannot read {}: {e}", file.job.path.display());
                cx.report.failed("upload", &file.rel, &shown, &why)?;
                continue;
            }
        };
        let mtime = mtime_from_metadata(&properties.metadata).or(Some(properties.last_modified));
        let remote = Side { size: properties.content_length, mtime, md5: properties.content.content_md5.clone() };
        if matches!(cx.mode, Mode::Sync { checksum: true, .. }) && local.size == remote.size {
            match file_md5(&file.job.path).await {
                Ok(md5) => local.md5 = Some(md5),
                Err(e) => {
                    cx.report.failed("upload", &file.rel, &shown, &format!("{e:#}"))?;
                    continue;
                }
            }
        }
        if let Some(reason) = skip_reason(cx.mode, cx.overwrite, &local, Some(&remote)) {
            cx.report.skipped("upload", &file.rel, &shown, reason)?;
            continue;
        }
        file.job.conditions = Some(Conditions::if_match(properties.etag));
        again.push(file);
    }
    let mut keys = std::collections::HashMap::new();
    let jobs: Vec<FileJob> = again
        .into_iter()
        .map(|file| {
            keys.insert(file.job.name.clone(), (file.rel, file.key));
            file.job
        })
        .collect();
    let mut results = cx.container.upload_files_opts(stream::iter(jobs), cx.options);
    while let Some((job, result)) = results.next().await {
        let Some((rel, key)) = keys.remove(&job.name) else { continue };
        let shown = (cx.shown)(&rel);
        match result {
            Ok(done) => {
                if let Some(journal) = cx.journal {
                    journal.record(key)?;
                }
                cx.report.transferred_resuming("upload", &rel, &shown, done.bytes, done.resumed_blocks)?;
            }
            Err(e) if matches!(e.kind(), ErrorKind::PreconditionFailed | ErrorKind::AlreadyExists) => {
                let why = "the blob changed while it was compared; not overwritten (run the job again)";
                cx.report.failed("upload", &rel, &shown, why)?;
            }
            Err(e) => cx.report.failed("upload", &rel, &shown, &e.to_string())?,
        }
    }
    Ok(())
}
