//! The conformance suite: one set of checks written once against the client
//! API and run two ways, against Azurite (`conformance_azurite.rs`, which
//! records the cassettes under `testdata/cassettes/` when `AZBLOB_RECORD=1`)
//! and in replay with no server and no credentials (`conformance_replay.rs`).
//!
//! Each case gets a container and uses nothing else, so the same requests
//! go out both ways. Payloads are generated from a seed; downloads stay small
//! so the committed cassettes do too.

#![allow(dead_code, unreachable_pub)]

use std::path::PathBuf;

use azblob::sim::SimulationOptions;
use azblob::transport::{Method, Request};
use azblob::UploadSource;
use azblob::{
    AccessTier, AppendOptions, BatchOutcome, BlobRange, BlobSelector, BlobServiceClient, BlobType, Conditions,
    ContainerClient, ContentHeaders, CopySource, CopyStatus, DeleteBlobOptions, DeleteSnapshots, DownloadOptions, ETag,
    ErrorKind, GetOptions, ListBlobsOptions, ListInclude, ListItem, PutBlobOptions, UploadOptions,
};
use futures_util::future::BoxFuture;
use futures_util::TryStreamExt;
use md5::Digest as _;

mod blocks;
pub use blocks::*;
mod block_copy;
mod crc64;
pub use block_copy::*;
pub use crc64::*;

/// A case of the suite: the client (to create another container, named after
/// the case's) and the case's container.
pub type Case = fn(BlobServiceClient, ContainerClient) -> BoxFuture<'static, ()>;

/// Declares one `#[tokio::test]` per case, each calling `$run(name, case)`.
macro_rules! conformance_suite {
    ($run:ident) => {
        conformance::case!($run, core_put_get_properties);
        conformance::case!($run, core_range_reads);
        conformance::case!($run, core_metadata_and_headers);
        conformance::case!($run, core_delete_and_not_found);
        conformance::case!($run, core_conditional_errors);
        conformance::case!($run, transfer_block_upload_concurrent);
        conformance::case!($run, transfer_resume);
        conformance::case!($run, transfer_append);
        conformance::case!($run, transfer_parallel_download);
        conformance::case!($run, manage_list_prefix_delimiter_pages);
        conformance::case!($run, manage_batch_delete_with_a_missing_name);
        conformance::case_with_client!($run, manage_sync_copy_across_containers);
        conformance::case!($run, manage_set_tier_reads_back);
        conformance::case!($run, manage_snapshot_create_and_delete_with_snapshots);
        conformance::case!($run, blocks_stage_commit_and_list);
        conformance::case_with_client!($run, tags_put_get_set_list_and_find);
        conformance::case!($run, tags_conditions_on_reads_and_writes);
        conformance::case!($run, lease_actions_and_guarded_writes);
        conformance::case_with_client!($run, block_copy_put_block_from_url_range);
        conformance::case!($run, block_copy_many_blocks);
        conformance::case!($run, crc64_transactional_writes);
        conformance::case!($run, files_upload_and_download_many);
        conformance::case!($run, files_upload_with_per_file_conditions);
    };
}

macro_rules! case {
    ($run:ident, $name:ident) => {
        #[tokio::test]
        async fn $name() {
            $run(stringify!($name), |_client, container| Box::pin(conformance::$name(container))).await;
        }
    };
}

macro_rules! case_with_client {
    ($run:ident, $name:ident) => {
        #[tokio::test]
        async fn $name() {
            $run(stringify!($name), |client, container| Box::pin(conformance::$name(client, container))).await;
        }
    };
}

pub(crate) use {case, case_with_client, conformance_suite};

mod tags_leases;
pub use self::tags_leases::*;

mod files;
pub use self::files::*;

/// The cassette of a case: `testdata/cassettes/<case>.json`.
pub fn cassette_path(case: &str) -> PathBuf {
    azblob_testkit::workspace_root().join("testdata").join("cassettes").join(format!("{case}.json"))
}

/// The fixed container of a recorded case (replays must send the same paths).
pub fn container_name(case: &str) -> String {
    format!("conf-{}", case.replace('_', "-"))
}

/// Simulation settings of the suite: a seed per case, so re-recording gives the same block ids.
pub fn options(case: &str) -> SimulationOptions {
    let seed = case.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x100_0000_01b3));
    SimulationOptions::new().seed(seed)
}

