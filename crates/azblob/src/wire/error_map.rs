//! The one place where a service response becomes an [`ErrorKind`].
//!
//! <https://learn.microsoft.com/rest/api/storageservices/blob-service-error-codes>

use http::StatusCode;
use serde::Deserialize;

use super::Response;
use crate::error::{Error, ErrorKind};
use crate::headers;

/// Error bodies are small; a longer one is garbage and is cut here.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Builds the error for a non-2xx `response`, reading (at most 64 KiB of) its body.
pub(crate) async fn error_from_response(response: Response, operation: &'static str) -> Error {
    let status = response.status;
    if let Some(err) = redirect_error(status, response.header(headers::LOCATION)) {
        return err.with_operation(operation);
    }
    let header_code = response.header(headers::X_MS_ERROR_CODE).map(str::to_owned);
    let request_id = response.header(headers::X_MS_REQUEST_ID).map(str::to_owned);
    // A body that breaks off still names the error as far as it got.
    let (body, _broken) = response.body.read_capped(MAX_ERROR_BODY).await;
    error_from_parts(status, header_code, request_id, &body, operation)
}

/// The error for a redirect (a 3xx other than 304), or `None` for any other status.
///
/// The library never follows redirects (the Blob service and the token
/// endpoints do not send them, and a followed one would carry credentials and
/// bodies elsewhere), so a 3xx is an unexpected answer. The message names
/// where it pointed by scheme, host and port only: a `Location` may carry a SAS.
pub(crate) fn redirect_error(status: StatusCode, location: Option<&str>) -> Option<Error> {
    if !status.is_redirection() || status == StatusCode::NOT_MODIFIED {
        return None;
    }
    let target = match location.map(url::Url::parse) {
        Some(Ok(url)) if url.host_str().is_some() => format!("to {}", crate::net::origin(&url)),
        Some(Ok(_)) => "to a location without a host".to_owned(),
        Some(Err(_)) => "to a relative or malformed location".to_owned(),
        None => "without a Location".to_owned(),
    };
    let message = format!("the server redirected (HTTP {}) {target}; redirects are never followed", status.as_u16());
    Some(Error::new(ErrorKind::InvalidResponse, message).with_status(status))
}

/// The pure part of [`error_from_response`], for tests.
pub(crate) fn error_from_parts(
    status: StatusCode,
    header_code: Option<String>,
    request_id: Option<String>,
    body: &[u8],
    operation: &'static str,
) -> Error {
    let parsed = parse_error_body(body);
    let code = header_code.or_else(|| parsed.as_ref().and_then(|p| p.code.clone()));
    let message = parsed
        .and_then(|p| p.message)
        .map(|m| m.lines().next().unwrap_or("").trim().to_owned())
        .or_else(|| status.canonical_reason().map(str::to_owned))
        .unwrap_or_default();
    Error::new(classify(status, code.as_deref()), message)
        .with_operation(operation)
        .with_status(status)
        .with_error_code(code)
        .with_request_id(request_id)
}

/// Maps a status and the service's error code to a kind.
pub(crate) fn classify(status: StatusCode, code: Option<&str>) -> ErrorKind {
    // Codes first: some share a status with kinds that mean something else.
    match code {
        Some("BlobAlreadyExists" | "ContainerAlreadyExists") => return ErrorKind::AlreadyExists,
        Some("AuthenticationFailed" | "InvalidAuthenticationInfo" | "NoAuthenticationInformation") => {
            return ErrorKind::Unauthenticated
        }
        Some("Md5Mismatch" | "Crc64Mismatch" | "InvalidMd5") => return ErrorKind::IntegrityMismatch,
        Some("ServerBusy") => return ErrorKind::ServerBusy,
        // Reading an archived blob: a 409 that needs a rehydration, not a retry.
        Some("BlobArchived") => return ErrorKind::Archived,
        Some("OperationTimedOut") => return ErrorKind::Timeout,
        _ => {}
    }
    match status.as_u16() {
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        304 | 412 => ErrorKind::PreconditionFailed,
        416 => ErrorKind::InvalidRange,
        429 => ErrorKind::Throttled,
        408 | 504 => ErrorKind::Timeout,
        500 | 502 | 503 => ErrorKind::ServerBusy,
        400..=499 => ErrorKind::BadRequest,
        _ => ErrorKind::InvalidResponse,
    }
}

#[derive(Debug, Deserialize)]
struct ErrorBody {
    #[serde(rename = "Code")]
    code: Option<String>,
    #[serde(rename = "Message")]
    message: Option<String>,
}

/// Parses `<Error><Code>..</Code><Message>..</Message></Error>`; `None` for anything else.
fn parse_error_body(body: &[u8]) -> Option<ErrorBody> {
    let text = std::str::from_utf8(body).ok()?.trim_start_matches('\u{feff}');
    if !text.trim_start().starts_with('<') {
        return None;
    }
    quick_xml::de::from_str(text).ok()
}

