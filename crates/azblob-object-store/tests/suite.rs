//! object_store's own reusable suite (its `integration` feature) against
//! `AzblobStore` on Azurite, one container per function.
//!
//! Functions of the suite left out, and why:
//! - `multipart_with_opts`: `MultipartStore` is stateless (an upload is its
//!   id), so attributes given to `create_multipart_opts` have nowhere to
//!   live until `complete_multipart`; the trait's default refuses them with
//!   `NotSupported`, as object_store's own Azure store does.
//!   `put_multipart_opts` (the stateful upload) does keep attributes, and
//!   `put_get_attributes` below checks it.
//! - `tagging`: not part of the `integration` feature (object_store 0.14
//!   keeps it crate-private, reading tags back through its own HTTP client);
//!   `adapter.rs` checks that a put's and a multipart upload's tags become
//!   the blob's index tags.
//! - `signing`: the adapter implements no `Signer` (presigned URLs).
//! - `response_extensions`: azblob does not expose the HTTP response, so
//!   there is nothing to carry into a result's extensions.

mod support;

use azblob_object_store::AzblobStore;
use object_store::integration::*;
use object_store::Error;

async fn store(name: &str) -> AzblobStore {
    support::store(&format!("os-{}", name.replace('_', "-"))).await
}

#[tokio::test]
async fn suite_put_get_delete_list() {
    put_get_delete_list(&store("pgdl").await).await;
}

#[tokio::test]
async fn suite_get_opts() {
    get_opts(&store("getopts").await).await;
}

#[tokio::test]
async fn suite_put_opts() {
    // `true`: PutMode::Update is supported (If-Match).
    put_opts(&store("putopts").await, true).await;
}

#[tokio::test]
async fn suite_put_get_attributes() {
    put_get_attributes(&store("attrs").await).await;
}

#[tokio::test]
async fn suite_stream_get() {
    stream_get(&store("streamget").await).await;
}

#[tokio::test]
async fn suite_list_uses_directories_correctly() {
    list_uses_directories_correctly(&store("dirs").await).await;
}

#[tokio::test]
async fn suite_list_with_delimiter() {
    list_with_delimiter(&store("delim").await).await;
}

#[tokio::test]
async fn suite_list_with_offset_exclusivity() {
    list_with_offset_exclusivity(&store("offset").await).await;
}

#[tokio::test]
async fn suite_list_paginated() {
    let store = store("paged").await;
    list_paginated(&store, &store).await;
}

#[tokio::test]
async fn suite_rename_and_copy() {
    rename_and_copy(&store("rename").await).await;
}

#[tokio::test]
async fn suite_copy_if_not_exists() {
    copy_if_not_exists(&store("copynx").await).await;
}

#[tokio::test]
async fn suite_copy_rename_nonexistent_object() {
    copy_rename_nonexistent_object(&store("copymissing").await).await;
}

#[tokio::test]
async fn suite_get_nonexistent_object() {
    let err = get_nonexistent_object(&store("missing").await, None).await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err}");
}

#[tokio::test]
async fn suite_multipart() {
    let store = store("multipart").await;
    multipart(&store, &store).await;
}

#[tokio::test]
async fn suite_multipart_put_part_out_of_order() {
    let store = store("partorder").await;
    multipart_put_part_out_of_order(&store, &store).await;
}

#[tokio::test]
async fn suite_multipart_out_of_order() {
    multipart_out_of_order(&store("outoforder").await).await;
}

#[tokio::test]
async fn suite_multipart_race_condition() {
    // `false`: the first commit discards the other upload's uncommitted
    // blocks, so the second commit fails and the first writer's blob stays.
    multipart_race_condition(&store("race").await, false).await;
}
