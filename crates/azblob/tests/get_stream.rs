//! `BlobClient::get`'s streamed body against Azurite: a body cut off
//! mid-way resumes from the next byte with `If-Match` the first answer's
//! ETag, a bounded number of times, and a blob changed meanwhile ends the
//! stream with a typed error and never mixes two blobs' bytes.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use azblob::transport::{HttpTransport, RetryOptions};
use azblob::{BlobBody, BlobRange, ErrorKind, GetOptions};
use azblob_testkit::{pseudo_random_bytes, Fault, Relay};
use futures_util::TryStreamExt;
use support::hook::{Action, Hook};
use support::{builder, client, new_container};

const KIB: usize = 1024;

/// Reads a body to its end, keeping what arrived before an error.
async fn drain(mut body: BlobBody) -> (Vec<u8>, Option<azblob::Error>) {
    let mut got = Vec::new();
    loop {
        match body.try_next().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => return (got, None),
            Err(e) => return (got, Some(e)),
        }
    }
}

/// Each Get Blob's `x-ms-range` and `If-Match`, in order.
type Seen = Arc<Mutex<Vec<(Option<String>, Option<String>)>>>;

/// A hook that records each Get Blob's range and `If-Match`, and cuts off
/// the body of the first `cut` of them after 100 KiB.
fn cutting(cut: usize, seen: &Seen) -> Arc<Hook> {
    let seen = Arc::clone(seen);
    Hook::new(move |request, n| {
        if request.operation != "GetBlob" {
            return Action::Forward;
        }
        let header = |name| request.header(name).map(str::to_owned);
        seen.lock().unwrap().push((header("x-ms-range"), header("if-match")));
        if n < cut {
            Action::TruncateBody(100 * KIB)
        } else {
            Action::Forward
        }
    })
}

fn client_through(hook: &Arc<Hook>, retry: RetryOptions) -> azblob::BlobServiceClient {
    builder().transport(Arc::clone(hook) as Arc<dyn HttpTransport>).retry(retry).build().unwrap()
}

#[tokio::test]
async fn a_body_cut_off_resumes_from_the_next_byte_pinned_to_the_etag() {
    let container = new_container(&client(), "getresume").await;
    let data = pseudo_random_bytes(300 * KIB as u64, 31);
    let etag = container.blob("b").put(data.clone()).await.unwrap().etag;
    let seen = Seen::default();
    let hook = cutting(2, &seen);
    let blob = client_through(&hook, RetryOptions::default()).blob(container.name(), "b");

    let (got, err) = drain(blob.get().await.unwrap().body).await;
    assert!(err.is_none(), "{err:?}");
    assert!(got == data, "the bytes, each once and in order");
    let seen = seen.lock().unwrap().clone();
    let pinned = Some(etag.0.clone());
    assert_eq!(
        seen,
        vec![
            (None, None),
            (Some(format!("bytes={}-{}", 100 * KIB, 300 * KIB - 1)), pinned.clone()),
            (Some(format!("bytes={}-{}", 200 * KIB, 300 * KIB - 1)), pinned),
        ]
    );
}

#[tokio::test]
async fn a_range_resumes_within_the_range_and_bytes_reads_it_whole() {
    let container = new_container(&client(), "getrange").await;
    let data = pseudo_random_bytes(400 * KIB as u64, 32);
    container.blob("b").put(data.clone()).await.unwrap();
    let seen = Seen::default();
    let hook = cutting(1, &seen);
    let blob = client_through(&hook, RetryOptions::default()).blob(container.name(), "b");

    let range = BlobRange::new(50 * KIB as u64, 200 * KIB as u64);
    let response = blob.get_opts(&GetOptions { range: Some(range), ..GetOptions::default() }).await.unwrap();
    let got = response.bytes().await.unwrap();
    assert!(got[..] == data[50 * KIB..250 * KIB]);
    let resumed = seen.lock().unwrap()[1].0.clone();
    assert_eq!(resumed, Some(format!("bytes={}-{}", 150 * KIB, 250 * KIB - 1)));
}

