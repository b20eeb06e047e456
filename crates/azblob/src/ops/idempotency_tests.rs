//! The audit of which operations the retry layer may repeat after a lost
//! answer, one line per builder, so a change to any of them shows here.

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use url::Url;

use super::append_blob::{
    build_append_block_request, build_create_append_blob_request, build_seal_request, AppendOptions,
    CreateAppendBlobOptions,
};
use super::blob_batch::build_batch_request;
use super::blob_properties::{
    build_get_properties_request, build_set_http_headers_request, build_set_metadata_request, BlobSelector,
};
use super::block_blob::{build_put_block_list_request, build_put_block_request, CommitOptions};
use super::blocks::{
    build_get_block_list, build_put_block, build_put_block_list, BlockListOptions, PutBlockListOptions,
};
use super::conditions::Conditions;
use super::copy_blob::{build_abort_copy_request, build_copy_request, CopyOptions};
use super::delete_blob::{build_delete_blob_request, DeleteBlobOptions};
use super::get_blob::{build_get_blob_request, GetOptions};
use super::list_blobs::{build_list_blobs_request, ListBlobsOptions};
use super::models::{AccessTier, ContentHeaders, ETag, Metadata};
use super::put_blob::{build_put_blob_request, PutBlobOptions};
use super::set_tier::{build_set_tier_request, SetTierOptions};
use super::snapshot::build_snapshot_request;
use super::user_delegation_key::build_user_delegation_key_request;

fn blob() -> Url {
    "https://a.blob.core.windows.net/c/b".parse().unwrap()
}

fn container() -> Url {
    "https://a.blob.core.windows.net/c".parse().unwrap()
}

#[test]
fn reads_are_idempotent() {
    let none = Conditions::default();
    assert!(build_get_blob_request(blob(), &GetOptions::default()).unwrap().idempotent);
    assert!(build_get_properties_request(blob(), &BlobSelector::default(), &none).unwrap().idempotent);
    assert!(build_list_blobs_request(container(), &ListBlobsOptions::default(), None).unwrap().idempotent);
    assert!(build_get_block_list(blob(), &BlockListOptions::default()).unwrap().idempotent);
    let now = SystemTime::now();
    let key = build_user_delegation_key_request(&container(), now, now + Duration::from_secs(60)).unwrap();
    assert!(key.idempotent, "a second key is as good as the first");
}

#[test]
fn whole_replacements_are_idempotent_unless_their_condition_forbids_a_repeat() {
    let create_only = Conditions::if_not_exists();
    let old_etag = Conditions::if_match(ETag("\"0x1\"".into()));
    let put = |conditions: Conditions| PutBlobOptions { conditions, ..PutBlobOptions::default() };
    assert!(build_put_blob_request(blob(), Bytes::new(), &put(Conditions::default())).unwrap().idempotent);
    assert!(!build_put_blob_request(blob(), Bytes::new(), &put(create_only.clone())).unwrap().idempotent);
    assert!(!build_put_blob_request(blob(), Bytes::new(), &put(old_etag.clone())).unwrap().idempotent);

    assert!(build_put_block_request(blob(), "YQ==", Bytes::from_static(b"x"), None, None).unwrap().idempotent);
    let ids = ["YQ==".to_owned()];
    let commit = |conditions| CommitOptions { conditions, ..CommitOptions::default() };
    assert!(build_put_block_list_request(blob(), &ids, &commit(None)).unwrap().idempotent);
    assert!(!build_put_block_list_request(blob(), &ids, &commit(Some(&create_only))).unwrap().idempotent);
    assert!(build_put_block(blob(), "YQ==", Bytes::new(), &Default::default()).unwrap().idempotent);
    let list = |conditions| PutBlockListOptions { blob: put(conditions) };
    assert!(build_put_block_list(blob(), &ids, &list(Conditions::default())).unwrap().idempotent);
    assert!(!build_put_block_list(blob(), &ids, &list(old_etag.clone())).unwrap().idempotent);

    let metadata = Metadata::default();
    assert!(build_set_metadata_request(blob(), &metadata, &Conditions::default()).unwrap().idempotent);
    assert!(!build_set_metadata_request(blob(), &metadata, &old_etag).unwrap().idempotent);
    let content = ContentHeaders::default();
    assert!(build_set_http_headers_request(blob(), &content, &Conditions::default()).unwrap().idempotent);
    assert!(!build_set_http_headers_request(blob(), &content, &old_etag).unwrap().idempotent);
    assert!(build_set_tier_request(blob(), &AccessTier::Cool, &SetTierOptions::default()).unwrap().idempotent);
    assert!(build_seal_request(blob(), &Conditions::default()).unwrap().idempotent);

    let source: Url = "https://a.blob.core.windows.net/src/b".parse().unwrap();
    assert!(build_copy_request(blob(), &source, None, true, &CopyOptions::default()).unwrap().idempotent);
}

