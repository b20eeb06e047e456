//! Credentials go only to the account they belong to: redirects are never
//! followed, nothing is signed for another host, and a retried batch signs
//! its sub-requests afresh.
//!
//! Local listeners stand in for the service, a token endpoint and a foreign
//! ("evil") host; each records what it received, so the tests can prove that
//! no key signature, SAS or token arrived where it must not.

mod support;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use azblob::auth::entra::{ClientCredential, ClientProof};
use azblob::auth::{Credential, SasToken, StaticTokenCredential};
use azblob::transport::{Method, Request};
use azblob::{ClientBuilder, ErrorKind, DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use support::listener::{response, Listener};

/// A listener answering every request with a 307 to `target`, whose query carries a SAS.
fn redirecting_to(target: &Listener) -> Listener {
    let location = format!("http://localhost:{}/{DEV_ACCOUNT}/c/b?sv=2023-11-03&sig=leaked-signature", target.port());
    Listener::start(move |_, _| response(307, &[("Location", &location)], b""))
}

#[tokio::test]
async fn a_blob_request_is_never_redirected() {
    let elsewhere = Listener::ok();
    let service = redirecting_to(&elsewhere);
    let client = ClientBuilder::new()
        .endpoint(format!("http://127.0.0.1:{}/{DEV_ACCOUNT}", service.port()))
        .shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY)
        .unwrap()
        .build()
        .unwrap();
    let err = client.blob("ctr", "b").put("blob data that must stay here").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    assert_eq!(err.status().map(|s| s.as_u16()), Some(307));
    let text = err.to_string();
    assert!(text.contains(&format!("localhost:{}", elsewhere.port())), "names the Location's host: {text}");
    assert!(!text.contains("leaked-signature"), "never the Location's query: {text}");
    assert_eq!(service.received().len(), 1, "a redirect is not retried");
    assert_eq!(elsewhere.connections(), 0, "the redirect target is never contacted");
}

#[tokio::test]
async fn a_token_request_is_never_redirected() {
    let elsewhere = Listener::ok();
    let authority = redirecting_to(&elsewhere);
    let credential = ClientCredential::from_authority(
        &format!("http://127.0.0.1:{}", authority.port()),
        "tenant",
        "client-id",
        ClientProof::secret("client-secret-value"),
    )
    .unwrap();
    let err = azblob::auth::TokenCredential::get_token(&credential, &[azblob::auth::STORAGE_SCOPE]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidResponse, "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("localhost:{}", elsewhere.port())), "{text}");
    assert!(!text.contains("leaked-signature") && !text.contains("client-secret-value"), "{text}");
    assert_eq!(authority.received().len(), 1);
    assert_eq!(elsewhere.connections(), 0, "the client secret never travels to the redirect target");
}

/// A token credential that never expires within a test.
fn token() -> Credential {
    Credential::Token(Arc::new(StaticTokenCredential::new(
        "bearer-token-value",
        SystemTime::now() + Duration::from_secs(3600),
    )))
}

/// The three kinds of credential, each of which belongs to one account.
fn credentials() -> Vec<Credential> {
    vec![
        Credential::SharedKey(azblob::auth::SharedKeyCredential::new(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap()),
        Credential::Sas(SasToken::parse("sv=2023-11-03&ss=b&srt=sco&sp=rwdl&sig=environment-signature").unwrap()),
        token(),
    ]
}

#[tokio::test]
async fn send_raw_never_signs_for_another_host_or_account() {
    let service = Listener::ok();
    let evil = Listener::ok();
    for credential in credentials() {
        let kind = credential.kind_name();
        let client = ClientBuilder::new()
            .endpoint(format!("http://127.0.0.1:{}/{DEV_ACCOUNT}", service.port()))
            .credential(credential)
            .build()
            .unwrap();
        for url in [
            // Another host (loopback by another name): the stand-in for evil.example.
            format!("http://localhost:{}/{DEV_ACCOUNT}/ctr/b", evil.port()),
            // Another port of the same host.
            format!("http://127.0.0.1:{}/{DEV_ACCOUNT}/ctr/b", evil.port()),
            // Another account on the same (path-style) host.
            format!("http://127.0.0.1:{}/otheraccount/ctr/b", service.port()),
        ] {
            let request = Request::new("Probe", Method::GET, url.parse().unwrap());
            let err = client.send_raw(request).await.expect_err(&format!("{kind} to {url}"));
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{kind} to {url}: {err}");
            assert!(err.to_string().contains("refusing to send"), "{err}");
        }
        // Under the endpoint the credential is used as before.
        let own = format!("http://127.0.0.1:{}/{DEV_ACCOUNT}/ctr/b", service.port());
        client.send_raw(Request::new("Probe", Method::GET, own.parse().unwrap())).await.unwrap();
    }
    assert_eq!(evil.connections(), 0, "nothing reached the other host: {:?}", evil.received());
    assert_eq!(service.received().len(), 3, "only the requests for the configured account reached it");
}

#[tokio::test]
async fn a_copy_never_hands_the_source_sas_or_token_to_another_host() {
    let service = Listener::ok();
    let evil = Listener::ok();
    let endpoint = format!("http://127.0.0.1:{}/{DEV_ACCOUNT}", service.port());
    let destination =
        ClientBuilder::new().endpoint(format!("http://localhost:{}/{DEV_ACCOUNT}", evil.port())).build().unwrap();
    let target = destination.blob("ctr", "copy");
    for credential in [credentials().remove(1), token()] {
        let kind = credential.kind_name();
        let source = ClientBuilder::new().endpoint(&endpoint).credential(credential).build().unwrap();
        let copy_source = azblob::CopySource::blob(&source.blob("ctr", "source"));
        let err = target.copy_from_url(&copy_source).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{kind}: {err}");
        if kind == "sas" {
            let err = target.start_copy(&copy_source).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{kind}: {err}");
        }
    }
    assert_eq!(evil.connections(), 0, "no copy request carried the source's SAS or token: {:?}", evil.received());
}

/// A token credential that mints a new token on every call, so a test can
/// tell which attempt a signature belongs to.
#[derive(Debug, Default)]
struct MintingCredential {
    minted: std::sync::atomic::AtomicUsize,
}

impl azblob::auth::TokenCredential for MintingCredential {
    fn get_token<'a>(
        &'a self,
        _scopes: &'a [&'a str],
    ) -> futures_util::future::BoxFuture<'a, azblob::Result<azblob::auth::AccessToken>> {
        let n = self.minted.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
        let token = azblob::auth::AccessToken {
            token: azblob::Secret::new(format!("minted-token-{n}")),
            expires_on: SystemTime::now() + Duration::from_secs(3600),
        };
        Box::pin(async move { Ok(token) })
    }
}

