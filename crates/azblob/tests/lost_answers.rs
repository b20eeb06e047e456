//! Requests whose answer is lost after the service acted (Azurite through a
//! hook that drops the first answer): operations safe to repeat are repeated
//! and report what happened; the others are sent once and fail clearly.

mod support;

use std::sync::Arc;
use std::time::Duration;

use azblob::transport::{Clock, HttpTransport, RetryOptions};
use azblob::{AppendOptions, BatchOutcome, BlobServiceClient, CreateAppendBlobOptions, ErrorKind, PutBlobOptions};
use futures_util::future::BoxFuture;
use support::hook::{Action, Hook};
use support::{builder, client, new_container};

/// A clock that does not sleep, so retries cost no time.
#[derive(Debug)]
struct NoSleep;

impl Clock for NoSleep {
    fn sleep(&self, _duration: Duration) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// A client whose first request of `operation` reaches the service but loses its answer.
fn losing_first(operation: &'static str) -> (Arc<Hook>, BlobServiceClient) {
    let hook =
        Hook::new(
            move |request, seen| {
                if request.operation == operation && seen == 0 {
                    Action::LoseAnswer
                } else {
                    Action::Forward
                }
            },
        );
    let client = builder()
        .transport(Arc::clone(&hook) as Arc<dyn HttpTransport>)
        .retry(RetryOptions::default())
        .clock(Arc::new(NoSleep))
        .build()
        .unwrap();
    (hook, client)
}

#[tokio::test]
async fn a_delete_whose_answer_was_lost_reports_deleted() {
    let container = new_container(&client(), "lost-delete").await;
    container.blob("b").put("data").await.unwrap();
    let (hook, lossy) = losing_first("DeleteBlob");
    lossy.container(container.name()).blob("b").delete().await.expect("the repeat's 404 means deleted");
    assert_eq!(hook.count("DeleteBlob"), 2, "the delete was repeated");
    let gone = container.blob("b").properties().await.unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn a_delete_of_a_missing_blob_still_reports_not_found() {
    let container = new_container(&client(), "lost-delete-missing").await;
    let (hook, lossy) = losing_first("Nothing");
    let err = lossy.container(container.name()).blob("never").delete().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(hook.count("DeleteBlob"), 1);
}

#[tokio::test]
async fn a_batch_whose_answer_was_lost_reports_every_blob_deleted() {
    let container = new_container(&client(), "lost-batch").await;
    for name in ["a", "b", "c"] {
        container.blob(name).put("data").await.unwrap();
    }
    let (hook, lossy) = losing_first("BlobBatch");
    let results = lossy.container(container.name()).delete_blobs(["a", "b", "c"]).await.unwrap();
    assert_eq!(hook.count("BlobBatch"), 2, "the batch was repeated");
    for result in results {
        assert!(matches!(result.outcome, BatchOutcome::Done), "{}: {:?}", result.name, result.outcome);
    }
}

#[tokio::test]
async fn a_create_append_blob_whose_answer_was_lost_is_not_repeated() {
    let container = new_container(&client(), "lost-append").await;
    let (hook, lossy) = losing_first("CreateAppendBlob");
    let options = CreateAppendBlobOptions { conditions: azblob::Conditions::if_not_exists(), ..Default::default() };
    let err = lossy.container(container.name()).blob("log").create_append_blob_opts(&options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "the lost answer, not a spurious AlreadyExists: {err}");
    assert_eq!(hook.count("CreateAppendBlob"), 1, "sent once");
    container.blob("log").properties().await.expect("the service did create it");
}

#[tokio::test]
async fn a_create_if_absent_put_whose_answer_was_lost_is_not_repeated() {
    let container = new_container(&client(), "lost-put").await;
    let (hook, lossy) = losing_first("PutBlob");
    let options = PutBlobOptions { conditions: azblob::Conditions::if_not_exists(), ..Default::default() };
    let err = lossy.container(container.name()).blob("b").put_opts("data", &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "the lost answer, not a spurious AlreadyExists: {err}");
    assert_eq!(hook.count("PutBlob"), 1, "sent once");
}

#[tokio::test]
async fn an_unconditional_put_whose_answer_was_lost_is_repeated() {
    let container = new_container(&client(), "lost-put-plain").await;
    let (hook, lossy) = losing_first("PutBlob");
    lossy.container(container.name()).blob("b").put("data").await.unwrap();
    assert_eq!(hook.count("PutBlob"), 2);
}

#[tokio::test]
async fn an_append_at_a_position_whose_answer_was_lost_is_found_in_place() {
    let container = new_container(&client(), "lost-appendpos").await;
    container.blob("log").create_append_blob().await.unwrap();
    let (hook, lossy) = losing_first("AppendBlock");
    let blob = lossy.container(container.name()).blob("log");
    let at = |position| AppendOptions { append_position: Some(position), ..AppendOptions::default() };
    blob.append_opts("first line\n", &at(0)).await.expect("the repeat finds the block in place");
    assert_eq!(hook.count("AppendBlock"), 2, "repeated once, appended once");
    blob.append_opts("second\n", &at(11)).await.unwrap();
    assert_eq!(&container.blob("log").download().await.unwrap()[..], b"first line\nsecond\n");

    // A position mismatch that is not the echo of a lost answer still fails.
    let err = blob.append_opts("late\n", &at(0)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
}
