//! Get User Delegation Key: a key, signed for by a bearer token, that signs user delegation SAS.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/get-user-delegation-key>

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http::{HeaderValue, Method};
use serde::Deserialize;
use url::Url;

use super::headers;
use crate::auth::time::iso8601;
use crate::auth::UserDelegationKey;
use crate::error::{Error, Result};
use crate::redact::Secret;
use crate::transport::Request;

/// Builds Get User Delegation Key for the service at `endpoint`.
///
/// The service allows at most seven days between now and `expiry`; it
/// checks that itself.
pub(crate) fn build_user_delegation_key_request(
    endpoint: &Url,
    start: SystemTime,
    expiry: SystemTime,
) -> Result<Request> {
    if expiry <= start {
        return Err(Error::invalid_input("a user delegation key must expire after it starts"));
    }
    let mut url = endpoint.clone();
    let base = endpoint.path().trim_end_matches('/');
    url.set_path(&format!("{base}/"));
    url.set_query(Some("restype=service&comp=userdelegationkey"));
    let body = format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>{}</Start><Expiry>{}</Expiry></KeyInfo>",
        iso8601(start),
        iso8601(expiry)
    );
    let mut request = Request::new("GetUserDelegationKey", Method::POST, url);
    request.headers.insert(headers::CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    request.body = body.into_bytes().into();
    // Asking twice only yields a second key: safe to retry.
    request.idempotent = true;
    Ok(request)
}

/// Parses the `<UserDelegationKey>` answer.
pub(crate) fn parse_user_delegation_key(body: &[u8]) -> Result<UserDelegationKey> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Body {
        signed_oid: String,
        signed_tid: String,
        signed_start: String,
        signed_expiry: String,
        signed_service: String,
        signed_version: String,
        value: String,
    }
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::invalid_response("the user delegation key is not UTF-8"))?
        .trim_start_matches('\u{feff}');
    // The error never quotes the body: it holds the key.
    let parsed: Body = quick_xml::de::from_str(text)
        .map_err(|_| Error::invalid_response("the user delegation key response is not the documented XML"))?;
    let value = parsed.value.trim().to_owned();
    if BASE64.decode(&value).map_or(true, |k| k.is_empty()) {
        return Err(Error::invalid_response("the user delegation key's value is not base64"));
    }
    Ok(UserDelegationKey {
        signed_oid: parsed.signed_oid,
        signed_tid: parsed.signed_tid,
        signed_start: parsed.signed_start,
        signed_expiry: parsed.signed_expiry,
        signed_service: parsed.signed_service,
        signed_version: parsed.signed_version,
        value: Secret::new(value),
    })
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, UNIX_EPOCH};

    use super::*;

    #[test]
    fn builds_the_documented_request() {
        let start = UNIX_EPOCH + Duration::from_secs(1_795_428_000);
        for endpoint in ["https://myaccount.blob.core.windows.net", "https://myaccount.blob.core.windows.net/"] {
            let r =
                build_user_delegation_key_request(&endpoint.parse().unwrap(), start, start + Duration::from_secs(3600))
                    .unwrap();
            assert_eq!(r.method, Method::POST);
            assert_eq!(
                r.url.as_str(),
                "https://myaccount.blob.core.windows.net/?restype=service&comp=userdelegationkey"
            );
            assert_eq!(r.header("content-type"), Some("application/xml"));
            assert_eq!(
                std::str::from_utf8(&r.body).unwrap(),
                "<?xml version=\"1.0\" encoding=\"utf-8\"?><KeyInfo><Start>2026-11-23T10:00:00Z</Start>\
                 <Expiry>2026-11-23T11:00:00Z</Expiry></KeyInfo>"
            );
        }
        let path_style = "http://127.0.0.1:10000/devstoreaccount1".parse().unwrap();
        let r = build_user_delegation_key_request(&path_style, start, start + Duration::from_secs(1)).unwrap();
        assert_eq!(r.url.as_str(), "http://127.0.0.1:10000/devstoreaccount1/?restype=service&comp=userdelegationkey");
        let err = build_user_delegation_key_request(&path_style, start, start).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    }

    // The response body from the REST reference, with sample values filled in.
    const SAMPLE: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>
<UserDelegationKey>
    <SignedOid>6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10</SignedOid>
    <SignedTid>72f988bf-86f1-41af-91ab-2d7cd011db47</SignedTid>
    <SignedStart>2026-11-23T10:00:00Z</SignedStart>
    <SignedExpiry>2026-11-24T10:00:00Z</SignedExpiry>
    <SignedService>b</SignedService>
    <SignedVersion>2023-11-03</SignedVersion>
    <Value>Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==</Value>
</UserDelegationKey>";

    #[test]
    fn parses_the_documented_response() {
        let key = parse_user_delegation_key(SAMPLE.as_bytes()).unwrap();
        assert_eq!(key.signed_oid, "6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10");
        assert_eq!(key.signed_tid, "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(key.signed_start, "2026-11-23T10:00:00Z");
        assert_eq!(key.signed_expiry, "2026-11-24T10:00:00Z");
        assert_eq!(key.signed_service, "b");
        assert_eq!(key.signed_version, "2023-11-03");
        assert!(key.value.expose().starts_with("Eby8"));
        assert!(!format!("{key:?}").contains("Eby8"), "Debug hides the key");
    }

    #[test]
    fn malformed_responses_never_quote_the_key() {
        let broken = SAMPLE.replace("<SignedTid>72f988bf-86f1-41af-91ab-2d7cd011db47</SignedTid>", "");
        let err = parse_user_delegation_key(broken.as_bytes()).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse);
        assert!(!format!("{err} {err:?}").contains("Eby8"), "{err}");
        let not_base64 = SAMPLE.replace("Eby8", "!!!!");
        assert!(parse_user_delegation_key(not_base64.as_bytes()).is_err());
    }
}
