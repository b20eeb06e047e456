//! The three documented strings-to-sign (version 2020-12-06 and later) and
//! the query fields of the signed token, from one set of checked fields.
//!
//! - Service SAS: <https://learn.microsoft.com/rest/api/storageservices/create-service-sas#version-2020-12-06-and-later>
//! - Account SAS: <https://learn.microsoft.com/rest/api/storageservices/create-account-sas#version-2020-12-06-and-later>
//! - User delegation SAS: <https://learn.microsoft.com/rest/api/storageservices/create-user-delegation-sas#version-2020-12-06-and-later>

use super::check::Checked;
use crate::auth::UserDelegationKey;

/// The response-header overrides close both blob strings-to-sign.
fn with_headers<'a>(mut fields: Vec<&'a str>, c: &'a Checked) -> String {
    fields.extend(c.headers.iter().map(String::as_str));
    fields.join("\n")
}

/// A service SAS: 16 fields joined by newlines. The snapshot-time field holds
/// the snapshot or version of `bs`/`bv`; the encryption scope is unused.
pub(super) fn service_string(c: &Checked) -> String {
    let fields = vec![
        c.permissions.as_str(),
        &c.start,
        &c.expiry,
        &c.canonical,
        &c.identifier,
        &c.ip,
        c.protocol,
        &c.version,
        c.resource,
        &c.snapshot,
        "", // signedEncryptionScope
    ];
    with_headers(fields, c)
}

/// A user delegation SAS: 24 fields joined by newlines, the key's six among
/// them; the user object ids, correlation id and encryption scope are unused.
pub(super) fn user_delegation_string(c: &Checked, key: &UserDelegationKey) -> String {
    let fields = vec![
        c.permissions.as_str(),
        &c.start,
        &c.expiry,
        &c.canonical,
        &key.signed_oid,
        &key.signed_tid,
        &key.signed_start,
        &key.signed_expiry,
        &key.signed_service,
        &key.signed_version,
        "", // signedAuthorizedUserObjectId (saoid)
        "", // signedUnauthorizedUserObjectId (suoid)
        "", // signedCorrelationId (scid)
        &c.ip,
        c.protocol,
        &c.version,
        c.resource,
        &c.snapshot,
        "", // signedEncryptionScope
    ];
    with_headers(fields, c)
}

/// An account SAS for the blob service: every field ends with a newline,
/// the (unused) encryption scope included.
pub(super) fn account_string(c: &Checked) -> String {
    let fields = [
        c.account.as_str(),
        &c.permissions,
        "b",
        &c.resource_types,
        &c.start,
        &c.expiry,
        &c.ip,
        c.protocol,
        &c.version,
        "",
    ];
    fields.iter().map(|field| format!("{field}\n")).collect()
}

/// The token's query fields, the signature last; empty fields are left out.
pub(super) fn query_pairs(c: &Checked, key: Option<&UserDelegationKey>, sig: String) -> Vec<(String, String)> {
    let mut fields: Vec<(&str, &str)> = vec![("sv", &c.version)];
    if !c.resource_types.is_empty() {
        fields.extend([("ss", "b"), ("srt", c.resource_types.as_str())]);
    }
    fields.extend([("st", c.start.as_str()), ("se", &c.expiry), ("sr", c.resource), ("sp", &c.permissions)]);
    fields.push(("si", &c.identifier));
    if let Some(key) = key {
        fields.extend([
            ("skoid", key.signed_oid.as_str()),
            ("sktid", &key.signed_tid),
            ("skt", &key.signed_start),
            ("ske", &key.signed_expiry),
            ("sks", &key.signed_service),
            ("skv", &key.signed_version),
        ]);
    }
    fields.extend([("spr", c.protocol), ("sip", &c.ip)]);
    for (name, value) in ["rscc", "rscd", "rsce", "rscl", "rsct"].into_iter().zip(&c.headers) {
        fields.push((name, value));
    }
    let mut pairs: Vec<(String, String)> =
        fields.into_iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (k.to_owned(), v.to_owned())).collect();
    pairs.push(("sig".to_owned(), sig));
    pairs
}
