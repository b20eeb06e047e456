//! Conditional request headers: `If-Match`, `If-None-Match`, `If-(Un)Modified-Since`.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations>

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::headers;
use super::models::ETag;
use super::request_util::set_header;
use crate::error::{Error, Result};
use crate::transport::Request;

/// Conditions a request's target must meet; unmet ones fail with
/// [`PreconditionFailed`](crate::ErrorKind::PreconditionFailed) (or
/// [`AlreadyExists`](crate::ErrorKind::AlreadyExists) for `If-None-Match: *` on a write).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conditions {
    /// Only if the blob's ETag is this one (`*`: only if the blob exists).
    pub if_match: Option<ETag>,
    /// Only if the blob's ETag is not this one (`*`: only if the blob does not exist).
    pub if_none_match: Option<ETag>,
    /// Only if modified after this instant.
    pub if_modified_since: Option<SystemTime>,
    /// Only if not modified after this instant.
    pub if_unmodified_since: Option<SystemTime>,
}

impl Conditions {
    /// `If-None-Match: *`: the write succeeds only if the blob does not exist yet.
    pub fn if_not_exists() -> Self {
        Conditions { if_none_match: Some(ETag("*".into())), ..Conditions::default() }
    }

    /// `If-Match: etag`: the request succeeds only if the blob is unchanged.
    pub fn if_match(etag: ETag) -> Self {
        Conditions { if_match: Some(etag), ..Conditions::default() }
    }

    /// Whether a write under these conditions can be repeated after its
    /// answer was lost: false when the write itself would make a repeat fail
    /// (`If-Match` an ETag the write replaces, `If-None-Match: *` on a blob
    /// the write created, `If-Unmodified-Since` a time before the write), so
    /// a repeat would report a spurious conflict for a write that succeeded.
    pub(crate) fn survive_own_write(&self) -> bool {
        let specific_if_match = self.if_match.as_ref().is_some_and(|e| e.0 != "*");
        let if_not_exists = self.if_none_match.as_ref().is_some_and(|e| e.0 == "*");
        !(specific_if_match || if_not_exists || self.if_unmodified_since.is_some())
    }

    pub(crate) fn apply(&self, request: &mut Request) -> Result<()> {
        // An empty If-Match or If-None-Match is no condition at all to the
        // service, so the write it was meant to guard would go through.
        for (name, etag) in [(headers::IF_MATCH, &self.if_match), (headers::IF_NONE_MATCH, &self.if_none_match)] {
            if etag.as_ref().is_some_and(|e| e.0.trim().is_empty()) {
                return Err(Error::invalid_input(format!("the ETag for {name} is empty")));
            }
        }
        if let Some(etag) = &self.if_match {
            set_header(request, headers::IF_MATCH, &etag.0)?;
        }
        if let Some(etag) = &self.if_none_match {
            set_header(request, headers::IF_NONE_MATCH, &etag.0)?;
        }
        if let Some(t) = self.if_modified_since {
            set_header(request, headers::IF_MODIFIED_SINCE, &http_date(t)?)?;
        }
        if let Some(t) = self.if_unmodified_since {
            set_header(request, headers::IF_UNMODIFIED_SINCE, &http_date(t)?)?;
        }
        Ok(())
    }
}

/// The first instant an HTTP date cannot show: 10000-01-01T00:00:00Z.
const YEAR_10000: Duration = Duration::from_secs(253_402_300_800);

/// The service reports `If-None-Match: *` on an existing blob as 409
/// BlobAlreadyExists; some servers answer 412 instead. For a write that asked
/// "only if new", both mean the same, so both become `AlreadyExists`.
pub(crate) fn refine_if_not_exists(err: Error, conditions: &Conditions) -> Error {
    let if_not_exists = conditions.if_none_match.as_ref().is_some_and(|e| e.0 == "*");
    if if_not_exists && err.kind() == crate::error::ErrorKind::PreconditionFailed {
        let status = err.status().unwrap_or(http::StatusCode::PRECONDITION_FAILED);
        let code = err.error_code().map(str::to_owned);
        let request_id = err.request_id().map(str::to_owned);
        let operation = err.operation().unwrap_or("PutBlob");
        return Error::new(crate::error::ErrorKind::AlreadyExists, "the blob already exists")
            .with_operation(operation)
            .with_status(status)
            .with_error_code(code)
            .with_request_id(request_id)
            .with_source(err);
    }
    err
}

/// `t` as an HTTP date; `httpdate` panics outside 1970..=9999, so such an
/// instant is the caller's invalid input instead.
fn http_date(t: SystemTime) -> Result<String> {
    match t.duration_since(UNIX_EPOCH) {
        Ok(since) if since < YEAR_10000 => Ok(httpdate::fmt_http_date(t)),
        _ => Err(Error::invalid_input("a condition's date must lie between 1970 and 9999")),
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    #[test]
    fn dates_outside_what_http_can_show_are_invalid_input() {
        let url: url::Url = "https://a.blob.core.windows.net/c/b".parse().unwrap();
        let far = UNIX_EPOCH + YEAR_10000;
        let early = UNIX_EPOCH - Duration::from_secs(1);
        for t in [far, early] {
            for conditions in [
                Conditions { if_modified_since: Some(t), ..Conditions::default() },
                Conditions { if_unmodified_since: Some(t), ..Conditions::default() },
            ] {
                let mut request = Request::new("GetBlob", Method::GET, url.clone());
                let err = conditions.apply(&mut request).unwrap_err();
                assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
            }
        }
        let last = UNIX_EPOCH + YEAR_10000 - Duration::from_secs(1);
        let mut request = Request::new("GetBlob", Method::GET, url);
        Conditions { if_modified_since: Some(last), ..Conditions::default() }.apply(&mut request).unwrap();
        assert_eq!(request.header("if-modified-since"), Some("Fri, 31 Dec 9999 23:59:59 GMT"));
    }

    #[test]
    fn only_conditions_a_write_invalidates_forbid_repeating_it() {
        assert!(Conditions::default().survive_own_write());
        assert!(Conditions::if_match(ETag("*".into())).survive_own_write(), "the blob still exists");
        assert!(!Conditions::if_match(ETag("\"0x1\"".into())).survive_own_write());
        assert!(!Conditions::if_not_exists().survive_own_write());
        let other_etag = Conditions { if_none_match: Some(ETag("\"0x1\"".into())), ..Conditions::default() };
        assert!(other_etag.survive_own_write(), "the new ETag still differs");
        let since = Conditions { if_modified_since: Some(SystemTime::UNIX_EPOCH), ..Conditions::default() };
        assert!(since.survive_own_write());
        let unmodified = Conditions { if_unmodified_since: Some(SystemTime::UNIX_EPOCH), ..Conditions::default() };
        assert!(!unmodified.survive_own_write());
    }
}
