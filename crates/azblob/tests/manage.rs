//! Management operations against the Azurite emulator: list, delete, batch, copy, tier, snapshots.

mod support;

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use azblob::{
    AccessTier, BatchOutcome, BlobSelector, ContainerClient, ContentHeaders, CopyOptions, CopySource, CopyState,
    CopyStatus, DeleteBlobOptions, DeleteBlobsOptions, DeleteSnapshots, ErrorKind, GetOptions, ListBlobsOptions,
    ListInclude, ListItem, PutBlobOptions, SetBlobTiersOptions, WaitOptions,
};
use futures_util::{stream, StreamExt, TryStreamExt};
use support::{client, new_container};

/// Creates `names` with tiny bodies, 32 at a time (Azurite is single-threaded;
/// more in flight does not go faster).
async fn create_blobs(container: &ContainerClient, names: &[String]) {
    stream::iter(names)
        .map(|name| async move { container.blob(name.as_str()).put(name.clone()).await })
        .buffer_unordered(32)
        .try_collect::<Vec<_>>()
        .await
        .expect("create test blobs");
}

async fn names_in(container: &ContainerClient, options: ListBlobsOptions) -> Vec<String> {
    container.list_blobs_opts(&options).map_ok(|i| i.name().to_owned()).try_collect().await.unwrap()
}

#[tokio::test]
async fn list_with_prefix_delimiter_and_pagination_over_2500_blobs() {
    let client = client();
    let container = new_container(&client, "list").await;
    let mut names: Vec<String> = (0..2500).map(|i| format!("many/{i:04}.txt")).collect();
    names.extend(["many/sub/a".into(), "many/sub/deeper/b".into(), "other/x".into(), "top".into()]);
    create_blobs(&container, &names).await;

    // Flat, 1,000 per page: several pages, every name exactly once, in order.
    let options = ListBlobsOptions { prefix: Some("many/".into()), max_results: Some(1000), ..Default::default() };
    let pages: Vec<_> = container.list_blob_pages_opts(&options).try_collect().await.unwrap();
    assert_eq!(pages.len(), 3, "2,502 names at 1,000 a page");
    assert!(pages[..2].iter().all(|p| p.next_marker.is_some()) && pages[2].next_marker.is_none());
    let listed: Vec<String> = pages.iter().flat_map(|p| p.items.iter().map(|i| i.name().to_owned())).collect();
    let expected: Vec<String> = names.iter().filter(|n| n.starts_with("many/")).cloned().collect();
    assert_eq!(listed.len(), 2502);
    assert_eq!(listed.iter().collect::<BTreeSet<_>>().len(), 2502, "no name twice");
    let mut sorted = expected.clone();
    sorted.sort();
    assert_eq!(listed, sorted, "every name once, in the service's order");

    // The same by hand with markers, as a caller who keeps the marker does.
    let mut marker: Option<String> = None;
    let mut count = 0;
    loop {
        let page = container.list_blobs_page_opts(marker.as_deref(), &options).await.unwrap();
        count += page.items.len();
        match page.next_marker {
            Some(m) => marker = Some(m),
            None => break,
        }
    }
    assert_eq!(count, 2502);

    // With a delimiter: the blobs directly under many/ and one virtual directory.
    let options = ListBlobsOptions {
        prefix: Some("many/".into()),
        delimiter: Some("/".into()),
        max_results: Some(700),
        ..Default::default()
    };
    let items: Vec<ListItem> = container.list_blobs_opts(&options).try_collect().await.unwrap();
    let prefixes: Vec<&str> =
        items.iter().filter_map(|i| if let ListItem::Prefix(p) = i { Some(p.as_str()) } else { None }).collect();
    assert_eq!(prefixes, ["many/sub/"]);
    assert_eq!(items.len(), 2501);

    // The container's root by delimiter.
    let root = names_in(&container, ListBlobsOptions { delimiter: Some("/".into()), ..Default::default() }).await;
    assert_eq!(root, ["many/", "other/", "top"]);
}

