//! Listing a container's blobs: one page at a time, or as a stream that follows `NextMarker`.

use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};

use std::collections::HashSet;

use super::{ContainerClient, MAX_LIST_PAGE_BYTES};
use crate::error::{Error, Result};
use crate::ops::list_blobs::{build_list_blobs_request, parse_list_blobs_response, ListBlobsOptions};
use crate::ops::list_models::{ListBlobsPage, ListItem};

impl ContainerClient {
    /// One page of [List Blobs](https://learn.microsoft.com/rest/api/storageservices/list-blobs);
    /// pass `None` for the first page and the previous page's `next_marker`
    /// for the next one.
    pub async fn list_blobs_page(&self, marker: Option<&str>) -> Result<ListBlobsPage> {
        self.list_blobs_page_opts(marker, &ListBlobsOptions::default()).await
    }

    /// One page of List Blobs with a prefix, a delimiter, a page size or more
    /// details per blob.
    pub async fn list_blobs_page_opts(
        &self,
        marker: Option<&str>,
        options: &ListBlobsOptions,
    ) -> Result<ListBlobsPage> {
        let request = build_list_blobs_request(self.url()?, options, marker)?;
        let (_, body) = self.service().pipeline().execute_read(request, "ListBlobs", MAX_LIST_PAGE_BYTES).await?;
        parse_list_blobs_response(&body).map_err(|e| e.with_operation("ListBlobs"))
    }

    /// Every page of a [List Blobs](https://learn.microsoft.com/rest/api/storageservices/list-blobs)
    /// listing, following `NextMarker` until the service
    /// returns none. A page is requested only when the previous one is consumed.
    ///
    /// A `NextMarker` that was already followed would list the same pages
    /// forever; it ends the stream with an
    /// [`InvalidResponse`](crate::ErrorKind::InvalidResponse) error instead.
    pub fn list_blob_pages(&self) -> BoxStream<'static, Result<ListBlobsPage>> {
        self.list_blob_pages_opts(&ListBlobsOptions::default())
    }

    /// Every page of a listing with a prefix, a delimiter, a page size or
    /// more details per blob; see [`list_blob_pages`](Self::list_blob_pages).
    pub fn list_blob_pages_opts(&self, options: &ListBlobsOptions) -> BoxStream<'static, Result<ListBlobsPage>> {
        let this = self.clone();
        let options = options.clone();
        // The state is the next page's marker (`None` once the last page was
        // returned) and every marker followed so far.
        let initial = (Some(None::<String>), HashSet::<String>::new());
        stream::try_unfold(initial, move |(state, mut seen)| {
            let this = this.clone();
            let options = options.clone();
            async move {
                let Some(marker) = state else { return Ok(None) };
                let page = this.list_blobs_page_opts(marker.as_deref(), &options).await?;
                let next = match page.next_marker.clone() {
                    Some(next) if !seen.insert(next.clone()) => {
                        return Err(Error::invalid_response(format!(
                            "the service repeated the NextMarker {next:?}: following it would list the same pages forever"
                        ))
                        .with_operation("ListBlobs"));
                    }
                    next => next.map(Some),
                };
                Ok(Some((page, (next, seen))))
            }
        })
        .boxed()
    }

    /// Every entry of a [List Blobs](https://learn.microsoft.com/rest/api/storageservices/list-blobs)
    /// listing (blobs and, with a delimiter, virtual
    /// directories), page after page.
    pub fn list_blobs(&self) -> BoxStream<'static, Result<ListItem>> {
        self.list_blobs_opts(&ListBlobsOptions::default())
    }

    /// Every entry of a listing with a prefix, a delimiter, a page size or
    /// more details per blob.
    ///
    /// ```no_run
    /// # async fn demo(container: azblob::ContainerClient) -> azblob::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let options = azblob::ListBlobsOptions { prefix: Some("logs/".into()), ..Default::default() };
    /// let mut items = container.list_blobs_opts(&options);
    /// while let Some(item) = items.try_next().await? {
    ///     println!("{}", item.name());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_blobs_opts(&self, options: &ListBlobsOptions) -> BoxStream<'static, Result<ListItem>> {
        self.list_blob_pages_opts(options)
            .map_ok(|page| stream::iter(page.items.into_iter().map(Ok)))
            .try_flatten()
            .boxed()
    }
}
