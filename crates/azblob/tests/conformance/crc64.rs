//! Conformance case of transactional CRC64 on writes: Put Blob, Put Block
//! and Append Block each carry `x-ms-content-crc64`, which Azurite checks
//! when the case is recorded and the replay compares header by header.

use azblob::{AppendOptions, Concurrency, ContainerClient, PutBlobOptions, UploadOptions};

use super::{data, md5, KIB};

pub async fn crc64_transactional_writes(container: ContainerClient) {
    let crc = PutBlobOptions { transactional_crc64: true, ..Default::default() };
    let hello = container.blob("hello.txt");
    hello.put_opts("Hello World", &crc).await.unwrap();
    assert_eq!(&hello.download().await.unwrap()[..], b"Hello World");

    let bytes = data(10 * KIB, 31);
    let options = UploadOptions {
        block_size: 4 * KIB,
        concurrency: Concurrency::Fixed(1),
        single_put_max: 0,
        blob: crc,
        ..Default::default()
    };
    let report = container.blob("blocks.bin").upload_opts(bytes.clone(), &options).await.unwrap();
    assert_eq!(report.blocks, 3);
    assert_eq!(md5(&container.blob("blocks.bin").download().await.unwrap()), md5(&bytes));

    let log = container.blob("log.txt");
    log.create_append_blob().await.unwrap();
    log.append_opts("line one\n", &AppendOptions { transactional_crc64: true, ..Default::default() }).await.unwrap();
    assert_eq!(&log.download().await.unwrap()[..], b"line one\n");
}
