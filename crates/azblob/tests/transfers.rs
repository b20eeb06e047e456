//! Large transfers against Azurite: block uploads, resume, append blobs,
//! parallel downloads, integrity, progress, memory bound, bad input.

mod support;

use std::sync::{Arc, Mutex};

use azblob::transport::{Method, Request};
use azblob::{AppendOptions, BlobClient, DownloadOptions, ErrorKind, TransferProgress};
use azblob::{PutBlobOptions, UploadOptions, UploadSource};
use support::hook::{Action, Hook};
use support::{client, client_with, new_container, scratch};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * 1024;

/// Deterministic pseudo-random bytes.
fn data(len: u64, seed: u64) -> Vec<u8> {
    azblob_testkit::pseudo_random_bytes(len, seed)
}

/// Committed blocks, counted from Get Block List.
async fn committed_blocks(blob: &BlobClient) -> usize {
    let mut url = blob.url().unwrap();
    url.query_pairs_mut().append_pair("comp", "blocklist").append_pair("blocklisttype", "committed");
    let response = client().send_raw(Request::new("GetBlockList", Method::GET, url)).await.unwrap();
    let body = response.body.bytes().await.unwrap();
    String::from_utf8_lossy(&body).matches("<Block>").count()
}

#[tokio::test]
async fn block_uploads_round_trip_at_edge_sizes() {
    let container = new_container(&client(), "sizes").await;
    let block = 64 * KIB;
    for (size, concurrency) in [(0, 1), (1, 1), (block - 1, 8), (block, 8), (block + 1, 8), (5 * block + 7, 3)] {
        let blob = container.blob(format!("size-{size}-{concurrency}"));
        let bytes = data(size, size);
        let report = blob
            .upload_opts(
                bytes.clone(),
                &UploadOptions {
                    block_size: block,
                    concurrency: concurrency.into(),
                    single_put_max: 0,
                    ..UploadOptions::default()
                },
            )
            .await
            .unwrap();
        let expected_blocks = if size == 0 { 0 } else { size.div_ceil(block) };
        assert_eq!(report.blocks, expected_blocks, "size {size}");
        assert_eq!(committed_blocks(&blob).await as u64, expected_blocks, "size {size}");
        assert_eq!(blob.download().await.unwrap(), bytes, "size {size}");
    }
}

