//! Where a download goes: memory, a writer, or a file. The download engine
//! hands each sink the first chunk, then the other ranges in order; a file
//! also takes each range as soon as it arrives, with a positional write.

use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::range_fetch::{truncate_parts, Piece, RangeBuf};
use crate::error::{Error, ErrorKind, Result};

/// The largest write made on the task rather than on the blocking pool: a
/// small file whole, written into the page cache in well under a
/// millisecond, so a worker is not held up for long.
const INLINE_WRITE_MAX: u64 = 1024 * 1024;

/// A download's destination.
pub(crate) enum Sink<'w, W: AsyncWrite + Unpin + Send + ?Sized> {
    /// One buffer for the whole blob, filled in place.
    Memory(Option<BytesMut>),
    /// A writer, fed in order.
    Writer(&'w mut W),
    /// A file sized up front, written at each range's offset.
    File(SharedFile),
}

/// A download's file, written by one range at a time: parallel writes to
/// one file wait for each other in the kernel (on the inode's lock, which
/// spins), and a profile of a download to tmpfs showed 5 to 6% of the CPU
/// time there. Here a writer that waits parks its task instead.
pub(crate) type SharedFile = Arc<tokio::sync::Mutex<std::fs::File>>;

/// Hands out the buffers the ranges are read into, in order.
pub(crate) enum Pieces {
    /// The rest of a whole-blob buffer, split off range by range.
    Split(BytesMut),
    /// A fresh list of chunks per range.
    Chunks,
}

impl Pieces {
    pub(crate) fn next(&mut self, len: u64) -> Piece {
        match self {
            Pieces::Split(rest) => {
                let tail = rest.split_off(len as usize);
                Piece::Slice(std::mem::replace(rest, tail))
            }
            Pieces::Chunks => Piece::chunks(),
        }
    }
}

impl<W: AsyncWrite + Unpin + Send + ?Sized> Sink<'_, W> {
    /// Whether the first chunk should be read into one buffer: only memory
    /// keeps it whole; the others take its chunks as they came.
    pub(crate) fn contiguous(&self) -> bool {
        matches!(self, Sink::Memory(_))
    }

    /// Takes the first chunk, once the blob's size is known, and returns how
    /// the other ranges get their buffers.
    pub(crate) async fn begin(&mut self, total: u64, first: Piece, more: bool) -> Result<Pieces> {
        match (self, first) {
            (Sink::Memory(whole), Piece::Slice(first)) if !more => {
                *whole = Some(first);
                Ok(Pieces::Chunks)
            }
            (Sink::Memory(whole), Piece::Slice(first)) => {
                // One allocation for the whole blob, split into disjoint
                // pieces that the ranges fill; joining them back in order
                // copies nothing.
                let mut buf = allocate_whole(total)?;
                buf.extend_from_slice(&first);
                let rest = buf.split_off(first.len());
                *whole = Some(buf);
                Ok(Pieces::Split(rest))
            }
            (Sink::Writer(writer), Piece::Chunks { parts, .. }) => {
                for part in &parts {
                    writer.write_all(part).await.map_err(write_error)?;
                }
                Ok(Pieces::Chunks)
            }
            (Sink::File(file), Piece::Chunks { parts, len }) => {
                // A blob that is this one chunk (every small file of a
                // directory job) needs no sizing: its write makes the new
                // file that long, and one syscall per file less counts there.
                if more {
                    file.lock().await.set_len(total).map_err(|e| {
                        Error::new(ErrorKind::Io, format!("cannot size the file: {e}")).with_source_in_message(e)
                    })?;
                }
                if !more && len <= INLINE_WRITE_MAX {
                    // A small blob's only write goes into the page cache
                    // here, on the task that received it: a hop to the
                    // blocking pool and back cost more than the write
                    // (10,000 small files in `cargo xtask bench-dirs`).
                    positional_writes(&*file.lock().await, &parts, 0).map_err(write_error)?;
                } else {
                    write_at(Arc::clone(file), parts, 0).await?;
                }
                Ok(Pieces::Chunks)
            }
            _ => Err(Error::new(ErrorKind::Other, "a download's first chunk went to the wrong sink")),
        }
    }

    /// The file to write each range into as soon as it arrives, out of order.
    pub(crate) fn positional(&self) -> Option<SharedFile> {
        match self {
            Sink::File(file) => Some(Arc::clone(file)),
            _ => None,
        }
    }

    /// Takes the next range, in order.
    pub(crate) async fn deliver(&mut self, piece: Piece) -> Result<()> {
        match (self, piece) {
            (Sink::Memory(Some(whole)), Piece::Slice(piece)) => whole.unsplit(piece),
            (Sink::Writer(writer), Piece::Chunks { parts, .. }) => {
                for part in &parts {
                    writer.write_all(part).await.map_err(write_error)?;
                }
            }
            // A file already holds it (see `positional`).
            (Sink::File(_), _) => {}
            _ => return Err(Error::new(ErrorKind::Other, "a download piece went to the wrong sink")),
        }
        Ok(())
    }

    /// Flushes a writer; returns the whole blob of a memory sink.
    pub(crate) async fn finish(self) -> Result<Bytes> {
        match self {
            Sink::Memory(whole) => Ok(whole.unwrap_or_default().freeze()),
            Sink::Writer(writer) => writer.flush().await.map(|()| Bytes::new()).map_err(write_error),
            Sink::File(_) => Ok(Bytes::new()),
        }
    }
}

