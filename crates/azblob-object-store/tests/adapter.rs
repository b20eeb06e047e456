//! What the adapter adds to object_store's suite: a body cut mid-way that
//! resumes through the store, prefixes, suffix ranges, the error mapping,
//! multipart ids that survive as strings, and attributes Azure holds.

mod support;

use azblob::{AccessTier, BlockListOptions, BlockListType};
use azblob_object_store::AzblobStore;
use azblob_testkit::{first_n, pseudo_random_bytes, FaultProxy, HttpFault, ProxyOptions};
use futures_util::TryStreamExt;
use object_store::list::{PaginatedListOptions, PaginatedListStore};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, Error, GetOptions, GetRange, ObjectStore, ObjectStoreExt, PutMode, PutOptions, TagSet,
    UpdateVersion,
};

const MIB: u64 = 1024 * 1024;

/// A 4 MiB read whose body the proxy cuts once (a reset, then a clean but
/// early close) comes back whole through `get`: the store hands out
/// azblob's resuming body, which asks for the rest from the next byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_mid_way_resumes_through_the_store() {
    let direct = support::client();
    let container = support::new_container(&direct, "os-resume").await;
    let data = pseudo_random_bytes(4 * MIB, 7);
    container.blob("big.bin").put(data.clone()).await.unwrap();
    let http = &azblob_testkit::endpoints().http;
    for cut in [HttpFault::ResetResponseBody { after: MIB }, HttpFault::Truncate { after: 3 * MIB }] {
        let is_read = |r: &azblob_testkit::RequestInfo| r.method == "GET" && !r.target.contains("comp=");
        let proxy = FaultProxy::to_url(http, first_n(1, 0, vec![cut], is_read), ProxyOptions::default()).unwrap();
        let client = support::builder(&proxy.url_for(http)).build().unwrap();
        let store = AzblobStore::new(client.container(container.name()));
        let read = store.get(&Path::from("big.bin")).await.unwrap();
        assert_eq!(read.meta.size, 4 * MIB);
        let bytes = read.bytes().await.unwrap_or_else(|e| panic!("{cut:?}: {e}"));
        assert_eq!(bytes.len() as u64, 4 * MIB, "{cut:?}");
        assert!(bytes[..] == data[..], "{cut:?}: the resumed body is byte-exact");
        assert_eq!(proxy.injected().len(), 1, "{cut:?}: the body was cut once");
        assert_eq!(proxy.requests(), 2, "{cut:?}: one Get Blob, then one for the rest");
    }
}

/// A store with a prefix names its blobs under it and lists paths without it.
#[tokio::test]
async fn a_prefix_keeps_paths_relative() {
    let client = support::client();
    let container = support::new_container(&client, "os-prefix").await;
    container.blob("elsewhere/x").put("not ours").await.unwrap();
    let store = AzblobStore::new(container.clone()).prefix("lake/t1");
    assert_eq!(store.to_string(), format!("AzblobStore({}/lake/t1)", container.name()));
    store.put(&Path::from("a/b.parquet"), "ab".into()).await.unwrap();
    store.put(&Path::from("c.parquet"), "c".into()).await.unwrap();
    assert_eq!(&container.blob("lake/t1/a/b.parquet").download().await.unwrap()[..], b"ab");

    let mut all: Vec<Path> = store.list(None).map_ok(|m| m.location).try_collect().await.unwrap();
    all.sort();
    assert_eq!(all, vec![Path::from("a/b.parquet"), Path::from("c.parquet")]);
    let top = store.list_with_delimiter(None).await.unwrap();
    assert_eq!(top.common_prefixes, vec![Path::from("a")]);
    assert_eq!(top.objects.iter().map(|o| o.location.clone()).collect::<Vec<_>>(), vec![Path::from("c.parquet")]);
    let page = store.list_paginated(Some("a/"), PaginatedListOptions::default()).await.unwrap();
    assert_eq!(page.result.objects[0].location, Path::from("a/b.parquet"));
    assert_eq!(page.page_token, None);

    store.copy(&Path::from("c.parquet"), &Path::from("d.parquet")).await.unwrap();
    assert_eq!(&container.blob("lake/t1/d.parquet").download().await.unwrap()[..], b"c");
    store.delete(&Path::from("c.parquet")).await.unwrap();
    assert!(!container.blob("lake/t1/c.parquet").exists().await.unwrap());
}

