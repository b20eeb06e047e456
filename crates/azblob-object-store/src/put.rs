//! `put_opts`: azblob's upload (one Put Blob, or blocks past `single_put_max`) under object_store's put modes.

use azblob::{BlobClient, Conditions, ETag, UploadOptions, UploadSource};
use bytes::Bytes;
use object_store::path::Path;
use object_store::{PutMode, PutOptions, PutPayload, PutResult};

use crate::attributes::blob_options;
use crate::errors::{generic, map_error};

/// Writes `payload` as `location` under `options.mode` (`Create` with
/// `If-None-Match: *`, `Update` with `If-Match` of the given ETag), split as
/// the store's `upload` settings say.
pub(crate) async fn put(
    blob: &BlobClient,
    location: &Path,
    payload: PutPayload,
    options: PutOptions,
    upload: &UploadOptions,
) -> object_store::Result<PutResult> {
    let PutOptions { mode, tags, attributes, extensions: _ } = options;
    let mut blob_options = blob_options(&attributes, &tags)?;
    blob_options.conditions = write_conditions(&mode)?;
    let path = location.as_ref();
    // azblob's upload sends one Put Blob up to `single_put_max` (256 MiB by
    // default) and stages blocks in parallel past it, committing them under
    // the same conditions. A checkpoint names one upload's file, so the
    // store's settings, shared by every put, never carry one.
    let upload = UploadOptions { blob: blob_options, checkpoint: None, resume: false, ..upload.clone() };
    let report = blob.upload_opts(UploadSource::Bytes(Bytes::from(payload)), &upload).await;
    let report = report.map_err(|e| write_error(e, path, &mode))?;
    let (etag, version) = (report.etag, report.version_id);
    Ok(PutResult { e_tag: Some(etag.0), version, extensions: Default::default() })
}

/// The conditions of a put mode.
pub(crate) fn write_conditions(mode: &PutMode) -> object_store::Result<Conditions> {
    match mode {
        PutMode::Overwrite => Ok(Conditions::default()),
        PutMode::Create => Ok(Conditions::if_not_exists()),
        // Azure conditions a write on the ETag only; a version id cannot
        // stand in for it.
        PutMode::Update(version) => match &version.e_tag {
            Some(etag) => Ok(Conditions::if_match(ETag(etag.clone()))),
            None => Err(generic("PutMode::Update needs an ETag: Azure conditions writes on ETags")),
        },
    }
}

/// A failed conditional write: an update of a blob that is gone did not
/// find the version it expected, which object_store reports as a failed
/// precondition, as it does for a changed blob.
pub(crate) fn write_error(err: azblob::Error, path: &str, mode: &PutMode) -> object_store::Error {
    match map_error(err, path) {
        object_store::Error::NotFound { path, source } if matches!(mode, PutMode::Update(_)) => {
            object_store::Error::Precondition { path, source }
        }
        other => other,
    }
}
