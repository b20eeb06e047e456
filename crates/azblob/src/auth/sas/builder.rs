//! `Sas`: what a shared access signature grants, for every kind of SAS, and
//! the two ways to sign it (an account key or a user delegation key).

use std::time::SystemTime;

use super::check::{check, Kind};
use super::string_to_sign::{account_string, query_pairs, service_string, user_delegation_string};
use super::token::{SasProtocol, SasToken};
use crate::auth::{SharedKeyCredential, UserDelegationKey};
use crate::error::{Error, Result};
use crate::headers::DEFAULT_API_VERSION;

/// A shared access signature to sign: its scope, permissions and validity.
///
/// One type covers the three kinds Azure defines, which share their fields
/// and differ in scope and key:
///
/// - a **service SAS** for a container or a blob ([`container`](Self::container),
///   [`blob`](Self::blob)), signed with the account key by [`sign`](Self::sign);
/// - an **account SAS** for the blob service ([`account`](Self::account)),
///   signed with the account key by [`sign`](Self::sign);
/// - a **user delegation SAS** for a container or a blob, signed with a key
///   from Get User Delegation Key by [`sign_user_delegation`](Self::sign_user_delegation).
///
/// Nothing is checked until it is signed: `sign` returns an
/// [`InvalidInput`](crate::ErrorKind::InvalidInput) error for empty or
/// unknown permissions, an expiry not after the start, a signed version this
/// library cannot sign, a malformed IP range, or a setting the kind does not
/// take (a snapshot of a container, a stored access policy in a user
/// delegation SAS, response headers in an account SAS).
///
/// ```
/// # fn demo(key: &azblob::auth::SharedKeyCredential) -> azblob::Result<()> {
/// use std::time::{Duration, SystemTime};
/// let hour = SystemTime::now() + Duration::from_secs(3600);
/// let token = azblob::auth::Sas::blob("reports", "2026/q4.pdf", "r", hour).content_type("application/pdf").sign(key)?;
/// let url = format!("https://myaccount.blob.core.windows.net/reports/2026/q4.pdf?{}", token.to_query());
/// # let _ = url; Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Sas {
    pub(super) scope: Scope,
    pub(super) permissions: String,
    pub(super) expiry: SystemTime,
    pub(super) start: Option<SystemTime>,
    pub(super) ip: Option<String>,
    pub(super) protocol: Option<SasProtocol>,
    pub(super) version: String,
    pub(super) identifier: Option<String>,
    pub(super) point: Option<Point>,
    pub(super) headers: ResponseHeaders,
}

/// What the SAS grants access to.
#[derive(Debug, Clone)]
pub(super) enum Scope {
    Container {
        container: String,
    },
    Blob {
        container: String,
        blob: String,
    },
    /// The blob service of the account; `sco` letters (service, container, object).
    Account {
        resource_types: String,
    },
}

/// One snapshot or one version of a blob, granted instead of the blob.
#[derive(Debug, Clone)]
pub(super) enum Point {
    Snapshot(String),
    Version(String),
}

/// The response headers a read through the SAS is answered with (`rscc`,
/// `rscd`, `rsce`, `rscl`, `rsct`), in the string-to-sign's order.
#[derive(Debug, Clone, Default)]
pub(super) struct ResponseHeaders {
    pub(super) cache_control: Option<String>,
    pub(super) content_disposition: Option<String>,
    pub(super) content_encoding: Option<String>,
    pub(super) content_language: Option<String>,
    pub(super) content_type: Option<String>,
}

impl Sas {
    fn with_scope(scope: Scope, permissions: &str, expiry: SystemTime) -> Self {
        Sas {
            scope,
            permissions: permissions.to_owned(),
            expiry,
            start: None,
            ip: None,
            protocol: None,
            version: DEFAULT_API_VERSION.to_owned(),
            identifier: None,
            point: None,
            headers: ResponseHeaders::default(),
        }
    }

    /// A SAS for a whole container, e.g. `permissions = "rl"` (letters of `racwdxyltmeopi`).
    pub fn container(container: impl Into<String>, permissions: &str, expiry: SystemTime) -> Self {
        Sas::with_scope(Scope::Container { container: container.into() }, permissions, expiry)
    }

    /// A SAS for one blob, e.g. `permissions = "r"` (letters of `racwdxyltmeopi`).
    pub fn blob(container: impl Into<String>, blob: impl Into<String>, permissions: &str, expiry: SystemTime) -> Self {
        Sas::with_scope(Scope::Blob { container: container.into(), blob: blob.into() }, permissions, expiry)
    }

