//! `CredentialScope`: the hosts a client's credential may be sent to.
//!
//! A key, a SAS or a token belongs to the account it was configured for, so
//! `SignLayer` attaches it only to requests for that account's endpoint; a
//! request for any other host is refused before anything is sent. Bearer
//! tokens are the one exception: Microsoft Entra ID issues one token for all
//! of Azure Storage, so a user may trust other accounts on Azure's own storage
//! hosts with it (like azcopy's trusted Microsoft suffixes). Nothing is
//! trusted unless the user says so.

use url::Url;

use super::Credential;
use crate::error::{Error, Result};
use crate::net::origin;

/// Azure's own blob-storage host suffixes, the only ones a token may be trusted to:
/// the public cloud, Azure China, Azure US Government, and the DNS-zone
/// endpoints (`{account}.z{nn}.blob.storage.azure.net`).
pub const AZURE_STORAGE_SUFFIXES: &[&str] =
    &["blob.core.windows.net", "blob.core.chinacloudapi.cn", "blob.core.usgovcloudapi.net", "blob.storage.azure.net"];

/// Where a client's credential may be sent: its account's endpoint (scheme,
/// host, port, and for a path-style endpoint the account's path), and, for a
/// bearer token only, `https://` hosts under the trusted suffixes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialScope {
    endpoint: Url,
    trusted_suffixes: Vec<String>,
}

impl CredentialScope {
    /// The scope of a client for `endpoint`, trusting no other host.
    pub fn new(endpoint: &Url) -> Self {
        CredentialScope { endpoint: endpoint.clone(), trusted_suffixes: Vec::new() }
    }

    /// Also trusts `https://` hosts under these suffixes with a bearer token
    /// (never with a key or a SAS). Each suffix must be one of
    /// [`AZURE_STORAGE_SUFFIXES`] or a subdomain of one; a leading `*.` or
    /// `.` is ignored.
    pub fn trust_suffixes<I, S>(mut self, suffixes: I) -> Result<Self>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        for suffix in suffixes {
            let suffix = normalize_suffix(suffix.as_ref())?;
            if !self.trusted_suffixes.contains(&suffix) {
                self.trusted_suffixes.push(suffix);
            }
        }
        Ok(self)
    }

    /// The endpoint the credential belongs to.
    pub fn endpoint(&self) -> &Url {
        &self.endpoint
    }

    /// The suffixes trusted with a bearer token, normalized (no leading `*.`).
    pub fn trusted_suffixes(&self) -> &[String] {
        &self.trusted_suffixes
    }

    /// Whether `url` is under the endpoint: the same scheme, host and port,
    /// and a path at or below the endpoint's (the account of a path-style endpoint).
    pub fn covers(&self, url: &Url) -> bool {
        // Every request is checked (every block of a transfer), so the path
        // test allocates nothing: `path` is `base` or `base/...`.
        let base = self.endpoint.path().trim_end_matches('/');
        let under_base = base.is_empty()
            || url.path().strip_prefix(base).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
        url.scheme() == self.endpoint.scheme()
            && url.host() == self.endpoint.host()
            && url.port_or_known_default() == self.endpoint.port_or_known_default()
            && under_base
    }

    /// Whether a bearer token may go to `url` although it is not under the
    /// endpoint: `https://` to a host under a trusted suffix.
    pub fn trusts_with_token(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else { return false };
        let host = host.to_ascii_lowercase();
        url.scheme() == "https"
            && url.port_or_known_default() == Some(443)
            && self.trusted_suffixes.iter().any(|suffix| host.ends_with(&format!(".{suffix}")))
    }

    /// Checks that `credential` may be attached to a request for `url`; the
    /// error names both hosts (never a query) and means nothing was sent.
    pub fn check(&self, credential: &Credential, url: &Url) -> Result<()> {
        let allowed = match credential {
            Credential::Anonymous => true,
            Credential::Token(_) => self.covers(url) || self.trusts_with_token(url),
            Credential::SharedKey(_) | Credential::Sas(_) => self.covers(url),
        };
        if allowed {
            return Ok(());
        }
        let hint = match credential {
            Credential::Token(_) => " (trust other Azure storage hosts with a token through trusted_suffixes)",
            _ => "",
        };
        Err(Error::invalid_input(format!(
            "refusing to send the {} credential of {} to {}{hint}",
            credential.kind_name(),
            origin(&self.endpoint),
            origin(url)
        )))
    }
}

