//! The upload engine's input: bytes, a file or a stream, read block by block.
//!
//! Every source goes through the same steps: `open` learns what it can of
//! its size (a stream is read ahead until it ends or passes the single-Put
//! limit), `read_all` hands a small source to one Put Blob, and `loads`
//! turns a large one into a stream of blocks to send. A block's bytes are
//! read and hashed in [`BlockLoad::load`], on the uploader that sends it; a
//! file's blocks go into the buffers of one pool (`buffer_pool.rs`), read
//! through one handle (`block_read.rs`).

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use futures_util::stream::{self, BoxStream, StreamExt};
use tokio::io::{AsyncRead, AsyncReadExt};

use super::block_read::{hash_in_memory, read_error, BlockHashes, FileBlocks};
use super::buffer_pool::{pool_capacity, BufferPool};
use super::checkpoint::would_overwrite;
use super::gauge::{BufferGauge, GaugeGuard};
use super::identity::SourceIdentity;
use super::options::UploadOptions;
use super::ordered_md5::OrderedMd5;
use super::source::UploadSource;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::block_blob::MAX_BLOCKS;

/// The one rule that decides between one Put Blob and blocks: an upload
/// whose size is known and at most this goes in one Put Blob. Bytes already
/// in memory cost nothing more to send whole, so for them the limit is
/// `single_put_max`; a file or a stream would have to be read into memory
/// first, so for them it is also capped at the memory a block upload holds
/// (`UploadOptions::memory_bound`: `block_size × n` when fixed, the blocks
/// of the start level within the memory budget when adaptive).
pub(crate) fn single_put_limit(options: &UploadOptions, in_memory: bool) -> u64 {
    if in_memory {
        return options.single_put_max;
    }
    options.single_put_max.min(options.memory_bound())
}

/// A block read, hashed as asked, and ready to send; its bytes (or, for a
/// stream's block, its guard) keep it on the gauge.
#[derive(Debug)]
pub(crate) struct Block {
    pub(crate) index: u64,
    pub(crate) data: Bytes,
    /// The block's own MD5, when Put Block is to carry it.
    pub(crate) md5: Option<[u8; 16]>,
    /// False for a block a resumed upload finds already staged: it is read
    /// only to feed the whole blob's MD5.
    pub(crate) send: bool,
    _guard: Option<GaugeGuard>,
}

/// A block before its bytes are read and hashed: loading happens on the
/// uploader that sends it, so file reads run in parallel.
pub(crate) enum BlockLoad {
    /// Already in memory (a slice of a bytes source, or read from a stream).
    Ready { index: u64, data: Bytes, send: bool, guard: Option<GaugeGuard> },
    /// To be read from a file at `offset`.
    File { file: Arc<FileBlocks>, index: u64, offset: u64, len: u64, send: bool },
    /// Reading the stream failed, or it is too long.
    Failed(Error),
}

impl BlockLoad {
    /// Whether this load ends in a request: false for a block a resumed
    /// upload only reads to feed the whole blob's MD5.
    pub(crate) fn sends(&self) -> bool {
        match self {
            BlockLoad::Ready { send, .. } | BlockLoad::File { send, .. } => *send,
            BlockLoad::Failed(_) => true,
        }
    }

    /// The block's bytes, hashed for `hashes` as they are read.
    pub(crate) async fn load(self, hashes: &BlockHashes) -> Result<Block> {
        match self {
            BlockLoad::Ready { index, data, send, guard } => {
                let (data, md5) = hash_in_memory(index, data, hashes).await?;
                Ok(Block { index, data, md5, send, _guard: guard })
            }
            BlockLoad::File { file, index, offset, len, send } => {
                // The pool's buffer keeps the block on the gauge.
                let (data, md5) = file.read(index, offset, len, hashes).await?;
                Ok(Block { index, data, md5, send, _guard: None })
            }
            BlockLoad::Failed(err) => Err(err),
        }
    }
}

/// A source file and what was first seen of it.
#[derive(Debug)]
pub(crate) struct FileSource {
    pub(crate) path: PathBuf,
    pub(crate) identity: SourceIdentity,
    pub(crate) size: u64,
}

/// A stream, with the blocks read ahead of the decision.
pub(crate) struct ReaderSource {
    reader: Box<dyn AsyncRead + Send + Unpin>,
    ahead: VecDeque<(Bytes, GaugeGuard)>,
    /// Whether the stream ended within the blocks read ahead.
    ended: bool,
    total: u64,
}

