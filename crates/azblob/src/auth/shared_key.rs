//! Shared Key authorization: the documented string-to-sign and its HMAC-SHA256.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key>

use std::cmp::Ordering;
use std::fmt;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::error::{Error, Result};
use crate::headers;
use crate::redact::Secret;
use crate::wire::Request;

/// An account name and its base64 account key.
///
/// `Debug` shows the account name only; the key never leaves this type except
/// as a signature.
#[derive(Clone)]
pub struct SharedKeyCredential {
    account: String,
    key: Secret,
    decoded: Vec<u8>,
}

impl SharedKeyCredential {
    /// A credential for `account` with the base64 `key` from the portal.
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) if the key
    /// is not valid base64; the message never repeats the key.
    pub fn new(account: impl Into<String>, key: impl Into<String>) -> Result<Self> {
        let account = account.into();
        // Storage account names are 3 to 24 lowercase letters and digits;
        // emulators accept more, so only what a header cannot carry is refused.
        if account.is_empty() || !account.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
            return Err(Error::invalid_input(format!("invalid storage account name {account:?}")));
        }
        let key = key.into();
        let decoded =
            BASE64.decode(key.trim()).map_err(|_| Error::invalid_input("the account key is not valid base64"))?;
        if decoded.is_empty() {
            return Err(Error::invalid_input("the account key is empty"));
        }
        Ok(SharedKeyCredential { account, key: Secret::new(key), decoded })
    }

    /// The storage account name.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The base64 account key; keep it out of logs.
    pub fn key(&self) -> &Secret {
        &self.key
    }

    /// Base64 HMAC-SHA256 of `string_to_sign` under the account key.
    pub fn sign(&self, string_to_sign: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.decoded).expect("HMAC accepts any key length");
        mac.update(string_to_sign.as_bytes());
        BASE64.encode(mac.finalize().into_bytes())
    }

    /// Adds `Authorization: SharedKey account:signature` to a request that
    /// already carries its `x-ms-date` and `x-ms-version`.
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput), before
    /// anything is sent, if a header the signature covers is not ASCII text:
    /// the string-to-sign cannot hold it as the service reads it, so the
    /// request would only come back as a 403.
    pub(crate) fn authorize(&self, request: &mut Request) -> Result<()> {
        check_signable(request)?;
        let signature = self.sign(&string_to_sign(request, &self.account));
        let value = format!("SharedKey {}:{}", self.account, signature);
        let mut value = http::HeaderValue::from_str(&value).expect("account names are ASCII");
        value.set_sensitive(true);
        request.headers.insert(http::header::AUTHORIZATION, value);
        Ok(())
    }
}

/// The standard headers the string-to-sign covers, in their documented order
/// (`Content-Length` comes from the body, `Date` is never sent).
const SIGNED_STANDARD_HEADERS: [&str; 9] = [
    headers::CONTENT_ENCODING,
    headers::CONTENT_LANGUAGE,
    headers::CONTENT_MD5,
    headers::CONTENT_TYPE,
    headers::IF_MODIFIED_SINCE,
    headers::IF_MATCH,
    headers::IF_NONE_MATCH,
    headers::IF_UNMODIFIED_SINCE,
    headers::RANGE,
];

/// Refuses a request with a signed header whose value is not visible ASCII
/// (bytes such as UTF-8 `é` are valid on the wire but have no text form here).
fn check_signable(request: &Request) -> Result<()> {
    for (name, value) in &request.headers {
        let signed = name.as_str().starts_with("x-ms-") || SIGNED_STANDARD_HEADERS.contains(&name.as_str());
        if signed && value.to_str().is_err() {
            return Err(Error::invalid_input(format!(
                "the {name} header holds characters other than printable ASCII, so it cannot be sent signed"
            )));
        }
    }
    Ok(())
}

impl fmt::Debug for SharedKeyCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedKeyCredential").field("account", &self.account).field("key", &self.key).finish()
    }
}

