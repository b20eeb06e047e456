//! Lease Blob: acquire, renew, change, release and break a blob's write lock.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/lease-blob>

use std::time::Duration;

use http::{Method, StatusCode};
use url::Url;

use super::conditions::{check_lease_id, Accepted, Conditions};
use super::headers;
use super::models::ETag;
use super::request_util::{self as ru, add_query, set_header};
use crate::error::{Error, Result};
use crate::transport::{Request, Response};

/// The shortest fixed lease, in seconds.
pub const MIN_LEASE_SECS: u32 = 15;
/// The longest fixed lease, in seconds.
pub const MAX_LEASE_SECS: u32 = 60;
/// The longest break period, in seconds.
pub const MAX_BREAK_PERIOD_SECS: u32 = 60;

/// How long an acquired lease lasts unless renewed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseDuration {
    /// A fixed lease of 15 to 60 seconds, renewed to keep it.
    Seconds(u32),
    /// A lease that lasts until it is released or broken.
    Infinite,
}

impl LeaseDuration {
    /// The `x-ms-lease-duration` value, after checking the range.
    fn header_value(self) -> Result<String> {
        match self {
            LeaseDuration::Infinite => Ok("-1".to_owned()),
            LeaseDuration::Seconds(s) if (MIN_LEASE_SECS..=MAX_LEASE_SECS).contains(&s) => Ok(s.to_string()),
            LeaseDuration::Seconds(s) => Err(Error::invalid_input(format!(
                "a lease lasts {MIN_LEASE_SECS} to {MAX_LEASE_SECS} seconds or is infinite, got {s} seconds"
            ))),
        }
    }

    /// The fixed duration, or `None` for an infinite lease.
    pub fn as_duration(self) -> Option<Duration> {
        match self {
            LeaseDuration::Seconds(s) => Some(Duration::from_secs(u64::from(s))),
            LeaseDuration::Infinite => None,
        }
    }
}

/// The state of a blob's lease (`x-ms-lease-state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseState {
    /// No lease: anyone may acquire one.
    Available,
    /// Leased: writes need the lease id.
    Leased,
    /// A fixed lease ran out without renewal; anyone may acquire one.
    Expired,
    /// Broken, but the break period has not ended: writes still need the id.
    Breaking,
    /// Broken: anyone may acquire a new lease.
    Broken,
}

impl LeaseState {
    /// The state as the service writes it (`available`, `leased`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            LeaseState::Available => "available",
            LeaseState::Leased => "leased",
            LeaseState::Expired => "expired",
            LeaseState::Breaking => "breaking",
            LeaseState::Broken => "broken",
        }
    }

    /// The state named by `value`; `None` for one this library does not know.
    pub(crate) fn parse(value: &str) -> Option<LeaseState> {
        [LeaseState::Available, LeaseState::Leased, LeaseState::Expired, LeaseState::Breaking, LeaseState::Broken]
            .into_iter()
            .find(|s| s.as_str().eq_ignore_ascii_case(value.trim()))
    }
}

/// Options of [`BlobClient::acquire_lease_opts`](crate::BlobClient::acquire_lease_opts).
#[derive(Debug, Clone, Default)]
pub struct AcquireLeaseOptions {
    /// The lease id to ask for (a GUID); the service makes one up otherwise.
    /// With it, a repeated acquire of the same lease succeeds, so it is retried.
    pub proposed_lease_id: Option<String>,
    /// ETag, date and tag conditions on the blob (no lease id: the blob has none yet).
    pub conditions: Conditions,
}

/// Options of [`BlobClient::break_lease_opts`](crate::BlobClient::break_lease_opts).
#[derive(Debug, Clone, Default)]
pub struct BreakLeaseOptions {
    /// Seconds (0 to 60) the lease goes on before it ends; `None` lets a
    /// fixed lease run out and ends an infinite one at once.
    pub break_period: Option<u32>,
    /// ETag, date and tag conditions on the blob.
    pub conditions: Conditions,
}

/// What acquire, renew and change return.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeaseGranted {
    /// The lease id, to pass as [`Conditions::lease_id`] on writes.
    pub lease_id: String,
    /// The blob's ETag.
    pub etag: Option<ETag>,
    /// When the blob last changed.
    pub last_modified: Option<std::time::SystemTime>,
}

/// One Lease Blob action.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LeaseAction<'a> {
    Acquire { duration: LeaseDuration, proposed: Option<&'a str> },
    Renew { lease_id: &'a str },
    Change { lease_id: &'a str, proposed: &'a str },
    Release { lease_id: &'a str },
    Break { period: Option<u32> },
}

impl LeaseAction<'_> {
    fn name(&self) -> &'static str {
        match self {
            LeaseAction::Acquire { .. } => "acquire",
            LeaseAction::Renew { .. } => "renew",
            LeaseAction::Change { .. } => "change",
            LeaseAction::Release { .. } => "release",
            LeaseAction::Break { .. } => "break",
        }
    }
}