fn write_error(e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("cannot write the download: {e}")).with_source_in_message(e)
}

/// Reserves room for a whole blob of `total` bytes, or fails with a typed
/// error when the machine cannot hold it (instead of aborting the process).
fn allocate_whole(total: u64) -> Result<BytesMut> {
    let too_big = || {
        Error::new(ErrorKind::Io, format!("cannot hold a blob of {total} bytes in memory; download it to a file"))
            .with_operation("GetBlob")
    };
    let size = usize::try_from(total).map_err(|_| too_big())?;
    // `BytesMut` has no fallible allocation, so a `Vec` probes first; a large
    // probe is mapped but never touched, so freeing it and allocating again
    // costs no copying.
    let mut probe = Vec::<u8>::new();
    probe.try_reserve_exact(size).map_err(|_| too_big())?;
    drop(probe);
    Ok(BytesMut::with_capacity(size))
}

/// Writes a range that arrived into the file at its offset, out of order,
/// and hands it back for the in-order hash.
pub(crate) async fn write_range(file: SharedFile, piece: Piece, offset: u64) -> Result<Piece> {
    if let Piece::Chunks { parts, .. } = &piece {
        write_at(file, parts.clone(), offset).await?;
    }
    Ok(piece)
}

/// How many bytes a range bound for a file gathers before it writes them.
const SPILL_AT: u64 = 2 * 1024 * 1024;

/// A range bound for a file and hashed by nobody: written at its place each
/// time [`SPILL_AT`] bytes have gathered, so a range in flight holds about
/// that much rather than all its bytes, whatever the chunk size (the first
/// chunk, which learns the blob's size, is still read whole). 1 GiB to
/// tmpfs in 8 MiB ranges peaked at 62 MiB where whole ranges took 160 to
/// 177 MiB, at the same speed; writing every 1 MiB held 45 MiB but ran
/// about 8% slower. A range waiting for its write reads no more of its
/// body meanwhile, so a slow disk slows the body's reading, not memory.
pub(crate) struct FileRange {
    file: SharedFile,
    offset: u64,
    /// Bytes already in the file, from `offset`.
    written: u64,
    /// Bytes received after those, not yet written.
    pending: Vec<Bytes>,
    pending_len: u64,
}

impl FileRange {
    pub(crate) fn new(file: SharedFile, offset: u64) -> Self {
        FileRange { file, offset, written: 0, pending: Vec::new(), pending_len: 0 }
    }

