//! Conditional request headers: `If-Match`, `If-None-Match`, `If-(Un)Modified-Since`,
//! and the access conditions Azure treats alike: the lease id and `x-ms-if-tags`.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations>
//! <https://learn.microsoft.com/rest/api/storageservices/lease-blob>

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
    /// The id of the blob's active lease (`x-ms-lease-id`): a write, delete,
    /// metadata or tier change of a leased blob must name it, and a request
    /// naming it fails unless that lease is active. A GUID, e.g. from
    /// [`BlobClient::acquire_lease`](crate::BlobClient::acquire_lease).
    pub lease_id: Option<String>,
    /// Only if the blob's index tags satisfy this expression (`x-ms-if-tags`),
    /// in the syntax of Find Blobs by Tags, e.g. `"stage" = 'prod'`.
    pub if_tags: Option<String>,
}

/// Which of the [`Conditions`] an operation accepts; the others are refused
/// before sending, since the service would reject or, worse, ignore them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accepted {
    /// `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`.
    pub(crate) etag_and_dates: bool,
    /// `x-ms-lease-id`.
    pub(crate) lease: bool,
    /// `x-ms-if-tags`.
    pub(crate) tags: bool,
}

impl Accepted {
    /// Every condition: what most blob operations take.
    pub(crate) const ALL: Accepted = Accepted { etag_and_dates: true, lease: true, tags: true };
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

    /// Only under the active lease `lease_id`.
    pub fn lease(lease_id: impl Into<String>) -> Self {
        Conditions { lease_id: Some(lease_id.into()), ..Conditions::default() }
    }

    /// Whether a write under these conditions can be repeated after its
    /// answer was lost: false when the write itself would make a repeat fail
    /// (`If-Match` an ETag the write replaces, `If-None-Match: *` on a blob
    /// the write created, `If-Unmodified-Since` a time before the write), so
    /// a repeat would report a spurious conflict for a write that succeeded.
    pub(crate) fn survive_own_write(&self) -> bool {
        let specific_if_match = self.if_match.as_ref().is_some_and(|e| e.0 != "*");
        let if_not_exists = self.if_none_match.as_ref().is_some_and(|e| e.0 == "*");
        // A tag condition may no longer hold once the write replaced the tags.
        !(specific_if_match || if_not_exists || self.if_unmodified_since.is_some() || self.if_tags.is_some())
    }

    /// Sets every condition given; for operations that accept them all.
    pub(crate) fn apply(&self, request: &mut Request) -> Result<()> {
        self.apply_accepted(request, Accepted::ALL, "this operation")
    }

    /// Sets the conditions `operation` accepts and refuses, unsent, any
    /// other one that is set.
    pub(crate) fn apply_accepted(&self, request: &mut Request, accepted: Accepted, operation: &str) -> Result<()> {
        let refuse = |what: &str| Err(Error::invalid_input(format!("{operation} does not accept {what}")));
        let has_etag_or_date = self.if_match.is_some()
            || self.if_none_match.is_some()
            || self.if_modified_since.is_some()
            || self.if_unmodified_since.is_some();
        if has_etag_or_date && !accepted.etag_and_dates {
            return refuse("ETag or date conditions");
        }
        if let Some(lease_id) = &self.lease_id {
            if !accepted.lease {
                return refuse("a lease id");
            }
            check_lease_id(lease_id)?;
            set_header(request, headers::X_MS_LEASE_ID, lease_id)?;
        }
        if let Some(expression) = &self.if_tags {
            if !accepted.tags {
                return refuse("a tag condition (x-ms-if-tags)");
            }
            // An empty expression would be no condition at all.
            if expression.trim().is_empty() {
                return Err(Error::invalid_input("the tag condition (x-ms-if-tags) is empty"));
            }
            set_header(request, headers::X_MS_IF_TAGS, expression)?;
        }
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

/// Checks that `id` has the shape of the GUID the service hands out as a
/// lease id (`8-4-4-4-12` hex digits); an empty or malformed one would only
/// come back as a 400, or, empty, be read as no lease at all.
pub(crate) fn check_lease_id(id: &str) -> Result<()> {
    let groups: Vec<&str> = id.split('-').collect();
    let shaped = groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, n)| g.len() == n && g.chars().all(|c| c.is_ascii_hexdigit()));
    if !shaped {
        return Err(Error::invalid_input(format!(
            "the lease id {id:?} is not a GUID (like 3f2504e0-4f89-11d3-9a0c-0305e82c3301)"
        )));
    }
    Ok(())
}

