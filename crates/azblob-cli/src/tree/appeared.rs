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
use azblob::{Conditions, ContainerClient, ErrorKind, FileJob, UploadFilesOptions};
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
/// to a blob that exists: Put Blob answers 409, and the library reads a
/// commit's 412 that is not about a lease as the same `AlreadyExists`.
pub(super) fn refused_as_existing(job: &FileJob, kind: ErrorKind) -> bool {
    job.conditions.as_ref() == Some(&Conditions::if_not_exists()) && kind == ErrorKind::AlreadyExists
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

/// What the comparison decided for one appeared file.
enum Decision {
    /// Send it again, with the conditions its job now carries.
    Send(Appeared),
    /// Leave the blob as it is, for this reason.
    Skip(Appeared, &'static str),
    /// The comparison failed.
    Fail(Appeared, String),
}

/// Compares each appeared file with its blob (as many at once as the job's
/// small files, `COMPARISONS`) and sends the ones the comparison says to again.
pub(super) async fn settle(cx: &Context<'_>, appeared: Vec<Appeared>) -> Result<()> {
    /// Get Blob Properties requests in flight; each is one small round trip.
    const COMPARISONS: usize = 16;
    let mut decisions = stream::iter(appeared).map(|file| decide(cx, file)).buffer_unordered(COMPARISONS);
    let mut again = Vec::new();
    while let Some(decision) = decisions.next().await {
        match decision {
            Decision::Send(file) => again.push(file),
            Decision::Skip(file, reason) => {
                // A block upload refused at its commit left a checkpoint that
                // would fail this file's next upload once the file changes.
                if let Some(checkpoint) = &file.job.checkpoint {
                    let _ = std::fs::remove_file(checkpoint);
                }
                cx.report.skipped("upload", &file.rel, &(cx.shown)(&file.rel), reason)?;
            }
            Decision::Fail(file, why) => cx.report.failed("upload", &file.rel, &(cx.shown)(&file.rel), &why)?,
        }
    }
    drop(decisions);
    let mut keys = std::collections::HashMap::new();
    let jobs: Vec<FileJob> = again
        .into_iter()
        .map(|file| {
            keys.insert(file.job.name.clone(), (file.rel, file.key));
            file.job
        })
        .collect();
    let mut results = cx.container.upload_files_opts(stream::iter(jobs), cx.options);
    let first_pass = cx.report.backoffs_so_far();
    while let Some((job, result)) = results.next().await {
        let Some((rel, key)) = keys.remove(&job.name) else { continue };
        let shown = (cx.shown)(&rel);
        match result {
            Ok(done) => {
                cx.report.backoffs(first_pass + done.job_concurrency_backoffs);
                if let Some(journal) = cx.journal {
                    journal.record(key)?;
                }
                cx.report.transferred_resuming("upload", &rel, &shown, done.bytes, done.resumed_blocks)?;
            }
            Err(e) if matches!(e.kind(), ErrorKind::PreconditionFailed | ErrorKind::AlreadyExists) => {
                let why = format!("the blob changed while it was compared; not overwritten (run the job again): {e}");
                cx.report.failed("upload", &rel, &shown, &why)?;
            }
            Err(e) => cx.report.failed("upload", &rel, &shown, &e.to_string())?,
        }
    }
    Ok(())
}

/// Compares one appeared file with its blob as it is now, as the listing's
/// blob would have been compared.
async fn decide(cx: &Context<'_>, mut file: Appeared) -> Decision {
    let properties = match cx.container.blob(&file.job.name).properties().await {
        Ok(properties) => properties,
        // Gone again: still a new file, sent as one.
        Err(e) if e.kind() == ErrorKind::NotFound => return Decision::Send(file),
        Err(e) => return Decision::Fail(file, format!("cannot compare with the blob: {e}")),
    };
    let mut local = match tokio::fs::metadata(&file.job.path).await {
        Ok(meta) => Side { size: meta.len(), mtime: meta.modified().ok(), md5: None },
        Err(e) => {
            let why = format!("cannot read {}: {e}", file.job.path.display());
            return Decision::Fail(file, why);
        }
    };
    let remote = Side::of_blob(&properties);
    if matches!(cx.mode, Mode::Sync { checksum: true, .. }) && local.size == remote.size {
        match file_md5(&file.job.path).await {
            Ok(md5) => local.md5 = Some(md5),
            Err(e) => return Decision::Fail(file, format!("{e:#}")),
        }
    }
    if let Some(reason) = skip_reason(cx.mode, cx.overwrite, &local, Some(&remote)) {
        return Decision::Skip(file, reason);
    }
    file.job.conditions = Some(Conditions::if_match(properties.etag));
    Decision::Send(file)
}
