//! What a job prints: with `--json` one line per file and a summary line,
//! otherwise the plan's lines (dry run), a progress line on a terminal, the
//! failures at the end and a summary.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use crate::output;

/// The counts of a job so far.
#[derive(Debug, Default)]
struct Counts {
    /// Files transferred (or planned, in a dry run).
    files: u64,
    /// Files handed to the transfers so far, and their bytes: the walk or
    /// listing is lazy, so the total grows until it ends.
    queued: u64,
    /// Their bytes.
    queued_bytes: u64,
    /// Their bytes.
    bytes: u64,
    /// Files left as they are (unchanged, done by an earlier run, not to be overwritten).
    skipped: u64,
    /// Destination files or blobs deleted (or planned).
    deleted: u64,
    /// Each failed file and why.
    failures: Vec<(String, String)>,
    /// Each name refused as a local path and why: skipped, and listed at the end.
    refused: Vec<(String, String)>,
    /// How many times throttling halved the job's shared concurrency.
    backoffs: u64,
    /// The job stopped before it saw every name (a walk or listing failed,
    /// standard output closed): what it did not see is unknown.
    stopped: bool,
}

/// The job's report.
#[derive(Debug)]
pub(crate) struct Report {
    /// One JSON line per file.
    json: bool,
    /// Nothing is changed: lines say what would be.
    dry_run: bool,
    /// When the job started.
    started: Instant,
    /// The counts.
    counts: Mutex<Counts>,
    /// The progress line, hidden when off or not a terminal.
    bar: ProgressBar,
}

impl Report {
    /// A report printing JSON lines or text, with a progress line if `progress`.
    pub(crate) fn new(json: bool, dry_run: bool, progress: bool) -> Report {
        let target = if progress && !dry_run { ProgressDrawTarget::stderr() } else { ProgressDrawTarget::hidden() };
        let bar = ProgressBar::with_draw_target(None, target);
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}")
                .expect("the template is valid"),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        Report { json, dry_run, started: Instant::now(), counts: Mutex::new(Counts::default()), bar }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn redraw(&self, counts: &Counts) {
        self.bar.set_length(counts.queued_bytes.max(counts.bytes));
        self.bar.set_position(counts.bytes);
        self.bar.set_message(format!(
            "{}/{} files, {} skipped, {} failed,",
            counts.files,
            counts.queued,
            counts.skipped,
            counts.failures.len()
        ));
    }

    /// A file handed to the transfers, with its size: the progress line's
    /// total so far (files done out of files found, bytes, rate, ETA).
    pub(crate) fn queued(&self, bytes: u64) {
        let mut counts = self.lock();
        counts.queued += 1;
        counts.queued_bytes += bytes;
        self.redraw(&counts);
    }

    /// A file transferred, or in a dry run to be transferred.
    pub(crate) fn transferred(&self, action: &str, from: &str, to: &str, bytes: u64) -> Result<()> {
        self.transferred_resuming(action, from, to, bytes, 0)
    }

    /// A file transferred whose upload found `resumed_blocks` already staged
    /// by an interrupted run.
    pub(crate) fn transferred_resuming(
        &self,
        action: &str,
        from: &str,
        to: &str,
        bytes: u64,
        resumed_blocks: u64,
    ) -> Result<()> {
        // Counted before it is printed, as every record below: a closed
        // standard output must not lose what happened.
        {
            let mut counts = self.lock();
            counts.files += 1;
            counts.bytes += bytes;
            self.redraw(&counts);
        }
        let status = if self.dry_run { "planned" } else { "done" };
        if self.json {
            output::json_line(&json!({
                "kind": "file", "action": action, "from": from, "to": to, "bytes": bytes, "status": status,
                "resumed_blocks": resumed_blocks,
            }))?;
        } else if self.dry_run {
            output::line(&format!("{action} {from} -> {to} ({bytes} bytes)"))?;
        }
        Ok(())
    }

    /// The job's concurrency backoffs so far, as a finished file reports them.
    pub(crate) fn backoffs(&self, so_far: u64) {
        let mut counts = self.lock();
        counts.backoffs = counts.backoffs.max(so_far);
    }

