//! `BlobClient`'s transfers: parallel uploads and downloads, run by the
//! `transfer` engines with the client's pipeline and the blob's URL.

use std::path::Path;
use std::sync::Arc;

use bytes::Bytes;
use tokio::io::AsyncWrite;

use super::BlobClient;
use crate::error::Result;
use crate::transfer::{self, BlobTarget, DownloadOptions, DownloadReport, UploadOptions, UploadReport, UploadSource};

impl BlobClient {
    /// What the transfer engines need of this blob.
    pub(super) fn transfer_target(&self) -> Result<BlobTarget> {
        let service = Arc::clone(self.service());
        Ok(BlobTarget::new(self.pipeline().clone(), self.url()?, Arc::new(move || service.new_session_id())))
    }

    /// Uploads bytes, a file ([`UploadSource::file`]) or a stream
    /// ([`UploadSource::reader`]) as the whole blob, with the default options.
    ///
    /// Up to the single-Put limit (see [`UploadOptions::single_put_max`]) it
    /// is one [Put Blob](https://learn.microsoft.com/rest/api/storageservices/put-blob);
    /// above, parallel [Put Block](https://learn.microsoft.com/rest/api/storageservices/put-block)
    /// calls and a [Put Block List](https://learn.microsoft.com/rest/api/storageservices/put-block-list).
    ///
    /// ```no_run
    /// # async fn f(blob: azblob::BlobClient) -> azblob::Result<()> {
    /// use azblob::UploadSource;
    /// blob.upload(b"hello").await?;
    /// let report = blob.upload(UploadSource::file("model.safetensors")).await?;
    /// println!("{} bytes in {} blocks", report.bytes, report.blocks);
    /// # Ok(()) }
    /// ```
    pub async fn upload(&self, source: impl Into<UploadSource>) -> Result<UploadReport> {
        self.upload_opts(source, &UploadOptions::default()).await
    }

    /// Uploads with block size, concurrency, checksums, progress, a
    /// checkpoint to resume from, and the blob's content headers, metadata,
    /// tier and conditions.
    ///
    /// ```no_run
    /// # async fn f(blob: azblob::BlobClient) -> azblob::Result<()> {
    /// use azblob::{UploadOptions, UploadSource};
    /// let options = UploadOptions {
    ///     block_size: 16 * 1024 * 1024,
    ///     checkpoint: Some("model.upload.json".into()),
    ///     resume: true,
    ///     ..UploadOptions::default()
    /// };
    /// let report = blob.upload_opts(UploadSource::file("model.safetensors"), &options).await?;
    /// println!("{} blocks, {} already there", report.blocks, report.resumed_blocks);
    /// # Ok(()) }
    /// ```
    pub async fn upload_opts(&self, source: impl Into<UploadSource>, options: &UploadOptions) -> Result<UploadReport> {
        transfer::run_upload(&self.transfer_target()?, source.into(), options).await
    }

    /// Reads the whole blob into memory with parallel ranged GETs (default
    /// 8 MiB × 8).
    pub async fn download(&self) -> Result<Bytes> {
        self.download_opts(&DownloadOptions::default()).await
    }

    /// Reads the whole blob (or a snapshot or version) into memory with the
    /// given chunk size, concurrency, MD5 check and progress. For the
    /// [`DownloadReport`], download into a `Vec<u8>` with
    /// [`download_to_writer_opts`](BlobClient::download_to_writer_opts).
    pub async fn download_opts(&self, options: &DownloadOptions) -> Result<Bytes> {
        transfer::download_to_memory(&self.transfer_target()?, options).await
    }

    /// Streams the blob into `writer` in order, holding at most
    /// `chunk_size × concurrency` bytes.
    pub async fn download_to_writer<W: AsyncWrite + Unpin + Send + ?Sized>(
        &self,
        writer: &mut W,
    ) -> Result<DownloadReport> {
        self.download_to_writer_opts(writer, &DownloadOptions::default()).await
    }

    /// Streams the blob into `writer` with the given options.
    pub async fn download_to_writer_opts<W: AsyncWrite + Unpin + Send + ?Sized>(
        &self,
        writer: &mut W,
        options: &DownloadOptions,
    ) -> Result<DownloadReport> {
        transfer::download_to_writer(&self.transfer_target()?, writer, options).await
    }

    /// Downloads the blob into a file with positional writes. The data goes
    /// to a temporary file beside `path`, renamed into place only on success,
    /// so a failure never leaves a truncated file under the final name; an
    /// existing file is replaced (see [`DownloadOptions::overwrite`]).
    pub async fn download_to_file(&self, path: impl AsRef<Path>) -> Result<DownloadReport> {
        self.download_to_file_opts(path, &DownloadOptions::default()).await
    }

    /// Downloads the blob into a file with the given options.
    pub async fn download_to_file_opts(
        &self,
        path: impl AsRef<Path>,
        options: &DownloadOptions,
    ) -> Result<DownloadReport> {
        transfer::download_to_file(&self.transfer_target()?, path.as_ref(), options, None, false).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// Transfers are spawned onto runtimes, so their futures must be `Send`.
    #[allow(dead_code, clippy::diverging_sub_expression)]
    fn transfer_futures_are_send(blob: BlobClient, mut out: tokio::io::Sink) {
        assert_send(&blob.upload(UploadSource::file("x")));
        assert_send(&blob.upload(Bytes::new()));
        assert_send(&blob.upload(UploadSource::reader(tokio::io::empty())));
        assert_send(&blob.download());
        assert_send(&blob.download_to_file("x"));
        assert_send(&blob.download_to_writer(&mut out));
    }
}