/// Lease Blob takes ETag, date and tag conditions; the lease id travels as
/// the action's own argument.
const LEASE_ACCEPTS: Accepted = Accepted { etag_and_dates: true, lease: false, tags: true };

/// Builds one Lease Blob request.
pub(crate) fn build_lease_request(url: Url, action: LeaseAction<'_>, conditions: &Conditions) -> Result<Request> {
    let mut request = Request::new("LeaseBlob", Method::PUT, url);
    add_query(&mut request, "comp", "lease");
    set_header(&mut request, headers::X_MS_LEASE_ACTION, action.name())?;
    let set_id = |request: &mut Request, name: &'static str, id: &str| -> Result<()> {
        check_lease_id(id)?;
        set_header(request, name, id)
    };
    match action {
        LeaseAction::Acquire { duration, proposed } => {
            set_header(&mut request, headers::X_MS_LEASE_DURATION, &duration.header_value()?)?;
            if let Some(id) = proposed {
                set_id(&mut request, headers::X_MS_PROPOSED_LEASE_ID, id)?;
            }
        }
        LeaseAction::Renew { lease_id } | LeaseAction::Release { lease_id } => {
            set_id(&mut request, headers::X_MS_LEASE_ID, lease_id)?;
        }
        LeaseAction::Change { lease_id, proposed } => {
            set_id(&mut request, headers::X_MS_LEASE_ID, lease_id)?;
            set_id(&mut request, headers::X_MS_PROPOSED_LEASE_ID, proposed)?;
        }
        LeaseAction::Break { period } => {
            if let Some(period) = period {
                if period > MAX_BREAK_PERIOD_SECS {
                    return Err(Error::invalid_input(format!(
                        "a break period is 0 to {MAX_BREAK_PERIOD_SECS} seconds, got {period}"
                    )));
                }
                set_header(&mut request, headers::X_MS_LEASE_BREAK_PERIOD, &period.to_string())?;
            }
        }
    }
    conditions.apply_accepted(&mut request, LEASE_ACCEPTS, "Lease Blob")?;
    // Which actions a repeat after a lost answer leaves as the first left them:
    // renewing twice renews; a change succeeds when the lease already has the
    // proposed id; breaking a breaking or broken lease is allowed; an acquire
    // with a proposed id succeeds again on the lease it took. An acquire
    // without one would collide with its own lease (409 LeaseAlreadyPresent),
    // and a repeated release finds no lease (409). A condition the action
    // invalidates would fail the repeat.
    let safe = match action {
        LeaseAction::Acquire { proposed, .. } => proposed.is_some(),
        LeaseAction::Renew { .. } | LeaseAction::Change { .. } | LeaseAction::Break { .. } => true,
        LeaseAction::Release { .. } => false,
    };
    request.idempotent = safe && conditions.survive_own_write();
    Ok(request)
}

/// Parses the answer of acquire (201), renew or change (200).
pub(crate) fn parse_lease_granted(response: &Response) -> Result<LeaseGranted> {
    if !matches!(response.status, StatusCode::OK | StatusCode::CREATED) {
        return Err(Error::invalid_response(format!("Lease Blob answered HTTP {}", response.status.as_u16())));
    }
    let h = &response.headers;
    let lease_id = ru::required(h, headers::X_MS_LEASE_ID)?.to_owned();
    // The id goes into every later write; an answer that is not a GUID would
    // fail them all with a confusing error.
    check_lease_id(&lease_id).map_err(|_| {
        Error::invalid_response(format!("the service answered a lease id that is not a GUID: {lease_id:?}"))
    })?;
    Ok(LeaseGranted {
        lease_id,
        etag: ru::header(h, headers::ETAG).map(|e| ETag(e.to_owned())),
        last_modified: ru::date(h, headers::LAST_MODIFIED)?,
    })
}

