//! Put Blob: writes a whole block blob in one request.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/put-blob>

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode};
use url::Url;

use super::conditions::Conditions;
use super::crc64;
use super::headers;
use super::models::{AccessTier, ContentHeaders, ETag, Metadata};
use super::request_util::{self, md5_digest, set_content_headers, set_header, set_metadata};
use super::tags::{set_tags_header, Tags};
use crate::error::{Error, Result};
use crate::transport::{Request, Response};

/// Options of Put Blob: what a new blob is written with.
///
/// This is the one group of a new blob's content headers, metadata, index
/// tags, tier, conditions (a lease among them) and transactional MD5. An upload embeds it whole as
/// [`UploadOptions::blob`](crate::UploadOptions::blob) rather than repeating
/// its fields: an upload small enough for one Put Blob sends it as is, and a
/// block upload writes the headers, metadata and tier and checks the
/// conditions with Put Block List, while `transactional_md5` covers each
/// Put Block.
#[derive(Debug, Clone, Default)]
pub struct PutBlobOptions {
    /// Content headers stored with the blob.
    pub content: ContentHeaders,
    /// User metadata.
    pub metadata: Metadata,
    /// Index tags (`x-ms-tags`), checked before sending; empty sends none.
    pub tags: Tags,
    /// The access tier to create the blob in.
    pub tier: Option<AccessTier>,
    /// Conditions, e.g. [`Conditions::if_not_exists`].
    pub conditions: Conditions,
    /// Send a transactional `Content-MD5` of the body, which the service checks.
    pub transactional_md5: bool,
    /// Send a transactional CRC64 of the body (`x-ms-content-crc64`), which
    /// the service checks; cheaper to compute than MD5. One transactional
    /// checksum per request: asking for both is invalid input.
    pub transactional_crc64: bool,
}

/// What a write returns: the blob's new ETag and timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct WriteResult {
    /// The blob's new ETag.
    pub etag: ETag,
    /// When the write happened.
    pub last_modified: Option<std::time::SystemTime>,
    /// The new version's id, on accounts with versioning.
    pub version_id: Option<String>,
    /// The MD5 the service computed for the content, when it returned one.
    pub content_md5: Option<Vec<u8>>,
}

/// The largest body one Put Blob accepts (5000 MiB for version 2019-12-12 and later).
pub const MAX_PUT_BLOB_BYTES: u64 = 5000 * 1024 * 1024;

/// Builds Put Blob for a block blob holding `body`.
pub(crate) fn build_put_blob_request(url: Url, body: Bytes, options: &PutBlobOptions) -> Result<Request> {
    if body.len() as u64 > MAX_PUT_BLOB_BYTES {
        return Err(Error::invalid_input(format!(
            "a single Put Blob holds at most {MAX_PUT_BLOB_BYTES} bytes, got {}",
            body.len()
        )));
    }
    let mut request = Request::new("PutBlob", Method::PUT, url);
    request.headers.insert(headers::X_MS_BLOB_TYPE, HeaderValue::from_static("BlockBlob"));
    set_content_headers(&mut request, &options.content)?;
    set_metadata(&mut request, &options.metadata)?;
    set_tags_header(&mut request, &options.tags)?;
    if let Some(tier) = &options.tier {
        set_header(&mut request, headers::X_MS_ACCESS_TIER, tier.as_str())?;
    }
    options.conditions.apply(&mut request)?;
    check_one_checksum(options.transactional_md5, options.transactional_crc64)?;
    if options.transactional_md5 {
        set_header(&mut request, headers::CONTENT_MD5, &BASE64.encode(md5_digest(&body)))?;
    }
    if options.transactional_crc64 {
        crc64::set_content_crc64(&mut request, crc64::crc64(&body));
    }
    // Put Blob replaces the whole blob, so repeating it is safe, unless a
    // condition the first write invalidates would make the repeat fail.
    request.idempotent = options.conditions.survive_own_write();
    // A conditional Put Blob repeated after a refusal cannot write twice: a
    // first attempt that did act makes the repeat fail on its condition.
    request.repeat_refused = true;
    request.body = body;
    Ok(request)
}

/// The service refuses a write with both a `Content-MD5` and an
/// `x-ms-content-crc64` (400); refused here before anything is sent.
pub(crate) fn check_one_checksum(md5: bool, crc64: bool) -> Result<()> {
    if md5 && crc64 {
        return Err(Error::invalid_input("a write carries one transactional checksum: ask for MD5 or CRC64, not both"));
    }
    Ok(())
}

