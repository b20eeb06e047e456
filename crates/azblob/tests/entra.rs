//! The Entra ID flows against a local token server: request shapes, caching, refresh, errors, the chain.
//!
//! No test here reaches a Microsoft endpoint or 169.254.169.254: every flow
//! is pointed at the loopback server in `token_server`.

mod token_server;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use azblob::auth::entra::{
    AzureCliCredential, ClientCredential, ClientProof, CredentialOptions, DefaultAzureCredentialBuilder,
    ManagedIdentityCredential, AZURE_CLI, ENVIRONMENT, MANAGED_IDENTITY, WORKLOAD_IDENTITY,
};
use azblob::auth::TokenCredential;
use azblob::auth::STORAGE_SCOPE;
use azblob::transport::{HttpTransport, Method, Request, Response, RetryOptions, TransportError};
use azblob::{ClientBuilder, ErrorKind};
use futures_util::future::BoxFuture;
use token_server::{claims, Reply, TokenServer, CLIENT_ID, CLIENT_SECRET, IDENTITY_HEADER, TENANT};

fn client_secret(server: &TokenServer, secret: &str) -> ClientCredential {
    ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::secret(secret))
        .unwrap()
        .options(&no_retry())
}

/// Token requests not retried: a refusal is one request.
fn no_retry() -> CredentialOptions {
    CredentialOptions { retry: RetryOptions::none(), ..CredentialOptions::default() }
}

