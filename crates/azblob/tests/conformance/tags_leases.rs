//! Conformance cases of blob index tags and leases: tags written, read,
//! replaced, listed and found (in the container and across the account),
//! tag conditions, and the five lease actions with lease-guarded writes.
//!
//! Lease ids are fixed, and the tags name the case's container (fixed when
//! recording, fresh when live), so a recording and its replay send the same
//! requests and the account-wide search sees only this case's blobs, even
//! while other cases run in parallel on the same emulator.

use azblob::{
    AcquireLeaseOptions, BlobServiceClient, BreakLeaseOptions, Conditions, ContainerClient, ErrorKind, GetOptions,
    LeaseDuration, ListBlobsOptions, ListInclude, ListItem, PutBlobOptions, Tags,
};
use futures_util::TryStreamExt;

fn tags(pairs: &[(&str, &str)]) -> Tags {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// Tags on Put Blob, Get and Set Blob Tags, `include=tags`, and Find Blobs
/// by Tags in the container and across the account.
pub async fn tags_put_get_set_list_and_find(client: BlobServiceClient, container: ContainerClient) {
    let run = container.name().to_owned();
    let run = run.as_str();
    for (name, stage) in [("a.txt", "prod"), ("b.txt", "dev"), ("c.txt", "prod")] {
        let options = PutBlobOptions { tags: tags(&[("stage", stage), ("run", run)]), ..Default::default() };
        container.blob(name).put_opts(name, &options).await.unwrap();
    }
    let a = container.blob("a.txt");
    assert_eq!(a.get_tags().await.unwrap(), tags(&[("run", run), ("stage", "prod")]));
    let replaced = tags(&[("run", run), ("stage", "dev"), ("path", "x/y z")]);
    a.set_tags(&replaced).await.unwrap();
    assert_eq!(a.get_tags().await.unwrap(), replaced);

    let with_tags =
        ListBlobsOptions { include: ListInclude { tags: true, ..Default::default() }, ..Default::default() };
    let listed: Vec<(String, Tags)> = container
        .list_blobs_opts(&with_tags)
        .map_ok(|item| match item {
            ListItem::Blob(b) => (b.name, b.tags),
            ListItem::Prefix(p) => panic!("a prefix {p} without a delimiter"),
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(listed[0], ("a.txt".to_owned(), replaced));
    assert_eq!(listed[2].1.get("stage").map(String::as_str), Some("prod"));

    let prod = format!("\"run\" = '{run}' AND \"stage\" = 'prod'");
    let here: Vec<String> = container.find_blobs_by_tags(&prod).map_ok(|b| b.name).try_collect().await.unwrap();
    assert_eq!(here, ["c.txt"]);
    let dev = format!("\"run\" = '{run}' AND \"stage\" = 'dev'");
    let mut everywhere: Vec<(String, String)> =
        client.find_blobs_by_tags(&dev).map_ok(|b| (b.container, b.name)).try_collect().await.unwrap();
    everywhere.sort();
    let name = container.name().to_owned();
    assert_eq!(everywhere, [(name.clone(), "a.txt".to_owned()), (name, "b.txt".to_owned())]);
}

/// `x-ms-if-tags` on a read and a write.
pub async fn tags_conditions_on_reads_and_writes(container: ContainerClient) {
    let blob = container.blob("guarded.txt");
    blob.put_opts("one", &PutBlobOptions { tags: tags(&[("stage", "dev")]), ..Default::default() }).await.unwrap();
    let prod = Conditions { if_tags: Some("\"stage\" = 'prod'".into()), ..Conditions::default() };
    let dev = Conditions { if_tags: Some("\"stage\" = 'dev'".into()), ..Conditions::default() };
    let err = blob.get_opts(&GetOptions { conditions: prod.clone(), ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    let err = blob.put_opts("two", &PutBlobOptions { conditions: prod, ..Default::default() }).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    blob.put_opts("two", &PutBlobOptions { conditions: dev, ..Default::default() }).await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"two");
}

/// Acquire with a proposed id, writes refused without it and accepted with
/// it, renew, change, release, and break.
pub async fn lease_actions_and_guarded_writes(container: ContainerClient) {
    const FIRST: &str = "0a0b0c0d-0000-4000-8000-000000000001";
    const SECOND: &str = "0a0b0c0d-0000-4000-8000-000000000002";
    let blob = container.blob("manifest.json");
    blob.put("v1").await.unwrap();
    let options = AcquireLeaseOptions { proposed_lease_id: Some(FIRST.into()), ..Default::default() };
    let granted = blob.acquire_lease_opts(LeaseDuration::Seconds(60), &options).await.unwrap();
    assert_eq!(granted.lease_id, FIRST);

    let err = blob.put("v2").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    assert_eq!(err.error_code(), Some("LeaseIdMissing"));
    assert_eq!(blob.acquire_lease(LeaseDuration::Infinite).await.unwrap_err().kind(), ErrorKind::Conflict);
    let leased = PutBlobOptions { conditions: Conditions::lease(FIRST), ..Default::default() };
    blob.put_opts("v2", &leased).await.unwrap();

    assert_eq!(blob.renew_lease(FIRST).await.unwrap().lease_id, FIRST);
    assert_eq!(blob.change_lease(FIRST, SECOND).await.unwrap().lease_id, SECOND);
    assert_eq!(blob.put_opts("v3", &leased).await.unwrap_err().kind(), ErrorKind::PreconditionFailed);
    blob.release_lease(SECOND).await.unwrap();
    blob.put("v3").await.unwrap();

    blob.acquire_lease(LeaseDuration::Infinite).await.unwrap();
    let left = blob.break_lease_opts(&BreakLeaseOptions { break_period: Some(0), ..Default::default() }).await.unwrap();
    assert_eq!(left.as_secs(), 0);
    blob.delete().await.unwrap();
}
