//! Timeouts that fit slow links, proven through the test kit's relay between
//! the client and Azurite: a throttled upload that keeps moving succeeds
//! under a short inactivity timeout (where reqwest's read timeout fails it),
//! a silent server fails within the timeout naming it, and a body that stops
//! mid-way is resumed.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use azblob::transport::{Clock, ReqwestTransport, RetryOptions, TimeoutKind, TransportError};
use azblob::UploadOptions;
use azblob::{ClientBuilder, ErrorKind, DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use azblob_testkit::{pseudo_random_bytes, Fault, Relay, Unreachable};
use futures_util::future::BoxFuture;

const MIB: u64 = 1024 * 1024;
/// The slow link: 512 KiB/s per connection and direction.
const SLOW: Fault = Fault::Throttle { bytes_per_second: 512 * 1024 };

/// A clock that does not sleep, so retries cost no time.
#[derive(Debug)]
struct NoSleep;

impl Clock for NoSleep {
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// A builder for the emulator reached through `relay`.
fn through(relay: &Relay) -> ClientBuilder {
    ClientBuilder::new()
        .endpoint(relay.url_for(&support::endpoints().http))
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
}

/// Which timeout an error names, from its transport error source.
fn timeout_of(err: &azblob::Error) -> Option<TimeoutKind> {
    err.get_ref()?.downcast_ref::<TransportError>()?.timeout()
}

/// 16 MiB in two 8 MiB blocks at 512 KiB/s per connection: each Put Block
/// takes about 16 s, three times the 5 s inactivity timeout, yet bytes move
/// all along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_upload_outlasting_the_inactivity_timeout_succeeds() {
    let direct = support::client();
    let container = support::new_container(&direct, "slow-up").await;
    let relay = Relay::to_url(&support::endpoints().http, |_| SLOW).unwrap();
    // No retries: success means no attempt timed out.
    let slow = through(&relay).inactivity_timeout(Duration::from_secs(5)).retry(RetryOptions::none()).build().unwrap();
    let data = pseudo_random_bytes(16 * MIB, 21);
    let started = Instant::now();
    let report = slow
        .blob(container.name(), "big")
        .upload_opts(
            data.clone(),
            &UploadOptions {
                block_size: 8 * MIB,
                concurrency: 2.into(),
                single_put_max: 0,
                ..UploadOptions::default()
            },
        )
        .await
        .expect("a slow link that keeps moving is not a failure");
    let took = started.elapsed();
    assert_eq!((report.bytes, report.blocks), (16 * MIB, 2));
    assert_eq!(relay.connections(), 2, "the blocks went in parallel, each on its own slow connection");
    assert!(took >= Duration::from_secs(15), "each block must outlast the timeout to prove anything: {took:?}");
    assert_eq!(direct.blob(container.name(), "big").download().await.unwrap(), data);
}

/// The setup above, one block, with reqwest's `read_timeout` of 5 s (the
/// library's old behaviour): its clock runs while the body is sent, so
/// the block fails although bytes never stop moving.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_old_read_timeout_fails_the_same_block() {
    let direct = support::client();
    let container = support::new_container(&direct, "slow-old").await;
    let relay = Relay::to_url(&support::endpoints().http, |_| SLOW).unwrap();
    let old_wire = reqwest::Client::builder()
        .read_timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let old = through(&relay)
        .transport(Arc::new(ReqwestTransport::from_client(old_wire)))
        .retry(RetryOptions::none())
        .build()
        .unwrap();
    let started = Instant::now();
    let err = old
        .blob(container.name(), "big")
        .upload_opts(
            pseudo_random_bytes(4 * MIB, 22),
            &UploadOptions { block_size: 4 * MIB, single_put_max: 0, ..UploadOptions::default() },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    let took = started.elapsed();
    assert!(took >= Duration::from_secs(5) && took < Duration::from_secs(8), "{took:?}");
}

/// A server that accepts and never answers: each attempt ends after the
/// inactivity timeout, is retried like a lost answer (a GET is safe to
/// repeat), and the error names the inactivity timeout.
#[tokio::test]
async fn a_silent_server_fails_within_the_inactivity_timeout_after_retries() {
    let relay = Relay::to_url(&support::endpoints().http, |_| Fault::Stall).unwrap();
    let retry = RetryOptions { max_retries: 2, ..RetryOptions::default() };
    let client = through(&relay)
        .inactivity_timeout(Duration::from_secs(1))
        .retry(retry)
        .clock(Arc::new(NoSleep))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.blob("silent", "b").download().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("inactivity timeout"), "{err}");
    assert_eq!(timeout_of(&err), Some(TimeoutKind::Inactivity), "{err:?}");
    assert_eq!(relay.connections(), 3, "one attempt and two retries, each on a new connection");
    assert!(took >= Duration::from_secs(3) && took < Duration::from_secs(6), "{took:?}");
}