    /// The concurrency backoffs counted so far, which a second pass of
    /// transfers (with a limiter of its own, counting from zero) adds to.
    pub(crate) fn backoffs_so_far(&self) -> u64 {
        self.lock().backoffs
    }

    /// A file left as it is.
    pub(crate) fn skipped(&self, action: &str, from: &str, to: &str, reason: &str) -> Result<()> {
        {
            let mut counts = self.lock();
            counts.skipped += 1;
            self.redraw(&counts);
        }
        if self.json {
            output::json_line(&json!({
                "kind": "file", "action": action, "from": from, "to": to, "status": "skipped", "reason": reason,
            }))?;
        }
        Ok(())
    }

    /// A blob whose name is refused as a local path (it would escape the
    /// destination, or the platform cannot hold it): skipped, since every
    /// rerun would refuse it again, so it neither fails the job nor keeps
    /// its journal alive, and listed at the end.
    pub(crate) fn refused(&self, action: &str, from: &str, reason: &str) -> Result<()> {
        self.lock().refused.push((from.to_owned(), reason.to_owned()));
        self.skipped(action, from, "", reason)
    }

    /// A destination file or blob deleted, or in a dry run to be deleted.
    pub(crate) fn deleted(&self, target: &str) -> Result<()> {
        self.lock().deleted += 1;
        let status = if self.dry_run { "planned" } else { "done" };
        if self.json {
            output::json_line(&json!({ "kind": "file", "action": "delete", "to": target, "status": status }))?;
        } else if self.dry_run {
            output::line(&format!("delete {target}"))?;
        }
        Ok(())
    }

    /// A file that failed; the job goes on.
    pub(crate) fn failed(&self, action: &str, from: &str, to: &str, error: &str) -> Result<()> {
        {
            let mut counts = self.lock();
            counts.failures.push((from.to_owned(), error.to_owned()));
            self.redraw(&counts);
        }
        if self.json {
            output::json_line(&json!({
                "kind": "file", "action": action, "from": from, "to": to, "status": "failed", "error": error,
            }))?;
        }
        Ok(())
    }

    /// The job stopped before it saw every name: from now on it counts as
    /// failed, so `--delete` deletes nothing and the journal is kept.
    pub(crate) fn stopped(&self) {
        self.lock().stopped = true;
    }

    /// Whether any file failed so far, or the job stopped short.
    pub(crate) fn any_failed(&self) -> bool {
        let counts = self.lock();
        counts.stopped || !counts.failures.is_empty()
    }

    /// Prints the summary (and the failures) and fails the command if any file failed.
    pub(crate) fn finish(self, resumable: bool) -> Result<()> {
        self.bar.finish_and_clear();
        let counts = self.counts.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        let seconds = self.started.elapsed().as_secs_f64();
        let mb_per_s = if seconds > 0.0 { counts.bytes as f64 / 1e6 / seconds } else { 0.0 };
        let failed = counts.failures.len();
        if self.json {
            output::json_line(&json!({
                "kind": "summary",
                "dry_run": self.dry_run,
                "files": counts.files,
                "bytes": counts.bytes,
                "seconds": seconds,
                "mb_per_s": mb_per_s,
                "skipped": counts.skipped,
                "deleted": counts.deleted,
                "failed": failed,
                "concurrency_backoffs": counts.backoffs,
            }))?;
        }
        for (name, why) in &counts.refused {
            output::note(&format!("azblob: skipped: {name}: {why}"));
        }
        for (name, error) in &counts.failures {
            output::note(&format!("azblob: failed: {name}: {error}"));
        }
        if !self.json {
            let verb = if self.dry_run { "would transfer" } else { "transferred" };
            output::note(&format!(
                "{verb} {} files ({} bytes) in {seconds:.2} s ({mb_per_s:.1} MB/s), {} skipped, {} deleted, {failed} failed",
                counts.files, counts.bytes, counts.skipped, counts.deleted
            ));
        }
        if failed > 0 {
            let hint = if resumable { "; rerun the same command to retry them, done files are skipped" } else { "" };
            bail!("{failed} files failed{hint}");
        }
        Ok(())
    }
}
