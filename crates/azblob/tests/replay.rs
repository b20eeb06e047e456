//! What Azurite cannot show, replayed from documented wire exchanges: blob
//! versions, a pending copy polled to success, and Abort Copy Blob.
//!
//! Each cassette in `testdata/replay` says why it is a replay (its `why`)
//! and where its exchanges come from (its `source`).

#[path = "support/replay.rs"]
mod replay;

use std::sync::Arc;
use std::time::Duration;

use azblob::transport::{HttpTransport, RetryOptions};
use azblob::{BlobServiceClient, ClientBuilder, CopyOptions, CopySource, CopyStatus, ErrorKind, DEV_ACCOUNT_KEY};
use replay::{load, ReplayTransport};

/// A Shared Key client of the cassette's endpoint whose wire is the replay.
fn client_for(cassette: &str) -> (BlobServiceClient, Arc<ReplayTransport>) {
    let cassette = load(cassette);
    let endpoint = cassette.endpoint.clone();
    let transport = ReplayTransport::new(cassette);
    let client = ClientBuilder::new()
        .endpoint(endpoint)
        .shared_key("fakestorageaccount", DEV_ACCOUNT_KEY)
        .unwrap()
        .retry(RetryOptions::none())
        .transport(Arc::clone(&transport) as Arc<dyn HttpTransport>)
        .build()
        .unwrap();
    (client, transport)
}

/// Replay: Azurite ignores `versionid` and has no versions (see the cassette's `why`).
#[tokio::test]
async fn versions_list_get_and_delete_by_id() {
    let (client, transport) = client_for("versions.json");
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

    // Every read and delete by id sends `versionid=` (the cassette checks the query exactly).
    let oldest = blob.download_version("2020-06-15T02:17:02.7893828Z").await.unwrap();
    assert_eq!(&oldest[..], b"Hello World");
    let props = blob.version_properties("2020-06-15T02:17:03.0755841Z").await.unwrap();
    assert_eq!(props.content_length, 0);
    assert_eq!(props.version_id.as_deref(), Some("2020-06-15T02:17:03.0755841Z"));
    blob.delete_version("2020-06-15T02:17:03.0755841Z").await.unwrap();
    let err = blob.download_version("2020-06-15T02:17:03.0755841Z").await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::NotFound, Some("BlobNotFound")));

    // The current blob is untouched and says it is the current version.
    let current = blob.get(&azblob::GetBlobOptions::default()).await.unwrap();
    assert_eq!(current.head.properties.is_current_version, Some(true));
    assert_eq!(current.head.properties.version_id.as_deref(), Some("2020-06-15T02:17:03.6740094Z"));
    assert_eq!(&current.bytes().await.unwrap()[..], b"Hello World");
    transport.assert_done();
}

/// Replay: Azurite completes every copy at once, never `pending` (see the cassette's `why`).
#[tokio::test]
async fn pending_copy_is_polled_to_success() {
    let (client, transport) = client_for("copy-pending-to-success.json");
    let source = client.blob("src", "big.bin");
    let target = client.blob("dst", "big-copy.bin");

    let copy = target.start_copy(&CopySource::blob(&source), &CopyOptions::default()).await.unwrap();
    assert_eq!(copy.last_state().status, CopyStatus::Pending);
    let mut copy = copy.with_poll_interval(Duration::from_millis(1), Duration::from_millis(2));
    let mut seen = Vec::new();
    let done = copy.wait_with(Duration::from_secs(10), |s| seen.push((s.status.clone(), s.progress))).await.unwrap();
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
    let start = &transport.seen()[0];
    let copy_source: url::Url = start.header("x-ms-copy-source").unwrap().parse().unwrap();
    assert_eq!(copy_source.path(), "/src/big.bin");
    let sas: std::collections::BTreeMap<String, String> = copy_source.query_pairs().into_owned().collect();
    assert_eq!(sas.get("sp").map(String::as_str), Some("r"));
    assert_eq!(sas.get("sr").map(String::as_str), Some("b"));
    assert!(sas.contains_key("sig") && sas.contains_key("se"), "{sas:?}");
    assert_eq!(start.header("x-ms-requires-sync"), None, "an asynchronous copy");
    transport.assert_done();
}

/// Replay: Abort Copy Blob needs a pending copy, which Azurite never has (see the cassette's `why`).
#[tokio::test]
async fn pending_copy_is_aborted() {
    let (client, transport) = client_for("copy-abort.json");
    let target = client.blob("dst", "big-copy.bin");
    let source = CopySource::blob(&client.blob("src", "big.bin"));
    let mut copy = target.start_copy(&source, &CopyOptions::default()).await.unwrap();

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
    transport.assert_done();
}