/// Parses the answer of a write (Put Blob, Set Blob Metadata, Set Blob HTTP Headers).
pub(crate) fn parse_write_response(response: &Response, expected: StatusCode) -> Result<WriteResult> {
    if response.status != expected {
        return Err(Error::invalid_response(format!(
            "expected HTTP {}, got {}",
            expected.as_u16(),
            response.status.as_u16()
        )));
    }
    let h = &response.headers;
    Ok(WriteResult {
        etag: request_util::etag(h)?,
        last_modified: request_util::date(h, headers::LAST_MODIFIED)?,
        version_id: request_util::header(h, headers::X_MS_VERSION_ID).map(str::to_owned),
        content_md5: request_util::md5(h, headers::CONTENT_MD5)?,
    })
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    fn url() -> Url {
        "http://127.0.0.1:10000/devstoreaccount1/c/b".parse().unwrap()
    }

    #[test]
    fn builds_headers_metadata_tier_and_conditions() {
        let options = PutBlobOptions {
            content: ContentHeaders {
                content_type: Some("text/plain".into()),
                cache_control: Some("max-age=60".into()),
                content_md5: Some(vec![0; 16]),
                ..ContentHeaders::default()
            },
            metadata: [("Project".to_owned(), "alpha".to_owned())].into(),
            tags: [("stage".to_owned(), "prod".to_owned())].into(),
            tier: Some(AccessTier::Cool),
            conditions: Conditions::if_not_exists(),
            transactional_md5: true,
            transactional_crc64: false,
        };
        let r = build_put_blob_request(url(), Bytes::from_static(b"hello"), &options).unwrap();
        // MD5("hello"), base64.
        assert_eq!(r.header("content-md5"), Some("XUFAKrxLKna5cZ2REBfFkg=="));
        assert_eq!(r.method, Method::PUT);
        assert_eq!(r.header("x-ms-blob-type"), Some("BlockBlob"));
        assert_eq!(r.header("x-ms-blob-content-type"), Some("text/plain"));
        assert_eq!(r.header("x-ms-blob-cache-control"), Some("max-age=60"));
        assert_eq!(r.header("x-ms-blob-content-md5"), Some("AAAAAAAAAAAAAAAAAAAAAA=="));
        assert_eq!(r.header("x-ms-meta-project"), Some("alpha"));
        assert_eq!(r.header("x-ms-access-tier"), Some("Cool"));
        assert_eq!(r.header("x-ms-tags"), Some("stage=prod"));
        assert_eq!(r.header("if-none-match"), Some("*"));
        assert_eq!(&r.body[..], b"hello");
        assert!(!r.idempotent, "a repeat of a create-if-absent that succeeded would answer AlreadyExists");
        assert!(
            r.repeat_refused,
            "but one the service refused (429, 503) did nothing, and a repeat cannot write twice"
        );
        let plain = build_put_blob_request(url(), Bytes::new(), &PutBlobOptions::default()).unwrap();
        assert!(plain.idempotent, "an unconditional Put Blob replaces the blob: safe to repeat");
    }

    #[test]
    fn rejects_bad_metadata_and_header_values() {
        let mut options = PutBlobOptions::default();
        options.metadata.insert("1bad".into(), "v".into());
        assert!(build_put_blob_request(url(), Bytes::new(), &options).is_err());
        let mut options = PutBlobOptions::default();
        options.metadata.insert("ok".into(), "caf\u{e9}".into());
        assert!(build_put_blob_request(url(), Bytes::new(), &options).is_err());
        let mut options = PutBlobOptions::default();
        options.content.content_type = Some("text/plain\r\nx-evil: 1".into());
        let err = build_put_blob_request(url(), Bytes::new(), &options).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn parses_the_documented_response() {
        let mut h = HeaderMap::new();
        h.insert("etag", "\"0x8CB171BA9E94B0B\"".parse().unwrap());
        h.insert("last-modified", "Thu, 01 Jun 2023 12:00:00 GMT".parse().unwrap());
        h.insert("content-md5", "sQqNsWTgdUEFt6mb5y4/5Q==".parse().unwrap());
        h.insert("x-ms-version-id", "2023-06-01T12:00:00.0000000Z".parse().unwrap());
        let r = Response::new(StatusCode::CREATED, h, "");
        let w = parse_write_response(&r, StatusCode::CREATED).unwrap();
        assert_eq!(w.etag.0, "\"0x8CB171BA9E94B0B\"");
        assert_eq!(w.version_id.as_deref(), Some("2023-06-01T12:00:00.0000000Z"));
        assert_eq!(w.content_md5.unwrap().len(), 16);
        assert!(w.last_modified.is_some());
    }

    #[test]
    fn a_response_without_etag_is_invalid() {
        let r = Response::new(StatusCode::CREATED, HeaderMap::new(), "");
        assert_eq!(
            parse_write_response(&r, StatusCode::CREATED).unwrap_err().kind(),
            crate::ErrorKind::InvalidResponse
        );
    }

    #[test]
    fn sends_a_crc64_and_refuses_two_checksums() {
        let options = PutBlobOptions { transactional_crc64: true, ..Default::default() };
        let r = build_put_blob_request(url(), Bytes::from_static(b"Hello World"), &options).unwrap();
        // What real Azure computed for these 11 bytes.
        assert_eq!(r.header("x-ms-content-crc64"), Some("YeJLfssylmU="));
        assert_eq!(r.header("content-md5"), None);
        let both = PutBlobOptions { transactional_md5: true, ..options };
        let err = build_put_blob_request(url(), Bytes::from_static(b"x"), &both).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    }
}
