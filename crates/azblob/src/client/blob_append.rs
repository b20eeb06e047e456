//! `BlobClient`'s append-blob operations.

use bytes::Bytes;
use http::StatusCode;

use super::BlobClient;
use crate::error::Result;
use crate::ops::append_blob::{
    build_append_block_request, build_create_append_blob_request, build_seal_request, AppendOptions,
    CreateAppendBlobOptions, MAX_APPEND_BLOCK_BYTES,
};
use crate::ops::conditions::Conditions;
use crate::ops::put_blob::{parse_write_response, WriteResult};

impl BlobClient {
    /// Creates an empty append blob (replacing any blob of that name unless
    /// the conditions say otherwise).
    pub async fn create_append_blob(&self, options: &CreateAppendBlobOptions) -> Result<WriteResult> {
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
    /// A position that does not match fails with `PreconditionFailed`.
    pub async fn append(&self, data: impl Into<Bytes>, options: &AppendOptions) -> Result<WriteResult> {
        let data = data.into();
        let url = self.url()?;
        let mut options = options.clone();
        let mut offset = 0usize;
        loop {
            let end = (offset + MAX_APPEND_BLOCK_BYTES as usize).min(data.len());
            let request = build_append_block_request(url.clone(), data.slice(offset..end), &options)?;
            let response = self.pipeline().execute(request).await?;
            let written =
                parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("AppendBlock"))?;
            if let Some(position) = options.append_position.as_mut() {
                *position += (end - offset) as u64;
            }
            offset = end;
            if offset >= data.len() {
                return Ok(written);
            }
        }
    }

    /// Seals an append blob with [Append Blob Seal](https://learn.microsoft.com/rest/api/storageservices/append-blob-seal):
    /// later appends fail with `Conflict` (`BlobIsSealed`).
    pub async fn seal(&self, conditions: &Conditions) -> Result<WriteResult> {
        let request = build_seal_request(self.url()?, conditions)?;
        let response = self.pipeline().execute(request).await?;
        parse_write_response(&response, StatusCode::OK).map_err(|e| e.with_operation("SealAppendBlob"))
    }
}
