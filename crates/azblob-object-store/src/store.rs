//! `AzblobStore`: one container (and optionally a prefix in it) as an object store.

use std::fmt;

use async_trait::async_trait;
use azblob::{BlobClient, ContainerClient, CopySource, CopyStatus, UploadOptions, WaitOptions};
use futures_util::stream::{BoxStream, StreamExt};
use object_store::list::{PaginatedListOptions, PaginatedListResult, PaginatedListStore};
use object_store::multipart::{MultipartStore, PartId};
use object_store::path::Path;
use object_store::{
    CopyMode, CopyOptions, GetOptions, GetResult, ListResult, MultipartId, MultipartUpload, ObjectMeta, ObjectStore,
    PutMultipartOptions, PutOptions, PutPayload, PutResult,
};

use crate::attributes::blob_options;
use crate::errors::{generic, map_create_error, map_error};
use crate::paths::Prefix;
use crate::{get, list, multipart, put};

/// How many deletes of a `delete_stream` run at once.
const DELETE_CONCURRENCY: usize = 10;

/// An [`ObjectStore`] on one Azure Blob Storage container, through azblob.
///
/// An object's [`Path`] is its blob's name (after the store's prefix, if
/// any), exactly as object_store spells it: `a%2Fb` is a blob named `a%2Fb`.
/// Directories are virtual, as `/`-separated name prefixes.
///
/// A put's tags are written as the blob's index tags (`x-ms-tags`). What
/// Azure cannot do, it refuses rather than pretends: attributes other than
/// the content headers, metadata and storage class (written as the access
/// tier, not reported by reads) are [`NotImplemented`](object_store::Error::NotImplemented);
/// `PutMode::Update` needs an ETag, since Azure conditions writes on ETags.
#[derive(Debug, Clone)]
pub struct AzblobStore {
    container: ContainerClient,
    prefix: Prefix,
    /// How `put_opts` splits a payload; its `blob` is replaced on every put.
    upload: UploadOptions,
}

impl AzblobStore {
    /// A store on `container`, with blobs named by their paths.
    pub fn new(container: ContainerClient) -> Self {
        AzblobStore { container, prefix: Prefix::default(), upload: UploadOptions::default() }
    }

    /// A store on the container a URL names, with the URL's SAS if it
    /// carries one (see [`ContainerClient::from_url`]); a blob path after the
    /// container becomes the store's prefix (it must be a valid [`Path`]).
    pub fn from_url(url: &str) -> object_store::Result<Self> {
        let invalid =
            |e: azblob::Error| object_store::Error::Generic { store: crate::errors::STORE, source: Box::new(e) };
        let parsed = azblob::BlobUrl::parse(url).map_err(invalid)?;
        let prefix = match parsed.blob.as_deref().map(|b| b.trim_matches('/')) {
            Some(name) => Path::parse(name)?,
            None => Path::default(),
        };
        Ok(AzblobStore::new(ContainerClient::from_url(url).map_err(invalid)?).prefix(prefix))
    }

    /// The same store with every path under `prefix`: the object `a.parquet`
    /// is the blob `prefix/a.parquet`, and listings show paths without it.
    pub fn prefix(mut self, prefix: impl Into<Path>) -> Self {
        self.prefix = Prefix::new(&prefix.into());
        self
    }

    /// The same store with `put_opts` split by `upload`: up to
    /// `single_put_max` bytes go in one Put Blob, more in blocks of
    /// `block_size` sent `concurrency` at a time (azblob's defaults: 256 MiB,
    /// 8 MiB, adaptive). Its `blob` group, `checkpoint` and `resume` are
    /// ignored: each put brings its own attributes and mode, and a checkpoint
    /// belongs to one upload, not to every put of a store.
    pub fn upload(mut self, upload: UploadOptions) -> Self {
        self.upload = upload;
        self
    }

    /// The container the store reads and writes.
    pub fn container(&self) -> &ContainerClient {
        &self.container
    }

    fn blob(&self, location: &Path) -> BlobClient {
        self.container.blob(self.prefix.blob_name(location))
    }

    async fn delete_one(&self, location: &Path) -> object_store::Result<()> {
        self.blob(location).delete().await.map_err(|e| map_error(e, location.as_ref()))
    }
}

impl fmt::Display for AzblobStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix.as_path_str() {
            "" => write!(f, "AzblobStore({})", self.container.name()),
            prefix => write!(f, "AzblobStore({}/{prefix})", self.container.name()),
        }
    }
}

#[async_trait]
impl ObjectStore for AzblobStore {
    /// [Put Blob](https://learn.microsoft.com/rest/api/storageservices/put-blob)
    /// (a block upload past the store's `single_put_max`), conditioned by the put mode.
    async fn put_opts(
        &self,
        location: &Path,
        payload: PutPayload,
        opts: PutOptions,
    ) -> object_store::Result<PutResult> {
        put::put(&self.blob(location), location, payload, opts, &self.upload).await
    }

