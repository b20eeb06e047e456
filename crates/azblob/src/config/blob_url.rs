//! `BlobUrl`: an account, container or blob URL split into the endpoint, the
//! names below it and the SAS it carries; and `ClientBuilder::from_url`.

use std::fmt;

use url::Url;

use super::ClientBuilder;
use crate::error::{Error, Result};
use crate::ops::blob_properties::BlobSelector;
use crate::redact::{redact_url_text, Secret};

/// A Blob service URL taken apart: which account it is on, which container
/// and blob it names, and the SAS in its query.
///
/// Two shapes are read. Host-style, `https://ACCOUNT.blob.SUFFIX/C/B`, for
/// any suffix (`core.windows.net`, `core.chinacloudapi.cn`,
/// `core.usgovcloudapi.net`, an Azurite `localhost`...): the account is the
/// host's first label. Path-style, every other host (emulators on
/// `127.0.0.1:10000`, custom domains): the account is the path's first
/// segment, `http://127.0.0.1:10000/devstoreaccount1/C/B`.
///
/// ```
/// let url = azblob::BlobUrl::parse("https://acct.blob.core.windows.net/data/runs/a%20b.json?sv=2023-11-03&sig=abc")?;
/// assert_eq!(url.account, "acct");
/// assert_eq!(url.container.as_deref(), Some("data"));
/// assert_eq!(url.blob.as_deref(), Some("runs/a b.json"));
/// assert_eq!(url.sas.as_ref().map(|s| s.expose()), Some("sv=2023-11-03&sig=abc"));
/// # Ok::<(), azblob::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlobUrl {
    /// The account's blob endpoint: `https://acct.blob.core.windows.net/`, or
    /// `http://127.0.0.1:10000/devstoreaccount1` path-style.
    pub endpoint: Url,
    /// The storage account's name.
    pub account: String,
    /// The container, if the URL names one.
    pub container: Option<String>,
    /// The blob's name (percent-decoded, `/` kept), if the URL names one.
    pub blob: Option<String>,
    /// The query when it is a SAS (it has a `sig`), without `snapshot` and
    /// `versionid`; redacted in `Debug`.
    pub sas: Option<Secret>,
    /// The snapshot (`snapshot=`) or version (`versionid=`) the URL selects.
    pub selector: BlobSelector,
}

impl fmt::Debug for BlobUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlobUrl")
            .field("endpoint", &self.endpoint.as_str())
            .field("account", &self.account)
            .field("container", &self.container)
            .field("blob", &self.blob)
            .field("sas", &self.sas)
            .field("selector", &self.selector)
            .finish()
    }
}

impl BlobUrl {
    /// Parses an account, container or blob URL. Fails with
    /// [`InvalidInput`](crate::ErrorKind::InvalidInput), the URL shown
    /// without its signature, for text that is not an `http(s)` URL, a URL
    /// with a user name, password or fragment, one that names no account, or
    /// a path that is not UTF-8 once decoded.
    pub fn parse(text: &str) -> Result<BlobUrl> {
        let shown = || redact_url_text(text);
        let url = Url::parse(text).map_err(|e| Error::invalid_input(format!("invalid URL {}: {e}", shown())))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(Error::invalid_input(format!("{} is not an http:// or https:// URL", shown())));
        }
        if !url.username().is_empty() || url.password().is_some() || url.fragment().is_some() {
            return Err(Error::invalid_input(format!(
                "{} carries a user name, password or fragment, which a blob URL never has",
                shown()
            )));
        }
        let host = url.host_str().unwrap_or_default();
        let segments = decoded_segments(&url)
            .ok_or_else(|| Error::invalid_input(format!("{}: the path is not UTF-8 once decoded", shown())))?;
        let (endpoint, account, names) = match host_style_account(host) {
            Some(account) => (format!("{}://{}/", url.scheme(), url.authority()), account.to_owned(), &segments[..]),
            None => match segments.split_first() {
                Some((account, rest)) if !account.is_empty() => {
                    // The endpoint keeps the account segment as it was written (encoded).
                    let raw = url.path_segments().and_then(|mut s| s.next()).unwrap_or_default();
                    (format!("{}://{}/{raw}", url.scheme(), url.authority()), account.clone(), rest)
                }
                _ => return Err(Error::invalid_input(format!("{} names no account", shown()))),
            },
        };
        let endpoint = Url::parse(&endpoint).map_err(|e| Error::invalid_input(format!("{}: {e}", shown())))?;
        let container = names.first().filter(|c| !c.is_empty()).cloned();
        let blob = container.as_ref().map(|_| names[1..].join("/")).filter(|b| !b.is_empty());
        let (sas, selector) = split_query(&url);
        Ok(BlobUrl { endpoint, account, container, blob, sas, selector })
    }
}

