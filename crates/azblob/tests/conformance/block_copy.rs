//! Conformance cases of copies in server-side blocks: Put Block From URL
//! (a range of the source, pinned to its ETag) and a copy of many blocks.

use azblob::transport::{Method, Request};
use azblob::{
    BlobRange, BlobServiceClient, BlockCopyOptions, Concurrency, ContainerClient, CopySource, ErrorKind,
    PutBlockFromUrlOptions,
};

use super::{data, md5, KIB};

pub async fn block_copy_put_block_from_url_range(client: BlobServiceClient, container: ContainerClient) {
    let source = container.blob("source.bin");
    let bytes = data(6 * KIB, 21);
    let etag = source.put(bytes.clone()).await.unwrap().etag;
    let target = container.blob("target.bin");
    let from = CopySource::blob(&source);
    let options = PutBlockFromUrlOptions {
        source_range: Some(BlobRange::new(KIB, 2 * KIB)),
        source_if_match: Some(etag.clone()),
        ..Default::default()
    };
    target.put_block_from_url_opts("YmxvY2stMQ==", &from, &options).await.unwrap();
    target.put_block_from_url("YmxvY2stMg==", &from).await.unwrap();
    // A stale ETag: the source "changed", and the service says so.
    let stale =
        PutBlockFromUrlOptions { source_if_match: Some(azblob::ETag(super::STALE.to_owned())), ..Default::default() };
    let err = target.put_block_from_url_opts("YmxvY2stMw==", &from, &stale).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceChanged, "{err}");
    // Committed with a raw Put Block List (block lists have their own cases).
    let mut url = target.url().unwrap();
    url.query_pairs_mut().append_pair("comp", "blocklist");
    let mut commit = Request::new("PutBlockList", Method::PUT, url);
    commit.body = "<BlockList><Latest>YmxvY2stMQ==</Latest><Latest>YmxvY2stMg==</Latest></BlockList>".into();
    client.send_raw(commit).await.unwrap();
    let expected = [&bytes[KIB as usize..3 * KIB as usize], &bytes[..]].concat();
    assert_eq!(md5(&target.download().await.unwrap()), md5(&expected));
}

pub async fn block_copy_many_blocks(container: ContainerClient) {
    let source = container.blob("dir/source.bin");
    let bytes = data(10 * KIB + 7, 22);
    source.put(bytes.clone()).await.unwrap();
    let target = container.blob("dir/copy.bin");
    let options = BlockCopyOptions { block_size: 4 * KIB, concurrency: Concurrency::Fixed(2), ..Default::default() };
    let report = target.copy_blocks_from_url_opts(&CopySource::blob(&source), &options).await.unwrap();
    assert_eq!((report.bytes, report.blocks, report.resumed_blocks), (10 * KIB + 7, 3, 0));
    assert_eq!(md5(&target.download().await.unwrap()), md5(&bytes));
}
