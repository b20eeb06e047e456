//! Copies in server-side blocks (Put Block From URL) against Azurite, which
//! implements Put Block From URL with `x-ms-source-range` and
//! `x-ms-source-if-match`.

mod support;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use azblob::transport::{Method, Request};
use azblob::{
    BlobRange, BlockCopyOptions, Concurrency, ContentHeaders, CopySource, ErrorKind, PutBlobOptions,
    PutBlockFromUrlOptions, TransferProgress,
};
use md5::Digest as _;
use support::hook::{Action, Hook};
use support::{client, client_with, new_container, scratch};

const MIB: u64 = 1024 * 1024;

fn md5(bytes: &[u8]) -> Vec<u8> {
    md5::Md5::digest(bytes).to_vec()
}

/// CRC-64/NVME bit by bit, independent of the library's (SIMD) one:
/// reflected polynomial 0x9A6C9329AC4BC9B5, initial and final value all ones.
fn crc64_nvme(bytes: &[u8]) -> u64 {
    let mut crc = u64::MAX;
    for &b in bytes {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0x9A6C_9329_AC4B_C9B5 } else { crc >> 1 };
        }
    }
    !crc
}

#[test]
fn the_reference_crc64_gives_azures_answer() {
    assert_eq!(crc64_nvme(b"Hello World").to_le_bytes(), [0x61, 0xe2, 0x4b, 0x7e, 0xcb, 0x32, 0x96, 0x65]);
}

#[tokio::test]
async fn put_block_from_url_stages_a_range_of_the_source() {
    let client = client();
    let container = new_container(&client, "pbfu").await;
    let source = container.blob("source.bin");
    let data = azblob_testkit::pseudo_random_bytes(3000, 1);
    let etag = source.put(data.clone()).await.unwrap().etag;
    let target = container.blob("target.bin");
    // Azurite computes the CRC64 of what it reads and compares: a wrong one refuses the block.
    let crc = crc64_nvme(&data[1000..2500]);
    let wrong = PutBlockFromUrlOptions {
        source_range: Some(BlobRange::new(1000, 1500)),
        source_if_match: Some(etag.clone()),
        source_content_crc64: Some(crc ^ 1),
    };
    let err = target.put_block_from_url_opts("YmxvY2stMQ==", &CopySource::blob(&source), &wrong).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IntegrityMismatch, "{err}");
    let options = PutBlockFromUrlOptions { source_content_crc64: Some(crc), ..wrong };
    target.put_block_from_url_opts("YmxvY2stMQ==", &CopySource::blob(&source), &options).await.unwrap();
    target.put_block_from_url("YmxvY2stMg==", &CopySource::blob(&source)).await.unwrap();
    // Committed by hand (Put Block List is another module's public API).
    let mut url = target.url().unwrap();
    url.query_pairs_mut().append_pair("comp", "blocklist");
    let mut commit = Request::new("PutBlockList", Method::PUT, url);
    commit.body = "<BlockList><Latest>YmxvY2stMQ==</Latest><Latest>YmxvY2stMg==</Latest></BlockList>".into();
    client.send_raw(commit).await.unwrap();
    let expected = [&data[1000..2500], &data[..]].concat();
    assert!(target.download().await.unwrap() == expected, "the range, then the whole source");
}

