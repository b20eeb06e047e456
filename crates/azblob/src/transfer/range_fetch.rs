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
use crate::ops::crc64::{self, ask_range_crc64, Crc64};
use crate::ops::get_blob::{build_get_blob_request, parse_get_blob_response, GetBlobHead, GetOptions};
use crate::ops::models::{BlobRange, ETag};
use crate::transport::Body;

/// How many times one range's body may break off (or end early) and be resumed.
pub(crate) const MAX_BODY_RESUMES: u32 = 5;

/// One Get Blob: the parsed headers and the body, still streaming.
pub(crate) async fn get_once(target: &BlobTarget, options: &GetOptions) -> Result<(GetBlobHead, Body)> {
    get_once_crc64(target, options, false).await
}

/// One Get Blob, asking for the range's CRC64 when `crc64` is set.
pub(crate) async fn get_once_crc64(
    target: &BlobTarget,
    options: &GetOptions,
    crc64: bool,
) -> Result<(GetBlobHead, Body)> {
    let mut request = build_get_blob_request(target.url().clone(), options)?;
    if crc64 {
        ask_range_crc64(&mut request);
    }
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
    /// Ask every range's CRC64 and check it against the bytes received.
    pub(crate) crc64: bool,
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
            let (head, body) = get_once_crc64(&self.target, &options, self.crc64).await.map_err(changed_blob)?;
            check_answer(&head, asked, Some(self.total))?;
            let mut crc = self.crc64.then(Crc64::new);
            let broke = !read_body_crc64(body, &mut buf, len, crc.as_mut()).await?;
            if let Some(crc) = crc {
                if buf.filled() < len {
                    // The answer's CRC64 covers the bytes asked, not the
                    // part that arrived: those are dropped and asked again.
                    buf.truncate(have);
                } else {
                    check_range_crc64(head.content_crc64, crc.value(), asked)?;
                }
            }
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

/// Compares the CRC64 the service sent for `range` with the one computed
/// over the bytes received: a mismatch is an integrity error naming the
/// range, and an answer without one cannot be verified.
pub(crate) fn check_range_crc64(sent: Option<u64>, computed: u64, range: BlobRange) -> Result<()> {
    let end = range.offset + range.length.unwrap_or(1).saturating_sub(1);
    match sent {
        Some(sent) if sent == computed => Ok(()),
        Some(sent) => Err(Error::new(
            ErrorKind::IntegrityMismatch,
            format!(
                "bytes {}-{end} do not match their CRC64: the service sent {}, the bytes received make {}",
                range.offset,
                crc64::to_header(sent),
                crc64::to_header(computed)
            ),
        )
        .with_operation("GetBlob")),
        None => Err(Error::new(
            ErrorKind::Unverifiable,
            format!("the service sent no (valid) CRC64 for bytes {}-{end}, so they cannot be verified", range.offset),
        )
        .with_operation("GetBlob")),
    }
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
    /// Drops what was collected past the first `len` bytes.
    fn truncate(&mut self, len: u64);
    /// Called after each chunk: hands on what was collected when enough of
    /// it has gathered (a range bound for a file writes it at its place), so
    /// a range in flight need not hold all its bytes. By default nothing is
    /// handed on before the range is complete.
    fn spill(&mut self) -> impl std::future::Future<Output = Result<()>> + Send {
        std::future::ready(Ok(()))
    }
}

/// Keeps the first `keep` bytes of `parts`.
pub(crate) fn truncate_parts(parts: &mut Vec<Bytes>, keep: u64) {
    let mut left = keep;
    parts.retain_mut(|part| {
        let take = (part.len() as u64).min(left);
        *part = part.slice(..take as usize);
        left -= take;
        take > 0
    });
}

/// One contiguous buffer: a download into memory fills its piece of the result.
impl RangeBuf for BytesMut {
    fn filled(&self) -> u64 {
        self.len() as u64
    }

    fn put(&mut self, chunk: Bytes) {
        self.extend_from_slice(&chunk);
    }

    fn truncate(&mut self, len: u64) {
        BytesMut::truncate(self, len as usize);
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

    /// A range already written to its file: only its length is left to count.
    pub(crate) fn written(len: u64) -> Self {
        Piece::Chunks { parts: Vec::new(), len }
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

    fn truncate(&mut self, keep: u64) {
        match self {
            Piece::Slice(buf) => buf.truncate(keep as usize),
            Piece::Chunks { parts, len } => {
                truncate_parts(parts, keep);
                *len = keep.min(*len);
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

/// Appends the body to `buf` up to `limit` bytes, feeding what it keeps to
/// `crc` as it arrives; `Ok(false)` if the body broke off, an error only if
/// `buf` could not hand its bytes on.
pub(crate) async fn read_body_crc64<B: RangeBuf>(
    body: Body,
    buf: &mut B,
    limit: u64,
    mut crc: Option<&mut Crc64>,
) -> Result<bool> {
    let mut stream = body.into_stream();
    while let Some(chunk) = stream.next().await {
        let Ok(chunk) = chunk else { return Ok(false) };
        let room = (limit - buf.filled()) as usize;
        // More than asked for is the server's bug; keep what was asked.
        let kept = chunk.slice(..chunk.len().min(room));
        if let Some(crc) = crc.as_deref_mut() {
            crc.update(&kept);
        }
        buf.put(kept);
        buf.spill().await?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_crc64_mismatch_names_the_range_and_a_missing_one_is_unverifiable() {
        let range = BlobRange::new(4, 4);
        let hello = crc64::crc64(b"Hello World");
        assert!(check_range_crc64(Some(hello), hello, range).is_ok());
        let err = check_range_crc64(Some(hello), hello ^ 1, range).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::IntegrityMismatch);
        assert!(err.to_string().contains("bytes 4-7"), "{err}");
        assert_eq!(check_range_crc64(None, hello, range).unwrap_err().kind(), ErrorKind::Unverifiable);
    }

    #[test]
    fn pieces_truncate_to_what_was_verified() {
        let mut piece = Piece::chunks();
        for part in [&b"abc"[..], b"defg", b"hi"] {
            piece.put(Bytes::copy_from_slice(part));
        }
        piece.truncate(5);
        assert_eq!((piece.filled(), piece.parts().concat()), (5, b"abcde".to_vec()));
        piece.truncate(0);
        assert_eq!(piece.filled(), 0);
        assert!(piece.parts().is_empty());
        let mut slice = Piece::Slice(BytesMut::from(&b"abcdef"[..]));
        slice.truncate(2);
        assert_eq!(slice.parts().concat(), b"ab".to_vec());
    }
}