/// Creates `name` through `client` (so a recording holds it, and a replay answers it).
pub async fn create_container(client: &BlobServiceClient, name: &str) -> ContainerClient {
    let container = client.container(name);
    let mut url = container.url().unwrap();
    url.query_pairs_mut().append_pair("restype", "container");
    client.send_raw(Request::new("CreateContainer", Method::PUT, url)).await.expect("create the suite's container");
    container
}

/// Deterministic pseudo-random bytes.
pub fn data(len: u64, seed: u64) -> Vec<u8> {
    azblob_testkit::pseudo_random_bytes(len, seed)
}

/// Deterministic printable text (recorded inline, so cassettes stay readable).
pub fn text(len: usize, seed: u64) -> String {
    data(len as u64, seed).into_iter().map(|b| (b'a' + b % 26) as char).collect()
}

fn md5(bytes: &[u8]) -> Vec<u8> {
    md5::Md5::digest(bytes).to_vec()
}

/// A scratch directory for files of one case (not part of any request).
fn scratch(case: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("azblob-conformance-{case}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

const KIB: u64 = 1024;
const STALE: &str = "\"0x8D000000000DEAD\"";

pub async fn core_put_get_properties(container: ContainerClient) {
    let blob = container.blob("dir/hello world ü.txt");
    let options = PutBlobOptions {
        content: ContentHeaders {
            content_type: Some("text/plain; charset=utf-8".into()),
            content_language: Some("en-GB".into()),
            content_disposition: Some("attachment; filename=\"hello.txt\"".into()),
            cache_control: Some("max-age=60".into()),
            ..ContentHeaders::default()
        },
        metadata: [("project".to_owned(), "alpha".to_owned())].into(),
        tier: Some(AccessTier::Cool),
        transactional_md5: true,
        ..PutBlobOptions::default()
    };
    let written = blob.put_opts("hello, azure", &options).await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"hello, azure");
    let props = blob.properties().await.unwrap();
    assert_eq!(props.content_length, 12);
    assert_eq!(props.etag, written.etag);
    assert_eq!(props.blob_type, BlobType::BlockBlob);
    assert_eq!(props.content.content_type.as_deref(), Some("text/plain; charset=utf-8"));
    assert_eq!(props.content.content_disposition.as_deref(), Some("attachment; filename=\"hello.txt\""));
    assert_eq!(props.metadata.get("project").map(String::as_str), Some("alpha"));
    assert_eq!(props.access_tier, Some(AccessTier::Cool));
    assert_eq!(props.content.content_md5, Some(md5(b"hello, azure")));
    assert!(blob.exists().await.unwrap());
    assert!(!container.blob("absent").exists().await.unwrap());
}

pub async fn core_range_reads(container: ContainerClient) {
    let blob = container.blob("digits");
    blob.put("0123456789").await.unwrap();
    assert_eq!(&blob.download_range(BlobRange::new(2, 3)).await.unwrap()[..], b"234");
    assert_eq!(&blob.download_range(BlobRange::from_offset(7)).await.unwrap()[..], b"789");
    assert_eq!(&blob.download_range(BlobRange::new(8, 100)).await.unwrap()[..], b"89");
    let response =
        blob.get_opts(&GetOptions { range: Some(BlobRange::new(4, 2)), ..Default::default() }).await.unwrap();
    assert_eq!(response.head.range, Some((4, 5)));
    assert_eq!(response.head.properties.content_length, 10);
    assert_eq!(&response.bytes().await.unwrap()[..], b"45");
    let err = blob.download_range(BlobRange::new(10, 1)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidRange, "{err}");
}

pub async fn core_metadata_and_headers(container: ContainerClient) {
    let blob = container.blob("m");
    let first = PutBlobOptions { metadata: [("old".into(), "1".into())].into(), ..Default::default() };
    blob.put_opts("x", &first).await.unwrap();
    let written = blob.set_metadata(&[("fresh".to_owned(), "yes".to_owned())].into()).await.unwrap();
    let props = blob.properties().await.unwrap();
    assert_eq!(props.etag, written.etag);
    assert_eq!(props.metadata.len(), 1, "{:?}", props.metadata);
    assert_eq!(props.metadata.get("fresh").map(String::as_str), Some("yes"));
    let headers = ContentHeaders {
        content_type: Some("application/json".into()),
        cache_control: Some("no-store".into()),
        ..ContentHeaders::default()
    };
    blob.set_http_headers(&headers).await.unwrap();
    let props = blob.properties().await.unwrap();
    assert_eq!(props.content.content_type.as_deref(), Some("application/json"));
    assert_eq!(props.content.cache_control.as_deref(), Some("no-store"));
    assert_eq!(&blob.download().await.unwrap()[..], b"x");
}

pub async fn core_delete_and_not_found(container: ContainerClient) {
    let blob = container.blob("gone");
    blob.put("bye").await.unwrap();
    blob.delete().await.unwrap();
    let err = blob.download().await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::NotFound, Some("BlobNotFound")));
    assert_eq!(err.status().map(|s| s.as_u16()), Some(404));
    assert!(err.request_id().is_some(), "{err:?}");
    let err = blob.properties().await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::NotFound, Some("BlobNotFound")));
    assert!(!blob.exists().await.unwrap());
    assert_eq!(blob.delete().await.unwrap_err().kind(), ErrorKind::NotFound);
}