/// Azure's `x-ms-range` has no suffix form: the store reads the size, then
/// the tail of that very blob.
#[tokio::test]
async fn suffix_and_head_ranges_read_the_tail_of_one_blob() {
    let store = support::store("os-suffix").await;
    let path = Path::from("digits");
    store.put(&path, "0123456789".into()).await.unwrap();
    let suffix = |n| GetOptions::new().with_range(Some(GetRange::Suffix(n)));

    let tail = store.get_opts(&path, suffix(3)).await.unwrap();
    assert_eq!((tail.range.clone(), tail.meta.size), (7..10, 10));
    assert_eq!(&tail.bytes().await.unwrap()[..], b"789");
    let none = store.get_opts(&path, suffix(0)).await.unwrap();
    assert_eq!(none.range, 10..10);
    assert!(none.bytes().await.unwrap().is_empty());
    let whole = store.get_opts(&path, suffix(100)).await.unwrap();
    assert_eq!(whole.range, 0..10);
    assert_eq!(&whole.bytes().await.unwrap()[..], b"0123456789");

    let head = GetOptions::new().with_head(true).with_range(Some(GetRange::Offset(4)));
    let head = store.get_opts(&path, head).await.unwrap();
    assert_eq!(head.range, 4..10);
    assert!(head.bytes().await.unwrap().is_empty(), "a head carries no body");

    let stale = suffix(3).with_if_match(Some("\"0x8D000000000DEAD\""));
    let err = store.get_opts(&path, stale).await.unwrap_err();
    assert!(matches!(err, Error::Precondition { .. }), "{err}");
}

/// azblob's error kinds arrive as the object_store errors callers act on.
#[tokio::test]
async fn errors_map_to_object_store_kinds() {
    let store = support::store("os-errors").await;
    let path = Path::from("x");
    let written = store.put(&path, "x".into()).await.unwrap();

    let mut tags = TagSet::default();
    tags.push("bad*key", "lake");
    let err = store.put_opts(&path, "y".into(), PutOptions::from(tags)).await.unwrap_err();
    assert!(matches!(err, Error::Generic { .. }), "a tag the service would refuse is refused unsent: {err}");
    let no_etag = PutMode::Update(UpdateVersion { e_tag: None, version: written.version.clone() });
    let err = store.put_opts(&path, "y".into(), no_etag.into()).await.unwrap_err();
    assert!(matches!(err, Error::Generic { .. }), "{err}");
    let err = store.put_opts(&path, "y".into(), PutMode::Create.into()).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    assert_eq!(&store.get(&path).await.unwrap().bytes().await.unwrap()[..], b"x", "nothing was written");

    let unchanged = GetOptions::new().with_if_none_match(written.e_tag.clone());
    let err = store.get_opts(&path, unchanged.clone()).await.unwrap_err();
    assert!(matches!(err, Error::NotModified { .. }), "{err}");
    let err = store.get_opts(&path, unchanged.with_head(true)).await.unwrap_err();
    assert!(matches!(err, Error::NotModified { .. }), "a head's 304 too: {err}");

    let missing = Path::from("missing");
    assert!(matches!(store.head(&missing).await.unwrap_err(), Error::NotFound { .. }));
    assert!(matches!(store.delete(&missing).await.unwrap_err(), Error::NotFound { .. }));
    let err = store.get_range(&path, 5..9).await.unwrap_err();
    assert!(matches!(err, Error::Generic { .. }), "a range past the end: {err}");

    store.put(&Path::from("y"), "y".into()).await.unwrap();
    let err = store.copy_if_not_exists(&Path::from("y"), &path).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    let err = store.put_part(&path, &"not-an-upload-id".to_owned(), 0, "p".into()).await.unwrap_err();
    assert!(matches!(err, Error::Generic { .. }), "{err}");
}

/// Part ids are plain strings a caller may store and rebuild; the parts are
/// committed in part order whatever order they were staged in, each a block
/// whose id has one length.
#[tokio::test]
async fn multipart_ids_survive_as_strings() {
    let client = support::client();
    let container = support::new_container(&client, "os-parts").await;
    let store = AzblobStore::new(container.clone());
    let path = Path::from("parts.bin");
    let upload: String = store.create_multipart(&path).await.unwrap();
    let second = store.put_part(&path, &upload, 1, "world".into()).await.unwrap();
    let first = store.put_part(&path, &upload, 0, "hello ".into()).await.unwrap();
    let saved: Vec<String> = vec![first.content_id, second.content_id];

    let staged = container.blob("parts.bin").block_list().await.unwrap();
    assert_eq!(staged.uncommitted.len(), 2);
    store.abort_multipart(&path, &upload).await.unwrap();
    assert_eq!(container.blob("parts.bin").block_list().await.unwrap().uncommitted.len(), 2, "abort sends nothing");

    let parts = saved.into_iter().map(|content_id| PartId { content_id }).collect();
    let done = store.complete_multipart(&path, &upload, parts).await.unwrap();
    assert_eq!(&store.get(&path).await.unwrap().bytes().await.unwrap()[..], b"hello world");
    assert_eq!(done.e_tag, store.head(&path).await.unwrap().e_tag);
    let committed = container
        .blob("parts.bin")
        .block_list_opts(&BlockListOptions { list_type: BlockListType::Committed, ..Default::default() })
        .await
        .unwrap()
        .committed;
    assert_eq!(committed.iter().map(|b| b.size).collect::<Vec<_>>(), vec![6, 5]);
    assert_eq!(committed[0].id.len(), committed[1].id.len());
}

