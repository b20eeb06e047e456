//! Get Blob Properties, Set Blob Metadata and Set Blob HTTP Headers, and the
//! parser of the property headers that Get Blob shares.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/get-blob-properties>
//! <https://learn.microsoft.com/rest/api/storageservices/set-blob-metadata>
//! <https://learn.microsoft.com/rest/api/storageservices/set-blob-properties>

use http::{HeaderMap, Method};
use url::Url;

use super::conditions::Conditions;
use super::headers;
use super::models::{AccessTier, BlobProperties, BlobType, ContentHeaders, Metadata};
use super::request_util::{self as ru, add_query, set_content_headers, set_metadata};
use crate::error::{Error, Result};
use crate::transport::Request;

/// Selects a snapshot or a version of a blob instead of the current one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlobSelector {
    /// A snapshot's timestamp (`snapshot=`).
    pub snapshot: Option<String>,
    /// A version id (`versionid=`).
    pub version_id: Option<String>,
}

impl BlobSelector {
    /// Selects the snapshot taken at `snapshot` (the timestamp Create Snapshot returned).
    pub fn snapshot(snapshot: impl Into<String>) -> Self {
        BlobSelector { snapshot: Some(snapshot.into()), version_id: None }
    }

    /// Selects the version `version_id` (an `x-ms-version-id` value).
    pub fn version(version_id: impl Into<String>) -> Self {
        BlobSelector { snapshot: None, version_id: Some(version_id.into()) }
    }

    /// Whether neither a snapshot nor a version is selected.
    pub fn is_current(&self) -> bool {
        self.snapshot.is_none() && self.version_id.is_none()
    }

    pub(crate) fn apply(&self, request: &mut Request) -> Result<()> {
        self.apply_to_url(&mut request.url)
    }

    /// Adds `snapshot=` or `versionid=` to a URL (a request's, or a copy source's).
    pub(crate) fn apply_to_url(&self, url: &mut Url) -> Result<()> {
        if self.snapshot.is_some() && self.version_id.is_some() {
            return Err(Error::invalid_input("a request can select a snapshot or a version, not both"));
        }
        // The service reads an empty `snapshot=` or `versionid=` as no
        // selector at all, so a delete of "the snapshot ''" would delete the
        // current blob.
        for (what, value) in [("snapshot", &self.snapshot), ("version id", &self.version_id)] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(Error::invalid_input(format!("the {what} to select is empty")));
            }
        }
        if let Some(snapshot) = &self.snapshot {
            url.query_pairs_mut().append_pair("snapshot", snapshot);
        }
        if let Some(version) = &self.version_id {
            url.query_pairs_mut().append_pair("versionid", version);
        }
        Ok(())
    }
}

/// Options of [`BlobClient::properties_opts`](crate::BlobClient::properties_opts):
/// which snapshot or version, and conditions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PropertiesOptions {
    /// A snapshot or version instead of the current blob.
    pub selector: BlobSelector,
    /// Conditions on the blob's ETag or modification time.
    pub conditions: Conditions,
}

/// Builds Get Blob Properties (a `HEAD` request).
pub(crate) fn build_get_properties_request(
    url: Url,
    selector: &BlobSelector,
    conditions: &Conditions,
) -> Result<Request> {
    let mut request = Request::new("GetBlobProperties", Method::HEAD, url);
    selector.apply(&mut request)?;
    conditions.apply(&mut request)?;
    // A read changes nothing.
    Ok(request.idempotent())
}

/// Builds Set Blob Metadata, which replaces all of the blob's metadata.
pub(crate) fn build_set_metadata_request(url: Url, metadata: &Metadata, conditions: &Conditions) -> Result<Request> {
    let mut request = Request::new("SetBlobMetadata", Method::PUT, url);
    add_query(&mut request, "comp", "metadata");
    set_metadata(&mut request, metadata)?;
    conditions.apply(&mut request)?;
    // Setting the same metadata twice leaves the same blob.
    request.idempotent = conditions.survive_own_write();
    Ok(request)
}

/// Builds Set Blob HTTP Headers (Set Blob Properties), which replaces all
/// content headers: a header left `None` is cleared on the blob.
pub(crate) fn build_set_http_headers_request(
    url: Url,
    content: &ContentHeaders,
    conditions: &Conditions,
) -> Result<Request> {
    let mut request = Request::new("SetBlobHttpHeaders", Method::PUT, url);
    add_query(&mut request, "comp", "properties");
    set_content_headers(&mut request, content)?;
    conditions.apply(&mut request)?;
    // Setting the same headers twice leaves the same blob.
    request.idempotent = conditions.survive_own_write();
    Ok(request)
}

