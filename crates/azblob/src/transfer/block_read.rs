//! How an upload's block gets its bytes and its MD5s: a file block is read
//! once, with positional reads on one shared handle, into a pooled buffer,
//! and hashed piece by piece as it is read, while each piece is still in
//! the cache; a block already in memory is hashed once for both MD5s.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use bytes::Bytes;
use md5::Digest as _;

use super::buffer_pool::{BufferPool, PoolBuffer};
use super::hash::{until_dropped, PIECE};
use super::ordered_md5::OrderedMd5;
use crate::error::{Error, ErrorKind, Result};

/// The MD5s an upload asks of each block.
#[derive(Debug, Clone, Default)]
pub(crate) struct BlockHashes {
    /// The whole blob's MD5, fed in block order.
    pub(crate) whole: Option<Arc<OrderedMd5>>,
    /// Whether each Put Block carries its own (transactional) MD5.
    pub(crate) transactional: bool,
}

/// A block's bytes and its transactional MD5, when asked for.
pub(crate) type Hashed = (Bytes, Option<[u8; 16]>);

/// A source file opened once for the whole upload, its blocks read at
/// their offsets into the pool's buffers. Reads share no file position, so
/// blocks are read in parallel on one handle.
#[derive(Debug)]
pub(crate) struct FileBlocks {
    file: PositionalFile,
    path: PathBuf,
    pool: BufferPool,
}

impl FileBlocks {
    /// Opens the file at `path`, whose blocks go into `pool`'s buffers.
    pub(crate) fn open(path: PathBuf, pool: BufferPool) -> Result<Self> {
        let file = std::fs::File::open(&path).map_err(|e| read_error(&path, e))?;
        Ok(FileBlocks { file: PositionalFile::new(file), path, pool })
    }

    /// Reads block `index`, `len` bytes at `offset`, and hashes it as asked.
    ///
    /// With the whole blob's MD5 the block waits for its turn before it
    /// takes a buffer, so the blocks waiting hold none; reads then follow
    /// block order, which the hash needs anyway.
    pub(crate) async fn read(
        self: &Arc<Self>,
        index: u64,
        offset: u64,
        len: u64,
        hashes: &BlockHashes,
    ) -> Result<Hashed> {
        let transactional = hashes.transactional;
        let this = Arc::clone(self);
        match &hashes.whole {
            Some(whole) => {
                let turn = whole.turn(index).await?;
                let buffer = self.pool.get().await?;
                turn.run(move |hasher, stop| this.fill(buffer, offset, len, Some(hasher), transactional, stop)).await?
            }
            None => {
                let buffer = self.pool.get().await?;
                until_dropped(move |stop| this.fill(buffer, offset, len, None, transactional, stop)).await?
            }
        }
    }

    /// Reads `len` bytes at `offset` into `buffer` a piece at a time, each
    /// piece hashed right after it is read; `None` if `stop` was set.
    fn fill(
        &self,
        mut buffer: PoolBuffer,
        offset: u64,
        len: u64,
        mut whole: Option<&mut md5::Md5>,
        transactional: bool,
        stop: &AtomicBool,
    ) -> Option<Result<Hashed>> {
        let len = len as usize;
        let mut own = transactional.then(md5::Md5::new);
        let space = buffer.space(len);
        if space.len() < len {
            return Some(Err(Error::new(ErrorKind::Other, "a block is larger than the upload's buffers")));
        }
        for start in (0..len).step_by(PIECE) {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            let piece = &mut space[start..len.min(start + PIECE)];
            if let Err(e) = self.file.read_exact_at(piece, offset + start as u64) {
                return Some(Err(match e.kind() {
                    std::io::ErrorKind::UnexpectedEof => Error::new(
                        ErrorKind::SourceChanged,
                        format!("{} shrank during the upload; nothing was committed", self.path.display()),
                    ),
                    _ => read_error(&self.path, e),
                }));
            }
            feed(whole.as_deref_mut(), own.as_mut(), piece);
        }
        let digest = own.map(|h| h.finalize().into());
        Some(Ok((buffer.freeze(len), digest)))
    }
}

/// Hashes a block already in memory for both MD5s at once, a piece at a
/// time, so each piece is read from memory once.
pub(crate) async fn hash_in_memory(index: u64, data: Bytes, hashes: &BlockHashes) -> Result<Hashed> {
    let transactional = hashes.transactional;
    if hashes.whole.is_none() && !transactional {
        return Ok((data, None));
    }
    let work = move |mut whole: Option<&mut md5::Md5>, stop: &AtomicBool| {
        let mut own = transactional.then(md5::Md5::new);
        for piece in data.chunks(PIECE) {
            if stop.load(std::sync::atomic::Ordering::Relaxed) {
                return None;
            }
            feed(whole.as_deref_mut(), own.as_mut(), piece);
        }
        Some((data, own.map(|h| h.finalize().into())))
    };
    match &hashes.whole {
        Some(md5) => md5.turn(index).await?.run(move |hasher, stop| work(Some(hasher), stop)).await,
        None => until_dropped(move |stop| work(None, stop)).await,
    }
}

fn feed(whole: Option<&mut md5::Md5>, own: Option<&mut md5::Md5>, piece: &[u8]) {
    if let Some(whole) = whole {
        whole.update(piece);
    }
    if let Some(own) = own {
        own.update(piece);
    }
}

/// The error for a failed read of the source file at `path`.
pub(crate) fn read_error(path: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("cannot read {}: {e}", path.display())).with_source_in_message(e)
}

/// A file read at offsets from several threads at once.
#[derive(Debug)]
struct PositionalFile {
    file: std::fs::File,
    /// Elsewhere reads move the one file position, so they take turns.
    #[cfg(not(any(unix, windows)))]
    position: std::sync::Mutex<()>,
}

