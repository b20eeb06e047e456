//! Parsers of service answers: List Blobs XML, error XML, batch answers,
//! Content-Range and the other property headers, block lists, user
//! delegation keys.

use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use proptest::prelude::*;

use super::{cases, mutated, number_text};
use crate::ops::blob_batch::parse_batch_response;
use crate::ops::blob_properties::{parse_blob_properties, parse_content_range};
use crate::ops::blocks::parse_block_list;
use crate::ops::copy_state::parse_progress;
use crate::ops::error_map::error_from_parts;
use crate::ops::get_blob::parse_get_blob_response;
use crate::ops::list_blobs::parse_list_blobs_response;
use crate::ops::user_delegation_key::parse_user_delegation_key;
use crate::transport::Response;

const DOCUMENTED: &[u8] = include_bytes!("../../../../testdata/xml/list-blobs-documented.xml");
const AZURITE_PAGE: &[u8] = include_bytes!("../../../../testdata/xml/list-blobs-azurite-page.xml");
const VERSIONS: &[u8] = include_bytes!("../../../../testdata/xml/list-blobs-versions.xml");

const ERROR_XML: &[u8] = b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobNotFound</Code>\
    <Message>The specified blob does not exist.\nRequestId:0bd4ee\nTime:2026-11-23T10:00:00.000Z</Message></Error>";

const BATCH_ANSWER: &[u8] = b"--batchresponse_1\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\n\
    HTTP/1.1 202 Accepted\r\nx-ms-delete-type-permanent: true\r\nx-ms-request-id: r0\r\nx-ms-version: 2018-11-09\r\n\r\n\
    --batchresponse_1\r\nContent-Type: application/http\r\nContent-ID: 1\r\n\r\n\
    HTTP/1.1 404 The specified blob does not exist.\r\nx-ms-error-code: BlobNotFound\r\nContent-Length: 216\r\n\
    Content-Type: application/xml\r\n\r\n<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobNotFound</Code>\
    <Message>The specified blob does not exist.</Message></Error>\r\n--batchresponse_1--\r\n";

const BLOCK_LIST: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><CommittedBlocks/><UncommittedBlocks>\
    <Block><Name>QUFBQQ==</Name><Size>4194304</Size></Block><Block><Name>QkJCQg==</Name><Size>12</Size></Block>\
    </UncommittedBlocks></BlockList>";

const DELEGATION_KEY: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><UserDelegationKey>\
    <SignedOid>6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10</SignedOid><SignedTid>72f988bf-86f1-41af-91ab-2d7cd011db47</SignedTid>\
    <SignedStart>2026-11-23T10:00:00Z</SignedStart><SignedExpiry>2026-11-24T10:00:00Z</SignedExpiry>\
    <SignedService>b</SignedService><SignedVersion>2023-11-03</SignedVersion><Value>a2V5IGJ5dGVz</Value>\
    </UserDelegationKey>";

/// The headers property parsers read, with values that are valid, edge numbers or noise.
fn property_headers() -> impl Strategy<Value = HeaderMap> {
    let name = prop_oneof![
        Just("content-length"),
        Just("content-range"),
        Just("content-md5"),
        Just("x-ms-blob-content-md5"),
        Just("etag"),
        Just("last-modified"),
        Just("x-ms-creation-time"),
        Just("x-ms-blob-type"),
        Just("x-ms-access-tier"),
        Just("x-ms-copy-id"),
        Just("x-ms-copy-status"),
        Just("x-ms-copy-progress"),
        Just("x-ms-copy-completion-time"),
        Just("x-ms-meta-a"),
    ];
    let value = prop_oneof![
        number_text(),
        (number_text(), number_text(), number_text()).prop_map(|(a, b, c)| format!("bytes {a}-{b}/{c}")),
        (number_text(), number_text()).prop_map(|(a, b)| format!("{a}/{b}")),
        Just("Fri, 31 Dec 9999 23:59:59 GMT".to_owned()),
        Just("\"0x1\"".to_owned()),
        Just("BlockBlob".to_owned()),
        Just("pending".to_owned()),
        Just("XrY7u+Ae7tCTyyK7j1rNww==".to_owned()),
        "[ -~]{0,40}",
    ];
    let base = [
        ("etag", "\"0x1\""),
        ("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"),
        ("x-ms-blob-type", "BlockBlob"),
        ("content-length", "10"),
    ];
    proptest::collection::vec((name, value), 0..8).prop_map(move |pairs| {
        let mut h = HeaderMap::new();
        for (k, v) in base {
            h.insert(k, HeaderValue::from_static(v));
        }
        for (k, v) in pairs {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(HeaderName::from_static(k), v);
            }
        }
        h
    })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn list_blobs_pages_never_panic(
        body in prop_oneof![mutated(DOCUMENTED), mutated(AZURITE_PAGE), mutated(VERSIONS),
                            proptest::collection::vec(any::<u8>(), 0..200)],
    ) {
        let _ = parse_list_blobs_response(&body);
    }

    #[test]
    fn error_bodies_never_panic(
        status in 100u16..1000,
        code in proptest::option::of("[ -~]{0,20}"),
        body in prop_oneof![mutated(ERROR_XML), proptest::collection::vec(any::<u8>(), 0..200)],
    ) {
        let status = StatusCode::from_u16(status).unwrap();
        let err = error_from_parts(status, code, None, &body, "GetBlob");
        prop_assert!(!err.to_string().is_empty());
    }

    #[test]
    fn batch_answers_never_panic(
        content_type in prop_oneof![
            Just("multipart/mixed; boundary=batchresponse_1".to_owned()),
            "multipart/mixed; boundary=[ -~]{0,12}",
            "[ -~]{0,30}",
        ],
        body in prop_oneof![mutated(BATCH_ANSWER), proptest::collection::vec(any::<u8>(), 0..200)],
    ) {
        let _ = parse_batch_response(&content_type, &body);
    }

    #[test]
    fn content_ranges_are_parsed_or_refused(
        value in prop_oneof![
            (number_text(), number_text(), number_text()).prop_map(|(a, b, c)| format!("bytes {a}-{b}/{c}")),
            ".{0,40}",
        ],
    ) {
        if let Ok((start, end, total)) = parse_content_range(&value) {
            prop_assert!(start <= end && end < total, "{value}");
        }
    }

    #[test]
    fn property_headers_never_panic(headers in property_headers(), partial in any::<bool>()) {
        let _ = parse_blob_properties(&headers);
        let status = if partial { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
        if let Ok(head) = parse_get_blob_response(&Response::new(status, headers, "")) {
            if let Some((start, end)) = head.range {
                prop_assert_eq!(head.body_length, end - start + 1);
            }
        }
    }

    #[test]
    fn copy_progress_never_panics(value in prop_oneof![
        (number_text(), number_text()).prop_map(|(a, b)| format!("{a}/{b}")),
        ".{0,30}",
    ]) {
        let _ = parse_progress(&value);
    }

    #[test]
    fn block_lists_and_delegation_keys_never_panic(
        blocks in mutated(BLOCK_LIST),
        key in mutated(DELEGATION_KEY),
        noise in proptest::collection::vec(any::<u8>(), 0..100),
    ) {
        let _ = parse_block_list(&HeaderMap::new(), &blocks);
        let _ = parse_block_list(&HeaderMap::new(), &noise);
        let _ = parse_user_delegation_key(&key);
        let _ = parse_user_delegation_key(&noise);
    }
}