#[tokio::test]
async fn put_block_from_url_of_a_changed_source_is_source_changed() {
    let client = client();
    let container = new_container(&client, "pbfu-changed").await;
    let source = container.blob("source.bin");
    let old = source.put("first").await.unwrap().etag;
    source.put("second").await.unwrap();
    let options = PutBlockFromUrlOptions { source_if_match: Some(old), ..Default::default() };
    let err = container.blob("t").put_block_from_url_opts("YQ==", &CopySource::blob(&source), &options).await;
    let err = err.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceChanged, "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(412));
    let bad_id = container.blob("t").put_block_from_url("not base64!", &CopySource::blob(&source)).await;
    assert_eq!(bad_id.unwrap_err().kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn a_block_copy_is_byte_exact_and_keeps_the_sources_properties() {
    let hook = Hook::counting();
    let client = client_with(&hook);
    let container = new_container(&client, "bcopy").await;
    let source = container.blob("big/source.bin");
    let data = azblob_testkit::pseudo_random_bytes(5 * MIB + 123, 2);
    let put = PutBlobOptions {
        metadata: [("origin".to_owned(), "source".to_owned())].into(),
        content: ContentHeaders { content_type: Some("application/x-test".into()), ..Default::default() },
        ..Default::default()
    };
    source.put_opts(data.clone(), &put).await.unwrap();
    let target = container.blob("big/target.bin");
    let options = BlockCopyOptions { block_size: MIB, concurrency: Concurrency::Fixed(3), ..Default::default() };
    let report = target.copy_blocks_from_url_opts(&CopySource::blob(&source), &options).await.unwrap();
    assert_eq!((report.bytes, report.blocks, report.block_size), (5 * MIB + 123, 6, MIB));
    assert_eq!(hook.count("PutBlockFromUrl"), 6);
    assert_eq!(hook.count("PutBlock"), 0, "no byte passes through the client");
    assert!(report.peak_concurrency <= 3);
    let copied = target.download().await.unwrap();
    assert_eq!(md5(&copied), md5(&data));
    let props = target.properties().await.unwrap();
    assert_eq!(props.metadata.get("origin").map(String::as_str), Some("source"));
    assert_eq!(props.content.content_type.as_deref(), Some("application/x-test"));
    assert_eq!(props.etag, report.etag);

    // An empty source makes an empty blob.
    let empty = container.blob("empty");
    empty.put("").await.unwrap();
    let report = container.blob("empty-copy").copy_blocks_from_url(&CopySource::blob(&empty)).await.unwrap();
    assert_eq!((report.bytes, report.blocks), (0, 0));
    assert_eq!(container.blob("empty-copy").properties().await.unwrap().content_length, 0);
}

#[tokio::test]
async fn a_source_overwritten_during_a_block_copy_fails_it_and_commits_nothing() {
    let writer = client();
    let container = new_container(&writer, "bcopy-race").await;
    let source = container.blob("source.bin");
    source.put(azblob_testkit::pseudo_random_bytes(4 * MIB, 3)).await.unwrap();
    // The third block's request first overwrites the source.
    let overwrite = source.clone();
    let hook = Hook::new(move |request, seen| {
        if request.operation == "PutBlockFromUrl" && seen == 2 {
            let overwrite = overwrite.clone();
            Action::Before(Box::pin(async move {
                overwrite.put(azblob_testkit::pseudo_random_bytes(4 * MIB, 4)).await.unwrap();
            }))
        } else {
            Action::Forward
        }
    });
    let client = client_with(&hook);
    let target = client.container(container.name()).blob("target.bin");
    let source = client.container(container.name()).blob("source.bin");
    let options = BlockCopyOptions { block_size: MIB, concurrency: Concurrency::Fixed(1), ..Default::default() };
    let err = target.copy_blocks_from_url_opts(&CopySource::blob(&source), &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceChanged, "{err}");
    assert_eq!(hook.count("PutBlockList"), 0);
    assert!(!target.exists().await.unwrap(), "nothing was committed");
}

#[tokio::test]
async fn an_interrupted_block_copy_resumes_with_the_missing_blocks_only() {
    let hook = Hook::counting();
    let client = client_with(&hook);
    let container = new_container(&client, "bcopy-resume").await;
    let source = container.blob("source.bin");
    let data = azblob_testkit::pseudo_random_bytes(8 * MIB, 5);
    source.put(data.clone()).await.unwrap();
    let target = container.blob("target.bin");
    let checkpoint = scratch("bcopy-resume").join("copy.json");
    // The first run is dropped once 3 blocks are staged, as a killed process stops.
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Mutex::new(Some(tx));
    let progress = move |p: TransferProgress| {
        if p.bytes_done >= 3 * MIB {
            if let Some(tx) = tx.lock().unwrap().take() {
                let _ = tx.send(());
            }
        }
    };
    let first = BlockCopyOptions {
        block_size: MIB,
        concurrency: Concurrency::Fixed(1),
        checkpoint: Some(checkpoint.clone()),
        resume: true,
        progress: Some(Arc::new(progress)),
        ..Default::default()
    };
    let from = CopySource::blob(&source);
    tokio::select! {
        result = target.copy_blocks_from_url_opts(&from, &first) => panic!("not interrupted: {result:?}"),
        _ = rx => {}
    }
    let staged = hook.count("PutBlockFromUrl");
    assert!((3..8).contains(&staged), "{staged} blocks staged before the interruption");
    assert!(checkpoint.exists(), "the checkpoint stays for the next run");

    let done = Arc::new(AtomicU64::new(0));
    let seen = Arc::clone(&done);
    let second = BlockCopyOptions {
        progress: Some(Arc::new(move |p: TransferProgress| {
            seen.fetch_max(p.bytes_done, Ordering::SeqCst);
        })),
        concurrency: Concurrency::Fixed(2),
        ..first.clone()
    };
    let report = target.copy_blocks_from_url_opts(&CopySource::blob(&source), &second).await.unwrap();
    assert!(report.resumed_blocks >= 3, "{report:?}");
    assert_eq!(report.blocks, 8);
    assert_eq!(hook.count("PutBlockFromUrl") - staged, (8 - report.resumed_blocks) as usize, "only missing blocks");
    assert_eq!(done.load(Ordering::SeqCst), 8 * MIB);
    assert!(!checkpoint.exists(), "deleted after the commit");
    assert_eq!(md5(&target.download().await.unwrap()), md5(&data));

    // A copy whose commit is refused (the target exists) keeps its
    // checkpoint; once the source changes, resuming from it is refused.
    let refused = BlockCopyOptions {
        blob: PutBlobOptions { conditions: azblob::Conditions::if_not_exists(), ..Default::default() },
        progress: None,
        ..first.clone()
    };
    let exists = target.copy_blocks_from_url_opts(&CopySource::blob(&source), &refused).await.unwrap_err();
    assert_eq!(exists.kind(), ErrorKind::AlreadyExists, "{exists}");
    assert!(checkpoint.exists());
    source.put("changed").await.unwrap();
    let err = target.copy_blocks_from_url_opts(&CopySource::blob(&source), &refused).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::SourceChanged, "{err}");
}

/// A token credential for the tests that check where a token goes.
fn token() -> azblob::auth::Credential {
    azblob::auth::Credential::Token(Arc::new(azblob::auth::StaticTokenCredential::new(
        "bearer-token-value",
        std::time::SystemTime::now() + std::time::Duration::from_secs(3600),
    )))
}

#[tokio::test]
async fn a_token_source_sends_its_token_as_copy_source_authorization_to_its_own_account_only() {
    use azblob::{ClientBuilder, DEV_ACCOUNT};
    use support::listener::{response, Listener};
    // The service stands in for the account: every request is answered 201,
    // and a Get Blob Properties with a size and an ETag.
    let service = Listener::start(|_, received| {
        if received.text().starts_with("HEAD ") {
            // A HEAD answer's Content-Length is the blob's size, with no body.
            "HTTP/1.1 200 OK\r\nContent-Length: 10\r\nETag: \"0x1\"\r\nLast-Modified: Mon, 30 Nov 2026 20:00:00 GMT\r\n\
             x-ms-blob-type: BlockBlob\r\n\r\n"
                .as_bytes()
                .to_vec()
        } else {
            response(201, &[("ETag", "\"0x2\""), ("Last-Modified", "Mon, 30 Nov 2026 20:00:00 GMT")], b"")
        }
    });
    let endpoint = format!("http://127.0.0.1:{}/{DEV_ACCOUNT}", service.port());
    let client = ClientBuilder::new().endpoint(&endpoint).credential(token()).build().unwrap();
    let source = CopySource::blob(&client.blob("ctr", "source"));
    let target = client.blob("ctr", "target");
    target.put_block_from_url("YQ==", &source).await.unwrap();
    let report = target.copy_blocks_from_url(&source).await.unwrap();
    assert_eq!(report.blocks, 1);
    let staged: Vec<_> = service.received().into_iter().filter(|r| r.text().contains("comp=block&")).collect();
    assert_eq!(staged.len(), 2, "two Put Block From URL");
    for request in staged {
        assert_eq!(request.header("x-ms-copy-source-authorization").as_deref(), Some("Bearer bearer-token-value"));
        assert_eq!(request.header("authorization").as_deref(), Some("Bearer bearer-token-value"));
    }

    // A destination on another host never receives the source's token (or
    // SAS): refused before anything is sent there.
    let evil = Listener::ok();
    let elsewhere = ClientBuilder::new().endpoint(format!("http://localhost:{}/{DEV_ACCOUNT}", evil.port())).build();
    let foreign = elsewhere.unwrap().blob("ctr", "copy");
    let err = foreign.put_block_from_url("YQ==", &source).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = foreign.copy_blocks_from_url(&source).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(evil.connections(), 0, "nothing reached the other host: {:?}", evil.received());
}

#[tokio::test]
async fn a_lost_put_block_from_url_answer_is_repeated_and_the_copy_completes() {
    // The service stages the second block, but its answer is lost: staging
    // the same block again is safe, so the retry layer repeats it.
    let hook = Hook::new(|request, seen| {
        if request.operation == "PutBlockFromUrl" && seen == 1 {
            Action::LoseAnswer
        } else {
            Action::Forward
        }
    });
    let client = client_with(&hook);
    let container = new_container(&client, "bcopy-lost").await;
    let source = container.blob("source.bin");
    let data = azblob_testkit::pseudo_random_bytes(3 * MIB, 9);
    source.put(data.clone()).await.unwrap();
    let target = container.blob("target.bin");
    let options = BlockCopyOptions { block_size: MIB, concurrency: Concurrency::Fixed(1), ..Default::default() };
    let report = target.copy_blocks_from_url_opts(&CopySource::blob(&source), &options).await.unwrap();
    assert_eq!(report.blocks, 3);
    assert_eq!(hook.count("PutBlockFromUrl"), 4, "three blocks, one of them sent twice");
    assert_eq!(md5(&target.download().await.unwrap()), md5(&data));
}