/// Parses the property headers of Get Blob Properties and Get Blob.
///
/// For a ranged Get Blob, `Content-Length` is the range's length; the blob's
/// size comes from `Content-Range` (`bytes 0-99/1234`) instead.
pub(crate) fn parse_blob_properties(h: &HeaderMap) -> Result<BlobProperties> {
    let content_length = match ru::header(h, headers::CONTENT_RANGE) {
        Some(range) => parse_content_range(range)?.2,
        None => ru::number(h, headers::CONTENT_LENGTH)?
            .ok_or_else(|| Error::invalid_response("the response has no Content-Length header"))?,
    };
    let content_md5 = match ru::md5(h, headers::X_MS_BLOB_CONTENT_MD5)? {
        Some(md5) => Some(md5),
        // Without a range, Content-MD5 is the stored whole-blob MD5.
        None if ru::header(h, headers::CONTENT_RANGE).is_none() => ru::md5(h, headers::CONTENT_MD5)?,
        None => None,
    };
    let text = |name: &str| ru::header(h, name).map(str::to_owned);
    Ok(BlobProperties {
        content_length,
        etag: ru::etag(h)?,
        last_modified: ru::date(h, headers::LAST_MODIFIED)?
            .ok_or_else(|| Error::invalid_response("the response has no Last-Modified header"))?,
        created_on: ru::date(h, headers::X_MS_CREATION_TIME)?,
        content: ContentHeaders {
            content_type: text(headers::CONTENT_TYPE),
            content_encoding: text(headers::CONTENT_ENCODING),
            content_language: text(headers::CONTENT_LANGUAGE),
            content_disposition: text(headers::CONTENT_DISPOSITION),
            cache_control: text(headers::CACHE_CONTROL),
            content_md5,
        },
        metadata: ru::metadata(h),
        blob_type: BlobType::parse(ru::required(h, headers::X_MS_BLOB_TYPE)?),
        access_tier: ru::header(h, headers::X_MS_ACCESS_TIER).and_then(|t| t.parse::<AccessTier>().ok()),
        access_tier_inferred: ru::header(h, headers::X_MS_ACCESS_TIER_INFERRED) == Some("true"),
        version_id: text(headers::X_MS_VERSION_ID),
        is_current_version: ru::header(h, headers::X_MS_IS_CURRENT_VERSION).map(|v| v == "true"),
        copy: super::copy_state::parse_copy_headers(h)?,
        archive_status: text(headers::X_MS_ARCHIVE_STATUS),
        lease_state: ru::header(h, headers::X_MS_LEASE_STATE).and_then(super::lease::LeaseState::parse),
        tag_count: ru::number(h, headers::X_MS_TAG_COUNT)?,
    })
}

