//! `BlobClient`'s transfers: parallel uploads and downloads.

use std::path::Path;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite};

use super::BlobClient;
use crate::error::Result;
use crate::transfer::{self, DownloadOptions, DownloadReport, Upload, UploadSource};

impl BlobClient {
    /// Starts an upload from bytes, a file or a reader; configure it, then `.await` it.
    ///
    /// At or below `single_put_max` it is one Put Blob; above, parallel Put
    /// Block calls and a Put Block List.
    pub fn upload(&self, source: impl Into<UploadSource>) -> Upload<'_> {
        Upload::new(self, source.into())
    }

    /// Starts an upload of a local file, read with positional reads.
    pub fn upload_file(&self, path: impl AsRef<Path>) -> Upload<'_> {
        Upload::new(self, UploadSource::File(path.as_ref().to_path_buf()))
    }

    /// Starts an upload of a stream of unknown length, read block by block.
    pub fn upload_reader(&self, reader: impl AsyncRead + Send + Unpin + 'static) -> Upload<'_> {
        Upload::new(self, UploadSource::Reader(Box::new(reader)))
    }

    /// Reads the whole blob into memory with parallel ranged GETs (default
    /// 8 MiB × 8); see [`download_with`](BlobClient::download_with).
    pub async fn download(&self) -> Result<Bytes> {
        Ok(self.download_with(&DownloadOptions::default()).await?.0)
    }

    /// Reads the whole blob (or a version or snapshot) into memory.
    pub async fn download_with(&self, options: &DownloadOptions) -> Result<(Bytes, DownloadReport)> {
        transfer::download_to_memory(self, options).await
    }

    /// Streams the blob into `writer` in order, holding at most
    /// `chunk_size × concurrency` bytes.
    pub async fn download_to_writer<W: AsyncWrite + Unpin + Send + ?Sized>(
        &self,
        writer: &mut W,
        options: &DownloadOptions,
    ) -> Result<DownloadReport> {
        transfer::download_to_writer(self, writer, options).await
    }

    /// Downloads the blob into a file with positional writes. The data goes
    /// to a temporary file beside `path`, renamed into place only on success,
    /// so a failure never leaves a truncated file under the final name.
    pub async fn download_to_file(&self, path: impl AsRef<Path>, options: &DownloadOptions) -> Result<DownloadReport> {
        transfer::download_to_file(self, path.as_ref(), options).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// Transfers are spawned onto runtimes, so their futures must be `Send`.
    #[allow(dead_code, clippy::diverging_sub_expression)]
    fn transfer_futures_are_send(blob: BlobClient, mut out: tokio::io::Sink) {
        assert_send(&blob.upload_file("x").send());
        assert_send(&blob.upload(Bytes::new()).send());
        assert_send(&blob.download());
        assert_send(&blob.download_to_file("x", &DownloadOptions::default()));
        assert_send(&blob.download_to_writer(&mut out, &DownloadOptions::default()));
    }
}