/// An upload's data, opened.
pub(crate) enum BlockSource {
    Bytes(Bytes),
    File(FileSource),
    Reader(ReaderSource),
}

impl BlockSource {
    /// Opens `source`: a file is checked and its identity taken, a stream is
    /// read ahead until it ends or reaches the single-Put limit, which never
    /// holds more than the memory bound (`UploadOptions::memory_bound`).
    pub(crate) async fn open(source: UploadSource, options: &UploadOptions, gauge: &Arc<BufferGauge>) -> Result<Self> {
        if options.checkpoint.is_some() && !matches!(source, UploadSource::File(_)) {
            return Err(Error::invalid_input("checkpoints and resume need a file source"));
        }
        match source {
            UploadSource::Bytes(data) => Ok(BlockSource::Bytes(data)),
            UploadSource::File(path) => open_file(path, options).await.map(BlockSource::File),
            UploadSource::Reader(reader) => {
                let limit = single_put_limit(options, false);
                let mut source = ReaderSource { reader, ahead: VecDeque::new(), ended: false, total: 0 };
                while !source.ended && source.total < limit {
                    let guard = gauge.hold(options.block_size);
                    let data = read_up_to(&mut source.reader, options.block_size).await?;
                    source.ended = (data.len() as u64) < options.block_size;
                    source.total += data.len() as u64;
                    if !data.is_empty() {
                        source.ahead.push_back((data, guard));
                    }
                }
                Ok(BlockSource::Reader(source))
            }
        }
    }

    /// The upload's size, when known before its blocks are read.
    pub(crate) fn size(&self) -> Option<u64> {
        match self {
            BlockSource::Bytes(data) => Some(data.len() as u64),
            BlockSource::File(file) => Some(file.size),
            BlockSource::Reader(reader) => reader.ended.then_some(reader.total),
        }
    }

    /// Whether the whole source is in memory already.
    pub(crate) fn in_memory(&self) -> bool {
        matches!(self, BlockSource::Bytes(_))
    }

    /// The source file, for checkpoints and identity checks.
    pub(crate) fn file(&self) -> Option<&FileSource> {
        match self {
            BlockSource::File(file) => Some(file),
            _ => None,
        }
    }

    /// The whole (small) source as one buffer, with the guards that keep it
    /// on the gauge while it is sent, hashed into `whole` when given: a
    /// file as it is read, into one page-aligned buffer, in one pass.
    pub(crate) async fn read_all(
        self,
        gauge: &Arc<BufferGauge>,
        whole: Option<&Arc<OrderedMd5>>,
    ) -> Result<(Bytes, Vec<GaugeGuard>)> {
        let hashes = BlockHashes { whole: whole.cloned(), transactional: false };
        match self {
            BlockSource::Bytes(data) => Ok((hash_in_memory(0, data, &hashes).await?.0, Vec::new())),
            BlockSource::File(file) => {
                let size = usize::try_from(file.size).map_err(|_| Error::invalid_input("the file is too large"))?;
                // The pool's one buffer keeps the bytes on the gauge.
                let pool = BufferPool::new(1, size, gauge);
                let (data, _) =
                    Arc::new(FileBlocks::open(file.path.clone(), pool)?).read(0, 0, file.size, &hashes).await?;
                // The bytes read are what goes out: a change during the read
                // could have torn them, so the file must still be the one first seen.
                check_unchanged(&file.path, &file.identity)?;
                Ok((data, Vec::new()))
            }
            BlockSource::Reader(reader) => {
                let (parts, guards): (Vec<Bytes>, Vec<GaugeGuard>) = reader.ahead.into_iter().unzip();
                let data = match <[Bytes; 1]>::try_from(parts) {
                    Ok([one]) => one,
                    Err(parts) => parts.concat().into(),
                };
                Ok((hash_in_memory(0, data, &hashes).await?.0, guards))
            }
        }
    }

