//! Reading a whole small answer body with a cap, so the server cannot
//! decide how much memory a listing or a batch answer takes.

use super::Body;
use crate::error::{Error, ErrorKind, Result};

/// Reads a whole (small) answer `body`, whose `Content-Length` is `declared`
/// if known, up to `max` bytes: a longer body is an
/// [`InvalidResponse`](ErrorKind::InvalidResponse) rather than memory the
/// server gets to decide, and one that breaks off is a `Transport` error.
pub(crate) async fn read_capped(
    body: Body,
    declared: Option<u64>,
    operation: &'static str,
    max: usize,
) -> Result<bytes::Bytes> {
    use futures_util::StreamExt;
    let broke =
        |e| Error::new(ErrorKind::Transport, "the answer's body broke off").with_operation(operation).with_source(e);
    let too_long = || {
        Error::invalid_response(format!("the answer is longer than {max} bytes, the most this client reads"))
            .with_operation(operation)
    };
    if declared.is_some_and(|len| len > max as u64) {
        return Err(too_long());
    }
    let mut stream = body.into_stream();
    let Some(first) = stream.next().await.transpose().map_err(broke)? else {
        return Ok(bytes::Bytes::new());
    };
    if first.len() > max {
        return Err(too_long());
    }
    // Most small answers arrive in one chunk: return it without copying.
    let Some(second) = stream.next().await.transpose().map_err(broke)? else {
        return Ok(first);
    };
    let mut buf = bytes::BytesMut::from(&first[..]);
    let mut next = Some(second);
    while let Some(chunk) = next {
        if buf.len() + chunk.len() > max {
            return Err(too_long());
        }
        buf.extend_from_slice(&chunk);
        next = stream.next().await.transpose().map_err(broke)?;
    }
    Ok(buf.freeze())
}
