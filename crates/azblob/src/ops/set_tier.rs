//! Set Blob Tier: moves a block blob between Hot, Cool, Cold and Archive.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/set-blob-tier>

use http::{HeaderValue, Method};
use url::Url;

use super::blob_properties::BlobSelector;
use super::conditions::{Accepted, Conditions};
use super::headers;
use super::models::AccessTier;
use super::request_util::{add_query, set_header};
use crate::error::Result;
use crate::transport::Request;

/// How fast an archived blob is rehydrated (`x-ms-rehydrate-priority`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RehydratePriority {
    /// Up to 15 hours.
    Standard,
    /// Under an hour for objects under 10 GB, at a higher price.
    High,
}

impl RehydratePriority {
    /// The header value, `Standard` or `High`.
    pub fn as_str(self) -> &'static str {
        match self {
            RehydratePriority::Standard => "Standard",
            RehydratePriority::High => "High",
        }
    }
}

/// Options of Set Blob Tier.
#[derive(Debug, Clone, Default)]
pub struct SetTierOptions {
    /// A snapshot or version to re-tier instead of the current blob.
    pub selector: BlobSelector,
    /// The priority when moving a blob out of Archive.
    pub rehydrate_priority: Option<RehydratePriority>,
    /// The blob's lease and a tag condition; Set Blob Tier takes no ETag or
    /// date condition, and refuses them unsent.
    pub conditions: Conditions,
}

/// Set Blob Tier accepts a lease id and a tag condition only.
const SET_TIER_ACCEPTS: Accepted = Accepted { etag_and_dates: false, lease: true, tags: true };

/// Builds Set Blob Tier; also the sub-request of a batch set-tier.
pub(crate) fn build_set_tier_request(url: Url, tier: &AccessTier, options: &SetTierOptions) -> Result<Request> {
    let mut request = Request::new("SetBlobTier", Method::PUT, url);
    add_query(&mut request, "comp", "tier");
    options.selector.apply(&mut request)?;
    set_header(&mut request, headers::X_MS_ACCESS_TIER, tier.as_str())?;
    options.conditions.apply_accepted(&mut request, SET_TIER_ACCEPTS, "Set Blob Tier")?;
    if let Some(priority) = options.rehydrate_priority {
        request.headers.insert(headers::X_MS_REHYDRATE_PRIORITY, HeaderValue::from_static(priority.as_str()));
    }
    // Asking for the same tier again leaves the same tier.
    Ok(request.idempotent())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tier_with_priority_and_version() {
        let options = SetTierOptions {
            selector: BlobSelector::version("2026-01-01T00:00:00.0000000Z"),
            rehydrate_priority: Some(RehydratePriority::High),
            conditions: Conditions::lease("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"),
        };
        let url = "https://a.blob.core.windows.net/c/b".parse().unwrap();
        let r = build_set_tier_request(url, &AccessTier::Hot, &options).unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(r.url.query(), Some("comp=tier&versionid=2026-01-01T00%3A00%3A00.0000000Z"));
        assert_eq!(r.header("x-ms-access-tier"), Some("Hot"));
        assert_eq!(r.header("x-ms-rehydrate-priority"), Some("High"));
        assert_eq!(r.header("x-ms-lease-id"), Some("f81d4fae-7dec-11d0-a765-00a0c91e6bf6"));
        let etag = SetTierOptions { conditions: Conditions::if_not_exists(), ..SetTierOptions::default() };
        let url = "https://a.blob.core.windows.net/c/b".parse().unwrap();
        let err = build_set_tier_request(url, &AccessTier::Hot, &etag).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    }
}
