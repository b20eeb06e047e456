//! What an upload reads from: bytes in memory, a file, or a stream of unknown length.

use std::fmt;
use std::path::PathBuf;

use bytes::Bytes;
use tokio::io::AsyncRead;

/// The data of an upload.
pub enum UploadSource {
    /// Bytes already in memory.
    Bytes(Bytes),
    /// A local file, read with positional reads so blocks load in parallel.
    File(PathBuf),
    /// Any async reader of unknown length, read block by block.
    Reader(Box<dyn AsyncRead + Send + Unpin>),
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
