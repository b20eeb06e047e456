//! The user delegation key: what Get User Delegation Key returns, and what
//! signs a user delegation SAS. It is a credential, so it lives in auth; the
//! request that fetches it is built and parsed in `ops::user_delegation_key`.

use crate::redact::Secret;

/// A user delegation key, as the service returned it.
///
/// The `signed_*` fields go into every SAS it signs, verbatim, so they are
/// kept as the service's text. `Debug` hides [`value`](Self::value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserDelegationKey {
    /// The object id of the identity that asked for the key (`skoid`).
    pub signed_oid: String,
    /// Its tenant id (`sktid`).
    pub signed_tid: String,
    /// When the key becomes valid (`skt`), e.g. `2026-11-23T10:00:00Z`.
    pub signed_start: String,
    /// When the key expires (`ske`).
    pub signed_expiry: String,
    /// The service the key is for (`sks`), `b` for blobs.
    pub signed_service: String,
    /// The REST version the key was made with (`skv`).
    pub signed_version: String,
    /// The key itself, base64; it signs SAS tokens like an account key.
    pub value: Secret,
}
