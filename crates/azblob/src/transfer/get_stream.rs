//! Get Blob's streamed body, resumed where it broke off: the rest is asked
//! with `x-ms-range` from the next byte and `If-Match` the first answer's
//! ETag, a bounded number of times, so a changed blob is an error and never
//! a mix of two blobs' bytes.

use std::fmt;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, BoxStream, Stream, StreamExt};

use super::range_fetch::{changed_blob, check_answer, get_once};
use super::target::BlobTarget;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::blob_properties::BlobSelector;
use crate::ops::conditions::Conditions;
use crate::ops::get_blob::{GetBlobHead, GetOptions};
use crate::ops::models::{BlobRange, ETag};
use crate::transport::TransportError;

/// The answer of Get Blob: properties now, the body as it streams in.
#[derive(Debug)]
pub struct GetBlobResponse {
    /// Properties, range and body length from the headers.
    pub head: GetBlobHead,
    /// The content, streaming; resumed when the connection breaks.
    pub body: BlobBody,
}

impl GetBlobResponse {
    /// Reads the whole body; it has exactly the length the headers announced,
    /// or this fails.
    pub async fn bytes(self) -> Result<Bytes> {
        let mut body = self.body;
        let Some(first) = body.next().await.transpose()? else { return Ok(Bytes::new()) };
        // Most small answers arrive in one chunk: return it without copying.
        let Some(second) = body.next().await.transpose()? else { return Ok(first) };
        let mut buf = BytesMut::with_capacity(first.len() + second.len());
        buf.extend_from_slice(&first);
        buf.extend_from_slice(&second);
        while let Some(chunk) = body.next().await.transpose()? {
            buf.extend_from_slice(&chunk);
        }
        Ok(buf.freeze())
    }
}

/// A blob's content as a stream of `Result<Bytes, azblob::Error>`.
///
/// When the connection breaks, or the body ends before the length its
/// headers announced, the rest is requested from the next byte with
/// `If-Match` the first answer's ETag, up to the retry options' count
/// (`RetryOptions::max_retries`). A blob changed meanwhile ends the stream
/// with [`PreconditionFailed`](crate::ErrorKind::PreconditionFailed); bytes
/// beyond the announced length with [`Transport`](crate::ErrorKind::Transport).
pub struct BlobBody {
    inner: BoxStream<'static, Result<Bytes>>,
}

impl Stream for BlobBody {
    type Item = Result<Bytes>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl fmt::Debug for BlobBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("BlobBody")
    }
}

/// Starts Get Blob and wraps its body in the resuming stream.
pub(crate) async fn get(target: &BlobTarget, options: &GetOptions) -> Result<GetBlobResponse> {
    let (head, body) = get_once(target, options).await?;
    let resume = Resume::new(&head, options, target.body_resumes());
    let state = State { target: target.clone(), resume, body: Some(body.into_stream()) };
    // Fused: a stream polled again after its end (object_store's `collect_bytes`
    // does) must keep answering `None`, which a bare `unfold` does not.
    let inner = stream::unfold(state, next_chunk).fuse().boxed();
    Ok(GetBlobResponse { head, body: BlobBody { inner } })
}

struct State {
    target: BlobTarget,
    resume: Resume,
    /// `None` once the stream has ended with an error.
    body: Option<BoxStream<'static, Result<Bytes, TransportError>>>,
}

/// The next chunk, reopening the body at the next byte when it broke.
async fn next_chunk(mut state: State) -> Option<(Result<Bytes>, State)> {
    loop {
        let cause = match state.body.as_mut()?.next().await {
            Some(Ok(chunk)) if chunk.is_empty() => continue,
            Some(Ok(chunk)) => {
                let item = state.resume.take(chunk);
                if item.is_err() {
                    state.body = None;
                }
                return Some((item, state));
            }
            None if state.resume.done() => return None,
            None => None,
            Some(Err(e)) => Some(e),
        };
        match reopen(&state.target, &mut state.resume, cause).await {
            Ok(body) => state.body = Some(body),
            Err(e) => {
                state.body = None;
                return Some((Err(e), state));
            }
        }
    }
}

/// Asks for the rest of the body after a break, checking the answer.
async fn reopen(
    target: &BlobTarget,
    resume: &mut Resume,
    cause: Option<TransportError>,
) -> Result<BoxStream<'static, Result<Bytes, TransportError>>> {
    let (options, asked) = resume.next_request(cause)?;
    tracing::debug!(offset = asked.offset, "resuming a broken Get Blob body");
    let (head, body) = get_once(target, &options).await.map_err(changed_blob)?;
    check_answer(&head, asked, Some(resume.total))?;
    Ok(body.into_stream())
}

/// Where a resumable body stands: what was announced and what arrived.
#[derive(Debug, Clone)]
struct Resume {
    selector: BlobSelector,
    etag: ETag,
    /// The caller's lease id and tag condition, which hold for the bytes
    /// still to come only if asked again: a lease or tags can change
    /// without changing the ETag.
    lease_id: Option<String>,
    if_tags: Option<String>,
    /// The blob offset of the body's first byte.
    start: u64,
    /// The bytes the first answer announced.
    expected: u64,
    /// The blob's size, which every later answer must repeat.
    total: u64,
    received: u64,
    resumes_left: u32,
}

