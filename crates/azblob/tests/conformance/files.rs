//! Conformance case of the many-file pool: `upload_files` and
//! `download_files`, with each file's modification time kept in its blob's
//! metadata and given back to the downloaded file.

use std::time::{Duration, SystemTime};

use azblob::{
    mtime_from_metadata, Concurrency, Conditions, ContainerClient, DownloadFilesOptions, ErrorKind, FileJob,
    ListBlobsOptions, ListInclude, ListItem, UploadFilesOptions,
};
use futures_util::{stream, StreamExt, TryStreamExt};

use super::{scratch, text};

pub async fn files_upload_and_download_many(container: ContainerClient) {
    let dir = scratch("files_upload_and_download_many");
    let (src, out) = (dir.join("src"), dir.join("out"));
    std::fs::create_dir_all(&src).unwrap();
    // Fixed mtimes, so the recorded metadata is the same at every run.
    let mtime = |i: u64| SystemTime::UNIX_EPOCH + Duration::new(1_650_000_000 + i, 250_000_000);
    let jobs: Vec<FileJob> = (0..12u64)
        .map(|i| {
            let path = src.join(format!("f{i}"));
            std::fs::write(&path, text(100 + i as usize, i)).unwrap();
            std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime(i)).unwrap();
            FileJob { path, name: format!("tree/d{}/f{i}", i % 3), ..FileJob::default() }
        })
        .collect();
    let options = UploadFilesOptions { concurrency: Concurrency::Fixed(4), ..UploadFilesOptions::default() };
    let results: Vec<_> = container.upload_files_opts(stream::iter(jobs.clone()), &options).collect().await;
    assert_eq!(results.len(), 12);
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");

    // The listing carries each file's mtime, which the download restores.
    let listed = ListBlobsOptions {
        prefix: Some("tree/".into()),
        include: ListInclude { metadata: true, ..ListInclude::default() },
        ..ListBlobsOptions::default()
    };
    let items: Vec<ListItem> = container.list_blobs_opts(&listed).try_collect().await.unwrap();
    let down: Vec<FileJob> = items
        .into_iter()
        .filter_map(|item| if let ListItem::Blob(b) = item { Some(b) } else { None })
        .map(|blob| FileJob {
            path: out.join(blob.name.replace('/', "_")),
            mtime: mtime_from_metadata(&blob.metadata),
            size: Some(blob.content_length),
            name: blob.name,
            ..FileJob::default()
        })
        .collect();
    assert_eq!(down.len(), 12);
    let options = DownloadFilesOptions { concurrency: Concurrency::Fixed(4), ..DownloadFilesOptions::default() };
    let results: Vec<_> = container.download_files_opts(stream::iter(down), &options).collect().await;
    assert!(results.iter().all(|(_, r)| r.is_ok()), "{results:?}");
    for i in 0..12u64 {
        let path = out.join(format!("tree_d{}_f{i}", i % 3));
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text(100 + i as usize, i));
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), mtime(i));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Each file's own conditions replace the options' for that file: with
/// create-only options, a file of its own unconditional write replaces its
/// blob, one without conditions of its own is refused, and a create-only
/// one onto a new name is written.
pub async fn files_upload_with_per_file_conditions(container: ContainerClient) {
    let dir = scratch("files_upload_with_per_file_conditions");
    std::fs::create_dir_all(&dir).unwrap();
    for name in ["cond/kept", "cond/replaced"] {
        container.blob(name).put(b"before".to_vec()).await.unwrap();
    }
    let job = |file: &str, name: &str, conditions: Option<Conditions>| {
        let path = dir.join(file);
        std::fs::write(&path, format!("local {file}")).unwrap();
        // A fixed mtime, so the recorded metadata is the same at every run.
        let mtime = SystemTime::UNIX_EPOCH + Duration::new(1_650_000_100, 250_000_000);
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
        FileJob { path, name: name.into(), conditions, ..FileJob::default() }
    };
    let jobs = vec![
        job("kept", "cond/kept", None),
        job("replaced", "cond/replaced", Some(Conditions::default())),
        job("new", "cond/new", Some(Conditions::if_not_exists())),
    ];
    let mut options = UploadFilesOptions { concurrency: Concurrency::Fixed(1), ..UploadFilesOptions::default() };
    options.upload.blob.conditions = Conditions::if_not_exists();
    let results: Vec<(String, Option<ErrorKind>)> = container
        .upload_files_opts(stream::iter(jobs), &options)
        .map(|(job, result)| (job.name, result.err().map(|e| e.kind())))
        .collect()
        .await;
    let outcome = |name: &str| results.iter().find(|(n, _)| n == name).map(|(_, kind)| *kind);
    assert_eq!(outcome("cond/kept"), Some(Some(ErrorKind::AlreadyExists)), "{results:?}");
    assert_eq!(outcome("cond/replaced"), Some(None), "{results:?}");
    assert_eq!(outcome("cond/new"), Some(None), "{results:?}");
    for (name, body) in [("cond/kept", "before"), ("cond/replaced", "local replaced"), ("cond/new", "local new")] {
        let stored = container.blob(name).get().await.unwrap().bytes().await.unwrap();
        assert_eq!(stored, body.as_bytes(), "{name}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
