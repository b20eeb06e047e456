//! Hostile servers: a scripted wire that lies about ranges, sizes, markers
//! and body lengths. Every download and listing must end, with a typed error
//! where the answer makes no sense, and never panic, abort or loop.
//!
//! No emulator is involved: each test answers from a closure. The wire yields
//! to the runtime before each answer, so a loop of instant answers still lets
//! the `tokio::time::timeout` that bounds every test fire; the timeout is the
//! hang detector, never a synchronization.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use azblob::transport::{Body, HeaderMap, HttpTransport, Request, Response, RetryOptions, StatusCode, TransportError};
use azblob::{BlobServiceClient, ClientBuilder, DownloadOptions, ErrorKind, ListBlobsOptions};
use bytes::Bytes;
use futures_util::future::BoxFuture;
use futures_util::TryStreamExt;
use proptest::prelude::*;

const ENDPOINT: &str = "http://127.0.0.1:9/devstoreaccount1";
/// Far longer than any of these exchanges takes; reaching it means a hang.
const HANG: Duration = Duration::from_secs(20);

type Answer = dyn Fn(&Request, usize) -> Response + Send + Sync;

/// Answers each request with a closure of the request and how many came before.
struct Hostile {
    answer: Box<Answer>,
    calls: AtomicUsize,
}

impl std::fmt::Debug for Hostile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hostile").finish_non_exhaustive()
    }
}

impl HttpTransport for Hostile {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let n = self.calls.fetch_add(1, Ordering::SeqCst);
        let response = (self.answer)(&request, n);
        Box::pin(async move {
            // Instant answers would never return Pending, and a timeout is
            // only checked when the future it wraps does.
            tokio::task::yield_now().await;
            Ok(response)
        })
    }
}

fn client(answer: impl Fn(&Request, usize) -> Response + Send + Sync + 'static) -> BlobServiceClient {
    let wire = Arc::new(Hostile { answer: Box::new(answer), calls: AtomicUsize::new(0) });
    ClientBuilder::new()
        .endpoint(ENDPOINT)
        .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
        .unwrap()
        .transport(wire as Arc<dyn HttpTransport>)
        .retry(RetryOptions::none())
        .build()
        .unwrap()
}

/// The `(start, end)` of the request's `x-ms-range`; `end` is `None` for `bytes=S-`.
fn asked(request: &Request) -> Option<(u64, Option<u64>)> {
    let value = request.header("x-ms-range")?.strip_prefix("bytes=")?;
    let (start, end) = value.split_once('-')?;
    Some((start.parse().ok()?, end.parse().ok()))
}

/// A Get Blob answer: 206 with `Content-Range` when `range` is given, else 200.
fn blob_answer(range: Option<String>, total: u64, body: impl Into<Bytes>) -> Response {
    let body = body.into();
    let mut h = HeaderMap::new();
    h.insert("etag", "\"0x1\"".parse().unwrap());
    h.insert("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT".parse().unwrap());
    h.insert("x-ms-blob-type", "BlockBlob".parse().unwrap());
    h.insert("content-length", body.len().to_string().parse().unwrap());
    let status = match range {
        Some(range) => {
            h.insert("content-range", range.parse().unwrap());
            StatusCode::PARTIAL_CONTENT
        }
        None => {
            h.insert("content-length", total.to_string().parse().unwrap());
            StatusCode::OK
        }
    };
    Response::new(status, h, body)
}

fn status(code: u16) -> Response {
    Response::new(StatusCode::from_u16(code).unwrap(), HeaderMap::new(), "")
}

fn options(chunk_size: u64) -> DownloadOptions {
    DownloadOptions { chunk_size, concurrency: 2.into(), ..DownloadOptions::default() }
}

/// Runs a download into memory and one into a writer, each under the hang bound.
async fn both_downloads(client: &BlobServiceClient, chunk_size: u64) -> [azblob::Result<u64>; 2] {
    let blob = client.blob("cont", "b");
    let memory = tokio::time::timeout(HANG, blob.download_opts(&options(chunk_size)))
        .await
        .expect("the download into memory hung")
        .map(|bytes| bytes.len() as u64);
    let mut sink = tokio::io::sink();
    let writer = tokio::time::timeout(HANG, blob.download_to_writer_opts(&mut sink, &options(chunk_size)))
        .await
        .expect("the download into a writer hung")
        .map(|report| report.bytes);
    [memory, writer]
}

#[tokio::test]
async fn a_206_with_the_right_start_and_an_empty_body_ends_in_an_error() {
    // The first chunk is honest; every later answer names the asked range but carries nothing.
    let client = client(|request, n| {
        let (start, end) = asked(request).unwrap();
        let end = end.unwrap();
        if n == 0 {
            return blob_answer(Some("bytes 0-3/8".into()), 8, "abcd");
        }
        blob_answer(Some(format!("bytes {start}-{end}/8")), 8, "")
    });
    let blob = client.blob("cont", "b");
    let result = tokio::time::timeout(HANG, blob.download_opts(&options(4))).await.expect("the download hung");
    let err = result.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    assert!(err.to_string().contains("ended early"), "{err}");
}

