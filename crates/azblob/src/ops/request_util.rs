//! Small helpers the request builders and response parsers share.

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http::{HeaderMap, HeaderName, HeaderValue};

use super::headers;
use super::models::{ContentHeaders, ETag, Metadata};
use crate::error::{Error, Result};
use crate::transport::Request;

/// Sets a header from caller-supplied text, rejecting values that are not
/// printable ASCII.
///
/// `http` would take other bytes (UTF-8 `é` is "obs-text"), but the service
/// reads header values as ASCII and a Shared Key signature cannot cover
/// them, so such a value would only come back as a 403.
pub(crate) fn set_header(request: &mut Request, name: &'static str, value: &str) -> Result<()> {
    let bad =
        || Error::invalid_input(format!("the value for {name} must be printable ASCII (headers carry nothing else)"));
    if !value.chars().all(|c| c == ' ' || c == '\t' || c.is_ascii_graphic()) {
        return Err(bad());
    }
    let value = HeaderValue::from_str(value).map_err(|_| bad())?;
    request.headers.insert(HeaderName::from_static(name), value);
    Ok(())
}

/// Adds `x-ms-meta-*` headers after checking names and values.
///
/// Names must be C# identifiers (letters, digits, `_`, not starting with a
/// digit); values must be printable ASCII, since headers cannot carry more.
pub(crate) fn set_metadata(request: &mut Request, metadata: &Metadata) -> Result<()> {
    for (name, value) in metadata {
        let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid_name {
            return Err(Error::invalid_input(format!(
                "invalid metadata name {name:?}: names are letters, digits and '_', not starting with a digit"
            )));
        }
        if !value.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
            return Err(Error::invalid_input(format!(
                "invalid metadata value for {name:?}: values must be printable ASCII"
            )));
        }
        let header = HeaderName::from_bytes(format!("{}{name}", headers::X_MS_META_PREFIX).as_bytes())
            .map_err(|_| Error::invalid_input(format!("invalid metadata name {name:?}")))?;
        // Header names are case-insensitive (and lowercased here), so `Owner`
        // and `owner` would become one header and one value would be lost
        // without a word.
        if request.headers.contains_key(&header) {
            return Err(Error::invalid_input(format!(
                "metadata names differ only in case ({name:?} and another): the service keeps one of them"
            )));
        }
        let value = HeaderValue::from_str(value.trim())
            .map_err(|_| Error::invalid_input(format!("invalid metadata value for {name:?}")))?;
        request.headers.insert(header, value);
    }
    Ok(())
}

/// Adds the `x-ms-blob-*` content headers that Put Blob, Put Block List and
/// Set Blob HTTP Headers share.
pub(crate) fn set_content_headers(request: &mut Request, content: &ContentHeaders) -> Result<()> {
    let pairs = [
        (headers::X_MS_BLOB_CONTENT_TYPE, &content.content_type),
        (headers::X_MS_BLOB_CONTENT_ENCODING, &content.content_encoding),
        (headers::X_MS_BLOB_CONTENT_LANGUAGE, &content.content_language),
        (headers::X_MS_BLOB_CONTENT_DISPOSITION, &content.content_disposition),
        (headers::X_MS_BLOB_CACHE_CONTROL, &content.cache_control),
    ];
    for (name, value) in pairs {
        if let Some(value) = value {
            set_header(request, name, value)?;
        }
    }
    if let Some(md5) = &content.content_md5 {
        if md5.len() != 16 {
            return Err(Error::invalid_input("a Content-MD5 must be 16 bytes"));
        }
        set_header(request, headers::X_MS_BLOB_CONTENT_MD5, &BASE64.encode(md5))?;
    }
    Ok(())
}

/// The MD5 of `data`, as `Content-MD5` wants it before base64.
pub(crate) fn md5_digest(data: &[u8]) -> [u8; 16] {
    use md5::Digest as _;
    md5::Md5::digest(data).into()
}

