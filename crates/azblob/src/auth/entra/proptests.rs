//! Property tests of the token parsers: IMDS, App Service and identity
//! platform answers, OAuth error bodies, `az` output and endpoint URLs.

use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;

use super::azure_cli::parse_output;
use super::http::parse_endpoint;
use super::token_response::{parse_error_body, parse_token_response};
use crate::proptests::{cases, mutated, mutated_text, number_text};

const IMDS: &[u8] = br#"{"access_token":"eyJ0eXAi.abc.def","refresh_token":"","expires_in":"3599","expires_on":"1795431600","not_before":"1795428000","resource":"https://storage.azure.com/","token_type":"Bearer"}"#;
const OAUTH_ERROR: &[u8] = br#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: 1","error_codes":[7000215],"correlation_id":"corr-1"}"#;
const AZ_OUTPUT: &[u8] =
    br#"{"accessToken":"eyJ0eXAi.cli.token","expiresOn":"2026-11-23 11:00:00.000000","expires_on":1795431600}"#;

/// A token answer whose expiry fields hold numbers, number strings or anything.
fn token_json() -> impl Strategy<Value = Vec<u8>> {
    let field = prop_oneof![
        number_text().prop_map(|n| format!("{n:?}")),
        number_text(),
        Just("1e20".to_owned()),
        Just("-5.5".to_owned()),
        Just("null".to_owned()),
        Just("[]".to_owned()),
    ];
    (field.clone(), field, any::<bool>()).prop_map(|(on, within, both)| {
        let json = if both {
            format!(r#"{{"access_token":"t","expires_on":{on},"expires_in":{within}}}"#)
        } else {
            format!(r#"{{"access_token":"t","expires_in":{within}}}"#)
        };
        json.into_bytes()
    })
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn token_responses_never_panic(
        body in prop_oneof![token_json(), mutated(IMDS), proptest::collection::vec(any::<u8>(), 0..100)],
        now in any::<u64>(),
    ) {
        let now = UNIX_EPOCH.checked_add(Duration::from_secs(now)).unwrap_or(UNIX_EPOCH);
        let _ = parse_token_response(&body, now);
    }

    #[test]
    fn error_bodies_and_az_output_never_panic(
        error in prop_oneof![mutated(OAUTH_ERROR), proptest::collection::vec(any::<u8>(), 0..100)],
        az in prop_oneof![mutated(AZ_OUTPUT), token_json()],
    ) {
        let _ = parse_error_body(&error);
        let _ = parse_output(&az);
    }

    #[test]
    fn endpoints_never_panic(text in prop_oneof![
        mutated_text("https://login.microsoftonline.com/"),
        mutated_text("http://169.254.169.254/metadata/identity/oauth2/token"),
        ".{0,40}",
    ]) {
        let _ = parse_endpoint(&text, "the authority host");
    }
}
