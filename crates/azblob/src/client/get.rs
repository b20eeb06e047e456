//! `BlobClient::get`: Get Blob with a streamed body that resumes where it broke off.

use super::BlobClient;
use crate::error::Result;
use crate::ops::get_blob::GetOptions;
use crate::transfer::{self, GetBlobResponse};

impl BlobClient {
    /// Starts [Get Blob](https://learn.microsoft.com/rest/api/storageservices/get-blob)
    /// of the whole current blob: the headers are parsed, the body streams
    /// (see [`BlobBody`](crate::BlobBody) for how a broken body resumes).
    pub async fn get(&self) -> Result<GetBlobResponse> {
        self.get_opts(&GetOptions::default()).await
    }

    /// Get Blob of a range, a snapshot or version, with conditions.
    pub async fn get_opts(&self, options: &GetOptions) -> Result<GetBlobResponse> {
        transfer::get(&self.transfer_target()?, options).await
    }
}
