//! Ranged reads of one blob pinned to one ETag: every answer checked against
//! the range asked, broken or short bodies resumed a bounded number of times.

use std::sync::atomic::{AtomicU64, Ordering};

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

use super::ordered_md5::HashParts;
use super::target::BlobTarget;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::blob_properties::BlobSelector;
use crate::ops::conditions::Conditions;
use crate::ops::get_blob::{build_get_blob_request, parse_get_blob_response, GetBlobHead, GetOptions};
use crate::ops::models::{BlobRange, ETag};
use crate::transport::Body;

/// How many times one range's body may break off (or end early) and be resumed.
pub(crate) const MAX_BODY_RESUMES: u32 = 5;

/// One Get Blob: the parsed headers and the body, still streaming.
pub(crate) async fn get_once(target: &BlobTarget, options: &GetOptions) -> Result<(GetBlobHead, Body)> {
    let request = build_get_blob_request(target.url().clone(), options)?;
    let response = target.execute(request).await?;
    let head = parse_get_blob_response(&response).map_err(|e| e.with_operation("GetBlob"))?;
    Ok((head, response.body))
}

/// Reads ranges of one blob, pinned to one ETag, resuming broken bodies.
#[derive(Debug)]
pub(crate) struct RangeFetcher {
    pub(crate) target: BlobTarget,
    pub(crate) etag: ETag,
    /// The blob's size as the first answer gave it; every later answer must agree.
    pub(crate) total: u64,
    pub(crate) selector: BlobSelector,
    pub(crate) resumes: AtomicU64,
}

impl RangeFetcher {
    /// Fills `buf` (empty, with room for `len`) with bytes `offset..offset+len`.
    ///
    /// Every attempt that ends before the range is full counts against
    /// [`MAX_BODY_RESUMES`], whether its body broke off or ended early: a
    /// server that keeps answering the right range with too few bytes (or
    /// none) gets an error, not an endless loop.
    pub(crate) async fn fetch_into<B: RangeBuf>(&self, offset: u64, len: u64, mut buf: B) -> Result<B> {
        let mut failures = 0;
        while buf.filled() < len {
            let have = buf.filled();
            let asked = BlobRange::new(offset + have, len - have);
            let options = GetOptions {
                range: Some(asked),
                selector: self.selector.clone(),
                conditions: Conditions::if_match(self.etag.clone()),
            };
            let (head, body) = get_once(&self.target, &options).await.map_err(changed_blob)?;
            check_answer(&head, asked, Some(self.total))?;
            let broke = read_body(body, &mut buf, len).await.is_err();
            if buf.filled() < len {
                failures += 1;
                self.resumes.fetch_add(1, Ordering::Relaxed);
                if failures > MAX_BODY_RESUMES {
                    let how = if broke { "broke off" } else { "ended early" };
                    return Err(Error::new(
                        ErrorKind::Transport,
                        format!("the body of bytes {offset}.. {how} {failures} times"),
                    )
                    .with_operation("GetBlob"));
                }
                tracing::debug!(offset, have = buf.filled(), broke, "resuming an incomplete body");
            }
        }
        Ok(buf)
    }
}

/// Checks a ranged answer against what was asked: it must start at the
/// asked offset, end within the asked range, and (after the first answer)
/// report the same blob size. The server's numbers decide where bytes are
/// written and how much is read, so none of them is taken on trust. A
/// whole-blob answer (200) starts at byte 0 and is read only as far as asked.
pub(crate) fn check_answer(head: &GetBlobHead, asked: BlobRange, total: Option<u64>) -> Result<()> {
    let bad = |why: String| Error::invalid_response(why).with_operation("GetBlob");
    let asked_end = asked.length.map(|len| asked.offset.saturating_add(len.saturating_sub(1)));
    let (start, end) = head.range.unwrap_or((0, head.properties.content_length.saturating_sub(1)));
    let overlong = head.range.is_some() && asked_end.is_some_and(|asked_end| end > asked_end);
    if start != asked.offset || overlong {
        return Err(bad(format!(
            "the service answered bytes {start}-{end} to a request for bytes {}-{}",
            asked.offset,
            asked_end.map_or(String::new(), |e| e.to_string())
        )));
    }
    if let Some(total) = total.filter(|&t| t != head.properties.content_length) {
        return Err(bad(format!(
            "the blob's size changed from {total} to {} bytes with the same ETag",
            head.properties.content_length
        )));
    }
    Ok(())
}

/// A 412 during a download means the blob changed under it.
pub(crate) fn changed_blob(err: Error) -> Error {
    if err.kind() == ErrorKind::PreconditionFailed {
        return err.with_message(
            "the blob changed while it was being downloaded (its ETag no longer matches); start the download again",
        );
    }
    err
}

/// Where a range's bytes collect while it is read.
pub(crate) trait RangeBuf: Send {
    /// Bytes collected so far.
    fn filled(&self) -> u64;
    /// Adds the next chunk of the body.
    fn put(&mut self, chunk: Bytes);
}

/// One contiguous buffer: a download into memory fills its piece of the result.
impl RangeBuf for BytesMut {
    fn filled(&self) -> u64 {
        self.len() as u64
    }

    fn put(&mut self, chunk: Bytes) {
        self.extend_from_slice(&chunk);
    }
}

/// A range's bytes as a sink wants them: a piece of one contiguous buffer
/// (memory), or the chunks as the connection delivered them, uncopied
/// (writers and files take them one after another).
#[derive(Debug)]
pub(crate) enum Piece {
    Slice(BytesMut),
    Chunks { parts: Vec<Bytes>, len: u64 },
}

impl Piece {
    pub(crate) fn chunks() -> Self {
        Piece::Chunks { parts: Vec::new(), len: 0 }
    }
}

impl RangeBuf for Piece {
    fn filled(&self) -> u64 {
        match self {
            Piece::Slice(buf) => buf.len() as u64,
            Piece::Chunks { len, .. } => *len,
        }
    }

    fn put(&mut self, chunk: Bytes) {
        match self {
            Piece::Slice(buf) => buf.extend_from_slice(&chunk),
            Piece::Chunks { parts, len } => {
                *len += chunk.len() as u64;
                parts.push(chunk);
            }
        }
    }
}

impl HashParts for Piece {
    fn parts(&self) -> Vec<&[u8]> {
        match self {
            Piece::Slice(buf) => vec![buf],
            Piece::Chunks { parts, .. } => parts.iter().map(|p| &p[..]).collect(),
        }
    }
}

/// Appends the body to `buf` up to `limit` bytes; `Err` if it broke off.
pub(crate) async fn read_body<B: RangeBuf>(body: Body, buf: &mut B, limit: u64) -> Result<(), ()> {
    let mut stream = body.into_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|_| ())?;
        let room = (limit - buf.filled()) as usize;
        // More than asked for is the server's bug; keep what was asked.
        buf.put(chunk.slice(..chunk.len().min(room)));
    }
    Ok(())
}
