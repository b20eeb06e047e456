//! Listing a container's blobs: one page at a time, or as a stream that follows `NextMarker`.

use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};

use std::collections::HashSet;

use super::{execute_read, ContainerClient, MAX_LIST_PAGE_BYTES};
use crate::error::{Error, Result};
use crate::ops::list_blobs::{build_list_blobs_request, parse_list_blobs_response, ListBlobsOptions};
use crate::ops::list_models::{ListBlobsPage, ListItem};

impl ContainerClient {
    /// One page of [List Blobs](https://learn.microsoft.com/rest/api/storageservices/list-blobs);
    /// pass the previous page's `next_marker` to get the next one.
    pub async fn list_blobs_page(&self, options: &ListBlobsOptions, marker: Option<&str>) -> Result<ListBlobsPage> {
        let request = build_list_blobs_request(self.url()?, options, marker)?;
        let (_, body) = execute_read(self.service().pipeline(), request, "ListBlobs", MAX_LIST_PAGE_BYTES).await?;
        parse_list_blobs_response(&body).map_err(|e| e.with_operation("ListBlobs"))
    }

    /// Every page of a [List Blobs](https://learn.microsoft.com/rest/api/storageservices/list-blobs)
    /// listing, following `NextMarker` until the service
    /// returns none. A page is requested only when the previous one is consumed.
    ///
    /// A `NextMarker` that was already followed would list the same pages
    /// forever; it ends the stream with an
    /// [`InvalidResponse`](crate::ErrorKind::InvalidResponse) error instead.
    pub fn list_blob_pages(&self, options: ListBlobsOptions) -> BoxStream<'static, Result<ListBlobsPage>> {
        let this = self.clone();
        // The state is the next page's marker (`None` once the last page was
        // returned) and every marker followed so far.
        let initial = (Some(None::<String>), HashSet::<String>::new());
        stream::try_unfold(initial, move |(state, mut seen)| {
            let this = this.clone();
            let options = options.clone();
            async move {
                let Some(marker) = state else { return Ok(None) };
                let page = this.list_blobs_page(&options, marker.as_deref()).await?;
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
    ///
    /// ```no_run
    /// # async fn demo(container: azblob::ContainerClient) -> azblob::Result<()> {
    /// use futures_util::TryStreamExt;
    /// let options = azblob::ListBlobsOptions { prefix: Some("logs/".into()), ..Default::default() };
    /// let mut items = container.list_blobs(options);
    /// while let Some(item) = items.try_next().await? {
    ///     println!("{}", item.name());
    /// }
    /// # Ok(()) }
    /// ```
    pub fn list_blobs(&self, options: ListBlobsOptions) -> BoxStream<'static, Result<ListItem>> {
        self.list_blob_pages(options).map_ok(|page| stream::iter(page.items.into_iter().map(Ok))).try_flatten().boxed()
    }
}