/// A failed answer with the service's error `code`, as a retry marks it when
/// `repeated`: what the operations that read a repeat's failure as an
/// earlier attempt's success are tested on.
#[cfg(test)]
pub(crate) fn error_answer(status: u16, code: &str, repeated: bool) -> Response {
    let mut headers = http::HeaderMap::new();
    headers.insert(headers::X_MS_ERROR_CODE, code.parse().unwrap());
    let mut response = Response::new(StatusCode::from_u16(status).unwrap(), headers, "");
    response.repeated = repeated;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(status: u16, header: Option<&str>, body: &str) -> Error {
        error_from_parts(
            StatusCode::from_u16(status).unwrap(),
            header.map(str::to_owned),
            Some("rid-1".into()),
            body.as_bytes(),
            "GetBlob",
        )
    }

    // The body shape documented in "Status and error codes", with the service's BOM.
    const NOT_FOUND: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobNotFound</Code>\
        <Message>The specified blob does not exist.\nRequestId:0bd4ee\nTime:2026-11-23T10:00:00.000Z</Message></Error>";

    #[test]
    fn xml_body_gives_code_and_first_message_line() {
        let err = error(404, None, NOT_FOUND);
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.error_code(), Some("BlobNotFound"));
        assert_eq!(err.request_id(), Some("rid-1"));
        assert!(err.to_string().contains("The specified blob does not exist."), "{err}");
        assert!(!err.to_string().contains("RequestId:0bd4ee"), "{err}");
    }

    #[test]
    fn header_only_errors_as_for_head() {
        let err = error(404, Some("BlobNotFound"), "");
        assert_eq!((err.kind(), err.error_code()), (ErrorKind::NotFound, Some("BlobNotFound")));
        let err = error(412, Some("ConditionNotMet"), "");
        assert_eq!(err.kind(), ErrorKind::PreconditionFailed);
    }

    #[test]
    fn codes_refine_statuses() {
        assert_eq!(error(409, Some("BlobAlreadyExists"), "").kind(), ErrorKind::AlreadyExists);
        assert_eq!(error(409, Some("LeaseIdMissing"), "").kind(), ErrorKind::Conflict);
        assert_eq!(error(409, Some("BlobArchived"), "").kind(), ErrorKind::Archived);
        assert_eq!(error(409, Some("SnapshotsPresent"), "").kind(), ErrorKind::Conflict);
        assert_eq!(error(403, Some("AuthenticationFailed"), "").kind(), ErrorKind::Unauthenticated);
        assert_eq!(error(403, Some("AuthorizationPermissionMismatch"), "").kind(), ErrorKind::PermissionDenied);
        assert_eq!(error(400, Some("Md5Mismatch"), "").kind(), ErrorKind::IntegrityMismatch);
        assert_eq!(error(503, Some("ServerBusy"), "").kind(), ErrorKind::ServerBusy);
        assert_eq!(error(500, Some("OperationTimedOut"), "").kind(), ErrorKind::Timeout);
    }

    #[test]
    fn statuses_without_codes() {
        for (status, kind) in [
            (400, ErrorKind::BadRequest),
            (401, ErrorKind::Unauthenticated),
            (403, ErrorKind::PermissionDenied),
            (412, ErrorKind::PreconditionFailed),
            (416, ErrorKind::InvalidRange),
            (429, ErrorKind::Throttled),
            (408, ErrorKind::Timeout),
            (502, ErrorKind::ServerBusy),
            (504, ErrorKind::Timeout),
        ] {
            assert_eq!(error(status, None, "").kind(), kind, "status {status}");
        }
    }

    #[test]
    fn redirects_name_the_host_but_not_the_query() {
        let status = StatusCode::TEMPORARY_REDIRECT;
        let err = redirect_error(status, Some("https://evil.example:8443/c/b?sv=1&sig=secret")).unwrap();
        assert_eq!((err.kind(), err.status()), (ErrorKind::InvalidResponse, Some(status)));
        let text = err.to_string();
        assert!(text.contains("https://evil.example:8443") && text.contains("307"), "{text}");
        assert!(!text.contains("secret") && !text.contains("/c/b"), "{text}");
        assert!(redirect_error(StatusCode::FOUND, Some("/elsewhere?sig=x")).unwrap().to_string().contains("relative"));
        assert!(redirect_error(StatusCode::NOT_MODIFIED, None).is_none(), "304 answers a conditional GET");
        assert!(redirect_error(StatusCode::OK, None).is_none());
    }

    #[test]
    fn garbage_bodies_still_give_a_typed_error() {
        let err = error(500, None, "<html><body>Bad gateway \u{1F4A5}</body>");
        assert_eq!(err.kind(), ErrorKind::ServerBusy);
        assert_eq!(err.error_code(), None);
        let err = error(403, None, "\u{0}\u{1}binary");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("Forbidden"), "{err}");
    }
}
