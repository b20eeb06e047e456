//! Whole directories: `azblob cp -r` and `azblob sync`, in either direction.
//!
//! A job walks the local tree or lists the blob prefix lazily, decides per
//! file (filters, the job journal, the comparison with the destination),
//! and streams what is to be sent into the library's many-file pool
//! (`ContainerClient::upload_files_opts`/`download_files_opts`), which
//! shares one concurrency and one byte budget. `--dry-run` prints the same
//! decisions and sends nothing that changes either side.

mod appeared;
mod compare;
mod download;
mod filter;
mod journal;
mod local_path;
mod merge;
mod remote;
mod report;
mod stop;
pub(crate) mod sync;
mod upload;
mod walk;

use std::sync::Arc;

use anyhow::{anyhow, bail, Result};
use clap::{Args, ValueEnum};

use crate::location::{parse_container_prefix, Location};
use crate::size::parse_size;

/// The bytes of buffers a whole upload job holds at most: half a single
/// transfer's default, since a job of large files runs several at once and
/// the bench showed four large downloads holding twice rclone's memory with
/// 256 MiB.
const JOB_MEMORY_BUDGET: u64 = 128 * 1024 * 1024;

/// A download job's: its ranges are held until written, and 8 files of 128
/// MiB downloaded as fast with 64 MiB as with 128 (1.6 to 1.9 s from
/// Azurite, 0.7 to 0.8 s from the sink) at a peak RSS of 71 to 87 MiB
/// instead of 112 to 169.
const JOB_DOWNLOAD_MEMORY_BUDGET: u64 = 64 * 1024 * 1024;

/// The flags `cp -r` and `sync` share.
#[derive(Debug, Args, Clone)]
pub(crate) struct TreeArgs {
    /// Print what would be transferred (and deleted), one line each (JSON
    /// lines with --json), and change nothing on either side.
    #[arg(long)]
    pub(crate) dry_run: bool,
    /// Take only files whose path relative to the source matches GLOB
    /// (repeatable; `*` stays within a directory, `**` crosses them).
    #[arg(long = "include", value_name = "GLOB")]
    pub(crate) include: Vec<String>,
    /// Leave out files whose relative path matches GLOB (repeatable).
    #[arg(long = "exclude", value_name = "GLOB")]
    pub(crate) exclude: Vec<String>,
    /// Take only the relative paths listed in FILE, one a line.
    #[arg(long, value_name = "FILE")]
    pub(crate) files_from: Option<std::path::PathBuf>,
    /// Leave out files smaller than this (bytes, or with a unit: 10KiB).
    #[arg(long, value_parser = parse_size)]
    pub(crate) min_size: Option<u64>,
    /// Leave out files larger than this.
    #[arg(long, value_parser = parse_size)]
    pub(crate) max_size: Option<u64>,
    /// Whether an existing destination file or blob is replaced.
    #[arg(long, value_enum, default_value = "always")]
    pub(crate) overwrite: Overwrite,
    /// Follow symbolic links when walking a local tree (by default they are skipped).
    #[arg(long)]
    pub(crate) follow_symlinks: bool,
    /// Cap the whole job's rate at N megabits per second (as azcopy's
    /// --cap-mbps), counted on the bytes sent or received. Server-side
    /// copies ignore it.
    #[arg(long, value_name = "N")]
    pub(crate) cap_mbps: Option<f64>,
}

impl TreeArgs {
    /// `--cap-mbps` in bytes per second; a cap that is not a positive number is an error.
    fn cap_bytes_per_second(&self) -> Result<Option<u64>> {
        match self.cap_mbps {
            None => Ok(None),
            Some(n) if n.is_finite() && n > 0.0 => Ok(Some(((n * 125_000.0) as u64).max(1))),
            Some(n) => bail!("--cap-mbps {n} is not a positive number of megabits per second"),
        }
    }
}

impl TreeArgs {
    /// The flags set that only a recursive copy reads: `cp` without `-r`
    /// refuses them rather than ignore a `--dry-run` and copy for real.
    pub(crate) fn set_flags(&self) -> Vec<&'static str> {
        let set = [
            (self.dry_run, "--dry-run"),
            (!self.include.is_empty(), "--include"),
            (!self.exclude.is_empty(), "--exclude"),
            (self.files_from.is_some(), "--files-from"),
            (self.min_size.is_some(), "--min-size"),
            (self.max_size.is_some(), "--max-size"),
            (self.overwrite != Overwrite::Always, "--overwrite"),
            (self.follow_symlinks, "--follow-symlinks"),
            (self.cap_mbps.is_some(), "--cap-mbps"),
        ];
        set.into_iter().filter(|(on, _)| *on).map(|(_, name)| name).collect()
    }
}

