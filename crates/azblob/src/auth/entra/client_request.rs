//! The request of the OAuth 2.0 client credentials grant, for either proof of `ClientCredential`.
//!
//! <https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow#get-a-token>

use http::{HeaderValue, Method};
use url::Url;

use super::http::{check_endpoint, parse_endpoint};
use crate::error::{Error, Result};
use crate::headers;
use crate::redact::Secret;
use crate::wire::Request;

/// The public cloud's authority host, used when `AZURE_AUTHORITY_HOST` is unset.
pub const DEFAULT_AUTHORITY_HOST: &str = "https://login.microsoftonline.com";

/// The `client_assertion_type` of a federated (JWT) client assertion.
const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How the application proves its identity to the token endpoint.
pub(crate) enum GrantProof<'a> {
    /// A client secret from the app registration.
    Secret(&'a Secret),
    /// A signed JWT from another identity provider (Kubernetes service account token).
    Assertion(&'a Secret),
}

/// The tenant's token endpoint, `{authority}/{tenant}/oauth2/v2.0/token`, after checking both parts.
pub(crate) fn token_endpoint(authority: &str, tenant: &str) -> Result<Url> {
    // A tenant is a GUID or a domain name; anything else could rewrite the path.
    let valid_tenant = !tenant.is_empty() && tenant.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !valid_tenant || tenant.starts_with('.') {
        return Err(Error::invalid_input(format!("invalid tenant id {tenant:?}: expected a GUID or a domain name")));
    }
    let mut url = parse_endpoint(authority, "the authority host")?;
    check_endpoint(&url, "the authority host", false)?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid_input("the authority host must not have a query or fragment"));
    }
    let base = url.path().trim_end_matches('/').to_owned();
    url.set_path(&format!("{base}/{tenant}/oauth2/v2.0/token"));
    Ok(url)
}

/// Builds the form POST of the client credentials grant for `scopes`.
///
/// The body carries the secret or assertion; `Request`'s `Debug` never shows bodies.
pub(crate) fn build_request(endpoint: &Url, client_id: &str, proof: GrantProof<'_>, scopes: &[&str]) -> Request {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("client_id", client_id);
    form.append_pair("grant_type", "client_credentials");
    form.append_pair("scope", &scopes.join(" "));
    match proof {
        GrantProof::Secret(secret) => {
            form.append_pair("client_secret", secret.expose());
        }
        GrantProof::Assertion(assertion) => {
            form.append_pair("client_assertion_type", JWT_BEARER);
            form.append_pair("client_assertion", assertion.expose().trim());
        }
    }
    let mut request = Request::new("GetToken", Method::POST, endpoint.clone());
    request.headers.insert(headers::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded"));
    request.headers.insert(http::header::ACCEPT, HeaderValue::from_static("application/json"));
    request.body = form.finish().into_bytes().into();
    // Asking for a token twice has no effect beyond the second token.
    request.idempotent = true;
    request
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::STORAGE_SCOPE;

    fn form(request: &Request) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&request.body).into_owned().collect()
    }

    #[test]
    fn endpoint_from_authority_and_tenant() {
        let url = token_endpoint(DEFAULT_AUTHORITY_HOST, "72f988bf-86f1-41af-91ab-2d7cd011db47").unwrap();
        assert_eq!(
            url.as_str(),
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/oauth2/v2.0/token"
        );
        let url = token_endpoint("http://127.0.0.1:8080/", "contoso.onmicrosoft.com").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8080/contoso.onmicrosoft.com/oauth2/v2.0/token");
        for tenant in ["", "../x", "a/b", "a?b", ".."] {
            assert!(token_endpoint(DEFAULT_AUTHORITY_HOST, tenant).is_err(), "{tenant}");
        }
        let err = token_endpoint("http://login.example.com", "t").unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn secret_request_shape() {
        let endpoint = token_endpoint(DEFAULT_AUTHORITY_HOST, "tenant").unwrap();
        let secret = Secret::new("s3cr3t~value");
        let r = build_request(&endpoint, "app-id", GrantProof::Secret(&secret), &[STORAGE_SCOPE]);
        assert_eq!(r.method, Method::POST);
        assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
        let fields = form(&r);
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("client_id"), Some("app-id"));
        assert_eq!(get("grant_type"), Some("client_credentials"));
        assert_eq!(get("scope"), Some("https://storage.azure.com/.default"));
        assert_eq!(get("client_secret"), Some("s3cr3t~value"));
        assert_eq!(get("client_assertion"), None);
        assert!(!format!("{r:?}").contains("s3cr3t"), "Debug never shows the body");
    }

    #[test]
    fn assertion_request_shape() {
        let endpoint = token_endpoint(DEFAULT_AUTHORITY_HOST, "tenant").unwrap();
        let assertion = Secret::new("eyJhbGciOiJSUzI1NiJ9.payload.sig\n");
        let r = build_request(&endpoint, "app-id", GrantProof::Assertion(&assertion), &[STORAGE_SCOPE]);
        let fields = form(&r);
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("client_assertion_type"), Some(JWT_BEARER));
        assert_eq!(get("client_assertion"), Some("eyJhbGciOiJSUzI1NiJ9.payload.sig"), "trimmed");
        assert_eq!(get("client_secret"), None);
    }
}
