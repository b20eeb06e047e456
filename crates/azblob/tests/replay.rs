//! What Azurite cannot show, replayed from documented wire exchanges: blob
//! versions, a pending copy polled to success, and Abort Copy Blob.
//!
//! The cassettes are hand-written `azblob-cassette/1` files in
//! `testdata/cassettes/hand/`; each one's `note` says why it is a replay and
//! where its exchanges come from. The clients sign with Shared Key (so the
//! copy source gets a generated read SAS) but never reach a network: the
//! simulation layer answers every request, and each test uses every
//! interaction of its cassette.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use azblob::sim::{Cassette, CassetteRequest, Matching};
use azblob::sim::{SimulationMode, SimulationOptions};
use azblob::transport::{Clock, HttpTransport, Request, Response, RetryOptions, TransportError};
use azblob::{
    BlobSelector, BlobServiceClient, ClientBuilder, Conditions, CopyOptions, CopySource, CopyState, CopyStatus,
    DeleteBlobOptions, ErrorKind, GetOptions, PropertiesOptions, WaitOptions, DEV_ACCOUNT_KEY,
};
use futures_util::future::BoxFuture;

/// The endpoint the cassettes were written for (no account in the path).
const ENDPOINT: &str = "https://fakestorageaccount.blob.core.windows.net";

/// The wire below the simulation layer: a replay that reached it is a bug.
#[derive(Debug)]
struct NoNetwork;

impl HttpTransport for NoNetwork {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        panic!("a replay reached the network: {request:?}")
    }
}

fn cassette_path(name: &str) -> PathBuf {
    azblob_testkit::workspace_root().join("testdata/cassettes/hand").join(name)
}

/// A Shared Key client replaying `testdata/cassettes/hand/{name}` with `matching`.
fn client_for(name: &str, matching: Matching) -> BlobServiceClient {
    builder_for(name, matching).build().unwrap()
}

/// The builder of [`client_for`], for tests that set more.
fn builder_for(name: &str, matching: Matching) -> ClientBuilder {
    let path = cassette_path(name);
    let cassette = Cassette::load(&path).unwrap();
    assert!(cassette.note.as_deref().is_some_and(|n| n.contains("Why a replay")), "{name} must say why it is a replay");
    ClientBuilder::new()
        .endpoint(ENDPOINT)
        .shared_key("fakestorageaccount", DEV_ACCOUNT_KEY)
        .unwrap()
        .retry(RetryOptions::none())
        .transport(Arc::new(NoNetwork))
        .simulation(SimulationMode::Replay, path)
        .simulation_options(SimulationOptions::new().matching(matching))
}

/// One version's content: a Get Blob with `versionid=`.
async fn version(blob: &azblob::BlobClient, id: &str) -> azblob::Result<bytes::Bytes> {
    blob.get_opts(&GetOptions { selector: BlobSelector::version(id), ..GetOptions::default() }).await?.bytes().await
}

/// Panics unless every interaction of the cassette was replayed.
fn assert_done(client: &BlobServiceClient) {
    let stats = client.simulation_stats().unwrap();
    assert_eq!((stats.unused, stats.replayed), (0, stats.interactions), "{stats:?}");
}

/// The copy-source URL without its validity window (`st`, `se`), which
/// follows the clock the SAS was generated at.
fn without_window(copy_source: &str) -> String {
    let mut url: url::Url = copy_source.parse().unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != "st" && k != "se")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    url.query_pairs_mut().clear().extend_pairs(pairs);
    url.to_string()
}

/// The copy cassettes' matching: as `Sequential` (the n-th request to a path
/// gets the n-th answer, which is what polling needs), but stricter: the
/// query and headers must match too, except the generated SAS's validity
/// window. Every request it accepts is kept in `sent`, sanitized (the SAS
/// signature reads `REDACTED`).
fn sequential_keeping(sent: &Arc<Mutex<Vec<CassetteRequest>>>) -> Matching {
    let sent = Arc::clone(sent);
    Matching::custom(move |s, r| {
        let headers = |req: &CassetteRequest| {
            let mut h = req.headers.clone();
            if let Some(v) = h.get_mut("x-ms-copy-source") {
                *v = without_window(v);
            }
            h
        };
        let same = s.method == r.method && s.path == r.path && s.query == r.query && headers(s) == headers(r);
        if same {
            sent.lock().unwrap().push(s.clone());
        }
        same
    })
}