#[tokio::test]
async fn an_empty_etag_cannot_guard_the_ranges_that_follow() {
    // The later ranges are read `If-Match` the first answer's ETag; an empty
    // one is no condition, so a blob replaced meanwhile would be stitched
    // from two blobs without a word.
    let client = client(|request, _| {
        let (start, end) = asked(request).unwrap();
        let data = b"abcdefgh";
        let end = end.unwrap_or(7).min(7);
        let mut answer = blob_answer(
            Some(format!("bytes {start}-{end}/8")),
            8,
            Bytes::copy_from_slice(&data[start as usize..=end as usize]),
        );
        answer.headers.insert("etag", "".parse().unwrap());
        answer
    });
    for result in both_downloads(&client, 4).await {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
        assert!(err.to_string().contains("ETag"), "{err}");
    }
}

#[tokio::test]
async fn an_append_position_past_the_largest_length_is_refused_not_overflowed() {
    // A server that accepts every append: only the position's arithmetic
    // stands between the caller's number and an overflow.
    let client = client(|_, _| {
        let mut h = HeaderMap::new();
        h.insert("etag", "\"0x1\"".parse().unwrap());
        h.insert("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT".parse().unwrap());
        Response::new(StatusCode::CREATED, h, "")
    });
    let blob = client.blob("cont", "b");
    let options = azblob::AppendOptions { append_position: Some(u64::MAX - 2), ..Default::default() };
    let err = blob.append_opts(&b"0123456789"[..], &options).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let fits = azblob::AppendOptions { append_position: Some(u64::MAX - 10), ..Default::default() };
    blob.append_opts(&b"0123456789"[..], &fits).await.unwrap();
}

#[tokio::test]
async fn a_range_read_answered_with_other_bytes_is_refused() {
    // A server (or proxy) that ignores the range and sends the whole blob, or
    // serves a range other than the one asked: those bytes are not the range.
    let lies: [fn() -> Response; 3] = [
        || blob_answer(None, 10, "abcdefghij"),
        || blob_answer(Some("bytes 0-9/10".into()), 10, "abcdefghij"),
        || blob_answer(Some("bytes 2-9/10".into()), 10, "cdefghij"),
    ];
    for lie in lies {
        let service = client(move |_, _| lie());
        let err = service.blob("cont", "b").download_range(azblob::BlobRange::new(2, 3)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    }
    // The honest answer, and a whole blob that lies within the range asked.
    let service = client(|_, _| blob_answer(Some("bytes 2-4/10".into()), 10, "cde"));
    assert_eq!(service.blob("cont", "b").download_range(azblob::BlobRange::new(2, 3)).await.unwrap(), "cde");
    let service = client(|_, _| blob_answer(None, 3, "abc"));
    assert_eq!(service.blob("cont", "b").download_range(azblob::BlobRange::new(0, 10)).await.unwrap(), "abc");
}

#[tokio::test]
async fn a_claimed_terabyte_range_is_refused_not_allocated() {
    let client = client(|_, _| blob_answer(Some("bytes 0-1099511627775/1099511627776".into()), 1 << 40, "abc"));
    for result in both_downloads(&client, 8 << 20).await {
        assert_eq!(result.unwrap_err().kind(), ErrorKind::InvalidResponse);
    }
}

#[tokio::test]
async fn the_first_answer_must_start_where_it_was_asked() {
    // Bytes 5-9 answered to a request for bytes 0..: they would land at offset 0.
    let client = client(|request, _| {
        let (start, _) = asked(request).unwrap();
        let data = b"abcdefghij";
        let from = if start == 0 { 5 } else { start };
        blob_answer(Some(format!("bytes {from}-9/10")), 10, Bytes::copy_from_slice(&data[from as usize..]))
    });
    for result in both_downloads(&client, 8 << 20).await {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    }
}

#[tokio::test]
async fn a_later_answer_must_end_within_the_asked_range_and_keep_the_size() {
    for lie in ["bytes 4-11/12", "bytes 4-7/9"] {
        let client = client(move |_, n| match n {
            0 => blob_answer(Some("bytes 0-3/8".into()), 8, "abcd"),
            _ => blob_answer(Some(lie.into()), 8, "efgh"),
        });
        for result in both_downloads(&client, 4).await {
            let err = result.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{lie}: {err}");
        }
    }
}

#[tokio::test]
async fn a_claimed_exabyte_blob_is_neither_planned_nor_allocated_up_front() {
    // 2^62 bytes in 4 MiB chunks would be 2^40 ranges listed before the first
    // is fetched, and an in-memory download would ask the allocator for 4 EiB.
    let client = client(|_, n| match n {
        0 => blob_answer(Some(format!("bytes 0-3/{}", 1u64 << 62)), 1 << 62, "abcd"),
        _ => status(503),
    });
    let [memory, writer] = both_downloads(&client, 4 << 20).await;
    let err = memory.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io | ErrorKind::ServerBusy), "{err}");
    assert_eq!(writer.unwrap_err().kind(), ErrorKind::ServerBusy);
    // Into a file: sized to the claim (sparse, or refused by the file system), then the 503.
    let dir = std::env::temp_dir().join(format!("azblob-hostile-{:016x}", fastrand::u64(..)));
    std::fs::create_dir_all(&dir).unwrap();
    let target = dir.join("huge.bin");
    let (blob, file_options) = (client.blob("cont", "b"), options(4 << 20));
    let err = tokio::time::timeout(HANG, blob.download_to_file_opts(&target, &file_options))
        .await
        .expect("the download into a file hung")
        .unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::Io | ErrorKind::ServerBusy), "{err}");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "a failed download leaves no file");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A List Blobs page holding one virtual directory and the given `NextMarker`.