/// The values of `--overwrite`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Overwrite {
    /// Replace what exists (like cp).
    Always,
    /// Never replace what exists.
    Never,
    /// Replace only when the source's modification time is later.
    IfNewer,
}

/// What `cp` hands a recursive copy from its own flags.
#[derive(Debug, Clone)]
pub(crate) struct Common {
    /// One JSON line per file and a summary line.
    pub(crate) json: bool,
    /// Whether the progress line is drawn on a terminal.
    pub(crate) progress: bool,
    /// Block (upload) or chunk (download) size.
    pub(crate) block_size: u64,
    /// Files in flight; adaptive without it.
    pub(crate) concurrency: Option<usize>,
    /// Store (upload) or check (download) MD5s.
    pub(crate) md5: bool,
}

/// How a job decides what to transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// `cp -r`: everything the filters take, within `--overwrite`.
    Copy,
    /// `sync`: only what is missing or different.
    Sync {
        /// Compare MD5s instead of modification times.
        checksum: bool,
        /// Remove from the destination what the source lacks.
        delete: bool,
    },
}

impl Mode {
    fn name(self) -> &'static str {
        match self {
            Mode::Copy => "cp",
            Mode::Sync { .. } => "sync",
        }
    }
}

/// Runs a whole-directory job between `src` and `dst` (one local, one a
/// blob prefix).
///
/// Standard output closed mid-job (`azblob cp -r ... --json | head -1`)
/// stops the job and fails the command: elsewhere a closed stdout means
/// the reader has all it wanted (`cat | head`), but here the job did not
/// finish, and a script must not read its success. rclone and azcopy,
/// written in Go, die of the SIGPIPE then, which the shell reports as a
/// failure too. What completed is in the journal, so rerunning resumes.
pub(crate) async fn run(
    src: &str,
    dst: &str,
    tree: &TreeArgs,
    common: &Common,
    mode: Mode,
    connection: &crate::Connection,
) -> Result<()> {
    run_job(src, dst, tree, common, mode, connection).await.map_err(|e| {
        if crate::output::is_reader_gone(&e) {
            anyhow!("standard output was closed, so the {} job stopped before it finished", mode.name())
        } else {
            e
        }
    })
}

/// [`run`], where a closed standard output is still [`crate::output::ReaderGone`].
async fn run_job(
    src: &str,
    dst: &str,
    tree: &TreeArgs,
    common: &Common,
    mode: Mode,
    connection: &crate::Connection,
) -> Result<()> {
    let filter =
        filter::Filter::new(&tree.include, &tree.exclude, tree.files_from.as_deref(), tree.min_size, tree.max_size)?;
    let is_remote =
        |text: &str| text.starts_with("az://") || text.starts_with("http://") || text.starts_with("https://");
    match (is_remote(src), is_remote(dst)) {
        (false, true) => {
            let Location::Local(dir) = Location::parse(src)? else { bail!("{src} is not a local directory") };
            if !dir.is_dir() {
                bail!("{} is not a directory", dir.display());
            }
            let to = parse_container_prefix(dst)?;
            upload::run(&dir, &to, tree, common, mode, filter, connection).await
        }
        (true, false) => {
            let from = parse_container_prefix(src)?;
            let Location::Local(dir) = Location::parse(dst)? else { bail!("{dst} is not a local directory") };
            download::run(&from, &dir, tree, common, mode, filter, connection).await
        }
        (true, true) => {
            let (from, to) = (parse_container_prefix(src)?, parse_container_prefix(dst)?);
            remote::run(&from, &to, tree, common, mode, filter, connection).await
        }
        (false, false) => {
            bail!("one side of {} must be a blob prefix (az://CONTAINER/PREFIX or a container URL)", mode.name())
        }
    }
}

/// The journal of a `cp -r` job, so a rerun skips what it completed.
///
/// A `sync` keeps none: it decides by comparing both sides, and a journal
/// that outlived a failed run would make it skip a file whose destination
/// changed (or vanished) since, which the comparison would send again.
fn open_journal(mode: Mode, job: &[&str]) -> Result<Option<Arc<journal::Journal>>> {
    match mode {
        Mode::Copy => Ok(journal::Journal::open(job)?.map(Arc::new)),
        Mode::Sync { .. } => Ok(None),
    }
}

/// The prefix below which a job's relative paths go: empty (the whole
/// container) or ending in `/`, so `az://c/data` means the directory
/// `data/`, never `data-old/`.
fn dir_prefix(prefix: &str) -> String {
    if prefix.is_empty() || prefix.ends_with('/') {
        prefix.to_owned()
    } else {
        format!("{prefix}/")
    }
}

/// The figures of the files of a job, as `--json` and the journal name them.
fn mtime_text(mtime: Option<std::time::SystemTime>) -> String {
    mtime
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| format!("{}.{:09}", d.as_secs(), d.subsec_nanos()))
        .unwrap_or_default()
}
