//! Many local files at once: `upload_files` and `download_files`, a pool of
//! transfers that share one concurrency budget (the adaptive limiter of
//! `transfer/concurrency.rs`, one permit per file) and one byte budget (a
//! semaphore counted in KiB), each file through the existing engines: a small
//! file is one Put Blob or one ranged Get, a large one parallel blocks.
//!
//! Every file's requests are counted in the job's tally too
//! (`Tally::under`), so a 429, a 503 or a timeout met by any file halves the
//! job's limit, as it halves a single transfer's. A rate cap is a
//! `transfer::Pacer` every file's requests pay their bodies into.
//!
//! The jobs come from a stream, which the pool pulls only as places free up,
//! so a walk or a listing that feeds it is read lazily and memory is bounded
//! by the budgets, not by the number of files.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use futures_util::stream::{BoxStream, Stream, StreamExt};
use tokio::sync::Semaphore;

use super::file_task::FileTask;
use super::ContainerClient;
use crate::error::{Error, Result};
use crate::ops::conditions::Conditions;
use crate::ops::models::Metadata;
use crate::transfer::{self, Concurrency, DownloadOptions, Limiter, Pacer, TransferStats, UploadOptions, UploadSource};

/// The metadata key under which [`ContainerClient::upload_files_opts`] stores a
/// local file's modification time (`keep_mtime`), as seconds since the Unix
/// epoch with up to nine decimals (`1700000000.123456789`), and from which
/// [`mtime_from_metadata`] reads it back.
pub const MTIME_METADATA_KEY: &str = "azblob_mtime";

/// The most files in flight at once; each is one request when small.
const MAX_FILES_IN_FLIGHT: usize = 256;

/// The unit the byte budget is counted in, so that budgets beyond 4 GiB fit
/// the semaphore's `u32` requests.
const BUDGET_UNIT: u64 = 1024;

/// One local file and the blob it is written to or read from.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileJob {
    /// The local file.
    pub path: PathBuf,
    /// The blob's name in the container.
    pub name: String,
    /// The file's size when known beforehand (a listing's size for a
    /// download), which sizes its share of the byte budget.
    pub size: Option<u64>,
    /// The modification time to give the local file after a download (the
    /// blob's [`MTIME_METADATA_KEY`]); ignored by uploads.
    pub mtime: Option<SystemTime>,
    /// A checkpoint file that makes this file's block upload resumable
    /// (see [`UploadOptions::checkpoint`]); ignored by downloads.
    pub checkpoint: Option<PathBuf>,
    /// Conditions on this file's blob write, in place of the options'
    /// `upload.blob.conditions`: [`Conditions::if_not_exists`] for a file
    /// whose blob a listing did not show, so that a blob which appeared
    /// since is not replaced unseen, or [`Conditions::if_match`] for one
    /// that replaces a version it has compared with. Ignored by downloads.
    pub conditions: Option<Conditions>,
}

/// Options of [`ContainerClient::upload_files_opts`].
#[derive(Debug, Clone)]
pub struct UploadFilesOptions {
    /// Files in flight (default adaptive, up to 256).
    pub concurrency: Concurrency,
    /// The most bytes the whole job holds in buffers at once (default
    /// 256 MiB): a small file holds its size while it is sent, a large one
    /// a quarter of the budget (at least one block) for its blocks.
    pub memory_budget: u64,
    /// How each file is sent and what its blob is written with (block size,
    /// MD5s, content headers, metadata, tier, conditions, `resume`). Its
    /// `concurrency`, `memory_budget`, `single_put_max` and `checkpoint` are
    /// set per file by the pool: files up to one block go in one Put Blob.
    pub upload: UploadOptions,
    /// Store each file's modification time in its blob's metadata under
    /// [`MTIME_METADATA_KEY`] (default `true`), so a later download can
    /// restore it and a sync can compare it.
    pub keep_mtime: bool,
    /// Cap on the job's rate in bytes per second (default none): every
    /// request body of every file (a Put Blob, a block) waits until its
    /// bytes fit the rate, after those sent before it, so a job of `n`
    /// bytes takes at least `n / cap` seconds.
    pub max_bytes_per_second: Option<u64>,
}

impl Default for UploadFilesOptions {
    fn default() -> Self {
        UploadFilesOptions {
            concurrency: Concurrency::Adaptive,
            memory_budget: transfer::DEFAULT_MEMORY_BUDGET,
            upload: UploadOptions::default(),
            keep_mtime: true,
            max_bytes_per_second: None,
        }
    }
}

