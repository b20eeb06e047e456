//! Adaptive concurrency against Azurite: through the test kit's
//! `FaultProxy` answering 503 to Put Blocks and ranged GETs, an adaptive
//! transfer still ends byte-exact and reports that it backed off; and the
//! concurrent API for many small blobs (`put_blobs`, `get_blobs`) round-trips
//! 200 blobs, one bad name failing alone.

mod support;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use azblob::transport::{Clock, RetryOptions};
use azblob::{
    ClientBuilder, Concurrency, DownloadOptions, ErrorKind, GetBlobsOptions, PutBlobsOptions, UploadOptions,
    DEV_ACCOUNT, DEV_ACCOUNT_KEY,
};
use azblob_testkit::{pseudo_random_bytes, FaultProxy, HttpFault, ProxyOptions, RequestInfo, RetryHint};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::StreamExt;

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// A clock that does not sleep, so backoffs cost no time.
#[derive(Debug)]
struct NoSleep;

impl Clock for NoSleep {
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// A proxy to Azurite answering every fourth request that `filter` picks
/// with a 503 (no retry hint), and passing the rest.
fn throttling(filter: impl Fn(&RequestInfo) -> bool + Send + Sync + 'static) -> FaultProxy {
    let seen = AtomicUsize::new(0);
    let plan = move |r: &RequestInfo| {
        if filter(r) && seen.fetch_add(1, Ordering::SeqCst) % 4 == 3 {
            HttpFault::Status { status: 503, hint: RetryHint::None }
        } else {
            HttpFault::Pass
        }
    };
    FaultProxy::to_url(&support::endpoints().http, plan, ProxyOptions::default()).unwrap()
}

fn through(proxy: &FaultProxy) -> azblob::BlobServiceClient {
    ClientBuilder::new()
        .endpoint(proxy.url_for(&support::endpoints().http))
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
        .retry(RetryOptions { max_retries: 8, ..RetryOptions::default() })
        .clock(Arc::new(NoSleep))
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adaptive_upload_through_503s_backs_off_and_stays_byte_exact() {
    let direct = support::client();
    let container = support::new_container(&direct, "adaptive-up").await;
    let proxy = throttling(|r| r.has_query("comp", "block"));
    let client = through(&proxy);
    let data = pseudo_random_bytes(16 * MIB, 7);
    let blob = client.blob(container.name(), "throttled");
    let options = UploadOptions { block_size: 256 * KIB, single_put_max: 0, ..UploadOptions::default() };
    assert_eq!(options.concurrency, Concurrency::Adaptive);
    let report = blob.upload_opts(data.clone(), &options).await.unwrap();
    assert_eq!(report.blocks, 64);
    assert!(report.concurrency_backoffs >= 1, "{report:?}");
    assert!(proxy.injected().len() >= 10, "{:?}", proxy.counts());
    // The report counts every attempt the retries hid: each 503 was
    // throttled and retried, and the rest are the 64 blocks and the commit.
    let stats = report.stats;
    assert_eq!(stats.throttled, proxy.injected().len() as u64, "{stats:?}");
    assert_eq!(stats.retries, stats.throttled, "{stats:?}");
    assert_eq!(stats.requests, 64 + 1 + stats.retries, "{stats:?}");
    assert_eq!(stats.requests, proxy.requests() as u64, "the proxy saw every attempt");
    assert!(stats.service_time > Duration::ZERO, "{stats:?}");
    let stored = direct.blob(container.name(), "throttled").download().await.unwrap();
    assert!(stored == data, "the stored blob differs from the source");
}

/// A file upload takes the buffer pool and the limiter together: under
/// 503s that halve the level, with the whole blob's MD5 fed in order (a
/// block holding a place waits for the blocks before it), it ends, holds no
/// more block buffers than its budget, and stores the exact bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adaptive_file_upload_with_md5_stays_within_its_budget_under_503s() {
    let direct = support::client();
    let container = support::new_container(&direct, "adaptive-file").await;
    let proxy = throttling(|r| r.has_query("comp", "block"));
    let client = through(&proxy);
    let data = pseudo_random_bytes(12 * MIB, 11);
    let dir = support::scratch("adaptive-file");
    let path = dir.join("source.bin");
    std::fs::write(&path, &data).unwrap();
    let blob = client.blob(container.name(), "file");
    let options = UploadOptions {
        block_size: 256 * KIB,
        memory_budget: 4 * 256 * KIB,
        single_put_max: 0,
        blob_md5: true,
        ..UploadOptions::default()
    };
    let report = blob.upload_opts(azblob::UploadSource::file(&path), &options).await.unwrap();
    assert_eq!(report.blocks, 48);
    assert!(report.peak_buffer_bytes <= 4 * 256 * KIB, "{report:?}");
    assert!(report.peak_concurrency <= 4, "{report:?}");
    assert!(report.concurrency_backoffs >= 1, "{report:?}");
    let stored = direct.blob(container.name(), "file").download().await.unwrap();
    assert!(stored == data, "the stored blob differs from the source");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adaptive_download_through_503s_backs_off_and_stays_byte_exact() {
    let direct = support::client();
    let container = support::new_container(&direct, "adaptive-down").await;
    let data = pseudo_random_bytes(16 * MIB, 8);
    direct.blob(container.name(), "throttled").upload(data.clone()).await.unwrap();
    let proxy = throttling(|r| r.method == "GET");
    let client = through(&proxy);
    let dir = support::scratch("adaptive-down");
    let path = dir.join("out.bin");
    let options = DownloadOptions { chunk_size: 256 * KIB, ..DownloadOptions::default() };
    let report = client.blob(container.name(), "throttled").download_to_file_opts(&path, &options).await.unwrap();
    assert_eq!(report.chunks, 64);
    assert!(report.concurrency_backoffs >= 1, "{report:?}");
    let stats = report.stats;
    assert_eq!(stats.throttled, proxy.injected().len() as u64, "{stats:?}");
    assert_eq!(stats.requests, 64 + stats.retries, "{stats:?}");
    assert_eq!(stats.requests, proxy.requests() as u64, "the proxy saw every attempt");
    assert!(std::fs::read(&path).unwrap() == data, "the file differs from the blob");
    // A fixed concurrency is pinned: it never backs off, whatever the answers.
    let fixed = DownloadOptions { concurrency: 3.into(), ..options };
    let report = client.blob(container.name(), "throttled").download_to_file_opts(&path, &fixed).await.unwrap();
    assert_eq!(report.concurrency_backoffs, 0);
    assert!(report.peak_concurrency <= 3, "{report:?}");
    std::fs::remove_dir_all(dir).ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn put_blobs_and_get_blobs_round_trip_200_blobs_and_fail_one_bad_name_alone() {
    let client = support::client();
    let container = support::new_container(&client, "many").await;
    let blobs: BTreeMap<String, Bytes> =
        (0..200u64).map(|i| (format!("small/{i:03}"), Bytes::from(pseudo_random_bytes(1000 + i, i)))).collect();
    let mut items: Vec<(String, Bytes)> = blobs.clone().into_iter().collect();
    // An empty name is invalid input, refused before it is sent.
    items.insert(100, (String::new(), Bytes::from_static(b"x")));

    let mut put: BTreeMap<String, azblob::Result<azblob::WriteResult>> =
        container.put_blobs(items).collect::<Vec<_>>().await.into_iter().collect();
    let bad = put.remove("").expect("the bad name has its own outcome");
    assert_eq!(bad.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(put.len(), 200);
    for (name, result) in &put {
        assert!(result.is_ok(), "{name}: {result:?}");
    }

    let mut names: Vec<String> = blobs.keys().cloned().collect();
    names.push("small/missing".to_owned());
    let options = GetBlobsOptions { concurrency: Concurrency::Adaptive };
    let mut got: BTreeMap<String, azblob::Result<Bytes>> =
        container.get_blobs_opts(names, &options).collect::<Vec<_>>().await.into_iter().collect();
    let missing = got.remove("small/missing").expect("the missing blob has its own outcome");
    assert_eq!(missing.unwrap_err().kind(), ErrorKind::NotFound);
    assert_eq!(got.len(), 200);
    for (name, data) in &blobs {
        let fetched = got[name].as_ref().unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(fetched == data, "{name} differs");
    }

    // A pinned concurrency of zero fails each blob, not the call.
    let zero = PutBlobsOptions { concurrency: Concurrency::Fixed(0), ..PutBlobsOptions::default() };
    let outcomes: Vec<_> = container.put_blobs_opts(vec![("z".to_owned(), Bytes::new())], &zero).collect().await;
    assert_eq!(outcomes.len(), 1);
    assert_eq!(outcomes[0].1.as_ref().unwrap_err().kind(), ErrorKind::InvalidInput);
}
