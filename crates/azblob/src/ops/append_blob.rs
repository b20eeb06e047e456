//! Append blobs: create, Append Block and Seal.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/put-blob> (x-ms-blob-type: AppendBlob)
//! <https://learn.microsoft.com/rest/api/storageservices/append-block>
//! <https://learn.microsoft.com/rest/api/storageservices/append-blob-seal>

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderValue, Method};
use url::Url;

use super::conditions::{Accepted, Conditions};
use super::headers;
use super::models::{ContentHeaders, Metadata};
use super::request_util::{add_query, md5_digest, set_content_headers, set_header, set_metadata};
use super::tags::{set_tags_header, Tags};
use crate::error::{Error, Result};
use crate::transport::{Request, Response};

/// The largest block one Append Block accepts (100 MiB, version 2022-11-02 and later).
pub const MAX_APPEND_BLOCK_BYTES: u64 = 100 * 1024 * 1024;

/// Options of creating an append blob.
#[derive(Debug, Clone, Default)]
pub struct CreateAppendBlobOptions {
    /// Content headers stored with the blob.
    pub content: ContentHeaders,
    /// User metadata.
    pub metadata: Metadata,
    /// Index tags (`x-ms-tags`); empty sends none.
    pub tags: Tags,
    /// Conditions, e.g. [`Conditions::if_not_exists`].
    pub conditions: Conditions,
}

/// Conditions of one Append Block.
#[derive(Debug, Clone, Default)]
pub struct AppendOptions {
    /// Append only if the blob's length is exactly this (`x-ms-blob-condition-appendpos`).
    /// With it, a retried append cannot apply twice, so it is retried safely.
    pub append_position: Option<u64>,
    /// Append only if the blob stays at or below this length (`x-ms-blob-condition-maxsize`).
    pub max_size: Option<u64>,
    /// Send a transactional `Content-MD5` computed over the block.
    pub transactional_md5: bool,
    /// Send a transactional CRC64 computed over the block (`x-ms-content-crc64`);
    /// not together with `transactional_md5`.
    pub transactional_crc64: bool,
    /// Conditions on the blob, e.g. its lease ([`Conditions::lease`]).
    pub conditions: Conditions,
}

/// Builds Put Blob for an empty append blob.
pub(crate) fn build_create_append_blob_request(url: Url, options: &CreateAppendBlobOptions) -> Result<Request> {
    let mut request = Request::new("CreateAppendBlob", Method::PUT, url);
    request.headers.insert(headers::X_MS_BLOB_TYPE, HeaderValue::from_static("AppendBlob"));
    set_content_headers(&mut request, &options.content)?;
    set_metadata(&mut request, &options.metadata)?;
    set_tags_header(&mut request, &options.tags)?;
    options.conditions.apply(&mut request)?;
    // Not idempotent: without conditions a repeat would empty a blob that
    // another writer appended to meanwhile; with `If-None-Match: *` it would
    // answer a spurious AlreadyExists.
    Ok(request)
}

/// Builds Append Block. Without `append_position` the request is not
/// idempotent: repeating it after a lost answer could append twice.
pub(crate) fn build_append_block_request(url: Url, body: Bytes, options: &AppendOptions) -> Result<Request> {
    if body.is_empty() {
        return Err(Error::invalid_input("an append block cannot be empty"));
    }
    if body.len() as u64 > MAX_APPEND_BLOCK_BYTES {
        return Err(Error::invalid_input(format!("an append block holds at most {MAX_APPEND_BLOCK_BYTES} bytes")));
    }
    let mut request = Request::new("AppendBlock", Method::PUT, url);
    add_query(&mut request, "comp", "appendblock");
    if let Some(position) = options.append_position {
        set_header(&mut request, headers::X_MS_BLOB_CONDITION_APPENDPOS, &position.to_string())?;
    }
    if let Some(max) = options.max_size {
        set_header(&mut request, headers::X_MS_BLOB_CONDITION_MAXSIZE, &max.to_string())?;
    }
    super::put_blob::check_one_checksum(options.transactional_md5, options.transactional_crc64)?;
    if options.transactional_md5 {
        set_header(&mut request, headers::CONTENT_MD5, &BASE64.encode(md5_digest(&body)))?;
    }
    options.conditions.apply(&mut request)?;
    if options.transactional_crc64 {
        super::crc64::set_content_crc64(&mut request, super::crc64::crc64(&body));
    }
    // With a position a repeat cannot append twice: if the first attempt
    // landed, the repeat fails the position check instead, which
    // `may_have_appended_earlier` lets the caller look into.
    // A condition the append itself invalidates (a specific If-Match) would
    // fail the repeat with a spurious conflict.
    request.idempotent = options.append_position.is_some() && options.conditions.survive_own_write();
    request.body = body;
    Ok(request)
}