pub async fn core_conditional_errors(container: ContainerClient) {
    let blob = container.blob("c");
    let only_new = PutBlobOptions { conditions: Conditions::if_not_exists(), ..Default::default() };
    let first = blob.put_opts("v1", &only_new).await.unwrap();
    let err = blob.put_opts("v2", &only_new).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    let stale = Conditions::if_match(ETag(STALE.into()));
    let err =
        blob.put_opts("v3", &PutBlobOptions { conditions: stale.clone(), ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    let err = blob.get_opts(&GetOptions { conditions: stale, ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    let current = Conditions::if_match(first.etag);
    blob.put_opts("v4", &PutBlobOptions { conditions: current, ..Default::default() }).await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"v4");
}

pub async fn transfer_block_upload_concurrent(container: ContainerClient) {
    let bytes = data(5 * 16 * KIB + 7, 5);
    let blob = container.blob("blocks.bin");
    let report = blob
        .upload_opts(
            bytes.clone(),
            &UploadOptions {
                block_size: 16 * KIB,
                concurrency: 4.into(),
                single_put_max: 0,
                blob: PutBlobOptions { transactional_md5: true, ..PutBlobOptions::default() },
                blob_md5: true,
                ..UploadOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((report.blocks, report.bytes), (6, bytes.len() as u64));
    let props = blob.properties().await.unwrap();
    assert_eq!(props.content_length, bytes.len() as u64);
    assert_eq!(props.content.content_md5, Some(md5(&bytes)));
    assert_eq!(
        blob.download_range(BlobRange::new(16 * KIB - 8, 16)).await.unwrap(),
        bytes[16 * 1024 - 8..16 * 1024 + 8]
    );

    // A stream of unknown length goes block by block too.
    let streamed = container.blob("streamed.bin");
    let report = streamed
        .upload_opts(
            UploadSource::reader(std::io::Cursor::new(bytes.clone())),
            &UploadOptions { block_size: 16 * KIB, concurrency: 4.into(), ..UploadOptions::default() },
        )
        .await;
    assert_eq!(report.unwrap().blocks, 6);
    assert_eq!(streamed.properties().await.unwrap().content_length, bytes.len() as u64);
}

pub async fn transfer_resume(container: ContainerClient) {
    let bytes = data(6 * 16 * KIB + 3, 6);
    let dir = scratch("resume");
    let path = dir.join("big.bin");
    std::fs::write(&path, &bytes).unwrap();
    let checkpoint = dir.join("big.upload.json");
    let _ = std::fs::remove_file(&checkpoint);
    let blob = container.blob("resumed.bin");

    // The commit fails (a stale If-Match) after every block is staged: the checkpoint stays.
    let failing = UploadOptions {
        block_size: 16 * KIB,
        concurrency: 3.into(),
        blob: PutBlobOptions { conditions: Conditions::if_match(ETag(STALE.into())), ..PutBlobOptions::default() },
        ..UploadOptions::default()
    };
    let failing = UploadOptions { checkpoint: Some(checkpoint.clone()), resume: true, ..failing };
    let err = blob.upload_opts(UploadSource::file(&path), &failing).await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::PreconditionFailed | ErrorKind::NotFound), "{err}");
    assert!(checkpoint.exists());

    // Resuming finds every block staged and only commits.
    let report = blob
        .upload_opts(
            UploadSource::file(&path),
            &UploadOptions {
                block_size: 16 * KIB,
                concurrency: 3.into(),
                checkpoint: Some(checkpoint.clone()),
                resume: true,
                ..UploadOptions::default()
            },
        )
        .await
        .unwrap();
    assert_eq!((report.blocks, report.resumed_blocks), (7, 7));
    assert!(!checkpoint.exists());
    assert_eq!(blob.properties().await.unwrap().content_length, bytes.len() as u64);
    assert_eq!(blob.download_range(BlobRange::new(6 * 16 * KIB, 3)).await.unwrap(), bytes[6 * 16 * 1024..]);
    std::fs::remove_dir_all(dir).unwrap();
}

pub async fn transfer_append(container: ContainerClient) {
    let blob = container.blob("log.txt");
    blob.create_append_blob().await.unwrap();
    blob.append("one\n").await.unwrap();
    blob.append_opts("two\n", &AppendOptions { append_position: Some(4), ..AppendOptions::default() }).await.unwrap();
    let md5_capped = AppendOptions { transactional_md5: true, max_size: Some(100), ..AppendOptions::default() };
    blob.append_opts("three\n", &md5_capped).await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"one\ntwo\nthree\n");
    assert_eq!(blob.properties().await.unwrap().blob_type, BlobType::AppendBlob);
    let stale = AppendOptions { append_position: Some(4), ..AppendOptions::default() };
    assert_eq!(blob.append_opts("late\n", &stale).await.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    blob.seal().await.unwrap();
    assert_eq!(blob.append("sealed\n").await.unwrap_err().kind(), ErrorKind::Conflict);
}

pub async fn transfer_parallel_download(container: ContainerClient) {
    let content = text(4 * 1024 + 5, 9);
    let blob = container.blob("text.txt");
    blob.upload_opts(content.clone().into_bytes(), &UploadOptions { blob_md5: true, ..UploadOptions::default() })
        .await
        .unwrap();
    let options =
        DownloadOptions { chunk_size: 512, concurrency: 4.into(), verify_md5: true, ..DownloadOptions::default() };
    let memory = blob.download_opts(&options).await.unwrap();
    assert!(memory == content.as_bytes());

    let mut out = Vec::new();
    let report = blob.download_to_writer_opts(&mut out, &options).await.unwrap();
    assert_eq!((report.chunks, report.md5_verified), (9, true));
    assert!(out == content.as_bytes(), "in order");

    let dir = scratch("download");
    let path = dir.join("text.txt");
    blob.download_to_file_opts(&path, &options).await.unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), content);
    std::fs::remove_dir_all(dir).unwrap();
}

async fn listed_names(container: &ContainerClient, options: ListBlobsOptions) -> Vec<String> {
    container.list_blobs_opts(&options).map_ok(|i| i.name().to_owned()).try_collect().await.unwrap()
}

pub async fn manage_list_prefix_delimiter_pages(container: ContainerClient) {
    let names = ["list/0", "list/1", "list/2", "list/3", "list/4", "list/sub/x", "top"];
    for name in names {
        container.blob(name).put(name).await.unwrap();
    }

    // Flat, 3 a page: 3 pages, every name once, in order.
    let options = ListBlobsOptions { max_results: Some(3), ..Default::default() };
    let pages: Vec<_> = container.list_blob_pages_opts(&options).try_collect().await.unwrap();
    assert_eq!(pages.iter().map(|p| p.items.len()).collect::<Vec<_>>(), [3, 3, 1]);
    assert!(pages[..2].iter().all(|p| p.next_marker.is_some()) && pages[2].next_marker.is_none());
    let listed: Vec<&str> = pages.iter().flat_map(|p| p.items.iter().map(|i| i.name())).collect();
    assert_eq!(listed, names);

    // A prefix and a delimiter, still 3 a page: the blobs under list/ and one virtual directory.
    let options = ListBlobsOptions {
        prefix: Some("list/".into()),
        delimiter: Some("/".into()),
        max_results: Some(3),
        ..Default::default()
    };
    let items: Vec<ListItem> = container.list_blobs_opts(&options).try_collect().await.unwrap();
    let prefixes: Vec<&str> =
        items.iter().filter_map(|i| if let ListItem::Prefix(p) = i { Some(p.as_str()) } else { None }).collect();
    assert_eq!(prefixes, ["list/sub/"]);
    assert_eq!(items.len(), 6, "{items:?}");

    // The container's root by delimiter.
    let root = listed_names(&container, ListBlobsOptions { delimiter: Some("/".into()), ..Default::default() }).await;
    assert_eq!(root, ["list/", "top"]);
}

pub async fn manage_batch_delete_with_a_missing_name(container: ContainerClient) {
    for name in ["b0", "b1", "b 2"] {
        container.blob(name).put(name).await.unwrap();
    }
    let results = container.delete_blobs(["b0", "missing", "b 2"]).await.unwrap();
    let names: Vec<&str> = results.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["b0", "missing", "b 2"], "results keep the input order");
    assert!(matches!(results[0].outcome, BatchOutcome::Done), "{:?}", results[0].outcome);
    assert!(matches!(results[1].outcome, BatchOutcome::NotFound), "{:?}", results[1].outcome);
    assert!(matches!(results[2].outcome, BatchOutcome::Done), "{:?}", results[2].outcome);
    assert_eq!(listed_names(&container, ListBlobsOptions::default()).await, ["b1"]);
}

