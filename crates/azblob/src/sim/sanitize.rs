//! Keeping secrets out of cassettes: redaction at record time, and the
//! detector that makes `save_recordings` refuse a cassette that still holds one.
//!
//! Both use the same shapes, so whatever the detector would refuse, the
//! redactor removes from recorded text; the refusal is the backstop for
//! hand-edited or loaded cassettes and for shapes that slip through.

use std::borrow::Cow;
use std::fmt;

use super::cassette::{canonical_query, Cassette, CassetteBody, CassetteRequest, CassetteResponse};

/// What replaces a secret in recorded text.
pub const REDACTED: &str = "REDACTED";

/// The kind of secret the detector found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretKind {
    /// Something shaped like a storage account key: base64 of 64 bytes
    /// (86 to 88 characters ending in `=` or `==`).
    AccountKey,
    /// A SAS signature: `sig=` with a value.
    SasSignature,
    /// A JSON Web Token (a bearer token): `eyJ…` in three dot-separated base64url parts.
    Jwt,
    /// A Shared Key signature, `SharedKey account:signature` (or `SharedKeyLite`),
    /// as in the `Authorization` lines of a batch's sub-requests.
    SharedKeySignature,
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretKind::AccountKey => "an account key",
            SecretKind::SasSignature => "a SAS signature",
            SecretKind::Jwt => "a JWT (bearer token)",
            SecretKind::SharedKeySignature => "a Shared Key signature",
        })
    }
}

/// Where a cassette still holds a secret; the source of the error
/// `save_recordings` returns when it refuses to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretFound {
    /// The interaction's index in the cassette (from 0).
    pub interaction: usize,
    /// The field, e.g. `request.headers.x-ms-copy-source` or `response.body`.
    pub field: String,
    /// What was found.
    pub kind: SecretKind,
}

impl fmt::Display for SecretFound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "interaction #{} field {} holds {}", self.interaction, self.field, self.kind)
    }
}

impl std::error::Error for SecretFound {}

/// The first secret-shaped value in `text`, if any.
pub fn find_secret(text: &str) -> Option<SecretKind> {
    secret_spans(text).first().map(|span| span.kind)
}

/// A secret's byte range in a text.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: usize,
    end: usize,
    kind: SecretKind,
}

fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// Every secret in `text`, in order, not overlapping.
fn secret_spans(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let span = jwt_at(bytes, i)
            .or_else(|| shared_key_at(bytes, i))
            .or_else(|| key_at(bytes, i))
            .or_else(|| sig_at(bytes, i));
        if let Some(span) = span {
            i = span.end.max(i + 1);
            spans.push(span);
        } else {
            i += 1;
        }
    }
    spans
}

/// A JWT starting at `i`: `eyJ` + base64url, `.`, base64url, `.`, base64url (may be empty).
fn jwt_at(bytes: &[u8], i: usize) -> Option<Span> {
    if !bytes[i..].starts_with(b"eyJ") || (i > 0 && (is_b64url(bytes[i - 1]) || bytes[i - 1] == b'.')) {
        return None;
    }
    let mut end = i;
    for part in 0..3 {
        let start = end;
        while end < bytes.len() && is_b64url(bytes[end]) {
            end += 1;
        }
        if part < 2 {
            if end == start || bytes.get(end) != Some(&b'.') {
                return None;
            }
            end += 1;
        }
    }
    (end - i >= 16).then_some(Span { start: i, end, kind: SecretKind::Jwt })
}

/// A Shared Key signature's value at `i`: `SharedKey ` or `SharedKeyLite `
/// (not inside a word), an account name, `:`, then base64 other than
/// [`REDACTED`]. The span covers the signature only, so the account stays readable.
fn shared_key_at(bytes: &[u8], i: usize) -> Option<Span> {
    if i > 0 && bytes[i - 1].is_ascii_alphanumeric() {
        return None;
    }
    let rest = &bytes[i..];
    let scheme = [&b"SharedKey "[..], &b"SharedKeyLite "[..]].into_iter().find(|s| rest.starts_with(s))?;
    let mut end = i + scheme.len();
    let account = end;
    while end < bytes.len() && bytes[end].is_ascii_alphanumeric() {
        end += 1;
    }
    if end == account || bytes.get(end) != Some(&b':') {
        return None;
    }
    let start = end + 1;
    end = start;
    while end < bytes.len() && (is_b64(bytes[end]) || bytes[end] == b'=') {
        end += 1;
    }
    let value = &bytes[start..end];
    (!value.is_empty() && value != REDACTED.as_bytes()).then_some(Span {
        start,
        end,
        kind: SecretKind::SharedKeySignature,
    })
}