/// The account of a host-style host, `ACCOUNT.blob.SUFFIX`.
fn host_style_account(host: &str) -> Option<&str> {
    let mut labels = host.splitn(3, '.');
    let account = labels.next().filter(|a| !a.is_empty())?;
    let service = labels.next()?;
    labels.next().filter(|suffix| !suffix.is_empty())?;
    service.eq_ignore_ascii_case("blob").then_some(account)
}

/// The path's segments, percent-decoded; `None` if one is not UTF-8, since
/// replacing its bytes with U+FFFD would name another blob.
fn decoded_segments(url: &Url) -> Option<Vec<String>> {
    let segments = url.path_segments().map(|s| s.collect::<Vec<_>>()).unwrap_or_default();
    let segments = if segments == [""] { Vec::new() } else { segments };
    segments
        .into_iter()
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8().ok().map(|d| d.into_owned()))
        .collect()
}

/// The SAS (a query with a `sig`, without the selector) and the selector.
fn split_query(url: &Url) -> (Option<Secret>, BlobSelector) {
    let mut selector = BlobSelector::default();
    let mut rest = url::form_urlencoded::Serializer::new(String::new());
    let (mut has_sig, mut selects) = (false, false);
    for (key, value) in url.query_pairs() {
        match key.as_ref() {
            "snapshot" => (selector.snapshot, selects) = (Some(value.into_owned()), true),
            "versionid" => (selector.version_id, selects) = (Some(value.into_owned()), true),
            other => {
                has_sig |= other == "sig";
                rest.append_pair(other, &value);
            }
        }
    }
    // Without a selector the query is kept as written, so the SAS is the
    // exact text that was signed; with one, the rest is re-encoded.
    let sas = match (has_sig, selects) {
        (false, _) => None,
        (true, false) => url.query().map(Secret::new),
        (true, true) => Some(Secret::new(rest.finish())),
    };
    (sas, selector)
}

impl ClientBuilder {
    /// A builder for the account of an account, container or blob URL (see
    /// [`BlobUrl`] for the shapes read): its endpoint, its account name, and
    /// the URL's SAS as the credential if it carries one. The container and
    /// blob the URL names are for [`BlobClient::from_url`](crate::BlobClient::from_url).
    pub fn from_url(url: &str) -> Result<ClientBuilder> {
        BlobUrl::parse(url)?.builder()
    }
}