/// Parses `bytes START-END/TOTAL` into its three numbers.
///
/// An empty range (`END = START - 1`, as some servers send for a range that
/// starts at the end of the blob) is the caller's mistake, not garbage: it is
/// reported as [`InvalidRange`](crate::ErrorKind::InvalidRange), as the
/// service's own 416 would be.
pub(crate) fn parse_content_range(value: &str) -> Result<(u64, u64, u64)> {
    let bad = || Error::invalid_response(format!("malformed Content-Range {value:?}"));
    let rest = value.trim().strip_prefix("bytes ").ok_or_else(bad)?;
    let (range, total) = rest.split_once('/').ok_or_else(bad)?;
    let (start, end) = range.split_once('-').ok_or_else(bad)?;
    let parse = |s: &str| s.trim().parse::<i128>().map_err(|_| bad());
    let (start, end, total) = (parse(start)?, parse(end)?, parse(total)?);
    if start >= 0 && end == start - 1 && start == total {
        return Err(Error::new(
            crate::ErrorKind::InvalidRange,
            format!("the range starts at or past the end of the blob ({total} bytes)"),
        ));
    }
    if start < 0 || start > end || end >= total || total > i128::from(u64::MAX) {
        return Err(bad());
    }
    Ok((start as u64, end as u64, total as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        "https://acct.blob.core.windows.net/c/b".parse().unwrap()
    }

    /// Headers of a Get Blob Properties answer as documented (and as Azurite sends them).
    fn documented_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("last-modified", "Fri, 23 Oct 2026 10:00:00 GMT"),
            ("x-ms-creation-time", "Fri, 23 Oct 2026 09:00:00 GMT"),
            ("x-ms-meta-project", "alpha"),
            ("x-ms-blob-type", "BlockBlob"),
            ("content-length", "11"),
            ("content-type", "text/plain"),
            ("etag", "\"0x8D7D6A4F9A6A8B0\""),
            ("content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="),
            ("content-encoding", "gzip"),
            ("cache-control", "no-cache"),
            ("x-ms-access-tier", "Hot"),
            ("x-ms-access-tier-inferred", "true"),
            ("x-ms-version-id", "2026-10-23T10:00:00.1234567Z"),
            ("x-ms-is-current-version", "true"),
        ] {
            h.insert(k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn parses_documented_property_headers() {
        let p = parse_blob_properties(&documented_headers()).unwrap();
        assert_eq!(p.content_length, 11);
        assert_eq!(p.etag.0, "\"0x8D7D6A4F9A6A8B0\"");
        assert_eq!(p.blob_type, BlobType::BlockBlob);
        assert_eq!(p.content.content_type.as_deref(), Some("text/plain"));
        assert_eq!(p.content.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(p.content.cache_control.as_deref(), Some("no-cache"));
        assert_eq!(p.content.content_md5.as_ref().map(Vec::len), Some(16));
        assert_eq!(p.metadata.get("project").map(String::as_str), Some("alpha"));
        assert_eq!(p.access_tier, Some(AccessTier::Hot));
        assert!(p.access_tier_inferred);
        assert_eq!(p.version_id.as_deref(), Some("2026-10-23T10:00:00.1234567Z"));
        assert_eq!(p.is_current_version, Some(true));
        assert!(p.created_on.is_some());
        assert_eq!((p.lease_state, p.tag_count), (None, None));
        let mut h = documented_headers();
        h.insert("x-ms-lease-state", "leased".parse().unwrap());
        h.insert("x-ms-tag-count", "3".parse().unwrap());
        let p = parse_blob_properties(&h).unwrap();
        assert_eq!((p.lease_state, p.tag_count), (Some(crate::LeaseState::Leased), Some(3)));
    }

    #[test]
    fn ranged_answers_take_the_size_from_content_range() {
        let mut h = documented_headers();
        h.insert("content-length", "10".parse().unwrap());
        h.insert("content-range", "bytes 0-9/1234".parse().unwrap());
        let p = parse_blob_properties(&h).unwrap();
        assert_eq!(p.content_length, 1234);
        // A ranged Content-MD5 is the range's, not the blob's.
        assert_eq!(p.content.content_md5, None);
    }

    #[test]
    fn garbage_headers_are_invalid_responses() {
        let garbage = [
            ("content-length", "eleven"),
            ("last-modified", "yesterday"),
            ("content-md5", "%%%"),
            ("x-ms-tag-count", "-1"),
        ];
        for (name, value) in garbage {
            let mut h = documented_headers();
            h.insert(name, value.parse().unwrap());
            let err = parse_blob_properties(&h).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse, "{name}");
        }
        let mut h = documented_headers();
        h.remove("etag");
        assert!(parse_blob_properties(&h).is_err());
    }

    #[test]
    fn content_range_parsing() {
        assert_eq!(parse_content_range("bytes 5-9/10").unwrap(), (5, 9, 10));
        for bad in ["bytes 5-9", "5-9/10", "bytes 9-5/10", "bytes 0-10/10", "bytes */10", "bytes 0-NaN/10"] {
            assert_eq!(parse_content_range(bad).unwrap_err().kind(), crate::ErrorKind::InvalidResponse, "{bad}");
        }
        // Empty ranges at the end, as Azurite sends them: the caller asked past the end.
        for empty in ["bytes 10-9/10", "bytes 0--1/0"] {
            assert_eq!(parse_content_range(empty).unwrap_err().kind(), crate::ErrorKind::InvalidRange, "{empty}");
        }
    }

    #[test]
    fn builders_set_comp_and_selectors() {
        let r = build_set_metadata_request(url(), &[("a".to_owned(), "1".to_owned())].into(), &Conditions::default())
            .unwrap();
        assert_eq!(r.url.query(), Some("comp=metadata"));
        assert_eq!(r.header("x-ms-meta-a"), Some("1"));

        let content = ContentHeaders { content_type: Some("image/png".into()), ..ContentHeaders::default() };
        let r = build_set_http_headers_request(url(), &content, &Conditions::default()).unwrap();
        assert_eq!(r.url.query(), Some("comp=properties"));
        assert_eq!(r.header("x-ms-blob-content-type"), Some("image/png"));

        let selector = BlobSelector { version_id: Some("2026-01-01T00:00:00.0000000Z".into()), snapshot: None };
        let r = build_get_properties_request(url(), &selector, &Conditions::default()).unwrap();
        assert_eq!(r.method, Method::HEAD);
        assert_eq!(r.url.query(), Some("versionid=2026-01-01T00%3A00%3A00.0000000Z"));

        let both = BlobSelector { version_id: Some("v".into()), snapshot: Some("s".into()) };
        assert!(build_get_properties_request(url(), &both, &Conditions::default()).is_err());
    }
}