/// Replay: Azurite ignores `versionid` and has no versions (see the cassette's `note`).
#[tokio::test]
async fn versions_list_get_and_delete_by_id() {
    // `Exact`: every request must carry exactly the recorded query, so a
    // read or delete without `versionid=` (or with another value) finds no answer.
    let client = client_for("versions.json", Matching::Exact);
    let blob = client.blob("container159218742224703366", "blob159218742269309927");

    let versions = blob.list_versions().await.unwrap();
    let ids: Vec<&str> = versions.iter().map(|v| v.version_id.as_deref().unwrap()).collect();
    assert_eq!(
        ids,
        ["2020-06-15T02:17:03.6740094Z", "2020-06-15T02:17:03.0755841Z", "2020-06-15T02:17:02.7893828Z"],
        "newest first"
    );
    assert_eq!(versions[0].is_current_version, Some(true));
    assert_eq!(versions[1].content_length, 0);

    // Every read and delete by id sends `versionid=` (`Exact` matching checks the query).
    let oldest = version(&blob, "2020-06-15T02:17:02.7893828Z").await.unwrap();
    assert_eq!(&oldest[..], b"Hello World");
    let props = blob
        .properties_opts(&PropertiesOptions {
            selector: BlobSelector::version("2020-06-15T02:17:03.0755841Z"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(props.content_length, 0);
    assert_eq!(props.version_id.as_deref(), Some("2020-06-15T02:17:03.0755841Z"));
    blob.delete_opts(&DeleteBlobOptions {
        selector: BlobSelector::version("2020-06-15T02:17:03.0755841Z"),
        ..Default::default()
    })
    .await
    .unwrap();
    let err = version(&blob, "2020-06-15T02:17:03.0755841Z").await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::NotFound, Some("BlobNotFound")));

    // The current blob is untouched and says it is the current version.
    let current = blob.get().await.unwrap();
    assert_eq!(current.head.properties.is_current_version, Some(true));
    assert_eq!(current.head.properties.version_id.as_deref(), Some("2020-06-15T02:17:03.6740094Z"));
    assert_eq!(&current.bytes().await.unwrap()[..], b"Hello World");
    assert_done(&client);
}

/// Replay: Azurite completes every copy at once, never `pending` (see the cassette's `note`).
#[tokio::test]
async fn pending_copy_is_polled_to_success() {
    let sent = Arc::default();
    let client = client_for("copy_pending_to_success.json", sequential_keeping(&sent));
    let source = client.blob("src", "big.bin");
    let target = client.blob("dst", "big-copy.bin");

    let mut copy = target.start_copy(&CopySource::blob(&source)).await.unwrap();
    assert_eq!(copy.last_state().status, CopyStatus::Pending);
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let wait = WaitOptions {
        timeout: Some(Duration::from_secs(10)),
        poll_interval: Duration::from_millis(1),
        max_poll_interval: Duration::from_millis(2),
        on_progress: Some(Arc::new(move |s: &CopyState| log.lock().unwrap().push((s.status.clone(), s.progress)))),
    };
    let done = copy.wait_opts(&wait).await.unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(done.status, CopyStatus::Success);
    assert!(done.completed_on.is_some());
    assert_eq!(
        seen,
        [
            (CopyStatus::Pending, Some((0, 10_485_760))),
            (CopyStatus::Pending, Some((4_194_304, 10_485_760))),
            (CopyStatus::Success, Some((10_485_760, 10_485_760))),
        ]
    );

    // The source was authorized with a short-lived read SAS generated from the key.
    let start = sent.lock().unwrap()[0].clone();
    let copy_source: url::Url = start.headers["x-ms-copy-source"].parse().unwrap();
    assert_eq!(copy_source.path(), "/src/big.bin");
    let sas: std::collections::BTreeMap<String, String> = copy_source.query_pairs().into_owned().collect();
    assert_eq!(sas.get("sp").map(String::as_str), Some("r"));
    assert_eq!(sas.get("sr").map(String::as_str), Some("b"));
    assert!(sas.contains_key("sig") && sas.contains_key("se"), "{sas:?}");
    assert_eq!(start.headers.get("x-ms-requires-sync"), None, "an asynchronous copy");
    assert_eq!(sent.lock().unwrap().len(), 4);
    assert_done(&client);
}

/// A clock that records the pauses asked of it and returns at once.
#[derive(Debug, Default)]
struct RecordingClock(Mutex<Vec<Duration>>);

impl Clock for RecordingClock {
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.0.lock().unwrap().push(duration);
        Box::pin(async {})
    }
}

/// Replay: a copy's polls wait on the client's clock, the injectable one the
/// retry layer uses, never on the runtime's timer behind its back: 500 ms,
/// then doubled, between the three polls of the pending copy.
#[tokio::test]
async fn copy_polls_wait_on_the_clients_clock() {
    let clock = Arc::new(RecordingClock::default());
    let client = builder_for("copy_pending_to_success.json", sequential_keeping(&Arc::default()))
        .clock(Arc::clone(&clock) as Arc<dyn Clock>)
        .build()
        .unwrap();
    let target = client.blob("dst", "big-copy.bin");
    let mut copy = target.start_copy(&CopySource::blob(&client.blob("src", "big.bin"))).await.unwrap();
    let started = std::time::Instant::now();
    let done = copy.wait(Duration::from_secs(60)).await.unwrap();
    assert_eq!(done.status, CopyStatus::Success);
    assert_eq!(*clock.0.lock().unwrap(), [Duration::from_millis(500), Duration::from_secs(1)]);
    assert!(started.elapsed() < Duration::from_millis(500), "no real pause: {:?}", started.elapsed());
    assert_done(&client);
}

