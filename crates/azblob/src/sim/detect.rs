//! The detector that makes `save_recordings` refuse a cassette that still
//! holds a secret.
//!
//! It is broader than the redactor on purpose: it looks for every shape the
//! redactor removes (`shapes.rs`), then for looser ones (a `sig=` inside a
//! word, a bearer token of any characters, a credential named in a form or
//! JSON, a JWT cut short), and for all of them again in the percent-decoded
//! text. A secret the redactor misses, or only half removes, is still
//! refused, rather than saved.

use std::borrow::Cow;
use std::fmt;

use super::cassette::{Cassette, CassetteBody};
use super::sanitize::REDACTED;
use crate::headers::{CREDENTIAL_HEADERS, X_MS_ENCRYPTION_KEY, X_MS_SOURCE_ENCRYPTION_KEY};
pub use crate::redact::shapes::SecretKind;
use crate::redact::shapes::{is_b64url, secret_spans};

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

/// Names whose value is a credential wherever they appear, compared without
/// regard to case, followed by `=` or `:` (optionally quoted, as in JSON).
const CREDENTIAL_NAMES: &[&str] = &[
    "accountkey",
    "sharedaccesssignature",
    "client_secret",
    "client_assertion",
    "access_token",
    "refresh_token",
    "id_token",
    "password",
    "x-ms-encryption-key",
    "x-ms-source-encryption-key",
];

/// The first secret-shaped value in `text`, if any: every shape the recorder
/// redacts, looser shapes, and both again in the percent-decoded text.
pub fn find_secret(text: &str) -> Option<SecretKind> {
    if let Some(kind) = find_in(text) {
        return Some(kind);
    }
    if text.contains('%') {
        let decoded = percent_encoding::percent_decode_str(text).decode_utf8_lossy();
        if decoded != text {
            return find_in(&decoded);
        }
    }
    None
}

fn find_in(text: &str) -> Option<SecretKind> {
    if let Some(span) = secret_spans(text).first() {
        return Some(span.kind);
    }
    let bytes = text.as_bytes();
    (0..bytes.len()).find_map(|i| loose_at(bytes, i))
}

/// The detector's own shapes at `i`, looser than the redactor's.
fn loose_at(bytes: &[u8], i: usize) -> Option<SecretKind> {
    let rest = &bytes[i..];
    let starts = |prefix: &[u8]| rest.len() >= prefix.len() && rest[..prefix.len()].eq_ignore_ascii_case(prefix);
    if starts(b"sig=") && !is_redacted(&rest[4..]) {
        return Some(SecretKind::SasSignature);
    }
    if starts(b"bearer") {
        let blanks = rest[6..].iter().take_while(|b| b.is_ascii_whitespace()).count();
        if blanks > 0 && !is_redacted(&rest[6 + blanks..]) && value_len(&rest[6 + blanks..]) >= 8 {
            return Some(SecretKind::BearerToken);
        }
    }
    if starts(b"sharedkey") {
        // Any blanks, any account (even none), `:`, then anything but `REDACTED`.
        let after = rest[9..].strip_prefix(b"Lite").unwrap_or(&rest[9..]);
        let blanks = after.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
        let account = after[blanks..].iter().take_while(|&&b| b != b':' && !b.is_ascii_whitespace()).count();
        if let (true, Some([b':', value @ ..])) = (blanks > 0, after.get(blanks + account..)) {
            if !is_redacted(value) {
                return Some(SecretKind::SharedKeySignature);
            }
        }
    }
    // A JWT cut short: its header and a dot are enough.
    // Only where a word starts: a scan from inside one would repeat itself.
    if starts(b"eyJ") && (i == 0 || !is_b64url(bytes[i - 1])) {
        let word = rest.iter().take_while(|&&b| is_b64url(b)).count();
        if word >= 11 && rest.get(word) == Some(&b'.') {
            return Some(SecretKind::Jwt);
        }
    }
    let prev_is_name = i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || matches!(bytes[i - 1], b'_' | b'-'));
    if !prev_is_name {
        for name in CREDENTIAL_NAMES {
            if starts(name.as_bytes()) && named_value(&rest[name.len()..]).is_some_and(|v| !is_redacted(v)) {
                return Some(SecretKind::NamedCredential);
            }
        }
    }
    None
}