    /// Writes what is left; returns the range's length.
    pub(crate) async fn finish(mut self) -> Result<u64> {
        self.write_pending().await?;
        Ok(self.written)
    }

    async fn write_pending(&mut self) -> Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        // Cleared only once written, so `filled` never counts bytes that are
        // neither pending nor in the file.
        write_at(Arc::clone(&self.file), self.pending.clone(), self.offset + self.written).await?;
        self.pending.clear();
        self.written += std::mem::take(&mut self.pending_len);
        Ok(())
    }
}

impl RangeBuf for FileRange {
    fn filled(&self) -> u64 {
        self.written + self.pending_len
    }

    fn put(&mut self, chunk: Bytes) {
        self.pending_len += chunk.len() as u64;
        self.pending.push(chunk);
    }

    fn truncate(&mut self, keep: u64) {
        // Bytes written past `keep` stay in the file until the range is read
        // again over them; a download that fails instead removes the file.
        if keep <= self.written {
            self.written = keep;
            self.pending.clear();
            self.pending_len = 0;
        } else {
            self.pending_len = self.pending_len.min(keep - self.written);
            truncate_parts(&mut self.pending, self.pending_len);
        }
    }

    async fn spill(&mut self) -> Result<()> {
        if self.pending_len >= SPILL_AT {
            self.write_pending().await?;
        }
        Ok(())
    }
}

/// Writes `parts` one after another from `offset`, in one blocking task,
/// once the writes before it are done.
pub(crate) async fn write_at(file: SharedFile, parts: Vec<Bytes>, offset: u64) -> Result<()> {
    // Held by the blocking task: a dropped download's last write still
    // finishes before another starts.
    let file = file.lock_owned().await;
    tokio::task::spawn_blocking(move || positional_writes(&file, &parts, offset))
        .await
        .map_err(|e| Error::new(ErrorKind::Other, format!("a write task failed: {e}")))?
        .map_err(write_error)
}

/// Writes `parts` one after another from `offset`.
fn positional_writes(file: &std::fs::File, parts: &[Bytes], offset: u64) -> std::io::Result<()> {
    let mut at = offset;
    for part in parts {
        positional_write(file, part, at)?;
        at += part.len() as u64;
    }
    Ok(())
}