/// No retries, and a cache that refreshes a token inside the margin on every
/// call (no spacing between refreshes).
fn eager() -> CredentialOptions {
    CredentialOptions { min_refresh_interval: Duration::ZERO, ..no_retry() }
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir =
        azblob_testkit::scratch_dir().join(format!("entra-{name}-{}-{:?}", std::process::id(), SystemTime::now()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn client_secret_request_shape() {
    let server = TokenServer::start();
    let token = client_secret(&server, CLIENT_SECRET).get_token(&[STORAGE_SCOPE]).await.unwrap();
    assert!(claims(token.token.expose()).contains(r#""aud":"https://storage.azure.com""#));
    assert!(token.expires_on > SystemTime::now() + Duration::from_secs(3500));

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("POST", &*format!("/{TENANT}/oauth2/v2.0/token")));
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert_eq!(r.field("grant_type"), Some("client_credentials"));
    assert_eq!(r.field("client_id"), Some(CLIENT_ID));
    assert_eq!(r.field("scope"), Some("https://storage.azure.com/.default"));
    assert_eq!(r.field("client_secret"), Some(CLIENT_SECRET));
}

#[tokio::test]
async fn a_refused_secret_is_unauthenticated_and_never_echoed() {
    let server = TokenServer::start();
    let cred = client_secret(&server, "wrong-secret-value");
    let err = cred.get_token(&[STORAGE_SCOPE]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert_eq!(err.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(err.error_code(), Some("invalid_client"));
    assert_eq!(err.request_id(), Some("corr-42"));
    let text = format!("{err} {err:?} {cred:?}");
    assert!(text.contains("AADSTS7000215") && text.contains("client secret credential"), "{text}");
    assert!(!text.contains("wrong-secret-value"), "{text}");
}

#[tokio::test]
async fn token_endpoint_failures_have_typed_kinds() {
    let server = TokenServer::start();
    let cases = [
        (Reply::Error { status: 500, body: "{}".into() }, ErrorKind::ServerBusy),
        (Reply::Error { status: 429, body: "{}".into() }, ErrorKind::Throttled),
        (Reply::Error { status: 200, body: "not json".into() }, ErrorKind::InvalidResponse),
        (Reply::Error { status: 200, body: r#"{"token_type":"Bearer"}"#.into() }, ErrorKind::InvalidResponse),
    ];
    for (reply, kind) in cases {
        server.reply(reply.clone());
        let err = client_secret(&server, CLIENT_SECRET).get_token(&[STORAGE_SCOPE]).await.unwrap_err();
        assert_eq!(err.kind(), kind, "{reply:?}: {err}");
    }
    // Nothing listens: a transport error, no response.
    let port = azblob_testkit::free_port().unwrap();
    let authority = format!("http://127.0.0.1:{port}");
    let cred = ClientCredential::from_authority(&authority, TENANT, CLIENT_ID, ClientProof::secret("s"))
        .unwrap()
        .options(&no_retry());
    assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap_err().kind(), ErrorKind::Transport);
}

#[tokio::test]
async fn server_errors_are_retried() {
    let server = TokenServer::start();
    server.reply(Reply::Error { status: 503, body: "{}".into() });
    let retry = RetryOptions { max_retries: 2, initial_backoff: Duration::from_millis(1), ..RetryOptions::default() };
    let cred = ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::secret(CLIENT_SECRET))
        .unwrap()
        .options(&CredentialOptions { retry, ..CredentialOptions::default() });
    assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap_err().kind(), ErrorKind::ServerBusy);
    assert_eq!(server.count(), 3);
}

#[tokio::test]
async fn workload_identity_rereads_the_token_file() {
    let server = TokenServer::start();
    // Tokens inside the refresh margin and a cache without spacing: every call refreshes.
    server.reply(Reply::Token { lifetime_secs: 120 });
    let file = scratch("wi").join("token");
    std::fs::write(&file, "eyJhbGciOiJSUzI1NiJ9.first.sig\n").unwrap();
    let cred = ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::token_file(&file))
        .unwrap()
        .options(&eager());
    cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    std::fs::write(&file, "eyJhbGciOiJSUzI1NiJ9.second.sig").unwrap();
    cred.get_token(&[STORAGE_SCOPE]).await.unwrap();

    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[0].field("client_assertion"), Some("eyJhbGciOiJSUzI1NiJ9.first.sig"));
    assert_eq!(requests[1].field("client_assertion"), Some("eyJhbGciOiJSUzI1NiJ9.second.sig"));
    assert_eq!(
        requests[0].field("client_assertion_type"),
        Some("urn:ietf:params:oauth:client-assertion-type:jwt-bearer")
    );
    assert_eq!(requests[0].field("client_secret"), None);
    assert!(!format!("{cred:?}").contains("first.sig"));

    // The cached token outlives a missing file; a new credential has none.
    std::fs::remove_file(&file).unwrap();
    cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    let fresh =
        ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::token_file(&file)).unwrap();
    let err = fresh.get_token(&[STORAGE_SCOPE]).await.unwrap_err();
    assert!(err.to_string().contains("federated token file"), "{err}");
}

#[tokio::test]
async fn imds_request_shape() {
    let server = TokenServer::start();
    let cred = ManagedIdentityCredential::imds_at(&server.imds_endpoint()).unwrap().client_id("user-assigned-id");
    let token = cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    assert!(token.expires_on > SystemTime::now() + Duration::from_secs(3500));
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/metadata/identity/oauth2/token"));
    assert_eq!(r.header("metadata"), Some("true"));
    assert_eq!(r.query("api-version"), Some("2018-02-01"));
    assert_eq!(r.query("resource"), Some("https://storage.azure.com"));
    assert_eq!(r.query("client_id"), Some("user-assigned-id"));
}

#[tokio::test]
async fn imds_is_probed_without_retries_until_it_answers() {
    // Off Azure nothing answers: the probe fails at once instead of retrying,
    // so the default chain moves on quickly.
    let closed = format!("http://127.0.0.1:{}/metadata/identity/oauth2/token", azblob_testkit::free_port().unwrap());
    let probe = ManagedIdentityCredential::imds_at(&closed).unwrap();
    let started = std::time::Instant::now();
    let err = probe.get_token(&[STORAGE_SCOPE]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport, "{err}");
    // Three retries would sleep at least 1.4 s (200 + 400 + 800 ms).
    assert!(started.elapsed() < Duration::from_secs(1), "no retry backoff: {:?}", started.elapsed());

    // Once IMDS has answered, failures are retried as usual.
    let server = TokenServer::start();
    server.reply(Reply::Token { lifetime_secs: 240 });
    let retry = RetryOptions { max_retries: 2, initial_backoff: Duration::from_millis(1), ..RetryOptions::default() };
    let cred = ManagedIdentityCredential::imds_at(&server.imds_endpoint()).unwrap().options(&CredentialOptions {
        retry,
        min_refresh_interval: Duration::ZERO,
        ..CredentialOptions::default()
    });
    let first = cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    server.reply(Reply::Error { status: 503, body: "{}".into() });
    assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token, first.token, "kept while valid");
    assert_eq!(server.count(), 4, "one probe, then a refresh with two retries");
}

#[tokio::test]
async fn app_service_request_shape_and_refusal() {
    let server = TokenServer::start();
    let cred = ManagedIdentityCredential::app_service(&server.app_service_endpoint(), IDENTITY_HEADER).unwrap();
    cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    let r = &server.requests()[0];
    assert_eq!((r.method.as_str(), r.path.as_str()), ("GET", "/msi/token"));
    assert_eq!(r.header("x-identity-header"), Some(IDENTITY_HEADER));
    assert_eq!(r.query("api-version"), Some("2019-08-01"));
    assert_eq!(r.query("resource"), Some("https://storage.azure.com"));
    assert_eq!(r.query("client_id"), None);

    let wrong = ManagedIdentityCredential::app_service(&server.app_service_endpoint(), "wrong-header-value")
        .unwrap()
        .options(&no_retry());
    let err = wrong.get_token(&[STORAGE_SCOPE]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert!(err.to_string().contains("Unauthorized request"), "{err}");
    assert!(!format!("{err} {err:?} {wrong:?}").contains("wrong-header-value"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_callers_cause_one_token_request() {
    let server = TokenServer::start();
    server.delay(Duration::from_millis(300));
    let cred = Arc::new(client_secret(&server, CLIENT_SECRET));
    let tasks: Vec<_> = (0..24)
        .map(|_| {
            let cred = Arc::clone(&cred);
            tokio::spawn(async move { cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose().to_owned() })
        })
        .collect();
    let mut tokens = Vec::new();
    for task in tasks {
        tokens.push(task.await.unwrap());
    }
    assert_eq!(server.count(), 1, "one token request for 24 callers");
    assert!(tokens.iter().all(|t| t == &tokens[0]));
}

#[tokio::test]
async fn tokens_are_refreshed_before_they_expire() {
    let server = TokenServer::start();
    server.reply(Reply::Token { lifetime_secs: 4 });
    let cred = client_secret(&server, CLIENT_SECRET).options(&CredentialOptions {
        refresh_margin: Duration::from_secs(2),
        min_refresh_interval: Duration::from_secs(1),
        ..no_retry()
    });
    let first = cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token, first.token, "cached");
    assert_eq!(server.count(), 1);
    // Wait until the token is inside the margin but not expired.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(first.expires_on > SystemTime::now(), "the old token is still valid");
    let second = cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    assert_ne!(second.token, first.token, "refreshed ahead of expiry");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn refreshes_of_a_valid_token_are_spaced() {
    let server = TokenServer::start();
    server.reply(Reply::Token { lifetime_secs: 240 });
    let cred = client_secret(&server, CLIENT_SECRET);
    for _ in 0..5 {
        cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    }
    assert_eq!(server.count(), 1, "a short-lived token does not cost a request per call");
}

#[tokio::test]
async fn a_failed_refresh_keeps_a_valid_token() {
    let server = TokenServer::start();
    // Valid for 4 minutes: inside the default 5-minute margin, so each call wants a refresh.
    server.reply(Reply::Token { lifetime_secs: 240 });
    let cred = client_secret(&server, CLIENT_SECRET).options(&eager());
    let first = cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    server.reply(Reply::Error { status: 503, body: "{}".into() });
    let again = cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
    assert_eq!(again.token, first.token);
    assert_eq!(server.count(), 2, "the refresh was attempted");

    // An expired token is not kept.
    server.reply(Reply::Token { lifetime_secs: 0 });
    let fresh = client_secret(&server, CLIENT_SECRET);
    fresh.get_token(&[STORAGE_SCOPE]).await.unwrap();
    server.reply(Reply::Error { status: 503, body: "{}".into() });
    assert_eq!(fresh.get_token(&[STORAGE_SCOPE]).await.unwrap_err().kind(), ErrorKind::ServerBusy);
}

/// A fake `az` that prints `output` (and exits with `code`) after `sleep` seconds.
fn fake_az(name: &str, output: &str, code: i32, sleep: f32) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = scratch(name).join("az");
    let script =
        format!("#!/bin/sh\nsleep {sleep}\necho '{output}' >&{}\nexit {code}\n", if code == 0 { 1 } else { 2 });
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test]
async fn azure_cli_output_timeout_and_failure() {
    let expires = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() + 3600;
    let ok = fake_az(
        "az-ok",
        &format!(r#"{{"accessToken":"cli-token-value","expiresOn":"x","expires_on":{expires},"tokenType":"Bearer"}}"#),
        0,
        0.0,
    );
    let token = AzureCliCredential::new().program(&ok).get_token(&[STORAGE_SCOPE]).await.unwrap();
    assert_eq!(token.token.expose(), "cli-token-value");

    let slow = fake_az("az-slow", "{}", 0, 5.0);
    let started = std::time::Instant::now();
    let err = AzureCliCredential::new()
        .program(&slow)
        .timeout(Duration::from_millis(300))
        .get_token(&[STORAGE_SCOPE])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Timeout, "{err}");
    assert!(started.elapsed() < Duration::from_secs(3));

    let logged_out = fake_az("az-out", "ERROR: Please run az login to setup account.", 1, 0.0);
    let err = AzureCliCredential::new().program(&logged_out).get_token(&[STORAGE_SCOPE]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    assert!(err.to_string().contains("az login"), "{err}");
}

fn vars(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn the_chain_reports_every_link() {
    let server = TokenServer::start();
    server.reply(Reply::Error {
        status: 400,
        body: r#"{"error":"invalid_request","error_description":"Identity not found"}"#.into(),
    });
    let chain = DefaultAzureCredentialBuilder::new()
        .vars(vars(vec![
            ("AZURE_TENANT_ID", TENANT.into()),
            ("AZURE_CLIENT_ID", CLIENT_ID.into()),
            ("AZURE_CLIENT_SECRET", "wrong-secret-value".into()),
            ("AZURE_AUTHORITY_HOST", server.url()),
            ("AZURE_POD_IDENTITY_AUTHORITY_HOST", server.url()),
        ]))
        .azure_cli(AzureCliCredential::new().program(fake_az("az-chain", "ERROR: Please run az login", 1, 0.0)))
        .build();
    let err = chain.get_token(&[STORAGE_SCOPE]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    let text = err.to_string();
    for part in [
        &format!("{ENVIRONMENT}: "),
        "AADSTS7000215",
        &format!("{WORKLOAD_IDENTITY}: "),
        "AZURE_FEDERATED_TOKEN_FILE",
        &format!("{MANAGED_IDENTITY}: "),
        "Identity not found",
        &format!("{AZURE_CLI}: "),
        "az login",
    ] {
        assert!(text.contains(part), "{part:?} missing from {text}");
    }
    assert!(!text.contains("wrong-secret-value"));
}

#[tokio::test]
async fn the_chain_applies_its_options_to_every_link_it_builds() {
    let server = TokenServer::start();
    server.reply(Reply::Error { status: 503, body: "{}".into() });
    let retry = RetryOptions { max_retries: 1, initial_backoff: Duration::from_millis(1), ..RetryOptions::default() };
    let chain = DefaultAzureCredentialBuilder::new()
        .vars(vars(vec![
            ("AZURE_TENANT_ID", TENANT.into()),
            ("AZURE_CLIENT_ID", CLIENT_ID.into()),
            ("AZURE_CLIENT_SECRET", CLIENT_SECRET.into()),
            ("AZURE_AUTHORITY_HOST", server.url()),
            ("IDENTITY_ENDPOINT", server.app_service_endpoint()),
            ("IDENTITY_HEADER", IDENTITY_HEADER.into()),
        ]))
        .options(&CredentialOptions { retry, ..CredentialOptions::default() })
        .exclude_azure_cli()
        .build();
    chain.get_token(&[STORAGE_SCOPE]).await.unwrap_err();
    // Two links (client secret, App Service), each one request and one retry;
    // the default policy would have sent four requests per link.
    assert_eq!(server.count(), 4);
}

#[tokio::test]
async fn the_chain_uses_the_first_working_link_from_then_on() {
    let server = TokenServer::start();
    server.reply(Reply::Token { lifetime_secs: 3600 });
    let chain = DefaultAzureCredentialBuilder::new()
        .vars(vars(vec![
            ("IDENTITY_ENDPOINT", server.app_service_endpoint()),
            ("IDENTITY_HEADER", IDENTITY_HEADER.into()),
        ]))
        .exclude_azure_cli()
        .build();
    chain.get_token(&[STORAGE_SCOPE]).await.unwrap();
    chain.get_token(&[STORAGE_SCOPE]).await.unwrap();
    let requests = server.requests();
    assert_eq!(requests.len(), 1, "cached by the managed identity link");
    assert_eq!(requests[0].path, "/msi/token");
}

/// A wire that answers 201 to everything and remembers the Authorization headers it saw.
#[derive(Default)]
struct Recording {
    sent: AtomicUsize,
    authorization: Mutex<Vec<String>>,
}

impl std::fmt::Debug for Recording {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recording").field("sent", &self.sent).finish_non_exhaustive()
    }
}

impl HttpTransport for Recording {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        self.sent.fetch_add(1, Ordering::SeqCst);
        if let Some(v) = request.header("authorization") {
            self.authorization.lock().unwrap().push(v.to_owned());
        }
        let mut headers = http::HeaderMap::new();
        headers.insert("etag", "\"0x1\"".parse().unwrap());
        headers.insert("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT".parse().unwrap());
        Box::pin(async move { Ok(Response::new(http::StatusCode::CREATED, headers, "")) })
    }
}

/// The client secret flow on a wire of its own: a client's wire offered later
/// is not adopted, so a scripted client wire sees the blob requests only.
fn client_secret_on_own_wire(server: &TokenServer, secret: &str) -> ClientCredential {
    let own = azblob::transport::ReqwestTransport::from_env().unwrap();
    client_secret(server, secret).options(&CredentialOptions { transport: Some(Arc::new(own)), ..no_retry() })
}

#[tokio::test]
async fn blob_requests_carry_the_token_and_credential_errors_stay_typed() {
    let server = TokenServer::start();
    let wire = Arc::new(Recording::default());
    let client = ClientBuilder::new()
        .endpoint("https://myaccount.blob.core.windows.net")
        .token_credential(Arc::new(client_secret_on_own_wire(&server, CLIENT_SECRET)))
        .transport(Arc::clone(&wire) as Arc<dyn HttpTransport>)
        .build()
        .unwrap();
    client.blob("c1c", "b").put("x").await.unwrap();
    client.blob("c1c", "b").put("y").await.unwrap();
    let seen = wire.authorization.lock().unwrap().clone();
    assert_eq!(seen.len(), 2);
    assert!(seen[0].starts_with("Bearer eyJ"), "{}", seen[0]);
    assert_eq!(server.count(), 1, "one token for both requests");

    let refused = ClientBuilder::new()
        .endpoint("https://myaccount.blob.core.windows.net")
        .token_credential(Arc::new(client_secret_on_own_wire(&server, "wrong-secret-value")))
        .transport(Arc::clone(&wire) as Arc<dyn HttpTransport>)
        .build()
        .unwrap();
    let err = refused.blob("c1c", "b").put("x").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert_eq!(err.operation(), Some("PutBlob"));
    assert_eq!(err.error_code(), Some("invalid_client"));
    assert_eq!(wire.sent.load(Ordering::SeqCst), 2, "nothing sent without a token");

    // A raw request aimed at a plain-HTTP remote host never gets the token.
    let url = "http://example.com/myaccount/c/b".parse().unwrap();
    let err = client.send_raw(Request::new("Probe", Method::GET, url)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(wire.sent.load(Ordering::SeqCst), 2);
}
