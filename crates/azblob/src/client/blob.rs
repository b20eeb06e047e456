//! `BlobClient`: the core operations on one blob.

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use url::Url;

use super::ServiceInner;
use crate::error::{ErrorKind, Result};
use crate::ops::blob_properties::{
    build_get_properties_request, build_set_http_headers_request, build_set_metadata_request, parse_blob_properties,
    PropertiesOptions,
};
use crate::ops::conditions::{refine_if_not_exists, Conditions};
use crate::ops::delete_blob::{build_delete_blob_request, deleted_by_earlier_attempt, DeleteBlobOptions};
use crate::ops::get_blob::GetOptions;
use crate::ops::models::{BlobProperties, BlobRange, ContentHeaders, Metadata};
use crate::ops::names;
use crate::ops::put_blob::{build_put_blob_request, parse_write_response, PutBlobOptions, WriteResult};

/// A client for one blob.
#[derive(Debug, Clone)]
pub struct BlobClient {
    service: Arc<ServiceInner>,
    container: String,
    name: String,
}

impl BlobClient {
    pub(crate) fn new(service: Arc<ServiceInner>, container: String, name: String) -> Self {
        BlobClient { service, container, name }
    }

    pub(crate) fn pipeline(&self) -> &crate::transport::Pipeline {
        self.service.pipeline()
    }

    /// The service state shared by all clients (pipeline, endpoint, seeded randomness).
    pub(crate) fn service(&self) -> &Arc<ServiceInner> {
        &self.service
    }

    /// The container's name.
    pub fn container_name(&self) -> &str {
        &self.container
    }

    /// The blob's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The blob's URL (without credentials); fails with `InvalidInput` for invalid names.
    pub fn url(&self) -> Result<Url> {
        names::blob_url(self.service.endpoint(), &self.container, &self.name)
    }

    /// Writes `data` as the whole blob with [Put Blob](https://learn.microsoft.com/rest/api/storageservices/put-blob).
    pub async fn put(&self, data: impl Into<Bytes>) -> Result<WriteResult> {
        self.put_opts(data, &PutBlobOptions::default()).await
    }

    /// Put Blob with content headers, metadata, tier and conditions.
    pub async fn put_opts(&self, data: impl Into<Bytes>, options: &PutBlobOptions) -> Result<WriteResult> {
        let request = build_put_blob_request(self.url()?, data.into(), options)?;
        let response =
            self.service.pipeline().execute(request).await.map_err(|e| refine_if_not_exists(e, &options.conditions))?;
        parse_write_response(&response, StatusCode::CREATED).map_err(|e| e.with_operation("PutBlob"))
    }

    /// Reads a byte range into memory. A range that starts past the end of the
    /// blob fails with [`ErrorKind::InvalidRange`]; one that runs past the end
    /// returns the bytes that exist.
    ///
    /// An answer that serves other bytes than `range` (a server that ignored
    /// it) is an [`ErrorKind::InvalidResponse`], never returned as the range.
    pub async fn download_range(&self, range: BlobRange) -> Result<Bytes> {
        let response = self.get_opts(&GetOptions { range: Some(range), ..GetOptions::default() }).await?;
        response.head.check_range(range)?;
        response.bytes().await
    }

    /// [Get Blob Properties](https://learn.microsoft.com/rest/api/storageservices/get-blob-properties)
    /// of the current blob.
    pub async fn properties(&self) -> Result<BlobProperties> {
        self.properties_opts(&PropertiesOptions::default()).await
    }

    /// Get Blob Properties of a snapshot or version, with conditions.
    pub async fn properties_opts(&self, options: &PropertiesOptions) -> Result<BlobProperties> {
        let request = build_get_properties_request(self.url()?, &options.selector, &options.conditions)?;
        let response = self.service.pipeline().execute(request).await?;
        parse_blob_properties(&response.headers).map_err(|e| e.with_operation("GetBlobProperties"))
    }

    /// Whether the blob exists (a Get Blob Properties that maps 404 to `false`).
    pub async fn exists(&self) -> Result<bool> {
        match self.properties().await {
            Ok(_) => Ok(true),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Replaces all of the blob's metadata with
    /// [Set Blob Metadata](https://learn.microsoft.com/rest/api/storageservices/set-blob-metadata).
    pub async fn set_metadata(&self, metadata: &Metadata) -> Result<WriteResult> {
        self.set_metadata_opts(metadata, &Conditions::default()).await
    }

    /// Set Blob Metadata with conditions.
    pub async fn set_metadata_opts(&self, metadata: &Metadata, conditions: &Conditions) -> Result<WriteResult> {
        let request = build_set_metadata_request(self.url()?, metadata, conditions)?;
        let response = self.service.pipeline().execute(request).await?;
        parse_write_response(&response, StatusCode::OK).map_err(|e| e.with_operation("SetBlobMetadata"))
    }

    /// Replaces all content headers with
    /// [Set Blob Properties](https://learn.microsoft.com/rest/api/storageservices/set-blob-properties);
    /// a header left `None` is cleared.
    pub async fn set_http_headers(&self, content: &ContentHeaders) -> Result<WriteResult> {
        self.set_http_headers_opts(content, &Conditions::default()).await
    }

    /// Set Blob HTTP Headers with conditions.
    pub async fn set_http_headers_opts(
        &self,
        content: &ContentHeaders,
        conditions: &Conditions,
    ) -> Result<WriteResult> {
        let request = build_set_http_headers_request(self.url()?, content, conditions)?;
        let response = self.service.pipeline().execute(request).await?;
        parse_write_response(&response, StatusCode::OK).map_err(|e| e.with_operation("SetBlobHttpHeaders"))
    }

    /// Deletes the blob with [Delete Blob](https://learn.microsoft.com/rest/api/storageservices/delete-blob).
    ///
    /// A delete whose answer was lost is repeated; if the repeat finds the
    /// blob gone (404 `BlobNotFound`), the first attempt deleted it and the
    /// call succeeds.
    pub async fn delete(&self) -> Result<()> {
        self.delete_opts(&DeleteBlobOptions::default()).await
    }

    /// Delete Blob of a snapshot or version, with snapshot handling and conditions.
    pub async fn delete_opts(&self, options: &DeleteBlobOptions) -> Result<()> {
        let request = build_delete_blob_request(self.url()?, options)?;
        let response = self.service.pipeline().send(request).await?;
        if response.status.is_success() || deleted_by_earlier_attempt(&response) {
            return Ok(());
        }
        Err(crate::ops::error_map::error_from_response(response, "DeleteBlob").await)
    }
}