#[tokio::test]
async fn list_includes_metadata_and_snapshots() {
    let client = client();
    let container = new_container(&client, "incl").await;
    let blob = container.blob("doc.txt");
    let options = PutBlobOptions {
        metadata: [("owner".to_owned(), "ana".to_owned())].into(),
        content: ContentHeaders { content_type: Some("text/plain".into()), ..Default::default() },
        ..Default::default()
    };
    let written = blob.put_opts("version one", &options).await.unwrap();
    let snapshot = blob.create_snapshot().await.unwrap();
    blob.put("version two, longer").await.unwrap();

    let plain: Vec<ListItem> = container.list_blobs().try_collect().await.unwrap();
    assert_eq!(plain.len(), 1, "snapshots only when asked");
    let ListItem::Blob(current) = &plain[0] else { panic!("{plain:?}") };
    assert!(current.metadata.is_empty(), "metadata only when asked");
    assert_eq!(current.content_length, 19);
    assert_eq!(current.snapshot, None);

    let include = ListInclude { metadata: true, snapshots: true, ..ListInclude::default() };
    let items: Vec<ListItem> =
        container.list_blobs_opts(&ListBlobsOptions { include, ..Default::default() }).try_collect().await.unwrap();
    let blobs: Vec<_> = items.iter().filter_map(|i| if let ListItem::Blob(b) = i { Some(b) } else { None }).collect();
    assert_eq!(blobs.len(), 2, "{items:?}");
    let snap = blobs.iter().find(|b| b.snapshot.is_some()).expect("the snapshot is listed");
    assert_eq!(snap.snapshot.as_deref(), Some(snapshot.snapshot.as_str()));
    assert_eq!(snap.content_length, 11);
    assert_eq!(snap.metadata.get("owner").map(String::as_str), Some("ana"));
    assert_eq!(snap.content.content_type.as_deref(), Some("text/plain"));
    assert_eq!(snap.etag.as_ref(), Some(&written.etag), "listed ETags compare equal to header ETags");
    let base = blobs.iter().find(|b| b.snapshot.is_none()).unwrap();
    assert_eq!(base.content_length, 19);

    // The snapshot reads back as it was.
    let old = blob
        .get_opts(&azblob::GetOptions {
            selector: azblob::BlobSelector::snapshot(&snapshot.snapshot),
            ..Default::default()
        })
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert_eq!(&old[..], b"version one");
}

async fn snapshot_count(container: &ContainerClient) -> usize {
    let include = ListInclude { snapshots: true, ..ListInclude::default() };
    let items: Vec<ListItem> =
        container.list_blobs_opts(&ListBlobsOptions { include, ..Default::default() }).try_collect().await.unwrap();
    items.iter().filter(|i| matches!(i, ListItem::Blob(b) if b.snapshot.is_some())).count()
}