/// Options of [`ContainerClient::download_files_opts`].
#[derive(Debug, Clone)]
pub struct DownloadFilesOptions {
    /// Files in flight (default adaptive, up to 256).
    pub concurrency: Concurrency,
    /// The most bytes the whole job holds in buffers at once (default
    /// 256 MiB), shared as for uploads.
    pub memory_budget: u64,
    /// How each blob is read (chunk size, MD5 check, `overwrite`); its
    /// `concurrency` and `memory_budget` are set per file by the pool.
    pub download: DownloadOptions,
    /// Cap on the job's rate in bytes per second, as for uploads
    /// ([`UploadFilesOptions::max_bytes_per_second`]): each ranged Get's
    /// body is paid for once its answer's head gives its length, before
    /// it is read.
    pub max_bytes_per_second: Option<u64>,
}

impl Default for DownloadFilesOptions {
    fn default() -> Self {
        DownloadFilesOptions {
            concurrency: Concurrency::Adaptive,
            memory_budget: transfer::DEFAULT_MEMORY_BUDGET,
            download: DownloadOptions::default(),
            max_bytes_per_second: None,
        }
    }
}

/// What one file of a job moved.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    /// Bytes transferred.
    pub bytes: u64,
    /// Blocks a resumed upload found already staged and did not send again.
    pub resumed_blocks: u64,
    /// The requests sent, retries, throttled answers and time waiting on the service.
    pub stats: TransferStats,
    /// How many times the job's shared concurrency had been halved, when
    /// this file ended, because a request of any of its files was answered
    /// 429 or 503 or timed out: the last file's figure is the job's.
    pub job_concurrency_backoffs: u64,
}

/// The modification time stored under [`MTIME_METADATA_KEY`], if there is
/// one that parses.
pub fn mtime_from_metadata(metadata: &Metadata) -> Option<SystemTime> {
    let text = metadata.get(MTIME_METADATA_KEY)?;
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    let secs: u64 = secs.parse().ok()?;
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let nanos: u32 = if frac.is_empty() { 0 } else { format!("{frac:0<9}").parse().ok()? };
    UNIX_EPOCH.checked_add(Duration::new(secs, nanos))
}

/// The text [`mtime_from_metadata`] reads; times before the epoch are not stored.
fn mtime_text(mtime: SystemTime) -> Option<String> {
    let since = mtime.duration_since(UNIX_EPOCH).ok()?;
    Some(format!("{}.{:09}", since.as_secs(), since.subsec_nanos()))
}

/// An I/O error on a local path, its cause in the message.
fn io_error(what: String, err: std::io::Error) -> Error {
    Error::new(crate::error::ErrorKind::Io, format!("{what}: {err}")).with_source_in_message(err)
}

/// The budgets every file of one job draws from.
struct Pool {
    /// One permit per file in flight.
    files: Arc<Limiter>,
    /// The byte budget, in [`BUDGET_UNIT`]s.
    bytes: Arc<Semaphore>,
    /// The budget's size in units, the most one file may take.
    units: u64,
    /// A large file's share of the budget, in bytes.
    large_share: u64,
    /// The rate cap, when there is one, which every file's requests pay into.
    pacer: Option<Arc<Pacer>>,
}

impl Pool {
    fn new(concurrency: Concurrency, memory_budget: u64, unit: u64, rate: Option<u64>) -> Result<Pool> {
        concurrency.validate()?;
        if rate == Some(0) {
            return Err(Error::invalid_input("a rate cap must be at least 1 byte per second"));
        }
        if memory_budget == 0 {
            return Err(Error::invalid_input("the memory budget of a many-file job must be at least 1 byte"));
        }
        let cap = concurrency.buffers(1, MAX_FILES_IN_FLIGHT as u64);
        let units = memory_budget.div_ceil(BUDGET_UNIT).clamp(1, u64::from(u32::MAX) / 2);
        Ok(Pool {
            files: Limiter::for_concurrency(concurrency, cap, Arc::default()),
            bytes: Arc::new(Semaphore::new(units as usize)),
            units,
            large_share: (memory_budget / 4).max(unit).min(memory_budget.max(unit)),
            pacer: rate.map(|rate| Arc::new(Pacer::new(rate))),
        })
    }

    /// The target of one file's transfer: its requests counted in the
    /// job's tally (so the job's limiter sees their throttling) and paced
    /// by the job's cap.
    fn target(&self, container: &ContainerClient, name: &str) -> Result<transfer::BlobTarget> {
        let target = container.blob(name.to_owned()).transfer_target()?;
        Ok(target.counting(self.files.tally()).paced(self.pacer.clone()))
    }

    /// Runs `work` once the file has a place and `charge` bytes of budget.
    async fn run<T>(&self, charge: u64, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        let _place = self.files.acquire().await;
        let units = charge.div_ceil(BUDGET_UNIT).clamp(1, self.units) as u32;
        let _bytes = Arc::clone(&self.bytes)
            .acquire_many_owned(units)
            .await
            .map_err(|_| Error::invalid_input("the job's byte budget was closed"))?;
        work.await
    }
}

