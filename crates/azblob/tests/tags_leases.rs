//! Blob index tags and leases against the Azurite emulator (which supports
//! both, Find Blobs by Tags included): tags written with every kind of new
//! blob, read back, listed and found; tag and lease conditions; the five
//! lease actions; the `Lease` guard's renewals and what its drop leaves.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use azblob::{
    AcquireLeaseOptions, AppendOptions, BreakLeaseOptions, Conditions, ContainerClient, CopyOptions, CopySource,
    CreateAppendBlobOptions, DeleteBlobOptions, ErrorKind, FindBlobsByTagsOptions, GetOptions, GetTagsOptions, Lease,
    LeaseDuration, ListBlobsOptions, ListInclude, ListItem, PutBlobOptions, SetTagsOptions, SetTierOptions, Tags,
    UploadOptions,
};
use futures_util::TryStreamExt;
use support::hook::{Action, Hook};
use support::{client, new_container, unique_name};

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

async fn found(container: &ContainerClient, expression: &str) -> Vec<(String, String)> {
    let mut names: Vec<(String, String)> =
        container.find_blobs_by_tags(expression).map_ok(|b| (b.container, b.name)).try_collect().await.unwrap();
    names.sort();
    names
}

#[tokio::test]
async fn tags_are_written_with_every_new_blob_and_read_back() {
    let client = client();
    let container = new_container(&client, "tags").await;
    let wanted = tags(&[("stage", "prod"), ("path", "a/b c+d-e.f:g=h_i"), ("empty", "")]);

    let put = container.blob("put");
    put.put_opts("x", &PutBlobOptions { tags: wanted.clone(), ..Default::default() }).await.unwrap();
    assert_eq!(put.get_tags().await.unwrap(), wanted);
    assert_eq!(put.properties().await.unwrap().tag_count, Some(3));

    // Three blocks and a Put Block List, which carries the tags.
    let blocks = container.blob("blocks");
    let upload = UploadOptions {
        block_size: 64 * 1024,
        single_put_max: 0,
        blob: PutBlobOptions { tags: wanted.clone(), ..Default::default() },
        ..UploadOptions::default()
    };
    let report = blocks.upload_opts(vec![7u8; 150 * 1024], &upload).await.unwrap();
    assert_eq!(report.blocks, 3);
    assert_eq!(blocks.get_tags().await.unwrap(), wanted);

    let copy = container.blob("copy");
    let copy_tags = tags(&[("copied", "yes")]);
    let options = CopyOptions { tags: copy_tags.clone(), ..Default::default() };
    copy.copy_from_url_opts(&CopySource::blob(&put), &options).await.unwrap();
    assert_eq!(copy.get_tags().await.unwrap(), copy_tags, "the copy's own tags, not the source's");

    let append = container.blob("append");
    let options = CreateAppendBlobOptions { tags: copy_tags.clone(), ..Default::default() };
    append.create_append_blob_opts(&options).await.unwrap();
    assert_eq!(append.get_tags().await.unwrap(), copy_tags);

    // Set Blob Tags replaces the whole set; an empty set removes them.
    put.set_tags(&tags(&[("only", "one")])).await.unwrap();
    assert_eq!(put.get_tags().await.unwrap(), tags(&[("only", "one")]));
    append.set_tags(&Tags::new()).await.unwrap();
    assert!(append.get_tags().await.unwrap().is_empty());

    // Listings carry the tags only when asked.
    let with_tags =
        ListBlobsOptions { include: ListInclude { tags: true, ..Default::default() }, ..Default::default() };
    let items: Vec<ListItem> = container.list_blobs_opts(&with_tags).try_collect().await.unwrap();
    let listed: Vec<(String, Tags)> = items
        .into_iter()
        .map(|i| match i {
            ListItem::Blob(b) => (b.name, b.tags),
            ListItem::Prefix(p) => panic!("no delimiter, yet a prefix {p}"),
        })
        .collect();
    let expected = vec![
        ("append".to_owned(), Tags::new()),
        ("blocks".to_owned(), wanted.clone()),
        ("copy".to_owned(), copy_tags.clone()),
        ("put".to_owned(), tags(&[("only", "one")])),
    ];
    assert_eq!(listed, expected);
    let plain: Vec<ListItem> = container.list_blobs().try_collect().await.unwrap();
    assert!(plain.iter().all(|i| matches!(i, ListItem::Blob(b) if b.tags.is_empty())));
}

