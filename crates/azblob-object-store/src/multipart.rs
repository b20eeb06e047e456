//! Multipart uploads as staged blocks: each part is a Put Block whose id
//! is derived from the upload's id and the part's index, and completing
//! commits them in part order with Put Block List.
//!
//! Azure cannot delete uncommitted blocks: an aborted upload's blocks stay
//! until the blob's next commit discards them, or the service collects
//! them (after a week without a commit). `abort` therefore sends nothing.

use async_trait::async_trait;
use azblob::{BlobClient, PutBlobOptions, PutBlockListOptions, MAX_BLOCKS};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use futures_util::future::BoxFuture;
use object_store::multipart::PartId;
use object_store::{MultipartId, MultipartUpload, PutPayload, PutResult, UploadPart};

use crate::errors::{generic, map_error};

/// The length of an upload id: 16 lowercase hex digits.
const UPLOAD_ID_LEN: usize = 16;

/// A fresh upload id. Two uploads to one blob must not stage blocks under
/// each other's ids, so the id is random.
pub(crate) fn new_upload_id() -> MultipartId {
    format!("{:016x}", fastrand::u64(..))
}

/// The base64 block id of part `index` of upload `upload_id`.
///
/// Every id has one length (Azure refuses a blob whose block ids differ in
/// length): 16 hex digits, `-`, 6 decimal digits, 23 bytes, the shape of
/// azblob's own upload engine, so both may stage blocks on one blob.
pub(crate) fn block_id(upload_id: &str, index: usize) -> object_store::Result<String> {
    let valid = upload_id.len() == UPLOAD_ID_LEN && upload_id.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid {
        return Err(generic(format!("{upload_id:?} is not an upload id of this store")));
    }
    if index as u64 >= MAX_BLOCKS {
        return Err(generic(format!("part {index} is past the {MAX_BLOCKS} blocks a blob can hold")));
    }
    Ok(BASE64.encode(format!("{upload_id}-{index:06}").as_bytes()))
}

/// Stages one part.
pub(crate) async fn put_part(blob: &BlobClient, block_id: &str, data: PutPayload) -> object_store::Result<PartId> {
    blob.put_block(block_id, Bytes::from(data)).await.map_err(|e| map_error(e, blob.name()))?;
    Ok(PartId { content_id: block_id.to_owned() })
}

/// Commits `block_ids` in order with the blob's write settings.
pub(crate) async fn commit(
    blob: &BlobClient,
    block_ids: &[String],
    options: PutBlobOptions,
) -> object_store::Result<PutResult> {
    let written = blob
        .put_block_list_opts(block_ids, &PutBlockListOptions { blob: options })
        .await
        .map_err(|e| map_error(e, blob.name()))?;
    Ok(PutResult { e_tag: Some(written.etag.0), version: written.version_id, extensions: Default::default() })
}

/// An upload through [`ObjectStoreExt::put_multipart`](object_store::ObjectStoreExt::put_multipart):
/// parts are numbered as they are handed in, whatever order they finish in.
#[derive(Debug)]
pub(crate) struct BlockUpload {
    pub(crate) blob: BlobClient,
    pub(crate) upload_id: MultipartId,
    pub(crate) parts: usize,
    /// The committed blob's headers, metadata and tier.
    pub(crate) options: PutBlobOptions,
}

#[async_trait]
impl MultipartUpload for BlockUpload {
    fn put_part(&mut self, data: PutPayload) -> UploadPart {
        let index = self.parts;
        self.parts += 1;
        let blob = self.blob.clone();
        let id = block_id(&self.upload_id, index);
        let upload: BoxFuture<'static, object_store::Result<()>> = Box::pin(async move {
            put_part(&blob, &id?, data).await?;
            Ok(())
        });
        upload
    }

    async fn complete(&mut self) -> object_store::Result<PutResult> {
        let ids = (0..self.parts).map(|i| block_id(&self.upload_id, i)).collect::<object_store::Result<Vec<_>>>()?;
        commit(&self.blob, &ids, self.options.clone()).await
    }

    async fn abort(&mut self) -> object_store::Result<()> {
        // See the module's documentation: Azure has nothing to abort.
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_ids_are_base64_of_one_length() {
        let first = block_id("0123456789abcdef", 0).unwrap();
        let last = block_id("0123456789abcdef", 49_999).unwrap();
        assert_eq!(first, "MDEyMzQ1Njc4OWFiY2RlZi0wMDAwMDA=");
        assert_eq!(first.len(), last.len());
        assert_ne!(block_id("fedcba9876543210", 0).unwrap(), first, "another upload stages other blocks");
        assert!(block_id("0123456789abcdef", 50_000).is_err());
        assert!(block_id("not-an-upload-id", 0).is_err());
        assert!(block_id("", 0).is_err());
        let id = new_upload_id();
        assert_eq!(id.len(), UPLOAD_ID_LEN);
        assert!(block_id(&id, 7).is_ok());
    }
}
