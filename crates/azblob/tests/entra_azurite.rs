//! Entra ID end to end: bearer tokens from the local token server against Azurite with `--oauth basic` over TLS.
//!
//! Azurite in this mode checks a token's claims (audience, issuer, lifetime)
//! but not its signature, so the tokens the local server mints are accepted.
//! This process starts its own OAuth emulator; the harness's emulators have
//! OAuth off.

mod token_server;

use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use azblob::auth::entra::{ClientCredential, ClientProof};
use azblob::auth::{Sas, StaticTokenCredential};
use azblob::transport::{Method, Request, RetryOptions};
use azblob::{BlobServiceClient, ClientBuilder, ContainerClient, ErrorKind, DEV_ACCOUNT};
use azblob_testkit::{start_oauth, Emulator};
use token_server::{mint_jwt, TokenServer, CLIENT_ID, CLIENT_SECRET, OBJECT_ID, STORAGE_AUDIENCE, TENANT};

struct OAuthEmulator {
    emulator: Emulator,
    ca_pem: Vec<u8>,
}

/// This process's HTTPS emulator with OAuth on, started once.
fn emulator() -> &'static OAuthEmulator {
    static EMULATOR: OnceLock<OAuthEmulator> = OnceLock::new();
    EMULATOR.get_or_init(|| {
        let start = || -> std::io::Result<OAuthEmulator> {
            let (emulator, ca_path) = start_oauth()?;
            Ok(OAuthEmulator { emulator, ca_pem: std::fs::read(ca_path)? })
        };
        start().unwrap_or_else(|e| {
            panic!(
                "these tests need the Azurite emulator and could not start it ({e}).\n\
                 Run them with `cargo xtask test`, which installs it."
            )
        })
    })
}

fn builder() -> ClientBuilder {
    let emulator = emulator();
    ClientBuilder::new()
        .endpoint(emulator.emulator.endpoint())
        .root_certificate_pem(emulator.ca_pem.clone())
        .retry(RetryOptions::none())
}

/// A client authorized by the client secret flow against `server`.
fn token_client(server: &TokenServer) -> BlobServiceClient {
    let credential =
        ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::secret(CLIENT_SECRET)).unwrap();
    builder().token_credential(Arc::new(credential)).build().unwrap()
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{nanos}", std::process::id())
}

/// Creates a container with the token client (setup only: the library does not create containers).
async fn new_container(client: &BlobServiceClient, prefix: &str) -> ContainerClient {
    let container = client.container(unique(prefix));
    let mut url = container.url().unwrap();
    url.query_pairs_mut().append_pair("restype", "container");
    client.send_raw(Request::new("CreateContainer", Method::PUT, url)).await.expect("create test container");
    container
}

/// The names List Blobs returns, through the library's listing.
async fn list(container: &ContainerClient) -> azblob::Result<Vec<String>> {
    use futures_util::TryStreamExt;
    container.list_blobs().map_ok(|item| item.name().to_owned()).try_collect().await
}

#[tokio::test]
async fn put_get_list_delete_with_a_bearer_token() {
    let server = TokenServer::start();
    let client = token_client(&server);
    let container = new_container(&client, "entra").await;
    let blob = container.blob("dir/token.txt");
    blob.put("authorized by Entra ID").await.unwrap();
    assert_eq!(&blob.download().await.unwrap()[..], b"authorized by Entra ID");
    assert_eq!(blob.properties().await.unwrap().content_length, 22);
    assert_eq!(list(&container).await.unwrap(), vec!["dir/token.txt".to_owned()]);
    blob.delete().await.unwrap();
    assert!(!blob.exists().await.unwrap());
    assert!(list(&container).await.unwrap().is_empty());
    assert_eq!(server.count(), 1, "one token for every request");
}

#[tokio::test]
async fn user_delegation_sas_works_without_any_other_credential() {
    let server = TokenServer::start();
    let client = token_client(&server);
    let container = new_container(&client, "udsas").await;
    container.blob("report.txt").put("delegated").await.unwrap();

    let now = SystemTime::now();
    let key = client.user_delegation_key(now - Duration::from_secs(60), now + Duration::from_secs(3600)).await.unwrap();
    assert_eq!(key.signed_oid, OBJECT_ID);
    assert_eq!(key.signed_tid, TENANT);
    assert_eq!(key.signed_service, "b");
    let hour = now + Duration::from_secs(3600);
    let sas_client = |token: &azblob::auth::SasToken| builder().sas_token(&token.to_query()).unwrap().build().unwrap();

    // A blob SAS for reading: reads work, writes are refused.
    let read = Sas::blob(container.name(), "report.txt", "r", hour).sign_user_delegation(DEV_ACCOUNT, &key).unwrap();
    let reader = sas_client(&read);
    assert_eq!(&reader.blob(container.name(), "report.txt").download().await.unwrap()[..], b"delegated");
    let err = reader.blob(container.name(), "report.txt").put("overwrite").await.unwrap_err();
    assert!(matches!(err.kind(), ErrorKind::PermissionDenied | ErrorKind::Unauthenticated), "{err}");

    // A container SAS for creating and writing.
    let write = Sas::container(container.name(), "cw", hour).sign_user_delegation(DEV_ACCOUNT, &key).unwrap();
    sas_client(&write).blob(container.name(), "new.txt").put("via user delegation").await.unwrap();
    assert_eq!(&container.blob("new.txt").download().await.unwrap()[..], b"via user delegation");

    // A tampered SAS is refused.
    let tampered = azblob::auth::SasToken::parse(&read.to_query().replace("sp=r", "sp=rw")).unwrap();
    let err = sas_client(&tampered).blob(container.name(), "report.txt").put("x").await.unwrap_err();
    assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{err}");
}

fn static_token(audience: &str, lifetime_secs: i64) -> BlobServiceClient {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64;
    // The credential believes the token valid for an hour; only the service knows better.
    let credential = StaticTokenCredential::new(
        mint_jwt(audience, now, lifetime_secs, 0),
        SystemTime::now() + Duration::from_secs(3600),
    );
    builder().token_credential(Arc::new(credential)).build().unwrap()
}

#[tokio::test]
async fn expired_tokens_and_wrong_audiences_are_rejected() {
    let server = TokenServer::start();
    let container = new_container(&token_client(&server), "reject").await;
    container.blob("b").put("x").await.unwrap();

    for (client, what) in [
        (static_token(STORAGE_AUDIENCE, -600), "expired"),
        (static_token("https://management.azure.com", 3600), "wrong audience"),
    ] {
        let err = client.blob(container.name(), "b").download().await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{what}: {err}");
        assert_eq!(err.status().map(|s| s.as_u16()), Some(403), "{what}: {err}");
        assert_eq!(err.error_code(), Some("AuthenticationFailed"), "{what}: {err}");
    }
    // Tokens from the flow with a wrong audience fail the same way.
    let fresh = TokenServer::start();
    fresh.audience("https://vault.azure.net");
    let err = token_client(&fresh).blob(container.name(), "b").download().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
}

#[tokio::test]
async fn a_user_delegation_key_needs_a_token() {
    let client = builder().shared_key(DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY).unwrap().build().unwrap();
    let now = SystemTime::now();
    let err = client.user_delegation_key(now, now + Duration::from_secs(60)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}
