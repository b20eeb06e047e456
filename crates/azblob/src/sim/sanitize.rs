//! Keeping secrets out of cassettes at record time: the `Sanitizer` applies
//! the redaction of `shapes.rs` to every recorded field.
//!
//! The save-time detector (`detect.rs`) is broader than this redaction, so a
//! secret that slips through here is refused rather than written.

use super::cassette::{canonical_query, CassetteBody, CassetteRequest, CassetteResponse};
use crate::headers::CREDENTIAL_HEADERS;
use crate::redact::shapes::redact_text;

/// What replaces a secret in recorded text: the same marker as in errors and logs.
pub const REDACTED: &str = crate::redact::REDACTED;

/// Redacts what record time must never keep; with an account placeholder,
/// also replaces the account name (and puts it back in replayed responses).
#[derive(Debug, Clone, Default)]
pub(crate) struct Sanitizer {
    /// `(account name, placeholder)`.
    account: Option<(String, String)>,
}

impl Sanitizer {
    pub(crate) fn new(account: Option<(String, String)>) -> Self {
        Sanitizer { account: account.filter(|(name, placeholder)| !name.is_empty() && name != placeholder) }
    }

    /// Redacts secrets and applies the account placeholder.
    pub(crate) fn text(&self, text: &str) -> String {
        let redacted = redact_text(text);
        match &self.account {
            Some((name, placeholder)) if redacted.contains(name.as_str()) => redacted.replace(name, placeholder),
            _ => redacted.into_owned(),
        }
    }

    /// Puts the account name back into replayed text.
    pub(crate) fn restore(&self, text: &str) -> String {
        match &self.account {
            Some((name, placeholder)) => text.replace(placeholder, name),
            None => text.to_owned(),
        }
    }

    /// Sanitizes a captured request in place: drops `sig`, redacts bearer
    /// tokens and secrets in header values, the path and a text body.
    pub(crate) fn request(&self, request: &mut CassetteRequest) {
        request.path = self.text(&request.path);
        let mut pairs = request.query_pairs();
        pairs.retain(|(key, _)| !key.eq_ignore_ascii_case("sig"));
        for (_, value) in &mut pairs {
            *value = self.text(value);
        }
        request.query = canonical_query(&pairs);
        self.headers(&mut request.headers);
        if let CassetteBody::Text { text } = &mut request.body {
            *text = self.text(text);
        }
    }

    /// Sanitizes a captured response's headers (its body is sanitized when captured).
    pub(crate) fn response_headers(&self, response: &mut CassetteResponse) {
        self.headers(&mut response.headers);
    }

    fn headers(&self, headers: &mut std::collections::BTreeMap<String, String>) {
        for (name, value) in headers.iter_mut() {
            // A header that is a credential as a whole (a customer-provided
            // encryption key, a proxy's credentials) has no safe part to keep.
            if CREDENTIAL_HEADERS.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                *value = REDACTED.to_owned();
                continue;
            }
            // Bytes, not `str` slicing: the value may hold non-ASCII text,
            // where byte 7 can fall inside a character.
            if value.len() > 7 && value.as_bytes()[..7].eq_ignore_ascii_case(b"bearer ") {
                *value = format!("Bearer {REDACTED}");
            }
            *value = self.text(value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_lose_sig_and_bearer_tokens_and_keep_other_sas_fields() {
        let mut request = CassetteRequest {
            method: "PUT".into(),
            path: "/devstoreaccount1/c/b".into(),
            query: "se=2030-01-01&sig=abc&sp=r".into(),
            headers: [
                ("x-ms-copy-source".to_owned(), "https://a/c/s?sv=1&sig=xyz".to_owned()),
                ("x-custom-auth".to_owned(), "bearer opaque-token".to_owned()),
            ]
            .into(),
            body: CassetteBody::Text { text: "devstoreaccount1".into() },
        };
        let sanitizer = Sanitizer::new(Some(("devstoreaccount1".into(), "account".into())));
        sanitizer.request(&mut request);
        assert_eq!(request.query, "se=2030-01-01&sp=r");
        assert_eq!(request.headers["x-ms-copy-source"], "https://a/c/s?sv=1&sig=REDACTED");
        assert_eq!(request.headers["x-custom-auth"], "Bearer REDACTED");
        assert_eq!(request.path, "/account/c/b");
        assert_eq!(request.body, CassetteBody::Text { text: "account".into() });
        assert_eq!(sanitizer.restore("/account/c"), "/devstoreaccount1/c");
    }

    #[test]
    fn non_ascii_header_values_are_sanitized_without_panicking() {
        let mut response = CassetteResponse {
            status: 200,
            headers: [
                ("content-type".to_owned(), "text/xé".to_owned()),
                ("x-a".to_owned(), "bearerétoken".to_owned()),
                ("x-b".to_owned(), "Bearer ü-token".to_owned()),
            ]
            .into(),
            body: CassetteBody::default(),
        };
        Sanitizer::default().response_headers(&mut response);
        assert_eq!(response.headers["content-type"], "text/xé");
        assert_eq!(response.headers["x-a"], "bearerétoken");
        assert_eq!(response.headers["x-b"], "Bearer REDACTED");
    }

    #[test]
    fn credential_headers_are_redacted_whole() {
        let mut request = CassetteRequest {
            method: "PUT".into(),
            path: "/a/c/b".into(),
            query: "SIG=upper".into(),
            headers: [
                ("x-ms-encryption-key".to_owned(), "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=".to_owned()),
                ("x-ms-encryption-key-sha256".to_owned(), "hash".to_owned()),
                ("proxy-authorization".to_owned(), "Basic dXNlcjpwYXNz".to_owned()),
            ]
            .into(),
            body: CassetteBody::default(),
        };
        Sanitizer::default().request(&mut request);
        assert_eq!(request.headers["x-ms-encryption-key"], REDACTED);
        assert_eq!(request.headers["proxy-authorization"], REDACTED);
        assert_eq!(request.headers["x-ms-encryption-key-sha256"], "hash", "a hash is no secret");
        assert_eq!(request.query, "", "sig goes in any case");
    }
}