#[tokio::test]
async fn delete_with_snapshots_include_and_only() {
    let client = client();
    let container = new_container(&client, "delsnap").await;
    let blob = container.blob("b");
    blob.put("data").await.unwrap();
    let first = blob.create_snapshot().await.unwrap();
    blob.create_snapshot().await.unwrap();
    assert_eq!(snapshot_count(&container).await, 2);

    // Without x-ms-delete-snapshots: a typed error, nothing deleted.
    let err = blob.delete().await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::Conflict, Some("SnapshotsPresent")), "{err}");
    assert!(blob.exists().await.unwrap());

    // One snapshot by its timestamp.
    blob.delete_opts(&DeleteBlobOptions { selector: BlobSelector::snapshot(&first.snapshot), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(snapshot_count(&container).await, 1);

    // `only`: the snapshots go, the blob stays.
    blob.delete_opts(&DeleteBlobOptions { delete_snapshots: Some(DeleteSnapshots::Only), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(snapshot_count(&container).await, 0);
    assert_eq!(&blob.download().await.unwrap()[..], b"data");

    // `include`: the blob and its snapshots go together.
    blob.create_snapshot().await.unwrap();
    blob.delete_opts(&DeleteBlobOptions { delete_snapshots: Some(DeleteSnapshots::Include), ..Default::default() })
        .await
        .unwrap();
    assert!(!blob.exists().await.unwrap());
    assert_eq!(snapshot_count(&container).await, 0);
}

#[tokio::test]
async fn batch_delete_of_600_blobs_reports_missing_ones() {
    let client = client();
    let container = new_container(&client, "batch").await;
    // 600 names in 3 batches (256, 256, 88); every tenth one is never created.
    let names: Vec<String> = (0..600).map(|i| format!("dir/blob {i:03}")).collect();
    let existing: Vec<String> = names.iter().enumerate().filter(|(i, _)| i % 10 != 7).map(|(_, n)| n.clone()).collect();
    create_blobs(&container, &existing).await;

    let results = container.delete_blobs(names.clone()).await.unwrap();
    assert_eq!(results.len(), 600);
    for (i, (result, name)) in results.iter().zip(&names).enumerate() {
        assert_eq!(&result.name, name, "results keep the input order");
        if i % 10 == 7 {
            assert!(matches!(result.outcome, BatchOutcome::NotFound), "{name}: {:?}", result.outcome);
        } else {
            assert!(matches!(result.outcome, BatchOutcome::Done), "{name}: {:?}", result.outcome);
        }
    }
    assert!(names_in(&container, ListBlobsOptions::default()).await.is_empty());

    // A blob with snapshots fails alone, with its code; the others go through.
    container.blob("plain").put("p").await.unwrap();
    let with_snapshot = container.blob("snapped");
    with_snapshot.put("s").await.unwrap();
    with_snapshot.create_snapshot().await.unwrap();
    let results = container.delete_blobs(["plain", "snapped"]).await.unwrap();
    assert!(matches!(results[0].outcome, BatchOutcome::Done));
    match &results[1].outcome {
        BatchOutcome::Failed(err) => assert_eq!(err.error_code(), Some("SnapshotsPresent"), "{err}"),
        other => panic!("{other:?}"),
    }
    let include = DeleteBlobsOptions { delete_snapshots: Some(DeleteSnapshots::Include), ..Default::default() };
    let results = container.delete_blobs_opts(["snapped"], &include).await.unwrap();
    assert!(matches!(results[0].outcome, BatchOutcome::Done), "{:?}", results[0].outcome);
    assert_eq!(snapshot_count(&container).await, 0);
}

#[tokio::test]
async fn batch_set_tier() {
    let client = client();
    let container = new_container(&client, "batchtier").await;
    let names: Vec<String> = (0..10).map(|i| format!("t{i}")).collect();
    create_blobs(&container, &names).await;
    let mut targets = names.clone();
    targets.push("missing".into());
    let results = container
        .set_blob_tiers_opts(targets, &AccessTier::Cool, &SetBlobTiersOptions { concurrency: 2, ..Default::default() })
        .await
        .unwrap();
    assert!(results[..10].iter().all(|r| matches!(r.outcome, BatchOutcome::Done)), "{results:?}");
    assert!(matches!(results[10].outcome, BatchOutcome::NotFound), "{:?}", results[10]);
    for name in &names {
        assert_eq!(container.blob(name.as_str()).properties().await.unwrap().access_tier, Some(AccessTier::Cool));
    }
}

#[tokio::test]
async fn sync_and_async_copies_across_containers() {
    let client = client();
    let source_container = new_container(&client, "copysrc").await;
    let target_container = new_container(&client, "copydst").await;
    let source = source_container.blob("data/source.bin");
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    let options = PutBlobOptions {
        metadata: [("origin".to_owned(), "source".to_owned())].into(),
        content: ContentHeaders { content_type: Some("application/x-test".into()), ..Default::default() },
        ..Default::default()
    };
    source.put_opts(data.clone(), &options).await.unwrap();

    // Synchronous: done when the call returns; metadata and content headers come along.
    let sync_target = target_container.blob("sync copy.bin");
    let done = sync_target.copy_from_url(&CopySource::blob(&source)).await.unwrap();
    assert_eq!(done.status, CopyStatus::Success);
    assert_eq!(sync_target.download().await.unwrap(), data);
    let props = sync_target.properties().await.unwrap();
    assert_eq!(props.metadata.get("origin").map(String::as_str), Some("source"));
    assert_eq!(props.content.content_type.as_deref(), Some("application/x-test"));

    // Asynchronous, with new metadata and a tier for the copy.
    let async_target = target_container.blob("async copy.bin");
    let options = CopyOptions {
        metadata: [("origin".to_owned(), "async".to_owned())].into(),
        tier: Some(AccessTier::Cool),
        ..Default::default()
    };
    let mut copy = async_target.start_copy_opts(&CopySource::blob(&source), &options).await.unwrap();
    let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&polls);
    let wait = WaitOptions {
        timeout: Some(Duration::from_secs(30)),
        on_progress: Some(Arc::new(move |_: &CopyState| {
            counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        })),
        ..Default::default()
    };
    let state = copy.wait_opts(&wait).await.unwrap();
    assert!(polls.load(std::sync::atomic::Ordering::Relaxed) >= 1);
    assert_eq!(state.status, CopyStatus::Success);
    assert_eq!(state.id, copy.copy_id());
    // FIXME(azurite): Azurite completes every copy at once and reports no
    // x-ms-copy-progress; pending copies are covered by tests/replay.rs.
    assert_eq!(async_target.download().await.unwrap(), data);
    let props = async_target.properties().await.unwrap();
    assert_eq!(props.metadata.get("origin").map(String::as_str), Some("async"));
    assert_eq!(props.access_tier, Some(AccessTier::Cool));
    assert_eq!(props.copy.as_ref().map(|c| c.status.clone()), Some(CopyStatus::Success));

    // From a snapshot: the old content, not the current one.
    let snapshot = source.create_snapshot().await.unwrap();
    source.put("changed since").await.unwrap();
    let from_snapshot = target_container.blob("from-snapshot");
    from_snapshot.copy_from_url(&CopySource::snapshot(&source, &snapshot.snapshot)).await.unwrap();
    assert_eq!(from_snapshot.download().await.unwrap(), data);

    // A missing source is a typed error.
    let err = target_container
        .blob("never")
        .copy_from_url(&CopySource::blob(&source_container.blob("missing")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn set_tier_reads_back_and_archived_reads_are_typed_errors() {
    let client = client();
    let container = new_container(&client, "tier").await;
    let blob = container.blob("cold-data");
    blob.put("some bytes").await.unwrap();
    for tier in [AccessTier::Cool, AccessTier::Cold, AccessTier::Hot] {
        blob.set_tier(&tier).await.unwrap();
        let props = blob.properties().await.unwrap();
        assert_eq!(props.access_tier, Some(tier.clone()));
        assert!(!props.access_tier_inferred);
    }

    blob.set_tier(&AccessTier::Archive).await.unwrap();
    assert_eq!(blob.properties().await.unwrap().access_tier, Some(AccessTier::Archive));
    let listed: Vec<ListItem> = container.list_blobs().try_collect().await.unwrap();
    assert!(matches!(&listed[0], ListItem::Blob(b) if b.access_tier == Some(AccessTier::Archive)));

    let err = blob.download().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Archived, "{err}");
    assert_eq!(err.error_code(), Some("BlobArchived"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn batch_and_copy_with_a_sas_client() {
    use std::time::SystemTime;

    use azblob::auth::Sas;
    use azblob::auth::SharedKeyCredential;
    use azblob::{ClientBuilder, DEV_ACCOUNT, DEV_ACCOUNT_KEY};

    let container = new_container(&client(), "sasbatch").await;
    let names: Vec<String> = (0..5).map(|i| format!("s{i}")).collect();
    create_blobs(&container, &names).await;
    let key = SharedKeyCredential::new(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap();
    let hour = SystemTime::now() + Duration::from_secs(3600);
    let sas = Sas::container(container.name(), "rcwd", hour).sign(&key).unwrap();
    let sas_client =
        ClientBuilder::new().endpoint(&support::endpoints().http).sas_token(&sas.to_query()).unwrap().build().unwrap();
    let via_sas = sas_client.container(container.name());

    // The SAS client's token authorizes the copy source too.
    let target = via_sas.blob("copy-of-s0");
    target.copy_from_url(&CopySource::blob(&via_sas.blob("s0"))).await.unwrap();
    assert_eq!(&target.download().await.unwrap()[..], b"s0");

    // Each sub-request carries the SAS in its URL.
    let mut targets = names.clone();
    targets.push("copy-of-s0".into());
    let results = via_sas.delete_blobs(targets).await.unwrap();
    assert!(results.iter().all(|r| matches!(r.outcome, BatchOutcome::Done)), "{results:?}");
    assert!(names_in(&container, ListBlobsOptions::default()).await.is_empty());
}

/// Keeps the requests that go to the wire, then forwards them to reqwest.
#[derive(Debug)]
struct Spy {
    inner: azblob::transport::ReqwestTransport,
    seen: std::sync::Mutex<Vec<azblob::transport::Request>>,
}

impl azblob::transport::HttpTransport for Spy {
    fn send(
        &self,
        request: azblob::transport::Request,
    ) -> futures_util::future::BoxFuture<'_, Result<azblob::transport::Response, azblob::transport::TransportError>>
    {
        self.seen.lock().unwrap().push(request.clone());
        self.inner.send(request)
    }
}

#[tokio::test]
async fn copy_sources_carry_a_read_sas_that_works_on_its_own() {
    use std::sync::Arc;

    let spy = Arc::new(Spy {
        inner: azblob::transport::ReqwestTransport::from_client(reqwest::Client::new()),
        seen: Default::default(),
    });
    let client =
        support::builder().transport(Arc::clone(&spy) as Arc<dyn azblob::transport::HttpTransport>).build().unwrap();
    let container = new_container(&client, "copysas").await;
    let source = container.blob("dir/source file");
    source.put("first").await.unwrap();
    let snapshot = source.create_snapshot().await.unwrap();
    source.put("second").await.unwrap();

    let target = container.blob("target");
    target.copy_from_url(&CopySource::blob(&source)).await.unwrap();
    target.copy_from_url(&CopySource::snapshot(&source, &snapshot.snapshot)).await.unwrap();
    assert_eq!(&target.download().await.unwrap()[..], b"first");

    // FIXME(azurite): Azurite does not check the copy source's authorization
    // (a bogus signature or none at all is accepted), so each source URL is
    // proven here by reading it alone, where Azurite does check the SAS.
    let sources: Vec<String> =
        spy.seen.lock().unwrap().iter().filter_map(|r| r.header("x-ms-copy-source").map(str::to_owned)).collect();
    assert_eq!(sources.len(), 2);
    for (url, expected) in sources.iter().zip(["second", "first"]) {
        let response = reqwest::get(url).await.unwrap();
        assert_eq!(response.status(), 200, "{url}");
        assert_eq!(response.text().await.unwrap(), expected);
    }
    let tampered = sources[0].replace("sp=r", "sp=rw");
    assert_eq!(reqwest::get(&tampered).await.unwrap().status(), 403);
}

#[tokio::test]
async fn fixme_azurite_accepts_unauthorized_copy_sources() {
    // FIXME(azurite): the service refuses a private source without a SAS
    // (CannotVerifyCopySource); Azurite 3.37 copies it anyway.
    let container = new_container(&client(), "copynoauth").await;
    container.blob("src").put("data").await.unwrap();
    let bare = container.blob("src").url().unwrap();
    container.blob("dst").copy_from_url(&CopySource::Url(bare)).await.unwrap();
    assert_eq!(&container.blob("dst").download().await.unwrap()[..], b"data");
}

#[tokio::test]
async fn an_empty_snapshot_or_version_id_never_reaches_the_base_blob() {
    let container = new_container(&client(), "emptysel").await;
    let blob = container.blob("base.txt");
    blob.put(&b"the current blob"[..]).await.unwrap();
    // An empty `snapshot=` or `versionid=` is no selector at all to the
    // service: the delete (or read) would hit the current blob.
    for blank in ["", " "] {
        let err = blob
            .delete_opts(&DeleteBlobOptions { selector: BlobSelector::snapshot(blank), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = blob
            .delete_opts(&DeleteBlobOptions { selector: BlobSelector::version(blank), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        let err = blob
            .get_opts(&GetOptions { selector: BlobSelector::version(blank), ..Default::default() })
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    }
    assert_eq!(blob.download().await.unwrap(), &b"the current blob"[..], "the current blob is untouched");
}
