//! Capturing a live exchange as cassette data, sanitized.

use bytes::Bytes;
use http::HeaderMap;

use super::cassette::{
    canonical_query, CassetteBody, CassetteRequest, CassetteResponse, DROPPED_REQUEST_HEADERS, DROPPED_RESPONSE_HEADERS,
};
use super::sanitize::Sanitizer;
use super::store::{sha256_hex, BodyStore};
use crate::wire::Request;

/// The request as the cassette holds it: path, sorted query, the headers
/// that matter, the body inline or as its hash; then sanitized.
///
/// Replay captures each sent request the same way before matching, so both
/// sides of a comparison went through the same hands.
pub(crate) fn capture_request(request: &Request, sanitizer: &Sanitizer, inline_limit: usize) -> CassetteRequest {
    let query: Vec<(String, String)> =
        request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    let mut captured = CassetteRequest {
        method: request.method.as_str().to_owned(),
        path: request.url.path().to_owned(),
        query: canonical_query(&query),
        headers: header_map(&request.headers, DROPPED_REQUEST_HEADERS),
        // Request bodies are only ever compared, so a large one keeps its hash
        // alone; a batch stays inline whatever its size, as replay compares it
        // without its random boundary, dates and signatures.
        body: match std::str::from_utf8(&request.body) {
            Ok(text) if text.len() <= inline_limit || is_multipart(&request.headers) => {
                CassetteBody::Text { text: text.to_owned() }
            }
            _ => CassetteBody::Stored { sha256: sha256_hex(&request.body), len: request.body.len() as u64 },
        },
    };
    sanitizer.request(&mut captured);
    captured
}

/// Whether a request carries a `multipart/mixed` body (a Blob Batch).
fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("multipart/mixed"))
}

/// The response as the cassette holds it; a body that is not small text goes to the sidecar store.
pub(crate) fn capture_response(
    status: u16,
    headers: &HeaderMap,
    body: &Bytes,
    sanitizer: &Sanitizer,
    inline_limit: usize,
    store: &mut BodyStore,
) -> CassetteResponse {
    let body = match std::str::from_utf8(body) {
        Ok(text) => {
            let text = sanitizer.text(text);
            if text.len() <= inline_limit {
                CassetteBody::Text { text }
            } else {
                let len = text.len() as u64;
                CassetteBody::Stored { sha256: store.put(Bytes::from(text)), len }
            }
        }
        Err(_) => CassetteBody::Stored { sha256: store.put(body.clone()), len: body.len() as u64 },
    };
    let mut captured = CassetteResponse { status, headers: header_map(headers, DROPPED_RESPONSE_HEADERS), body };
    sanitizer.response_headers(&mut captured);
    captured
}

/// Headers by (already lower-case) name, without `dropped`, repeated values joined with `", "`.
fn header_map(headers: &HeaderMap, dropped: &[&str]) -> std::collections::BTreeMap<String, String> {
    let mut map = std::collections::BTreeMap::new();
    for (name, value) in headers {
        if dropped.contains(&name.as_str()) {
            continue;
        }
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        map.entry(name.as_str().to_owned())
            .and_modify(|joined: &mut String| {
                joined.push_str(", ");
                joined.push_str(&value);
            })
            .or_insert(value);
    }
    map
}

#[cfg(test)]
mod tests {
    use http::{HeaderValue, Method};

    use super::*;

    #[test]
    fn requests_keep_what_identifies_them_and_nothing_secret() {
        let url = "http://127.0.0.1:1/acct/c/b?sv=2022&sig=c2VjcmV0&comp=block&blockid=QUFB%3D".parse().unwrap();
        let mut request = Request::new("PutBlock", Method::PUT, url);
        for (name, value) in [
            ("authorization", "SharedKey acct:c2lnbmF0dXJl"),
            ("x-ms-date", "Mon, 23 Nov 2026 23:00:00 GMT"),
            ("x-ms-version", "2023-11-03"),
            ("content-length", "3"),
        ] {
            request.headers.insert(name, HeaderValue::from_static(value));
        }
        request.body = Bytes::from_static(&[0xff, 0, 1]);
        let captured = capture_request(&request, &Sanitizer::default(), 64 * 1024);
        assert_eq!(captured.path, "/acct/c/b");
        assert_eq!(captured.query, "blockid=QUFB%3D&comp=block&sv=2022", "sorted, without sig");
        assert_eq!(captured.headers.keys().collect::<Vec<_>>(), ["x-ms-version"]);
        assert!(matches!(captured.body, CassetteBody::Stored { len: 3, .. }));
    }

    #[test]
    fn batch_bodies_stay_inline_whatever_their_size() {
        let url = "http://127.0.0.1:1/acct/c?restype=container&comp=batch".parse().unwrap();
        let mut request = Request::new("BlobBatch", Method::POST, url);
        request.headers.insert("content-type", HeaderValue::from_static("multipart/mixed; boundary=batch_1"));
        request.body = Bytes::from(format!("--batch_1\r\n{}\r\n--batch_1--\r\n", "x".repeat(100)));
        let captured = capture_request(&request, &Sanitizer::default(), 10);
        assert!(matches!(captured.body, CassetteBody::Text { .. }), "{:?}", captured.body);
        request.headers.insert("content-type", HeaderValue::from_static("text/plain"));
        assert!(matches!(capture_request(&request, &Sanitizer::default(), 10).body, CassetteBody::Stored { .. }));
    }

    #[test]
    fn small_text_is_inline_and_the_rest_goes_to_the_store_once() {
        let dir = std::env::temp_dir().join("azblob-record-test-unused");
        let mut store = BodyStore::new(dir);
        let sanitizer = Sanitizer::default();
        let text = capture_response(200, &HeaderMap::new(), &Bytes::from_static(b"<ok/>"), &sanitizer, 10, &mut store);
        assert_eq!(text.body, CassetteBody::Text { text: "<ok/>".into() });
        let big = Bytes::from(vec![b'a'; 11]);
        let a = capture_response(200, &HeaderMap::new(), &big, &sanitizer, 10, &mut store);
        let b = capture_response(200, &HeaderMap::new(), &big, &sanitizer, 10, &mut store);
        assert_eq!(a.body, b.body);
        assert!(matches!(a.body, CassetteBody::Stored { len: 11, .. }));
        assert!(store.pending(&sha256_hex(&big)).is_some());
    }
}