#[tokio::test]
async fn forty_mib_from_file_and_stream_with_small_blocks() {
    let container = new_container(&client(), "forty").await;
    let bytes = data(40 * MIB + 123, 40);
    let dir = scratch("forty");
    let path = dir.join("forty.bin");
    std::fs::write(&path, &bytes).unwrap();
    for concurrency in [1, 8] {
        let blob = container.blob(format!("file-{concurrency}"));
        let report = blob
            .upload_opts(
                UploadSource::file(&path),
                &UploadOptions { block_size: MIB, concurrency: concurrency.into(), ..UploadOptions::default() },
            )
            .await
            .unwrap();
        assert_eq!((report.blocks, report.bytes), (41, bytes.len() as u64));
        assert_eq!(committed_blocks(&blob).await, 41);
        assert_eq!(blob.download().await.unwrap(), bytes);
    }
    // A stream of unknown length goes block by block too.
    let blob = container.blob("stream");
    let reader = std::io::Cursor::new(bytes.clone());
    let report = blob
        .upload_opts(
            UploadSource::reader(reader),
            &UploadOptions { block_size: MIB, concurrency: 8.into(), ..UploadOptions::default() },
        )
        .await
        .unwrap();
    assert_eq!(report.blocks, 41);
    assert_eq!(blob.download().await.unwrap(), bytes);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn small_streams_and_files_use_one_put_blob() {
    let container = new_container(&client(), "single").await;
    let hook = Hook::counting();
    let client = client_with(&hook);
    let blob = client.blob(container.name(), "small");
    let report = blob.upload(UploadSource::reader(std::io::Cursor::new(b"tiny".to_vec()))).await.unwrap();
    assert_eq!((report.blocks, hook.count("PutBlob"), hook.count("PutBlock")), (0, 1, 0));
    assert_eq!(&blob.download().await.unwrap()[..], b"tiny");

    // One rule for every source: a stream, a file and bytes of three blocks
    // fit `block_size × concurrency` (four blocks), so each is one Put Blob;
    // five blocks are not.
    let options = UploadOptions {
        block_size: 64 * KIB,
        concurrency: 4.into(),
        single_put_max: 4 * 64 * KIB,
        ..UploadOptions::default()
    };
    let three = data(3 * 64 * KIB, 3);
    let dir = scratch("single");
    let path = dir.join("three.bin");
    std::fs::write(&path, &three).unwrap();
    let sources: [UploadSource; 3] =
        [UploadSource::reader(std::io::Cursor::new(three.clone())), UploadSource::file(&path), three.clone().into()];
    for (n, source) in sources.into_iter().enumerate() {
        let report = blob.upload_opts(source, &options).await.unwrap();
        assert_eq!((report.blocks, hook.count("PutBlob"), hook.count("PutBlock")), (0, 2 + n, 0), "source {n}");
        assert!(blob.download().await.unwrap() == three);
    }
    let five = data(5 * 64 * KIB, 5);
    let report = blob.upload_opts(UploadSource::reader(std::io::Cursor::new(five.clone())), &options).await;
    assert_eq!((report.unwrap().blocks, hook.count("PutBlob")), (5, 4));
    assert!(blob.download().await.unwrap() == five);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn an_interrupted_upload_resumes_sending_only_missing_blocks() {
    let container = new_container(&client(), "resume").await;
    let bytes = data(20 * 256 * KIB + 99, 7);
    let dir = scratch("resume");
    let path = dir.join("big.bin");
    std::fs::write(&path, &bytes).unwrap();
    let checkpoint = dir.join("big.upload.json");

    // First run: the 9th Put Block fails for good, as if the network went away.
    let failing = Hook::new(|request, seen| match request.operation {
        "PutBlock" if seen >= 8 => Action::Respond(400),
        _ => Action::Forward,
    });
    let first = client_with(&failing);
    let err = first
        .blob(container.name(), "big")
        .upload_opts(
            UploadSource::file(&path),
            &UploadOptions {
                block_size: 256 * KIB,
                concurrency: 1.into(),
                checkpoint: Some(checkpoint.clone()),
                resume: true,
                ..UploadOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::BadRequest, "{err}");
    assert!(checkpoint.exists(), "the checkpoint survives the failure");
    drop(first);

    // Second run, a new client: only the missing blocks are sent.
    let counting = Hook::counting();
    let second = client_with(&counting);
    let blob = second.blob(container.name(), "big");
    let report = blob
        .upload_opts(
            UploadSource::file(&path),
            &UploadOptions {
                block_size: MIB,
                concurrency: 4.into(),
                checkpoint: Some(checkpoint.clone()),
                resume: true,
                blob_md5: true,
                ..UploadOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(report.blocks, 21);
    assert_eq!(report.resumed_blocks, 8);
    assert_eq!(report.block_size, 256 * KIB, "the checkpoint's block size wins");
    assert_eq!(counting.count("PutBlock"), 13);
    assert_eq!(counting.count("GetBlockList"), 1);
    // The whole blob's MD5 covers the staged blocks too, read but not resent.
    let verify = DownloadOptions { verify_md5: true, ..DownloadOptions::default() };
    let mut downloaded = Vec::new();
    let download = blob.download_to_writer_opts(&mut downloaded, &verify).await.unwrap();
    assert!(downloaded == bytes);
    assert!(download.md5_verified);
    assert!(!checkpoint.exists(), "the checkpoint is deleted after the commit");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Rewrites `path` in place with other bytes of the same size and puts its
/// modification time back, as `cp -p`, `rsync -t` or `tar x` leave a file;
/// returns once the inode change time moved (file times tick coarsely).
#[cfg(unix)]
fn rewrite_with_the_same_size_and_mtime(path: &std::path::Path, seed: u64) {
    use std::os::unix::fs::MetadataExt;
    let before = std::fs::metadata(path).unwrap();
    let bytes = data(before.len(), seed);
    loop {
        std::fs::write(path, &bytes).unwrap();
        std::fs::File::options().write(true).open(path).unwrap().set_modified(before.modified().unwrap()).unwrap();
        let after = std::fs::metadata(path).unwrap();
        assert_eq!((after.len(), after.modified().unwrap()), (before.len(), before.modified().unwrap()));
        if (after.ctime(), after.ctime_nsec()) != (before.ctime(), before.ctime_nsec()) {
            return;
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn a_checkpoint_of_a_file_rewritten_with_its_mtime_restored_is_refused() {
    let container = new_container(&client(), "changed").await;
    let dir = scratch("changed");
    let path = dir.join("f.bin");
    std::fs::write(&path, data(4 * 64 * KIB, 1)).unwrap();
    let checkpoint = dir.join("f.json");
    let failing =
        Hook::new(
            |r, seen| if r.operation == "PutBlock" && seen >= 1 { Action::Respond(400) } else { Action::Forward },
        );
    let client1 = client_with(&failing);
    let blob1 = client1.blob(container.name(), "f");
    assert!(blob1
        .upload_opts(
            UploadSource::file(&path),
            &UploadOptions {
                block_size: 64 * KIB,
                concurrency: 1.into(),
                checkpoint: Some(checkpoint.clone()),
                resume: true,
                ..UploadOptions::default()
            }
        )
        .await
        .is_err());

    // Same path, size and mtime: only the inode change time tells.
    rewrite_with_the_same_size_and_mtime(&path, 2);
    let err = client()
        .blob(container.name(), "f")
        .upload_opts(
            UploadSource::file(&path),
            &UploadOptions {
                block_size: 64 * KIB,
                checkpoint: Some(checkpoint.clone()),
                resume: true,
                ..UploadOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceChanged, "{err}");
    assert!(err.to_string().contains("changed"), "{err}");
    assert!(!container.blob("f").exists().await.unwrap(), "nothing was committed");
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn a_file_rewritten_during_the_upload_is_not_committed() {
    let container = new_container(&client(), "torn").await;
    let dir = scratch("torn");
    let path = dir.join("f.bin");
    std::fs::write(&path, data(4 * 64 * KIB, 1)).unwrap();
    // Before the third block is sent, the file is rewritten in place, so the
    // blocks already sent hold the old bytes and the rest the new ones.
    let target = path.clone();
    let editing = Hook::new(move |r, seen| {
        if r.operation == "PutBlock" && seen == 2 {
            let target = target.clone();
            Action::Before(Box::pin(async move { rewrite_with_the_same_size_and_mtime(&target, 2) }))
        } else {
            Action::Forward
        }
    });
    let client = client_with(&editing);
    let err = client
        .blob(container.name(), "f")
        .upload_opts(
            UploadSource::file(&path),
            &UploadOptions { block_size: 64 * KIB, concurrency: 1.into(), blob_md5: true, ..UploadOptions::default() },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceChanged, "{err}");
    assert_eq!(editing.count("PutBlockList"), 0, "no commit was attempted");
    assert!(!container.blob("f").exists().await.unwrap(), "no torn blob");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn append_blobs() {
    let container = new_container(&client(), "append").await;
    let blob = container.blob("log.txt");
    blob.create_append_blob().await.unwrap();
    blob.append("one\n").await.unwrap();
    let at = AppendOptions { append_position: Some(4), ..AppendOptions::default() };
    blob.append_opts("two\n", &at).await.unwrap();
    let md5 = AppendOptions { transactional_md5: true, max_size: Some(100), ..AppendOptions::default() };
    blob.append_opts("three\n", &md5).await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"one\ntwo\nthree\n");
    assert_eq!(blob.properties().await.unwrap().blob_type, azblob::BlobType::AppendBlob);

    let stale = AppendOptions { append_position: Some(4), ..AppendOptions::default() };
    let err = blob.append_opts("late\n", &stale).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    let too_big = AppendOptions { max_size: Some(15), ..AppendOptions::default() };
    assert_eq!(blob.append_opts("overflow\n", &too_big).await.unwrap_err().kind(), ErrorKind::PreconditionFailed);

    blob.seal().await.unwrap();
    let err = blob.append("after seal\n").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert_eq!(&blob.download().await.unwrap()[..], b"one\ntwo\nthree\n");
}

#[tokio::test]
async fn appends_without_a_position_are_not_retried() {
    let container = new_container(&client(), "appendretry").await;
    container.blob("a").create_append_blob().await.unwrap();
    let hook = Hook::new(|r, _| if r.operation == "AppendBlock" { Action::Respond(503) } else { Action::Forward });
    let client = client_with(&hook);
    let blob = client.blob(container.name(), "a");
    assert_eq!(blob.append("x").await.unwrap_err().kind(), ErrorKind::ServerBusy);
    assert_eq!(hook.count("AppendBlock"), 1, "not idempotent: sent once");
    let positioned = AppendOptions { append_position: Some(0), ..AppendOptions::default() };
    assert!(blob.append_opts("x", &positioned).await.is_err());
    assert_eq!(hook.count("AppendBlock"), 1 + 4, "with appendpos: the first attempt and three retries");
}

#[tokio::test]
async fn parallel_downloads_in_order_to_writer_memory_and_file() {
    let container = new_container(&client(), "down").await;
    let bytes = data(40 * MIB + 5, 9);
    let blob = container.blob("forty");
    blob.upload_opts(bytes.clone(), &UploadOptions { block_size: 4 * MIB, blob_md5: true, ..UploadOptions::default() })
        .await
        .unwrap();
    let options =
        DownloadOptions { chunk_size: MIB, concurrency: 8.into(), verify_md5: true, ..DownloadOptions::default() };

    let mut out = Vec::new();
    let report = blob.download_to_writer_opts(&mut out, &options).await.unwrap();
    assert_eq!((report.bytes, report.chunks, report.md5_verified), (bytes.len() as u64, 41, true));
    assert!(out == bytes, "writer got the bytes in order");

    // Into memory, the same engine verifies the same MD5: a mismatch would be an error.
    let memory = blob.download_opts(&options).await.unwrap();
    assert!(memory == bytes);

    let dir = scratch("down");
    let path = dir.join("forty.bin");
    blob.download_to_file_opts(&path, &options).await.unwrap();
    assert!(std::fs::read(&path).unwrap() == bytes);
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "no temporary file left");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn empty_blobs_download_everywhere() {
    let container = new_container(&client(), "emptydown").await;
    let blob = container.blob("empty");
    blob.put(Vec::new()).await.unwrap();
    assert!(blob.download().await.unwrap().is_empty());
    let dir = scratch("emptydown");
    blob.download_to_file(dir.join("e")).await.unwrap();
    assert_eq!(std::fs::metadata(dir.join("e")).unwrap().len(), 0);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_broken_body_resumes_from_the_last_byte() {
    let container = new_container(&client(), "broken").await;
    let bytes = data(3 * MIB, 3);
    container.blob("b").put(bytes.clone()).await.unwrap();
    // The second ranged GET loses its connection after 1000 bytes.
    let hook =
        Hook::new(
            |r, seen| if r.operation == "GetBlob" && seen == 1 { Action::TruncateBody(1000) } else { Action::Forward },
        );
    let client = client_with(&hook);
    let options = DownloadOptions { chunk_size: MIB, concurrency: 1.into(), ..DownloadOptions::default() };
    let mut got = Vec::new();
    let report = client.blob(container.name(), "b").download_to_writer_opts(&mut got, &options).await.unwrap();
    assert!(got == bytes);
    assert_eq!(report.body_resumes, 1);
    assert_eq!(hook.count("GetBlob"), 4, "three ranges and one resume");
}

#[tokio::test]
async fn a_file_download_whose_body_breaks_after_a_write_resumes_from_the_last_byte() {
    let container = new_container(&client(), "broken-file").await;
    let bytes = data(10 * MIB, 4);
    container.blob("b").put(bytes.clone()).await.unwrap();
    // The second range (bytes 5 to 10 MiB) is written to the file every 2
    // MiB as it arrives; its connection is lost after 3 MiB, one write in.
    let hook = Hook::new(|r, seen| {
        if r.operation == "GetBlob" && seen == 1 {
            Action::TruncateBody(3 * MIB as usize)
        } else {
            Action::Forward
        }
    });
    let client = client_with(&hook);
    let options = DownloadOptions { chunk_size: 5 * MIB, concurrency: 1.into(), ..DownloadOptions::default() };
    let dir = scratch("broken-file");
    let path = dir.join("b");
    let report = client.blob(container.name(), "b").download_to_file_opts(&path, &options).await.unwrap();
    assert!(std::fs::read(&path).unwrap() == bytes, "every byte at its place");
    assert_eq!(report.body_resumes, 1);
    assert_eq!(hook.count("GetBlob"), 3, "two ranges and one resume");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn a_blob_overwritten_mid_download_fails_clearly_and_leaves_no_file() {
    let container = new_container(&client(), "overwrite").await;
    container.blob("moving").put(data(3 * MIB, 4)).await.unwrap();
    let writer = container.blob("moving");
    let hook = Hook::new(move |r, seen| {
        if r.operation == "GetBlob" && seen == 1 {
            let writer = writer.clone();
            Action::Before(Box::pin(async move {
                writer.put(data(3 * MIB, 5)).await.unwrap();
            }))
        } else {
            Action::Forward
        }
    });
    let client = client_with(&hook);
    let dir = scratch("overwrite");
    let path = dir.join("moving.bin");
    let options = DownloadOptions { chunk_size: MIB, concurrency: 1.into(), ..DownloadOptions::default() };
    let err = client.blob(container.name(), "moving").download_to_file_opts(&path, &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    assert!(err.to_string().contains("changed"), "{err}");
    assert!(!path.exists());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "no partial file at all");
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn memory_stays_within_block_size_times_concurrency() {
    let container = new_container(&client(), "memory").await;
    let dir = scratch("memory");
    let path = dir.join("256.bin");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        let chunk = data(MIB, 11);
        for _ in 0..256 {
            f.write_all(&chunk).unwrap();
        }
    }
    let report = container
        .blob("256")
        .upload_opts(
            UploadSource::file(&path),
            &UploadOptions { block_size: 4 * MIB, concurrency: 4.into(), ..UploadOptions::default() },
        )
        .await
        .unwrap();
    assert_eq!(report.blocks, 64);
    assert!(report.peak_buffer_bytes > 0);
    assert!(report.peak_buffer_bytes <= 16 * MIB, "held {} bytes at most", report.peak_buffer_bytes);
    std::fs::remove_dir_all(dir).unwrap();
}

#[tokio::test]
async fn progress_is_reported_per_block() {
    let container = new_container(&client(), "progress").await;
    let seen = Arc::new(Mutex::new(Vec::<TransferProgress>::new()));
    let sink = {
        let seen = Arc::clone(&seen);
        move |p: TransferProgress| seen.lock().unwrap().push(p)
    };
    let bytes = data(10 * 64 * KIB, 5);
    container
        .blob("p")
        .upload_opts(
            bytes.clone(),
            &UploadOptions {
                block_size: 64 * KIB,
                single_put_max: 0,
                progress: Some(Arc::new(sink)),
                ..UploadOptions::default()
            },
        )
        .await
        .unwrap();
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 10);
    assert_eq!(seen.last().unwrap().bytes_done, bytes.len() as u64);
    assert!(seen.iter().all(|p| p.bytes_total == Some(bytes.len() as u64)));

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let options = DownloadOptions { chunk_size: 64 * KIB, progress: Some(Arc::new(tx)), ..DownloadOptions::default() };
    container.blob("p").download_opts(&options).await.unwrap();
    let mut last = 0;
    let mut updates = 0;
    while let Ok(p) = rx.try_recv() {
        last = p.bytes_done;
        updates += 1;
    }
    assert_eq!((updates, last), (10, bytes.len() as u64));
}

#[tokio::test]
async fn bad_input_is_refused_before_sending() {
    let hook = Hook::counting();
    let client = client_with(&hook);
    let blob = client.blob("any-container", "b");
    for (block_size, concurrency) in [(0, 1), (4001 * MIB, 1), (MIB, 0)] {
        let err = blob
            .upload_opts(
                vec![1u8; 10],
                &UploadOptions { block_size, concurrency: concurrency.into(), ..UploadOptions::default() },
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{block_size} x {concurrency}: {err}");
    }
    let err = blob.upload(UploadSource::file("/no/such/file.bin")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(err.to_string().contains("/no/such/file.bin"), "{err}");
    let err = blob.download_opts(&DownloadOptions { concurrency: 0.into(), ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = blob.download_to_file("/no/such/dir/out.bin").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io, "{err}");
    assert!(!std::path::Path::new("/no/such/dir").exists());
    let err = blob
        .upload_opts(
            vec![1u8; 10],
            &UploadOptions { checkpoint: Some("/tmp/x.json".into()), ..UploadOptions::default() },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "checkpoints need a file: {err}");
    assert_eq!(hook.count("PutBlob") + hook.count("PutBlock") + hook.count("GetBlob"), 0);
}

#[tokio::test]
async fn transactional_md5_is_checked_by_the_service() {
    let container = new_container(&client(), "md5").await;
    let bytes = data(300 * KIB, 8);
    let blob = container.blob("m");
    let report = blob
        .upload_opts(
            bytes.clone(),
            &UploadOptions {
                block_size: 64 * KIB,
                single_put_max: 0,
                blob: PutBlobOptions { transactional_md5: true, ..PutBlobOptions::default() },
                blob_md5: true,
                ..UploadOptions::default()
            },
        )
        .await
        .unwrap();
    let stored = blob.properties().await.unwrap().content.content_md5.unwrap();
    assert_eq!(stored, report.content_md5.unwrap().to_vec());

    // A block whose body does not match its Content-MD5 is an integrity error.
    let mut request = Request::new("PutBlock", Method::PUT, blob.url().unwrap());
    request.url.query_pairs_mut().append_pair("comp", "block").append_pair("blockid", "QUFBQQ==");
    request.headers.insert("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==".parse().unwrap());
    request.body = bytes::Bytes::from_static(b"not the md5 above");
    let err = client().send_raw(request).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IntegrityMismatch, "{err}");
}

#[tokio::test]
async fn a_checkpoint_that_would_overwrite_the_source_file_is_refused() {
    let container = new_container(&client(), "ckptsrc").await;
    let dir = scratch("ckptsrc");
    let original = data(4 * 64 * KIB, 3);
    // The checkpoint itself, or the `.tmp` file it is written through, is
    // the file being uploaded: saving it would overwrite the source.
    for (source, checkpoint) in [("f.json", "f.json"), ("f.tmp", "f.json")] {
        let path = dir.join(source);
        std::fs::write(&path, &original).unwrap();
        let blob = container.blob("f");
        let err = blob
            .upload_opts(
                UploadSource::file(&path),
                &UploadOptions {
                    block_size: 64 * KIB,
                    single_put_max: 0,
                    checkpoint: Some(dir.join(checkpoint)),
                    ..UploadOptions::default()
                },
            )
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{source}: {err}");
        assert_eq!(std::fs::read(&path).unwrap(), original, "{source}: the source file is intact");
        assert!(!blob.exists().await.unwrap(), "nothing was committed");
        std::fs::remove_file(&path).unwrap();
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// What the commit would refuse (eleven tags, an empty `x-ms-if-tags`) fails
/// a block upload before its first block is sent, not after the last.
#[tokio::test]
async fn a_block_upload_with_settings_the_commit_refuses_sends_nothing() {
    let container = new_container(&client(), "badcommit").await;
    let hook = Hook::counting();
    let blob = client_with(&hook).blob(container.name(), "never");
    let too_many: azblob::Tags = (0..11).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    let empty_if_tags = azblob::Conditions { if_tags: Some(String::new()), ..azblob::Conditions::default() };
    for blob_options in [
        PutBlobOptions { tags: too_many, ..PutBlobOptions::default() },
        PutBlobOptions { conditions: empty_if_tags, ..PutBlobOptions::default() },
    ] {
        let options =
            UploadOptions { block_size: 64 * KIB, single_put_max: 0, blob: blob_options, ..UploadOptions::default() };
        let err = blob.upload_opts(vec![7u8; 256 * KIB as usize], &options).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    }
    assert_eq!(hook.total(), 0, "no request was sent");
}
