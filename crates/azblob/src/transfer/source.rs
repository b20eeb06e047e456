//! What an upload reads from: bytes in memory, a file, or a stream of unknown length.

use std::fmt;
use std::path::PathBuf;

use bytes::Bytes;
use tokio::io::AsyncRead;

/// The data of an upload; build one with `From` (bytes in memory),
/// [`UploadSource::file`] or [`UploadSource::reader`].
#[non_exhaustive]
pub enum UploadSource {
    /// Bytes already in memory.
    Bytes(Bytes),
    /// A local file, read with positional reads so blocks load in parallel.
    File(PathBuf),
    /// Any async reader of unknown length, read block by block.
    Reader(Box<dyn AsyncRead + Send + Unpin>),
}

impl UploadSource {
    /// A local file, read block by block with positional reads; its identity
    /// (size, modification time, and on Unix inode and change time) is
    /// checked again before the commit, so a file that changed is never committed.
    pub fn file(path: impl Into<PathBuf>) -> Self {
        UploadSource::File(path.into())
    }

    /// A stream of unknown length, read in order one block at a time.
    pub fn reader(reader: impl AsyncRead + Send + Unpin + 'static) -> Self {
        UploadSource::Reader(Box::new(reader))
    }
}

impl fmt::Debug for UploadSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UploadSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            UploadSource::File(p) => write!(f, "File({})", p.display()),
            UploadSource::Reader(_) => f.write_str("Reader"),
        }
    }
}

impl From<Bytes> for UploadSource {
    fn from(bytes: Bytes) -> Self {
        UploadSource::Bytes(bytes)
    }
}

impl From<Vec<u8>> for UploadSource {
    fn from(bytes: Vec<u8>) -> Self {
        UploadSource::Bytes(bytes.into())
    }
}

impl From<&'static [u8]> for UploadSource {
    fn from(bytes: &'static [u8]) -> Self {
        UploadSource::Bytes(Bytes::from_static(bytes))
    }
}

impl<const N: usize> From<&'static [u8; N]> for UploadSource {
    fn from(bytes: &'static [u8; N]) -> Self {
        UploadSource::Bytes(Bytes::from_static(bytes))
    }
}

impl From<&'static str> for UploadSource {
    fn from(text: &'static str) -> Self {
        UploadSource::Bytes(Bytes::from_static(text.as_bytes()))
    }
}
