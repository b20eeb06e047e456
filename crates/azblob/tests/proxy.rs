//! Proxies: data and token requests through the test kit's forward proxy, to
//! Azurite over HTTP and HTTPS and to the local token server; `NO_PROXY`;
//! credentials kept off proxies that would read them.
//!
//! Every client here gets its proxy settings from the builder
//! (`proxy`, `proxy_from_vars`), never from the process environment, so the
//! tests run in parallel; `proxy_env.rs` reads the real environment alone.

mod support;
mod token_server;

use std::sync::{Arc, Mutex};

use azblob::auth::entra::{ClientCredential, ClientProof, CredentialOptions, ManagedIdentityCredential};
use azblob::transport::{HttpTransport, Request, ReqwestTransport, Response, RetryOptions, TransportError};
use azblob::{BlobServiceClient, ClientBuilder, ErrorKind, DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use azblob_testkit::{ForwardProxy, Seen};
use base64::Engine;
use futures_util::future::BoxFuture;
use support::{endpoints, new_container};
use token_server::{TokenServer, CLIENT_ID, CLIENT_SECRET, TENANT};

/// Puts a blob, reads it back and checks the bytes: a full exchange of each kind.
async fn round_trip(client: &BlobServiceClient) {
    let container = new_container(client, "proxy").await;
    let blob = container.blob("through-the-proxy");
    blob.put("sent via the proxy").await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"sent via the proxy");
}

fn https_builder() -> ClientBuilder {
    ClientBuilder::new()
        .endpoint(&endpoints().https)
        .root_certificate_pem(endpoints().ca_pem.clone())
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
}

/// `host:port` of an endpoint URL.
fn authority(endpoint: &str) -> String {
    let url = url::Url::parse(endpoint).unwrap();
    format!("{}:{}", url.host_str().unwrap(), url.port().unwrap())
}

fn vars(pairs: Vec<(&'static str, String)>) -> impl Fn(&str) -> Option<String> {
    move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.clone())
}

#[tokio::test]
async fn plain_http_requests_are_forwarded_by_the_proxy() {
    let proxy = ForwardProxy::start().unwrap();
    let with_password = format!("http://proxy-user:proxy-secret@127.0.0.1:{}", proxy.port());
    let client = support::builder().proxy(&with_password).unwrap().build().unwrap();
    round_trip(&client).await;
    let seen = proxy.seen();
    assert!(seen.len() >= 3, "create, put and get went through: {seen:?}");
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("proxy-user:proxy-secret"));
    for s in &seen {
        assert_ne!(s.method, "CONNECT", "{s:?}");
        assert!(s.target.starts_with(&endpoints().http), "absolute form to Azurite: {s:?}");
        assert_eq!(s.proxy_authorization.as_deref(), Some(basic.as_str()), "{s:?}");
    }
}

#[tokio::test]
async fn https_requests_tunnel_through_the_proxy_with_its_credentials() {
    let proxy = ForwardProxy::start().unwrap();
    let with_password = format!("http://proxy-user:proxy-pa%24%24@127.0.0.1:{}", proxy.port());
    let client = https_builder().proxy(&with_password).unwrap().build().unwrap();
    round_trip(&client).await;
    let seen = proxy.seen();
    assert!(!seen.is_empty());
    let basic = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode("proxy-user:proxy-pa$$"));
    for s in &seen {
        assert_eq!(s.method, "CONNECT", "{s:?}");
        assert_eq!(s.target, authority(&endpoints().https));
        assert_eq!(s.proxy_authorization.as_deref(), Some(basic.as_str()));
        assert_eq!(s.first_tunnel_byte, Some(0x16), "a TLS handshake, end to end: {s:?}");
    }
    assert!(!format!("{client:?}").contains("pa%24%24"), "the password never prints");
}

#[tokio::test]
async fn proxy_variables_are_honoured_and_no_proxy_bypasses_them() {
    let proxy = ForwardProxy::start().unwrap();
    let through = support::builder()
        .proxy_from_vars(vars(vec![("HTTP_PROXY", proxy.url()), ("HTTPS_PROXY", proxy.url())]))
        .unwrap()
        .build()
        .unwrap();
    round_trip(&through).await;
    let after_http = proxy.seen().len();
    assert!(after_http >= 3, "HTTP_PROXY took the plain-http requests");
    let tunnelled = https_builder().proxy_from_vars(vars(vec![("https_proxy", proxy.url())])).unwrap().build().unwrap();
    round_trip(&tunnelled).await;
    assert!(proxy.seen()[after_http..].iter().all(|s| s.method == "CONNECT"), "https_proxy tunnelled the rest");
    let before = proxy.seen().len();

    let bypass = vec![("ALL_PROXY", proxy.url()), ("NO_PROXY", "localhost,127.0.0.1".to_owned())];
    round_trip(&support::builder().proxy_from_vars(vars(bypass.clone())).unwrap().build().unwrap()).await;
    round_trip(&https_builder().proxy_from_vars(vars(bypass)).unwrap().build().unwrap()).await;
    assert_eq!(proxy.seen().len(), before, "NO_PROXY went around the proxy");

    let explicit_off = support::builder().proxy_from_vars(vars(vec![("ALL_PROXY", proxy.url())])).unwrap();
    round_trip(&explicit_off.no_proxy().build().unwrap()).await;
    assert_eq!(proxy.seen().len(), before, "no_proxy() went around it too");
}

