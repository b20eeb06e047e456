//! Redaction of secrets: a wrapper for secret strings and a URL printer that hides SAS signatures.

use std::fmt;

use url::Url;

/// Query parameters whose values are secrets (a SAS signature) and are never printed.
const SECRET_QUERY_PARAMS: &[&str] = &["sig", "se_sig", "skoid_sig"];

/// A secret string (account key, SAS token, bearer token, client secret).
///
/// Its `Debug` prints `Secret(***)`; there is no `Display`, so a secret
/// cannot end up in a message by accident. Read it with [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret value itself; keep it out of logs and errors.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_owned())
    }
}

/// Prints a URL with the values of secret query parameters replaced by `REDACTED`.
pub(crate) struct RedactedUrl<'a>(pub(crate) &'a Url);

impl fmt::Display for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_url(self.0))
    }
}

impl fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{self}\"")
    }
}

/// The URL as text with secret query values (a SAS signature) replaced by
/// `REDACTED`, for messages and logs.
pub fn redact_url(url: &Url) -> String {
    if !url.query_pairs().any(|(k, _)| is_secret_param(&k)) {
        return url.as_str().to_owned();
    }
    let mut out = url.clone();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            let v = if is_secret_param(&k) { "REDACTED".to_owned() } else { v.into_owned() };
            (k.into_owned(), v)
        })
        .collect();
    out.query_pairs_mut().clear().extend_pairs(pairs);
    out.to_string()
}

fn is_secret_param(name: &str) -> bool {
    SECRET_QUERY_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_debug_hides_the_value() {
        let s = Secret::new("hunter2-account-key==");
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert!(!format!("{s:#?}").contains("hunter2"));
    }

    #[test]
    fn sas_signature_is_redacted_and_other_fields_kept() {
        let url = Url::parse("https://a.blob.core.windows.net/c/b?sv=2023-11-03&sp=r&sig=abc%2Bdef%3D").unwrap();
        let shown = redact_url(&url);
        assert!(!shown.contains("abc"), "{shown}");
        assert!(shown.contains("sig=REDACTED"), "{shown}");
        assert!(shown.contains("sp=r"), "{shown}");
        assert_eq!(format!("{}", RedactedUrl(&url)), shown);
    }

    #[test]
    fn url_without_secrets_is_unchanged() {
        let url = Url::parse("http://127.0.0.1:10000/devstoreaccount1/c/b?comp=list").unwrap();
        assert_eq!(redact_url(&url), url.as_str());
    }
}
