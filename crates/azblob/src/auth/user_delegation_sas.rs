//! User delegation SAS: a SAS for a container or blob signed with a user delegation key.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/create-user-delegation-sas>
//! (string-to-sign "Version 2020-12-06 and later").

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::sas::{normalize_permissions, SasProtocol, SERVICE_PERMISSIONS};
use super::time::iso8601;
use super::SasToken;
use super::UserDelegationKey;
use crate::error::{Error, Result};

/// The oldest signed version whose string-to-sign this file builds.
const FIRST_VERSION: &str = "2020-12-06";
/// The first version with a longer string-to-sign (delegated user fields), not built here.
const NEXT_FORMAT_VERSION: &str = "2025-07-05";

/// A user delegation SAS for one container or one blob.
///
/// ```
/// # fn demo(key: &azblob::auth::UserDelegationKey) -> azblob::Result<()> {
/// use std::time::{Duration, SystemTime};
/// let hour = SystemTime::now() + Duration::from_secs(3600);
/// let sas = azblob::auth::UserDelegationSas::blob("reports", "2026/q4.pdf", "r", hour)?.sign("myaccount", key)?;
/// let url = format!("https://myaccount.blob.core.windows.net/reports/2026/q4.pdf?{}", sas.to_query());
/// # let _ = url; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct UserDelegationSas {
    container: String,
    blob: Option<String>,
    permissions: String,
    start: Option<SystemTime>,
    expiry: SystemTime,
    protocol: Option<SasProtocol>,
    ip: Option<String>,
    version: String,
}

impl UserDelegationSas {
    /// A SAS for a whole container, e.g. `permissions = "rl"`.
    pub fn container(container: impl Into<String>, permissions: &str, expiry: SystemTime) -> Result<Self> {
        Ok(UserDelegationSas {
            container: container.into(),
            blob: None,
            permissions: normalize_permissions(permissions, SERVICE_PERMISSIONS)?,
            start: None,
            expiry,
            protocol: None,
            ip: None,
            version: crate::headers::DEFAULT_API_VERSION.to_owned(),
        })
    }

    /// A SAS for one blob, e.g. `permissions = "r"`.
    pub fn blob(
        container: impl Into<String>,
        blob: impl Into<String>,
        permissions: &str,
        expiry: SystemTime,
    ) -> Result<Self> {
        let mut sas = UserDelegationSas::container(container, permissions, expiry)?;
        sas.blob = Some(blob.into());
        Ok(sas)
    }

    /// The first instant the SAS is valid (`st`).
    pub fn start(mut self, start: SystemTime) -> Self {
        self.start = Some(start);
        self
    }

    /// The protocols allowed (`spr`).
    pub fn protocol(mut self, protocol: SasProtocol) -> Self {
        self.protocol = Some(protocol);
        self
    }

