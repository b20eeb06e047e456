//! Put Block From URL: the service stages a block by reading it from a URL,
//! so a copy of any size moves no data through the client.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/put-block-from-url>

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http::{HeaderValue, Method};
use url::Url;

use super::block_blob::MAX_BLOCK_BYTES;
use super::crc64;
use super::headers;
use super::models::{BlobRange, ETag};
use super::request_util::{add_query, set_header};
use crate::error::{Error, ErrorKind, Result};
use crate::redact::redact_url;
use crate::transport::Request;

/// The longest block id before base64, as documented.
const MAX_BLOCK_ID_BYTES: usize = 64;

/// Options of [`BlobClient::put_block_from_url_opts`](crate::BlobClient::put_block_from_url_opts).
#[derive(Debug, Clone, Default)]
pub struct PutBlockFromUrlOptions {
    /// The bytes of the source to stage (at most 4000 MiB); `None` stages
    /// the whole source, which must then be at most 4000 MiB itself.
    pub source_range: Option<BlobRange>,
    /// Stage only while the source still has this ETag
    /// (`x-ms-source-if-match`), so that the blocks of one copy all come
    /// from the same version of the source. A source that changed fails
    /// with [`ErrorKind::SourceChanged`](crate::ErrorKind::SourceChanged).
    pub source_if_match: Option<ETag>,
    /// The CRC64 the bytes read from the source must have
    /// (`x-ms-source-content-crc64`): the service computes it over what it
    /// reads and refuses the block on a mismatch, which is
    /// [`ErrorKind::IntegrityMismatch`](crate::ErrorKind::IntegrityMismatch).
    pub source_content_crc64: Option<u64>,
}

/// Builds Put Block From URL, staging the source's bytes under the base64 `block_id`.
///
/// `source` must already carry whatever authorizes reading it (a SAS, or
/// nothing for a public blob); `source_bearer` is a token for the source,
/// sent as `x-ms-copy-source-authorization`.
pub(crate) fn build_put_block_from_url_request(
    url: Url,
    block_id: &str,
    source: &Url,
    source_bearer: Option<&str>,
    options: &PutBlockFromUrlOptions,
) -> Result<Request> {
    check_block_id(block_id)?;
    let mut request = Request::new("PutBlockFromUrl", Method::PUT, url);
    add_query(&mut request, "comp", "block");
    add_query(&mut request, "blockid", block_id);
    let mut value = HeaderValue::from_str(source.as_str()).map_err(|_| {
        Error::invalid_input(format!("the copy source is not valid header text: {}", redact_url(source)))
    })?;
    // The source URL may carry a SAS: keep it out of logs and debug output.
    value.set_sensitive(true);
    request.headers.insert(headers::X_MS_COPY_SOURCE, value);
    if let Some(token) = source_bearer {
        let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
            .map_err(|_| Error::invalid_input("the source token is not valid header text"))?;
        value.set_sensitive(true);
        request.headers.insert(headers::X_MS_COPY_SOURCE_AUTHORIZATION, value);
    }
    if let Some(range) = options.source_range {
        if range.length.is_some_and(|len| len > MAX_BLOCK_BYTES) {
            return Err(Error::invalid_input(format!("a block holds at most {MAX_BLOCK_BYTES} bytes (4000 MiB)")));
        }
        set_header(&mut request, headers::X_MS_SOURCE_RANGE, &range.to_header()?)?;
    }
    if let Some(etag) = &options.source_if_match {
        // An empty ETag would be no condition at all: refused rather than sent.
        if etag.0.is_empty() {
            return Err(Error::invalid_input("an empty ETag cannot pin a copy's source"));
        }
        set_header(&mut request, headers::X_MS_SOURCE_IF_MATCH, &etag.0)?;
    }
    if let Some(crc) = options.source_content_crc64 {
        set_header(&mut request, headers::X_MS_SOURCE_CONTENT_CRC64, &crc64::to_header(crc))?;
    }
    // The body stays empty (the wire sends `Content-Length: 0`): the
    // service reads the block from the source.
    // Staging the same block twice leaves the same block: safe to repeat.
    request.idempotent = true;
    Ok(request)
}

