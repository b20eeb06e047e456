//! Faults, proven: the test kit's `FaultProxy` between the client and
//! Azurite injects resets, made-up 500/503/429s, stalls, truncations, closed
//! idle connections and lost answers from a seeded plan, and every scenario
//! ends byte-exact (or would end in a typed error), never silently corrupt.
//! Three seeds each at small sizes; `cargo xtask soak` runs twenty, and a
//! 1 GiB transfer against the sink.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use azblob::transport::{Clock, RetryOptions};
use azblob::{
    BatchOutcome, BlobServiceClient, ClientBuilder, CopySource, CopyStatus, DownloadOptions, ListBlobsOptions,
    DEV_ACCOUNT, DEV_ACCOUNT_KEY,
};
use azblob_testkit::{
    first_n, pseudo_random_bytes, Every, FaultKind, FaultPlan, FaultProxy, HttpFault, ProxyOptions, RetryHint,
    SeededPlan,
};
use futures_util::future::BoxFuture;
use futures_util::{stream, StreamExt, TryStreamExt};

const MIB: u64 = 1024 * 1024;
const SEEDS: [u64; 3] = [1, 2, 3];

/// A clock that does not sleep, so backoffs and hints cost no time.
#[derive(Debug)]
struct NoSleep;

impl Clock for NoSleep {
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// A proxy to Azurite with `plan`.
fn proxy(plan: impl FaultPlan + 'static) -> FaultProxy {
    FaultProxy::to_url(&support::endpoints().http, plan, ProxyOptions::default()).unwrap()
}

/// A builder for Azurite through `proxy`, with a 2 s inactivity timeout so a
/// stall is found quickly, and retries enough for a few faults in a row.
fn through(proxy: &FaultProxy) -> ClientBuilder {
    ClientBuilder::new()
        .endpoint(proxy.url_for(&support::endpoints().http))
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
        .inactivity_timeout(Duration::from_secs(2))
        .retry(RetryOptions { max_retries: 8, ..RetryOptions::default() })
}

/// [`through`] with a clock that never sleeps.
fn quick(proxy: &FaultProxy) -> BlobServiceClient {
    through(proxy).clock(Arc::new(NoSleep)).build().unwrap()
}

/// [`quick`] with a 30 s inactivity timeout, for scenarios without stalls
/// whose fault must fire where planned: Azurite, shared by every test and
/// holding their blobs, can take seconds over a batch, and a 2 s timeout
/// would end the exchange before the planned cut.
fn patient(proxy: &FaultProxy) -> BlobServiceClient {
    through(proxy).inactivity_timeout(Duration::from_secs(30)).clock(Arc::new(NoSleep)).build().unwrap()
}

/// 24 MiB up in 1 MiB blocks and down in 1 MiB chunks, with a fault of any
/// kind about every 3 MiB carried: the blob and the download are byte-exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_and_download_survive_a_fault_every_few_mib() {
    let direct = support::client();
    let container = support::new_container(&direct, "fault-xfer").await;
    for seed in SEEDS {
        let proxy = proxy(SeededPlan::new(seed, Every::Bytes(3 * MIB), &FaultKind::ALL));
        let client = quick(&proxy);
        let data = pseudo_random_bytes(24 * MIB, seed);
        let blob = client.blob(container.name(), format!("big-{seed}"));
        let report = blob
            .upload_opts(
                data.clone(),
                &azblob::UploadOptions {
                    block_size: MIB,
                    concurrency: 4.into(),
                    single_put_max: 0,
                    ..azblob::UploadOptions::default()
                },
            )
            .await;
        let report = report.unwrap_or_else(|e| panic!("seed {seed}: upload failed: {e:#} after {:?}", proxy.counts()));
        assert_eq!(report.bytes, 24 * MIB);
        let options = DownloadOptions { chunk_size: MIB, concurrency: 4.into(), ..DownloadOptions::default() };
        let got = blob
            .download_opts(&options)
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: download failed: {e:#} after {:?}", proxy.counts()));
        assert!(got == data, "seed {seed}: the download differs from the source");
        let stored = direct.blob(container.name(), format!("big-{seed}")).download().await.unwrap();
        assert!(stored == data, "seed {seed}: the stored blob differs from the source");
        let faults = proxy.injected().len();
        assert!(faults >= 8, "seed {seed}: 48 MiB at one fault per ~3 MiB injected only {faults}");
    }
}

/// 600 blobs listed 50 a page, with a fault on about every third page
/// request: exactly the names created, each once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_with_faults_between_pages_has_every_name_once() {
    let direct = support::client();
    let container = support::new_container(&direct, "fault-list").await;
    let names: Vec<String> = (0..600).map(|i| format!("item-{i:04}")).collect();
    stream::iter(names.iter().map(|n| container.blob(n)))
        .map(|blob| async move { blob.put("x").await })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    for seed in SEEDS {
        let plan = SeededPlan::new(seed, Every::Requests(3), &FaultKind::ALL).only(|r| r.has_query("comp", "list"));
        let proxy = proxy(plan);
        let options = ListBlobsOptions { max_results: Some(50), ..ListBlobsOptions::default() };
        let listed: Vec<String> = quick(&proxy)
            .container(container.name())
            .list_blobs_opts(&options)
            .map_ok(|item| item.name().to_owned())
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: listing failed: {e:#} after {:?}", proxy.counts()));
        assert_eq!(listed, names, "seed {seed}: names missing, repeated or out of order");
        assert!(proxy.injected().len() >= 3, "seed {seed}: {:?}", proxy.injected());
    }
}

/// A batch delete whose answer is cut (truncated, reset or lost after the
/// service deleted): the repeat reports every blob deleted, and none is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_delete_whose_answer_is_cut_reports_every_blob_deleted() {
    const CUTS: &[HttpFault] =
        &[HttpFault::Truncate { after: 300 }, HttpFault::ResetResponseBody { after: 40 }, HttpFault::LoseResponse];
    let direct = support::client();
    for seed in SEEDS {
        let container = support::new_container(&direct, "fault-batch").await;
        let names: Vec<String> = (0..30).map(|i| format!("gone-{i}")).collect();
        for name in &names {
            container.blob(name).put("x").await.unwrap();
        }
        let proxy = proxy(first_n(1, seed, CUTS.to_vec(), |r| r.has_query("comp", "batch")));
        let results = patient(&proxy)
            .container(container.name())
            .delete_blobs(&names)
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: batch failed: {e:#}"));
        assert_eq!(proxy.injected().len(), 1, "seed {seed}: the first batch answer was cut");
        for result in &results {
            assert!(matches!(result.outcome, BatchOutcome::Done), "seed {seed}: {}: {:?}", result.name, result.outcome);
        }
        let left: Vec<_> = direct.container(container.name()).list_blobs().collect().await;
        assert!(left.is_empty(), "seed {seed}: {} blobs survived the batch", left.len());
    }
}

/// An asynchronous copy whose status polls meet faults: the copy is seen to
/// succeed and the target holds the source's bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_copy_polled_through_faults_completes() {
    const POLL_FAULTS: &[HttpFault] = &[
        HttpFault::Status { status: 503, hint: RetryHint::Date(0) },
        HttpFault::Truncate { after: 0 },
        HttpFault::Stall,
        HttpFault::ResetResponseBody { after: 0 },
        HttpFault::Status { status: 500, hint: RetryHint::Seconds(0) },
    ];
    let direct = support::client();
    let container = support::new_container(&direct, "fault-copy").await;
    let data = pseudo_random_bytes(MIB, 9);
    direct.blob(container.name(), "source").put(data.clone()).await.unwrap();
    for seed in SEEDS {
        // Start Copy is not idempotent, so faults go only to the polls (HEAD
        // of the target; Azurite reads the source through the proxy too).
        let name = format!("copy-{seed}");
        let poll = format!("/{name}");
        let proxy =
            proxy(first_n(3, seed, POLL_FAULTS.to_vec(), move |r| r.method == "HEAD" && r.target.ends_with(&poll)));
        let client = quick(&proxy);
        let target = client.blob(container.name(), &name);
        let source = client.blob(container.name(), "source");
        let mut copy = target.start_copy(&CopySource::blob(&source)).await.unwrap();
        let state = copy
            .wait(Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: polling failed: {e:#} after {:?}", proxy.counts()));
        assert_eq!(state.status, CopyStatus::Success, "seed {seed}");
        assert_eq!(proxy.injected().len(), 3, "seed {seed}: {:?}", proxy.injected());
        let copied = direct.blob(container.name(), &name).download().await.unwrap();
        assert!(copied == data, "seed {seed}: the copy differs from its source");
    }
}

/// Put Block List reset after the service committed: the repeated commit of
/// the same ids succeeds, so the upload does not fail, and the blob is exact.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_whose_commit_answer_was_lost_succeeds() {
    let direct = support::client();
    let container = support::new_container(&direct, "fault-commit").await;
    for seed in SEEDS {
        let plan = first_n(1, seed, vec![HttpFault::LoseResponse], |r| r.has_query("comp", "blocklist"));
        let proxy = proxy(plan);
        let data = pseudo_random_bytes(4 * MIB + seed, seed);
        let name = format!("committed-{seed}");
        patient(&proxy)
            .blob(container.name(), &name)
            .upload_opts(
                data.clone(),
                &azblob::UploadOptions { block_size: MIB, single_put_max: 0, ..azblob::UploadOptions::default() },
            )
            .await
            .unwrap_or_else(|e| panic!("seed {seed}: the upload failed after its commit's answer was lost: {e:#}"));
        let lost = proxy.injected();
        assert_eq!(lost.len(), 1, "seed {seed}: {lost:?}");
        assert!(lost[0].target.contains("comp=blocklist"), "{lost:?}");
        assert!(direct.blob(container.name(), &name).download().await.unwrap() == data, "seed {seed}");
    }
}

/// The first request of a download gets a 503 with `hint`; with the real
/// clock, the download waits at least `at_least`, then succeeds.
async fn a_hint_is_waited(hint: RetryHint, at_least: Duration) {
    let direct = support::client();
    let container = support::new_container(&direct, "fault-hint").await;
    direct.blob(container.name(), "b").put("hinted").await.unwrap();
    let status = if matches!(hint, RetryHint::Millis(_)) { 429 } else { 503 };
    let proxy = proxy(first_n(1, 0, vec![HttpFault::Status { status, hint }], |_| true));
    let client = through(&proxy).build().unwrap();
    let started = Instant::now();
    let got = client.blob(container.name(), "b").download().await.unwrap();
    let waited = started.elapsed();
    assert_eq!(&got[..], b"hinted");
    assert_eq!((proxy.injected().len(), proxy.requests()), (1, 2), "one made-up answer, one retry");
    assert!(waited >= at_least, "{hint:?}: retried after {waited:?}");
    assert!(waited < at_least + Duration::from_secs(5), "{hint:?}: waited {waited:?}, far past the hint");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_in_seconds_is_waited() {
    a_hint_is_waited(RetryHint::Seconds(2), Duration::from_secs(2)).await;
}

/// A date has whole seconds, so "2 s from now" is between 1 and 2 s away.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retry_after_as_an_http_date_is_waited() {
    a_hint_is_waited(RetryHint::Date(2), Duration::from_secs(1)).await;
}

/// `x-ms-retry-after-ms` wins over the backoff (400 ms first) when longer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn x_ms_retry_after_ms_is_waited() {
    a_hint_is_waited(RetryHint::Millis(1500), Duration::from_millis(1500)).await;
}