impl PositionalFile {
    fn new(file: std::fs::File) -> Self {
        PositionalFile {
            file,
            #[cfg(not(any(unix, windows)))]
            position: std::sync::Mutex::new(()),
        }
    }

    /// Fills `buf` from `offset`; `UnexpectedEof` if the file ends first.
    #[cfg(unix)]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        std::os::unix::fs::FileExt::read_exact_at(&self.file, buf, offset)
    }

    #[cfg(windows)]
    fn read_exact_at(&self, mut buf: &mut [u8], mut offset: u64) -> std::io::Result<()> {
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(&self.file, buf, offset) {
                Ok(0) => return Err(std::io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    #[cfg(not(any(unix, windows)))]
    fn read_exact_at(&self, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
        use std::io::{Read, Seek, SeekFrom};
        let _turn = self.position.lock().unwrap_or_else(|p| p.into_inner());
        let mut file = &self.file;
        file.seek(SeekFrom::Start(offset))?;
        file.read_exact(buf)
    }
}

#[cfg(test)]
mod tests {
    use futures_util::stream::{self, StreamExt, TryStreamExt};

    use super::*;
    use crate::ops::request_util::md5_digest;
    use crate::transfer::gauge::BufferGauge;

    fn scratch_file(name: &str, data: &[u8]) -> PathBuf {
        let path = std::env::temp_dir().join(format!("azblob-block-read-{}-{name}", std::process::id()));
        std::fs::write(&path, data).unwrap();
        path
    }

    fn blocks(path: &Path, capacity: usize, block: usize) -> (Arc<FileBlocks>, Arc<BufferGauge>) {
        let gauge = Arc::new(BufferGauge::default());
        let pool = BufferPool::new(capacity, block, &gauge);
        (Arc::new(FileBlocks::open(path.to_owned(), pool).unwrap()), gauge)
    }

    #[tokio::test]
    async fn hashing_while_reading_gives_the_md5s_of_hashing_afterwards() {
        // Blocks of 2.5 pieces, so pieces and blocks do not line up.
        let block = PIECE * 5 / 2;
        let data: Vec<u8> = (0..4 * block + 123).map(|i| (i * 7 % 251) as u8).collect();
        let path = scratch_file("md5", &data);
        let (file, gauge) = blocks(&path, 3, block);
        let whole = Arc::new(OrderedMd5::new());
        let hashes = BlockHashes { whole: Some(Arc::clone(&whole)), transactional: true };
        let count = data.len().div_ceil(block) as u64;
        // Each block is checked and dropped as it arrives, as an upload
        // drops a block once sent, so its buffer goes back to the pool.
        let data = &data;
        stream::iter(0..count)
            .map(|index| {
                let (file, hashes) = (Arc::clone(&file), hashes.clone());
                let offset = index * block as u64;
                let len = (data.len() as u64 - offset).min(block as u64);
                async move {
                    let (bytes, digest) = file.read(index, offset, len, &hashes).await?;
                    let expected = &data[offset as usize..(offset + len) as usize];
                    assert_eq!(&bytes[..], expected);
                    assert_eq!(digest, Some(md5_digest(expected)), "block {index}");
                    Ok::<_, Error>(())
                }
            })
            .buffer_unordered(3)
            .try_collect::<()>()
            .await
            .unwrap();
        assert_eq!(whole.finish(), md5_digest(data));
        assert!(gauge.peak() <= 3 * block as u64, "never more buffers than the pool's capacity");
        std::fs::remove_file(path).unwrap();
    }

    #[tokio::test]
    async fn in_memory_blocks_get_the_same_md5s() {
        let data = Bytes::from((0..3 * PIECE + 5).map(|i| i as u8).collect::<Vec<_>>());
        let whole = Arc::new(OrderedMd5::new());
        let hashes = BlockHashes { whole: Some(Arc::clone(&whole)), transactional: true };
        let (same, digest) = hash_in_memory(0, data.clone(), &hashes).await.unwrap();
        assert_eq!((same, digest), (data.clone(), Some(md5_digest(&data))));
        assert_eq!(whole.finish(), md5_digest(&data));
        let none = hash_in_memory(0, data.clone(), &BlockHashes::default()).await.unwrap();
        assert_eq!(none, (data, None));
    }

    #[tokio::test]
    async fn a_file_that_shrank_fails_clearly() {
        let path = scratch_file("shrank", &[1u8; 1000]);
        let (file, _gauge) = blocks(&path, 1, 600);
        assert_eq!(&file.read(0, 0, 600, &BlockHashes::default()).await.unwrap().0[..], &[1u8; 600][..]);
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(700).unwrap();
        let err = file.read(1, 600, 400, &BlockHashes::default()).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::SourceChanged, "{err}");
        assert!(err.to_string().contains("shrank during the upload"), "{err}");
        std::fs::remove_file(path).unwrap();
    }

    #[tokio::test]
    async fn a_reused_buffer_holds_only_the_new_block() {
        let data: Vec<u8> = (0..150u8).collect();
        let path = scratch_file("reuse", &data);
        let (file, _gauge) = blocks(&path, 1, 100);
        let (first, _) = file.read(0, 0, 100, &BlockHashes::default()).await.unwrap();
        let at = first.as_ptr();
        drop(first);
        let (second, _) = file.read(1, 100, 50, &BlockHashes::default()).await.unwrap();
        assert_eq!(second.as_ptr(), at, "the first block's buffer, reused");
        assert_eq!(&second[..], &data[100..]);
        std::fs::remove_file(path).unwrap();
    }
}