/// The Shared Key string-to-sign for `request` (version 2009-09-19 and later).
///
/// The canonicalized resource is `/{account}{encoded path}`; for a path-style
/// emulator URL the path already starts with the account, so it appears twice,
/// as the emulator expects.
pub(crate) fn string_to_sign(request: &Request, account: &str) -> String {
    let h = |name: &str| request.header(name).unwrap_or("");
    // Content-Length is empty, not "0", for an empty body (version 2015-02-21 and later).
    let content_length = match request.body.len() {
        0 => String::new(),
        n => n.to_string(),
    };
    let mut out = String::with_capacity(256);
    for part in [
        request.method.as_str(),
        h(headers::CONTENT_ENCODING),
        h(headers::CONTENT_LANGUAGE),
        &content_length,
        h(headers::CONTENT_MD5),
        h(headers::CONTENT_TYPE),
        "", // Date: the library always sends x-ms-date instead.
        h(headers::IF_MODIFIED_SINCE),
        h(headers::IF_MATCH),
        h(headers::IF_NONE_MATCH),
        h(headers::IF_UNMODIFIED_SINCE),
        h(headers::RANGE),
    ] {
        out.push_str(part);
        out.push('\n');
    }
    canonicalized_headers(request, &mut out);
    canonicalized_resource(request, account, &mut out);
    out
}

fn canonicalized_headers(request: &Request, out: &mut String) {
    let mut names: Vec<&str> = request.headers.keys().map(|k| k.as_str()).filter(|k| k.starts_with("x-ms-")).collect();
    names.sort_by(|a, b| compare_header_names(a, b));
    names.dedup();
    for name in names {
        out.push_str(name);
        out.push(':');
        let values: Vec<&str> =
            request.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).map(str::trim).collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
}

/// Orders header names the way the service does.
///
/// The service compares with a culture-aware collation, not byte order: a
/// hyphen is ignored at first and an underscore sorts before digits and
/// letters. Header names here are lowercase ASCII, so this weight mapping
/// reproduces it; byte order breaks ties.
fn compare_header_names(a: &str, b: &str) -> Ordering {
    fn weights(s: &str) -> impl Iterator<Item = u8> + '_ {
        s.bytes().filter(|&c| c != b'-').map(|c| match c {
            b'_' => 1,
            b'0'..=b'9' => 10 + (c - b'0'),
            b'a'..=b'z' => 30 + (c - b'a'),
            other => 100u8.saturating_add(other),
        })
    }
    weights(a).cmp(weights(b)).then_with(|| a.cmp(b))
}

fn canonicalized_resource(request: &Request, account: &str, out: &mut String) {
    out.push('/');
    out.push_str(account);
    out.push_str(request.url.path());
    let mut params: Vec<(String, Vec<String>)> = Vec::new();
    for (name, value) in request.url.query_pairs() {
        let name = name.to_lowercase();
        match params.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(value.into_owned()),
            None => params.push((name, vec![value.into_owned()])),
        }
    }
    params.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, mut values) in params {
        values.sort();
        out.push('\n');
        out.push_str(&name);
        out.push(':');
        out.push_str(&values.join(","));
    }
}

#[cfg(test)]
mod tests {
    use http::Method;

    use super::*;

    // The emulator's well-known development key; public, not a secret.
    const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    const DATE: &str = "Mon, 23 Nov 2026 10:00:00 GMT";

    fn request(method: Method, url: &str, headers: &[(&str, &str)], body: &'static [u8]) -> Request {
        let mut r = Request::new("Test", method, url.parse().unwrap());
        for (k, v) in headers {
            r.headers.append(http::HeaderName::from_bytes(k.as_bytes()).unwrap(), v.parse().unwrap());
        }
        r.headers.insert("x-ms-date", DATE.parse().unwrap());
        r.headers.insert("x-ms-version", "2023-11-03".parse().unwrap());
        r.body = bytes::Bytes::from_static(body);
        r
    }

