//! Downloads to files against Azurite: nothing is left behind when a
//! download is cancelled, an existing file keeps its permissions, overwriting
//! can be refused, and a verification that cannot be made is refused before
//! anything is written.

mod support;

use std::sync::Mutex;

use azblob::UploadOptions;
use azblob::{BlobClient, DownloadOptions, ErrorKind};
use support::hook::{Action, Hook};
use support::{client, client_with, new_container, partials, scratch};

const KIB: u64 = 1024;

/// A blob of `len` bytes committed from blocks, so it has no stored MD5.
async fn blob_without_md5(blob: &BlobClient, len: u64) -> Vec<u8> {
    let bytes = azblob_testkit::pseudo_random_bytes(len, len);
    blob.upload_opts(
        bytes.clone(),
        &UploadOptions { block_size: 64 * KIB, single_put_max: 0, ..UploadOptions::default() },
    )
    .await
    .unwrap();
    assert!(blob.properties().await.unwrap().content.content_md5.is_none());
    bytes
}

fn small_chunks() -> DownloadOptions {
    DownloadOptions { chunk_size: 64 * KIB, concurrency: 1.into(), ..DownloadOptions::default() }
}

#[tokio::test]
async fn a_dropped_download_leaves_no_partial_file() {
    let container = new_container(&client(), "drop").await;
    blob_without_md5(&container.blob("b"), 4 * 64 * KIB).await;
    let dir = scratch("drop");
    let target = dir.join("out.bin");

    // The second ranged GET tells the test it started, then never finishes.
    let (started, mut waiting) = tokio::sync::mpsc::unbounded_channel::<()>();
    let started = Mutex::new(Some(started));
    let hook = Hook::new(move |r, seen| {
        if r.operation == "GetBlob" && seen == 1 {
            let started = started.lock().unwrap().take().unwrap();
            Action::Before(Box::pin(async move {
                started.send(()).unwrap();
                std::future::pending::<()>().await
            }))
        } else {
            Action::Forward
        }
    });
    let stalled = client_with(&hook);
    let blob = stalled.blob(container.name(), "b");
    let options = small_chunks();
    let mut download = Box::pin(blob.download_to_file_opts(&target, &options));
    tokio::select! {
        result = &mut download => panic!("the download cannot finish: {result:?}"),
        _ = waiting.recv() => {}
    }
    assert_eq!(partials(&dir).len(), 1, "mid-download the data sits in a .partial file");
    drop(download);
    assert!(partials(&dir).is_empty(), "dropping the download removed it");
    assert!(!target.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn an_existing_private_file_stays_private() {
    use std::os::unix::fs::PermissionsExt;
    let container = new_container(&client(), "perm").await;
    let bytes = blob_without_md5(&container.blob("b"), 3 * 64 * KIB).await;
    let dir = scratch("perm");
    let target = dir.join("secret.bin");
    std::fs::write(&target, b"old").unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    container.blob("b").download_to_file_opts(&target, &small_chunks()).await.unwrap();
    assert_eq!(std::fs::read(&target).unwrap(), bytes);
    assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o600);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn without_overwrite_an_existing_file_is_refused_before_downloading() {
    let container = new_container(&client(), "noclobber").await;
    blob_without_md5(&container.blob("b"), 64 * KIB).await;
    let dir = scratch("noclobber");
    let target = dir.join("out.bin");
    std::fs::write(&target, b"keep me").unwrap();
    let hook = Hook::counting();
    let counted = client_with(&hook);
    let options = DownloadOptions { overwrite: false, ..small_chunks() };
    let err = counted.blob(container.name(), "b").download_to_file_opts(&target, &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert_eq!(hook.count("GetBlob"), 0, "nothing was fetched");
    assert_eq!(std::fs::read(&target).unwrap(), b"keep me");

    let fresh = dir.join("fresh.bin");
    counted.blob(container.name(), "b").download_to_file_opts(&fresh, &options).await.unwrap();
    assert!(fresh.exists() && partials(&dir).is_empty());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_required_md5_that_the_blob_lacks_fails_before_writing() {
    let container = new_container(&client(), "unverifiable").await;
    blob_without_md5(&container.blob("plain"), 2 * 64 * KIB).await;
    let dir = scratch("unverifiable");
    let target = dir.join("out.bin");
    let require = DownloadOptions { require_md5: true, ..small_chunks() };
    let err = container.blob("plain").download_to_file_opts(&target, &require).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unverifiable, "{err}");
    assert!(!target.exists() && partials(&dir).is_empty(), "nothing written");
    let mut sink = Vec::new();
    let err = container.blob("plain").download_to_writer_opts(&mut sink, &require).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unverifiable);
    assert!(sink.is_empty(), "not a byte reached the writer");

    // Asked, not required: it downloads and says it did not verify.
    let verify = DownloadOptions { verify_md5: true, ..small_chunks() };
    let report = container.blob("plain").download_to_file_opts(&target, &verify).await.unwrap();
    assert!(!report.md5_verified);

    let bytes = azblob_testkit::pseudo_random_bytes(2 * 64 * KIB, 9);
    container
        .blob("hashed")
        .upload_opts(
            bytes,
            &UploadOptions { blob_md5: true, block_size: 64 * KIB, single_put_max: 0, ..UploadOptions::default() },
        )
        .await
        .unwrap();
    let report = container.blob("hashed").download_to_file_opts(&target, &require).await.unwrap();
    assert!(report.md5_verified);
    std::fs::remove_dir_all(&dir).unwrap();
}