/// A Put Block whose connection goes silent is retried like a lost answer
/// (staging a block twice is harmless), and the upload completes.
#[tokio::test]
async fn a_block_that_times_out_is_retried_and_the_upload_completes() {
    let direct = support::client();
    let container = support::new_container(&direct, "slow-retry").await;
    let relay = Relay::to_url(&support::endpoints().http, |n| if n == 0 { Fault::Stall } else { Fault::Pass }).unwrap();
    let client = through(&relay).inactivity_timeout(Duration::from_secs(1)).clock(Arc::new(NoSleep)).build().unwrap();
    let data = pseudo_random_bytes(MIB, 25);
    let report = client
        .blob(container.name(), "b")
        .upload_opts(
            data.clone(),
            &UploadOptions {
                block_size: MIB / 2,
                concurrency: 1.into(),
                single_put_max: 0,
                ..UploadOptions::default()
            },
        )
        .await
        .expect("the silent attempt is retried on a new connection");
    assert_eq!(report.blocks, 2);
    assert!(relay.connections() >= 2, "the first connection stalled, a retry took another");
    assert_eq!(direct.blob(container.name(), "b").download().await.unwrap(), data);
}

/// The overall deadline ends an operation, retries included, and says so.
#[tokio::test]
async fn the_deadline_bounds_an_operation_and_its_retries() {
    let relay = Relay::to_url(&support::endpoints().http, |_| Fault::Stall).unwrap();
    let client = through(&relay)
        .inactivity_timeout(Duration::from_millis(300))
        .deadline(Duration::from_secs(1))
        .retry(RetryOptions { max_retries: 100, ..RetryOptions::default() })
        .clock(Arc::new(NoSleep))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.blob("silent", "b").download().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert_eq!(timeout_of(&err), Some(TimeoutKind::Deadline), "{err:?}");
    assert!(err.to_string().contains("deadline"), "{err}");
    assert!(took >= Duration::from_secs(1) && took < Duration::from_secs(3), "{took:?}");
    assert!(relay.connections() >= 3, "the inactivity timeout retried within the deadline");
}

/// A download whose first body stops after 1 MiB (headers included) and
/// goes silent: the inactivity timeout ends the read, and the download
/// resumes from the last byte on a new connection.
#[tokio::test]
async fn a_body_that_stops_midway_is_resumed() {
    let direct = support::client();
    let container = support::new_container(&direct, "slow-stall").await;
    let data = pseudo_random_bytes(3 * MIB, 23);
    direct.blob(container.name(), "b").put(data.clone()).await.unwrap();
    let relay =
        Relay::to_url(
            &support::endpoints().http,
            |n| {
                if n == 0 {
                    Fault::StallAfter { bytes: MIB }
                } else {
                    Fault::Pass
                }
            },
        )
        .unwrap();
    let client = through(&relay).inactivity_timeout(Duration::from_secs(1)).build().unwrap();
    let started = Instant::now();
    let mut bytes = Vec::new();
    let report = client.blob(container.name(), "b").download_to_writer(&mut bytes).await.unwrap();
    assert!(bytes == data);
    assert_eq!(report.body_resumes, 1, "{report:?}");
    assert_eq!(relay.connections(), 2);
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

/// A request body is streamed (so its sending can reset the inactivity
/// timer) but still goes out with its length, not chunked: the service
/// refuses chunked uploads.
#[tokio::test]
async fn a_streamed_request_body_keeps_its_content_length() {
    let listener = support::listener::Listener::start(|_, _| {
        support::listener::response(
            201,
            &[("ETag", "\"0x1\""), ("Last-Modified", "Mon, 23 Nov 2026 10:00:00 GMT")],
            b"",
        )
    });
    let client = ClientBuilder::new()
        .endpoint(format!("http://127.0.0.1:{}/{DEV_ACCOUNT}", listener.port()))
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
        .build()
        .unwrap();
    let data = pseudo_random_bytes(200 * 1024, 24);
    client.blob("cont", "b").put(data.clone()).await.unwrap();
    let received = listener.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].header("content-length").as_deref(), Some("204800"));
    assert_eq!(received[0].header("transfer-encoding"), None);
    assert_eq!(received[0].body, data);
}

/// A host that never completes the TCP handshake: each attempt ends after
/// the connect timeout, is retried (a connection never made carried no
/// request), and the error names the connect timeout.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn an_unreachable_host_fails_within_the_connect_timeout() {
    let unreachable = Unreachable::start().unwrap();
    let port = unreachable.port();
    let retry = RetryOptions { max_retries: 2, ..RetryOptions::default() };
    let client = ClientBuilder::new()
        .endpoint(format!("http://127.0.0.1:{port}/{DEV_ACCOUNT}"))
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
        .connect_timeout(Duration::from_millis(300))
        .inactivity_timeout(Duration::from_secs(30))
        .retry(retry)
        .clock(Arc::new(NoSleep))
        .build()
        .unwrap();
    let started = Instant::now();
    let err = client.blob("unreachable", "b").properties().await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(timeout_of(&err), Some(TimeoutKind::Connect), "{err:?}");
    assert!(err.to_string().contains("connect timeout"), "{err}");
    assert!(err.to_string().contains(&format!("127.0.0.1:{port}")), "the error names the endpoint: {err}");
    // Three attempts of 300 ms, far below the 30 s inactivity timeout.
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(5), "{took:?}");
}
