//! The proxy variables of the real process environment, read by default.
//!
//! This binary changes its own environment, so it holds one test: no other
//! test of the process can build a client while the variables change.

mod support;
mod token_server;

use std::sync::Arc;

use azblob::auth::entra::{ClientCredential, ClientProof, CredentialOptions};
use azblob::auth::{TokenCredential, STORAGE_SCOPE};
use azblob::transport::RetryOptions;
use azblob_testkit::ForwardProxy;
use support::{endpoints, new_container};
use token_server::{TokenServer, CLIENT_ID, CLIENT_SECRET, TENANT};

const VARS: [&str; 8] =
    ["HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"];

#[tokio::test]
async fn the_environment_names_the_proxy_and_no_proxy_bypasses_it() {
    for name in VARS {
        std::env::remove_var(name);
    }
    let proxy = ForwardProxy::start().unwrap();
    std::env::set_var("http_proxy", proxy.url());

    let client = support::builder().build().unwrap();
    let container = new_container(&client, "proxyenv").await;
    container.blob("b").put("x").await.unwrap();
    let through = proxy.seen().len();
    assert!(through >= 2, "create and put went through the proxy: {:?}", proxy.seen());
    assert!(proxy.seen().iter().all(|s| s.target.starts_with(&endpoints().http)));

    // A token flow used on its own (no client) reads the environment too.
    let server = TokenServer::start();
    let secret = ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::secret(CLIENT_SECRET))
        .unwrap()
        .options(&CredentialOptions { retry: RetryOptions::none(), ..CredentialOptions::default() });
    secret.get_token(&[STORAGE_SCOPE]).await.unwrap();
    assert_eq!(proxy.seen().len(), through + 1, "the token request went through the proxy");

    std::env::set_var("NO_PROXY", "127.0.0.1");
    let client = support::builder().build().unwrap();
    client.container(container.name()).blob("b").put("y").await.unwrap();
    assert_eq!(proxy.seen().len(), through + 1, "NO_PROXY bypassed the proxy");

    std::env::set_var("HTTP_PROXY", "socks5://user:hunter2@127.0.0.1:1");
    std::env::remove_var("http_proxy");
    let err = support::builder().build().unwrap_err();
    assert_eq!(err.kind(), azblob::ErrorKind::InvalidInput);
    assert!(err.to_string().contains("HTTP_PROXY") && !err.to_string().contains("hunter2"), "{err}");

    // The bad variable fails neither a client that chooses explicitly nor the
    // token flow it was given, which takes the client's wire.
    let credential = || {
        ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::secret(CLIENT_SECRET))
            .unwrap()
            .options(&CredentialOptions { retry: RetryOptions::none(), ..CredentialOptions::default() })
    };
    let alone = credential().get_token(&[STORAGE_SCOPE]).await.unwrap_err();
    assert_eq!(alone.kind(), azblob::ErrorKind::InvalidInput, "a flow on its own reads the environment: {alone}");
    assert!(!alone.to_string().contains("hunter2"), "{alone}");
    let given = Arc::new(credential());
    let _client = support::builder().token_credential(Arc::clone(&given) as _).no_proxy().build().unwrap();
    given.get_token(&[STORAGE_SCOPE]).await.unwrap();
    for name in VARS {
        std::env::remove_var(name);
    }
}
