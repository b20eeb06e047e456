//! `BlobClient`'s block operations: stage blocks, commit a list of them, read the lists back.
//!
//! Uploads (`upload`) stage and commit blocks themselves; these are for
//! callers that manage blocks on their own, such as a multipart upload whose
//! parts arrive from elsewhere.

use bytes::Bytes;
use http::StatusCode;

use super::{refine_if_not_exists, BlobClient};
use crate::error::Result;
use crate::ops::blocks::{
    build_get_block_list, build_put_block, build_put_block_list, parse_block_list, BlockList, BlockListOptions,
    PutBlockListOptions, PutBlockOptions,
};
use crate::ops::put_blob::{parse_write_response, WriteResult};

/// The largest Get Block List answer read: 50,000 committed and 100,000
/// uncommitted blocks with 64-byte ids fit well within it.
const MAX_BLOCK_LIST_BYTES: usize = 32 * 1024 * 1024;

impl BlobClient {
    /// Stages `data` as the block `block_id` (base64, 1 to 64 bytes before
    /// encoding, the same length for every block of the blob) with
    /// [Put Block](https://learn.microsoft.com/rest/api/storageservices/put-block).
    /// It becomes part of the blob only when a Put Block List names it.
    pub async fn put_block(&self, block_id: &str, data: impl Into<Bytes>) -> Result<()> {
        self.put_block_opts(block_id, data, &PutBlockOptions::default()).await
    }

    /// Put Block with a transactional MD5.
    pub async fn put_block_opts(
        &self,
        block_id: &str,
        data: impl Into<Bytes>,
        options: &PutBlockOptions,
    ) -> Result<()> {
        let request = build_put_block(self.url()?, block_id, data.into(), options)?;
        self.pipeline().execute(request).await?;
        Ok(())
    }

    /// Commits the blocks `block_ids` (base64, in blob order) as the blob's
    /// content with [Put Block List](https://learn.microsoft.com/rest/api/storageservices/put-block-list).
    /// Each id is looked up among the uncommitted blocks first, then the
    /// committed ones (`<Latest>`); blocks the list leaves out are discarded.
    pub async fn put_block_list(&self, block_ids: &[String]) -> Result<WriteResult> {
        self.put_block_list_opts(block_ids, &PutBlockListOptions::default()).await
    }

    /// Put Block List with the committed blob's content headers, metadata,
    /// tier and conditions ([`Conditions::if_not_exists`](crate::Conditions::if_not_exists)
    /// fails with [`AlreadyExists`](crate::ErrorKind::AlreadyExists) on an existing blob).
    pub async fn put_block_list_opts(
        &self,
        block_ids: &[String],
        options: &PutBlockListOptions,
    ) -> Result<WriteResult> {
        let request = build_put_block_list(self.url()?, block_ids, options)?;
        let response =
            self.pipeline().execute(request).await.map_err(|e| refine_if_not_exists(e, &options.blob.conditions))?;
        parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("PutBlockList"))
    }

    /// The committed and uncommitted blocks of the blob with
    /// [Get Block List](https://learn.microsoft.com/rest/api/storageservices/get-block-list).
    /// A blob with neither fails with [`NotFound`](crate::ErrorKind::NotFound).
    pub async fn block_list(&self) -> Result<BlockList> {
        self.block_list_opts(&BlockListOptions::default()).await
    }

    /// Get Block List of one list, of a snapshot or version, or under the
    /// blob's lease id or a tag condition ([`BlockListOptions::conditions`]).
    pub async fn block_list_opts(&self, options: &BlockListOptions) -> Result<BlockList> {
        let request = build_get_block_list(self.url()?, options)?;
        let (response, body) = self.pipeline().execute_read(request, "GetBlockList", MAX_BLOCK_LIST_BYTES).await?;
        parse_block_list(&response.headers, &body).map_err(|e| e.with_operation("GetBlockList"))
    }
}