fn list_page(next_marker: &str, padding: usize) -> Response {
    let mut h = HeaderMap::new();
    h.insert("content-type", "application/xml".parse().unwrap());
    let xml = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults><Blobs><BlobPrefix><Name>p/</Name>\
         </BlobPrefix></Blobs><NextMarker>{next_marker}</NextMarker></EnumerationResults>{}",
        " ".repeat(padding)
    );
    Response::new(StatusCode::OK, h, xml)
}

#[tokio::test]
async fn a_repeated_next_marker_ends_the_listing_with_an_error() {
    // The same marker every time, and two markers taking turns.
    for cycle in [&["m1"][..], &["m1", "m2"]] {
        let client = client(move |_, n| list_page(cycle[n % cycle.len()], 0));
        let listing = client.container("cont").list_blobs().try_collect::<Vec<_>>();
        let err = tokio::time::timeout(HANG, listing).await.expect("the listing hung").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
        assert!(err.to_string().contains("NextMarker"), "{err}");
    }
}

#[tokio::test]
async fn a_repeated_next_marker_ends_find_blobs_by_tags_with_an_error() {
    // Find Blobs by Tags follows NextMarker like a listing, in a container and across the account.
    let page = |n: usize| {
        let marker = ["m1", "m2"][n % 2];
        let xml = format!(
            "<EnumerationResults><Blobs><Blob><Name>b{n}</Name><ContainerName>c</ContainerName></Blob></Blobs>\
             <NextMarker>{marker}</NextMarker></EnumerationResults>"
        );
        Response::new(StatusCode::OK, HeaderMap::new(), xml)
    };
    let client = client(move |_, n| page(n));
    for found in [client.container("cont").find_blobs_by_tags("a = 'b'"), client.find_blobs_by_tags("a = 'b'")] {
        let err =
            tokio::time::timeout(HANG, found.try_collect::<Vec<_>>()).await.expect("the search hung").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
        assert!(err.to_string().contains("NextMarker"), "{err}");
    }
}

