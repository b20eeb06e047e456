//! Snapshot Blob: a read-only copy of a blob at a point in time.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/snapshot-blob>

use http::{Method, StatusCode};
use url::Url;

use super::conditions::Conditions;
use super::headers;
use super::models::{ETag, Metadata};
use super::request_util::{self as ru, add_query, set_metadata};
use crate::error::{Error, Result};
use crate::transport::{Request, Response};

/// A snapshot just taken.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SnapshotInfo {
    /// The snapshot's timestamp; pass it to [`BlobSelector::snapshot`](crate::BlobSelector::snapshot).
    pub snapshot: String,
    /// The ETag of the snapshot (the base blob's at the time).
    pub etag: Option<ETag>,
    /// The new version, on accounts with versioning.
    pub version_id: Option<String>,
}

/// Options of [`BlobClient::create_snapshot_opts`](crate::BlobClient::create_snapshot_opts).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotOptions {
    /// Metadata of the snapshot; empty keeps the blob's own.
    pub metadata: Metadata,
    /// Conditions on the base blob.
    pub conditions: Conditions,
}

/// Builds Snapshot Blob; non-empty metadata replaces the snapshot's metadata.
pub(crate) fn build_snapshot_request(url: Url, options: &SnapshotOptions) -> Result<Request> {
    let mut request = Request::new("SnapshotBlob", Method::PUT, url);
    add_query(&mut request, "comp", "snapshot");
    set_metadata(&mut request, &options.metadata)?;
    options.conditions.apply(&mut request)?;
    // Not idempotent: a repeat after a lost answer would leave a second
    // snapshot the caller never hears of, which blocks a plain delete of the
    // blob (SnapshotsPresent) and is billed.
    Ok(request)
}

/// Parses the answer of Snapshot Blob (201 Created).
pub(crate) fn parse_snapshot_response(response: &Response) -> Result<SnapshotInfo> {
    if response.status != StatusCode::CREATED {
        return Err(Error::invalid_response(format!("Snapshot Blob answered HTTP {}", response.status.as_u16())));
    }
    let h = &response.headers;
    Ok(SnapshotInfo {
        snapshot: ru::required(h, headers::X_MS_SNAPSHOT)?.to_owned(),
        etag: ru::header(h, headers::ETAG).map(|e| ETag(e.to_owned())),
        version_id: ru::header(h, headers::X_MS_VERSION_ID).map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    #[test]
    fn builds_and_parses_as_documented() {
        let url = "https://a.blob.core.windows.net/c/b".parse().unwrap();
        let options = SnapshotOptions {
            metadata: [("tag".to_owned(), "v1".to_owned())].into(),
            conditions: Conditions::if_match(ETag("\"0x1\"".into())),
        };
        let r = build_snapshot_request(url, &options).unwrap();
        assert_eq!(r.url.query(), Some("comp=snapshot"));
        assert_eq!(r.header("x-ms-meta-tag"), Some("v1"));
        assert_eq!(r.header("if-match"), Some("\"0x1\""));

        let mut h = HeaderMap::new();
        h.insert("x-ms-snapshot", "2026-11-23T10:00:00.1234567Z".parse().unwrap());
        h.insert("etag", "\"0x1\"".parse().unwrap());
        let info = parse_snapshot_response(&Response::new(StatusCode::CREATED, h, "")).unwrap();
        assert_eq!(info.snapshot, "2026-11-23T10:00:00.1234567Z");
        assert!(parse_snapshot_response(&Response::new(StatusCode::CREATED, HeaderMap::new(), "")).is_err());
    }
}