/// Adds a query parameter (`snapshot`, `versionid`, ...).
pub(crate) fn add_query(request: &mut Request, name: &str, value: &str) {
    request.url.query_pairs_mut().append_pair(name, value);
}

/// A header as text.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A header that must be present.
pub(crate) fn required<'a>(headers: &'a HeaderMap, name: &str) -> Result<&'a str> {
    header(headers, name).ok_or_else(|| Error::invalid_response(format!("the response has no {name} header")))
}

/// The `ETag` header.
///
/// An empty one is a lie, not an ETag: as `If-Match` it would be no
/// condition, so a download's later ranges could come from another blob.
pub(crate) fn etag(headers: &HeaderMap) -> Result<ETag> {
    let value = required(headers, headers::ETAG)?;
    if value.trim().is_empty() {
        return Err(Error::invalid_response("the response's ETag header is empty"));
    }
    Ok(ETag(value.to_owned()))
}

/// An HTTP-date header such as `Last-Modified`.
pub(crate) fn date(headers: &HeaderMap, name: &str) -> Result<Option<SystemTime>> {
    header(headers, name)
        .map(|v| {
            httpdate::parse_http_date(v)
                .map_err(|_| Error::invalid_response(format!("the {name} header is not an HTTP date: {v:?}")))
        })
        .transpose()
}

/// A decimal number header such as `Content-Length`.
pub(crate) fn number(headers: &HeaderMap, name: &str) -> Result<Option<u64>> {
    header(headers, name)
        .map(|v| {
            v.trim()
                .parse::<u64>()
                .map_err(|_| Error::invalid_response(format!("the {name} header is not a number: {v:?}")))
        })
        .transpose()
}

/// A base64 MD5 header.
pub(crate) fn md5(headers: &HeaderMap, name: &str) -> Result<Option<Vec<u8>>> {
    header(headers, name)
        .map(|v| {
            BASE64
                .decode(v.trim())
                .map_err(|_| Error::invalid_response(format!("the {name} header is not base64: {v:?}")))
        })
        .transpose()
}

/// The `x-ms-meta-*` headers as metadata.
pub(crate) fn metadata(headers: &HeaderMap) -> Metadata {
    headers
        .iter()
        .filter_map(|(name, value)| {
            let key = name.as_str().strip_prefix(headers::X_MS_META_PREFIX)?;
            Some((key.to_owned(), value.to_str().ok()?.to_owned()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    fn request() -> Request {
        Request::new("SetBlobMetadata", Method::PUT, "https://a.blob.core.windows.net/c/b".parse().unwrap())
    }

    #[test]
    fn metadata_names_that_differ_only_in_case_are_refused() {
        let metadata: Metadata =
            [("Owner".to_owned(), "ana".to_owned()), ("owner".to_owned(), "bob".to_owned())].into();
        let err = set_metadata(&mut request(), &metadata).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("case"), "{err}");

        let distinct: Metadata =
            [("owner".to_owned(), "ana".to_owned()), ("stage".to_owned(), "prod".to_owned())].into();
        let mut r = request();
        set_metadata(&mut r, &distinct).unwrap();
        assert_eq!(r.headers.get("x-ms-meta-owner").unwrap(), "ana");
        assert_eq!(r.headers.get("x-ms-meta-stage").unwrap(), "prod");
    }

    #[test]
    fn non_ascii_content_headers_are_refused_before_sending() {
        let url = "https://a.blob.core.windows.net/c/b".parse().unwrap();
        let mut request = Request::new("PutBlob", Method::PUT, url);
        let content = ContentHeaders { content_type: Some("text/x\u{e9}".into()), ..Default::default() };
        let err = set_content_headers(&mut request, &content).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("x-ms-blob-content-type"), "{err}");
        for bad in ["a\nb", "tab\u{7f}"] {
            assert!(set_header(&mut request, headers::CONTENT_TYPE, bad).is_err(), "{bad:?}");
        }
        set_header(&mut request, headers::CONTENT_TYPE, "text/plain; charset=utf-8").unwrap();
    }
}