    /// An account SAS for the blob service (`ss=b`): `resource_types` are
    /// letters of `sco` (service, container, object), `permissions` letters
    /// of `rwdxylacuptfi`. It reaches every snapshot and version its
    /// permissions allow, so it takes no [`snapshot`](Self::snapshot).
    pub fn account(resource_types: &str, permissions: &str, expiry: SystemTime) -> Self {
        Sas::with_scope(Scope::Account { resource_types: resource_types.to_owned() }, permissions, expiry)
    }

    /// Narrows a blob SAS to one snapshot (`sr=bs`, the snapshot time signed).
    /// Requests must then name that snapshot (`snapshot=`).
    pub fn snapshot(mut self, snapshot: impl Into<String>) -> Self {
        self.point = Some(Point::Snapshot(snapshot.into()));
        self
    }

    /// Narrows a blob SAS to one version (`sr=bv`, the version id signed).
    /// Requests must then name that version (`versionid=`).
    pub fn blob_version(mut self, version_id: impl Into<String>) -> Self {
        self.point = Some(Point::Version(version_id.into()));
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

    /// An IP address or an inclusive range allowed (`sip`), e.g. `168.1.5.60-168.1.5.70`.
    pub fn ip(mut self, ip: impl Into<String>) -> Self {
        self.ip = Some(ip.into());
        self
    }

    /// The signed version (`sv`), 2020-12-06 or later (before 2025-07-05 for
    /// a user delegation SAS); defaults to the library's API version.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// A stored access policy of the container (`si`), for a service SAS.
    /// The policy must not repeat the permissions or expiry given here.
    pub fn identifier(mut self, identifier: impl Into<String>) -> Self {
        self.identifier = Some(identifier.into());
        self
    }

    /// The `Cache-Control` a read through the SAS is answered with (`rscc`).
    pub fn cache_control(mut self, value: impl Into<String>) -> Self {
        self.headers.cache_control = Some(value.into());
        self
    }

    /// The `Content-Disposition` a read through the SAS is answered with (`rscd`).
    pub fn content_disposition(mut self, value: impl Into<String>) -> Self {
        self.headers.content_disposition = Some(value.into());
        self
    }

    /// The `Content-Encoding` a read through the SAS is answered with (`rsce`).
    pub fn content_encoding(mut self, value: impl Into<String>) -> Self {
        self.headers.content_encoding = Some(value.into());
        self
    }

    /// The `Content-Language` a read through the SAS is answered with (`rscl`).
    pub fn content_language(mut self, value: impl Into<String>) -> Self {
        self.headers.content_language = Some(value.into());
        self
    }

    /// The `Content-Type` a read through the SAS is answered with (`rsct`).
    pub fn content_type(mut self, value: impl Into<String>) -> Self {
        self.headers.content_type = Some(value.into());
        self
    }

    /// Signs a service or account SAS with the account key.
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) for bad
    /// input (see the type's documentation).
    pub fn sign(&self, key: &SharedKeyCredential) -> Result<SasToken> {
        let kind = match self.scope {
            Scope::Account { .. } => Kind::Account,
            _ => Kind::Service,
        };
        let checked = check(self, kind, key.account())?;
        let string_to_sign = match kind {
            Kind::Account => account_string(&checked),
            _ => service_string(&checked),
        };
        Ok(SasToken::from_pairs(query_pairs(&checked, None, key.sign(&string_to_sign))))
    }

    /// Signs a user delegation SAS for `account` with `key`.
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) for bad
    /// input (see the type's documentation), an account SAS, or a key whose
    /// value is not base64. The SAS cannot outlive the key; the service checks that.
    pub fn sign_user_delegation(&self, account: &str, key: &UserDelegationKey) -> Result<SasToken> {
        if matches!(self.scope, Scope::Account { .. }) {
            return Err(Error::invalid_input(
                "an account SAS is signed with the account key, not a user delegation key",
            ));
        }
        let checked = check(self, Kind::UserDelegation, account)?;
        let signer = SharedKeyCredential::new(account, key.value.expose().trim())
            .map_err(|_| Error::invalid_input("the user delegation key's value is not base64"))?;
        let sig = signer.sign(&user_delegation_string(&checked, key));
        Ok(SasToken::from_pairs(query_pairs(&checked, Some(key), sig)))
    }
}