#[tokio::test]
async fn an_oversized_list_page_is_refused() {
    // A valid page followed by 33 MiB of whitespace: parseable, but no page is that long.
    let client = client(|_, _| list_page("", 33 << 20));
    let err = client.container("cont").list_blobs_page_opts(None, &ListBlobsOptions::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    assert!(err.to_string().contains("longer than"), "{err}");
}

#[tokio::test]
async fn a_list_page_declared_over_the_cap_is_refused_before_reading() {
    // The body never comes: only the declared length can refuse it.
    let client = client(|_, _| {
        let mut h = HeaderMap::new();
        h.insert("content-length", (1u64 << 40).to_string().parse().unwrap());
        let silent = futures_util::stream::pending::<Result<Bytes, TransportError>>();
        Response::from_body(StatusCode::OK, h, Body::from_stream(Box::pin(silent)))
    });
    let (container, list_options) = (client.container("cont"), ListBlobsOptions::default());
    let err = tokio::time::timeout(HANG, container.list_blobs_page_opts(None, &list_options))
        .await
        .expect("the page was waited for")
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    assert!(err.to_string().contains("longer than"), "{err}");
}

#[tokio::test]
async fn an_oversized_batch_answer_is_refused() {
    // A well-formed answer for one sub-request, behind 5 MiB of preamble.
    let client = client(|_, _| {
        let body = format!(
            "{}\r\n--b\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\nHTTP/1.1 202 Accepted\r\n\
             x-ms-request-id: r\r\n\r\n\r\n--b--\r\n",
            " ".repeat(5 << 20)
        );
        let mut h = HeaderMap::new();
        h.insert("content-type", "multipart/mixed; boundary=b".parse().unwrap());
        Response::new(StatusCode::ACCEPTED, h, body)
    });
    let results = client.container("cont").delete_blobs(["x"]).await.unwrap();
    match &results[0].outcome {
        azblob::BatchOutcome::Failed(err) => {
            assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
            assert!(err.to_string().contains("longer than"), "{err}");
        }
        other => panic!("an oversized answer was accepted: {other:?}"),
    }
}

/// One scripted answer to a ranged read, as offsets from the honest one.
#[derive(Debug, Clone)]
struct Lie {
    start_shift: i64,
    end_shift: i64,
    total_shift: i64,
    body_cut: usize,
    whole: bool,
    code: Option<u16>,
}

fn lie() -> impl Strategy<Value = Lie> {
    (
        prop_oneof![3 => Just(0i64), 1 => -3i64..3, 1 => Just(i64::MAX / 2)],
        prop_oneof![3 => Just(0i64), 1 => -3i64..3, 1 => Just(1i64 << 41)],
        prop_oneof![3 => Just(0i64), 1 => -2i64..2, 1 => Just(1i64 << 60)],
        prop_oneof![3 => Just(usize::MAX), 1 => 0usize..5],
        proptest::bool::weighted(0.1),
        proptest::option::weighted(0.1, prop_oneof![Just(412u16), Just(416), Just(500), Just(200)]),
    )
        .prop_map(|(start_shift, end_shift, total_shift, body_cut, whole, code)| Lie {
            start_shift,
            end_shift,
            total_shift,
            body_cut,
            whole,
            code,
        })
}

/// The answer a server telling `lie` gives to a request for bytes of a `size`-byte blob.
fn lying_answer(request: &Request, lie: &Lie, data: &Bytes) -> Response {
    let size = data.len() as u64;
    if let Some(code) = lie.code.filter(|&c| c != 200) {
        return status(code);
    }
    let (start, end) = match asked(request) {
        Some((start, end)) => (start, end.unwrap_or(size.saturating_sub(1)).min(size.saturating_sub(1))),
        None => (0, size.saturating_sub(1)),
    };
    let honest = if start < size { data.slice(start as usize..=end as usize) } else { Bytes::new() };
    let body = honest.slice(..lie.body_cut.min(honest.len()));
    if lie.whole || lie.code == Some(200) {
        return blob_answer(None, size.wrapping_add_signed(lie.total_shift), body);
    }
    let shifted = |v: u64, by: i64| v.saturating_add_signed(by);
    let range = format!(
        "bytes {}-{}/{}",
        shifted(start, lie.start_shift),
        shifted(end, lie.end_shift),
        shifted(size, lie.total_shift)
    );
    blob_answer(Some(range), size, body)
}

fn cases(normal: u32) -> ProptestConfig {
    // `cargo xtask fuzz` raises PROPTEST_CASES for long runs.
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(normal);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

proptest! {
    #![proptest_config(cases(48))]

    /// Whatever a server answers to each ranged read, both downloads end
    /// (with the blob's bytes or an error) well within the hang bound.
    #[test]
    fn downloads_end_whatever_the_server_answers(
        size in 0usize..40,
        chunk in 1u64..16,
        lies in proptest::collection::vec(lie(), 1..12),
    ) {
        let data = Bytes::from((0..size).map(|i| i as u8).collect::<Vec<_>>());
        let script = (data.clone(), lies);
        let client = client(move |request, n| {
            let (data, lies) = &script;
            lying_answer(request, &lies[n % lies.len()], data)
        });
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        // Any typed outcome will do (a lie about the size may even succeed
        // with fewer bytes); only a panic or a hang fails. Names are valid,
        // so every error comes from the answers.
        for result in runtime.block_on(both_downloads(&client, chunk)) {
            if let Err(err) = result {
                prop_assert_ne!(err.kind(), ErrorKind::InvalidInput, "{}", err);
            }
        }
    }

    /// Whatever markers a server hands out, a listing ends.
    #[test]
    fn listings_end_whatever_markers_the_server_hands_out(
        markers in proptest::collection::vec(proptest::option::of("[a-c]{1,2}"), 1..8),
    ) {
        let client = client(move |_, n| match markers.get(n).cloned().flatten() {
            Some(m) => list_page(&m, 0),
            None if n < markers.len() => list_page("", 0),
            None => list_page(&markers.iter().flatten().next().cloned().unwrap_or_default(), 0),
        });
        let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
        let listing = client.container("cont").list_blobs().try_collect::<Vec<_>>();
        let outcome = runtime.block_on(async { tokio::time::timeout(HANG, listing).await });
        prop_assert!(outcome.is_ok(), "the listing hung");
    }
}