    /// An IP address or range allowed (`sip`).
    pub fn ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    /// The signed version (`sv`), from 2020-12-06 up to (not including)
    /// 2025-07-05; defaults to the library's API version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Signs the SAS for `account` with `key`.
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) for a
    /// signed version this library cannot sign, or a key whose value is not
    /// base64. The SAS cannot outlive the key; the service checks that.
    pub fn sign(&self, account: &str, key: &UserDelegationKey) -> Result<SasToken> {
        // ISO dates compare as text.
        if self.version.as_str() < FIRST_VERSION || self.version.as_str() >= NEXT_FORMAT_VERSION {
            return Err(Error::invalid_input(format!(
                "user delegation SAS version {:?} is not supported (from {FIRST_VERSION} up to {NEXT_FORMAT_VERSION})",
                self.version
            )));
        }
        let decoded = BASE64
            .decode(key.value.expose().trim())
            .map_err(|_| Error::invalid_input("the user delegation key's value is not base64"))?;
        let st = self.start.map(iso8601).unwrap_or_default();
        let se = iso8601(self.expiry);
        let resource = if self.blob.is_some() { "b" } else { "c" };
        // The canonicalized resource is URL-decoded: the blob name as given.
        let mut canonical = format!("/blob/{account}/{}", self.container);
        if let Some(blob) = &self.blob {
            canonical.push('/');
            canonical.push_str(blob);
        }
        let spr = self.protocol.map(SasProtocol::as_str).unwrap_or("");
        let ip = self.ip.as_deref().unwrap_or("");
        // 24 fields; the authorized/unauthorized user ids, correlation id,
        // snapshot time, encryption scope and response-header overrides are unused.
        let string_to_sign = [
            self.permissions.as_str(),
            &st,
            &se,
            &canonical,
            &key.signed_oid,
            &key.signed_tid,
            &key.signed_start,
            &key.signed_expiry,
            &key.signed_service,
            &key.signed_version,
            "", // signedAuthorizedUserObjectId (saoid)
            "", // signedUnauthorizedUserObjectId (suoid)
            "", // signedCorrelationId (scid)
            ip,
            spr,
            &self.version,
            resource,
            "", // signedSnapshotTime
            "", // signedEncryptionScope
            "", // rscc
            "", // rscd
            "", // rsce
            "", // rscl
            "", // rsct
        ]
        .join("\n");
        let mut mac = Hmac::<Sha256>::new_from_slice(&decoded).expect("HMAC accepts any key length");
        mac.update(string_to_sign.as_bytes());
        let sig = BASE64.encode(mac.finalize().into_bytes());

        let mut pairs = vec![("sv".to_owned(), self.version.clone())];
        if !st.is_empty() {
            pairs.push(("st".into(), st));
        }
        pairs.push(("se".into(), se));
        pairs.push(("sr".into(), resource.into()));
        pairs.push(("sp".into(), self.permissions.clone()));
        for (name, value) in [
            ("skoid", &key.signed_oid),
            ("sktid", &key.signed_tid),
            ("skt", &key.signed_start),
            ("ske", &key.signed_expiry),
            ("sks", &key.signed_service),
            ("skv", &key.signed_version),
        ] {
            pairs.push((name.into(), value.clone()));
        }
        if !spr.is_empty() {
            pairs.push(("spr".into(), spr.into()));
        }
        if !ip.is_empty() {
            pairs.push(("sip".into(), ip.into()));
        }
        pairs.push(("sig".into(), sig));
        Ok(SasToken::from_pairs(pairs))
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;
    use crate::redact::Secret;

    fn key() -> UserDelegationKey {
        UserDelegationKey {
            signed_oid: "6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10".into(),
            signed_tid: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
            signed_start: "2026-11-23T10:00:00Z".into(),
            signed_expiry: "2026-11-24T10:00:00Z".into(),
            signed_service: "b".into(),
            signed_version: "2023-11-03".into(),
            value: Secret::new(crate::DEV_ACCOUNT_KEY),
        }
    }

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    // The signatures below were produced by the official Python SDK
    // (azure-storage-blob 12.19.1, whose default version is 2023-11-03) with
    // generate_blob_sas / generate_container_sas and a UserDelegationKey
    // holding the values of `key()`.

    #[test]
    fn blob_sas_vector() {
        // 2026-11-23T10:05:00Z to 2026-11-23T12:00:00Z.
        let sas = UserDelegationSas::blob("mycontainer", "dir/my blob.txt", "wr", at(1_795_428_300))
            .unwrap()
            .start(at(1_795_428_300));
        let sas = UserDelegationSas { expiry: at(1_795_435_200), ..sas };
        let token = sas.sign("myaccount", &key()).unwrap();
        assert_eq!(token.get("sig"), Some("vvPQnLzkdZDKXrP/uxLQ8Evv0xNafQblplNH2HZ08u8="));
        assert_eq!(token.get("sp"), Some("rw"), "permissions in the documented order");
        assert_eq!(token.get("sr"), Some("b"));
        assert_eq!(token.get("skoid"), Some("6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10"));
        assert_eq!(token.get("skt"), Some("2026-11-23T10:00:00Z"));
        assert_eq!(token.get("sv"), Some("2023-11-03"));
        assert!(!format!("{token:?}").contains("vvPQ"), "Debug hides the signature");
    }

    #[test]
    fn container_sas_vector() {
        let token = UserDelegationSas::container("mycontainer", "rl", at(1_795_435_200))
            .unwrap()
            .protocol(SasProtocol::Https)
            .ip("168.1.5.60-168.1.5.70")
            .sign("myaccount", &key())
            .unwrap();
        assert_eq!(token.get("sig"), Some("m4sgXvnlLQfLkVPPPiTOZdFYzavsBb1lsIMNW8uKUAU="));
        assert_eq!(token.get("sr"), Some("c"));
        assert_eq!(token.get("spr"), Some("https"));
        assert_eq!(token.get("st"), None);
    }

    #[test]
    fn unsupported_versions_and_bad_keys_are_refused() {
        let sas = UserDelegationSas::container("c", "r", at(1_795_435_200)).unwrap();
        for version in ["2020-02-10", "2025-07-05", "2026-10-06"] {
            let err = sas.clone().version(version).sign("a", &key()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{version}");
        }
        let bad = UserDelegationKey { value: Secret::new("not base64!"), ..key() };
        assert!(sas.sign("a", &bad).is_err());
        assert!(UserDelegationSas::container("c", "q", at(0)).is_err());
    }
}
