//! Shared access signatures: using a given token, and generating service and account SAS.
//!
//! Service SAS: <https://learn.microsoft.com/rest/api/storageservices/create-service-sas>
//! Account SAS: <https://learn.microsoft.com/rest/api/storageservices/create-account-sas>

use std::fmt;
use std::time::SystemTime;

use super::time::iso8601;
use super::SharedKeyCredential;
use crate::error::{Error, Result};

/// A SAS token: the query string that authorizes requests (`sv=...&sig=...`).
///
/// `Debug` shows every field but the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SasToken {
    pairs: Vec<(String, String)>,
}

impl SasToken {
    /// Parses a SAS token, with or without its leading `?`.
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) when the
    /// token has no `sig` or no `sv` field.
    pub fn parse(token: &str) -> Result<Self> {
        let token = token.trim().trim_start_matches('?');
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(token.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let has = |name: &str| pairs.iter().any(|(k, v)| k == name && !v.is_empty());
        if !has("sig") {
            return Err(Error::invalid_input("the SAS token has no signature (sig)"));
        }
        if !has("sv") {
            return Err(Error::invalid_input("the SAS token has no signed version (sv)"));
        }
        Ok(SasToken { pairs })
    }

    /// The token's fields in order, including the signature; keep it out of logs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of one field, e.g. `se` or `sp`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The token as a query string without `?`; it contains the signature.
    pub fn to_query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&self.pairs).finish()
    }

    /// A token from fields a signer produced, signature included.
    pub(super) fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        SasToken { pairs }
    }

    /// Appends the token's fields to `url`'s query.
    pub(crate) fn apply(&self, url: &mut url::Url) {
        url.query_pairs_mut().extend_pairs(&self.pairs);
    }
}

impl fmt::Debug for SasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_map();
        for (k, v) in &self.pairs {
            if k == "sig" {
                d.entry(k, &"REDACTED");
            } else {
                d.entry(k, v);
            }
        }
        d.finish()
    }
}

/// Which protocols a SAS allows (`spr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SasProtocol {
    /// HTTPS only.
    Https,
    /// HTTPS or HTTP (emulators).
    HttpsAndHttp,
}

impl SasProtocol {
    pub(super) fn as_str(self) -> &'static str {
        match self {
            SasProtocol::Https => "https",
            SasProtocol::HttpsAndHttp => "https,http",
        }
    }
}

/// The permission letters a blob or container service SAS may carry, in the documented order.
pub(super) const SERVICE_PERMISSIONS: &str = "racwdxyltmeopi";
/// The permission letters an account SAS may carry, in the documented order.
const ACCOUNT_PERMISSIONS: &str = "rwdxylacuptfi";

/// Validates `given` against `allowed` and returns it in the documented order.
pub(super) fn normalize_permissions(given: &str, allowed: &str) -> Result<String> {
    if given.is_empty() {
        return Err(Error::invalid_input("a SAS needs at least one permission"));
    }
    if let Some(bad) = given.chars().find(|c| !allowed.contains(*c)) {
        return Err(Error::invalid_input(format!("unknown SAS permission '{bad}' (allowed: {allowed})")));
    }
    Ok(allowed.chars().filter(|c| given.contains(*c)).collect())
}

/// A service SAS for one container or one blob, signed with the account key.
#[derive(Debug, Clone)]
pub struct ServiceSas {
    container: String,
    blob: Option<String>,
    permissions: String,
    start: Option<SystemTime>,
    expiry: SystemTime,
    protocol: Option<SasProtocol>,
    ip: Option<String>,
    version: String,
    /// `bs` or `bv` and the snapshot time or version id, for a SAS that
    /// grants one snapshot or one version rather than the blob.
    blob_point: Option<(&'static str, String)>,
}

impl ServiceSas {
    /// A SAS for a whole container, e.g. `permissions = "rl"`.
    pub fn container(container: impl Into<String>, permissions: &str, expiry: SystemTime) -> Result<Self> {
        Ok(ServiceSas {
            container: container.into(),
            blob: None,
            permissions: normalize_permissions(permissions, SERVICE_PERMISSIONS)?,
            start: None,
            expiry,
            protocol: None,
            ip: None,
            version: crate::headers::DEFAULT_API_VERSION.to_owned(),
            blob_point: None,
        })
    }

    /// A SAS for one blob, e.g. `permissions = "r"`.
    pub fn blob(
        container: impl Into<String>,
        blob: impl Into<String>,
        permissions: &str,
        expiry: SystemTime,
    ) -> Result<Self> {
        let mut sas = ServiceSas::container(container, permissions, expiry)?;
        sas.blob = Some(blob.into());
        Ok(sas)
    }