/// Parses the answer of break (202): how long until the lease is broken.
pub(crate) fn parse_lease_broken(response: &Response) -> Result<Duration> {
    if response.status != StatusCode::ACCEPTED {
        return Err(Error::invalid_response(format!("Lease Blob (break) answered HTTP {}", response.status.as_u16())));
    }
    let secs = ru::number(&response.headers, headers::X_MS_LEASE_TIME)?
        .ok_or_else(|| Error::invalid_response("the break answer has no x-ms-lease-time header"))?;
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use http::HeaderMap;

    use super::*;

    const ID: &str = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
    const OTHER: &str = "3f2504e0-4f89-11d3-9a0c-0305e82c3301";

    fn url() -> Url {
        "https://myaccount.blob.core.windows.net/mycontainer/myblob".parse().unwrap()
    }

    fn build(action: LeaseAction<'_>) -> Result<Request> {
        build_lease_request(url(), action, &Conditions::default())
    }

    #[test]
    fn each_action_sends_its_documented_headers() {
        let r = build(LeaseAction::Acquire { duration: LeaseDuration::Seconds(15), proposed: Some(ID) }).unwrap();
        assert_eq!(r.method, Method::PUT);
        assert_eq!(r.url.query(), Some("comp=lease"));
        assert_eq!(r.header("x-ms-lease-action"), Some("acquire"));
        assert_eq!(r.header("x-ms-lease-duration"), Some("15"));
        assert_eq!(r.header("x-ms-proposed-lease-id"), Some(ID));
        assert!(r.idempotent, "acquiring the lease it already holds succeeds");
        let r = build(LeaseAction::Acquire { duration: LeaseDuration::Infinite, proposed: None }).unwrap();
        assert_eq!(r.header("x-ms-lease-duration"), Some("-1"));
        assert!(!r.idempotent, "a repeat would find the lease taken by the first attempt");

        let r = build(LeaseAction::Renew { lease_id: ID }).unwrap();
        assert_eq!((r.header("x-ms-lease-action"), r.header("x-ms-lease-id")), (Some("renew"), Some(ID)));
        assert!(r.idempotent);
        let r = build(LeaseAction::Change { lease_id: ID, proposed: OTHER }).unwrap();
        assert_eq!(r.header("x-ms-lease-action"), Some("change"));
        assert_eq!((r.header("x-ms-lease-id"), r.header("x-ms-proposed-lease-id")), (Some(ID), Some(OTHER)));
        let r = build(LeaseAction::Release { lease_id: ID }).unwrap();
        assert_eq!(r.header("x-ms-lease-action"), Some("release"));
        assert!(!r.idempotent, "a repeated release finds no lease");
        let r = build(LeaseAction::Break { period: Some(0) }).unwrap();
        assert_eq!((r.header("x-ms-lease-action"), r.header("x-ms-lease-break-period")), (Some("break"), Some("0")));
        assert_eq!(build(LeaseAction::Break { period: None }).unwrap().header("x-ms-lease-break-period"), None);
    }

    #[test]
    fn durations_periods_and_ids_out_of_range_are_invalid_input() {
        let bad = [
            build(LeaseAction::Acquire { duration: LeaseDuration::Seconds(14), proposed: None }),
            build(LeaseAction::Acquire { duration: LeaseDuration::Seconds(61), proposed: None }),
            build(LeaseAction::Acquire { duration: LeaseDuration::Seconds(30), proposed: Some("") }),
            build(LeaseAction::Renew { lease_id: "" }),
            build(LeaseAction::Release { lease_id: "lease" }),
            build(LeaseAction::Change { lease_id: ID, proposed: "x" }),
            build(LeaseAction::Break { period: Some(61) }),
            build_lease_request(url(), LeaseAction::Renew { lease_id: ID }, &Conditions::lease(ID)),
        ];
        for result in bad {
            assert_eq!(result.unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        }
        build(LeaseAction::Acquire { duration: LeaseDuration::Seconds(60), proposed: None }).unwrap();
        build(LeaseAction::Break { period: Some(60) }).unwrap();
    }

    #[test]
    fn lease_states_parse_as_the_service_writes_them() {
        assert_eq!(LeaseState::parse("leased"), Some(LeaseState::Leased));
        assert_eq!(LeaseState::parse("Breaking"), Some(LeaseState::Breaking));
        assert_eq!(LeaseState::parse("unlocked"), None);
    }

    #[test]
    fn parses_the_documented_answers() {
        let mut h = HeaderMap::new();
        h.insert("etag", "\"0x8CB171BA9E94B0B\"".parse().unwrap());
        h.insert("last-modified", "Thu, 01 Jun 2023 12:00:00 GMT".parse().unwrap());
        h.insert("x-ms-lease-id", ID.parse().unwrap());
        let granted = parse_lease_granted(&Response::new(StatusCode::CREATED, h.clone(), "")).unwrap();
        assert_eq!(granted.lease_id, ID);
        assert_eq!(granted.etag, Some(ETag("\"0x8CB171BA9E94B0B\"".into())));
        h.insert("x-ms-lease-id", "not a guid".parse().unwrap());
        let err = parse_lease_granted(&Response::new(StatusCode::OK, h, "")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse);
        let err = parse_lease_granted(&Response::new(StatusCode::OK, HeaderMap::new(), "")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse);

        let mut h = HeaderMap::new();
        h.insert("x-ms-lease-time", "12".parse().unwrap());
        assert_eq!(parse_lease_broken(&Response::new(StatusCode::ACCEPTED, h, "")).unwrap(), Duration::from_secs(12));
        let err = parse_lease_broken(&Response::new(StatusCode::ACCEPTED, HeaderMap::new(), "")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse);
    }
}
