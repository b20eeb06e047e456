//! Blob index tags: the `Tags` type and its checks, Get Blob Tags and Set Blob Tags.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/get-blob-tags>
//! <https://learn.microsoft.com/rest/api/storageservices/set-blob-tags>
//! <https://learn.microsoft.com/azure/storage/blobs/storage-manage-find-blobs#setting-blob-index-tags>

use std::collections::BTreeMap;

use bytes::Bytes;
use http::{Method, StatusCode};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::Url;

use super::blob_properties::BlobSelector;
use super::conditions::{Accepted, Conditions};
use super::headers;
use super::request_util::set_header;
use super::tags_xml::{walk, TagCollector};
use crate::error::{Error, Result};
use crate::transport::{Request, Response};

/// A blob's index tags: key to value, in key order.
///
/// The service indexes them for [Find Blobs by Tags](crate::ContainerClient::find_blobs_by_tags).
/// Every operation that sends tags checks them first, as the service does:
/// at most [`MAX_TAGS`] tags, keys of 1 to 128 and values of 0 to 256
/// characters, each an ASCII letter or digit, a space or one of `+ - . / : = _`.
/// Keys and values are case-sensitive.
pub type Tags = BTreeMap<String, String>;

/// The most index tags one blob may have.
pub const MAX_TAGS: usize = 10;
/// The longest tag key, in characters.
pub const MAX_TAG_KEY_CHARS: usize = 128;
/// The longest tag value, in characters.
pub const MAX_TAG_VALUE_CHARS: usize = 256;

/// Whether `c` may appear in a tag key or value.
fn allowed(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ' ' | '+' | '-' | '.' | '/' | ':' | '=' | '_')
}

/// Checks `tags` as the service would, so a bad set fails before it is sent
/// (the service answers 400 `InvalidTag` with no hint which tag it was).
pub(crate) fn validate_tags(tags: &Tags) -> Result<()> {
    if tags.len() > MAX_TAGS {
        return Err(Error::invalid_input(format!("a blob holds at most {MAX_TAGS} index tags, got {}", tags.len())));
    }
    for (key, value) in tags {
        if key.is_empty() || key.len() > MAX_TAG_KEY_CHARS {
            return Err(Error::invalid_input(format!(
                "the tag key {key:?} must be 1 to {MAX_TAG_KEY_CHARS} characters long"
            )));
        }
        if value.len() > MAX_TAG_VALUE_CHARS {
            return Err(Error::invalid_input(format!(
                "the value of tag {key:?} is longer than {MAX_TAG_VALUE_CHARS} characters"
            )));
        }
        if let Some(c) = key.chars().chain(value.chars()).find(|c| !allowed(*c)) {
            return Err(Error::invalid_input(format!(
                "the tag {key:?} holds {c:?}: tags allow letters, digits, space and + - . / : = _ only"
            )));
        }
    }
    Ok(())
}

