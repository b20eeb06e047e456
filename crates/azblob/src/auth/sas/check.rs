//! Validation of a [`Sas`] before signing, into the text of every field.
//!
//! Every kind goes through the same checks, so that none of them signs what
//! another would refuse.

use std::net::IpAddr;

use super::builder::{Point, Sas, Scope};
use crate::auth::time::iso8601;
use crate::error::{Error, Result};

/// The permission letters a blob or container SAS may carry, in the documented order.
const SERVICE_PERMISSIONS: &str = "racwdxyltmeopi";
/// The permission letters an account SAS may carry, in the documented order.
const ACCOUNT_PERMISSIONS: &str = "rwdxylacuptfi";
/// The oldest signed version whose string-to-sign this module builds.
pub(super) const FIRST_VERSION: &str = "2020-12-06";
/// The first version whose user delegation string-to-sign has more fields
/// (the delegated user's object id), not built here.
pub(super) const NEXT_USER_DELEGATION_VERSION: &str = "2025-07-05";

/// Which string-to-sign and which query fields a SAS gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Service,
    Account,
    UserDelegation,
}

/// A checked SAS: the text of each field as it is signed and sent; an unused
/// field is empty.
#[derive(Debug, Clone, Default)]
pub(super) struct Checked {
    pub(super) account: String,
    pub(super) permissions: String,
    pub(super) start: String,
    pub(super) expiry: String,
    pub(super) ip: String,
    pub(super) protocol: &'static str,
    pub(super) version: String,
    /// `sr`: `c`, `b`, `bs` or `bv`; empty for an account SAS.
    pub(super) resource: &'static str,
    /// `srt`, for an account SAS.
    pub(super) resource_types: String,
    /// `/blob/account/container[/blob]`, URL-decoded, for a service or user delegation SAS.
    pub(super) canonical: String,
    /// The snapshot time or version id of `bs`/`bv`.
    pub(super) snapshot: String,
    pub(super) identifier: String,
    /// `rscc`, `rscd`, `rsce`, `rscl`, `rsct`.
    pub(super) headers: [String; 5],
}

/// Checks `sas` for a `kind` and `account` and returns its fields as text.
pub(super) fn check(sas: &Sas, kind: Kind, account: &str) -> Result<Checked> {
    check_account(account)?;
    let version = check_version(&sas.version, kind)?;
    if let Some(start) = sas.start {
        if sas.expiry <= start {
            return Err(Error::invalid_input("a SAS must expire after it starts"));
        }
    }
    let mut checked = Checked {
        account: account.to_owned(),
        start: sas.start.map(iso8601).unwrap_or_default(),
        expiry: iso8601(sas.expiry),
        ip: sas.ip.as_deref().map(check_ip).transpose()?.unwrap_or_default(),
        protocol: sas.protocol.map(|p| p.as_str()).unwrap_or(""),
        version,
        ..Checked::default()
    };
    match &sas.scope {
        Scope::Account { resource_types } => {
            checked.resource_types = normalize(resource_types, "sco").map_err(|_| {
                Error::invalid_input("account SAS resource types must be a non-empty subset of \"sco\"")
            })?;
            checked.permissions = normalize(&sas.permissions, ACCOUNT_PERMISSIONS)?;
            refuse_for_account(sas)?;
        }
        Scope::Container { container } => {
            checked.permissions = normalize(&sas.permissions, SERVICE_PERMISSIONS)?;
            checked.canonical = format!("/blob/{account}/{}", non_empty(container, "container")?);
            checked.resource = "c";
            if sas.point.is_some() {
                return Err(Error::invalid_input("a snapshot or version SAS needs a blob, not a container"));
            }
        }
        Scope::Blob { container, blob } => {
            checked.permissions = normalize(&sas.permissions, SERVICE_PERMISSIONS)?;
            // The canonicalized resource is URL-decoded: the blob name as given.
            checked.canonical =
                format!("/blob/{account}/{}/{}", non_empty(container, "container")?, non_empty(blob, "blob")?);
            (checked.resource, checked.snapshot) = match &sas.point {
                None => ("b", String::new()),
                Some(Point::Snapshot(at)) => ("bs", non_empty(at, "snapshot")?.to_owned()),
                Some(Point::Version(id)) => ("bv", non_empty(id, "version id")?.to_owned()),
            };
        }
    }
    if let Some(identifier) = &sas.identifier {
        if kind != Kind::Service {
            return Err(Error::invalid_input("only a service SAS can name a stored access policy (identifier)"));
        }
        checked.identifier = non_empty(identifier, "stored access policy identifier")?.to_owned();
    }
    let h = &sas.headers;
    let headers = [&h.cache_control, &h.content_disposition, &h.content_encoding, &h.content_language, &h.content_type];
    checked.headers = headers.map(|value| value.clone().unwrap_or_default());
    Ok(checked)
}

