//! Property tests of the cassette sanitizer, the redactor and the detector:
//! arbitrary text never makes them panic, and a secret planted in arbitrary
//! text is always found before redaction and always gone after it.

use proptest::prelude::*;

use super::cassette::{CassetteBody, CassetteRequest, CassetteResponse};
use super::detect::find_secret;
use super::sanitize::Sanitizer;
use crate::redact::shapes::redact_text;

/// Base64 characters, as keys and signatures use.
const B64: &str = "[A-Za-z0-9+/]";
/// Base64url characters, as JWTs use.
const B64URL: &str = "[A-Za-z0-9_-]";

/// A distinctive secret: a marker no arbitrary text holds, then random characters of `class`.
fn secret(class: &'static str, min: usize, max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("{class}{{{min},{max}}}"))
        .expect("a valid pattern")
        .prop_map(|tail| format!("Qz7{tail}"))
}

/// A secret in the context where it travels, and the parts that must never survive redaction.
fn planted() -> impl Strategy<Value = (String, Vec<String>)> {
    prop_oneof![
        secret(B64, 20, 40).prop_map(|s| (format!("https://a.example/c/b?sv=1&sig={s}&sp=r"), vec![s])),
        secret(B64, 20, 40).prop_map(|s| (format!("x%3Fsv%3D1%26sig%3D{s}%26sp%3Dr"), vec![s])),
        secret("[A-Za-z0-9._~+/-]", 8, 40).prop_map(|s| (format!("authorization: Bearer {s}\r\n"), vec![s])),
        (secret(B64, 30, 44), "[a-z0-9_-]{3,24}")
            .prop_map(|(s, account)| (format!("authorization: SharedKey {account}:{s}=\r\n"), vec![s])),
        secret(B64, 40, 41).prop_map(|s| (format!("x-ms-encryption-key: {s}=\r\n"), vec![s])),
        // 86 base64 characters and `==`: the shape of an account key.
        secret(B64, 83, 83).prop_map(|s| (format!("{s}=="), vec![s])),
        (secret(B64URL, 10, 30), secret(B64URL, 10, 30), secret(B64URL, 10, 30))
            .prop_map(|(a, b, c)| { (format!("eyJ{a}.{b}.{c}"), vec![a, b, c]) }),
        (secret(B64URL, 10, 30), secret(B64URL, 10, 30), secret(B64URL, 10, 30))
            .prop_map(|(k, iv, t)| { (format!("eyJhbGciOiJSU0EtT0FFUCJ9.{k}.{iv}.{t}.{t}"), vec![k, iv, t]) }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let redacted = redact_text(&text);
        let _ = find_secret(&text);
        let _ = find_secret(&redacted);
        let sanitizer = Sanitizer::new(Some(("acct".into(), "ACCOUNT".into())));
        let _ = sanitizer.restore(&sanitizer.text(&text));
    }

    #[test]
    fn arbitrary_requests_and_responses_never_panic(
        path in any::<String>(),
        query in any::<String>(),
        headers in proptest::collection::btree_map(any::<String>(), any::<String>(), 0..6),
        body in any::<String>(),
    ) {
        let sanitizer = Sanitizer::default();
        let mut request = CassetteRequest {
            method: "PUT".into(),
            path,
            query,
            headers: headers.clone(),
            body: CassetteBody::Text { text: body },
        };
        sanitizer.request(&mut request);
        let mut response = CassetteResponse { status: 200, headers, body: CassetteBody::default() };
        sanitizer.response_headers(&mut response);
    }

    #[test]
    fn a_planted_secret_is_detected_then_redacted(
        before in any::<String>(),
        after in any::<String>(),
        (context, parts) in planted(),
    ) {
        // Blanks around the context, as in the header lines and bodies where secrets travel.
        let text = format!("{before} {context} {after}");
        prop_assert!(find_secret(&text).is_some(), "not detected: {text:?}");
        let redacted = redact_text(&text);
        for part in &parts {
            prop_assert!(!redacted.contains(part.as_str()), "{part:?} survived in {redacted:?}");
        }
        let sanitized = Sanitizer::default().text(&text);
        for part in &parts {
            prop_assert!(!sanitized.contains(part.as_str()), "{part:?} survived in {sanitized:?}");
        }
    }

    #[test]
    fn a_planted_header_value_secret_is_redacted(
        name in "[a-z-]{1,20}",
        (context, parts) in planted(),
    ) {
        let mut response = CassetteResponse {
            status: 200,
            headers: [(name, context)].into(),
            body: CassetteBody::default(),
        };
        Sanitizer::default().response_headers(&mut response);
        for value in response.headers.values() {
            for part in &parts {
                prop_assert!(!value.contains(part.as_str()), "{part:?} survived in {value:?}");
            }
        }
    }
}
