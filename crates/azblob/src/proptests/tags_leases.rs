//! Parsers and checks of blob index tags and leases: Get Blob Tags and Find
//! Blobs by Tags bodies, Lease Blob answers, and tags as users hand them in.

use http::{HeaderMap, HeaderValue, StatusCode};
use proptest::prelude::*;
use url::Url;

use super::{cases, mutated, number_text};
use crate::ops::blob_properties::BlobSelector;
use crate::ops::conditions::Conditions;
use crate::ops::find_blobs::parse_find_blobs_response;
use crate::ops::lease::{parse_lease_broken, parse_lease_granted};
use crate::ops::tags::{build_set_tags_request, parse_tags_body, set_tags_header, validate_tags, Tags};
use crate::transport::{Request, Response};

const TAGS_BODY: &[u8] = b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?><Tags><TagSet>\
    <Tag><Key>stage</Key><Value>prod</Value></Tag><Tag><Key>run</Key><Value>42</Value></Tag></TagSet></Tags>";

const FIND_BODY: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\
    <EnumerationResults ServiceEndpoint=\"https://myaccount.blob.core.windows.net/\"><Where>\"stage\"='prod'</Where>\
    <Blobs><Blob><Name>blob-name</Name><ContainerName>container-name</ContainerName><Tags><TagSet>\
    <Tag><Key>stage</Key><Value>prod</Value></Tag></TagSet></Tags></Blob></Blobs>\
    <NextMarker>2!108!MDAwMDM1</NextMarker></EnumerationResults>";

/// Tags from any text, mostly of the allowed characters, sometimes not.
fn any_tags() -> impl Strategy<Value = Tags> {
    let text = prop_oneof![4 => "[a-zA-Z0-9 +./:=_-]{0,20}", 1 => ".{0,10}", 1 => "[a-z]{120,140}"];
    proptest::collection::btree_map(text.clone(), text, 0..13)
}

fn url() -> Url {
    "https://a.blob.core.windows.net/c/b".parse().unwrap()
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn tag_and_find_bodies_never_panic(
        tags in mutated(TAGS_BODY),
        found in mutated(FIND_BODY),
        noise in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let _ = parse_tags_body(&tags);
        let _ = parse_tags_body(&noise);
        let _ = parse_find_blobs_response(&found);
        let _ = parse_find_blobs_response(&noise);
    }

    #[test]
    fn lease_answers_never_panic(
        status in 100u16..600,
        lease_id in proptest::option::of("[ -~]{0,40}"),
        lease_time in proptest::option::of(prop_oneof![number_text(), "[ -~]{0,10}".boxed()]),
    ) {
        let mut h = HeaderMap::new();
        for (name, value) in [("x-ms-lease-id", lease_id), ("x-ms-lease-time", lease_time)] {
            if let Some(v) = value.and_then(|v| HeaderValue::from_str(&v).ok()) {
                h.insert(name, v);
            }
        }
        let response = Response::new(StatusCode::from_u16(status).unwrap(), h, "");
        let _ = parse_lease_granted(&response);
        let _ = parse_lease_broken(&response);
    }

    /// Tags the checks accept survive the trip: the header decodes and the
    /// Set Blob Tags body parses back to the same set; the others are refused
    /// as invalid input before any request exists.
    #[test]
    fn valid_tags_round_trip_and_others_are_refused(tags in any_tags()) {
        let mut request = Request::new("PutBlob", http::Method::PUT, url());
        match validate_tags(&tags) {
            Ok(()) => {
                set_tags_header(&mut request, &tags).unwrap();
                let decoded: Tags = match request.header("x-ms-tags") {
                    Some(v) => v.split('&').map(|pair| {
                        let (k, v) = pair.split_once('=').unwrap();
                        let d = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8().unwrap().into_owned();
                        (d(k), d(v))
                    }).collect(),
                    None => Tags::new(),
                };
                prop_assert_eq!(&decoded, &tags);
                let set = build_set_tags_request(url(), &tags, &BlobSelector::default(), &Conditions::default()).unwrap();
                prop_assert_eq!(parse_tags_body(&set.body).unwrap(), tags);
            }
            Err(e) => {
                prop_assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
                prop_assert!(set_tags_header(&mut request, &tags).is_err());
                prop_assert!(build_set_tags_request(url(), &tags, &BlobSelector::default(), &Conditions::default()).is_err());
            }
        }
    }
}