    /// The blocks to send: `wanted` lists `(index, send)` for a source of
    /// known size; a stream yields all its blocks in order and ignores it.
    pub(crate) fn loads(
        self,
        block_size: u64,
        wanted: Vec<(u64, bool)>,
        options: &UploadOptions,
        gauge: &Arc<BufferGauge>,
    ) -> Result<BoxStream<'static, BlockLoad>> {
        Ok(match self {
            BlockSource::Bytes(data) => stream::iter(wanted)
                .map(move |(index, send)| {
                    let start = (index * block_size) as usize;
                    let end = (start + block_size as usize).min(data.len());
                    BlockLoad::Ready { index, data: data.slice(start..end), send, guard: None }
                })
                .boxed(),
            BlockSource::File(source) => {
                let size = source.size;
                // No buffer larger than the file: a resumed small file needs no 8 MiB.
                let buffer_size = usize::try_from(block_size.min(size)).unwrap_or(usize::MAX);
                let pool = BufferPool::new(pool_capacity(options, block_size), buffer_size, gauge);
                let file = Arc::new(FileBlocks::open(source.path, pool)?);
                stream::iter(wanted)
                    .map(move |(index, send)| {
                        let offset = index * block_size;
                        let len = (size - offset).min(block_size);
                        BlockLoad::File { file: Arc::clone(&file), index, offset, len, send }
                    })
                    .boxed()
            }
            BlockSource::Reader(reader) => reader_loads(reader, block_size, Arc::clone(gauge)),
        })
    }
}

/// Checks a source file and takes its identity.
async fn open_file(path: PathBuf, options: &UploadOptions) -> Result<FileSource> {
    let metadata = tokio::fs::metadata(&path).await.map_err(|e| read_error(&path, e))?;
    if !metadata.is_file() {
        return Err(Error::invalid_input(format!("{} is not a regular file", path.display())));
    }
    if let Some(checkpoint) = &options.checkpoint {
        if would_overwrite(checkpoint, &path, &metadata) {
            return Err(Error::invalid_input(format!(
                "the checkpoint {} would be written over the file being uploaded, {}",
                checkpoint.display(),
                path.display()
            )));
        }
    }
    let identity = SourceIdentity::of(&path, &metadata);
    Ok(FileSource { size: metadata.len(), identity, path })
}

/// A stream's blocks in order: those read ahead, then the rest as the
/// uploaders ask for them.
fn reader_loads(source: ReaderSource, block_size: u64, gauge: Arc<BufferGauge>) -> BoxStream<'static, BlockLoad> {
    let state = (source, 0u64, gauge);
    stream::unfold(state, move |(mut source, index, gauge)| async move {
        let (data, guard) = match source.ahead.pop_front() {
            Some(ahead) => ahead,
            None if source.ended => return None,
            None => {
                let guard = gauge.hold(block_size);
                match read_up_to(&mut source.reader, block_size).await {
                    Ok(data) if data.is_empty() => return None,
                    Ok(data) => (data, guard),
                    Err(e) => {
                        source.ended = true;
                        return Some((BlockLoad::Failed(e), (source, index, gauge)));
                    }
                }
            }
        };
        let load = if index >= MAX_BLOCKS {
            source.ended = true;
            source.ahead.clear();
            BlockLoad::Failed(Error::invalid_input(format!(
                "the stream is longer than {MAX_BLOCKS} blocks of {block_size} bytes; use a larger block size"
            )))
        } else {
            BlockLoad::Ready { index, data, send: true, guard: Some(guard) }
        };
        Some((load, (source, index + 1, gauge)))
    })
    .boxed()
}

/// Reads until `limit` bytes or the end of the stream.
async fn read_up_to(reader: &mut (dyn AsyncRead + Send + Unpin), limit: u64) -> Result<Bytes> {
    let mut buf = BytesMut::with_capacity(limit as usize);
    while (buf.len() as u64) < limit {
        let n = reader.read_buf(&mut buf).await.map_err(|e| {
            Error::new(ErrorKind::Io, format!("cannot read the upload stream: {e}")).with_source_in_message(e)
        })?;
        if n == 0 {
            break;
        }
    }
    // `read_buf` may have grown the buffer past the limit.
    if buf.len() as u64 > limit {
        return Err(Error::new(ErrorKind::Other, "the reader overfilled a block"));
    }
    Ok(buf.freeze())
}

