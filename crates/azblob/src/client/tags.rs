//! Blob index tags: Get and Set Blob Tags on a blob, Find Blobs by Tags on a
//! container or the whole account, as a stream that follows `NextMarker`.

use std::collections::HashSet;
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use url::Url;

use super::{
    BlobClient, BlobServiceClient, ContainerClient, ServiceInner, MAX_LIST_PAGE_BYTES, MAX_SMALL_ANSWER_BYTES,
};
use crate::error::{Error, Result};
use crate::ops::blob_properties::BlobSelector;
use crate::ops::conditions::Conditions;
use crate::ops::find_blobs::{
    build_find_blobs_request, parse_find_blobs_response, FindBlobsByTagsOptions, TaggedBlob, TaggedBlobsPage,
};
use crate::ops::tags::{
    build_get_tags_request, build_set_tags_request, check_set_tags_response, parse_tags_body, Tags,
};

/// Options of [`BlobClient::get_tags_opts`].
#[derive(Debug, Clone, Default)]
pub struct GetTagsOptions {
    /// A snapshot or version to read the tags of instead of the current blob.
    pub selector: BlobSelector,
    /// The blob's lease and a tag condition (Get Blob Tags takes no ETag or
    /// date condition, and refuses them unsent).
    pub conditions: Conditions,
}

/// Options of [`BlobClient::set_tags_opts`].
#[derive(Debug, Clone, Default)]
pub struct SetTagsOptions {
    /// A version to tag instead of the current blob.
    pub selector: BlobSelector,
    /// The blob's lease and a tag condition (Set Blob Tags takes no ETag or
    /// date condition, and refuses them unsent).
    pub conditions: Conditions,
}

impl BlobClient {
    /// The blob's index tags, with [Get Blob Tags](https://learn.microsoft.com/rest/api/storageservices/get-blob-tags).
    pub async fn get_tags(&self) -> Result<Tags> {
        self.get_tags_opts(&GetTagsOptions::default()).await
    }

    /// Get Blob Tags of a snapshot or version, or under a lease or tag condition.
    pub async fn get_tags_opts(&self, options: &GetTagsOptions) -> Result<Tags> {
        let request = build_get_tags_request(self.url()?, &options.selector, &options.conditions)?;
        let (_, body) = self.pipeline().execute_read(request, "GetBlobTags", MAX_SMALL_ANSWER_BYTES).await?;
        parse_tags_body(&body).map_err(|e| e.with_operation("GetBlobTags"))
    }

    /// Replaces all of the blob's index tags with `tags` (empty removes them),
    /// with [Set Blob Tags](https://learn.microsoft.com/rest/api/storageservices/set-blob-tags).
    /// The tags are checked first: see [`Tags`].
    pub async fn set_tags(&self, tags: &Tags) -> Result<()> {
        self.set_tags_opts(tags, &SetTagsOptions::default()).await
    }

    /// Set Blob Tags of a version, or under a lease or tag condition.
    pub async fn set_tags_opts(&self, tags: &Tags, options: &SetTagsOptions) -> Result<()> {
        let request = build_set_tags_request(self.url()?, tags, &options.selector, &options.conditions)?;
        let response = self.pipeline().execute(request).await?;
        check_set_tags_response(&response).map_err(|e| e.with_operation("SetBlobTags"))
    }
}

impl ContainerClient {
    /// Every blob of this container whose index tags match `expression`,
    /// with [Find Blobs by Tags in a container](https://learn.microsoft.com/rest/api/storageservices/find-blobs-by-tags-container),
    /// page after page.
    ///
    /// The expression is the service's: `"stage" = 'prod' AND "run" >= '40'`
    /// (keys in double quotes, values in single quotes). The index is
    /// updated shortly after a write, so a blob tagged a moment ago may not
    /// be found yet on Azure.
    pub fn find_blobs_by_tags(&self, expression: &str) -> BoxStream<'static, Result<TaggedBlob>> {
        self.find_blobs_by_tags_opts(expression, &FindBlobsByTagsOptions::default())
    }

    /// Find Blobs by Tags in this container with a page size.
    pub fn find_blobs_by_tags_opts(
        &self,
        expression: &str,
        options: &FindBlobsByTagsOptions,
    ) -> BoxStream<'static, Result<TaggedBlob>> {
        match self.url() {
            Ok(url) => tagged_blobs(Arc::clone(self.service()), url, true, expression, options),
            Err(e) => stream::once(async move { Err(e) }).boxed(),
        }
    }
}

impl BlobServiceClient {
    /// Every blob of the account whose index tags match `expression`, with
    /// [Find Blobs by Tags](https://learn.microsoft.com/rest/api/storageservices/find-blobs-by-tags),
    /// page after page; see [`ContainerClient::find_blobs_by_tags`].
    pub fn find_blobs_by_tags(&self, expression: &str) -> BoxStream<'static, Result<TaggedBlob>> {
        self.find_blobs_by_tags_opts(expression, &FindBlobsByTagsOptions::default())
    }

    /// Find Blobs by Tags across the account with a page size.
    pub fn find_blobs_by_tags_opts(
        &self,
        expression: &str,
        options: &FindBlobsByTagsOptions,
    ) -> BoxStream<'static, Result<TaggedBlob>> {
        let url = self.inner.endpoint().clone();
        tagged_blobs(Arc::clone(&self.inner), url, false, expression, options)
    }
}

/// The blobs of every page, following `NextMarker`, each page asked for when
/// the previous one is consumed; a marker already followed ends the stream
/// with `InvalidResponse`, as a listing does.
fn tagged_blobs(
    service: Arc<ServiceInner>,
    url: Url,
    in_container: bool,
    expression: &str,
    options: &FindBlobsByTagsOptions,
) -> BoxStream<'static, Result<TaggedBlob>> {
    let expression = expression.to_owned();
    let options = options.clone();
    let initial = (Some(None::<String>), HashSet::<String>::new());
    stream::try_unfold(initial, move |(state, mut seen)| {
        let service = Arc::clone(&service);
        let (url, expression, options) = (url.clone(), expression.clone(), options.clone());
        async move {
            let Some(marker) = state else { return Ok(None) };
            let request = build_find_blobs_request(url, in_container, &expression, &options, marker.as_deref())?;
            let (_, body) = service.pipeline().execute_read(request, "FindBlobsByTags", MAX_LIST_PAGE_BYTES).await?;
            let page: TaggedBlobsPage =
                parse_find_blobs_response(&body).map_err(|e| e.with_operation("FindBlobsByTags"))?;
            let next = match page.next_marker.clone() {
                Some(next) if !seen.insert(next.clone()) => {
                    return Err(Error::invalid_response(format!(
                        "the service repeated the NextMarker {next:?}: following it would find the same pages forever"
                    ))
                    .with_operation("FindBlobsByTags"));
                }
                next => next.map(Some),
            };
            Ok(Some((page, (next, seen))))
        }
    })
    .map_ok(|page| stream::iter(page.blobs.into_iter().map(Ok)))
    .try_flatten()
    .boxed()
}