/// Everything but the URL's unreserved characters is escaped, so a space,
/// `+`, `/`, `:`, `=` and `&` in a tag survive the header's query syntax.
const TAG_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Sets `x-ms-tags` for a write that creates a blob (Put Blob, Put Block
/// List, a copy); an empty set sends nothing.
pub(crate) fn set_tags_header(request: &mut Request, tags: &Tags) -> Result<()> {
    if tags.is_empty() {
        return Ok(());
    }
    validate_tags(tags)?;
    let value = tags
        .iter()
        .map(|(k, v)| format!("{}={}", utf8_percent_encode(k, TAG_ESCAPES), utf8_percent_encode(v, TAG_ESCAPES)))
        .collect::<Vec<_>>()
        .join("&");
    set_header(request, headers::X_MS_TAGS, &value)
}

/// What Get Blob Tags and Set Blob Tags accept among the [`Conditions`]:
/// the lease and a tag condition, no ETags or dates.
const TAGS_ACCEPT: Accepted = Accepted { etag_and_dates: false, lease: true, tags: true };

/// Builds Get Blob Tags for the current blob, a snapshot or a version.
pub(crate) fn build_get_tags_request(url: Url, selector: &BlobSelector, conditions: &Conditions) -> Result<Request> {
    let mut request = Request::new("GetBlobTags", Method::GET, url);
    super::request_util::add_query(&mut request, "comp", "tags");
    selector.apply(&mut request)?;
    conditions.apply_accepted(&mut request, TAGS_ACCEPT, "Get Blob Tags")?;
    // A read changes nothing.
    Ok(request.idempotent())
}

/// Builds Set Blob Tags, replacing all of the blob's tags with `tags` (an
/// empty set removes them all).
pub(crate) fn build_set_tags_request(
    url: Url,
    tags: &Tags,
    selector: &BlobSelector,
    conditions: &Conditions,
) -> Result<Request> {
    validate_tags(tags)?;
    let mut request = Request::new("SetBlobTags", Method::PUT, url);
    super::request_util::add_query(&mut request, "comp", "tags");
    selector.apply(&mut request)?;
    conditions.apply_accepted(&mut request, TAGS_ACCEPT, "Set Blob Tags")?;
    set_header(&mut request, headers::CONTENT_TYPE, "application/xml; charset=UTF-8")?;
    let mut body = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><Tags><TagSet>");
    for (key, value) in tags {
        // The allowed characters need no XML escaping (no `<`, `>`, `&` or quotes).
        body.push_str("<Tag><Key>");
        body.push_str(key);
        body.push_str("</Key><Value>");
        body.push_str(value);
        body.push_str("</Value></Tag>");
    }
    body.push_str("</TagSet></Tags>");
    request.body = Bytes::from(body);
    // The whole set is replaced, so a repeat leaves the same tags; a tag
    // condition the new tags no longer meet would fail the repeat.
    request.idempotent = conditions.if_tags.is_none();
    Ok(request)
}

/// Parses Set Blob Tags' answer (204 No Content).
pub(crate) fn check_set_tags_response(response: &Response) -> Result<()> {
    if response.status != StatusCode::NO_CONTENT && response.status != StatusCode::OK {
        return Err(Error::invalid_response(format!("Set Blob Tags answered HTTP {}", response.status.as_u16())));
    }
    Ok(())
}

/// Parses Get Blob Tags' XML body, keeping each key and value as sent
/// (spaces at either end included).
pub(crate) fn parse_tags_body(body: &[u8]) -> Result<Tags> {
    const WHAT: &str = "Get Blob Tags";
    let mut collector = TagCollector::default();
    walk(body, WHAT, |path, text| collector.close(path, text, WHAT).map(|_| ()))?;
    Ok(collector.tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        "https://myaccount.blob.core.windows.net/mycontainer/myblob".parse().unwrap()
    }

    fn tags(pairs: &[(&str, &str)]) -> Tags {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    #[test]
    fn validation_follows_the_documented_limits() {
        validate_tags(&tags(&[("stage", "prod"), ("path", "a/b c+d-e.f:g=h_i"), ("empty", "")])).unwrap();
        let eleven: Tags = (0..11).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        let ten: Tags = (0..10).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        validate_tags(&ten).unwrap();
        let bad = [
            eleven,
            tags(&[("", "v")]),
            tags(&[(&"k".repeat(129), "v")]),
            tags(&[("k", &"v".repeat(257))]),
            tags(&[("k&", "v")]),
            tags(&[("k", "caf\u{e9}")]),
            tags(&[("k", "a<b")]),
            tags(&[("k", "line\n")]),
        ];
        for set in bad {
            let err = validate_tags(&set).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{set:?}");
        }
        validate_tags(&tags(&[(&"k".repeat(128), &"v".repeat(256))])).unwrap();
    }

    #[test]
    fn the_tags_header_is_url_encoded() {
        let mut r = Request::new("PutBlob", Method::PUT, url());
        set_tags_header(&mut r, &tags(&[("stage", "prod"), ("run id", "a+b/c=d:e")])).unwrap();
        // Pairs in key order; space, `+`, `/`, `=` and `:` escaped.
        assert_eq!(r.header("x-ms-tags"), Some("run%20id=a%2Bb%2Fc%3Dd%3Ae&stage=prod"));
        let mut r = Request::new("PutBlob", Method::PUT, url());
        set_tags_header(&mut r, &Tags::new()).unwrap();
        assert_eq!(r.header("x-ms-tags"), None);
        assert!(set_tags_header(&mut r, &tags(&[("k", "\u{e9}")])).is_err());
    }

    #[test]
    fn set_tags_sends_the_documented_body_and_accepts_only_lease_and_tag_conditions() {
        let conditions = Conditions {
            lease_id: Some("f81d4fae-7dec-11d0-a765-00a0c91e6bf6".into()),
            if_tags: Some("\"stage\" = 'dev'".into()),
            ..Conditions::default()
        };
        let r = build_set_tags_request(
            url(),
            &tags(&[("tag1", "value1"), ("tag2", "value2")]),
            &BlobSelector::default(),
            &conditions,
        )
        .unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(r.url.query(), Some("comp=tags"));
        assert_eq!(
            &r.body[..],
            &b"<?xml version=\"1.0\" encoding=\"utf-8\"?><Tags><TagSet><Tag><Key>tag1</Key><Value>value1</Value></Tag><Tag><Key>tag2</Key><Value>value2</Value></Tag></TagSet></Tags>"[..]
        );
        assert_eq!(r.header("x-ms-lease-id"), Some("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
        assert_eq!(r.header("x-ms-if-tags"), Some("\"stage\" = 'dev'"));
        assert!(!r.idempotent, "the new tags may no longer meet the tag condition");
        let etag = Conditions::if_match(crate::ETag("\"0x1\"".into()));
        let err = build_set_tags_request(url(), &Tags::new(), &BlobSelector::default(), &etag).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("Set Blob Tags"), "{err}");
        let plain =
            build_set_tags_request(url(), &Tags::new(), &BlobSelector::default(), &Conditions::default()).unwrap();
        assert!(plain.idempotent);
    }

    #[test]
    fn get_tags_selects_a_version_and_parses_the_documented_body() {
        let r = build_get_tags_request(
            url(),
            &BlobSelector::version("2026-01-01T00:00:00.0000000Z"),
            &Conditions::default(),
        )
        .unwrap();
        assert_eq!(r.method, Method::GET);
        assert_eq!(r.url.query(), Some("comp=tags&versionid=2026-01-01T00%3A00%3A00.0000000Z"));
        assert!(r.idempotent);
        // The sample body of the Get Blob Tags reference page.
        let body = b"\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Tags>\n  <TagSet>\n    <Tag>\n      <Key>tag-name-1</Key>\n      <Value>tag-value-1</Value>\n    </Tag>\n    <Tag>\n      <Key>tag-name-2</Key>\n      <Value>tag-value-2</Value>\n    </Tag>\n  </TagSet>\n</Tags>";
        let parsed = parse_tags_body(body).unwrap();
        assert_eq!(parsed, tags(&[("tag-name-1", "tag-value-1"), ("tag-name-2", "tag-value-2")]));
        assert!(parse_tags_body(b"<Tags><TagSet/></Tags>").unwrap().is_empty());
        assert_eq!(parse_tags_body(b"<Tags><TagSet>").unwrap_err().kind(), crate::ErrorKind::InvalidResponse);
        let spaced =
            parse_tags_body(b"<Tags><TagSet><Tag><Key>k</Key><Value> v </Value></Tag></TagSet></Tags>").unwrap();
        assert_eq!(spaced, tags(&[("k", " v ")]), "spaces are part of the value");
    }

    #[test]
    fn listings_keep_the_spaces_around_names_metadata_and_tag_values() {
        // List Blobs is read with quick-xml's serde reader, which trims
        // text; `xml_text::keep_edge_spaces` keeps what it would trim.
        let body = b"<EnumerationResults><Blobs><Blob><Name> b </Name><Properties/><Metadata><m>x </m></Metadata>\
            <Tags><TagSet><Tag><Key>k</Key><Value> v </Value></Tag></TagSet></Tags></Blob></Blobs><NextMarker/>\
            </EnumerationResults>";
        let page = crate::ops::list_blobs::parse_list_blobs_response(body).unwrap();
        let crate::ListItem::Blob(blob) = &page.items[0] else { panic!("{page:?}") };
        assert_eq!(blob.name, " b ");
        assert_eq!(blob.metadata.get("m").map(String::as_str), Some("x "));
        assert_eq!(blob.tags, tags(&[("k", " v ")]));
    }
}
