//! `BlobClient`'s append-blob operations.

use bytes::Bytes;
use http::StatusCode;

use super::BlobClient;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::append_blob::{
    build_append_block_request, build_create_append_blob_request, build_seal_request, may_have_appended_earlier,
    AppendOptions, CreateAppendBlobOptions, MAX_APPEND_BLOCK_BYTES,
};
use crate::ops::conditions::Conditions;
use crate::ops::error_map::error_from_response;
use crate::ops::get_blob::GetOptions;
use crate::ops::models::BlobRange;
use crate::ops::put_blob::{parse_write_response, WriteResult};

impl BlobClient {
    /// Creates an empty append blob with
    /// [Put Blob](https://learn.microsoft.com/rest/api/storageservices/put-blob)
    /// (`x-ms-blob-type: AppendBlob`), replacing any blob of that name.
    pub async fn create_append_blob(&self) -> Result<WriteResult> {
        self.create_append_blob_opts(&CreateAppendBlobOptions::default()).await
    }

    /// Creates an empty append blob with content headers, metadata and
    /// conditions (such as [`Conditions::if_not_exists`]).
    pub async fn create_append_blob_opts(&self, options: &CreateAppendBlobOptions) -> Result<WriteResult> {
        let request = build_create_append_blob_request(self.url()?, options)?;
        let response =
            self.pipeline().execute(request).await.map_err(|e| super::refine_if_not_exists(e, &options.conditions))?;
        parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("CreateAppendBlob"))
    }

    /// Appends `data` with [Append Block](https://learn.microsoft.com/rest/api/storageservices/append-block),
    /// split into blocks of at most 100 MiB.
    ///
    /// With `append_position`, each block is conditioned on the blob's length
    /// (advanced block by block), so a retry cannot append twice and is safe;
    /// without it, a failed block is not retried after it may have been sent.
    /// A position that does not match fails with `PreconditionFailed`,
    /// except when a repeat finds the blob already holding this very block
    /// at that position: the attempt whose answer was lost appended it.
    pub async fn append(&self, data: impl Into<Bytes>) -> Result<WriteResult> {
        self.append_opts(data, &AppendOptions::default()).await
    }

    /// Append Block at a position (`x-ms-blob-condition-appendpos`) or with a
    /// maximum size (`x-ms-blob-condition-maxsize`); see [`append`](Self::append).
    pub async fn append_opts(&self, data: impl Into<Bytes>, options: &AppendOptions) -> Result<WriteResult> {
        let data = data.into();
        let url = self.url()?;
        // The position advances block by block; one past u64 could only
        // overflow, so it is refused before anything is sent.
        if let Some(position) = options.append_position {
            position.checked_add(data.len() as u64).ok_or_else(|| {
                Error::invalid_input(format!(
                    "append position {position} plus {} bytes is past any blob's length",
                    data.len()
                ))
            })?;
        }
        let mut options = options.clone();
        let mut offset = 0usize;
        loop {
            let end = (offset + MAX_APPEND_BLOCK_BYTES as usize).min(data.len());
            let block = data.slice(offset..end);
            let request = build_append_block_request(url.clone(), block.clone(), &options)?;
            let response = self.pipeline().send(request).await?;
            let written = if response.status.is_success() {
                parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("AppendBlock"))?
            } else {
                let earlier = options.append_position.filter(|_| may_have_appended_earlier(&response));
                let error = error_from_response(response, "AppendBlock").await;
                match earlier {
                    Some(position) => self.appended_earlier(position, &block).await?.ok_or(error)?,
                    None => return Err(error),
                }
            };
            if let Some(position) = options.append_position.as_mut() {
                *position += (end - offset) as u64;
            }
            offset = end;
            if offset >= data.len() {
                return Ok(written);
            }
        }
    }

    /// Whether the blob holds `block` at `position`, read back; the blob's
    /// state then stands for the lost answer of the append that put it there.
    async fn appended_earlier(&self, position: u64, block: &Bytes) -> Result<Option<WriteResult>> {
        let range = GetOptions { range: Some(BlobRange::new(position, block.len() as u64)), ..Default::default() };
        let response = match self.get_opts(&range).await {
            Ok(response) => response,
            // Shorter than the position plus the block: it did not land.
            Err(e) if e.kind() == ErrorKind::InvalidRange => return Ok(None),
            Err(e) => return Err(e),
        };
        // A server that answers with more than the range asked is not believed
        // either; the body never runs past the length its headers announce.
        if response.head.body_length > block.len() as u64 {
            let why = format!("the answer is longer than {} bytes, the most this client reads", block.len());
            return Err(crate::error::Error::invalid_response(why).with_operation("GetBlob"));
        }
        let head = response.head.clone();
        let read = response.bytes().await?;
        if read != *block {
            return Ok(None);
        }
        let p = head.properties;
        Ok(Some(WriteResult {
            etag: p.etag,
            last_modified: Some(p.last_modified),
            version_id: p.version_id,
            content_md5: None,
        }))
    }

    /// Seals an append blob with [Append Blob Seal](https://learn.microsoft.com/rest/api/storageservices/append-blob-seal):
    /// later appends fail with `Conflict` (`BlobIsSealed`).
    pub async fn seal(&self) -> Result<WriteResult> {
        self.seal_opts(&Conditions::default()).await
    }

    /// Append Blob Seal with conditions.
    pub async fn seal_opts(&self, conditions: &Conditions) -> Result<WriteResult> {
        let request = build_seal_request(self.url()?, conditions)?;
        let response = self.pipeline().execute(request).await?;
        parse_write_response(&response, StatusCode::OK).map_err(|e| e.with_operation("SealAppendBlob"))
    }
}