/// Replay: a wait with no practical deadline and enormous poll intervals
/// neither overflows the deadline nor the doubling of the pause. The clock is
/// paused, so tokio jumps over each pause instead of sleeping through it.
#[tokio::test(start_paused = true)]
async fn pending_copy_waits_with_huge_intervals_and_timeout() {
    let client = client_for("copy_pending_to_success.json", sequential_keeping(&Arc::default()));
    let source = client.blob("src", "big.bin");
    let target = client.blob("dst", "big-copy.bin");
    let mut copy = target.start_copy(&CopySource::blob(&source)).await.unwrap();
    let wait = WaitOptions {
        timeout: Some(Duration::MAX),
        poll_interval: Duration::MAX / 2,
        max_poll_interval: Duration::MAX,
        on_progress: None,
    };
    let done = copy.wait_opts(&wait).await.unwrap();
    assert_eq!(done.status, CopyStatus::Success);
    assert_done(&client);
}

/// Replay: a pending copy into a leased blob, which Azurite never has (see
/// the cassette's `note`): its abort needs the destination's lease id.
#[tokio::test]
async fn a_pending_copy_into_a_leased_blob_is_aborted_with_its_lease_id() {
    let sent = Arc::default();
    let client = client_for("copy_abort_leased.json", sequential_keeping(&sent));
    let target = client.blob("dst", "leased-copy.bin");
    let source = CopySource::blob(&client.blob("src", "big.bin"));
    let lease = Conditions::lease("f81d4fae-7dec-11d0-a765-00a0c91e6bf6");
    let options = CopyOptions { conditions: lease.clone(), ..CopyOptions::default() };
    let copy = target.start_copy_opts(&source, &options).await.unwrap();
    let copy_id = "0b9a4c3e-5f6d-4e7a-8b9c-0d1e2f3a4b5c";

    // Without the lease id the service refuses the abort.
    let err = target.abort_copy(copy_id).await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::PreconditionFailed, Some("LeaseIdMissing")));
    // The operation sends the lease id the copy was started with (the
    // matcher compared the headers, lease id included).
    copy.abort().await.unwrap();
    // abort_copy_opts names it explicitly; the copy is no longer pending.
    let err = target.abort_copy_opts(copy_id, &lease).await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::Conflict, Some("NoPendingCopyOperation")));
    // Abort Copy Blob takes no other condition: refused before sending.
    let etag = Conditions { if_match: Some(azblob::ETag("\"0x1\"".into())), ..lease };
    assert_eq!(target.abort_copy_opts(copy_id, &etag).await.unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(sent.lock().unwrap().len(), 4);
    assert_done(&client);
}

/// Replay: a copy "only if new" onto an existing blob refused 412, which
/// Azurite answers 409 (see the cassette's `note`): both copies read it as
/// `AlreadyExists`, as Put Blob does.
#[tokio::test]
async fn a_create_only_copy_refused_412_is_already_exists() {
    let sent = Arc::default();
    let client = client_for("copy_if_not_exists_412.json", sequential_keeping(&sent));
    let target = client.blob("dst", "taken.bin");
    let source = CopySource::Url("https://fakestorageaccount.blob.core.windows.net/src/a.bin".parse().unwrap());
    let options = CopyOptions { conditions: Conditions::if_not_exists(), ..CopyOptions::default() };
    let err = target.copy_from_url_opts(&source, &options).await.unwrap_err();
    assert_eq!((err.kind(), err.status().map(|s| s.as_u16())), (ErrorKind::AlreadyExists, Some(412)), "{err}");
    let err = target.start_copy_opts(&source, &options).await.err().unwrap();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(sent.lock().unwrap().len(), 2);
    assert_done(&client);
}

/// Replay: Abort Copy Blob needs a pending copy, which Azurite never has (see the cassette's `note`).
#[tokio::test]
async fn pending_copy_is_aborted() {
    let sent = Arc::default();
    let client = client_for("copy_abort.json", sequential_keeping(&sent));
    let target = client.blob("dst", "big-copy.bin");
    let source = CopySource::blob(&client.blob("src", "big.bin"));
    let mut copy = target.start_copy(&source).await.unwrap();

    // A wait that runs out reports the progress and leaves the copy running.
    let err = copy.wait(Duration::ZERO).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(err.to_string().contains("1048576/10485760"), "{err}");

    copy.abort().await.unwrap();
    let state = copy.poll().await.unwrap().clone();
    assert_eq!(state.status, CopyStatus::Aborted);
    assert_eq!(state.status_description.as_deref(), Some("Aborted by the client"));

    // Aborting twice: the service has no pending copy left.
    let err = copy.abort().await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::Conflict, Some("NoPendingCopyOperation")));
    // Each abort named the copy (the matcher compared the query and headers).
    let aborts: Vec<CassetteRequest> =
        sent.lock().unwrap().iter().filter(|r| r.query.contains("comp=copy")).cloned().collect();
    assert_eq!(aborts.len(), 2);
    for abort in aborts {
        assert_eq!(abort.query, "comp=copy&copyid=c6b8e4a0-4d2f-4f0e-9a3b-2b1f0c9d8e7a");
        assert_eq!(abort.headers.get("x-ms-copy-action").map(String::as_str), Some("abort"));
    }
    assert_done(&client);
}