#[test]
fn operations_a_repeat_would_double_or_contradict_are_not_idempotent() {
    let source: Url = "https://a.blob.core.windows.net/src/b".parse().unwrap();
    assert!(!build_copy_request(blob(), &source, None, false, &CopyOptions::default()).unwrap().idempotent);
    assert!(!build_abort_copy_request(blob(), "id", &Conditions::default()).unwrap().idempotent);
    assert!(!build_snapshot_request(blob(), &Default::default()).unwrap().idempotent);
    let create = CreateAppendBlobOptions::default();
    assert!(!build_create_append_blob_request(blob(), &create).unwrap().idempotent);
    let create_only = CreateAppendBlobOptions { conditions: Conditions::if_not_exists(), ..create };
    assert!(!build_create_append_blob_request(blob(), &create_only).unwrap().idempotent);
    let data = Bytes::from_static(b"x");
    assert!(!build_append_block_request(blob(), data.clone(), &AppendOptions::default()).unwrap().idempotent);
    let at = AppendOptions { append_position: Some(0), ..AppendOptions::default() };
    assert!(
        build_append_block_request(blob(), data, &at).unwrap().idempotent,
        "a position makes a repeat fail, not double"
    );
}

#[test]
fn deletes_and_batches_repeat_and_read_a_repeated_404_as_done() {
    assert!(build_delete_blob_request(blob(), &DeleteBlobOptions::default()).unwrap().idempotent);
    assert!(build_batch_request(container(), "b", Bytes::new()).unwrap().idempotent);
}

#[test]
fn tags_and_leases_repeat_only_where_a_repeat_leaves_the_same_state() {
    use super::find_blobs::{build_find_blobs_request, FindBlobsByTagsOptions};
    use super::lease::{build_lease_request, LeaseAction, LeaseDuration};
    use super::tags::{build_get_tags_request, build_set_tags_request, Tags};

    let none = Conditions::default();
    let current = BlobSelector::default();
    assert!(build_get_tags_request(blob(), &current, &none).unwrap().idempotent);
    let find = FindBlobsByTagsOptions::default();
    assert!(build_find_blobs_request(container(), true, "a = 'b'", &find, None).unwrap().idempotent);
    assert!(
        build_set_tags_request(blob(), &Tags::new(), &current, &none).unwrap().idempotent,
        "the whole set is replaced"
    );
    let if_tags = Conditions { if_tags: Some("a = 'b'".into()), ..Conditions::default() };
    assert!(!build_set_tags_request(blob(), &Tags::new(), &current, &if_tags).unwrap().idempotent);

    let id = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
    let lease = |action| build_lease_request(blob(), action, &none).unwrap().idempotent;
    assert!(!lease(LeaseAction::Acquire { duration: LeaseDuration::Seconds(15), proposed: None }));
    assert!(lease(LeaseAction::Acquire { duration: LeaseDuration::Seconds(15), proposed: Some(id) }));
    assert!(lease(LeaseAction::Renew { lease_id: id }));
    assert!(lease(LeaseAction::Change { lease_id: id, proposed: id }));
    assert!(!lease(LeaseAction::Release { lease_id: id }), "a repeated release finds no lease");
    assert!(lease(LeaseAction::Break { period: Some(0) }));

    // A lease id changes nothing about whether a write may be repeated.
    let leased = PutBlobOptions { conditions: Conditions::lease(id), ..PutBlobOptions::default() };
    assert!(build_put_blob_request(blob(), Bytes::new(), &leased).unwrap().idempotent);
}