/// Refuses to go on when the file at `path` is no longer the one first seen.
pub(crate) fn check_unchanged(path: &Path, identity: &SourceIdentity) -> Result<()> {
    let now = SourceIdentity::read(path).map_err(|e| read_error(path, e))?;
    match identity.difference(&now) {
        None => Ok(()),
        Some(what) => Err(Error::new(
            ErrorKind::SourceChanged,
            format!("{} changed during the upload ({what}); nothing was committed", path.display()),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn options(single_put_max: u64, block_size: u64, concurrency: usize) -> UploadOptions {
        UploadOptions { single_put_max, block_size, concurrency: concurrency.into(), ..UploadOptions::default() }
    }

    #[test]
    fn one_limit_capped_by_the_memory_bound_unless_in_memory() {
        let o = options(256 * MIB, 8 * MIB, 8);
        assert_eq!(single_put_limit(&o, true), 256 * MIB);
        assert_eq!(single_put_limit(&o, false), 64 * MIB);
        let small = options(MIB, 8 * MIB, 8);
        assert_eq!(single_put_limit(&small, false), MIB);
        // Adaptive: the start level's blocks, within the memory budget.
        let adaptive = UploadOptions { single_put_max: 256 * MIB, ..UploadOptions::default() };
        assert_eq!(single_put_limit(&adaptive, false), 64 * MIB);
        let tight = UploadOptions { single_put_max: 256 * MIB, memory_budget: 32 * MIB, ..UploadOptions::default() };
        assert_eq!(single_put_limit(&tight, false), 32 * MIB);
    }

    async fn opened_reader(len: usize, o: &UploadOptions) -> BlockSource {
        let data: &'static [u8] = Vec::leak(vec![7u8; len]);
        let gauge = Arc::new(BufferGauge::default());
        BlockSource::open(UploadSource::reader(data), o, &gauge).await.unwrap()
    }

    #[tokio::test]
    async fn a_stream_is_read_ahead_only_up_to_the_limit() {
        let o = options(10, 4, 8);
        // 9 bytes end within the limit of 10: size known, one Put Blob.
        let source = opened_reader(9, &o).await;
        assert_eq!(source.size(), Some(9));
        // 11 bytes end after the limit: size known, but too large.
        assert_eq!(opened_reader(11, &o).await.size(), Some(11));
        // 13 bytes do not end within three blocks (12 bytes, past the limit): size unknown.
        let source = opened_reader(13, &o).await;
        assert_eq!(source.size(), None);
        let BlockSource::Reader(reader) = &source else { panic!("a reader") };
        assert_eq!(reader.ahead.len(), 3);
    }

    #[tokio::test]
    async fn a_stream_yields_its_read_ahead_blocks_then_the_rest_in_order() {
        let o = options(4, 4, 8);
        let data: Vec<u8> = (0..10u8).collect();
        let gauge = Arc::new(BufferGauge::default());
        let source = BlockSource::open(UploadSource::reader(&*Vec::leak(data.clone())), &o, &gauge).await.unwrap();
        let blocks: Vec<Block> = source
            .loads(4, Vec::new(), &o, &gauge)
            .unwrap()
            .then(|l| async { l.load(&BlockHashes::default()).await.unwrap() })
            .collect()
            .await;
        let indices: Vec<u64> = blocks.iter().map(|b| b.index).collect();
        assert_eq!(indices, vec![0, 1, 2]);
        let joined: Vec<u8> = blocks.iter().flat_map(|b| b.data.iter().copied()).collect();
        assert_eq!(joined, data);
    }

    #[tokio::test]
    async fn a_small_file_is_read_whole_and_hashed_as_it_is_read() {
        let data: Vec<u8> = (0..3 * 1024 * 1024 + 17).map(|i| (i % 241) as u8).collect();
        let path = std::env::temp_dir().join(format!("azblob-read-all-{}", std::process::id()));
        std::fs::write(&path, &data).unwrap();
        let gauge = Arc::new(BufferGauge::default());
        let source =
            BlockSource::open(UploadSource::file(&path), &options(64 * MIB, 8 * MIB, 8), &gauge).await.unwrap();
        let whole = Arc::new(OrderedMd5::new());
        let (read, _guards) = source.read_all(&gauge, Some(&whole)).await.unwrap();
        assert_eq!(&read[..], &data[..]);
        assert_eq!(whole.finish(), crate::ops::request_util::md5_digest(&data));
        assert_eq!(gauge.peak(), data.len() as u64, "one buffer of the file's size");
        drop(read);
        assert_eq!(gauge.live(), 0);
        std::fs::remove_file(path).unwrap();
    }
}
