//! Parsing of the JSON that token endpoints answer: tokens and OAuth errors.
//!
//! Three shapes reach this file:
//! - Microsoft identity platform, client credentials:
//!   `{"token_type":"Bearer","expires_in":3599,"access_token":"..."}`
//!   (<https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#successful-response-1>);
//! - managed identity (IMDS and App Service), where numbers are often strings:
//!   `{"access_token":"...","expires_in":"86399","expires_on":"1795431600",...}`
//!   (<https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token#get-a-token-using-http>);
//! - errors: `{"error":"invalid_client","error_description":"AADSTS7000215: ..."}`
//!   (<https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#error-response-1>).
//!
//! Bodies are never echoed into errors: a success body holds the token.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Deserialize;
use serde_json::Value;

use crate::auth::AccessToken;
use crate::error::{Error, Result};
use crate::redact::Secret;

/// Parses a successful token response; `now` anchors a relative `expires_in`.
pub(crate) fn parse_token_response(body: &[u8], now: SystemTime) -> Result<AccessToken> {
    #[derive(Deserialize)]
    struct Body {
        access_token: Option<String>,
        expires_in: Option<Value>,
        expires_on: Option<Value>,
    }
    let parsed: Body =
        serde_json::from_slice(body).map_err(|_| Error::invalid_response("the token response is not valid JSON"))?;
    let token = parsed
        .access_token
        .filter(|t| !t.is_empty())
        .ok_or_else(|| Error::invalid_response("the token response has no access_token"))?;
    // An absolute expiry wins: it does not depend on how long the answer travelled.
    let expires_on = match (parsed.expires_on.as_ref().and_then(number), parsed.expires_in.as_ref().and_then(number)) {
        (Some(at), _) => expiry_at(at)?,
        (None, Some(secs)) => now.checked_add(Duration::from_secs(secs)).ok_or_else(out_of_range)?,
        (None, None) => {
            return Err(Error::invalid_response("the token response has neither expires_in nor expires_on"))
        }
    };
    Ok(AccessToken { token: Secret::new(token), expires_on })
}

/// The instant `secs` seconds after the Unix epoch, as a token's `expires_on`.
///
/// The number comes from an identity provider or the `az` command, so one too
/// large for the platform's clock is an invalid answer, not a panic.
pub(crate) fn expiry_at(secs: u64) -> Result<SystemTime> {
    UNIX_EPOCH.checked_add(Duration::from_secs(secs)).ok_or_else(out_of_range)
}

fn out_of_range() -> Error {
    Error::invalid_response("the token's expiry is out of range")
}

/// A number of seconds given as a JSON number or a decimal string.
pub(crate) fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64().or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// The useful part of an OAuth or managed-identity error body.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct OAuthError {
    /// The OAuth error code, e.g. `invalid_client`.
    pub(crate) code: Option<String>,
    /// The first line of the description, e.g. `AADSTS7000215: Invalid client secret provided.`
    pub(crate) description: Option<String>,
    /// The correlation id Microsoft support asks for.
    pub(crate) correlation_id: Option<String>,
}

/// Longest description kept; identity platform descriptions carry trace ids and timestamps after it.
const MAX_DESCRIPTION: usize = 300;

/// Parses an error body of any of the known shapes; an unknown body gives an empty `OAuthError`.
pub(crate) fn parse_error_body(body: &[u8]) -> OAuthError {
    #[derive(Deserialize)]
    struct Body {
        error: Option<Value>,
        error_description: Option<String>,
        // App Service answers `{"statusCode":400,"message":"..."}`.
        message: Option<String>,
        #[serde(rename = "Message")]
        message_upper: Option<String>,
        correlation_id: Option<String>,
    }
    let Ok(parsed) = serde_json::from_slice::<Body>(body) else {
        return OAuthError::default();
    };
    // Some managed identity hosts nest the error: {"error":{"code":"..","message":".."}}.
    let (code, nested_message) = match parsed.error {
        Some(Value::String(code)) => (Some(code), None),
        Some(Value::Object(map)) => (
            map.get("code").and_then(Value::as_str).map(str::to_owned),
            map.get("message").and_then(Value::as_str).map(str::to_owned),
        ),
        _ => (None, None),
    };
    let description =
        parsed.error_description.or(nested_message).or(parsed.message).or(parsed.message_upper).map(|d| first_line(&d));
    OAuthError { code, description, correlation_id: parsed.correlation_id }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("").trim();
    match line.char_indices().nth(MAX_DESCRIPTION) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_795_428_000;

    fn now() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(NOW)
    }

    #[test]
    fn client_credentials_response() {
        let body =
            br#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAi.abc.def"}"#;
        let token = parse_token_response(body, now()).unwrap();
        assert_eq!(token.token.expose(), "eyJ0eXAi.abc.def");
        assert_eq!(token.expires_on, now() + Duration::from_secs(3599));
    }

    #[test]
    fn managed_identity_response_with_strings() {
        // The documented IMDS sample, with its numbers as strings.
        let body = br#"{"access_token":"eyJ0eXAi...","refresh_token":"","expires_in":"3599","expires_on":"1795431600",
            "not_before":"1795428000","resource":"https://storage.azure.com/","token_type":"Bearer"}"#;
        let token = parse_token_response(body, now()).unwrap();
        assert_eq!(token.expires_on, UNIX_EPOCH + Duration::from_secs(1_795_431_600));
        // App Service 2019-08-01 sends expires_on as a number.
        let body = br#"{"access_token":"t","expires_on":1795431600,"resource":"https://storage.azure.com","token_type":"Bearer","client_id":"c"}"#;
        assert_eq!(
            parse_token_response(body, now()).unwrap().expires_on,
            UNIX_EPOCH + Duration::from_secs(1_795_431_600)
        );
    }

    #[test]
    fn malformed_responses_are_invalid_response_without_the_body() {
        for body in [&b"not json access_token=secret"[..], br#"{"expires_in":10}"#, br#"{"access_token":"secret"}"#] {
            let err = parse_token_response(body, now()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse);
            assert!(!format!("{err} {err:?}").contains("secret"), "{err}");
        }
    }

    #[test]
    fn huge_expiries_are_invalid_responses_not_panics() {
        for body in [
            &br#"{"access_token":"t","expires_on":"18446744073709551615"}"#[..],
            br#"{"access_token":"t","expires_on":1e20}"#,
            br#"{"access_token":"t","expires_in":"18446744073709551615"}"#,
            br#"{"access_token":"t","expires_in":1e20}"#,
        ] {
            let err = parse_token_response(body, now()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse, "{err}");
        }
    }

    #[test]
    fn error_bodies() {
        let body = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1\r\nCorrelation ID: 2","error_codes":[7000215],"correlation_id":"corr-1"}"#;
        let err = parse_error_body(body);
        assert_eq!(err.code.as_deref(), Some("invalid_client"));
        assert_eq!(err.description.as_deref(), Some("AADSTS7000215: Invalid client secret provided."));
        assert_eq!(err.correlation_id.as_deref(), Some("corr-1"));

        let app_service =
            parse_error_body(br#"{"statusCode":400,"message":"Unable to load the proper Managed Identity."}"#);
        assert_eq!(app_service.description.as_deref(), Some("Unable to load the proper Managed Identity."));
        let nested = parse_error_body(br#"{"error":{"code":"identity_not_found","message":"No identity"}}"#);
        assert_eq!(nested.code.as_deref(), Some("identity_not_found"));
        assert_eq!(parse_error_body(b"<html>"), OAuthError::default());
    }
}
