//! Cancellation against Azurite: dropping an upload or a download future
//! ends every request it had in flight at once, and no new one starts; a
//! many-file job's stream, whose files run as tasks of their own, stops
//! them all when it is dropped.
//!
//! A hook stalls the transfer's requests, as a silent server would, so the
//! only way for them to end is the drop.

mod support;

use std::future::Future;
use std::time::Duration;

use azblob::{DownloadFilesOptions, DownloadOptions, FileJob};
use azblob::{UploadOptions, UploadSource};
use futures_util::StreamExt;
use support::hook::{Action, Hook};
use support::{client, client_with, new_container, partials, scratch};

const KIB: u64 = 1024;
const CONCURRENCY: usize = 4;

/// Runs `transfer` until `hook` holds `CONCURRENCY` requests in flight, drops
/// it, and checks that every one of them ends within a second and that no
/// other request starts.
async fn drop_mid_transfer<T>(hook: &Hook, transfer: impl Future<Output = azblob::Result<T>>) {
    let mut transfer = Box::pin(transfer);
    tokio::select! {
        result = &mut transfer => panic!("the transfer ended under a stalled server: {:?}", result.err()),
        reached = hook.wait_in_flight(Duration::from_secs(30), |&n| n >= CONCURRENCY) => {
            assert!(reached, "the transfer never had {CONCURRENCY} requests in flight");
        }
    }
    drop(transfer);
    assert_eq!(hook.in_flight(), 0, "every request ends with the future that sent it");
    assert!(!hook.another_starts_within(Duration::from_secs(1)).await, "a request started after the drop");
    assert_eq!(hook.in_flight(), 0);
}

/// A hook that stalls every request of `operation` after the first `forward`.
fn stalling(operation: &'static str, forward: usize) -> std::sync::Arc<Hook> {
    Hook::new(
        move |request, seen| {
            if request.operation == operation && seen >= forward {
                Action::Stall
            } else {
                Action::Forward
            }
        },
    )
}

#[tokio::test]
async fn a_dropped_upload_of_bytes_stops_its_block_requests() {
    let container = new_container(&client(), "cancelup").await;
    let hook = stalling("PutBlock", 0);
    let client = client_with(&hook);
    let blob = client.blob(container.name(), "bytes.bin");
    let data = azblob_testkit::pseudo_random_bytes(1024 * KIB, 1);
    let options = UploadOptions {
        block_size: 64 * KIB,
        single_put_max: 0,
        concurrency: CONCURRENCY.into(),
        ..UploadOptions::default()
    };
    let upload = blob.upload_opts(data, &options);
    drop_mid_transfer(&hook, upload).await;
    assert!(!container.blob("bytes.bin").exists().await.unwrap(), "nothing committed");
}

#[tokio::test]
async fn a_dropped_upload_of_a_file_with_md5_and_checkpoint_stops() {
    let container = new_container(&client(), "cancelfile").await;
    let hook = stalling("PutBlock", 0);
    let client = client_with(&hook);
    let blob = client.blob(container.name(), "file.bin");
    let dir = scratch("cancelfile");
    let path = dir.join("source.bin");
    std::fs::write(&path, azblob_testkit::pseudo_random_bytes(1024 * KIB, 2)).unwrap();
    let checkpoint = dir.join("source.upload.json");
    let options = UploadOptions {
        block_size: 64 * KIB,
        concurrency: CONCURRENCY.into(),
        blob_md5: true,
        checkpoint: Some(checkpoint.clone()),
        ..UploadOptions::default()
    };
    let upload = blob.upload_opts(UploadSource::file(&path), &options);
    drop_mid_transfer(&hook, upload).await;
    assert!(checkpoint.exists(), "the checkpoint stays for a later resume");
}

#[tokio::test]
async fn a_dropped_download_stops_its_range_requests() {
    let container = new_container(&client(), "canceldown").await;
    let name = "down.bin";
    container.blob(name).upload(azblob_testkit::pseudo_random_bytes(1024 * KIB, 3)).await.unwrap();
    let options =
        DownloadOptions { chunk_size: 64 * KIB, concurrency: CONCURRENCY.into(), ..DownloadOptions::default() };

    // The first GET learns the size; every range after it stalls.
    let hook = stalling("GetBlob", 1);
    let client = client_with(&hook);
    drop_mid_transfer(&hook, client.blob(container.name(), name).download_opts(&options)).await;

    let hook = stalling("GetBlob", 1);
    let client = client_with(&hook);
    let dir = scratch("canceldown");
    drop_mid_transfer(&hook, client.blob(container.name(), name).download_to_file_opts(dir.join("out.bin"), &options))
        .await;
    assert!(partials(&dir).is_empty(), "{:?}", partials(&dir));
    assert!(!dir.join("out.bin").exists());
}

#[tokio::test]
async fn a_dropped_file_job_stops_every_file_and_leaves_no_partial_file() {
    let container = new_container(&client(), "cancelfiles").await;
    for i in 0..CONCURRENCY {
        container.blob(format!("f{i}")).upload(azblob_testkit::pseudo_random_bytes(4 * KIB, i as u64)).await.unwrap();
    }
    let hook = stalling("GetBlob", 0);
    let client = client_with(&hook);
    let dir = scratch("cancelfiles");
    let jobs: Vec<FileJob> = (0..CONCURRENCY)
        .map(|i| FileJob { path: dir.join(format!("f{i}")), name: format!("f{i}"), ..FileJob::default() })
        .collect();
    let options = DownloadFilesOptions { concurrency: CONCURRENCY.into(), ..DownloadFilesOptions::default() };
    let mut results =
        client.container(container.name()).download_files_opts(futures_util::stream::iter(jobs), &options);
    tokio::select! {
        done = results.next() => panic!("a file ended under a stalled server: {:?}", done.map(|(_, r)| r.err())),
        reached = hook.wait_in_flight(Duration::from_secs(30), |&n| n >= CONCURRENCY) => {
            assert!(reached, "the job never had {CONCURRENCY} requests in flight");
        }
    }
    assert_eq!(partials(&dir).len(), CONCURRENCY, "each file fills a partial file");

    drop(results);
    // The test's runtime has one thread: each stopped task is dropped
    // whole, its partial file removed and its request ended, when this
    // test first waits.
    assert!(hook.wait_in_flight(Duration::from_secs(10), |&n| n == 0).await, "the files' requests outlived the job");
    assert!(partials(&dir).is_empty(), "{:?}", partials(&dir));
    assert!(!hook.another_starts_within(Duration::from_secs(1)).await, "a request started after the drop");
    assert!((0..CONCURRENCY).all(|i| !dir.join(format!("f{i}")).exists()), "no file was written");
}