/// A Put Block From URL refused with 412 had its source condition
/// (`x-ms-source-if-match`, the only condition it sends) fail: the source
/// changed (the service's code is `SourceConditionNotMet`): that is
/// [`ErrorKind::SourceChanged`].
pub(crate) fn refine_source_changed(err: Error) -> Error {
    if err.kind() != ErrorKind::PreconditionFailed {
        return err;
    }
    let status = err.status().unwrap_or(http::StatusCode::PRECONDITION_FAILED);
    let code = err.error_code().map(str::to_owned);
    let request_id = err.request_id().map(str::to_owned);
    Error::new(ErrorKind::SourceChanged, "the copy's source changed since its ETag was taken; nothing was committed")
        .with_operation("PutBlockFromUrl")
        .with_status(status)
        .with_error_code(code)
        .with_request_id(request_id)
        .with_source(err)
}

/// Refuses a block id the service would refuse: empty, not base64, or
/// longer than 64 bytes decoded.
pub(crate) fn check_block_id(block_id: &str) -> Result<()> {
    let decoded = BASE64
        .decode(block_id)
        .map_err(|_| Error::invalid_input(format!("the block id {block_id:?} is not base64")))?;
    if decoded.is_empty() || decoded.len() > MAX_BLOCK_ID_BYTES {
        return Err(Error::invalid_input(format!(
            "a block id is 1 to {MAX_BLOCK_ID_BYTES} bytes before base64; {block_id:?} is {}",
            decoded.len()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        "https://a.blob.core.windows.net/c/b".parse().unwrap()
    }

    fn source() -> Url {
        "https://src.blob.core.windows.net/c/s?sv=2023-11-03&sig=c2VjcmV0".parse().unwrap()
    }

    #[test]
    fn builds_the_documented_request() {
        let options = PutBlockFromUrlOptions {
            source_range: Some(BlobRange::new(1024, 512)),
            source_if_match: Some(ETag("\"0x8D0\"".into())),
            source_content_crc64: Some(crc64::crc64(b"Hello World")),
        };
        let r = build_put_block_from_url_request(url(), "QUJD", &source(), None, &options).unwrap();
        assert_eq!((r.method.clone(), r.operation), (Method::PUT, "PutBlockFromUrl"));
        assert_eq!(r.url.query(), Some("comp=block&blockid=QUJD"));
        assert_eq!(r.header("x-ms-copy-source"), Some(source().as_str()));
        assert!(r.headers.get("x-ms-copy-source").unwrap().is_sensitive());
        assert_eq!(r.header("x-ms-source-range"), Some("bytes=1024-1535"));
        assert_eq!(r.header("x-ms-source-if-match"), Some("\"0x8D0\""));
        assert_eq!(r.header("x-ms-source-content-crc64"), Some("YeJLfssylmU="));
        assert_eq!(r.header("x-ms-copy-source-authorization"), None);
        assert!(r.body.is_empty());
        assert!(r.idempotent);
        assert!(!format!("{r:?}").contains("c2VjcmV0"), "the source SAS never shows");
    }

    #[test]
    fn a_bearer_token_goes_in_its_own_sensitive_header() {
        let r = build_put_block_from_url_request(url(), "QUJD", &source(), Some("tok"), &Default::default()).unwrap();
        assert_eq!(r.header("x-ms-copy-source-authorization"), Some("Bearer tok"));
        assert!(r.headers.get("x-ms-copy-source-authorization").unwrap().is_sensitive());
        assert!(!format!("{r:?}").contains("tok\""));
    }

    #[test]
    fn refuses_bad_input_before_sending() {
        let build = |id: &str, options: &PutBlockFromUrlOptions| {
            build_put_block_from_url_request(url(), id, &source(), None, options).unwrap_err().kind()
        };
        let none = PutBlockFromUrlOptions::default();
        for id in ["", "not base64!", &BASE64.encode([7u8; 65])] {
            assert_eq!(build(id, &none), crate::ErrorKind::InvalidInput, "{id:?}");
        }
        let too_big =
            PutBlockFromUrlOptions { source_range: Some(BlobRange::new(0, MAX_BLOCK_BYTES + 1)), ..Default::default() };
        assert_eq!(build("QUJD", &too_big), crate::ErrorKind::InvalidInput);
        let empty = PutBlockFromUrlOptions { source_range: Some(BlobRange::new(0, 0)), ..Default::default() };
        assert_eq!(build("QUJD", &empty), crate::ErrorKind::InvalidInput);
        let no_etag = PutBlockFromUrlOptions { source_if_match: Some(ETag(String::new())), ..Default::default() };
        assert_eq!(build("QUJD", &no_etag), crate::ErrorKind::InvalidInput);
        assert!(check_block_id(&BASE64.encode([7u8; 64])).is_ok());
    }
}