/// The storage class is written as the access tier; reads do not report it
/// (Get Blob does not always send the tier), so it never comes and goes.
#[tokio::test]
async fn the_storage_class_is_written_as_the_access_tier() {
    let client = support::client();
    let container = support::new_container(&client, "os-tier").await;
    let store = AzblobStore::new(container.clone());
    let cool = Attributes::from_iter([(Attribute::StorageClass, "Cool"), (Attribute::ContentType, "text/csv")]);
    store.put_opts(&Path::from("cool.csv"), "a,b".into(), cool.into()).await.unwrap();
    let props = container.blob("cool.csv").properties().await.unwrap();
    assert_eq!(props.access_tier, Some(AccessTier::Cool));
    let read_back = Attributes::from_iter([(Attribute::ContentType, "text/csv")]);
    assert_eq!(store.get(&Path::from("cool.csv")).await.unwrap().attributes, read_back);
    let ranged = store.get_opts(&Path::from("cool.csv"), GetOptions::new().with_range(Some(1..3))).await.unwrap();
    assert_eq!((ranged.attributes, ranged.range), (read_back, 1..3));
}

/// A URL names the container and, after it, the store's prefix.
#[test]
fn from_url_takes_the_container_and_prefix() {
    let store = AzblobStore::from_url("http://127.0.0.1:10000/devstoreaccount1/data/lake/t1/").unwrap();
    assert_eq!(store.to_string(), "AzblobStore(data/lake/t1)");
    assert_eq!(store.container().name(), "data");
    let bare = AzblobStore::from_url("https://acct.blob.core.windows.net/data").unwrap();
    assert_eq!(bare.to_string(), "AzblobStore(data)");
    assert!(AzblobStore::from_url("not a url").is_err());
}

/// Neither the store's `Debug` nor its `Display` shows a SAS signature or an account key.
#[test]
fn the_store_prints_no_secret() {
    let sas =
        AzblobStore::from_url("https://acct.blob.core.windows.net/data?sv=2023-11-03&sp=r&sig=c2VjcmV0U2lnbmF0dXJl")
            .unwrap();
    let key = AzblobStore::new(support::builder("http://127.0.0.1:9/devstoreaccount1").build().unwrap().container("c"));
    for printed in [format!("{sas:?}"), sas.to_string(), format!("{key:?}"), key.to_string()] {
        assert!(!printed.contains("c2VjcmV0U2lnbmF0dXJl"), "{printed}");
        assert!(!printed.contains(azblob::DEV_ACCOUNT_KEY), "{printed}");
    }
}

/// A put past the store's `single_put_max` is a block upload, committed
/// under the put mode's condition like a single Put Blob.
#[tokio::test]
async fn a_large_put_is_staged_in_blocks_under_its_mode() {
    let client = support::client();
    let container = support::new_container(&client, "os-blocks").await;
    let upload = azblob::UploadOptions { single_put_max: 1024, block_size: 1024, ..Default::default() };
    let store = AzblobStore::new(container.clone()).upload(upload);
    let path = Path::from("big");
    let data = pseudo_random_bytes(5000, 3);
    let first = store.put_opts(&path, data.clone().into(), PutMode::Create.into()).await.unwrap();
    assert_eq!(&store.get(&path).await.unwrap().bytes().await.unwrap()[..], &data[..]);
    let blocks = container.blob("big").block_list().await.unwrap().committed;
    assert_eq!(blocks.iter().map(|b| b.size).collect::<Vec<_>>(), vec![1024, 1024, 1024, 1024, 904]);

    let err = store.put_opts(&path, data.clone().into(), PutMode::Create.into()).await.unwrap_err();
    assert!(matches!(err, Error::AlreadyExists { .. }), "{err}");
    let update = PutMode::Update(UpdateVersion { e_tag: first.e_tag.clone(), version: None });
    let second = store.put_opts(&path, data.clone().into(), update.clone().into()).await.unwrap();
    assert_ne!(second.e_tag, first.e_tag);
    let err = store.put_opts(&path, data.into(), update.into()).await.unwrap_err();
    assert!(matches!(err, Error::Precondition { .. }), "a stale ETag: {err}");
}

/// A put's and a multipart upload's tags become the blob's index tags.
#[tokio::test]
async fn tags_are_written_as_blob_index_tags() {
    let store = support::store("os-tags").await;
    let mut tags = TagSet::default();
    tags.push("stage", "prod");
    tags.push("run id", "42/a");
    let path = Path::from("tagged.bin");
    store.put_opts(&path, "x".into(), PutOptions::from(tags.clone())).await.unwrap();
    let read = store.container().blob("tagged.bin").get_tags().await.unwrap();
    let expected: azblob::Tags = [("stage", "prod"), ("run id", "42/a")].map(|(k, v)| (k.into(), v.into())).into();
    assert_eq!(read, expected);

    let options = object_store::PutMultipartOptions { tags, ..Default::default() };
    let mut upload = store.put_multipart_opts(&Path::from("parts.bin"), options).await.unwrap();
    upload.put_part("part".into()).await.unwrap();
    upload.complete().await.unwrap();
    assert_eq!(store.container().blob("parts.bin").get_tags().await.unwrap(), expected);
}