#[tokio::test]
async fn resumes_are_bounded_by_the_retry_count() {
    let container = new_container(&client(), "getbound").await;
    let data = pseudo_random_bytes(300 * KIB as u64, 33);
    container.blob("b").put(data.clone()).await.unwrap();
    let seen = Seen::default();
    // Every answer is cut off; one resume is allowed.
    let hook = cutting(usize::MAX, &seen);
    let retry = RetryOptions { max_retries: 1, ..RetryOptions::default() };
    let blob = client_through(&hook, retry).blob(container.name(), "b");

    let (got, err) = drain(blob.get().await.unwrap().body).await;
    let err = err.expect("the body fails once the resumes are spent");
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert!(err.to_string().contains("broke off after"), "{err}");
    assert_eq!(hook.count("GetBlob"), 2, "the first answer and one resume");
    assert!(got[..] == data[..200 * KIB], "what arrived is the blob's prefix");
}

#[tokio::test]
async fn a_blob_changed_before_the_resume_ends_the_body_with_a_typed_error() {
    let container = new_container(&client(), "getchanged").await;
    let data = pseudo_random_bytes(300 * KIB as u64, 34);
    container.blob("b").put(data.clone()).await.unwrap();
    let writer = container.blob("b");
    let hook = Hook::new(move |request, n| match (request.operation, n) {
        ("GetBlob", 0) => Action::TruncateBody(100 * KIB),
        ("GetBlob", _) => {
            // Another writer replaces the blob before the rest is asked for.
            let writer = writer.clone();
            Action::Before(Box::pin(async move {
                writer.put(vec![9u8; 300 * KIB]).await.unwrap();
            }))
        }
        _ => Action::Forward,
    });
    let blob = client_through(&hook, RetryOptions::default()).blob(container.name(), "b");

    let (got, err) = drain(blob.get().await.unwrap().body).await;
    let err = err.expect("a changed blob ends the body");
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    assert!(err.to_string().contains("changed"), "{err}");
    assert!(got[..] == data[..100 * KIB], "no byte of the new blob");
}

/// Through the test kit's relay: the first connection goes silent after
/// 128 KiB, the inactivity timeout ends the read, and the body resumes on a
/// second connection.
#[tokio::test]
async fn a_body_that_stalls_resumes_on_a_new_connection() {
    let direct = client();
    let container = new_container(&direct, "getstall").await;
    let data = pseudo_random_bytes(2 * 1024 * KIB as u64, 35);
    direct.blob(container.name(), "b").put(data.clone()).await.unwrap();
    let relay = Relay::to_url(&support::endpoints().http, |n| {
        if n == 0 {
            Fault::StallAfter { bytes: 128 * KIB as u64 }
        } else {
            Fault::Pass
        }
    })
    .unwrap();
    let through = azblob::ClientBuilder::new()
        .endpoint(relay.url_for(&support::endpoints().http))
        .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
        .unwrap()
        .inactivity_timeout(Duration::from_secs(1))
        .build()
        .unwrap();
    let (got, err) = drain(through.blob(container.name(), "b").get().await.unwrap().body).await;
    assert!(err.is_none(), "{err:?}");
    assert!(got == data);
    assert_eq!(relay.connections(), 2);
}

/// A body polled again after its end keeps answering `None` (object_store's
/// `collect_bytes` polls once more), for an empty blob and a non-empty one.
#[tokio::test]
async fn a_body_polled_after_its_end_stays_ended() {
    let container = new_container(&client(), "getend").await;
    for (name, data) in [("empty", &b""[..]), ("short", &b"abc"[..])] {
        container.blob(name).put(data.to_vec()).await.unwrap();
        let mut body = container.blob(name).get().await.unwrap().body;
        let mut got = Vec::new();
        while let Some(chunk) = body.try_next().await.unwrap() {
            got.extend_from_slice(&chunk);
        }
        assert_eq!(got, data);
        for _ in 0..3 {
            assert!(body.try_next().await.unwrap().is_none(), "{name}: ended for good");
        }
    }
}