#[tokio::test]
async fn tags_the_service_would_refuse_fail_before_sending() {
    let client = client();
    let container = new_container(&client, "badtags").await;
    let blob = container.blob("b");
    let eleven: Tags = (0..11).map(|i| (format!("k{i}"), "v".to_owned())).collect();
    for bad in [eleven, tags(&[("k", "caf\u{e9}")]), tags(&[("", "v")]), tags(&[("k&x", "v")])] {
        let err = blob.put_opts("x", &PutBlobOptions { tags: bad.clone(), ..Default::default() }).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        let err = blob.set_tags(&bad).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
    }
    assert!(!blob.exists().await.unwrap(), "nothing was written");
}

#[tokio::test]
async fn find_blobs_by_tags_in_a_container_and_across_the_account() {
    let client = client();
    let first = new_container(&client, "find1").await;
    let second = new_container(&client, "find2").await;
    // A run id no other test uses, so the account-wide search sees only these blobs.
    let run = unique_name("run").replace('-', "");
    for (container, name, stage) in
        [(&first, "a", "prod"), (&first, "b", "prod"), (&first, "c", "dev"), (&second, "d", "prod")]
    {
        let options = PutBlobOptions { tags: tags(&[("stage", stage), ("run", &run)]), ..Default::default() };
        container.blob(name).put_opts(name, &options).await.unwrap();
    }
    let prod = format!("\"stage\" = 'prod' AND \"run\" = '{run}'");
    let c1 = first.name().to_owned();
    let c2 = second.name().to_owned();
    assert_eq!(found(&first, &prod).await, vec![(c1.clone(), "a".to_owned()), (c1.clone(), "b".to_owned())]);

    let mut everywhere: Vec<(String, String, Tags)> =
        client.find_blobs_by_tags(&prod).map_ok(|b| (b.container, b.name, b.tags)).try_collect().await.unwrap();
    everywhere.sort();
    let mut expected = vec![(c1.clone(), "a".to_owned()), (c1.clone(), "b".to_owned()), (c2, "d".to_owned())];
    expected.sort();
    assert_eq!(everywhere.iter().map(|(c, n, _)| (c.clone(), n.clone())).collect::<Vec<_>>(), expected);
    assert!(everywhere.iter().all(|(_, _, t)| t.get("stage").map(String::as_str) == Some("prod")), "{everywhere:?}");

    // One blob per page: the stream follows NextMarker through three pages.
    let run_only = format!("\"run\" = '{run}'");
    let paged: Vec<String> = first
        .find_blobs_by_tags_opts(&run_only, &FindBlobsByTagsOptions { max_results: Some(1) })
        .map_ok(|b| b.name)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(paged.len(), 3, "{paged:?}");

    let err = first.find_blobs_by_tags(" ").try_collect::<Vec<_>>().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn tag_conditions_guard_reads_and_writes() {
    let client = client();
    let container = new_container(&client, "iftags").await;
    let blob = container.blob("b");
    blob.put_opts("one", &PutBlobOptions { tags: tags(&[("stage", "dev")]), ..Default::default() }).await.unwrap();
    let dev = Conditions { if_tags: Some("\"stage\" = 'dev'".into()), ..Conditions::default() };
    let prod = Conditions { if_tags: Some("\"stage\" = 'prod'".into()), ..Conditions::default() };

    let read = blob.get_opts(&GetOptions { conditions: dev.clone(), ..Default::default() }).await.unwrap();
    assert_eq!(&read.bytes().await.unwrap()[..], b"one");
    let err = blob.get_opts(&GetOptions { conditions: prod.clone(), ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);

    let err =
        blob.put_opts("two", &PutBlobOptions { conditions: prod.clone(), ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    let err = blob.set_metadata_opts(&[("k".into(), "v".into())].into(), &prod).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    let err = blob.get_tags_opts(&GetTagsOptions { conditions: prod.clone(), ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    assert_eq!(&blob.download().await.unwrap()[..], b"one", "the refused write left the blob alone");

    let retag = SetTagsOptions { conditions: dev.clone(), ..Default::default() };
    blob.set_tags_opts(&tags(&[("stage", "prod")]), &retag).await.unwrap();
    blob.put_opts("two", &PutBlobOptions { conditions: prod, ..Default::default() }).await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"two");
}

#[tokio::test]
async fn a_leased_blob_takes_writes_only_with_its_lease_id() {
    let client = client();
    let container = new_container(&client, "lease").await;
    let blob = container.blob("manifest.json");
    blob.put("v1").await.unwrap();
    let granted = blob.acquire_lease(LeaseDuration::Seconds(60)).await.unwrap();
    let leased = Conditions::lease(granted.lease_id.clone());
    let properties = blob.properties().await.unwrap();
    assert_eq!(properties.lease_state, Some(azblob::LeaseState::Leased));

    // Without the lease id every write fails with a typed error (412 LeaseIdMissing).
    let err = blob.put("v2").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    assert_eq!(err.error_code(), Some("LeaseIdMissing"));
    assert_eq!(
        blob.set_metadata(&[("k".into(), "v".into())].into()).await.unwrap_err().kind(),
        ErrorKind::PreconditionFailed
    );
    assert_eq!(blob.delete().await.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    assert_eq!(&blob.download().await.unwrap()[..], b"v1", "reads need no lease");

    // With it they succeed: Put Blob, a block upload (Put Block and Put Block
    // List both carry it), metadata and tier.
    blob.put_opts("v2", &PutBlobOptions { conditions: leased.clone(), ..Default::default() }).await.unwrap();
    let upload = UploadOptions {
        block_size: 64 * 1024,
        single_put_max: 0,
        blob: PutBlobOptions { conditions: leased.clone(), ..Default::default() },
        ..UploadOptions::default()
    };
    assert_eq!(blob.upload_opts(vec![1u8; 130 * 1024], &upload).await.unwrap().blocks, 3);
    blob.set_metadata_opts(&[("k".into(), "v".into())].into(), &leased).await.unwrap();
    blob.set_tier_opts(&azblob::AccessTier::Cool, &SetTierOptions { conditions: leased.clone(), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(blob.properties().await.unwrap().metadata.get("k").map(String::as_str), Some("v"));

    // Someone else cannot take the lease, nor write with a made-up id.
    let err = blob.acquire_lease(LeaseDuration::Infinite).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    let wrong = Conditions::lease("3f2504e0-4f89-11d3-9a0c-0305e82c3301");
    let err = blob.put_opts("v3", &PutBlobOptions { conditions: wrong, ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");

    // Renew, change, release; then a plain write goes through again.
    blob.renew_lease(&granted.lease_id).await.unwrap();
    let new_id = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
    let changed = blob.change_lease(&granted.lease_id, new_id).await.unwrap();
    assert_eq!(changed.lease_id, new_id);
    let err = blob.put_opts("v3", &PutBlobOptions { conditions: leased, ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "the old id no longer holds");
    blob.release_lease(new_id).await.unwrap();
    blob.put("v3").await.unwrap();

    // A lease id on a blob without a lease is refused too.
    let err = blob
        .delete_opts(&DeleteBlobOptions { conditions: Conditions::lease(new_id), ..Default::default() })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    assert!(blob.exists().await.unwrap());
}

#[tokio::test]
async fn append_blobs_and_deletes_take_the_lease_and_break_ends_it() {
    let client = client();
    let container = new_container(&client, "leasebreak").await;
    let log = container.blob("log");
    log.create_append_blob().await.unwrap();
    let granted = log.acquire_lease(LeaseDuration::Infinite).await.unwrap();
    assert_eq!(log.append("x").await.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    let options = AppendOptions { conditions: Conditions::lease(granted.lease_id.clone()), ..Default::default() };
    log.append_opts("line\n", &options).await.unwrap();
    assert_eq!(&log.download().await.unwrap()[..], b"line\n");

    // An infinite lease breaks at once without a period; then it can be taken anew.
    let left = log.break_lease().await.unwrap();
    assert_eq!(left, Duration::ZERO);
    log.append("after\n").await.unwrap();
    let again = log.acquire_lease(LeaseDuration::Seconds(15)).await.unwrap();
    assert_ne!(again.lease_id, granted.lease_id);
    // What makes the retry layer repeat these: acquiring the lease one holds,
    // with its id, succeeds again, and so does breaking a broken lease.
    let same = AcquireLeaseOptions { proposed_lease_id: Some(again.lease_id.clone()), ..Default::default() };
    assert_eq!(log.acquire_lease_opts(LeaseDuration::Seconds(15), &same).await.unwrap().lease_id, again.lease_id);
    let at_once = BreakLeaseOptions { break_period: Some(0), ..Default::default() };
    assert_eq!(log.break_lease_opts(&at_once).await.unwrap(), Duration::ZERO);
    assert_eq!(log.break_lease_opts(&at_once).await.unwrap(), Duration::ZERO);
    log.delete().await.unwrap();
}

#[tokio::test]
async fn the_lease_guard_renews_until_dropped_then_another_client_takes_over() {
    let client = client();
    let container = new_container(&client, "guard").await;
    let blob = container.blob("latest");
    blob.put("v1").await.unwrap();
    let other = support::client().blob(container.name(), "latest");

    let guard = Lease::acquire(&blob, LeaseDuration::Seconds(15)).await.unwrap();
    let acquired = Instant::now();
    // Past the 15 s duration the lease still holds: the guard renewed it
    // (every 5 s). Waiting is what this test is about, not synchronization.
    tokio::time::sleep(Duration::from_secs(20)).await;
    assert_eq!(guard.renewal_error(), None);
    let err = other.acquire_lease(LeaseDuration::Seconds(15)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "still leased {:?} after acquiring", acquired.elapsed());
    blob.put_opts("v2", &PutBlobOptions { conditions: guard.conditions(), ..Default::default() }).await.unwrap();

    // Dropped, the guard renews no more and the lease runs out within its
    // duration; another client then acquires it.
    drop(guard);
    let dropped = Instant::now();
    let taken = loop {
        match other.acquire_lease(LeaseDuration::Seconds(15)).await {
            Ok(granted) => break granted,
            Err(e) if e.kind() == ErrorKind::Conflict && dropped.elapsed() < Duration::from_secs(25) => {
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(e) => panic!("the lease was not free {:?} after the drop: {e}", dropped.elapsed()),
        }
    };
    assert!(dropped.elapsed() <= Duration::from_secs(21), "took {:?}", dropped.elapsed());
    other.release_lease(&taken.lease_id).await.unwrap();

    // An explicit release frees the lease at once.
    let guard = Lease::acquire(&blob, LeaseDuration::Seconds(60)).await.unwrap();
    guard.release().await.unwrap();
    other.acquire_lease(LeaseDuration::Infinite).await.unwrap();
}

/// Whether `request` renews a lease (Lease Blob with `x-ms-lease-action: renew`).
fn is_renewal(request: &azblob::transport::Request) -> bool {
    request.operation == "LeaseBlob" && request.headers.get("x-ms-lease-action").is_some_and(|v| v == "renew")
}

#[tokio::test]
async fn a_stalled_renewal_is_given_up_and_reported_when_the_lease_runs_out() {
    // Every renewal stalls, as on a connection that stopped answering.
    let hook = Hook::new(|request, _| if is_renewal(request) { Action::Stall } else { Action::Forward });
    let client = support::client_with(&hook);
    let container = new_container(&client, "stall").await;
    let blob = container.blob("latest");
    blob.put("v1").await.unwrap();

    let before = std::time::Instant::now();
    let guard = Lease::acquire(&blob, LeaseDuration::Seconds(15)).await.unwrap();
    let expires = guard.expires_at().expect("a fixed lease expires");
    assert!(expires >= before + Duration::from_secs(15) && expires <= Instant::now() + Duration::from_secs(15));

    // The first renewal goes out after 5 s and stalls; the lease still has
    // 10 s left, so nothing is reported yet.
    assert!(hook.wait_in_flight(Duration::from_secs(10), |&n| n == 1).await, "no renewal was sent");
    assert_eq!(guard.renewal_error(), None, "reported lost {:?} after acquiring", before.elapsed());
    // The guard gives the stalled renewal up when the lease would have run
    // out (not after the 60 s inactivity timeout), and says so.
    assert!(hook.wait_in_flight(Duration::from_secs(15), |&n| n == 0).await, "the stalled renewal was never given up");
    assert!(
        before.elapsed() >= Duration::from_secs(15) && before.elapsed() < Duration::from_secs(17),
        "{:?}",
        before.elapsed()
    );
    assert_eq!(guard.renewal_error(), Some(ErrorKind::Timeout));
    assert_eq!(guard.expires_at(), Some(expires), "a renewal that never succeeded moved the expiry");

    // The report is true: the lease ran out, and another client takes it.
    // The service started the lease's clock a moment after the guard did,
    // hence a short bounded wait for the Conflict to end.
    let other = support::client().blob(container.name(), "latest");
    let lapsed = Instant::now();
    loop {
        match other.acquire_lease(LeaseDuration::Seconds(15)).await {
            Ok(_) => break,
            Err(e) if e.kind() == ErrorKind::Conflict && lapsed.elapsed() < Duration::from_secs(2) => {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("the lease reported lost still held {:?} later: {e}", lapsed.elapsed()),
        }
    }
}

#[tokio::test]
async fn a_failed_renewal_is_tried_again_while_the_lease_lasts() {
    // The first renewal fails with 503 and the client does not retry it:
    // the guard itself must try again before the lease runs out.
    let renewals = Arc::new(tokio::sync::watch::Sender::new(0usize));
    let seen = Arc::clone(&renewals);
    let hook = Hook::new(move |request, _| {
        if !is_renewal(request) {
            return Action::Forward;
        }
        let mut n = 0;
        seen.send_modify(|count| {
            n = *count;
            *count += 1;
        });
        if n == 0 {
            Action::Respond(503)
        } else {
            Action::Forward
        }
    });
    let wire = Arc::clone(&hook) as Arc<dyn azblob::transport::HttpTransport>;
    let client = support::builder().transport(wire).retry(azblob::transport::RetryOptions::none()).build().unwrap();
    let container = new_container(&client, "retryrenew").await;
    let blob = container.blob("latest");
    blob.put("v1").await.unwrap();

    let guard = Lease::acquire(&blob, LeaseDuration::Seconds(15)).await.unwrap();
    let first_expiry = guard.expires_at().unwrap();
    // The failed renewal (after 5 s) is followed by another within a few seconds.
    let mut watch = renewals.subscribe();
    let second = tokio::time::timeout(Duration::from_secs(12), watch.wait_for(|&n| n >= 2)).await;
    assert!(second.is_ok(), "no renewal followed the failed one");
    assert!(hook.wait_in_flight(Duration::from_secs(10), |&n| n == 0).await, "the second renewal never ended");
    // Its success is recorded only after the response; wait on that, bounded.
    let renewed = tokio::time::timeout(Duration::from_secs(5), async {
        while guard.expires_at() == Some(first_expiry) {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(renewed.is_ok(), "the second renewal did not extend the lease");
    assert!(guard.expires_at().unwrap() > first_expiry);
    assert_eq!(guard.renewal_error(), None);
    blob.put_opts("v2", &PutBlobOptions { conditions: guard.conditions(), ..Default::default() }).await.unwrap();
    guard.release().await.unwrap();
}