/// An account key starting at `i`: a whole base64 token of 86 to 88 characters ending in `=`.
fn key_at(bytes: &[u8], i: usize) -> Option<Span> {
    if !is_b64(bytes[i]) || (i > 0 && is_b64(bytes[i - 1])) {
        return None;
    }
    let mut end = i;
    while end < bytes.len() && is_b64(bytes[end]) {
        end += 1;
    }
    let pad_start = end;
    while end < bytes.len() && bytes[end] == b'=' && end - pad_start < 2 {
        end += 1;
    }
    let padded = end > pad_start;
    let whole = end == bytes.len() || !(is_b64(bytes[end]) || bytes[end] == b'=');
    (padded && whole && (86..=88).contains(&(end - i))).then_some(Span { start: i, end, kind: SecretKind::AccountKey })
}

/// A SAS signature's value at `i`: `sig=` after a separator, then a value
/// other than [`REDACTED`]. The span covers the value only.
fn sig_at(bytes: &[u8], i: usize) -> Option<Span> {
    if !bytes[i..].starts_with(b"sig=") || (i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) {
        return None;
    }
    let start = i + 4;
    let mut end = start;
    while end < bytes.len() && !matches!(bytes[end], b'&' | b'"' | b'\'' | b'<' | b'#' | b';' | b',') {
        if bytes[end].is_ascii_whitespace() {
            break;
        }
        end += 1;
    }
    let value = &bytes[start..end];
    (!value.is_empty() && value != REDACTED.as_bytes()).then_some(Span { start, end, kind: SecretKind::SasSignature })
}

/// `text` with every secret replaced by [`REDACTED`], and the `<Value>` of a
/// user delegation key (a signing key in a response body) redacted too.
pub(crate) fn redact_text(text: &str) -> Cow<'_, str> {
    let spans = secret_spans(text);
    let mut out = if spans.is_empty() {
        Cow::Borrowed(text)
    } else {
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for span in spans {
            out.push_str(&text[at..span.start]);
            out.push_str(REDACTED);
            at = span.end;
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    };
    if out.contains("<UserDelegationKey>") {
        out = Cow::Owned(redact_element(&out, "Value"));
    }
    out
}

/// Replaces the content of every `<name>…</name>` element with [`REDACTED`].
fn redact_element(text: &str, name: &str) -> String {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(&open) {
        let content = start + open.len();
        let Some(len) = rest[content..].find(&close) else { break };
        out.push_str(&rest[..content]);
        out.push_str(REDACTED);
        rest = &rest[content + len..];
    }
    out.push_str(rest);
    out
}

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
        pairs.retain(|(key, _)| key != "sig");
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
        for value in headers.values_mut() {
            if value.len() > 7 && value[..7].eq_ignore_ascii_case("bearer ") {
                *value = format!("Bearer {REDACTED}");
            }
            *value = self.text(value);
        }
    }
}

