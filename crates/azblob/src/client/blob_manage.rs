//! `BlobClient` management operations: versions, snapshots, tiers and copies.
//!
//! A second `impl BlobClient` block, so the core operations in `blob.rs` stay small.

use futures_util::TryStreamExt;

use super::copy::{CopyOperation, CopySource};
use super::{refine_if_not_exists, BlobClient, ContainerClient};
use crate::error::{Error, Result};
use crate::ops::copy_blob::{build_copy_request, parse_copy_response, CopyOptions, CopyStarted};
use crate::ops::copy_state::CopyStatus;
use crate::ops::list_blobs::{ListBlobsOptions, ListInclude};
use crate::ops::list_models::{BlobItem, ListItem};
use crate::ops::models::AccessTier;
use crate::ops::set_tier::{build_set_tier_request, SetTierOptions};
use crate::ops::snapshot::{build_snapshot_request, parse_snapshot_response, SnapshotInfo, SnapshotOptions};

impl BlobClient {
    /// The container this blob is in.
    pub fn container(&self) -> ContainerClient {
        ContainerClient::new(std::sync::Arc::clone(self.service()), self.container_name().to_owned())
    }

    /// Every version of this blob, newest first: [List Blobs](https://learn.microsoft.com/rest/api/storageservices/list-blobs)
    /// with `include=versions,metadata` and the blob's name as prefix,
    /// keeping only this exact name. Empty on accounts without versioning.
    pub async fn list_versions(&self) -> Result<Vec<BlobItem>> {
        let options = ListBlobsOptions {
            prefix: Some(self.name().to_owned()),
            include: ListInclude { versions: true, metadata: true, ..ListInclude::default() },
            ..ListBlobsOptions::default()
        };
        let mut versions: Vec<BlobItem> = self
            .container()
            .list_blobs_opts(&options)
            .try_filter_map(|item| async move {
                Ok(match item {
                    ListItem::Blob(b) if b.name == self.name() && b.version_id.is_some() => Some(b),
                    _ => None,
                })
            })
            .try_collect()
            .await?;
        // Version ids are fixed-width ISO 8601 timestamps: text order is time order.
        versions.sort_by(|a, b| b.version_id.cmp(&a.version_id));
        Ok(versions)
    }

    /// Sets the access tier with [Set Blob Tier](https://learn.microsoft.com/rest/api/storageservices/set-blob-tier).
    pub async fn set_tier(&self, tier: &AccessTier) -> Result<()> {
        self.set_tier_opts(tier, &SetTierOptions::default()).await
    }

    /// Set Blob Tier of a snapshot or version, or with a rehydrate priority.
    pub async fn set_tier_opts(&self, tier: &AccessTier, options: &SetTierOptions) -> Result<()> {
        let request = build_set_tier_request(self.url()?, tier, options)?;
        self.service().pipeline().execute(request).await?;
        Ok(())
    }

    /// Takes a snapshot with [Snapshot Blob](https://learn.microsoft.com/rest/api/storageservices/snapshot-blob).
    pub async fn create_snapshot(&self) -> Result<SnapshotInfo> {
        self.create_snapshot_opts(&SnapshotOptions::default()).await
    }

    /// Snapshot Blob with metadata for the snapshot (empty: the blob's own).
    pub async fn create_snapshot_opts(&self, options: &SnapshotOptions) -> Result<SnapshotInfo> {
        let request = build_snapshot_request(self.url()?, options)?;
        let response = self.service().pipeline().execute(request).await?;
        parse_snapshot_response(&response).map_err(|e| e.with_operation("SnapshotBlob"))
    }

    /// Copies `source` into this blob synchronously with
    /// [Copy Blob From URL](https://learn.microsoft.com/rest/api/storageservices/copy-blob-from-url):
    /// the call returns when the copy is done. The source must be a block
    /// blob of at most 256 MiB ([`MAX_SYNC_COPY_BYTES`](crate::MAX_SYNC_COPY_BYTES)).
    pub async fn copy_from_url(&self, source: &CopySource) -> Result<CopyStarted> {
        self.copy_from_url_opts(source, &CopyOptions::default()).await
    }

    /// Copy Blob From URL with metadata, tier and conditions for the destination.
    pub async fn copy_from_url_opts(&self, source: &CopySource, options: &CopyOptions) -> Result<CopyStarted> {
        let started = self.send_copy(source, true, options).await?;
        if started.status != CopyStatus::Success {
            return Err(Error::invalid_response(format!(
                "a synchronous copy answered status {}, not success",
                started.status
            ))
            .with_operation("CopyBlobFromUrl"));
        }
        Ok(started)
    }

    /// Starts an asynchronous copy of `source` into this blob with
    /// [Copy Blob](https://learn.microsoft.com/rest/api/storageservices/copy-blob);
    /// the returned [`CopyOperation`] polls, waits for or aborts it.
    pub async fn start_copy(&self, source: &CopySource) -> Result<CopyOperation> {
        self.start_copy_opts(source, &CopyOptions::default()).await
    }

    /// Copy Blob with metadata, tier and conditions for the destination.
    pub async fn start_copy_opts(&self, source: &CopySource, options: &CopyOptions) -> Result<CopyOperation> {
        let started = self.send_copy(source, false, options).await?;
        Ok(CopyOperation::new(self.clone(), started.copy_id, started.status, options.conditions.lease_id.clone()))
    }

    /// Sends Copy Blob From URL (`sync`) or Copy Blob and reads its answer.
    async fn send_copy(&self, source: &CopySource, sync: bool, options: &CopyOptions) -> Result<CopyStarted> {
        let destination = self.url()?;
        let (source_url, bearer) = source.resolve(sync, &destination).await?;
        let request = build_copy_request(destination, &source_url, bearer.as_deref(), sync, options)?;
        let operation = request.operation;
        // A copy that asked "only if new" may be refused 409 or 412: both are `AlreadyExists`.
        let response = self
            .service()
            .pipeline()
            .execute(request)
            .await
            .map_err(|e| refine_if_not_exists(e, &options.conditions))?;
        parse_copy_response(&response).map_err(|e| e.with_operation(operation))
    }
}
