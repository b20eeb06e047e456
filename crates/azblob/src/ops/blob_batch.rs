//! Blob Batch: many Delete Blob or Set Blob Tier sub-requests in one `multipart/mixed` POST.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/blob-batch>
//!
//! The body is a list of complete HTTP requests, each authorized on its own
//! (the signing layer signs them on every attempt, then calls
//! [`encode_batch_body`]); the answer is a list
//! of complete HTTP responses, one per sub-request, matched by `Content-ID`.

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use url::Url;

use super::headers;
use super::request_util::add_query;
use crate::error::{Error, Result};
use crate::transport::Request;

/// The most sub-requests one batch may carry.
pub const MAX_BATCH_SIZE: usize = 256;

const CRLF: &str = "\r\n";

/// A fresh multipart boundary, `batch_<random hex>`.
pub(crate) fn new_boundary() -> String {
    format!("batch_{:016x}{:016x}", fastrand::u64(..), fastrand::u64(..))
}

/// Writes the `multipart/mixed` body of a batch from signed sub-requests.
///
/// Each sub-request line carries only the URL's path and query, as the
/// service wants it: for a path-style emulator endpoint that path starts with
/// the account (`/devstoreaccount1/container/blob`).
pub(crate) fn encode_batch_body(boundary: &str, sub_requests: &[Request]) -> Result<Bytes> {
    if sub_requests.is_empty() || sub_requests.len() > MAX_BATCH_SIZE {
        return Err(Error::invalid_input(format!(
            "a batch carries 1 to {MAX_BATCH_SIZE} sub-requests, got {}",
            sub_requests.len()
        )));
    }
    let mut out = String::with_capacity(sub_requests.len() * 400);
    for (id, request) in sub_requests.iter().enumerate() {
        out.push_str(&format!("--{boundary}{CRLF}"));
        out.push_str(&format!("Content-Type: application/http{CRLF}"));
        out.push_str(&format!("Content-Transfer-Encoding: binary{CRLF}"));
        out.push_str(&format!("Content-ID: {id}{CRLF}{CRLF}"));
        let target = match request.url.query() {
            Some(q) => format!("{}?{q}", request.url.path()),
            None => request.url.path().to_owned(),
        };
        out.push_str(&format!("{} {target} HTTP/1.1{CRLF}", request.method));
        for (name, value) in &request.headers {
            let value = value
                .to_str()
                .map_err(|_| Error::invalid_input(format!("the batch sub-request header {name} is not text")))?;
            out.push_str(&format!("{name}: {value}{CRLF}"));
        }
        out.push_str(&format!("{}: 0{CRLF}{CRLF}", headers::CONTENT_LENGTH));
    }
    out.push_str(&format!("--{boundary}--{CRLF}"));
    Ok(Bytes::from(out))
}

/// Builds the batch POST itself, scoped to one container
/// (`?restype=container&comp=batch`, version 2020-04-08 and later).
pub(crate) fn build_batch_request(container_url: Url, boundary: &str, body: Bytes) -> Result<Request> {
    let mut request = Request::new("BlobBatch", Method::POST, container_url);
    add_query(&mut request, "restype", "container");
    add_query(&mut request, "comp", "batch");
    let content_type = HeaderValue::from_str(&format!("multipart/mixed; boundary={boundary}"))
        .map_err(|_| Error::invalid_input("invalid batch boundary"))?;
    request.headers.insert(headers::CONTENT_TYPE, content_type);
    // Each sub-request is harmless to repeat (deletes and tier changes leave
    // the same state twice over), and the signing layer signs them afresh on
    // every attempt, so the whole POST may be retried. A repeated batch
    // answers 404 for the blobs the lost first attempt deleted;
    // `client::batch` reads those as deleted.
    request.idempotent = true;
    request.body = body;
    Ok(request)
}