    /// Narrows a blob SAS to one snapshot (`sr=bs`, the snapshot time signed).
    /// Requests must then name that snapshot (`snapshot=`).
    pub fn snapshot(mut self, snapshot: impl Into<String>) -> Self {
        self.blob_point = Some(("bs", snapshot.into()));
        self
    }

    /// Narrows a blob SAS to one version (`sr=bv`, the version id signed).
    /// Requests must then name that version (`versionid=`).
    pub fn blob_version(mut self, version_id: impl Into<String>) -> Self {
        self.blob_point = Some(("bv", version_id.into()));
        self
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

    /// An IP address or range allowed (`sip`), e.g. `168.1.5.60-168.1.5.70`.
    pub fn ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    /// The signed service version (`sv`); defaults to the library's API version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Signs the SAS with `key` and returns the token.
    pub fn sign(&self, key: &SharedKeyCredential) -> SasToken {
        let st = self.start.map(iso8601).unwrap_or_default();
        let se = iso8601(self.expiry);
        let (resource, point) = match (&self.blob, &self.blob_point) {
            (Some(_), Some((kind, point))) => (*kind, point.as_str()),
            (Some(_), None) => ("b", ""),
            (None, _) => ("c", ""),
        };
        let mut canonical = format!("/blob/{}/{}", key.account(), self.container);
        if let Some(blob) = &self.blob {
            canonical.push('/');
            canonical.push_str(blob);
        }
        let spr = self.protocol.map(SasProtocol::as_str).unwrap_or("");
        let ip = self.ip.as_deref().unwrap_or("");
        // Version 2020-12-06 and later: 16 fields; identifier, encryption
        // scope and the five response-header overrides are unused. The
        // snapshot-time field holds the snapshot or version of `bs`/`bv`.
        let string_to_sign = [
            self.permissions.as_str(),
            &st,
            &se,
            &canonical,
            "",
            ip,
            spr,
            &self.version,
            resource,
            point,
            "",
            "",
            "",
            "",
            "",
            "",
        ]
        .join("\n");
        let sig = key.sign(&string_to_sign);
        let mut pairs = vec![("sv".to_owned(), self.version.clone())];
        if !st.is_empty() {
            pairs.push(("st".into(), st));
        }
        pairs.push(("se".into(), se));
        pairs.push(("sr".into(), resource.into()));
        pairs.push(("sp".into(), self.permissions.clone()));
        if !spr.is_empty() {
            pairs.push(("spr".into(), spr.into()));
        }
        if !ip.is_empty() {
            pairs.push(("sip".into(), ip.into()));
        }
        pairs.push(("sig".into(), sig));
        SasToken { pairs }
    }
}

/// An account SAS for the blob service, signed with the account key.
#[derive(Debug, Clone)]
pub struct AccountSas {
    resource_types: String,
    permissions: String,
    start: Option<SystemTime>,
    expiry: SystemTime,
    protocol: Option<SasProtocol>,
    ip: Option<String>,
    version: String,
}

impl AccountSas {
    /// An account SAS for the blob service (`ss=b`).
    ///
    /// `resource_types` is a subset of `sco` (service, container, object);
    /// `permissions` a subset of `rwdxylacuptfi`.
    pub fn new(resource_types: &str, permissions: &str, expiry: SystemTime) -> Result<Self> {
        let resource_types = normalize_permissions(resource_types, "sco")
            .map_err(|_| Error::invalid_input("account SAS resource types must be a non-empty subset of \"sco\""))?;
        Ok(AccountSas {
            resource_types,
            permissions: normalize_permissions(permissions, ACCOUNT_PERMISSIONS)?,
            start: None,
            expiry,
            protocol: None,
            ip: None,
            version: crate::headers::DEFAULT_API_VERSION.to_owned(),
        })
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

    /// The signed service version (`sv`); defaults to the library's API version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// Signs the SAS with `key` and returns the token.
    pub fn sign(&self, key: &SharedKeyCredential) -> SasToken {
        let st = self.start.map(iso8601).unwrap_or_default();
        let se = iso8601(self.expiry);
        let spr = self.protocol.map(SasProtocol::as_str).unwrap_or("");
        let ip = self.ip.as_deref().unwrap_or("");
        // Version 2020-12-06 and later: every field ends with a newline,
        // including the (unused) encryption scope.
        let mut string_to_sign = String::new();
        for field in [key.account(), &self.permissions, "b", &self.resource_types, &st, &se, ip, spr, &self.version, ""]
        {
            string_to_sign.push_str(field);
            string_to_sign.push('\n');
        }
        let sig = key.sign(&string_to_sign);
        let mut pairs = vec![
            ("sv".to_owned(), self.version.clone()),
            ("ss".into(), "b".into()),
            ("srt".into(), self.resource_types.clone()),
            ("sp".into(), self.permissions.clone()),
        ];
        if !st.is_empty() {
            pairs.push(("st".into(), st));
        }
        pairs.push(("se".into(), se));
        if !spr.is_empty() {
            pairs.push(("spr".into(), spr.into()));
        }
        if !ip.is_empty() {
            pairs.push(("sip".into(), ip.into()));
        }
        pairs.push(("sig".into(), sig));
        SasToken { pairs }
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    fn at(iso: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(iso)
    }
    // 2026-11-23T10:00:00Z, 11:00:00Z and 2026-11-24T00:00:00Z.
    const T10: u64 = 1_795_428_000;
    const T11: u64 = T10 + 3600;
    const T24: u64 = T10 + 14 * 3600;

    fn key() -> SharedKeyCredential {
        SharedKeyCredential::new("myaccount", KEY).unwrap()
    }

    // Signatures below were produced by the official Python SDK
    // (generate_blob_sas / generate_container_sas / generate_account_sas, sv=2023-11-03).

    #[test]
    fn blob_sas_vector() {
        let sas = ServiceSas::blob("mycontainer", "dir/blob.txt", "r", at(T11))
            .unwrap()
            .start(at(T10))
            .protocol(SasProtocol::Https)
            .version("2023-11-03")
            .sign(&key());
        assert_eq!(sas.get("sig"), Some("FuklA9c9a7sjgSnMAK0zLwAdb4cBSRYMQoiRIUDQQEo="));
        assert_eq!(sas.get("st"), Some("2026-11-23T10:00:00Z"));
        assert_eq!(sas.get("se"), Some("2026-11-23T11:00:00Z"));
        assert_eq!(sas.get("sr"), Some("b"));
        assert_eq!(sas.get("spr"), Some("https"));
    }

    #[test]
    fn snapshot_and_version_sas_vectors() {
        let base = || {
            ServiceSas::blob("mycontainer", "dir/blob.txt", "r", at(T11))
                .unwrap()
                .start(at(T10))
                .protocol(SasProtocol::Https)
                .version("2023-11-03")
        };
        let sas = base().snapshot("2026-11-23T09:00:00.1234567Z").sign(&key());
        assert_eq!(sas.get("sr"), Some("bs"));
        assert_eq!(sas.get("sig"), Some("cSq3tZtHBQS7kLqzgbg5x3ki9ZWV94FirWEpeClHL1g="));
        let sas = base().blob_version("2026-11-23T09:30:00.7654321Z").sign(&key());
        assert_eq!(sas.get("sr"), Some("bv"));
        assert_eq!(sas.get("sig"), Some("MZiAJPwzrczRJZRYKMhXgB0u+A3ou78hzyx3shc/SWg="));
    }

    #[test]
    fn container_sas_vector_normalizes_permission_order() {
        let sas = ServiceSas::container("mycontainer", "lwdcar", at(T24))
            .unwrap()
            .protocol(SasProtocol::HttpsAndHttp)
            .version("2023-11-03")
            .sign(&key());
        assert_eq!(sas.get("sp"), Some("racwdl"));
        assert_eq!(sas.get("sig"), Some("qEM0Mh4ewoVsgEXTOy0ogkHNVFj+v1rSoiFOdOW5AYc="));
    }

    #[test]
    fn account_sas_vector() {
        let sas = AccountSas::new("sco", "rwdlac", at(T24))
            .unwrap()
            .protocol(SasProtocol::Https)
            .version("2023-11-03")
            .sign(&key());
        assert_eq!(sas.get("sig"), Some("9zwT1Oak7cLWrxDGUEonlCe5zFpfmBzMjVCdQL1l0S8="));
        assert_eq!(sas.get("ss"), Some("b"));
        assert_eq!(sas.get("srt"), Some("sco"));
    }

    #[test]
    fn bad_permissions_are_typed_errors() {
        let err = ServiceSas::container("c", "rq", at(T24)).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("'q'"), "{err}");
        assert!(ServiceSas::container("c", "", at(T24)).is_err());
        assert!(AccountSas::new("x", "r", at(T24)).is_err());
    }

    #[test]
    fn parse_requires_signature_and_version() {
        assert!(SasToken::parse("?sv=2023-11-03&sp=r&sig=abc").is_ok());
        assert_eq!(SasToken::parse("sv=2023-11-03&sp=r").unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        assert!(SasToken::parse("sp=r&sig=abc").is_err());
        assert!(SasToken::parse("").is_err());
    }

    #[test]
    fn debug_and_round_trip_hide_nothing_but_the_signature() {
        let token = SasToken::parse("sv=2023-11-03&sp=r&sig=c2VjcmV0c2lnbmF0dXJl").unwrap();
        let shown = format!("{token:?}");
        assert!(!shown.contains("c2VjcmV0c2lnbmF0dXJl"), "{shown}");
        assert!(shown.contains("2023-11-03"), "{shown}");
        assert_eq!(SasToken::parse(&token.to_query()).unwrap(), token);
    }
}
