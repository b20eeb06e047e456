//! Conditional request headers: `If-Match`, `If-None-Match`, `If-(Un)Modified-Since`.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/specifying-conditional-headers-for-blob-service-operations>

use std::time::SystemTime;

use super::headers;
use super::models::ETag;
use super::request_util::set_header;
use crate::error::Result;
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

    pub(crate) fn apply(&self, request: &mut Request) -> Result<()> {
        if let Some(etag) = &self.if_match {
            set_header(request, headers::IF_MATCH, &etag.0)?;
        }
        if let Some(etag) = &self.if_none_match {
            set_header(request, headers::IF_NONE_MATCH, &etag.0)?;
        }
        if let Some(t) = self.if_modified_since {
            set_header(request, headers::IF_MODIFIED_SINCE, &httpdate::fmt_http_date(t))?;
        }
        if let Some(t) = self.if_unmodified_since {
            set_header(request, headers::IF_UNMODIFIED_SINCE, &httpdate::fmt_http_date(t))?;
        }
        Ok(())
    }
}
