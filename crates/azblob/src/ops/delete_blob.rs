//! Delete Blob: removes a blob, a snapshot or a version.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/delete-blob>

use http::{HeaderValue, Method};
use url::Url;

use super::blob_properties::BlobSelector;
use super::conditions::Conditions;
use super::headers;
use crate::error::Result;
use crate::transport::{Request, Response};

/// What to do with a blob's snapshots when deleting it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteSnapshots {
    /// Delete the blob and all its snapshots (`include`).
    Include,
    /// Delete only the snapshots, keep the blob (`only`).
    Only,
}

impl DeleteSnapshots {
    /// The header value, `include` or `only`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeleteSnapshots::Include => "include",
            DeleteSnapshots::Only => "only",
        }
    }
}

/// Options of Delete Blob.
#[derive(Debug, Clone, Default)]
pub struct DeleteBlobOptions {
    /// Delete a snapshot or a version instead of the current blob.
    pub selector: BlobSelector,
    /// What to do with snapshots; without it, deleting a blob that has
    /// snapshots fails with [`Conflict`](crate::ErrorKind::Conflict) (`SnapshotsPresent`).
    pub delete_snapshots: Option<DeleteSnapshots>,
    /// Conditions on the blob.
    pub conditions: Conditions,
}

/// Builds Delete Blob.
pub(crate) fn build_delete_blob_request(url: Url, options: &DeleteBlobOptions) -> Result<Request> {
    // The service answers 400 to x-ms-delete-snapshots on a snapshot or a
    // version; say so before sending anything.
    if options.delete_snapshots.is_some() && !options.selector.is_current() {
        return Err(crate::error::Error::invalid_input(
            "delete_snapshots applies to the base blob, not to a snapshot or a version",
        ));
    }
    let mut request = Request::new("DeleteBlob", Method::DELETE, url);
    options.selector.apply(&mut request)?;
    if let Some(mode) = options.delete_snapshots {
        request.headers.insert(headers::X_MS_DELETE_SNAPSHOTS, HeaderValue::from_static(mode.as_str()));
    }
    options.conditions.apply(&mut request)?;
    // Deleting twice leaves the same state as deleting once; only the second
    // answer differs (404), which `deleted_by_earlier_attempt` accounts for.
    Ok(request.idempotent())
}

/// Whether a failed Delete Blob answer means an earlier attempt, whose answer
/// was lost, already deleted the blob: a 404 `BlobNotFound` to a repeat.
pub(crate) fn deleted_by_earlier_attempt(response: &Response) -> bool {
    response.repeated
        && response.status == http::StatusCode::NOT_FOUND
        && response.header(headers::X_MS_ERROR_CODE) == Some("BlobNotFound")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::error_map::error_answer as answer;

    #[test]
    fn builds_delete_with_snapshots_and_version() {
        let url: Url = "https://a.blob.core.windows.net/c/b".parse().unwrap();
        let r = build_delete_blob_request(
            url.clone(),
            &DeleteBlobOptions { delete_snapshots: Some(DeleteSnapshots::Include), ..Default::default() },
        )
        .unwrap();
        assert_eq!(r.method, Method::DELETE);
        assert!(r.idempotent, "repeating a delete is safe; its 404 is read as success");
        assert_eq!(r.header("x-ms-delete-snapshots"), Some("include"));
        assert_eq!(r.url.query(), None);

        let options = DeleteBlobOptions {
            selector: BlobSelector { version_id: Some("2026-01-01T00:00:00.0000000Z".into()), snapshot: None },
            ..Default::default()
        };
        let r = build_delete_blob_request(url.clone(), &options).unwrap();
        assert_eq!(r.header("x-ms-delete-snapshots"), None);
        assert!(r.url.query().unwrap().starts_with("versionid="));

        let both = DeleteBlobOptions {
            selector: BlobSelector::snapshot("2026-01-01T00:00:00.0000000Z"),
            delete_snapshots: Some(DeleteSnapshots::Only),
            ..Default::default()
        };
        assert_eq!(build_delete_blob_request(url, &both).unwrap_err().kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn only_a_repeated_blob_not_found_counts_as_deleted() {
        assert!(deleted_by_earlier_attempt(&answer(404, "BlobNotFound", true)));
        assert!(!deleted_by_earlier_attempt(&answer(404, "BlobNotFound", false)), "a first 404 is NotFound");
        assert!(!deleted_by_earlier_attempt(&answer(404, "ContainerNotFound", true)));
        assert!(!deleted_by_earlier_attempt(&answer(409, "SnapshotsPresent", true)));
    }
}
