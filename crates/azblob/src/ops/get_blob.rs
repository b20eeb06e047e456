//! Get Blob: reads a blob's content, whole or a range.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/get-blob>

use http::{Method, StatusCode};
use url::Url;

use super::blob_properties::{parse_blob_properties, parse_content_range, BlobSelector};
use super::conditions::Conditions;
use super::headers;
use super::models::{BlobProperties, BlobRange};
use super::request_util::set_header;
use crate::error::{Error, Result};
use crate::transport::{Request, Response};

/// Options of Get Blob ([`BlobClient::get_opts`](crate::BlobClient::get_opts)).
#[derive(Debug, Clone, Default)]
pub struct GetOptions {
    /// A byte range; `None` reads the whole blob.
    pub range: Option<BlobRange>,
    /// A snapshot or version to read instead of the current blob.
    pub selector: BlobSelector,
    /// Conditions, e.g. `If-Match` to read only an unchanged blob.
    pub conditions: Conditions,
}

/// The headers of a Get Blob answer; the body is read separately.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GetBlobHead {
    /// The blob's properties; `content_length` is the whole blob's size.
    pub properties: BlobProperties,
    /// The bytes this answer carries, `start..=end`, when a range was served.
    pub range: Option<(u64, u64)>,
    /// How many body bytes follow.
    pub body_length: u64,
    /// The CRC64 the service computed for the bytes of this answer
    /// (`x-ms-content-crc64`), sent when a range of at most 4 MiB was read
    /// with `x-ms-range-get-content-crc64`.
    pub content_crc64: Option<u64>,
}

impl GetBlobHead {
    /// Checks that this answer serves the range `asked` and nothing else:
    /// it starts at the asked offset and ends within the asked range (a
    /// `200` whole-blob answer passes only where the whole blob is within it).
    ///
    /// A server or proxy that ignores or bends `x-ms-range` would otherwise
    /// hand out other bytes as the ones asked for; that is an
    /// [`InvalidResponse`](crate::ErrorKind::InvalidResponse).
    pub fn check_range(&self, asked: BlobRange) -> Result<()> {
        let served = match self.range {
            Some(range) => Some(range),
            None => self.properties.content_length.checked_sub(1).map(|end| (0, end)),
        };
        // An empty 200 serves no byte, so nothing outside the range.
        let Some((start, end)) = served else { return Ok(()) };
        let asked_end = asked.length.map(|len| asked.offset.saturating_add(len.saturating_sub(1)));
        if start != asked.offset || asked_end.is_some_and(|asked_end| end > asked_end) {
            return Err(Error::invalid_response(format!(
                "the service answered bytes {start}-{end} to a request for bytes {}-{}",
                asked.offset,
                asked_end.map_or(String::new(), |e| e.to_string())
            ))
            .with_operation("GetBlob"));
        }
        Ok(())
    }
}

/// Builds Get Blob. The range goes in `x-ms-range`, which every API version understands.
pub(crate) fn build_get_blob_request(url: Url, options: &GetOptions) -> Result<Request> {
    let mut request = Request::new("GetBlob", Method::GET, url);
    options.selector.apply(&mut request)?;
    if let Some(range) = options.range {
        set_header(&mut request, headers::X_MS_RANGE, &range.to_header()?)?;
    }
    options.conditions.apply(&mut request)?;
    // A read changes nothing.
    Ok(request.idempotent())
}

/// Parses the status and headers of a Get Blob answer.
pub(crate) fn parse_get_blob_response(response: &Response) -> Result<GetBlobHead> {
    let h = &response.headers;
    let properties = parse_blob_properties(h)?;
    let range = match response.status {
        StatusCode::OK => None,
        StatusCode::PARTIAL_CONTENT => {
            let value = super::request_util::required(h, headers::CONTENT_RANGE)?;
            let (start, end, _) = parse_content_range(value)?;
            Some((start, end))
        }
        other => return Err(Error::invalid_response(format!("Get Blob answered HTTP {}", other.as_u16()))),
    };
    let body_length = match range {
        Some((start, end)) => end - start + 1,
        None => properties.content_length,
    };
    // Read leniently: a download that did not ask for a CRC64 must not fail
    // on a header it ignores, and one that did treats an unreadable value
    // as none, so it cannot verify and says so.
    let content_crc64 = super::crc64::parse_content_crc64(h).ok().flatten();
    Ok(GetBlobHead { properties, range, body_length, content_crc64 })
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        let base =
            [("etag", "\"0x1\""), ("last-modified", "Fri, 23 Oct 2026 10:00:00 GMT"), ("x-ms-blob-type", "BlockBlob")];
        for (k, v) in base.iter().chain(pairs) {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn builds_a_ranged_read_of_a_version() {
        let options = GetOptions {
            range: Some(BlobRange::new(10, 5)),
            selector: BlobSelector { version_id: Some("v1".into()), snapshot: None },
            conditions: Conditions::if_match(super::super::models::ETag("\"0x1\"".into())),
        };
        let r = build_get_blob_request("https://a.blob.core.windows.net/c/b".parse().unwrap(), &options).unwrap();
        assert_eq!(r.header("x-ms-range"), Some("bytes=10-14"));
        assert_eq!(r.header("if-match"), Some("\"0x1\""));
        assert_eq!(r.url.query(), Some("versionid=v1"));
        assert!(r.body.is_empty());
    }

    #[test]
    fn parses_whole_and_partial_answers() {
        let whole = Response::new(StatusCode::OK, headers(&[("content-length", "42")]), "");
        let head = parse_get_blob_response(&whole).unwrap();
        assert_eq!((head.properties.content_length, head.range, head.body_length), (42, None, 42));

        let part = Response::new(
            StatusCode::PARTIAL_CONTENT,
            headers(&[("content-length", "5"), ("content-range", "bytes 10-14/42")]),
            "",
        );
        let head = parse_get_blob_response(&part).unwrap();
        assert_eq!((head.properties.content_length, head.range, head.body_length), (42, Some((10, 14)), 5));
    }

    #[test]
    fn partial_answer_without_content_range_is_invalid() {
        let part = Response::new(StatusCode::PARTIAL_CONTENT, headers(&[("content-length", "5")]), "");
        assert_eq!(parse_get_blob_response(&part).unwrap_err().kind(), crate::ErrorKind::InvalidResponse);
    }

    #[test]
    fn a_ranges_crc64_is_read_and_a_garbled_one_is_none() {
        let answer = |crc: &str| {
            let h =
                headers(&[("content-length", "11"), ("content-range", "bytes 0-10/11"), ("x-ms-content-crc64", crc)]);
            parse_get_blob_response(&Response::new(StatusCode::PARTIAL_CONTENT, h, "")).unwrap().content_crc64
        };
        // Real Azure's answer for the 11 bytes "Hello World".
        assert_eq!(answer("YeJLfssylmU="), Some(u64::from_le_bytes([0x61, 0xe2, 0x4b, 0x7e, 0xcb, 0x32, 0x96, 0x65])));
        assert_eq!(answer("garbage"), None, "a download that did not ask must not fail on it");
    }
}
