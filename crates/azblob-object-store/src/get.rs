//! `get_opts`: Get Blob with object_store's ranges and conditions, its body
//! azblob's resuming [`BlobBody`](azblob::BlobBody).

use std::ops::Range;
use std::time::SystemTime;

use azblob::{BlobClient, BlobProperties, BlobRange, BlobSelector, Conditions, ETag, PropertiesOptions};
use futures_util::stream::{self, StreamExt, TryStreamExt};
use object_store::path::Path;
use object_store::{GetOptions, GetRange, GetResult, GetResultPayload, ObjectMeta};

use crate::attributes::from_properties;
use crate::errors::{generic, map_error};

/// Reads `location` as `options` ask: a head only, a range, a version, under conditions.
///
/// Azure's `x-ms-range` has no suffix form, so a suffix range first reads
/// the blob's size (under the caller's conditions) and then reads from
/// `size - n` under `If-Match` of the ETag that size belongs to: the bytes
/// are the suffix of that very blob, or the read fails with `Precondition`.
pub(crate) async fn get(blob: &BlobClient, location: &Path, options: GetOptions) -> object_store::Result<GetResult> {
    let path = location.as_ref();
    if let Some(range) = &options.range {
        range.is_valid().map_err(|e| generic(format!("invalid range: {e}")))?;
    }
    let selector = options.version.clone().map(BlobSelector::version).unwrap_or_default();
    let conditions = conditions(&options);
    if options.head {
        let props = properties(blob, path, &selector, conditions).await?;
        let range = match &options.range {
            Some(range) => range.as_range(props.content_length).map_err(|e| generic(format!("invalid range: {e}")))?,
            None => 0..props.content_length,
        };
        return Ok(result(location, &props, range, empty()));
    }
    let (range, conditions) = match options.range {
        None | Some(GetRange::Offset(0)) => (None, conditions),
        Some(GetRange::Bounded(r)) => (Some(BlobRange::new(r.start, r.end - r.start)), conditions),
        Some(GetRange::Offset(offset)) => (Some(BlobRange::from_offset(offset)), conditions),
        Some(GetRange::Suffix(n)) => {
            let props = properties(blob, path, &selector, conditions).await?;
            let size = props.content_length;
            let start = size.saturating_sub(n);
            if start == size {
                // No byte to read (`Suffix(0)`, or an empty blob).
                return Ok(result(location, &props, size..size, empty()));
            }
            let range = (start > 0).then(|| BlobRange::from_offset(start));
            (range, Conditions::if_match(props.etag.clone()))
        }
    };
    let get_options = azblob::GetOptions { range, selector, conditions };
    let response = blob.get_opts(&get_options).await.map_err(|e| map_error(e, path))?;
    if let Some(asked) = range {
        response.head.check_range(asked).map_err(|e| map_error(e, path))?;
    }
    let props = &response.head.properties;
    let served = match response.head.range {
        Some((start, end)) => start..end.saturating_add(1),
        None => 0..props.content_length,
    };
    let owned = path.to_owned();
    let body = response.body.map_err(move |e| map_error(e, &owned)).boxed();
    Ok(result(location, props, served, GetResultPayload::Stream(body)))
}

/// The object's metadata from Get Blob Properties (`head`).
pub(crate) fn meta(location: &Path, props: &BlobProperties) -> ObjectMeta {
    ObjectMeta {
        location: location.clone(),
        last_modified: props.last_modified.into(),
        size: props.content_length,
        e_tag: Some(props.etag.0.clone()),
        version: props.version_id.clone(),
    }
}

/// object_store's conditions as azblob's.
fn conditions(options: &GetOptions) -> Conditions {
    Conditions {
        if_match: options.if_match.clone().map(ETag),
        if_none_match: options.if_none_match.clone().map(ETag),
        if_modified_since: options.if_modified_since.map(SystemTime::from),
        if_unmodified_since: options.if_unmodified_since.map(SystemTime::from),
        ..Conditions::default()
    }
}

async fn properties(
    blob: &BlobClient,
    path: &str,
    selector: &BlobSelector,
    conditions: Conditions,
) -> object_store::Result<BlobProperties> {
    let options = PropertiesOptions { selector: selector.clone(), conditions };
    blob.properties_opts(&options).await.map_err(|e| map_error(e, path))
}

fn empty() -> GetResultPayload {
    GetResultPayload::Stream(stream::empty().boxed())
}

fn result(location: &Path, props: &BlobProperties, range: Range<u64>, payload: GetResultPayload) -> GetResult {
    GetResult {
        payload,
        meta: meta(location, props),
        range,
        attributes: from_properties(props),
        extensions: Default::default(),
    }
}