#[cfg(unix)]
fn positional_write(file: &std::fs::File, data: &[u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::write_all_at(file, data, offset)
}

#[cfg(windows)]
fn positional_write(file: &std::fs::File, mut data: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !data.is_empty() {
        let n = std::os::windows::fs::FileExt::seek_write(file, data, offset)?;
        data = &data[n..];
        offset += n as u64;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_file(name: &str) -> (std::path::PathBuf, SharedFile) {
        let path = std::env::temp_dir().join(format!("azblob-sink-{name}-{}", std::process::id()));
        let file = Arc::new(tokio::sync::Mutex::new(std::fs::File::create(&path).unwrap()));
        (path, file)
    }

    #[tokio::test]
    async fn memory_pieces_join_back_in_order_without_copies() {
        let mut sink: Sink<'_, tokio::io::Sink> = Sink::Memory(None);
        let mut pieces = sink.begin(10, Piece::Slice(BytesMut::from(&b"abcd"[..])), true).await.unwrap();
        let mut a = pieces.next(4);
        let mut b = pieces.next(2);
        let (Piece::Slice(sa), Piece::Slice(sb)) = (&mut a, &mut b) else { panic!("slices") };
        sa.extend_from_slice(b"efgh");
        sb.extend_from_slice(b"ij");
        let start = sa.as_ptr();
        sink.deliver(a).await.unwrap();
        sink.deliver(b).await.unwrap();
        let whole = sink.finish().await.unwrap();
        assert_eq!(&whole[..], b"abcdefghij");
        assert_eq!(whole[4..].as_ptr(), start, "filled in place");
    }

    #[tokio::test]
    async fn a_writer_gets_the_first_chunk_then_each_piece() {
        let mut out = Vec::new();
        let mut sink = Sink::Writer(&mut out);
        let first = Piece::Chunks { parts: vec![Bytes::from_static(b"a"), Bytes::from_static(b"b")], len: 2 };
        let mut pieces = sink.begin(5, first, true).await.unwrap();
        let mut piece = pieces.next(3);
        super::super::range_fetch::RangeBuf::put(&mut piece, Bytes::from_static(b"cde"));
        sink.deliver(piece).await.unwrap();
        sink.finish().await.unwrap();
        assert_eq!(out, b"abcde");
    }

    #[tokio::test]
    async fn a_files_first_chunk_is_written_part_after_part() {
        for more in [false, true] {
            let (path, file) = temp_file(&format!("first-{more}"));
            let mut sink: Sink<'_, tokio::io::Sink> = Sink::File(file);
            let parts = vec![Bytes::from_static(b"ab"), Bytes::from_static(b"cde")];
            sink.begin(if more { 7 } else { 5 }, Piece::Chunks { parts, len: 5 }, more).await.unwrap();
            let expected: &[u8] = if more { b"abcde\0\0" } else { b"abcde" };
            assert_eq!(std::fs::read(&path).unwrap(), expected, "more ranges to come: {more}");
            std::fs::remove_file(path).unwrap();
        }
    }

    #[tokio::test]
    async fn a_file_range_writes_its_bytes_each_time_enough_have_gathered() {
        let (path, file) = temp_file("spill");
        // Two chunks make more than the threshold, so every second one writes.
        let size = SPILL_AT as usize * 3 / 5;
        let mut range = FileRange::new(file, 2);
        let mut most_held = 0;
        for byte in 1..=5u8 {
            range.put(Bytes::from(vec![byte; size]));
            most_held = most_held.max(range.pending_len);
            range.spill().await.unwrap();
            let on_disk = std::fs::metadata(&path).unwrap().len().saturating_sub(2);
            assert_eq!(on_disk, range.written, "what was written is in the file");
        }
        assert_eq!(range.written, 4 * size as u64, "written twice, each time the threshold was passed");
        assert!(most_held < SPILL_AT + size as u64, "held at most the threshold and a chunk: {most_held}");
        assert_eq!(range.filled(), 5 * size as u64);
        assert_eq!(range.finish().await.unwrap(), 5 * size as u64);
        let data = std::fs::read(&path).unwrap();
        let expected: Vec<u8> = [0u8, 0].into_iter().chain((1..=5u8).flat_map(|b| vec![b; size])).collect();
        assert!(data == expected, "every chunk at its place");
        std::fs::remove_file(path).unwrap();
    }

    #[tokio::test]
    async fn a_file_range_truncated_is_read_again_over_what_it_wrote() {
        let (path, file) = temp_file("truncate");
        let mut range = FileRange::new(file, 0);
        range.put(Bytes::from(vec![1u8; SPILL_AT as usize]));
        range.spill().await.unwrap();
        range.put(Bytes::from_static(b"abc"));
        range.truncate(SPILL_AT + 1);
        assert_eq!(range.filled(), SPILL_AT + 1, "within what was pending");
        range.truncate(10);
        assert_eq!(range.filled(), 10, "within what was written");
        range.put(Bytes::from_static(b"xy"));
        assert_eq!(range.finish().await.unwrap(), 12);
        let data = std::fs::read(&path).unwrap();
        assert_eq!(&data[8..14], &[1, 1, b'x', b'y', 1, 1], "the bytes after the cut written again in place");
        std::fs::remove_file(path).unwrap();
    }

    #[tokio::test]
    async fn file_writes_take_turns() {
        let (path, file) = temp_file("turns");
        let other_write = Arc::clone(&file).lock_owned().await;
        let mut write = Box::pin(write_at(Arc::clone(&file), vec![Bytes::from_static(b"abc")], 2));
        assert!(futures_util::FutureExt::now_or_never(&mut write).is_none(), "it waits for the write in progress");
        drop(other_write);
        write.await.unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"\0\0abc");
        std::fs::remove_file(path).unwrap();
    }
}