impl ContainerClient {
    /// Uploads many local files, each to its blob, with the default options,
    /// and yields each job and its outcome as it completes (not in the order
    /// given). One file failing does not stop the others.
    ///
    /// Each file runs as a task of its own on the Tokio runtime the stream
    /// is polled in. Dropping the stream stops them all: the runtime drops
    /// each file's work just after, which ends its requests (and removes a
    /// download's partial file).
    ///
    /// ```no_run
    /// # async fn f(container: azblob::ContainerClient) {
    /// use futures_util::StreamExt;
    /// let jobs = ["a.txt", "b.txt"].map(|f| azblob::FileJob { path: f.into(), name: format!("docs/{f}"), ..Default::default() });
    /// let mut results = container.upload_files(futures_util::stream::iter(jobs));
    /// while let Some((job, result)) = results.next().await {
    ///     if let Err(e) = result {
    ///         eprintln!("{}: {e}", job.path.display());
    ///     }
    /// }
    /// # }
    /// ```
    pub fn upload_files<S>(&self, jobs: S) -> BoxStream<'static, (FileJob, Result<FileReport>)>
    where
        S: Stream<Item = FileJob> + Send + 'static,
    {
        self.upload_files_opts(jobs, &UploadFilesOptions::default())
    }

    /// [`upload_files`](Self::upload_files) with budgets and the settings
    /// every blob is written with. Invalid budgets fail every file with
    /// `InvalidInput`, before anything is sent.
    pub fn upload_files_opts<S>(
        &self,
        jobs: S,
        options: &UploadFilesOptions,
    ) -> BoxStream<'static, (FileJob, Result<FileReport>)>
    where
        S: Stream<Item = FileJob> + Send + 'static,
    {
        let block = options.upload.block_size.max(1);
        let pool = Pool::new(options.concurrency, options.memory_budget, block, options.max_bytes_per_second);
        let one: OneFile<UploadFilesOptions> = |c, job, o, pool| Box::pin(upload_one(c, job, o, pool));
        each_file(self, jobs, options.clone(), pool, options.concurrency, one)
    }

    /// Downloads many blobs, each to its local file, with the default
    /// options, and yields each job and its outcome as it completes. One
    /// blob failing does not stop the others. The parent directory of each
    /// file is created; the caller decides which paths are acceptable.
    /// Files run as tasks, stopped when the stream is dropped, as
    /// [`upload_files`](Self::upload_files) says.
    pub fn download_files<S>(&self, jobs: S) -> BoxStream<'static, (FileJob, Result<FileReport>)>
    where
        S: Stream<Item = FileJob> + Send + 'static,
    {
        self.download_files_opts(jobs, &DownloadFilesOptions::default())
    }

    /// [`download_files`](Self::download_files) with budgets and how each
    /// blob is read. A job's `mtime` is given to its file once written.
    pub fn download_files_opts<S>(
        &self,
        jobs: S,
        options: &DownloadFilesOptions,
    ) -> BoxStream<'static, (FileJob, Result<FileReport>)>
    where
        S: Stream<Item = FileJob> + Send + 'static,
    {
        let chunk = options.download.chunk_size.max(1);
        let pool = Pool::new(options.concurrency, options.memory_budget, chunk, options.max_bytes_per_second);
        let one: OneFile<DownloadFilesOptions> = |c, job, o, pool| Box::pin(download_one(c, job, o, pool));
        each_file(self, jobs, options.clone(), pool, options.concurrency, one)
    }
}

/// One file's transfer within a job.
type OneFile<O> = for<'a> fn(&'a ContainerClient, &'a FileJob, &'a O, &'a Pool) -> BoxFuture<'a, Result<FileReport>>;

/// Runs `one` for each job, as many at once as the concurrency lets, and
/// yields each job with its outcome as it completes; with a `pool` that
/// could not be made (invalid budgets), every job fails with that error,
/// unsent.
fn each_file<S, O>(
    container: &ContainerClient,
    jobs: S,
    options: O,
    pool: Result<Pool>,
    concurrency: Concurrency,
    one: OneFile<O>,
) -> BoxStream<'static, (FileJob, Result<FileReport>)>
where
    S: Stream<Item = FileJob> + Send + 'static,
    O: Send + Sync + 'static,
{
    let pool = pool.map(Arc::new).map_err(Arc::new);
    let cap = pool.as_ref().map_or(1, |_| concurrency.buffers(1, MAX_FILES_IN_FLIGHT as u64));
    let (container, options) = (container.clone(), Arc::new(options));
    jobs.map(move |job| {
        let (container, options, pool) = (container.clone(), Arc::clone(&options), pool.clone());
        let job = Arc::new(job);
        let task = FileTask::start({
            let job = Arc::clone(&job);
            Box::pin(async move {
                match pool {
                    Ok(pool) => one(&container, &job, &options, &pool).await,
                    Err(e) => Err(Error::invalid_input(e.message().to_owned())),
                }
            })
        });
        // The task's own reference is gone once it has finished.
        async move {
            let result = task.await;
            (Arc::unwrap_or_clone(job), result)
        }
    })
    .buffer_unordered(cap)
    .boxed()
}

