//! Downloads that verify each range's CRC64, replayed from hand-written
//! cassettes in `testdata/cassettes/hand/crc64_*.json`: Azurite 3.37
//! computes no CRC64 on reads, so these exchanges follow the Get Blob
//! reference and real Azure's answer for `Hello World` (each cassette's
//! `note` says so). Matching is exact: every GET must ask for its range's
//! CRC64 with `x-ms-range-get-content-crc64: true`.

use std::sync::Arc;

use azblob::sim::{Cassette, Matching, SimulationMode, SimulationOptions};
use azblob::transport::{HttpTransport, Request, Response, RetryOptions, TransportError};
use azblob::{BlobServiceClient, ClientBuilder, Concurrency, DownloadOptions, ErrorKind, DEV_ACCOUNT_KEY};
use futures_util::future::BoxFuture;

/// The wire below the simulation layer: a replay that reached it is a bug.
#[derive(Debug)]
struct NoNetwork;

impl HttpTransport for NoNetwork {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        panic!("a replay reached the network: {request:?}")
    }
}

fn client_for(name: &str) -> BlobServiceClient {
    let path = azblob_testkit::workspace_root().join("testdata/cassettes/hand").join(name);
    let cassette = Cassette::load(&path).unwrap();
    assert!(cassette.note.as_deref().is_some_and(|n| n.contains("Why a replay")), "{name} must say why it is a replay");
    ClientBuilder::new()
        .endpoint("https://fakestorageaccount.blob.core.windows.net")
        .shared_key("fakestorageaccount", DEV_ACCOUNT_KEY)
        .unwrap()
        .retry(RetryOptions::none())
        .transport(Arc::new(NoNetwork))
        .simulation(SimulationMode::Replay, path)
        .simulation_options(SimulationOptions::new().matching(Matching::Exact))
        .build()
        .unwrap()
}

fn assert_done(client: &BlobServiceClient) {
    let stats = client.simulation_stats().unwrap();
    assert_eq!((stats.unused, stats.replayed), (0, stats.interactions), "{stats:?}");
}

fn crc64() -> DownloadOptions {
    DownloadOptions { verify_crc64: true, concurrency: Concurrency::Fixed(1), ..DownloadOptions::default() }
}

#[tokio::test]
async fn one_range_checked_against_azures_own_crc64() {
    let client = client_for("crc64_read_one_range.json");
    let mut out = Vec::new();
    // The default 8 MiB chunk is cut to the 4 MiB the service computes a CRC64 for.
    let report = client.blob("data", "hello.txt").download_to_writer_opts(&mut out, &crc64()).await.unwrap();
    assert_eq!(out, b"Hello World");
    assert!(report.crc64_verified);
    assert_done(&client);
}

#[tokio::test]
async fn every_range_is_checked() {
    let client = client_for("crc64_read_ranges.json");
    let options = DownloadOptions { chunk_size: 4, ..crc64() };
    let mut out = Vec::new();
    let report = client.blob("data", "hello.txt").download_to_writer_opts(&mut out, &options).await.unwrap();
    assert_eq!((out.as_slice(), report.chunks, report.crc64_verified), (&b"Hello World"[..], 3, true));
    assert_done(&client);
}

#[tokio::test]
async fn a_range_whose_bytes_changed_on_the_way_is_an_integrity_mismatch_naming_it() {
    let client = client_for("crc64_read_mismatch.json");
    let options = DownloadOptions { chunk_size: 4, ..crc64() };
    let err = client.blob("data", "hello.txt").download_to_writer_opts(&mut Vec::new(), &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::IntegrityMismatch, "{err}");
    assert!(err.to_string().contains("bytes 4-7"), "{err}");
    assert_done(&client);
}

#[tokio::test]
async fn an_answer_without_a_crc64_is_unverifiable_as_on_azurite() {
    let client = client_for("crc64_read_missing.json");
    let err = client.blob("data", "hello.txt").download_to_writer_opts(&mut Vec::new(), &crc64()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unverifiable, "{err}");
    assert_done(&client);
}

#[tokio::test]
async fn a_range_that_ends_early_is_asked_again_whole_and_checked() {
    let client = client_for("crc64_read_resumed.json");
    let options = DownloadOptions { chunk_size: 4, ..crc64() };
    let mut out = Vec::new();
    let report = client.blob("data", "hello.txt").download_to_writer_opts(&mut out, &options).await.unwrap();
    assert_eq!((out.as_slice(), report.body_resumes, report.crc64_verified), (&b"Hello World"[..], 2, true));
    assert_done(&client);
}

#[tokio::test]
async fn a_range_that_ends_early_is_asked_again_whole_and_checked_into_a_file_too() {
    let client = client_for("crc64_read_resumed.json");
    let options = DownloadOptions { chunk_size: 4, ..crc64() };
    let dir = azblob_testkit::scratch_dir().join(format!("crc64-resumed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("hello.txt");
    let report = client.blob("data", "hello.txt").download_to_file_opts(&path, &options).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), b"Hello World");
    assert_eq!((report.body_resumes, report.crc64_verified), (2, true));
    assert_done(&client);
    std::fs::remove_dir_all(dir).unwrap();
}