pub async fn manage_sync_copy_across_containers(client: BlobServiceClient, container: ContainerClient) {
    let target_container = create_container(&client, &format!("{}-dst", container.name())).await;
    let source = container.blob("data/source.txt");
    let content = text(3000, 11);
    let options = PutBlobOptions {
        metadata: [("origin".to_owned(), "source".to_owned())].into(),
        content: ContentHeaders { content_type: Some("text/x-test".into()), ..Default::default() },
        ..Default::default()
    };
    source.put_opts(content.clone(), &options).await.unwrap();

    let target = target_container.blob("copy of source.txt");
    let done = target.copy_from_url(&CopySource::blob(&source)).await.unwrap();
    assert_eq!(done.status, CopyStatus::Success);
    assert!(target.download().await.unwrap() == content.as_bytes());
    let props = target.properties().await.unwrap();
    assert_eq!(props.metadata.get("origin").map(String::as_str), Some("source"));
    assert_eq!(props.content.content_type.as_deref(), Some("text/x-test"));
    assert_eq!(props.content_length, 3000);

    // A missing source is a typed error.
    let missing = CopySource::blob(&container.blob("missing"));
    let err = target_container.blob("never").copy_from_url(&missing).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

pub async fn manage_set_tier_reads_back(container: ContainerClient) {
    let blob = container.blob("tiered");
    blob.put("some bytes").await.unwrap();
    for tier in [AccessTier::Cool, AccessTier::Cold, AccessTier::Hot] {
        blob.set_tier(&tier).await.unwrap();
        let props = blob.properties().await.unwrap();
        assert_eq!(props.access_tier, Some(tier.clone()));
        assert!(!props.access_tier_inferred);
    }
    blob.set_tier(&AccessTier::Archive).await.unwrap();
    assert_eq!(blob.properties().await.unwrap().access_tier, Some(AccessTier::Archive));
    let err = blob.download().await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::Archived, Some("BlobArchived")), "{err}");
}