impl Resume {
    fn new(head: &GetBlobHead, options: &GetOptions, resumes: u32) -> Self {
        Resume {
            selector: options.selector.clone(),
            etag: head.properties.etag.clone(),
            lease_id: options.conditions.lease_id.clone(),
            if_tags: options.conditions.if_tags.clone(),
            start: head.range.map_or(0, |(start, _)| start),
            expected: head.body_length,
            total: head.properties.content_length,
            received: 0,
            resumes_left: resumes,
        }
    }

    fn done(&self) -> bool {
        self.received >= self.expected
    }

    /// Counts a chunk; one that runs past the announced length is an error.
    fn take(&mut self, chunk: Bytes) -> Result<Bytes> {
        let room = self.expected - self.received;
        if chunk.len() as u64 > room {
            return Err(Error::new(
                ErrorKind::Transport,
                format!("the body is longer than the {} bytes its headers announced", self.expected),
            )
            .with_operation("GetBlob"));
        }
        self.received += chunk.len() as u64;
        Ok(chunk)
    }

    /// The request for the rest of the body, or the error that ends it when
    /// no resume is left.
    fn next_request(&mut self, cause: Option<TransportError>) -> Result<(GetOptions, BlobRange)> {
        if self.resumes_left == 0 {
            let how = if cause.is_some() { "broke off" } else { "ended early" };
            let err = Error::new(
                ErrorKind::Transport,
                format!("the blob's body {how} after {} of {} bytes", self.received, self.expected),
            )
            .with_operation("GetBlob");
            return Err(match cause {
                Some(cause) => err.with_source(cause),
                None => err,
            });
        }
        self.resumes_left -= 1;
        let asked = BlobRange::new(self.start + self.received, self.expected - self.received);
        let options = GetOptions {
            range: Some(asked),
            selector: self.selector.clone(),
            // The first answer's ETag pins the blob: the caller's ETag and
            // date conditions held for it, and still hold while it is
            // unchanged; its lease and tag conditions are asked again.
            conditions: Conditions {
                lease_id: self.lease_id.clone(),
                if_tags: self.if_tags.clone(),
                ..Conditions::if_match(self.etag.clone())
            },
        };
        Ok((options, asked))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transport::{Response, TransportErrorKind};

    fn head(status: u16, range: Option<&str>, length: u64) -> GetBlobHead {
        let mut h = http::HeaderMap::new();
        h.insert("etag", "\"0x8D1\"".parse().unwrap());
        h.insert("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT".parse().unwrap());
        h.insert("x-ms-blob-type", "BlockBlob".parse().unwrap());
        h.insert("content-length", length.to_string().parse().unwrap());
        if let Some(range) = range {
            h.insert("content-range", range.parse().unwrap());
        }
        let response = Response::new(http::StatusCode::from_u16(status).unwrap(), h, "");
        crate::ops::get_blob::parse_get_blob_response(&response).unwrap()
    }

    #[test]
    fn a_break_asks_for_the_rest_from_the_next_byte_pinned_to_the_etag() {
        let selector = BlobSelector::snapshot("2026-11-23T10:00:00.0000000Z");
        let lease = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
        let conditions = Conditions {
            if_tags: Some("\"stage\" = 'prod'".into()),
            if_unmodified_since: Some(std::time::SystemTime::UNIX_EPOCH),
            ..Conditions::lease(lease)
        };
        let first = GetOptions { selector: selector.clone(), conditions, ..GetOptions::default() };
        let mut resume = Resume::new(&head(206, Some("bytes 100-199/1000"), 100), &first, 2);
        resume.take(Bytes::from(vec![0; 30])).unwrap();
        let (options, asked) = resume.next_request(None).unwrap();
        assert_eq!(asked, BlobRange::new(130, 70));
        assert_eq!(options.range, Some(asked));
        assert_eq!(options.conditions.if_match, Some(ETag("\"0x8D1\"".into())));
        // The lease and tag conditions are asked again; the date is implied by the ETag.
        assert_eq!(options.conditions.lease_id.as_deref(), Some(lease));
        assert_eq!(options.conditions.if_tags.as_deref(), Some("\"stage\" = 'prod'"));
        assert_eq!(options.conditions.if_unmodified_since, None);
        assert_eq!(options.selector, selector);
        assert_eq!(resume.total, 1000);
        resume.take(Bytes::from(vec![0; 70])).unwrap();
        assert!(resume.done());
    }

    #[test]
    fn a_whole_blob_answer_resumes_from_its_own_offsets() {
        let mut resume = Resume::new(&head(200, None, 10), &GetOptions::default(), 1);
        resume.take(Bytes::from_static(b"abcd")).unwrap();
        let (_, asked) = resume.next_request(None).unwrap();
        assert_eq!(asked, BlobRange::new(4, 6));
    }

    #[test]
    fn resumes_are_bounded_and_the_last_break_is_the_source() {
        let mut resume = Resume::new(&head(200, None, 10), &GetOptions::default(), 1);
        resume.next_request(None).unwrap();
        let cause = TransportError::new(TransportErrorKind::Io, "reset");
        let err = resume.next_request(Some(cause)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Transport);
        assert!(err.to_string().contains("broke off after 0 of 10 bytes"), "{err}");
        assert!(std::error::Error::source(&err).is_some());
    }

    #[test]
    fn bytes_past_the_announced_length_are_an_error() {
        let mut resume = Resume::new(&head(200, None, 3), &GetOptions::default(), 1);
        resume.take(Bytes::from_static(b"ab")).unwrap();
        assert_eq!(resume.take(Bytes::from_static(b"cd")).unwrap_err().kind(), ErrorKind::Transport);
    }
}