/// A retry clock that does not sleep, so a retried batch costs no time.
#[derive(Debug)]
struct NoSleep;

impl azblob::transport::Clock for NoSleep {
    fn sleep(&self, _duration: Duration) -> futures_util::future::BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

const BATCH_ANSWER: &str = "--batchresponse_1\r\nContent-Type: application/http\r\nContent-ID: 0\r\n\r\n\
    HTTP/1.1 202 Accepted\r\nx-ms-request-id: sub-1\r\n\r\n\r\n--batchresponse_1--\r\n";

#[tokio::test]
async fn a_retried_batch_signs_its_sub_requests_afresh() {
    // The first attempt meets a 503, the second is answered.
    let service = Listener::start(|index, _| match index {
        0 => response(503, &[], b""),
        _ => response(202, &[("Content-Type", "multipart/mixed; boundary=batchresponse_1")], BATCH_ANSWER.as_bytes()),
    });
    let client = ClientBuilder::new()
        .endpoint(format!("http://127.0.0.1:{}/{DEV_ACCOUNT}", service.port()))
        .token_credential(Arc::new(MintingCredential::default()))
        .clock(Arc::new(NoSleep))
        .build()
        .unwrap();
    let results = client.container("ctr").delete_blobs(["gone.txt"]).await.unwrap();
    assert!(matches!(results[0].outcome, azblob::BatchOutcome::Done), "{:?}", results[0]);

    let attempts = service.received();
    assert_eq!(attempts.len(), 2, "one 503, one retry");
    for (n, attempt) in attempts.iter().enumerate() {
        let token = format!("Bearer minted-token-{}", n + 1);
        assert_eq!(attempt.header("authorization").as_deref(), Some(token.as_str()), "the batch itself");
        let body = String::from_utf8(attempt.body.clone()).unwrap();
        assert!(body.contains(&format!("authorization: {token}\r\n")), "attempt {n}'s sub-request: {body}");
        assert!(body.contains("x-ms-date: "), "{body}");
        let length: usize = attempt.header("content-length").unwrap().parse().unwrap();
        assert_eq!(length, attempt.body.len());
    }
}