/// Whether a failed Append Block answer may hide an earlier attempt of the
/// same block that landed: a repeat whose position no longer matches (412
/// `AppendPositionConditionNotMet`), as it would not after its own append.
pub(crate) fn may_have_appended_earlier(response: &Response) -> bool {
    response.repeated
        && response.status == http::StatusCode::PRECONDITION_FAILED
        && response.header(headers::X_MS_ERROR_CODE) == Some("AppendPositionConditionNotMet")
}

/// Builds Append Blob Seal, after which the blob is read-only.
pub(crate) fn build_seal_request(url: Url, conditions: &Conditions) -> Result<Request> {
    let mut request = Request::new("SealAppendBlob", Method::PUT, url);
    add_query(&mut request, "comp", "seal");
    // Append Blob Seal takes ETag, date and lease conditions, not x-ms-if-tags.
    let accepted = Accepted { etag_and_dates: true, lease: true, tags: false };
    conditions.apply_accepted(&mut request, accepted, "Append Blob Seal")?;
    // Sealing a sealed blob changes nothing.
    request.idempotent = conditions.survive_own_write();
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::error_map::error_answer as answer;

    fn url() -> Url {
        "https://a.blob.core.windows.net/c/log".parse().unwrap()
    }

    #[test]
    fn appends_are_idempotent_only_with_a_position() {
        let r = build_append_block_request(url(), Bytes::from_static(b"line\n"), &AppendOptions::default()).unwrap();
        assert!(!r.idempotent);
        assert_eq!(r.url.query(), Some("comp=appendblock"));

        let options = AppendOptions {
            append_position: Some(5),
            max_size: Some(100),
            transactional_md5: true,
            ..AppendOptions::default()
        };
        let r = build_append_block_request(url(), Bytes::from_static(b"line\n"), &options).unwrap();
        assert!(r.idempotent);
        assert_eq!(r.header("x-ms-blob-condition-appendpos"), Some("5"));
        assert_eq!(r.header("x-ms-blob-condition-maxsize"), Some("100"));
        assert!(r.header("content-md5").is_some());
    }

    #[test]
    fn bad_blocks_are_rejected() {
        assert!(build_append_block_request(url(), Bytes::new(), &AppendOptions::default()).is_err());
        let big = Bytes::from(vec![0; MAX_APPEND_BLOCK_BYTES as usize + 1]);
        assert!(build_append_block_request(url(), big, &AppendOptions::default()).is_err());
    }

    #[test]
    fn create_and_seal() {
        let r = build_create_append_blob_request(url(), &CreateAppendBlobOptions::default()).unwrap();
        assert_eq!(r.header("x-ms-blob-type"), Some("AppendBlob"));
        assert!(r.body.is_empty());
        let r = build_seal_request(url(), &Conditions::default()).unwrap();
        assert_eq!(r.url.query(), Some("comp=seal"));
    }

    #[test]
    fn only_a_repeated_position_mismatch_may_hide_an_earlier_append() {
        assert!(may_have_appended_earlier(&answer(412, "AppendPositionConditionNotMet", true)));
        assert!(!may_have_appended_earlier(&answer(412, "AppendPositionConditionNotMet", false)));
        assert!(!may_have_appended_earlier(&answer(412, "MaxBlobSizeConditionNotMet", true)));
        assert!(!may_have_appended_earlier(&answer(409, "BlobIsSealed", true)));
    }

    #[test]
    fn append_block_sends_a_crc64() {
        let url: Url = "https://a.blob.core.windows.net/c/log".parse().unwrap();
        let options = AppendOptions { transactional_crc64: true, ..Default::default() };
        let r = build_append_block_request(url.clone(), Bytes::from_static(b"Hello World"), &options).unwrap();
        assert_eq!(r.header("x-ms-content-crc64"), Some("YeJLfssylmU="));
        let both = AppendOptions { transactional_md5: true, ..options };
        assert!(build_append_block_request(url, Bytes::from_static(b"x"), &both).is_err());
    }
}
