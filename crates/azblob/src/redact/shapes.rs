//! The shapes of secrets the recorder redacts from text: account keys, SAS
//! signatures (plain and percent-encoded), bearer tokens, JWTs and JWEs,
//! Shared Key signatures and keys named as such (`AccountKey=`,
//! `x-ms-encryption-key:`).
//!
//! The save-time detector (`detect.rs`) looks for these and for broader
//! shapes on top, so whatever slips past redaction is still refused.

use std::borrow::Cow;
use std::fmt;

use super::REDACTED;

/// The kind of secret the detector found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretKind {
    /// Something shaped like a storage account key: base64 of 64 bytes
    /// (86 to 88 characters ending in `=` or `==`), or a value named `AccountKey`.
    AccountKey,
    /// A SAS signature: `sig=` with a value.
    SasSignature,
    /// A JSON Web Token or JWE (a bearer token): `eyJ…` in dot-separated base64url parts.
    Jwt,
    /// A Shared Key signature, `SharedKey account:signature` (or `SharedKeyLite`),
    /// as in the `Authorization` lines of a batch's sub-requests.
    SharedKeySignature,
    /// A bearer token that is not a JWT: `Bearer <token>`.
    BearerToken,
    /// A customer-provided encryption key (`x-ms-encryption-key`).
    EncryptionKey,
    /// A value named like a credential: `client_secret=`, `"access_token":`,
    /// `password=`, an `Authorization` header, ...
    NamedCredential,
}

impl fmt::Display for SecretKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretKind::AccountKey => "an account key",
            SecretKind::SasSignature => "a SAS signature",
            SecretKind::Jwt => "a JWT (bearer token)",
            SecretKind::SharedKeySignature => "a Shared Key signature",
            SecretKind::BearerToken => "a bearer token",
            SecretKind::EncryptionKey => "an encryption key",
            SecretKind::NamedCredential => "a value named like a credential",
        })
    }
}

/// A secret's byte range in a text. Both ends sit on ASCII characters, so
/// slicing the text there never splits a UTF-8 character.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span {
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) kind: SecretKind,
}

/// Names whose value is a key, in a header line, a connection string or a
/// form: `name: value` or `name=value`. Compared without regard to case.
const KEY_NAMES: &[(&str, SecretKind)] = &[
    ("x-ms-encryption-key", SecretKind::EncryptionKey),
    ("x-ms-source-encryption-key", SecretKind::EncryptionKey),
    ("accountkey", SecretKind::AccountKey),
];

pub(crate) fn is_b64(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/'
}

pub(crate) fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

/// The characters of a bearer token (`token68` in RFC 7235, with `=` padding).
fn is_token68(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=')
}

/// Whether the byte before `i` ends a word, so a shape starting at `i` is not inside one.
fn at_word_start(bytes: &[u8], i: usize) -> bool {
    i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')
}