/// `*.blob.core.windows.net`, `.blob.core.windows.net` → `blob.core.windows.net`,
/// refused unless it is an Azure storage suffix or under one.
fn normalize_suffix(text: &str) -> Result<String> {
    let suffix = text.trim().trim_start_matches("*.").trim_start_matches('.').to_ascii_lowercase();
    let azure = AZURE_STORAGE_SUFFIXES.iter().any(|known| suffix == *known || suffix.ends_with(&format!(".{known}")));
    if azure {
        Ok(suffix)
    } else {
        Err(Error::invalid_input(format!(
            "{text:?} is not an Azure storage host suffix; a bearer token may only be trusted to {}",
            AZURE_STORAGE_SUFFIXES.join(", ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::SystemTime;

    use super::*;
    use crate::auth::{SasToken, StaticTokenCredential};

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn the_endpoint_covers_its_own_scheme_host_port_and_account_path() {
        let host_style = CredentialScope::new(&url("https://acct.blob.core.windows.net"));
        assert!(host_style.covers(&url("https://acct.blob.core.windows.net/c/b?comp=list")));
        assert!(host_style.covers(&url("https://ACCT.blob.core.windows.net:443/c")));
        assert!(!host_style.covers(&url("http://acct.blob.core.windows.net/c/b")), "scheme");
        assert!(!host_style.covers(&url("https://acct.blob.core.windows.net:444/c/b")), "port");
        assert!(!host_style.covers(&url("https://other.blob.core.windows.net/c/b")), "host");

        let path_style = CredentialScope::new(&url("http://127.0.0.1:10000/devstoreaccount1"));
        assert!(path_style.covers(&url("http://127.0.0.1:10000/devstoreaccount1/c/b")));
        assert!(path_style.covers(&url("http://127.0.0.1:10000/devstoreaccount1?comp=list")));
        assert!(!path_style.covers(&url("http://127.0.0.1:10000/devstoreaccount10/c/b")), "another account");
        assert!(!path_style.covers(&url("http://localhost:10000/devstoreaccount1/c/b")), "another host name");
        assert!(!path_style.covers(&url("http://127.0.0.1:10001/devstoreaccount1/c/b")), "another port");
    }

    #[test]
    fn only_tokens_go_to_trusted_azure_hosts() {
        let scope = CredentialScope::new(&url("https://mine.blob.core.windows.net"))
            .trust_suffixes(["*.blob.core.windows.net"])
            .unwrap();
        let other = url("https://other.blob.core.windows.net/c/b");
        let token = Credential::Token(Arc::new(StaticTokenCredential::new("t", SystemTime::now())));
        let sas = Credential::Sas(SasToken::parse("sv=2023-11-03&sig=x").unwrap());
        assert!(scope.check(&token, &other).is_ok());
        let err = scope.check(&sas, &other).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("https://other.blob.core.windows.net"), "{err}");
        assert!(scope.check(&token, &url("http://other.blob.core.windows.net/c/b")).is_err(), "never over http");
        assert!(scope.check(&token, &url("https://blob.core.windows.net.evil.example/c")).is_err());
        assert!(scope.check(&token, &url("https://evilblob.core.windows.net/c")).is_err());
        assert!(scope.check(&Credential::Anonymous, &url("https://evil.example/c")).is_ok());

        let untrusting = CredentialScope::new(&url("https://mine.blob.core.windows.net"));
        let err = untrusting.check(&token, &other).unwrap_err();
        assert!(err.to_string().contains("trusted_suffixes"), "{err}");
    }

    #[test]
    fn only_azure_suffixes_can_be_trusted() {
        let scope = CredentialScope::new(&url("https://mine.blob.core.windows.net"));
        for good in ["blob.core.usgovcloudapi.net", ".blob.core.chinacloudapi.cn", "z01.blob.storage.azure.net"] {
            assert!(scope.clone().trust_suffixes([good]).is_ok(), "{good}");
        }
        for bad in ["evil.example", "core.windows.net", "windows.net", "blob.core.windows.net.evil.example", ""] {
            let err = scope.clone().trust_suffixes([bad]).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }
}
