//! The state of a blob's last copy: `x-ms-copy-*` headers and their List Blobs twins.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/get-blob-properties#response-headers>

use std::fmt;
use std::time::SystemTime;

use http::HeaderMap;

use super::headers;
use super::request_util as ru;
use crate::error::{Error, Result};
use crate::redact::redact_url_text;

/// Where a copy operation stands.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CopyStatus {
    /// The copy is still running (asynchronous copies only).
    Pending,
    /// The copy finished.
    Success,
    /// Abort Copy Blob stopped it.
    Aborted,
    /// It failed; see [`CopyState::status_description`].
    Failed,
    /// A status this library does not know.
    Other(String),
}

impl CopyStatus {
    pub(crate) fn parse(s: &str) -> CopyStatus {
        match s {
            "pending" => CopyStatus::Pending,
            "success" => CopyStatus::Success,
            "aborted" => CopyStatus::Aborted,
            "failed" => CopyStatus::Failed,
            other => CopyStatus::Other(other.to_owned()),
        }
    }

    /// The service's word for the status, e.g. `pending`.
    pub fn as_str(&self) -> &str {
        match self {
            CopyStatus::Pending => "pending",
            CopyStatus::Success => "success",
            CopyStatus::Aborted => "aborted",
            CopyStatus::Failed => "failed",
            CopyStatus::Other(s) => s,
        }
    }

    /// Whether the copy has stopped, successfully or not.
    pub fn is_terminal(&self) -> bool {
        !matches!(self, CopyStatus::Pending)
    }
}

impl fmt::Display for CopyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The last copy into a blob, as its properties report it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyState {
    /// The copy's id (`x-ms-copy-id`), needed to abort it.
    pub id: String,
    /// Pending, success, aborted or failed.
    pub status: CopyStatus,
    /// Bytes copied so far and the total (`x-ms-copy-progress: copied/total`).
    pub progress: Option<(u64, u64)>,
    /// The source URL, with the value of its SAS signature (`sig`) replaced
    /// by `REDACTED`.
    ///
    /// The service echoes the source URL as the copy was started, SAS
    /// included, and an asynchronous copy's source SAS stays valid for
    /// hours; so the signature is dropped when the answer is parsed, and no
    /// `Debug`, log or printout of this state can show it. A source that
    /// is not a URL loses its whole query.
    pub source: Option<String>,
    /// Why the copy failed or was aborted, if it did.
    pub status_description: Option<String>,
    /// When the copy finished.
    pub completed_on: Option<SystemTime>,
}

/// Parses `copied/total`, the shape of `x-ms-copy-progress` and `<CopyProgress>`.
pub(crate) fn parse_progress(value: &str) -> Result<(u64, u64)> {
    let bad = || Error::invalid_response(format!("malformed copy progress {value:?}"));
    let (done, total) = value.trim().split_once('/').ok_or_else(bad)?;
    let done = done.trim().parse().map_err(|_| bad())?;
    let total = total.trim().parse().map_err(|_| bad())?;
    Ok((done, total))
}

/// The copy state in a Get Blob Properties or Get Blob answer; `None` if the
/// blob was never the target of a copy.
pub(crate) fn parse_copy_headers(h: &HeaderMap) -> Result<Option<CopyState>> {
    let (Some(id), Some(status)) = (ru::header(h, headers::X_MS_COPY_ID), ru::header(h, headers::X_MS_COPY_STATUS))
    else {
        return Ok(None);
    };
    Ok(Some(CopyState {
        id: id.to_owned(),
        status: CopyStatus::parse(status),
        progress: ru::header(h, headers::X_MS_COPY_PROGRESS).map(parse_progress).transpose()?,
        source: ru::header(h, headers::X_MS_COPY_SOURCE).map(redact_url_text),
        status_description: ru::header(h, headers::X_MS_COPY_STATUS_DESCRIPTION).map(str::to_owned),
        completed_on: ru::date(h, headers::X_MS_COPY_COMPLETION_TIME)?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_copy_headers() {
        let mut h = HeaderMap::new();
        for (k, v) in [
            ("x-ms-copy-id", "1c0d99e1-7768-4600-8d26-fb9e8f3704fd"),
            ("x-ms-copy-status", "pending"),
            ("x-ms-copy-progress", "4194304/10485760"),
            ("x-ms-copy-source", "https://a.blob.core.windows.net/c/b?versionid=2020-06-15T02:17:02.7893828Z"),
            ("x-ms-copy-completion-time", "Mon, 15 Jun 2020 02:17:03 GMT"),
        ] {
            h.insert(k, v.parse().unwrap());
        }
        let state = parse_copy_headers(&h).unwrap().unwrap();
        assert_eq!(state.status, CopyStatus::Pending);
        assert_eq!(state.progress, Some((4_194_304, 10_485_760)));
        assert!(state.completed_on.is_some());
        assert!(!state.status.is_terminal());

        h.insert("x-ms-copy-progress", "lots".parse().unwrap());
        assert_eq!(parse_copy_headers(&h).unwrap_err().kind(), crate::ErrorKind::InvalidResponse);
        assert_eq!(parse_copy_headers(&HeaderMap::new()).unwrap(), None);
    }

    #[test]
    fn the_echoed_source_sas_signature_is_redacted() {
        let mut h = HeaderMap::new();
        let source = "https://a.blob.core.windows.net/c/b?sv=2023-11-03&sr=b&sp=r&sig=c2VjcmV0LXNpZw%3D%3D";
        for (k, v) in [("x-ms-copy-id", "id-1"), ("x-ms-copy-status", "success"), ("x-ms-copy-source", source)] {
            h.insert(k, v.parse().unwrap());
        }
        let state = parse_copy_headers(&h).unwrap().unwrap();
        let shown = state.source.clone().unwrap();
        assert_eq!(shown, "https://a.blob.core.windows.net/c/b?sv=2023-11-03&sr=b&sp=r&sig=REDACTED");
        assert!(!format!("{state:?}").contains("c2VjcmV0"), "{state:?}");
    }
}