async fn snapshot_count(container: &ContainerClient) -> usize {
    let include = ListInclude { snapshots: true, ..ListInclude::default() };
    let items: Vec<ListItem> =
        container.list_blobs_opts(&ListBlobsOptions { include, ..Default::default() }).try_collect().await.unwrap();
    items.iter().filter(|i| matches!(i, ListItem::Blob(b) if b.snapshot.is_some())).count()
}

pub async fn manage_snapshot_create_and_delete_with_snapshots(container: ContainerClient) {
    let blob = container.blob("snapped");
    blob.put("version one").await.unwrap();
    let first = blob.create_snapshot().await.unwrap();
    blob.put("version two").await.unwrap();
    blob.create_snapshot().await.unwrap();
    assert_eq!(snapshot_count(&container).await, 2);
    let at_first = GetOptions { selector: azblob::BlobSelector::snapshot(&first.snapshot), ..Default::default() };
    let old = blob.get_opts(&at_first).await.unwrap().bytes().await.unwrap();
    assert_eq!(&old[..], b"version one");

    // Without x-ms-delete-snapshots: a typed error, nothing deleted.
    let err = blob.delete().await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::Conflict, Some("SnapshotsPresent")), "{err}");
    blob.delete_opts(&DeleteBlobOptions { selector: BlobSelector::snapshot(&first.snapshot), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(snapshot_count(&container).await, 1);

    // `include`: the blob and its snapshots go together.
    blob.delete_opts(&DeleteBlobOptions { delete_snapshots: Some(DeleteSnapshots::Include), ..Default::default() })
        .await
        .unwrap();
    assert!(!blob.exists().await.unwrap());
    assert_eq!(snapshot_count(&container).await, 0);
}
