//! Redaction of secrets: a wrapper for secret strings and a URL printer that hides SAS signatures.

pub(crate) mod shapes;

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

/// The URL as text with secret query values and any password replaced by `REDACTED`.
///
/// A value is secret when its key is a signature (`sig`, in any case), or
/// when the value itself holds a `sig=` (a URL nested in a query), since such
/// a signature would authorize requests just the same.
pub fn redact_url(url: &Url) -> String {
    let secret_pair =
        |(k, v): &(std::borrow::Cow<'_, str>, std::borrow::Cow<'_, str>)| is_secret_param(k) || holds_signature(v);
    let has_password = url.password().is_some();
    if !has_password && !url.query_pairs().any(|pair| secret_pair(&pair)) {
        return url.as_str().to_owned();
    }
    let mut out = url.clone();
    if has_password {
        // Only URLs with a host can carry a password, so this cannot fail.
        let _ = out.set_password(Some(REDACTED));
    }
    if url.query().is_some() {
        let pairs: Vec<(String, String)> = url
            .query_pairs()
            .map(|pair| {
                let v = if secret_pair(&pair) { REDACTED.to_owned() } else { pair.1.into_owned() };
                (pair.0.into_owned(), v)
            })
            .collect();
        out.query_pairs_mut().clear().extend_pairs(pairs);
    }
    out.to_string()
}

/// `text`, a URL the service or a user gave, with its secrets redacted as
/// [`redact_url`] does; text that does not parse as a URL loses its whole
/// query, because nothing tells which part of it is secret.
pub fn redact_url_text(text: &str) -> String {
    match Url::parse(text) {
        Ok(url) => redact_url(&url),
        Err(_) => match text.split_once('?') {
            Some((before, _)) => format!("{before}?{REDACTED}"),
            None => text.to_owned(),
        },
    }
}

/// What replaces a secret in printed text, and in recordings
/// ([`crate::sim::REDACTED`] is this one).
pub(crate) const REDACTED: &str = "REDACTED";

fn is_secret_param(name: &str) -> bool {
    SECRET_QUERY_PARAMS.iter().any(|p| p.eq_ignore_ascii_case(name))
}

/// Whether a query value carries a SAS signature of its own, e.g. a nested URL.
fn holds_signature(value: &str) -> bool {
    value.to_ascii_lowercase().contains("sig=")
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
    fn passwords_nested_signatures_and_unparsable_text_are_redacted() {
        let url = Url::parse("https://user:hunter2@a.example/c?next=https%3A%2F%2Fb%2Fc%3Fsig%3Dnested&sp=r").unwrap();
        let shown = redact_url(&url);
        assert!(!shown.contains("hunter2") && !shown.contains("nested"), "{shown}");
        assert!(shown.contains("sp=r") && shown.contains("user:REDACTED@"), "{shown}");
        assert_eq!(redact_url_text("not a url?sv=1&sig=abc"), "not a url?REDACTED");
        assert_eq!(redact_url_text("https://a/c/b?SIG=abc&sv=1"), "https://a/c/b?SIG=REDACTED&sv=1");
        assert_eq!(redact_url_text("/relative/path"), "/relative/path");
    }

    #[test]
    fn url_without_secrets_is_unchanged() {
        let url = Url::parse("http://127.0.0.1:10000/devstoreaccount1/c/b?comp=list").unwrap();
        assert_eq!(redact_url(&url), url.as_str());
    }

    mod props {
        use proptest::prelude::*;

        use super::super::*;

        /// Arbitrary query pairs, among them a signature (`sig` in any case) at any position.
        fn url_with_signature() -> impl Strategy<Value = (Url, String)> {
            let pairs = proptest::collection::vec((any::<String>(), any::<String>()), 0..5);
            let sig = (any::<String>(), prop_oneof![Just("sig"), Just("SIG"), Just("Sig")]);
            (pairs, sig, any::<prop::sample::Index>()).prop_map(|(mut pairs, (tail, key), at)| {
                // A marker no arbitrary text holds, so finding it means the secret leaked.
                let secret = format!("Qz7{tail}");
                pairs.insert(at.index(pairs.len() + 1), (key.to_owned(), secret.clone()));
                let mut url = Url::parse("https://user:pass@a.example/c/b").unwrap();
                url.query_pairs_mut().extend_pairs(pairs);
                (url, secret)
            })
        }

        proptest! {
            #[test]
            fn redact_url_never_shows_the_signature((url, secret) in url_with_signature()) {
                let shown = redact_url(&url);
                let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
                prop_assert!(!shown.contains(&secret) && !shown.contains(&encoded), "{shown}");
                prop_assert!(!shown.contains(":pass@"), "{shown}");
                let again = redact_url_text(url.as_str());
                prop_assert!(!again.contains(&secret) && !again.contains(&encoded), "{again}");
            }

            #[test]
            fn redact_url_text_never_panics(text in any::<String>()) {
                let _ = redact_url_text(&text);
            }
        }
    }
}
