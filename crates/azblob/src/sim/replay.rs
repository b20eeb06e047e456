//! Turning a recorded response back into a live one.

use std::path::Path;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};

use super::cassette::{CassetteBody, CassetteResponse};
use super::sanitize::Sanitizer;
use super::store::read_stored;
use crate::wire::{Response, TransportError, TransportErrorKind};

/// Rebuilds `recorded` as a [`Response`] with a full body. `pending` is the
/// stored body if this session recorded it and it is not on disk yet.
pub(crate) fn rebuild(
    recorded: &CassetteResponse,
    pending: Option<Bytes>,
    sidecars: &Path,
    sanitizer: &Sanitizer,
) -> Result<Response, TransportError> {
    let broken = |message: String| TransportError::new(TransportErrorKind::NoRecording, message);
    let status = StatusCode::from_u16(recorded.status)
        .map_err(|_| broken(format!("the recorded status {} is not an HTTP status", recorded.status)))?;
    let stored_len;
    let body = match &recorded.body {
        CassetteBody::Text { text } => {
            stored_len = text.len();
            Bytes::from(sanitizer.restore(text))
        }
        CassetteBody::Stored { sha256, len } => {
            let bytes = match pending {
                Some(bytes) => bytes,
                None => read_stored(sidecars, sha256, *len).map_err(broken)?,
            };
            stored_len = bytes.len();
            // Text bodies had the account placeholder applied when recorded.
            match std::str::from_utf8(&bytes) {
                Ok(text) => Bytes::from(sanitizer.restore(text)),
                Err(_) => bytes,
            }
        }
    };
    let mut headers = HeaderMap::new();
    for (name, value) in &recorded.headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| broken(format!("the recorded header name {name:?} is invalid")))?;
        let value = HeaderValue::from_str(&sanitizer.restore(value))
            .map_err(|_| broken(format!("the recorded value of header {name} is invalid")))?;
        headers.insert(name, value);
    }
    // Putting the account name back may change a body's length; the header
    // must follow (but a HEAD's length is the blob's, not the empty body's).
    if body.len() != stored_len && headers.contains_key(http::header::CONTENT_LENGTH) {
        headers.insert(http::header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    }
    Ok(Response::new(status, headers, body))
}
