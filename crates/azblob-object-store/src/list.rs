//! Listings: List Blobs as object_store's flat stream, its one-level
//! `ListResult`, and its pages with `NextMarker` as the page token.

use std::time::SystemTime;

use azblob::{BlobItem, ContainerClient, ListBlobsOptions, ListItem, MAX_LIST_RESULTS};
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::list::{PaginatedListOptions, PaginatedListResult};
use object_store::path::Path;
use object_store::{ListResult, ObjectMeta};

use crate::errors::map_error;
use crate::paths::Prefix;

/// Every object under `under` (a directory), page after page.
pub(crate) fn list(
    container: &ContainerClient,
    prefix: &Prefix,
    under: Option<&Path>,
) -> BoxStream<'static, object_store::Result<ObjectMeta>> {
    let name_prefix = prefix.list_prefix(under);
    let options = ListBlobsOptions { prefix: name_prefix.clone(), ..ListBlobsOptions::default() };
    let prefix = prefix.clone();
    let context = name_prefix.unwrap_or_default();
    container
        .list_blobs_opts(&options)
        .map_err(move |e| map_error(e, &context))
        .try_filter_map(move |item| {
            let meta = match item {
                ListItem::Blob(blob) => object_meta(&prefix, blob).map(Some),
                ListItem::Prefix(_) => Ok(None),
            };
            futures_util::future::ready(meta)
        })
        .boxed()
}

/// The objects and directories directly under `under`.
pub(crate) async fn list_with_delimiter(
    container: &ContainerClient,
    prefix: &Prefix,
    under: Option<&Path>,
) -> object_store::Result<ListResult> {
    let name_prefix = prefix.list_prefix(under);
    let options = ListBlobsOptions {
        prefix: name_prefix.clone(),
        delimiter: Some("/".to_owned()),
        ..ListBlobsOptions::default()
    };
    let context = name_prefix.unwrap_or_default();
    let mut result = ListResult { common_prefixes: vec![], objects: vec![], extensions: Default::default() };
    let mut items = container.list_blobs_opts(&options);
    while let Some(item) = items.next().await {
        add(&mut result, prefix, item.map_err(|e| map_error(e, &context))?)?;
    }
    Ok(result)
}

/// One page of List Blobs. `prefix` is a raw name prefix (no `/` added);
/// the page token is the service's `NextMarker`.
///
/// API version 2023-11-03 has no `startFrom`, so an `offset` filters the
/// page's entries here: a page may hold fewer entries than `max_keys`.
pub(crate) async fn list_paginated(
    container: &ContainerClient,
    prefix: &Prefix,
    raw: Option<&str>,
    options: PaginatedListOptions,
) -> object_store::Result<PaginatedListResult> {
    let PaginatedListOptions { offset, delimiter, max_keys, page_token, .. } = options;
    let name_prefix = prefix.raw_prefix(raw);
    let list_options = ListBlobsOptions {
        prefix: name_prefix.clone(),
        delimiter: delimiter.map(|d| d.into_owned()),
        // More than the service's maximum is its maximum; 0 stays 0, which azblob refuses.
        max_results: max_keys.map(|k| u32::try_from(k).unwrap_or(u32::MAX).min(MAX_LIST_RESULTS)),
        ..ListBlobsOptions::default()
    };
    let page = container
        .list_blobs_page_opts(page_token.as_deref(), &list_options)
        .await
        .map_err(|e| map_error(e, name_prefix.as_deref().unwrap_or("")))?;
    let mut result = ListResult { common_prefixes: vec![], objects: vec![], extensions: Default::default() };
    for item in page.items {
        add(&mut result, prefix, item)?;
    }
    if let Some(offset) = offset {
        result.objects.retain(|o| o.location.as_ref() > offset.as_str());
        result.common_prefixes.retain(|p| p.as_ref() > offset.as_str());
    }
    Ok(PaginatedListResult { result, page_token: page.next_marker })
}

fn add(result: &mut ListResult, prefix: &Prefix, item: ListItem) -> object_store::Result<()> {
    match item {
        ListItem::Blob(blob) => result.objects.push(object_meta(prefix, blob)?),
        ListItem::Prefix(name) => result.common_prefixes.push(prefix.path_of(&name)?),
    }
    Ok(())
}

fn object_meta(prefix: &Prefix, blob: BlobItem) -> object_store::Result<ObjectMeta> {
    Ok(ObjectMeta {
        location: prefix.path_of(&blob.name)?,
        // List Blobs always sends Last-Modified; the epoch stands in for an answer without it.
        last_modified: blob.last_modified.unwrap_or(SystemTime::UNIX_EPOCH).into(),
        size: blob.content_length,
        e_tag: blob.etag.map(|e| e.0),
        version: blob.version_id,
    })
}
