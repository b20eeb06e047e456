//! Copy Blob (asynchronous), Copy Blob From URL (synchronous) and Abort Copy Blob.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/copy-blob>
//! <https://learn.microsoft.com/rest/api/storageservices/copy-blob-from-url>
//! <https://learn.microsoft.com/rest/api/storageservices/abort-copy-blob>

use http::{HeaderValue, Method, StatusCode};
use url::Url;

use super::conditions::{Accepted, Conditions};
use super::copy_state::CopyStatus;
use super::headers;
use super::models::{AccessTier, ETag, Metadata};
use super::request_util::{self as ru, add_query, set_header, set_metadata};
use super::tags::{set_tags_header, Tags};
use crate::error::{Error, Result};
use crate::redact::redact_url;
use crate::transport::{Request, Response};

/// The largest source Copy Blob From URL accepts (256 MiB).
pub const MAX_SYNC_COPY_BYTES: u64 = 256 * 1024 * 1024;

/// Options of a copy.
#[derive(Debug, Clone, Default)]
pub struct CopyOptions {
    /// Metadata of the destination; empty copies the source's metadata.
    pub metadata: Metadata,
    /// The destination's index tags (`x-ms-tags`); empty sends none, and
    /// the destination has no tags (the source's are not copied).
    pub tags: Tags,
    /// The destination's access tier.
    pub tier: Option<AccessTier>,
    /// Conditions on the destination, e.g. [`Conditions::if_not_exists`].
    pub conditions: Conditions,
}

/// What the service answered when a copy started (or, for a synchronous copy, finished).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyStarted {
    /// The copy's id, needed by Abort Copy Blob.
    pub copy_id: String,
    /// `success` for a copy that finished at once, `pending` otherwise.
    pub status: CopyStatus,
    /// The destination's ETag.
    pub etag: Option<ETag>,
    /// The destination's new version, on accounts with versioning.
    pub version_id: Option<String>,
}

/// Builds Copy Blob (`sync = false`) or Copy Blob From URL (`sync = true`).
///
/// `source` must already carry whatever authorizes reading it (a SAS, or
/// nothing for a public blob); `source_bearer` is a token for the source,
/// which only the synchronous operation accepts.
pub(crate) fn build_copy_request(
    destination: Url,
    source: &Url,
    source_bearer: Option<&str>,
    sync: bool,
    options: &CopyOptions,
) -> Result<Request> {
    let operation = if sync { "CopyBlobFromUrl" } else { "CopyBlob" };
    let mut request = Request::new(operation, Method::PUT, destination);
    let mut value = HeaderValue::from_str(source.as_str()).map_err(|_| {
        Error::invalid_input(format!("the copy source is not valid header text: {}", redact_url(source)))
    })?;
    // The source URL may carry a SAS: keep it out of logs and debug output.
    value.set_sensitive(true);
    request.headers.insert(headers::X_MS_COPY_SOURCE, value);
    if sync {
        request.headers.insert(headers::X_MS_REQUIRES_SYNC, HeaderValue::from_static("true"));
        if let Some(token) = source_bearer {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| Error::invalid_input("the source token is not valid header text"))?;
            value.set_sensitive(true);
            request.headers.insert(headers::X_MS_COPY_SOURCE_AUTHORIZATION, value);
        }
    } else if source_bearer.is_some() {
        return Err(Error::invalid_input("only a synchronous copy accepts a bearer token for its source"));
    }
    set_metadata(&mut request, &options.metadata)?;
    set_tags_header(&mut request, &options.tags)?;
    if let Some(tier) = &options.tier {
        set_header(&mut request, headers::X_MS_ACCESS_TIER, tier.as_str())?;
    }
    options.conditions.apply(&mut request)?;
    // A synchronous copy replaces the destination as a whole, like Put Blob
    // (and like it, not under a condition the first copy invalidates).
    // An asynchronous one that reached the service but lost its answer would,
    // if repeated, collide with itself (409 PendingCopyOperation) or start a
    // second copy under a new id.
    request.idempotent = sync && options.conditions.survive_own_write();
    // A 429 or 503 is answered before the service acts: no copy started,
    // so either kind may be sent again.
    request.repeat_refused = true;
    Ok(request)
}

/// Parses the answer of Copy Blob or Copy Blob From URL (202 Accepted).
pub(crate) fn parse_copy_response(response: &Response) -> Result<CopyStarted> {
    if response.status != StatusCode::ACCEPTED {
        return Err(Error::invalid_response(format!("a copy answered HTTP {}", response.status.as_u16())));
    }
    let h = &response.headers;
    Ok(CopyStarted {
        copy_id: ru::required(h, headers::X_MS_COPY_ID)?.to_owned(),
        status: CopyStatus::parse(ru::required(h, headers::X_MS_COPY_STATUS)?),
        etag: ru::header(h, headers::ETAG).map(|e| ETag(e.to_owned())),
        version_id: ru::header(h, headers::X_MS_VERSION_ID).map(str::to_owned),
    })
}

/// The conditions Abort Copy Blob takes: only the lease id, which the
/// service requires when the destination has an active lease.
const ABORT_COPY_ACCEPTS: Accepted = Accepted { etag_and_dates: false, lease: true, tags: false };