    /// A block upload: each part a Put Block, completed by Put Block List.
    async fn put_multipart_opts(
        &self,
        location: &Path,
        opts: PutMultipartOptions,
    ) -> object_store::Result<Box<dyn MultipartUpload>> {
        let PutMultipartOptions { tags, attributes, extensions: _ } = opts;
        Ok(Box::new(multipart::BlockUpload {
            blob: self.blob(location),
            upload_id: multipart::new_upload_id(),
            parts: 0,
            options: blob_options(&attributes, &tags)?,
        }))
    }

    /// [Get Blob](https://learn.microsoft.com/rest/api/storageservices/get-blob)
    /// with a body that resumes where the connection broke.
    async fn get_opts(&self, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
        get::get(&self.blob(location), location, options).await
    }

    /// [Delete Blob](https://learn.microsoft.com/rest/api/storageservices/delete-blob)
    /// for each path, a few at a time, in order; a missing blob is `NotFound`.
    fn delete_stream(
        &self,
        locations: BoxStream<'static, object_store::Result<Path>>,
    ) -> BoxStream<'static, object_store::Result<Path>> {
        let store = self.clone();
        locations
            .map(move |location| {
                let store = store.clone();
                async move {
                    let location = location?;
                    store.delete_one(&location).await?;
                    Ok(location)
                }
            })
            .buffered(DELETE_CONCURRENCY)
            .boxed()
    }

    /// [List Blobs](https://learn.microsoft.com/rest/api/storageservices/list-blobs)
    /// under `prefix`, page after page.
    fn list(&self, prefix: Option<&Path>) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
        list::list(&self.container, &self.prefix, prefix)
    }

    /// List Blobs with the delimiter `/`.
    async fn list_with_delimiter(&self, prefix: Option<&Path>) -> object_store::Result<ListResult> {
        list::list_with_delimiter(&self.container, &self.prefix, prefix).await
    }

    /// [Copy Blob](https://learn.microsoft.com/rest/api/storageservices/copy-blob),
    /// waited for if the service runs it in the background; `CopyMode::Create`
    /// sends `If-None-Match: *`.
    async fn copy_opts(&self, from: &Path, to: &Path, options: CopyOptions) -> object_store::Result<()> {
        let create = options.mode == CopyMode::Create;
        let copy_options = azblob::CopyOptions {
            conditions: if create { azblob::Conditions::if_not_exists() } else { azblob::Conditions::default() },
            ..azblob::CopyOptions::default()
        };
        let source = CopySource::blob(&self.blob(from));
        let started = self.blob(to).start_copy_opts(&source, &copy_options).await;
        let mut operation = started.map_err(|e| match e.kind() {
            azblob::ErrorKind::NotFound => map_error(e, from.as_ref()),
            _ if create => map_create_error(e, to.as_ref()),
            _ => map_error(e, to.as_ref()),
        })?;
        let status = match &operation.last_state().status {
            CopyStatus::Pending => {
                let state =
                    operation.wait_opts(&WaitOptions::default()).await.map_err(|e| map_error(e, to.as_ref()))?;
                state.status
            }
            status => status.clone(),
        };
        match status {
            CopyStatus::Success => Ok(()),
            other => Err(generic(format!("the copy of {from} to {to} ended {other}"))),
        }
    }
}

#[async_trait]
impl MultipartStore for AzblobStore {
    /// A new upload id; nothing is sent until the first part.
    async fn create_multipart(&self, _path: &Path) -> object_store::Result<MultipartId> {
        Ok(multipart::new_upload_id())
    }

    /// [Put Block](https://learn.microsoft.com/rest/api/storageservices/put-block)
    /// under an id derived from the upload id and `part_idx`.
    async fn put_part(
        &self,
        path: &Path,
        id: &MultipartId,
        part_idx: usize,
        data: PutPayload,
    ) -> object_store::Result<PartId> {
        let block_id = multipart::block_id(id, part_idx)?;
        multipart::put_part(&self.blob(path), &block_id, data).await
    }

    /// [Put Block List](https://learn.microsoft.com/rest/api/storageservices/put-block-list)
    /// of the parts in the order given.
    async fn complete_multipart(
        &self,
        path: &Path,
        _id: &MultipartId,
        parts: Vec<PartId>,
    ) -> object_store::Result<PutResult> {
        let ids: Vec<String> = parts.into_iter().map(|p| p.content_id).collect();
        multipart::commit(&self.blob(path), &ids, Default::default()).await
    }

    /// Nothing: Azure cannot delete uncommitted blocks; the blob's next
    /// commit discards them, or the service after a week.
    async fn abort_multipart(&self, _path: &Path, _id: &MultipartId) -> object_store::Result<()> {
        Ok(())
    }
}

#[async_trait]
impl PaginatedListStore for AzblobStore {
    /// One page of List Blobs; the page token is the service's `NextMarker`.
    async fn list_paginated(
        &self,
        prefix: Option<&str>,
        opts: PaginatedListOptions,
    ) -> object_store::Result<PaginatedListResult> {
        list::list_paginated(&self.container, &self.prefix, prefix, opts).await
    }
}
