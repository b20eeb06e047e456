//! A many-file job's shared budgets against Azurite: the job's adaptive
//! concurrency backs off when the test kit's `FaultProxy` answers 503s to
//! its files, and a rate cap paces the bytes on the wire (also within one
//! large file), not only the files' starts.

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use azblob::transport::{Clock, RetryOptions};
use azblob::{
    ClientBuilder, Concurrency, DownloadFilesOptions, FileJob, UploadFilesOptions, DEV_ACCOUNT, DEV_ACCOUNT_KEY,
};
use azblob_testkit::{pseudo_random_bytes, FaultProxy, HttpFault, ProxyOptions, RequestInfo, RetryHint};
use futures_util::future::BoxFuture;
use futures_util::{stream, StreamExt};

/// A clock that does not sleep, so retry backoffs cost no time.
#[derive(Debug)]
struct NoSleep;

impl Clock for NoSleep {
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// Writes `count` files of `size` bytes under `dir` and their jobs, named `prefix/f{i}`.
fn files(dir: &std::path::Path, count: usize, size: usize, prefix: &str) -> Vec<FileJob> {
    (0..count)
        .map(|i| {
            let path = dir.join(format!("f{i}"));
            std::fs::write(&path, pseudo_random_bytes(size as u64, i as u64)).unwrap();
            FileJob { path, name: format!("{prefix}/f{i}"), ..FileJob::default() }
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_job_backs_off_and_ends_complete() {
    let direct = support::client();
    let container = support::new_container(&direct, "files-job").await;
    let dir = support::scratch("files-job-503");
    // Every fourth Put Blob and every fourth ranged Get is answered 503.
    let seen = AtomicUsize::new(0);
    let plan = move |r: &RequestInfo| {
        let data =
            (r.method == "PUT" || r.method == "GET") && !r.target.contains("comp=") && !r.target.contains("restype");
        if data && seen.fetch_add(1, Ordering::SeqCst) % 4 == 3 {
            HttpFault::Status { status: 503, hint: RetryHint::None }
        } else {
            HttpFault::Pass
        }
    };
    let proxy = FaultProxy::to_url(&support::endpoints().http, plan, ProxyOptions::default()).unwrap();
    let client = ClientBuilder::new()
        .endpoint(proxy.url_for(&support::endpoints().http))
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
        .retry(RetryOptions { max_retries: 8, ..RetryOptions::default() })
        .clock(Arc::new(NoSleep))
        .build()
        .unwrap();
    let throttled = client.container(container.name());
    let jobs = files(&dir, 120, 2_000, "t");
    let options = UploadFilesOptions::default();
    assert_eq!(options.concurrency, Concurrency::Adaptive);
    let results: Vec<_> = throttled.upload_files_opts(stream::iter(jobs.clone()), &options).collect().await;
    assert!(results.iter().all(|(_, r)| r.is_ok()), "every file ends complete: {results:?}");
    let backoffs = results.iter().map(|(_, r)| r.as_ref().unwrap().job_concurrency_backoffs).max().unwrap();
    assert!(backoffs >= 1, "the job's limiter halved on the 503s its files met");
    let injected = proxy.injected().len();
    assert!(injected >= 20, "{:?}", proxy.counts());
    for job in &jobs {
        let stored = direct.blob(container.name(), &job.name).download().await.unwrap();
        assert_eq!(stored, std::fs::read(&job.path).unwrap(), "{}", job.name);
    }

    // The same for a download of the files just sent.
    let out = dir.join("out");
    let downloads: Vec<FileJob> = jobs
        .iter()
        .map(|j| FileJob { path: out.join(&j.name), name: j.name.clone(), size: Some(2_000), ..FileJob::default() })
        .collect();
    let results: Vec<_> = throttled
        .download_files_opts(stream::iter(downloads.clone()), &DownloadFilesOptions::default())
        .collect()
        .await;
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    let backoffs = results.iter().map(|(_, r)| r.as_ref().unwrap().job_concurrency_backoffs).max().unwrap();
    assert!(backoffs >= 1, "the download job's limiter halved too");
    assert!(proxy.injected().len() > injected + 10, "{:?}", proxy.counts());
    for (up, down) in jobs.iter().zip(&downloads) {
        assert_eq!(std::fs::read(&down.path).unwrap(), std::fs::read(&up.path).unwrap());
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_rate_cap_paces_the_bytes_of_one_large_file_both_ways() {
    let container = support::new_container(&support::client(), "files-job").await;
    let dir = support::scratch("files-job-cap");
    // One file of 600 KB in 64 KiB blocks: a cap that paced file starts
    // alone would let it go at full speed.
    let size = 600_000u64;
    let jobs = files(&dir, 1, size as usize, "cap");
    let rate = 300_000u64;
    let lower_bound = Duration::from_secs_f64(size as f64 / rate as f64);
    let mut options = UploadFilesOptions { max_bytes_per_second: Some(rate), ..UploadFilesOptions::default() };
    options.upload.block_size = 64 * 1024;

    let started = Instant::now();
    let results: Vec<_> = container.upload_files_opts(stream::iter(jobs.clone()), &options).collect().await;
    let capped = started.elapsed();
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert!(capped >= lower_bound, "capped upload took {capped:?}, less than {lower_bound:?}");

    options.max_bytes_per_second = None;
    let started = Instant::now();
    let results: Vec<_> = container.upload_files_opts(stream::iter(jobs.clone()), &options).collect().await;
    let free = started.elapsed();
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert!(free < capped, "uncapped {free:?} is faster than capped {capped:?}");

    let download =
        FileJob { path: dir.join("back"), name: "cap/f0".to_owned(), size: Some(size), ..FileJob::default() };
    let mut options = DownloadFilesOptions { max_bytes_per_second: Some(rate), ..DownloadFilesOptions::default() };
    options.download.chunk_size = 64 * 1024;
    let started = Instant::now();
    let results: Vec<_> = container.download_files_opts(stream::iter([download.clone()]), &options).collect().await;
    let capped = started.elapsed();
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert!(capped >= lower_bound, "capped download took {capped:?}, less than {lower_bound:?}");
    assert_eq!(std::fs::read(&download.path).unwrap(), std::fs::read(&jobs[0].path).unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}