/// The first secret in the cassette's text: paths, query values, headers and
/// inline bodies. `sidecar_text` gives the text of a stored body, if it is text.
pub(crate) fn scan_cassette(
    cassette: &Cassette,
    sidecar_text: &dyn Fn(&str) -> Option<String>,
) -> Result<(), SecretFound> {
    for (index, interaction) in cassette.interactions.iter().enumerate() {
        let found = |field: String, kind| Err(SecretFound { interaction: index, field, kind });
        let request = &interaction.request;
        if let Some(kind) = find_secret(&request.path) {
            return found("request.path".into(), kind);
        }
        for (key, value) in &request.query_pairs() {
            if key == "sig" && !value.is_empty() && value != REDACTED {
                return found("request.query.sig".into(), SecretKind::SasSignature);
            }
            if let Some(kind) = find_secret(value) {
                return found(format!("request.query.{key}"), kind);
            }
        }
        let parts = [
            ("request", &request.headers, &request.body),
            ("response", &interaction.response.headers, &interaction.response.body),
        ];
        for (side, headers, body) in parts {
            for (name, value) in headers {
                if let Some(kind) = find_secret(value) {
                    return found(format!("{side}.headers.{name}"), kind);
                }
            }
            let text = match body {
                CassetteBody::Text { text } => Some(Cow::Borrowed(text.as_str())),
                CassetteBody::Stored { sha256, .. } => sidecar_text(sha256).map(Cow::Owned),
            };
            if let Some(kind) = text.as_deref().and_then(find_secret) {
                return found(format!("{side}.body"), kind);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.c2lnbmF0dXJl";

    #[test]
    fn detects_keys_signatures_and_jwts() {
        assert_eq!(find_secret(&format!("AccountKey={KEY};")), Some(SecretKind::AccountKey));
        assert_eq!(find_secret(&KEY[..86]), None, "no padding, no key");
        assert_eq!(find_secret("https://a/c/b?sv=2023&sig=abc%2Bdef&sp=r"), Some(SecretKind::SasSignature));
        assert_eq!(find_secret("sig=abc"), Some(SecretKind::SasSignature));
        assert_eq!(find_secret(&format!("Bearer {JWT}")), Some(SecretKind::Jwt));
        for clean in ["sig=REDACTED&sp=r", "sig=", "x-ms-meta-design=1", "Zm9vYmFy==", "eyJ only", "<sig>x</sig>"] {
            assert_eq!(find_secret(clean), None, "{clean}");
        }
        // Block ids and MD5s are base64 too, but far shorter than a key.
        assert_eq!(find_secret("blockid=MDEyMzQ1Njc4OWFiY2RlZi0wMDAwMDA%3D"), None);
    }

    #[test]
    fn redacts_every_shape_and_user_delegation_key_values() {
        let text = format!("k={KEY} t={JWT} u=https://a/c?sv=1&sig=s3cr3t&se=x");
        let redacted = redact_text(&text);
        assert_eq!(redacted, "k=REDACTED t=REDACTED u=https://a/c?sv=1&sig=REDACTED&se=x");
        assert_eq!(find_secret(&redacted), None);
        let udk = "<UserDelegationKey><SignedOid>o</SignedOid><Value>c2VjcmV0IGtleQ==</Value></UserDelegationKey>";
        assert_eq!(
            redact_text(udk),
            "<UserDelegationKey><SignedOid>o</SignedOid><Value>REDACTED</Value></UserDelegationKey>"
        );
        assert_eq!(
            redact_text("<Value>kept outside a delegation key</Value>"),
            "<Value>kept outside a delegation key</Value>"
        );
    }

    #[test]
    fn shared_key_signatures_in_batch_bodies_are_found_and_redacted() {
        let body = "--batch_1\r\nDELETE /devstoreaccount1/c/b HTTP/1.1\r\n\
                    authorization: SharedKey devstoreaccount1:9e4mqHBYdZHcXN1WsUKj7Zr6/Th0/6nU7zBNBGnq7ek=\r\n\
                    x-ms-date: Mon, 23 Nov 2026 23:00:00 GMT\r\n";
        assert_eq!(find_secret(body), Some(SecretKind::SharedKeySignature));
        let redacted = redact_text(body);
        assert!(redacted.contains("authorization: SharedKey devstoreaccount1:REDACTED\r\n"), "{redacted}");
        assert_eq!(find_secret(&redacted), None);
        assert_eq!(find_secret("SharedKeyLite acct:c2ln"), Some(SecretKind::SharedKeySignature));
        for clean in ["SharedKey acct:REDACTED", "SharedKey acct", "NotSharedKey acct:c2ln", "SharedKey :c2ln"] {
            assert_eq!(find_secret(clean), None, "{clean}");
        }
    }

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
}
