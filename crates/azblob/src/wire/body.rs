//! Response bodies: buffered for small answers, streamed for downloads.

use std::fmt;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{BoxStream, StreamExt};
use http::{HeaderMap, StatusCode};

use super::TransportError;

/// A response body: either already in memory or a stream of chunks.
pub struct Body(Inner);

enum Inner {
    Full(Bytes),
    Stream(BoxStream<'static, Result<Bytes, TransportError>>),
}

impl Body {
    /// A body that is already in memory.
    pub fn full(bytes: impl Into<Bytes>) -> Self {
        Body(Inner::Full(bytes.into()))
    }

    /// An empty body.
    pub fn empty() -> Self {
        Body::full(Bytes::new())
    }

    /// A body read chunk by chunk from `stream`.
    pub fn from_stream(stream: BoxStream<'static, Result<Bytes, TransportError>>) -> Self {
        Body(Inner::Stream(stream))
    }

    /// Reads the whole body into memory.
    pub async fn bytes(self) -> Result<Bytes, TransportError> {
        match self.0 {
            Inner::Full(bytes) => Ok(bytes),
            Inner::Stream(mut stream) => {
                let first = match stream.next().await {
                    None => return Ok(Bytes::new()),
                    Some(chunk) => chunk?,
                };
                // Most small answers arrive in one chunk: return it without copying.
                let Some(second) = stream.next().await else { return Ok(first) };
                let mut buf = BytesMut::from(&first[..]);
                buf.extend_from_slice(&second?);
                while let Some(chunk) = stream.next().await {
                    buf.extend_from_slice(&chunk?);
                }
                Ok(buf.freeze())
            }
        }
    }

    /// The same body, failing with a deadline error if it is still being
    /// read at `at` (`after` the operation started). A body already in
    /// memory cannot be late and stays as it is.
    pub(crate) fn with_deadline(self, at: tokio::time::Instant, after: std::time::Duration) -> Self {
        match self.0 {
            Inner::Full(bytes) => Body::full(bytes),
            Inner::Stream(stream) => Body::from_stream(super::TimedStream::deadline(stream, at, after).boxed()),
        }
    }

    /// Reads at most `max` bytes of the body and drops the rest: how error
    /// and token answers, which are small when they are honest, are read.
    ///
    /// A body that breaks off returns what came before the break and the
    /// error, so that a caller can still report a partial error answer.
    pub(crate) async fn read_capped(self, max: usize) -> (Vec<u8>, Option<TransportError>) {
        let mut body = Vec::new();
        let mut stream = self.into_stream();
        while body.len() < max {
            match stream.next().await {
                None => break,
                Some(Ok(chunk)) => body.extend_from_slice(&chunk[..chunk.len().min(max - body.len())]),
                Some(Err(err)) => return (body, Some(err)),
            }
        }
        (body, None)
    }

    /// Reads the body as a stream of chunks.
    pub fn into_stream(self) -> BoxStream<'static, Result<Bytes, TransportError>> {
        match self.0 {
            Inner::Full(bytes) if bytes.is_empty() => futures_util::stream::empty().boxed(),
            Inner::Full(bytes) => futures_util::stream::once(async move { Ok(bytes) }).boxed(),
            Inner::Stream(stream) => stream,
        }
    }
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::Full(bytes) => write!(f, "Body({} bytes)", bytes.len()),
            Inner::Stream(_) => f.write_str("Body(stream)"),
        }
    }
}

/// An HTTP response: status, headers and a body that may still be streaming.
///
/// `Debug` redacts secrets in header values: the service echoes a copy's
/// source URL, SAS included, in `x-ms-copy-source`.
pub struct Response {
    /// The HTTP status.
    pub status: StatusCode,
    /// The response headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Body,
    /// Whether this answers a repeat of the request sent after an earlier
    /// attempt reached the service and its outcome stayed unknown (the answer
    /// was lost, or was a transient error the service may have acted on).
    /// Set by [`RetryLayer`](super::RetryLayer). A 404 to a repeated delete
    /// may then be the echo of the first attempt's success.
    pub repeated: bool,
}

impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, String)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let text = if value.is_sensitive() {
                    crate::redact::REDACTED.to_owned()
                } else {
                    crate::redact::shapes::redact_text(&String::from_utf8_lossy(value.as_bytes())).into_owned()
                };
                (name.as_str(), text)
            })
            .collect();
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("headers", &headers)
            .field("body", &self.body)
            .finish()
    }
}

impl Response {
    /// A response with a body already in memory.
    pub fn new(status: StatusCode, headers: HeaderMap, body: impl Into<Bytes>) -> Self {
        Response::from_body(status, headers, Body::full(body))
    }

    /// A response with any body, not (yet) marked [`repeated`](Self::repeated).
    pub fn from_body(status: StatusCode, headers: HeaderMap, body: Body) -> Self {
        Response { status, headers, body, repeated: false }
    }

    /// The value of a header as text, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn read_capped_stops_at_the_cap_and_keeps_what_came_before_a_break() {
        let chunks = || vec![Ok(Bytes::from_static(b"abc")), Ok(Bytes::from_static(b"defg"))];
        let body = Body::from_stream(futures_util::stream::iter(chunks()).boxed());
        assert_eq!(body.read_capped(5).await.0, b"abcde");
        let body = Body::from_stream(futures_util::stream::iter(chunks()).boxed());
        let (bytes, broken) = body.read_capped(100).await;
        assert_eq!((bytes.as_slice(), broken.is_none()), (&b"abcdefg"[..], true));
        let mut broken_chunks = chunks();
        broken_chunks.insert(1, Err(TransportError::new(crate::wire::TransportErrorKind::Io, "reset")));
        let (bytes, broken) =
            Body::from_stream(futures_util::stream::iter(broken_chunks).boxed()).read_capped(100).await;
        assert_eq!(bytes, b"abc");
        assert!(broken.is_some());
    }

    #[test]
    fn debug_redacts_an_echoed_copy_source_signature() {
        let mut headers = HeaderMap::new();
        let source = "https://a.blob.core.windows.net/c/s?sv=2023-11-03&sig=c2VjcmV0LXNpZw%3D%3D";
        headers.insert("x-ms-copy-source", source.parse().unwrap());
        headers.insert("x-ms-request-id", "rid-1".parse().unwrap());
        let shown = format!("{:?}", Response::new(StatusCode::OK, headers, "body"));
        assert!(!shown.contains("c2VjcmV0") && shown.contains("sig=REDACTED"), "{shown}");
        assert!(shown.contains("rid-1") && shown.contains("Body(4 bytes)"), "{shown}");
    }
}