/// The value after a name: optional `"`, blanks, `=` or `:`, blanks, optional `"`.
fn named_value(rest: &[u8]) -> Option<&[u8]> {
    let skip = |s: &[u8], f: fn(u8) -> bool| s.iter().take_while(|&&b| f(b)).count();
    let mut at = skip(rest, |b| b == b'"' || b == b' ' || b == b'\t');
    if !matches!(rest.get(at), Some(b'=' | b':')) {
        return None;
    }
    at += 1;
    at += skip(&rest[at..], |b| b == b'"' || b == b' ' || b == b'\t');
    let value = &rest[at..];
    (value_len(value) > 0).then_some(value)
}

/// The length of the value at the start of `rest`, up to a blank, a quote or
/// a separator; a backslash (the escapes of JSON text), a control character
/// (the colours of a terminal log) and a closing bracket end it too.
fn value_len(rest: &[u8]) -> usize {
    rest.iter()
        .take_while(|&&b| {
            !(b.is_ascii_whitespace()
                || b.is_ascii_control()
                || matches!(b, b'"' | b'\'' | b'&' | b';' | b',' | b'<' | b'>' | b'\\' | b')' | b']' | b'}'))
        })
        .count()
}

/// Whether the value at the start of `rest` holds nothing: empty, exactly
/// [`REDACTED`], or `None`/`null` (an absent value in `Debug` or JSON text).
fn is_redacted(rest: &[u8]) -> bool {
    let value = &rest[..value_len(rest)];
    value.is_empty() || [REDACTED.as_bytes(), b"None", b"null"].contains(&value)
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
            if key.eq_ignore_ascii_case("sig") && !value.is_empty() && value != REDACTED {
                return found(format!("request.query.{key}"), SecretKind::SasSignature);
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
                let credential = CREDENTIAL_HEADERS.iter().any(|n| n.eq_ignore_ascii_case(name));
                if credential && !value.is_empty() && !value.ends_with(REDACTED) {
                    let encryption = [X_MS_ENCRYPTION_KEY, X_MS_SOURCE_ENCRYPTION_KEY].contains(&name.as_str());
                    let kind = if encryption { SecretKind::EncryptionKey } else { SecretKind::NamedCredential };
                    return found(format!("{side}.headers.{name}"), kind);
                }
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
    use crate::redact::shapes::redact_text;

    /// What the redactor leaves passes the broader detector (the save-time check).
    #[test]
    fn the_redactors_output_passes_the_detector() {
        let key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.c2lnbmF0dXJl";
        let batch = "authorization: SharedKey devstoreaccount1:9e4mqHBYdZHcXN1WsUKj7Zr6/Th0/6nU7zBNBGnq7ek=\r\n";
        for text in [format!("k={key} t={jwt} u=https://a/c?sv=1&sig=s3cr3t&se=x"), batch.to_owned()] {
            assert!(find_secret(&text).is_some(), "{text}");
            assert_eq!(find_secret(&redact_text(&text)), None, "{text}");
        }
    }

    #[test]
    fn the_detector_is_broader_than_the_redactor() {
        // Each of these is left (or half left) by redaction, and refused at save.
        let missed = [
            ("xsig=abc", SecretKind::SasSignature),
            ("Bearer REDACTED$more-of-the-token", SecretKind::BearerToken),
            ("NotSharedKey acct:c2lnbmF0dXJl", SecretKind::SharedKeySignature),
            ("SharedKey  two-blanks:c2lnbmF0dXJl", SecretKind::SharedKeySignature),
            ("eyJhbGciOiJub25lIn0.cut", SecretKind::Jwt),
            (r#"{"access_token": "opaque"}"#, SecretKind::NamedCredential),
            ("client_secret=s3cr3t&grant_type=x", SecretKind::NamedCredential),
            ("sig%253Ddouble-encoded", SecretKind::SasSignature),
            ("Bearer%20opaque-token-value", SecretKind::BearerToken),
        ];
        for (text, kind) in missed {
            assert_eq!(find_secret(&redact_text(text)), Some(kind), "{text}");
        }
        for clean in [
            "sig=REDACTED",
            "Bearer REDACTED",
            r#"{"access_token": "REDACTED"}"#,
            "x-ms-encryption-key-sha256: aGFzaA==",
            "design=1&signal=2",
            "eyJ not a token",
            "100%",
            "url=https://a/c?sig=REDACTED\u{1b}[1m}",
            r#"Url { username: "", password: None }"#,
            r#"Url(\"https://a/c?sig=REDACTED\")"#,
            "azblob.attempt{url=https://a/c?sig=REDACTED}: connected",
        ] {
            assert_eq!(find_secret(clean), None, "{clean}");
        }
    }

    #[test]
    fn long_bodies_are_scanned_in_linear_time() {
        // A quadratic scan takes minutes here; a linear one, milliseconds.
        let started = std::time::Instant::now();
        for filler in ["x", "eyJ", "a=", "sig", "Bearer "] {
            let body = filler.repeat((512 << 10) / filler.len());
            let _ = find_secret(&body);
            let _ = redact_text(&body);
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(60), "{:?}", started.elapsed());
    }

    #[test]
    fn credential_headers_are_refused_unless_redacted() {
        let mut cassette = Cassette::new(1, "exact", false);
        let mut interaction = super::super::cassette::Interaction {
            request: super::super::cassette::CassetteRequest {
                method: "PUT".into(),
                path: "/a/c/b".into(),
                query: String::new(),
                headers: [("x-ms-encryption-key".to_owned(), "MDEy".to_owned())].into(),
                body: CassetteBody::default(),
            },
            response: super::super::cassette::CassetteResponse {
                status: 201,
                headers: Default::default(),
                body: CassetteBody::default(),
            },
        };
        cassette.interactions.push(interaction.clone());
        let found = scan_cassette(&cassette, &|_| None).unwrap_err();
        assert_eq!(
            (found.field.as_str(), found.kind),
            ("request.headers.x-ms-encryption-key", SecretKind::EncryptionKey)
        );
        interaction.request.headers.insert("x-ms-encryption-key".into(), REDACTED.into());
        cassette.interactions = vec![interaction];
        assert_eq!(scan_cassette(&cassette, &|_| None), Ok(()));
    }

    #[test]
    fn a_copy_source_token_is_redacted_and_refused_if_left() {
        // Put Block From URL and Copy Blob From URL carry a bearer token for
        // their source in `x-ms-copy-source-authorization`.
        let mut request = super::super::cassette::CassetteRequest {
            method: "PUT".into(),
            path: "/a/c/b".into(),
            query: "comp=block&blockid=YQ%3D%3D".into(),
            headers: [("x-ms-copy-source-authorization".to_owned(), "Bearer opaque-token-value".to_owned())].into(),
            body: CassetteBody::default(),
        };
        let mut cassette = Cassette::new(1, "exact", false);
        let response = super::super::cassette::CassetteResponse {
            status: 201,
            headers: Default::default(),
            body: CassetteBody::default(),
        };
        cassette
            .interactions
            .push(super::super::cassette::Interaction { request: request.clone(), response: response.clone() });
        let found = scan_cassette(&cassette, &|_| None).unwrap_err();
        assert_eq!(found.field, "request.headers.x-ms-copy-source-authorization");
        super::super::sanitize::Sanitizer::default().request(&mut request);
        assert_eq!(request.headers["x-ms-copy-source-authorization"], REDACTED);
        cassette.interactions = vec![super::super::cassette::Interaction { request, response }];
        assert_eq!(scan_cassette(&cassette, &|_| None), Ok(()));
    }
}