/// An account SAS has no snapshot, stored policy or response headers in its string-to-sign.
fn refuse_for_account(sas: &Sas) -> Result<()> {
    if sas.point.is_some() {
        return Err(Error::invalid_input(
            "an account SAS cannot be narrowed to a snapshot or version; it reaches them through its permissions",
        ));
    }
    let h = &sas.headers;
    let any_header =
        [&h.cache_control, &h.content_disposition, &h.content_encoding, &h.content_language, &h.content_type]
            .iter()
            .any(|value| value.is_some());
    if any_header {
        return Err(Error::invalid_input("an account SAS cannot set response headers"));
    }
    Ok(())
}

/// The signed version: a `YYYY-MM-DD` date this module has a string-to-sign for.
fn check_version(version: &str, kind: Kind) -> Result<String> {
    let shape = version.len() == 10
        && version.bytes().enumerate().all(|(i, b)| if i == 4 || i == 7 { b == b'-' } else { b.is_ascii_digit() });
    // Dates of one shape compare as text.
    let too_new = kind == Kind::UserDelegation && version >= NEXT_USER_DELEGATION_VERSION;
    if !shape || version < FIRST_VERSION || too_new {
        let upper = if kind == Kind::UserDelegation {
            format!(" and before {NEXT_USER_DELEGATION_VERSION}")
        } else {
            String::new()
        };
        return Err(Error::invalid_input(format!(
            "SAS signed version {version:?} is not supported (a date from {FIRST_VERSION}{upper})"
        )));
    }
    Ok(version.to_owned())
}

/// An IP address or an inclusive range `low-high` of one family.
fn check_ip(text: &str) -> Result<String> {
    let parse = |s: &str| s.parse::<IpAddr>().ok();
    let valid = match text.split_once('-') {
        None => parse(text).is_some(),
        Some((low, high)) => {
            matches!((parse(low), parse(high)), (Some(l), Some(h)) if l.is_ipv4() == h.is_ipv4() && l <= h)
        }
    };
    if !valid {
        return Err(Error::invalid_input(format!("SAS IP range {text:?} is not an address or a range low-high")));
    }
    Ok(text.to_owned())
}

/// The account name as a header and a canonical resource can carry it.
fn check_account(account: &str) -> Result<()> {
    if account.is_empty() || !account.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(Error::invalid_input(format!("invalid storage account name {account:?}")));
    }
    Ok(())
}

fn non_empty<'a>(value: &'a str, what: &str) -> Result<&'a str> {
    if value.is_empty() {
        return Err(Error::invalid_input(format!("a SAS needs a non-empty {what}")));
    }
    Ok(value)
}

/// Validates `given` against `allowed` and returns it in the documented order.
fn normalize(given: &str, allowed: &str) -> Result<String> {
    if given.is_empty() {
        return Err(Error::invalid_input("a SAS needs at least one permission"));
    }
    if let Some(bad) = given.chars().find(|c| !allowed.contains(*c)) {
        return Err(Error::invalid_input(format!("unknown SAS permission '{bad}' (allowed: {allowed})")));
    }
    Ok(allowed.chars().filter(|c| given.contains(*c)).collect())
}
