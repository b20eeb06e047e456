//! `BlobClient`'s copies in server-side blocks: one Put Block From URL, and
//! a copy of any size run by the `transfer` block copy engine.

use std::sync::Arc;

use url::Url;

use super::copy::CopySource;
use super::BlobClient;
use crate::error::{Error, Result};
use crate::ops::blob_properties::PropertiesOptions;
use crate::ops::models::{BlobProperties, ContentHeaders};
use crate::ops::put_block_from_url::{build_put_block_from_url_request, refine_source_changed, PutBlockFromUrlOptions};
use crate::redact::redact_url;
use crate::transfer::{run_block_copy, BlockCopyOptions, CopySourceInfo, SourceAuth, UploadReport};

impl BlobClient {
    /// Stages the whole of `source` (at most 4000 MiB) as the uncommitted
    /// block `block_id` (base64, at most 64 bytes before encoding) with
    /// [Put Block From URL](https://learn.microsoft.com/rest/api/storageservices/put-block-from-url):
    /// the service reads the source, nothing passes through the client.
    ///
    /// The source is authorized as for [`copy_from_url`](Self::copy_from_url):
    /// its URL's own SAS, a one-blob read SAS made from a Shared Key, or a
    /// bearer token in `x-ms-copy-source-authorization` where the source
    /// client's scope lets its token go to this blob's host.
    pub async fn put_block_from_url(&self, block_id: &str, source: &CopySource) -> Result<()> {
        self.put_block_from_url_opts(block_id, source, &PutBlockFromUrlOptions::default()).await
    }

    /// Put Block From URL of a range of the source, pinned to its ETag.
    ///
    /// A source that no longer has `source_if_match` fails with
    /// [`ErrorKind::SourceChanged`](crate::ErrorKind::SourceChanged).
    pub async fn put_block_from_url_opts(
        &self,
        block_id: &str,
        source: &CopySource,
        options: &PutBlockFromUrlOptions,
    ) -> Result<()> {
        let destination = self.url()?;
        let (source_url, bearer) = source.resolve(true, &destination).await?;
        let request = build_put_block_from_url_request(destination, block_id, &source_url, bearer.as_deref(), options)?;
        self.pipeline().execute(request).await.map_err(refine_source_changed)?;
        Ok(())
    }

    /// Copies `source`, of any size, into this block blob: parallel
    /// [Put Block From URL](https://learn.microsoft.com/rest/api/storageservices/put-block-from-url)
    /// calls of 128 MiB blocks, each pinned to the source's ETag, then one
    /// [Put Block List](https://learn.microsoft.com/rest/api/storageservices/put-block-list).
    ///
    /// Unlike [`copy_from_url`](Self::copy_from_url) it has no 256 MiB
    /// limit, and unlike [`start_copy`](Self::start_copy) it takes a bearer
    /// token for its source and runs as fast as its parallel blocks. The new
    /// blob gets the source's content headers and metadata. A source that
    /// changes during the copy fails it with
    /// [`ErrorKind::SourceChanged`](crate::ErrorKind::SourceChanged), and
    /// nothing is committed.
    pub async fn copy_blocks_from_url(&self, source: &CopySource) -> Result<UploadReport> {
        self.copy_blocks_from_url_opts(source, &BlockCopyOptions::default()).await
    }

    /// A block copy with block size, concurrency, the new blob's settings,
    /// progress and a checkpoint to resume from.
    ///
    /// ```no_run
    /// # async fn f(source: azblob::BlobClient, target: azblob::BlobClient) -> azblob::Result<()> {
    /// use azblob::{BlockCopyOptions, CopySource};
    /// let options = BlockCopyOptions {
    ///     checkpoint: Some("model.copy.json".into()),
    ///     resume: true,
    ///     ..BlockCopyOptions::default()
    /// };
    /// let report = target.copy_blocks_from_url_opts(&CopySource::blob(&source), &options).await?;
    /// println!("{} blocks, {} already staged", report.blocks, report.resumed_blocks);
    /// # Ok(()) }
    /// ```
    pub async fn copy_blocks_from_url_opts(
        &self,
        source: &CopySource,
        options: &BlockCopyOptions,
    ) -> Result<UploadReport> {
        options.validate()?;
        let destination = self.url()?;
        let props = match (&options.source_properties, source) {
            (Some(props), _) => props.clone(),
            (None, CopySource::Blob { blob, selector }) => {
                blob.properties_opts(&PropertiesOptions { selector: selector.clone(), ..Default::default() }).await?
            }
            (None, CopySource::Url(url)) => {
                return Err(Error::invalid_input(format!(
                    "a block copy from {} needs the source's properties (BlockCopyOptions::source_properties)",
                    redact_url(url)
                )))
            }
        };
        // Resolved once up front, so a source this client may not authorize
        // fails before anything is written, and to name it in the checkpoint.
        let (first, _) = source.resolve(true, &destination).await?;
        let info = CopySourceInfo { id: source_id(&first), etag: props.etag.clone(), size: props.content_length };
        let auth: SourceAuth = {
            let (source, destination) = (source.clone(), destination.clone());
            Arc::new(move || {
                let (source, destination) = (source.clone(), destination.clone());
                Box::pin(async move { source.resolve(true, &destination).await })
            })
        };
        let mut options = options.clone();
        inherit(&mut options, &props);
        run_block_copy(&self.transfer_target()?, &info, auth, &options).await
    }
}

/// The source's URL without its credentials, a snapshot or version kept: it
/// names the source in a checkpoint.
fn source_id(url: &Url) -> String {
    let mut id = url.clone();
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k == "snapshot" || k == "versionid")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    id.set_query(None);
    if !kept.is_empty() {
        id.query_pairs_mut().extend_pairs(kept);
    }
    id.to_string()
}

/// Empty content headers and metadata take the source's, as Copy Blob does.
fn inherit(options: &mut BlockCopyOptions, props: &BlobProperties) {
    if options.blob.content == ContentHeaders::default() {
        options.blob.content = props.content.clone();
    }
    if options.blob.metadata.is_empty() {
        options.blob.metadata = props.metadata.clone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_source_is_named_without_its_sas() {
        let url: Url =
            "https://a.blob.core.windows.net/c/b?snapshot=2026-01-01T00%3A00%3A00Z&sv=2023-11-03&sig=c2VjcmV0"
                .parse()
                .unwrap();
        assert_eq!(source_id(&url), "https://a.blob.core.windows.net/c/b?snapshot=2026-01-01T00%3A00%3A00Z");
        let plain: Url = "http://127.0.0.1:10000/devstoreaccount1/c/b?sig=x".parse().unwrap();
        assert_eq!(source_id(&plain), "http://127.0.0.1:10000/devstoreaccount1/c/b");
    }
}