/// One sub-response of a batch answer.
#[derive(Debug)]
pub(crate) struct SubResponse {
    /// The `Content-ID` of the sub-request it answers; `None` when the
    /// service refused the batch as a whole.
    pub(crate) content_id: Option<usize>,
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

/// Parses a batch answer, given the answer's `Content-Type` (which names the boundary).
pub(crate) fn parse_batch_response(content_type: &str, body: &[u8]) -> Result<Vec<SubResponse>> {
    let boundary = content_type
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
        .map(|b| b.trim_matches('"'))
        .filter(|b| !b.is_empty())
        .ok_or_else(|| {
            Error::invalid_response(format!("the batch answer's Content-Type names no boundary: {content_type:?}"))
        })?;
    let text = std::str::from_utf8(body).map_err(|_| Error::invalid_response("the batch answer is not UTF-8"))?;
    let delimiter = format!("--{boundary}");
    let mut parts = text.split(delimiter.as_str());
    parts.next(); // the preamble before the first boundary
    let mut out = Vec::new();
    for part in parts {
        if part.starts_with("--") {
            break; // the closing boundary
        }
        out.push(parse_part(part)?);
    }
    Ok(out)
}

/// One part: MIME headers, a blank line, then a whole HTTP response.
fn parse_part(part: &str) -> Result<SubResponse> {
    let bad = |why: &str| Error::invalid_response(format!("malformed batch sub-response: {why}"));
    let part = part.trim_start_matches([' ', '\t']).strip_prefix(CRLF).unwrap_or(part);
    let (mime, http) = part.split_once("\r\n\r\n").ok_or_else(|| bad("no blank line after the part headers"))?;
    let content_id = mime
        .lines()
        .find_map(|l| l.split_once(':').filter(|(k, _)| k.trim().eq_ignore_ascii_case(headers::CONTENT_ID)))
        .map(|(_, v)| v.trim().parse::<usize>().map_err(|_| bad("Content-ID is not a number")))
        .transpose()?;
    let (head, body) = match http.split_once("\r\n\r\n") {
        Some((head, body)) => (head, body.trim_end_matches(CRLF)),
        None => (http.trim_end_matches(CRLF), ""),
    };
    let mut lines = head.split(CRLF);
    let status_line = lines.next().ok_or_else(|| bad("no status line"))?;
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .and_then(|s| StatusCode::from_u16(s).ok())
        .ok_or_else(|| bad("no status code"))?;
    let mut map = HeaderMap::new();
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let (name, value) = line.split_once(':').ok_or_else(|| bad("a header line without ':'"))?;
        let name = HeaderName::from_bytes(name.trim().as_bytes()).map_err(|_| bad("an invalid header name"))?;
        let value = HeaderValue::from_str(value.trim()).map_err(|_| bad("an invalid header value"))?;
        map.append(name, value);
    }
    Ok(SubResponse { content_id, status, headers: map, body: Bytes::copy_from_slice(body.as_bytes()) })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sample answer of the Blob Batch reference, with its CRLF line ends.
    fn documented_answer() -> String {
        [
            "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed",
            "Content-Type: application/http",
            "Content-ID: 0",
            "",
            "HTTP/1.1 202 Accepted",
            "x-ms-request-id: 778fdc83-801e-0000-62ff-0334671e284f",
            "x-ms-version: 2018-11-09",
            "",
            "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed",
            "Content-Type: application/http",
            "Content-ID: 1",
            "",
            "HTTP/1.1 202 Accepted",
            "x-ms-request-id: 778fdc83-801e-0000-62ff-0334671e2851",
            "x-ms-version: 2018-11-09",
            "",
            "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed",
            "Content-Type: application/http",
            "Content-ID: 2",
            "",
            "HTTP/1.1 404 The specified blob does not exist.",
            "x-ms-error-code: BlobNotFound",
            "x-ms-request-id: 778fdc83-801e-0000-62ff-0334671e2852",
            "x-ms-version: 2018-11-09",
            "Content-Length: 216",
            "Content-Type: application/xml",
            "",
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
            "<Error><Code>BlobNotFound</Code><Message>The specified blob does not exist.",
            "RequestId:778fdc83-801e-0000-62ff-0334671e2852",
            "Time:2018-06-14T16:46:54.6040685Z</Message></Error>",
            "--batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed--",
            "",
        ]
        .join("\r\n")
    }

    #[test]
    fn parses_the_documented_answer() {
        let subs = parse_batch_response(
            "multipart/mixed; boundary=batchresponse_66925647-d0cb-4109-b6d3-28efe3e1e5ed",
            documented_answer().as_bytes(),
        )
        .unwrap();
        assert_eq!(subs.len(), 3);
        assert_eq!(subs.iter().map(|s| s.content_id).collect::<Vec<_>>(), [Some(0), Some(1), Some(2)]);
        assert_eq!(subs[0].status, StatusCode::ACCEPTED);
        assert_eq!(subs[2].status, StatusCode::NOT_FOUND);
        assert_eq!(subs[2].headers.get("x-ms-error-code").unwrap(), "BlobNotFound");
        assert!(std::str::from_utf8(&subs[2].body).unwrap().starts_with("<?xml"));
        assert!(subs[0].body.is_empty());
    }

    #[test]
    fn encodes_signed_sub_requests_as_documented() {
        let mut sub = Request::new(
            "DeleteBlob",
            Method::DELETE,
            "http://127.0.0.1:10000/devstoreaccount1/c/dir/a%20b".parse().unwrap(),
        );
        sub.headers.insert("x-ms-date", "Thu, 14 Jun 2018 16:46:54 GMT".parse().unwrap());
        sub.headers.insert("authorization", "SharedKey devstoreaccount1:sig=".parse().unwrap());
        let body = encode_batch_body("batch_x", &[sub.clone(), sub]).unwrap();
        let text = std::str::from_utf8(&body).unwrap();
        assert!(text.starts_with(
            "--batch_x\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 0\r\n\r\n\
             DELETE /devstoreaccount1/c/dir/a%20b HTTP/1.1\r\nx-ms-date: Thu, 14 Jun 2018 16:46:54 GMT\r\n\
             authorization: SharedKey devstoreaccount1:sig=\r\ncontent-length: 0\r\n\r\n--batch_x\r\n"
        ), "{text}");
        assert!(text.contains("Content-ID: 1\r\n"));
        assert!(text.ends_with("--batch_x--\r\n"));
        assert!(encode_batch_body("b", &[]).is_err());
    }

    #[test]
    fn garbage_answers_are_invalid_responses() {
        assert!(parse_batch_response("multipart/mixed", b"").is_err());
        let err = parse_batch_response("multipart/mixed; boundary=b", b"--b\r\nContent-ID: 0\r\n\r\nnot http\r\n--b--")
            .unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse);
        let err = parse_batch_response("multipart/mixed; boundary=b", b"--b\r\nno blank line").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse);
    }
}