    /// The Shared Key vectors of `testdata/auth_vectors.json`, which the
    /// TypeScript port's tests read too (signatures from the official
    /// Python SDK's SharedKeyCredentialPolicy; see the file's `note`).
    #[test]
    fn every_shared_key_vector_of_the_shared_file() {
        let file: serde_json::Value =
            serde_json::from_str(include_str!("../../../../testdata/auth_vectors.json")).unwrap();
        let key = crate::auth::sas::named_key(file["account_key"].as_str().unwrap());
        let vectors = &file["shared_key"];
        assert_eq!(vectors["date"], DATE);
        let list = vectors["vectors"].as_array().unwrap();
        assert!(list.len() >= 5);
        for v in list {
            let name = v["name"].as_str().unwrap();
            let method = Method::from_bytes(v["method"].as_str().unwrap().as_bytes()).unwrap();
            let headers: Vec<(String, String)> = serde_json::from_value(v["headers"].clone()).unwrap();
            let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let body: &'static [u8] = Box::leak(v["body"].as_str().unwrap().as_bytes().to_vec().into_boxed_slice());
            let r = request(method, v["url"].as_str().unwrap(), &headers, body);
            let account = v["account"].as_str().unwrap();
            let sts = string_to_sign(&r, account);
            if let Some(expected) = v["string_to_sign"].as_str() {
                assert_eq!(sts, expected, "{name}");
            }
            if let Some(suffix) = v["string_to_sign_suffix"].as_str() {
                assert!(sts.ends_with(suffix), "{name}: {sts}");
            }
            let cred = SharedKeyCredential::new(account, key).unwrap();
            assert_eq!(cred.sign(&sts), v["signature"].as_str().unwrap(), "{name}");
        }
        let order = &vectors["header_order"];
        let mut names: Vec<String> = serde_json::from_value(order["given"].clone()).unwrap();
        names.sort_by(|a, b| compare_header_names(a, b));
        assert_eq!(names, serde_json::from_value::<Vec<String>>(order["sorted"].clone()).unwrap());
    }

    #[test]
    fn invalid_keys_are_rejected_without_echoing_them() {
        let err = SharedKeyCredential::new("acct", "not base64 !!secretish").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        assert!(!err.to_string().contains("secretish"));
        assert!(!format!("{err:?}").contains("secretish"));
    }

    #[test]
    fn account_names_that_a_header_cannot_carry_are_refused() {
        for bad in ["", "acct\nx", "ünïcode", "a b", "a:b"] {
            assert_eq!(
                SharedKeyCredential::new(bad, KEY).unwrap_err().kind(),
                crate::ErrorKind::InvalidInput,
                "{bad:?}"
            );
        }
    }

    #[test]
    fn headers_that_cannot_be_signed_are_refused_before_sending() {
        let cred = SharedKeyCredential::new("myaccount", KEY).unwrap();
        let url = "https://myaccount.blob.core.windows.net/c/b";
        for (name, value) in [("content-type", "text/x\u{e9}"), ("x-ms-blob-content-type", "\u{fc}ber")] {
            let mut r = request(Method::PUT, url, &[], b"x");
            r.headers
                .insert(http::HeaderName::from_static(name), http::HeaderValue::from_bytes(value.as_bytes()).unwrap());
            let err = cred.authorize(&mut r).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{name}");
            assert!(err.to_string().contains(name), "{err}");
            assert!(r.headers.get("authorization").is_none(), "not signed");
        }
        let mut r = request(Method::PUT, url, &[("x-custom", "ok")], b"x");
        r.headers.insert("x-other", http::HeaderValue::from_bytes("\u{e9}".as_bytes()).unwrap());
        cred.authorize(&mut r).unwrap();
        assert!(r.headers.get("authorization").is_some(), "an unsigned header does not matter");
    }

    #[test]
    fn debug_never_shows_the_key() {
        let cred = SharedKeyCredential::new("devstoreaccount1", KEY).unwrap();
        let shown = format!("{cred:?}");
        assert!(shown.contains("devstoreaccount1"));
        assert!(!shown.contains("Eby8"), "{shown}");
    }
}
