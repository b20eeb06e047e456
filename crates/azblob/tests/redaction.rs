//! Secrets (client secrets, tokens) never reach logs, errors or `Debug` output.
//!
//! This file holds one test so that it runs in its own process: `tracing`
//! caches per call site whether anyone listens, and a thread-local
//! subscriber racing with other tests' threads can miss events.

#[path = "support/logs.rs"]
mod logs;
mod token_server;

use std::sync::Arc;

use azblob::auth::entra::{ClientCredential, ClientProof, CredentialOptions};
use azblob::auth::{TokenCredential, STORAGE_SCOPE};
use azblob::transport::{HttpTransport, Request, Response, RetryOptions, TransportError};
use azblob::ClientBuilder;
use futures_util::future::BoxFuture;
use logs::LogBuffer;
use std::time::Duration;
use token_server::{Reply, TokenServer, CLIENT_ID, CLIENT_SECRET, TENANT};

/// The password of the proxies the test goes through.
const PROXY_PASSWORD: &str = "proxy-password-value";

fn client_secret(server: &TokenServer, secret: &str) -> ClientCredential {
    ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::secret(secret))
        .unwrap()
        .options(&CredentialOptions { retry: RetryOptions::none(), ..CredentialOptions::default() })
}

/// A cache that refreshes a token inside the margin on every call.
fn eager_cache() -> CredentialOptions {
    CredentialOptions {
        retry: RetryOptions::none(),
        min_refresh_interval: Duration::ZERO,
        ..CredentialOptions::default()
    }
}

/// A wire that answers 201 to everything.
#[derive(Debug)]
struct Created;

impl HttpTransport for Created {
    fn send(&self, _request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let mut headers = http::HeaderMap::new();
        headers.insert("etag", "\"0x1\"".parse().unwrap());
        headers.insert("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT".parse().unwrap());
        Box::pin(async move { Ok(Response::new(http::StatusCode::CREATED, headers, "")) })
    }
}

#[test]
fn secrets_never_reach_logs_errors_or_debug() {
    let logs = LogBuffer::default();
    let _guard = tracing::subscriber::set_default(logs.subscriber());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let server = TokenServer::start();
    let mut shown = String::new();
    let mut token_text = String::new();
    runtime.block_on(async {
        let wire = Arc::new(Created);
        let cred = Arc::new(client_secret(&server, CLIENT_SECRET));
        let token = cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
        let client = ClientBuilder::new()
            .endpoint("https://myaccount.blob.core.windows.net")
            .token_credential(Arc::clone(&cred) as Arc<dyn TokenCredential>)
            .transport(wire as Arc<dyn HttpTransport>)
            .build()
            .unwrap();
        client.blob("c1c", "b").put("x").await.unwrap();
        // A refresh that fails while the old token is valid is logged as a warning.
        server.reply(Reply::Error { status: 503, body: "{}".into() });
        let short = client_secret(&server, CLIENT_SECRET).options(&eager_cache());
        server.reply(Reply::Token { lifetime_secs: 240 });
        short.get_token(&[STORAGE_SCOPE]).await.unwrap();
        server.reply(Reply::Error { status: 503, body: "{}".into() });
        short.get_token(&[STORAGE_SCOPE]).await.unwrap();
        let err = client_secret(&server, "another-secret-value").get_token(&[STORAGE_SCOPE]).await.unwrap_err();
        shown = format!("{cred:?} {client:?} {token:?} {err} {err:?}");

        // A proxy's password: through a working proxy, and through one that refuses connections.
        let proxy = azblob_testkit::ForwardProxy::start().unwrap();
        let dead_port = azblob_testkit::free_port().unwrap();
        for port in [proxy.port(), dead_port] {
            let via_proxy = Arc::new(client_secret(&server, CLIENT_SECRET));
            let builder = ClientBuilder::new()
                .account("myaccount")
                .token_credential(Arc::clone(&via_proxy) as Arc<dyn TokenCredential>)
                .proxy(&format!("http://proxy-user:{PROXY_PASSWORD}@127.0.0.1:{port}"))
                .unwrap();
            shown.push_str(&format!(" {builder:?}"));
            let client = builder.build().unwrap();
            match via_proxy.get_token(&[STORAGE_SCOPE]).await {
                Ok(_) => assert_eq!(port, proxy.port()),
                Err(err) => shown.push_str(&format!(" {err} {err:?} {client:?}")),
            }
        }
        assert_eq!(proxy.seen().len(), 1, "the token request went through the working proxy");
        assert!(shown.contains("could not reach the token endpoint"), "the dead proxy failed: {shown}");
        token_text = token.token.expose().to_owned();
    });
    let logs = logs.text();
    assert!(logs.contains("requesting a token"), "the test saw the logs: {logs}");
    assert!(logs.contains("token refresh failed"), "{logs}");
    for secret in [CLIENT_SECRET, "another-secret-value", token_text.as_str(), PROXY_PASSWORD] {
        assert!(!logs.contains(secret), "{secret} in logs: {logs}");
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
}