/// Sends one file: a small one whole in one Put Blob, a large one in blocks
/// within its share of the budget.
async fn upload_one(
    container: &ContainerClient,
    job: &FileJob,
    options: &UploadFilesOptions,
    pool: &Pool,
) -> Result<FileReport> {
    let meta =
        tokio::fs::metadata(&job.path).await.map_err(|e| io_error(format!("cannot read {}", job.path.display()), e))?;
    if !meta.is_file() {
        return Err(Error::invalid_input(format!("{} is not a regular file", job.path.display())));
    }
    let mut upload = options.upload.clone();
    let block = upload.block_size.max(1);
    let small = meta.len() <= block;
    upload.single_put_max = block;
    upload.checkpoint = job.checkpoint.clone();
    if let Some(conditions) = &job.conditions {
        upload.blob.conditions = conditions.clone();
    }
    let charge = if small { meta.len() } else { pool.large_share };
    upload.memory_budget = pool.large_share.max(block);
    upload.concurrency = Concurrency::Adaptive;
    if options.keep_mtime {
        if let Some(text) = meta.modified().ok().and_then(mtime_text) {
            upload.blob.metadata.insert(MTIME_METADATA_KEY.to_owned(), text);
        }
    }
    let target = pool.target(container, &job.name)?;
    let report = pool.run(charge, transfer::run_upload(&target, UploadSource::file(&job.path), &upload)).await?;
    Ok(FileReport {
        bytes: report.bytes,
        resumed_blocks: report.resumed_blocks,
        stats: report.stats,
        job_concurrency_backoffs: pool.files.halvings(),
    })
}

/// Reads one blob into its file, which has the job's mtime when it appears.
async fn download_one(
    container: &ContainerClient,
    job: &FileJob,
    options: &DownloadFilesOptions,
    pool: &Pool,
) -> Result<FileReport> {
    let mut download = options.download.clone();
    let chunk = download.chunk_size.max(1);
    let charge = job.size.map_or(chunk, |size| size.min(pool.large_share));
    download.memory_budget = pool.large_share.max(chunk);
    download.concurrency = Concurrency::Adaptive;
    if let Some(size) = job.size.filter(|size| (1..chunk).contains(size)) {
        // A paced Get pays for the range it asks before it is sent: a small
        // blob asks its listed size, not a whole chunk it would mostly be
        // refunded only after waiting for it.
        if options.max_bytes_per_second.is_some() {
            download.chunk_size = size;
        }
    }
    let target = pool.target(container, &job.name)?;
    // The mtime goes on the temporary file before it is moved into place.
    let report = pool.run(charge, transfer::download_to_file(&target, &job.path, &download, job.mtime, true)).await?;
    Ok(FileReport {
        bytes: report.bytes,
        resumed_blocks: 0,
        stats: report.stats,
        job_concurrency_backoffs: pool.files.halvings(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_mtime_survives_the_metadata_round_trip() {
        let mtime = UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
        let text = mtime_text(mtime).unwrap();
        assert_eq!(text, "1700000000.123456789");
        let metadata = Metadata::from([(MTIME_METADATA_KEY.to_owned(), text)]);
        assert_eq!(mtime_from_metadata(&metadata), Some(mtime));
    }

    #[test]
    fn mtimes_that_do_not_parse_are_none() {
        for bad in ["", "x", "1.x", "-1", "1.1234567890", "1.-5"] {
            let metadata = Metadata::from([(MTIME_METADATA_KEY.to_owned(), bad.to_owned())]);
            assert_eq!(mtime_from_metadata(&metadata), None, "{bad}");
        }
        let metadata = Metadata::from([(MTIME_METADATA_KEY.to_owned(), "12.5".to_owned())]);
        assert_eq!(mtime_from_metadata(&metadata), Some(UNIX_EPOCH + Duration::from_millis(12_500)));
        assert_eq!(mtime_from_metadata(&Metadata::new()), None);
    }

    #[test]
    fn a_zero_budget_is_invalid_input() {
        let err = Pool::new(Concurrency::Adaptive, 0, 1, None).err().unwrap();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(Pool::new(Concurrency::Fixed(0), 1 << 20, 1, None).is_err());
        assert!(Pool::new(Concurrency::Adaptive, 1 << 20, 1, Some(0)).is_err());
    }
}