/// Builds Abort Copy Blob for the pending copy `copy_id` into the blob at
/// `url`; `conditions` may carry the destination's lease id and nothing else.
pub(crate) fn build_abort_copy_request(url: Url, copy_id: &str, conditions: &Conditions) -> Result<Request> {
    if copy_id.is_empty() {
        return Err(Error::invalid_input("a copy id is needed to abort a copy"));
    }
    let mut request = Request::new("AbortCopyBlob", Method::PUT, url);
    add_query(&mut request, "comp", "copy");
    add_query(&mut request, "copyid", copy_id);
    request.headers.insert(headers::X_MS_COPY_ACTION, HeaderValue::from_static("abort"));
    conditions.apply_accepted(&mut request, ABORT_COPY_ACCEPTS, "Abort Copy Blob")?;
    // Not idempotent: a repeat of an abort that worked answers 409
    // NoPendingCopyOperation, which cannot be told from a copy that finished
    // before the abort arrived.
    Ok(request)
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    fn dest() -> Url {
        "https://a.blob.core.windows.net/dst/b".parse().unwrap()
    }

    fn source() -> Url {
        "https://a.blob.core.windows.net/src/b?versionid=2026-01-01T00%3A00%3A00.0000000Z&sv=2023-11-03&sig=c2VjcmV0"
            .parse()
            .unwrap()
    }

    #[test]
    fn builds_sync_and_async_copies() {
        let options = CopyOptions {
            metadata: [("origin".to_owned(), "copy".to_owned())].into(),
            tags: [("from".to_owned(), "a/b".to_owned())].into(),
            tier: Some(AccessTier::Cool),
            conditions: Conditions::if_not_exists(),
        };
        let r = build_copy_request(dest(), &source(), None, true, &options).unwrap();
        assert_eq!((r.method.clone(), r.operation), (Method::PUT, "CopyBlobFromUrl"));
        assert_eq!(r.header("x-ms-copy-source"), Some(source().as_str()));
        assert!(r.headers.get("x-ms-copy-source").unwrap().is_sensitive());
        assert_eq!(r.header("x-ms-requires-sync"), Some("true"));
        assert_eq!(r.header("x-ms-meta-origin"), Some("copy"));
        assert_eq!(r.header("x-ms-access-tier"), Some("Cool"));
        assert_eq!(r.header("x-ms-tags"), Some("from=a%2Fb"));
        assert_eq!(r.header("if-none-match"), Some("*"));
        assert!(!r.idempotent, "a repeat of a create-if-absent copy that succeeded would answer AlreadyExists");
        assert!(r.repeat_refused, "one the service refused (429, 503) started nothing");
        assert!(!format!("{r:?}").contains("c2VjcmV0"), "the source SAS never shows");

        let r = build_copy_request(dest(), &source(), None, false, &CopyOptions::default()).unwrap();
        assert_eq!(r.operation, "CopyBlob");
        assert_eq!(r.header("x-ms-requires-sync"), None);
        assert!(!r.idempotent);
        assert!(r.repeat_refused, "a refused Copy Blob started no copy");

        let r = build_copy_request(dest(), &source(), Some("tok"), true, &CopyOptions::default()).unwrap();
        assert_eq!(r.header("x-ms-copy-source-authorization"), Some("Bearer tok"));
        assert!(build_copy_request(dest(), &source(), Some("tok"), false, &CopyOptions::default()).is_err());
    }

    #[test]
    fn builds_abort_copy_as_documented() {
        let id = "1c0d99e1-7768-4600-8d26-fb9e8f3704fd";
        let r = build_abort_copy_request(dest(), id, &Conditions::default()).unwrap();
        assert_eq!(r.url.query(), Some("comp=copy&copyid=1c0d99e1-7768-4600-8d26-fb9e8f3704fd"));
        assert_eq!(r.header("x-ms-copy-action"), Some("abort"));
        assert_eq!(r.header("x-ms-lease-id"), None);
        assert!(build_abort_copy_request(dest(), "", &Conditions::default()).is_err());
    }

    #[test]
    fn abort_copy_sends_the_destination_lease_and_refuses_other_conditions() {
        let id = "1c0d99e1-7768-4600-8d26-fb9e8f3704fd";
        let lease = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";
        let r = build_abort_copy_request(dest(), id, &Conditions::lease(lease)).unwrap();
        assert_eq!(r.header("x-ms-lease-id"), Some(lease));
        assert_eq!(r.header("x-ms-copy-action"), Some("abort"));
        // The REST reference lists no other condition for Abort Copy Blob.
        let refused = [
            Conditions::if_match(ETag("\"0x1\"".into())),
            Conditions { if_tags: Some("\"a\" = 'b'".into()), ..Conditions::default() },
        ];
        for conditions in refused {
            let err = build_abort_copy_request(dest(), id, &conditions).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{err}");
            assert!(err.to_string().contains("Abort Copy Blob does not accept"), "{err}");
        }
    }

    #[test]
    fn parses_the_documented_answer() {
        let mut h = HeaderMap::new();
        h.insert("x-ms-copy-id", "1c0d99e1-7768-4600-8d26-fb9e8f3704fd".parse().unwrap());
        h.insert("x-ms-copy-status", "pending".parse().unwrap());
        h.insert("etag", "\"0x8D810D231BF43D7\"".parse().unwrap());
        let started = parse_copy_response(&Response::new(StatusCode::ACCEPTED, h.clone(), "")).unwrap();
        assert_eq!(started.status, CopyStatus::Pending);
        assert_eq!(started.copy_id, "1c0d99e1-7768-4600-8d26-fb9e8f3704fd");
        h.remove("x-ms-copy-id");
        assert!(parse_copy_response(&Response::new(StatusCode::ACCEPTED, h, "")).is_err());
    }
}
