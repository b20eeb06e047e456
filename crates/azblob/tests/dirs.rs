//! Many files at once against Azurite: `ContainerClient::upload_files` and
//! `download_files`, their shared concurrency and byte budgets, and the
//! modification time kept in metadata.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime};

use azblob::{
    mtime_from_metadata, Concurrency, Conditions, DownloadFilesOptions, ETag, ErrorKind, FileJob, UploadFilesOptions,
    UploadOptions,
};
use futures_util::{stream, StreamExt};
use support::hook::{Action, Hook};

/// Writes `count` files of `size` bytes under `dir` and their jobs, named `prefix/f{i}`.
fn files(dir: &std::path::Path, count: usize, size: usize, prefix: &str) -> Vec<FileJob> {
    (0..count)
        .map(|i| {
            let path = dir.join(format!("f{i}"));
            std::fs::write(&path, vec![(i % 251) as u8; size]).unwrap();
            FileJob { path, name: format!("{prefix}/f{i}"), ..FileJob::default() }
        })
        .collect()
}

#[tokio::test]
async fn many_files_go_up_and_come_back_with_their_mtimes() {
    let container = support::new_container(&support::client(), "dirs").await;
    let dir = support::scratch("dirs-round");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut jobs = files(&src, 40, 3000, "t");
    // One file past the block size goes in blocks, the rest in one Put Blob each.
    let big = src.join("big");
    let big_data: Vec<u8> = (0..200_000u32).map(|i| (i % 199) as u8).collect();
    std::fs::write(&big, &big_data).unwrap();
    let old = SystemTime::UNIX_EPOCH + Duration::new(1_600_000_000, 123_456_789);
    std::fs::File::options().write(true).open(&big).unwrap().set_modified(old).unwrap();
    jobs.push(FileJob { path: big.clone(), name: "t/big".into(), ..FileJob::default() });

    let options = UploadFilesOptions {
        upload: UploadOptions { block_size: 64 * 1024, ..UploadOptions::default() },
        ..UploadFilesOptions::default()
    };
    let results: Vec<_> = container.upload_files_opts(stream::iter(jobs.clone()), &options).collect().await;
    assert_eq!(results.len(), 41);
    let mut sent = 0;
    for (job, result) in &results {
        sent += result.as_ref().unwrap_or_else(|e| panic!("{}: {e}", job.name)).bytes;
    }
    assert_eq!(sent, 40 * 3000 + 200_000);
    let props = container.blob("t/big").properties().await.unwrap();
    assert_eq!(mtime_from_metadata(&props.metadata), Some(old));
    let blocks = container.blob("t/big").block_list().await.unwrap();
    assert_eq!(blocks.committed.len(), 4, "200,000 bytes in 64 KiB blocks");

    // Down again, each file given its blob's stored mtime.
    let out = dir.join("out");
    let down: Vec<FileJob> = jobs
        .iter()
        .map(|job| FileJob {
            path: out.join("nested").join(job.name.replace('/', "_")),
            name: job.name.clone(),
            mtime: Some(if job.name == "t/big" { old } else { SystemTime::UNIX_EPOCH + Duration::from_secs(86_400) }),
            ..FileJob::default()
        })
        .collect();
    let results: Vec<_> =
        container.download_files_opts(stream::iter(down.clone()), &DownloadFilesOptions::default()).collect().await;
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    let got: BTreeMap<_, _> = down.iter().map(|j| (j.name.clone(), std::fs::read(&j.path).unwrap())).collect();
    assert_eq!(got["t/big"], big_data);
    assert_eq!(got["t/f7"], vec![7u8; 3000]);
    let mtime = std::fs::metadata(out.join("nested").join("t_big")).unwrap().modified().unwrap();
    assert_eq!(mtime, old);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_concurrency_budget_caps_files_in_flight() {
    // Every Put Blob stalls, so the files in flight stay in flight.
    let hook = Hook::new(|request, _| if request.operation == "PutBlob" { Action::Stall } else { Action::Forward });
    let container = support::client_with(&hook).container(support::unique_name("dirs"));
    let dir = support::scratch("dirs-cap");
    let jobs = files(&dir, 20, 100, "c");
    let options = UploadFilesOptions { concurrency: Concurrency::Fixed(3), ..UploadFilesOptions::default() };
    let mut results = container.upload_files_opts(stream::iter(jobs), &options);
    let run = async { results.next().await };
    tokio::select! {
        _ = run => panic!("a stalled upload finished"),
        reached = async {
            assert!(hook.wait_in_flight(Duration::from_secs(10), |n| *n == 3).await, "3 files in flight");
            assert!(!hook.another_starts_within(Duration::from_millis(300)).await, "no fourth file starts");
            assert_eq!(hook.in_flight(), 3);
        } => reached,
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn the_byte_budget_is_shared_by_every_file() {
    let hook = Hook::new(|request, _| if request.operation == "PutBlob" { Action::Stall } else { Action::Forward });
    let container = support::client_with(&hook).container(support::unique_name("dirs"));
    let dir = support::scratch("dirs-bytes");
    // 8 KiB files with a 20 KiB budget: two fit at once, whatever the concurrency.
    let jobs = files(&dir, 10, 8 * 1024, "b");
    let options = UploadFilesOptions { memory_budget: 20 * 1024, ..UploadFilesOptions::default() };
    let mut results = container.upload_files_opts(stream::iter(jobs), &options);
    let run = async { results.next().await };
    tokio::select! {
        _ = run => panic!("a stalled upload finished"),
        reached = async {
            assert!(hook.wait_in_flight(Duration::from_secs(10), |n| *n == 2).await, "2 files in flight");
            assert!(!hook.another_starts_within(Duration::from_millis(300)).await, "no third file starts");
        } => reached,
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn bad_budgets_and_missing_files_fail_each_file_and_send_nothing() {
    let hook = Hook::counting();
    let container = support::client_with(&hook).container(support::unique_name("dirs"));
    let dir = support::scratch("dirs-bad");
    let jobs = files(&dir, 3, 10, "x");
    for options in [
        UploadFilesOptions { memory_budget: 0, ..UploadFilesOptions::default() },
        UploadFilesOptions { concurrency: Concurrency::Fixed(0), ..UploadFilesOptions::default() },
    ] {
        let results: Vec<_> = container.upload_files_opts(stream::iter(jobs.clone()), &options).collect().await;
        assert_eq!(results.len(), 3);
        assert!(results.iter().all(|(_, r)| r.as_ref().unwrap_err().kind() == ErrorKind::InvalidInput));
    }
    let missing = FileJob { path: dir.join("nope"), name: "x/nope".into(), ..FileJob::default() };
    let results: Vec<_> = container.upload_files(stream::iter([missing])).collect().await;
    assert_eq!(results[0].1.as_ref().unwrap_err().kind(), ErrorKind::Io);
    let results: Vec<_> = container
        .download_files_opts(stream::iter(jobs), &DownloadFilesOptions { memory_budget: 0, ..Default::default() })
        .collect()
        .await;
    assert!(results.iter().all(|(_, r)| r.as_ref().unwrap_err().kind() == ErrorKind::InvalidInput));
    assert_eq!(hook.total(), 0, "nothing was sent");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_rate_cap_paces_the_whole_job() {
    let container = support::new_container(&support::client(), "dirs").await;
    let dir = support::scratch("dirs-cap-rate");
    // 10 files of 20 KB at 100 KB/s: 2 s for their bytes on the wire.
    let jobs = files(&dir, 10, 20_000, "r");
    let options = UploadFilesOptions { max_bytes_per_second: Some(100_000), ..UploadFilesOptions::default() };
    let started = std::time::Instant::now();
    let results: Vec<_> = container.upload_files_opts(stream::iter(jobs.clone()), &options).collect().await;
    let capped = started.elapsed();
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    assert!(capped >= Duration::from_millis(2000), "{capped:?}");
    let options = UploadFilesOptions { max_bytes_per_second: Some(0), ..UploadFilesOptions::default() };
    let results: Vec<_> = container.upload_files_opts(stream::iter(jobs), &options).collect().await;
    assert!(results.iter().all(|(_, r)| r.as_ref().unwrap_err().kind() == ErrorKind::InvalidInput));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_large_file_whose_commit_failed_resumes_from_its_staged_blocks() {
    // The first Put Block List is refused (400, not retried): the blocks are staged, the commit is not.
    let hook =
        Hook::new(
            |request, n| {
                if request.operation == "PutBlockList" && n == 0 {
                    Action::Respond(400)
                } else {
                    Action::Forward
                }
            },
        );
    let container = support::new_container(&support::client(), "dirs").await;
    let hooked = support::client_with(&hook).container(container.name());
    let dir = support::scratch("dirs-resume");
    let path = dir.join("big");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 233) as u8).collect();
    std::fs::write(&path, &data).unwrap();
    let job = FileJob { path, name: "big".into(), checkpoint: Some(dir.join("big.checkpoint")), ..FileJob::default() };
    let options = UploadFilesOptions {
        upload: UploadOptions { block_size: 64 * 1024, resume: true, ..UploadOptions::default() },
        ..UploadFilesOptions::default()
    };
    let first: Vec<_> = hooked.upload_files_opts(stream::iter([job.clone()]), &options).collect().await;
    assert!(first[0].1.is_err());
    assert_eq!(hook.count("PutBlock"), 5);
    assert!(dir.join("big.checkpoint").exists());
    let again: Vec<_> = hooked.upload_files_opts(stream::iter([job]), &options).collect().await;
    let report = again[0].1.as_ref().unwrap();
    assert_eq!(report.resumed_blocks, 5, "no block sent twice");
    assert_eq!(hook.count("PutBlock"), 5);
    assert_eq!(container.blob("big").download().await.unwrap(), data);
    assert!(!dir.join("big.checkpoint").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A job's own conditions replace the options' for its file: a file whose
/// blob a listing did not show goes with `If-None-Match: *`, so a blob that
/// appeared since is refused, not replaced; one that replaces a version it
/// compared with goes with that version's ETag; and a job without
/// conditions keeps the options'. Small files (one Put Blob) and a file
/// in blocks (the condition on its Put Block List) alike.
#[tokio::test]
async fn a_jobs_conditions_replace_the_options_for_its_file() {
    let container = support::new_container(&support::client(), "dirs").await;
    let dir = support::scratch("dirs-conditions");
    let write = |name: &str, len: usize| {
        let path = dir.join(name);
        std::fs::write(&path, vec![b'n'; len]).unwrap();
        path
    };
    let (new, appeared, big) = (write("new", 10), write("appeared", 10), write("big", 150_000));
    let (known, stale, plain) = (write("known", 10), write("stale", 10), write("plain", 10));
    for name in ["c/appeared", "c/big", "c/known", "c/stale", "c/plain"] {
        container.blob(name).put(b"old".to_vec()).await.unwrap();
    }
    let known_etag = container.blob("c/known").properties().await.unwrap().etag;
    let stale_etag = container.blob("c/stale").properties().await.unwrap().etag;
    container.blob("c/stale").put(b"changed".to_vec()).await.unwrap();

    let job = |path: std::path::PathBuf, name: &str, conditions| FileJob {
        path,
        name: name.into(),
        conditions,
        ..FileJob::default()
    };
    let jobs = vec![
        job(new, "c/new", Some(Conditions::if_not_exists())),
        job(appeared, "c/appeared", Some(Conditions::if_not_exists())),
        job(big, "c/big", Some(Conditions::if_not_exists())),
        job(known, "c/known", Some(Conditions::if_match(known_etag))),
        job(stale, "c/stale", Some(Conditions::if_match(stale_etag))),
        // No conditions of its own: the options' `If-Match` of an ETag no
        // blob has applies, and refuses it.
        job(plain, "c/plain", None),
    ];
    let mut options = UploadFilesOptions {
        upload: UploadOptions { block_size: 64 * 1024, ..UploadOptions::default() },
        ..UploadFilesOptions::default()
    };
    options.upload.blob.conditions = Conditions::if_match(ETag("\"0x0\"".into()));
    let results: BTreeMap<String, Option<ErrorKind>> = container
        .upload_files_opts(stream::iter(jobs), &options)
        .map(|(job, result)| (job.name, result.err().map(|e| e.kind())))
        .collect()
        .await;
    let expected = BTreeMap::from([
        ("c/appeared".to_owned(), Some(ErrorKind::AlreadyExists)),
        ("c/big".to_owned(), Some(ErrorKind::AlreadyExists)),
        ("c/known".to_owned(), None),
        ("c/new".to_owned(), None),
        ("c/plain".to_owned(), Some(ErrorKind::PreconditionFailed)),
        ("c/stale".to_owned(), Some(ErrorKind::PreconditionFailed)),
    ]);
    assert_eq!(results, expected);
    for (name, body) in [
        ("c/new", &b"nnnnnnnnnn"[..]),
        ("c/known", b"nnnnnnnnnn"),
        ("c/appeared", b"old"),
        ("c/big", b"old"),
        ("c/stale", b"changed"),
        ("c/plain", b"old"),
    ] {
        assert_eq!(container.blob(name).get().await.unwrap().bytes().await.unwrap(), body, "{name}");
    }
}