impl BlobUrl {
    /// A builder for this URL's account, with its SAS if it has one.
    pub(crate) fn builder(&self) -> Result<ClientBuilder> {
        let builder = ClientBuilder::new().endpoint(self.endpoint.as_str()).account(self.account.clone());
        match &self.sas {
            Some(sas) => builder.sas_token(sas.expose()),
            None => Ok(builder),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn parts(text: &str) -> (String, String, Option<String>, Option<String>) {
        let u = BlobUrl::parse(text).unwrap();
        (u.endpoint.to_string(), u.account, u.container, u.blob)
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_owned())
    }

    #[test]
    fn host_style_on_every_cloud() {
        for suffix in ["core.windows.net", "core.chinacloudapi.cn", "core.usgovcloudapi.net", "example.test"] {
            let (endpoint, account, container, blob) = parts(&format!("https://acct.blob.{suffix}/c/dir/b.txt"));
            assert_eq!(endpoint, format!("https://acct.blob.{suffix}/"));
            assert_eq!((account.as_str(), container, blob), ("acct", some("c"), some("dir/b.txt")));
        }
        let (endpoint, account, ..) = parts("http://devstoreaccount1.blob.localhost:10000/c/b");
        assert_eq!(
            (endpoint.as_str(), account.as_str()),
            ("http://devstoreaccount1.blob.localhost:10000/", "devstoreaccount1")
        );
    }

    #[test]
    fn path_style_emulator_urls() {
        let (endpoint, account, container, blob) = parts("http://127.0.0.1:10000/devstoreaccount1/c/x/y");
        assert_eq!(endpoint, "http://127.0.0.1:10000/devstoreaccount1");
        assert_eq!((account.as_str(), container, blob), ("devstoreaccount1", some("c"), some("x/y")));
        let (endpoint, account, container, blob) = parts("http://localhost:10000/devstoreaccount1");
        assert_eq!(
            (endpoint.as_str(), account.as_str()),
            ("http://localhost:10000/devstoreaccount1", "devstoreaccount1")
        );
        assert_eq!((container, blob), (None, None));
    }

    #[test]
    fn account_container_and_blob_levels() {
        assert_eq!(parts("https://acct.blob.core.windows.net").2, None);
        assert_eq!(parts("https://acct.blob.core.windows.net/").2, None);
        assert_eq!(parts("https://acct.blob.core.windows.net/c").2, some("c"));
        let (.., container, blob) = parts("https://acct.blob.core.windows.net/c/");
        assert_eq!((container, blob), (some("c"), None));
        // A name keeps its slashes, trailing ones too, and is percent-decoded.
        assert_eq!(parts("https://acct.blob.core.windows.net/c/a/b/").3, some("a/b/"));
        assert_eq!(parts("https://acct.blob.core.windows.net/c/a%20b%2Fc%3F%C3%A9").3, some("a b/c?é"));
    }

    #[test]
    fn the_sas_is_kept_and_the_selector_taken_out() {
        let u = BlobUrl::parse("https://acct.blob.core.windows.net/c/b?sv=2023-11-03&sp=r&sig=a%2Bb%3D").unwrap();
        assert_eq!(u.sas.as_ref().map(Secret::expose), Some("sv=2023-11-03&sp=r&sig=a%2Bb%3D"));
        assert!(!format!("{u:?}").contains("a%2Bb"), "Debug hides the signature: {u:?}");
        assert!(u.selector.is_current());
        let u =
            BlobUrl::parse("https://acct.blob.core.windows.net/c/b?snapshot=2026-01-01T00:00:00Z&sv=1&sig=x").unwrap();
        assert_eq!(u.sas.as_ref().map(Secret::expose), Some("sv=1&sig=x"));
        assert_eq!(u.selector, BlobSelector::snapshot("2026-01-01T00:00:00Z"));
        let u = BlobUrl::parse("https://acct.blob.core.windows.net/c/b?versionid=v1").unwrap();
        assert_eq!((u.sas, u.selector), (None, BlobSelector::version("v1")));
        // A query without a signature is no SAS.
        assert_eq!(BlobUrl::parse("https://acct.blob.core.windows.net/c?comp=list").unwrap().sas, None);
    }

    #[test]
    fn bad_urls_are_typed_errors_without_the_signature() {
        for bad in [
            "acct.blob.core.windows.net/c/b?sig=secret-signature",
            "ftp://acct.blob.core.windows.net/c?sig=secret-signature",
            "https://user:pw@acct.blob.core.windows.net/c?sig=secret-signature",
            "https://acct.blob.core.windows.net/c#frag",
            "http://127.0.0.1:10000/?sig=secret-signature",
            "https://acct.blob.core.windows.net/c/%ff%fe?sig=secret-signature",
            "https://[bad/c/b?sig=secret-signature",
        ] {
            let err = BlobUrl::parse(bad).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            assert!(!format!("{err:#} {err:?}").contains("secret-signature"), "{bad}: {err:#}");
        }
    }

    #[test]
    fn from_url_configures_endpoint_account_and_sas() {
        let client = ClientBuilder::from_url("https://acct.blob.core.chinacloudapi.cn/cnt/b?sv=1&sig=x")
            .unwrap()
            .build()
            .unwrap();
        assert_eq!(client.endpoint().as_str(), "https://acct.blob.core.chinacloudapi.cn/");
        assert_eq!((client.account(), client.credential().kind_name()), ("acct", "sas"));
        let client = ClientBuilder::from_url("http://127.0.0.1:10000/devstoreaccount1/cnt").unwrap().build().unwrap();
        assert_eq!((client.account(), client.credential().kind_name()), ("devstoreaccount1", "anonymous"));
        assert_eq!(client.blob("cnt", "b").url().unwrap().as_str(), "http://127.0.0.1:10000/devstoreaccount1/cnt/b");
    }

    #[test]
    fn clients_from_urls_address_what_the_url_names() {
        let blob = crate::BlobClient::from_url("https://acct.blob.core.windows.net/cnt/dir/a%20b?sv=1&sig=x").unwrap();
        assert_eq!((blob.container_name(), blob.name()), ("cnt", "dir/a b"));
        assert_eq!(blob.url().unwrap().as_str(), "https://acct.blob.core.windows.net/cnt/dir/a%20b");
        let container = crate::ContainerClient::from_url("http://127.0.0.1:10000/devstoreaccount1/cnt/b").unwrap();
        assert_eq!(container.name(), "cnt");
        for (bad, why) in [
            ("https://acct.blob.core.windows.net/c/", "names no blob"),
            ("https://acct.blob.core.windows.net/c/b?snapshot=2026-01-01T00:00:00Z", "selects a snapshot"),
        ] {
            let err = crate::BlobClient::from_url(bad).unwrap_err();
            assert!(err.kind() == ErrorKind::InvalidInput && err.to_string().contains(why), "{bad}: {err}");
        }
        let err = crate::ContainerClient::from_url("https://acct.blob.core.windows.net/").unwrap_err();
        assert!(err.to_string().contains("names no container"), "{err}");
    }
}