/// The first instant an HTTP date cannot show: 10000-01-01T00:00:00Z.
const YEAR_10000: Duration = Duration::from_secs(253_402_300_800);

/// The service reports `If-None-Match: *` on an existing blob as 409
/// BlobAlreadyExists; some servers answer 412 instead. For a write that asked
/// "only if new", both mean the same, so both become `AlreadyExists`.
pub(crate) fn refine_if_not_exists(err: Error, conditions: &Conditions) -> Error {
    let if_not_exists = conditions.if_none_match.as_ref().is_some_and(|e| e.0 == "*");
    // A 412 about the lease (`LeaseIdMissing`, `LeaseIdMismatchWithBlobOperation`)
    // says nothing about whether the blob exists.
    let about_lease = err.error_code().is_some_and(|c| c.starts_with("Lease"));
    if if_not_exists && !about_lease && err.kind() == crate::error::ErrorKind::PreconditionFailed {
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
        assert!(Conditions::lease(LEASE).survive_own_write(), "the lease outlives the write");
        let tags = Conditions { if_tags: Some("\"a\" = 'b'".into()), ..Conditions::default() };
        assert!(!tags.survive_own_write(), "the write may replace the tags the condition reads");
    }

    const LEASE: &str = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";

    fn request() -> Request {
        Request::new("PutBlob", Method::PUT, "https://a.blob.core.windows.net/c/b".parse().unwrap())
    }

    #[test]
    fn lease_and_tag_conditions_become_their_headers() {
        let conditions = Conditions { if_tags: Some("\"stage\" = 'prod'".into()), ..Conditions::lease(LEASE) };
        let mut r = request();
        conditions.apply(&mut r).unwrap();
        assert_eq!(r.header("x-ms-lease-id"), Some(LEASE));
        assert_eq!(r.header("x-ms-if-tags"), Some("\"stage\" = 'prod'"));
        let mut r = request();
        Conditions::default().apply(&mut r).unwrap();
        assert_eq!((r.header("x-ms-lease-id"), r.header("x-ms-if-tags")), (None, None));
    }

    #[test]
    fn malformed_lease_ids_and_empty_tag_conditions_are_invalid_input() {
        for bad in ["", " ", "not-a-guid", "f81d4fae7dec11d0a76500a0c91e6bf6", "f81d4fae-7dec-11d0-a765-00a0c91e6bfg"] {
            let err = Conditions::lease(bad).apply(&mut request()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad:?}");
        }
        for bad in ["", "  "] {
            let conditions = Conditions { if_tags: Some(bad.into()), ..Conditions::default() };
            assert_eq!(conditions.apply(&mut request()).unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn a_lease_refusal_of_a_create_if_absent_stays_a_lease_refusal() {
        let refusal = |code: &str| {
            Error::new(crate::ErrorKind::PreconditionFailed, "refused")
                .with_status(http::StatusCode::PRECONDITION_FAILED)
                .with_error_code(Some(code.to_owned()))
        };
        let create = Conditions { if_none_match: Some(ETag("*".into())), ..Conditions::lease(LEASE) };
        let kept = refine_if_not_exists(refusal("LeaseIdMismatchWithBlobOperation"), &create);
        assert_eq!(kept.kind(), crate::ErrorKind::PreconditionFailed, "the lease refused it, not an existing blob");
        let exists = refine_if_not_exists(refusal("ConditionNotMet"), &create);
        assert_eq!(exists.kind(), crate::ErrorKind::AlreadyExists);
    }

    #[test]
    fn conditions_an_operation_does_not_accept_are_refused_unsent() {
        let only_lease = Accepted { etag_and_dates: false, lease: true, tags: false };
        let mut r = request();
        Conditions::lease(LEASE).apply_accepted(&mut r, only_lease, "Put Block").unwrap();
        assert_eq!(r.header("x-ms-lease-id"), Some(LEASE));
        let tags = Conditions { if_tags: Some("\"a\" = 'b'".into()), ..Conditions::default() };
        let err = tags.apply_accepted(&mut request(), only_lease, "Put Block").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("Put Block does not accept a tag condition"), "{err}");
        let etag = Conditions::if_match(ETag("\"0x1\"".into()));
        assert!(etag.apply_accepted(&mut request(), only_lease, "Put Block").is_err());
        let none = Accepted { etag_and_dates: true, lease: false, tags: true };
        assert!(Conditions::lease(LEASE).apply_accepted(&mut request(), none, "Lease Blob").is_err());
    }
}
