//! Conformance cases of the block operations: Put Block, Put Block List and
//! Get Block List, as a caller that manages its own blocks uses them.

use azblob::{
    BlockInfo, BlockListOptions, BlockListType, Conditions, ContainerClient, ContentHeaders, ETag, ErrorKind,
    PutBlobOptions, PutBlockListOptions, PutBlockOptions,
};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

use super::{text, STALE};

/// The base64 id of block `n`: every id of a blob has the same length.
fn id(n: u32) -> String {
    BASE64.encode(format!("block-{n:04}"))
}

pub async fn blocks_stage_commit_and_list(container: ContainerClient) {
    let blob = container.blob("staged/blocks.txt");
    let parts = [text(10, 1), text(20, 2), text(30, 3)];
    blob.put_block(&id(0), parts[0].clone()).await.unwrap();
    blob.put_block_opts(
        &id(1),
        parts[1].clone(),
        &PutBlockOptions { transactional_md5: true, ..PutBlockOptions::default() },
    )
    .await
    .unwrap();
    blob.put_block(&id(2), parts[2].clone()).await.unwrap();
    let only_staged = BlockListOptions { list_type: BlockListType::Uncommitted, ..BlockListOptions::default() };
    let staged = blob.block_list_opts(&only_staged).await.unwrap();
    assert!(staged.committed.is_empty());
    let mut names: Vec<BlockInfo> = staged.uncommitted.clone();
    names.sort_by(|a, b| a.id.cmp(&b.id));
    let sizes = |ids: &[u32], lens: &[u64]| -> Vec<BlockInfo> {
        ids.iter().zip(lens).map(|(&n, &size)| BlockInfo { id: id(n), size }).collect()
    };
    assert_eq!(names, sizes(&[0, 1, 2], &[10, 20, 30]));
    assert!(!blob.exists().await.unwrap(), "staged blocks are no blob yet");

    // Committed out of staging order, without block 1, under "only if new".
    let options = PutBlockListOptions {
        blob: PutBlobOptions {
            content: ContentHeaders { content_type: Some("text/plain".into()), ..ContentHeaders::default() },
            metadata: [("origin".to_owned(), "blocks".to_owned())].into(),
            conditions: Conditions::if_not_exists(),
            ..PutBlobOptions::default()
        },
    };
    let written = blob.put_block_list_opts(&[id(2), id(0)], &options).await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], format!("{}{}", parts[2], parts[0]).as_bytes());
    let props = blob.properties().await.unwrap();
    assert_eq!(props.etag, written.etag);
    assert_eq!(props.content.content_type.as_deref(), Some("text/plain"));
    assert_eq!(props.metadata.get("origin").map(String::as_str), Some("blocks"));

    let list = blob.block_list().await.unwrap();
    assert_eq!(list.committed, sizes(&[2, 0], &[30, 10]));
    assert!(list.uncommitted.is_empty(), "the commit discarded block 1: {:?}", list.uncommitted);
    assert_eq!(list.etag.as_ref(), Some(&written.etag));
    assert_eq!(list.blob_content_length, Some(40));

    // Recommitting committed blocks finds them among the committed ones.
    let again = blob.put_block_list(&[id(0)]).await.unwrap();
    assert_ne!(again.etag, written.etag);
    assert_eq!(&blob.download().await.unwrap()[..], parts[0].as_bytes());

    let err = blob.put_block_list_opts(&[id(0)], &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    let stale = PutBlockListOptions {
        blob: PutBlobOptions { conditions: Conditions::if_match(ETag(STALE.into())), ..PutBlobOptions::default() },
    };
    let err = blob.put_block_list_opts(&[id(0)], &stale).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PreconditionFailed, "{err}");
    let err = blob.put_block_list(&[id(7)]).await.unwrap_err();
    assert_eq!((err.kind(), err.error_code()), (ErrorKind::BadRequest, Some("InvalidBlockList")), "{err}");

    // Refused before sending: not base64, and ids of two lengths.
    assert_eq!(blob.put_block("not base64!", "x").await.unwrap_err().kind(), ErrorKind::InvalidInput);
    let mixed = [id(0), BASE64.encode("longer-block-id")];
    assert_eq!(blob.put_block_list(&mixed).await.unwrap_err().kind(), ErrorKind::InvalidInput);

    let err = container.blob("no-blocks").block_list().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