fn client_secret(server: &TokenServer) -> ClientCredential {
    ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::secret(CLIENT_SECRET))
        .unwrap()
        .options(&CredentialOptions { retry: RetryOptions::none(), ..CredentialOptions::default() })
}

/// Whether the proxy forwarded a request to `url` (ignoring the query).
fn forwarded(seen: &[Seen], url: &str) -> bool {
    seen.iter().any(|s| s.target.split('?').next() == Some(url))
}

#[tokio::test]
async fn token_requests_take_the_clients_proxy_except_imds() {
    let server = TokenServer::start();
    let proxy = ForwardProxy::start().unwrap();
    let client = support::builder()
        .token_credential(Arc::new(client_secret(&server)))
        .proxy(&proxy.url())
        .unwrap()
        .build()
        .unwrap();
    // Azurite without `--oauth` may refuse the token; the token request is what counts.
    let _ = client.container("proxyctr").blob("b").properties().await;
    assert_eq!(server.count(), 1);
    let token_url = format!("{}/{TENANT}/oauth2/v2.0/token", server.url());
    assert!(forwarded(&proxy.seen(), &token_url), "{:?}", proxy.seen());

    let app_service = ManagedIdentityCredential::app_service(&server.app_service_endpoint(), "h").unwrap();
    let client = support::builder().token_credential(Arc::new(app_service)).proxy(&proxy.url()).unwrap();
    let _ = client.build().unwrap().container("proxyctr").blob("b").properties().await;
    assert!(forwarded(&proxy.seen(), &server.app_service_endpoint()), "{:?}", proxy.seen());

    let imds = ManagedIdentityCredential::imds_at(&server.imds_endpoint()).unwrap();
    let client = support::builder().token_credential(Arc::new(imds)).proxy(&proxy.url()).unwrap();
    let _ = client.build().unwrap().container("proxyctr").blob("b").properties().await;
    assert_eq!(server.count(), 3, "IMDS answered");
    assert!(!forwarded(&proxy.seen(), &server.imds_endpoint()), "IMDS is reached directly: {:?}", proxy.seen());
}

#[tokio::test]
async fn a_client_secret_never_crosses_a_remote_proxy_in_clear() {
    let server = TokenServer::start();
    // An https endpoint is tunnelled, so the client builds; the token
    // endpoint is plain http and the proxy is not on this machine.
    let client = ClientBuilder::new()
        .account("myaccount")
        .token_credential(Arc::new(client_secret(&server)))
        .proxy("http://proxy.invalid:3128")
        .unwrap()
        .retry(RetryOptions::none())
        .build()
        .unwrap();
    let err = client.container("proxyctr").blob("b").properties().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("NO_PROXY"), "{err}");
    assert_eq!(server.count(), 0, "nothing was sent");
}

/// Passes requests to reqwest and remembers their URLs.
#[derive(Debug)]
struct Counting {
    inner: ReqwestTransport,
    urls: Mutex<Vec<String>>,
}

impl HttpTransport for Counting {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        self.urls.lock().unwrap().push(request.url.to_string());
        self.inner.send(request)
    }
}

#[tokio::test]
async fn a_custom_transport_carries_token_requests_too() {
    let server = TokenServer::start();
    let wire = Arc::new(Counting { inner: ReqwestTransport::from_env().unwrap(), urls: Mutex::default() });
    let client = support::builder()
        .token_credential(Arc::new(client_secret(&server)))
        .transport(Arc::clone(&wire) as Arc<dyn HttpTransport>)
        .build()
        .unwrap();
    let _ = client.container("proxyctr").blob("b").properties().await;
    let urls = wire.urls.lock().unwrap().clone();
    assert!(urls.first().is_some_and(|u| u.starts_with(&server.url())), "the token request first: {urls:?}");
    assert!(urls.iter().any(|u| u.starts_with(&endpoints().http)), "then the blob request: {urls:?}");
}