/// Every secret in `text`, in order, not overlapping.
pub(crate) fn secret_spans(text: &str) -> Vec<Span> {
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let span = bearer_at(bytes, i)
            .or_else(|| jwt_at(bytes, i))
            .or_else(|| shared_key_at(bytes, i))
            .or_else(|| named_key_at(bytes, i))
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

/// A bearer token's value at `i`: `Bearer` (any case, not inside a word),
/// blanks, then a token other than [`REDACTED`], whatever its shape: an
/// opaque token in a batch's body is as secret as a JWT.
fn bearer_at(bytes: &[u8], i: usize) -> Option<Span> {
    let rest = &bytes[i..];
    if rest.len() < 7 || !rest[..6].eq_ignore_ascii_case(b"bearer") || !at_word_start(bytes, i) {
        return None;
    }
    let mut start = i + 6;
    while start < bytes.len() && matches!(bytes[start], b' ' | b'\t') {
        start += 1;
    }
    if start == i + 6 {
        return None;
    }
    let end = start + bytes[start..].iter().take_while(|&&b| is_token68(b)).count();
    let value = &bytes[start..end];
    // `=` inside the run, not as trailing padding, makes it a challenge's
    // parameter (`Bearer authorization_uri=https://...`), not a token.
    let unpadded = value.iter().rposition(|&b| b != b'=').map_or(0, |p| p + 1);
    let is_param = value[..unpadded].contains(&b'=') || (unpadded < value.len() && bytes.get(end) == Some(&b':'));
    if value.is_empty() || value == REDACTED.as_bytes() || is_param {
        return None;
    }
    let kind = if value.starts_with(b"eyJ") { SecretKind::Jwt } else { SecretKind::BearerToken };
    Some(Span { start, end, kind })
}

/// A JWT or JWE starting at `i`: `eyJ` and base64url, then two or more
/// `.`-separated base64url parts, which may be empty (a JWS's unsigned
/// signature, a JWE's direct-encryption key). A JWE has five parts, and
/// every one of them goes.
fn jwt_at(bytes: &[u8], i: usize) -> Option<Span> {
    if !bytes[i..].starts_with(b"eyJ") || (i > 0 && (is_b64url(bytes[i - 1]) || bytes[i - 1] == b'.')) {
        return None;
    }
    let mut end = i + bytes[i..].iter().take_while(|&&b| is_b64url(b)).count();
    let mut dots = 0;
    while bytes.get(end) == Some(&b'.') {
        dots += 1;
        end += 1;
        end += bytes[end..].iter().take_while(|&&b| is_b64url(b)).count();
    }
    (dots >= 2 && end - i >= 16).then_some(Span { start: i, end, kind: SecretKind::Jwt })
}

/// A Shared Key signature's value at `i`: `SharedKey ` or `SharedKeyLite `
/// (not inside a word), an account name (anything up to a blank or `:`;
/// emulator accounts hold `-` and `_`), `:`, then base64 other than
/// [`REDACTED`]. The span covers the signature only, so the account stays readable.
fn shared_key_at(bytes: &[u8], i: usize) -> Option<Span> {
    if !at_word_start(bytes, i) {
        return None;
    }
    let rest = &bytes[i..];
    let scheme = [&b"SharedKey "[..], &b"SharedKeyLite "[..]].into_iter().find(|s| rest.starts_with(s))?;
    let account = i + scheme.len();
    let end = account + bytes[account..].iter().take_while(|&&b| b != b':' && !b.is_ascii_whitespace()).count();
    if end == account || bytes.get(end) != Some(&b':') {
        return None;
    }
    let start = end + 1;
    let end = start + bytes[start..].iter().take_while(|&&b| is_b64(b) || b == b'=').count();
    let value = &bytes[start..end];
    (!value.is_empty() && value != REDACTED.as_bytes()).then_some(Span {
        start,
        end,
        kind: SecretKind::SharedKeySignature,
    })
}

/// A key named as such at `i` (see [`KEY_NAMES`]): the name, not inside a
/// word or a longer name (`x-ms-encryption-key-sha256` is a hash, and stays),
/// `:` or `=` with optional blanks, then the value up to a separator.
fn named_key_at(bytes: &[u8], i: usize) -> Option<Span> {
    if !at_word_start(bytes, i) || (i > 0 && bytes[i - 1] == b'-') {
        return None;
    }
    let (name, kind) = KEY_NAMES.iter().find(|(name, _)| {
        bytes.len() >= i + name.len() && bytes[i..i + name.len()].eq_ignore_ascii_case(name.as_bytes())
    })?;
    let mut at = i + name.len();
    let blanks = |at: usize| bytes[at..].iter().take_while(|&&b| matches!(b, b' ' | b'\t')).count();
    at += blanks(at);
    if !matches!(bytes.get(at), Some(b':' | b'=')) {
        return None;
    }
    at += 1;
    let start = at + blanks(at);
    let end = start + bytes[start..].iter().take_while(|&&b| !ends_value(b)).count();
    let value = &bytes[start..end];
    (!value.is_empty() && value != REDACTED.as_bytes()).then_some(Span { start, end, kind: *kind })
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

/// A SAS signature's value at `i`: `sig=`, or `sig%3D` in percent-encoded
/// text (a URL inside a query value), after a separator (which may itself
/// be percent-encoded: `%26`, `%3F`), then a value other than [`REDACTED`]
/// up to a separator (`%26` too). The span covers the value only.
fn sig_at(bytes: &[u8], i: usize) -> Option<Span> {
    let rest = &bytes[i..];
    let equals = if rest.starts_with(b"sig=") {
        4
    } else if rest.len() >= 6 && rest[..6].eq_ignore_ascii_case(b"sig%3d") {
        6
    } else {
        return None;
    };
    let encoded_separator = i >= 3
        && bytes[i - 3] == b'%'
        && (bytes[i - 2..i].eq_ignore_ascii_case(b"26") || bytes[i - 2..i].eq_ignore_ascii_case(b"3f"));
    if !at_word_start(bytes, i) && !encoded_separator {
        return None;
    }
    let start = i + equals;
    let mut end = start;
    while end < bytes.len() && !ends_value(bytes[end]) {
        if bytes[end..].len() >= 3 && bytes[end..end + 3].eq_ignore_ascii_case(b"%26") {
            break;
        }
        end += 1;
    }
    let value = &bytes[start..end];
    (!value.is_empty() && value != REDACTED.as_bytes()).then_some(Span { start, end, kind: SecretKind::SasSignature })
}

/// Whether `b` ends a value in a query, a header line or a connection
/// string; a control character (a terminal's colour codes in a log), a
/// backslash (an escape in JSON or `Debug` text) and a closing bracket (the
/// end of a log's span fields) too: none of them is part of a signature.
fn ends_value(b: u8) -> bool {
    b.is_ascii_whitespace()
        || b.is_ascii_control()
        || matches!(b, b'&' | b'"' | b'\'' | b'<' | b'>' | b'#' | b';' | b',' | b'\\' | b')' | b']' | b'}')
}

/// `text` with every secret replaced by [`REDACTED`](crate::sim::REDACTED), and the `<Value>` of a
/// user delegation key (a signing key in a response body) redacted too.
///
/// This is the redaction every recording gets; programs that print text
/// they did not make (the `azblob` command's error lines) can use it too.
///
/// ```
/// let line = "cannot read https://a.blob.core.windows.net/c/b?sv=2023-11-03&sig=c2ln%3D";
/// assert_eq!(azblob::sim::redact_text(line), "cannot read https://a.blob.core.windows.net/c/b?sv=2023-11-03&sig=REDACTED");
/// ```
pub fn redact_text(text: &str) -> Cow<'_, str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
    const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJhdWQiOiJodHRwczovL3N0b3JhZ2UuYXp1cmUuY29tIn0.c2lnbmF0dXJl";

    fn kinds(text: &str) -> Vec<SecretKind> {
        secret_spans(text).iter().map(|s| s.kind).collect()
    }

    #[test]
    fn finds_keys_signatures_and_jwts() {
        assert_eq!(kinds(&format!("AccountKey={KEY};")), [SecretKind::AccountKey]);
        assert_eq!(kinds(&format!("key {KEY} end")), [SecretKind::AccountKey]);
        assert_eq!(kinds(&KEY[..86]), [], "no padding, no key");
        assert_eq!(kinds("https://a/c/b?sv=2023&sig=abc%2Bdef&sp=r"), [SecretKind::SasSignature]);
        assert_eq!(kinds("sig=abc"), [SecretKind::SasSignature]);
        assert_eq!(kinds(&format!("Bearer {JWT}")), [SecretKind::Jwt]);
        for clean in ["sig=REDACTED&sp=r", "sig=", "x-ms-meta-design=1", "Zm9vYmFy==", "eyJ only", "<sig>x</sig>"] {
            assert_eq!(kinds(clean), [], "{clean}");
        }
        // Block ids and MD5s are base64 too, but far shorter than a key.
        assert_eq!(kinds("blockid=MDEyMzQ1Njc4OWFiY2RlZi0wMDAwMDA%3D"), []);
    }

    #[test]
    fn redacts_every_shape_and_user_delegation_key_values() {
        let text = format!("k={KEY} t={JWT} u=https://a/c?sv=1&sig=s3cr3t&se=x");
        let redacted = redact_text(&text);
        assert_eq!(redacted, "k=REDACTED t=REDACTED u=https://a/c?sv=1&sig=REDACTED&se=x");
        assert_eq!(kinds(&redacted), []);
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
    fn shared_key_signatures_in_batch_bodies_are_redacted() {
        let body = "--batch_1\r\nDELETE /devstoreaccount1/c/b HTTP/1.1\r\n\
                    authorization: SharedKey devstoreaccount1:9e4mqHBYdZHcXN1WsUKj7Zr6/Th0/6nU7zBNBGnq7ek=\r\n\
                    x-ms-date: Mon, 23 Nov 2026 23:00:00 GMT\r\n";
        assert_eq!(kinds(body), [SecretKind::SharedKeySignature]);
        let redacted = redact_text(body);
        assert!(redacted.contains("authorization: SharedKey devstoreaccount1:REDACTED\r\n"), "{redacted}");
        assert_eq!(kinds(&redacted), []);
        assert_eq!(kinds("SharedKeyLite acct:c2ln"), [SecretKind::SharedKeySignature]);
        for clean in ["SharedKey acct:REDACTED", "SharedKey acct", "NotSharedKey acct:c2ln", "SharedKey :c2ln"] {
            assert_eq!(kinds(clean), [], "{clean}");
        }
    }

    #[test]
    fn shared_key_signatures_of_accounts_with_dashes_and_underscores() {
        for line in ["SharedKey my-account:c2lnbmF0dXJl+/0=", "SharedKeyLite dev_store:c2lnbmF0dXJl"] {
            let redacted = redact_text(line);
            assert!(redacted.ends_with(":REDACTED") && !redacted.contains("c2ln"), "{redacted}");
        }
    }

    #[test]
    fn opaque_bearer_tokens_anywhere_in_a_body() {
        let body = "PUT /a/c/b HTTP/1.1\r\nAuthorization: Bearer opaque.token-with~chars+/=\r\nx-ms-date: now\r\n";
        let redacted = redact_text(body);
        assert!(redacted.contains("Authorization: Bearer REDACTED\r\n"), "{redacted}");
        assert_eq!(kinds("bearer\tabc"), [SecretKind::BearerToken]);
        // A challenge's parameters are no token; words merely ending in "bearer" are no scheme.
        let challenge = "Bearer authorization_uri=https://login.example/t/oauth2/authorize resource_id=x";
        assert_eq!(kinds(challenge), []);
        assert_eq!(kinds("cupbearer token"), []);
    }

    #[test]
    fn encryption_keys_and_account_keys_named_as_such() {
        let line = "x-ms-encryption-key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\r\n";
        assert_eq!(redact_text(line), "x-ms-encryption-key: REDACTED\r\n");
        assert_eq!(redact_text("X-MS-SOURCE-ENCRYPTION-KEY:abc"), "X-MS-SOURCE-ENCRYPTION-KEY:REDACTED");
        assert_eq!(redact_text("x-ms-encryption-key-sha256: hash"), "x-ms-encryption-key-sha256: hash");
        assert_eq!(redact_text("AccountName=a;AccountKey=short+key=;"), "AccountName=a;AccountKey=REDACTED;");
    }

    #[test]
    fn percent_encoded_signatures() {
        let nested = "https%3A%2F%2Fa%2Fc%2Fs%3Fsv%3D1%26sig%3Dabc%252Bdef%26sp%3Dr";
        assert_eq!(redact_text(nested), "https%3A%2F%2Fa%2Fc%2Fs%3Fsv%3D1%26sig%3DREDACTED%26sp%3Dr");
        assert_eq!(redact_text("x%3Fsig%3dabc"), "x%3Fsig%3dREDACTED");
        assert_eq!(redact_text("design%3Dx"), "design%3Dx");
    }

    #[test]
    fn every_part_of_a_jwe_goes() {
        let jwe = "eyJhbGciOiJSU0EtT0FFUCJ9.a2V5.aXY.Y2lwaGVydGV4dA.dGFn";
        assert_eq!(redact_text(&format!("t={jwe} end")), "t=REDACTED end");
        let direct = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXY.Y2lwaGVydGV4dA.dGFn";
        assert_eq!(redact_text(direct), "REDACTED", "an empty encrypted key part");
    }
}
