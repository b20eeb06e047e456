//! The `azblob` binary sends the configured credential only to the configured
//! account: a blob URL naming another host gets the SAS written in the URL,
//! or nothing; a URL under the configured endpoint addresses the blob it
//! names; and `cat --range` prints only the range asked for.
//!
//! No emulator is needed: a local listener stands in for the configured
//! account (`127.0.0.1:PORT/devstoreaccount1`) and another for a foreign host
//! (`localhost:PORT2`, a distinct host and port), and each records what it
//! received. `PATH` is emptied and IMDS pointed at the token server, so no
//! link of the Entra ID chain reaches a Microsoft endpoint.

#[path = "../../azblob/tests/support/listener.rs"]
mod listener;
#[path = "../../azblob/tests/token_server/mod.rs"]
mod token_server;

use std::process::{Command, Output};

use listener::{response, Listener, Received};
use token_server::{TokenServer, CLIENT_ID, CLIENT_SECRET, TENANT};

const ENV_SIGNATURE: &str = "environment-signature";

/// Answers every request with a 404 and the service's error code.
fn not_found() -> Listener {
    Listener::start(|_, _| response(404, &[("x-ms-error-code", "BlobNotFound")], b""))
}

/// The binary with a clean environment plus `vars`.
fn azblob(args: &[&str], vars: &[(&str, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_azblob"));
    command.args(args).env_clear().env("PATH", "/nonexistent");
    for (name, value) in vars {
        command.env(name, value);
    }
    command.output().expect("run azblob")
}

fn endpoint(service: &Listener) -> String {
    format!("http://127.0.0.1:{}/{}", service.port(), azblob::DEV_ACCOUNT)
}

fn evil_url(evil: &Listener) -> String {
    format!("http://localhost:{}/{}/ctr/blob.txt", evil.port(), azblob::DEV_ACCOUNT)
}

/// Asserts that nothing `received` carries a credential.
fn assert_no_credential(received: &[Received], secrets: &[&str]) {
    for request in received {
        assert_eq!(request.header("authorization"), None, "{}", request.head);
        let text = request.text();
        assert!(!text.contains("sig="), "{text}");
        for secret in secrets {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}

#[test]
fn a_key_from_the_connection_string_stays_with_its_account() {
    let (service, evil) = (not_found(), not_found());
    let cs = format!(
        "AccountName={};AccountKey={};BlobEndpoint={}",
        azblob::DEV_ACCOUNT,
        azblob::DEV_ACCOUNT_KEY,
        endpoint(&service)
    );
    let out = azblob(&["--connection-string", &cs, "stat", &evil_url(&evil)], &[]);
    assert!(!out.status.success());
    assert_eq!(evil.received().len(), 1, "the URL's host is asked, anonymously");
    assert_no_credential(&evil.received(), &[]);

    // The configured account's own URL is signed as before.
    let own = format!("{}/ctr/blob.txt", endpoint(&service));
    let out = azblob(&["--connection-string", &cs, "stat", &own], &[]);
    assert!(!out.status.success());
    let signed = service.received();
    assert_eq!(signed.len(), 1);
    assert!(signed[0].header("authorization").is_some_and(|v| v.starts_with("SharedKey ")), "{}", signed[0].head);
}

#[test]
fn an_environment_sas_stays_with_its_account_and_a_url_keeps_its_own() {
    let (service, evil) = (not_found(), not_found());
    let vars = [
        ("AZURE_STORAGE_ACCOUNT", azblob::DEV_ACCOUNT.to_owned()),
        ("AZURE_STORAGE_BLOB_ENDPOINT", endpoint(&service)),
        ("AZURE_STORAGE_SAS_TOKEN", format!("sv=2023-11-03&ss=b&srt=sco&sp=rwdl&sig={ENV_SIGNATURE}")),
    ];
    azblob(&["stat", &evil_url(&evil)], &vars);
    azblob(&["cat", &evil_url(&evil)], &vars);
    assert_eq!(evil.received().len(), 2);
    assert_no_credential(&evil.received(), &[ENV_SIGNATURE]);

    // A SAS written in the URL is the one the URL's host gets.
    let with_sas = format!("{}?sv=2023-11-03&sp=r&sig=url-signature", evil_url(&evil));
    azblob(&["stat", &with_sas], &vars);
    let last = evil.received().pop().unwrap();
    assert!(last.head.contains("sig=url-signature"), "{}", last.head);
    assert!(!last.text().contains(ENV_SIGNATURE), "{}", last.head);
    assert!(service.received().is_empty(), "the configured account was never involved");
}

#[test]
fn an_entra_token_stays_with_its_account() {
    let (service, evil) = (not_found(), not_found());
    let server = TokenServer::start();
    let vars = [
        ("AZURE_STORAGE_ACCOUNT", azblob::DEV_ACCOUNT.to_owned()),
        ("AZURE_STORAGE_BLOB_ENDPOINT", endpoint(&service)),
        ("AZURE_TENANT_ID", TENANT.to_owned()),
        ("AZURE_CLIENT_ID", CLIENT_ID.to_owned()),
        ("AZURE_CLIENT_SECRET", CLIENT_SECRET.to_owned()),
        ("AZURE_AUTHORITY_HOST", server.url()),
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", server.url()),
    ];
    // Entra ID by default (an account without a key), and asked for explicitly.
    azblob(&["stat", &evil_url(&evil)], &vars);
    azblob(&["--auth", "entra", "stat", &evil_url(&evil)], &vars);
    assert_eq!(evil.received().len(), 2);
    assert_no_credential(&evil.received(), &["eyJ"]);
    // Another host cannot be trusted with the token: only Azure's own suffixes can.
    let out = azblob(&["--auth", "entra", "--trusted-suffixes", "localhost", "stat", &evil_url(&evil)], &vars);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not an Azure storage host suffix"));
    assert_eq!(evil.received().len(), 2);

    // A proxy on another host named in the environment would read a token
    // sent over plain http: the command is refused before anything is sent
    // (192.0.2.1 is a documentation address, never connected to).
    let own = format!("{}/ctr/blob.txt", endpoint(&service));
    let with_proxy: Vec<(&str, String)> = vars
        .iter()
        .cloned()
        .chain(["HTTP_PROXY", "ALL_PROXY"].map(|name| (name, "http://192.0.2.1:3128".to_owned())))
        .collect();
    let out = azblob(&["stat", &own], &with_proxy);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("through a proxy on another host"), "{out:?}");
    assert!(service.received().is_empty() && server.count() == 0, "nothing was sent");
    // NO_PROXY names the endpoint and the token server: the token goes to the account directly.
    let bypass: Vec<(&str, String)> = with_proxy.into_iter().chain([("NO_PROXY", "127.0.0.1".to_owned())]).collect();
    azblob(&["stat", &own], &bypass);
    assert_eq!(evil.received().len(), 2);
    let signed = service.received();
    assert!(signed[0].header("authorization").is_some_and(|v| v.starts_with("Bearer eyJ")), "{}", signed[0].head);
}

/// The path of a request as it arrived.
fn path_of(request: &Received) -> String {
    request.head.split_whitespace().nth(1).unwrap_or_default().to_owned()
}

#[test]
fn a_url_under_the_configured_endpoint_addresses_the_blob_it_names() {
    // An endpoint without the account in its path, as a custom domain has:
    // the URL's first segment is its container, not an account.
    let service = not_found();
    let cs = format!(
        "AccountName={};AccountKey={};BlobEndpoint=http://127.0.0.1:{}",
        azblob::DEV_ACCOUNT,
        azblob::DEV_ACCOUNT_KEY,
        service.port()
    );
    let url = format!("http://127.0.0.1:{}/data/dir/file.txt", service.port());
    for args in [vec!["rm", url.as_str()], vec!["stat", url.as_str()]] {
        let mut full = vec!["--connection-string", cs.as_str()];
        full.extend(args.iter().copied());
        let out = azblob(&full, &[]);
        assert!(!out.status.success(), "the listener answers 404");
    }
    let received = service.received();
    assert_eq!(received.len(), 2);
    for request in &received {
        assert!(path_of(request).starts_with("/data/dir/file.txt"), "another blob was addressed: {}", request.head);
        assert!(request.header("authorization").is_some_and(|v| v.starts_with("SharedKey ")), "{}", request.head);
    }
}

#[test]
fn cat_of_a_range_refuses_an_answer_with_other_bytes() {
    // A server that ignores the range and answers the whole blob.
    let service = Listener::start(|_, _| {
        response(
            200,
            &[("etag", "\"0x1\""), ("last-modified", "Mon, 23 Nov 2026 10:00:00 GMT"), ("x-ms-blob-type", "BlockBlob")],
            b"abcdefghij",
        )
    });
    let cs = format!(
        "AccountName={};AccountKey={};BlobEndpoint={}",
        azblob::DEV_ACCOUNT,
        azblob::DEV_ACCOUNT_KEY,
        endpoint(&service)
    );
    let own = format!("{}/ctr/blob.txt", endpoint(&service));
    let out = azblob(&["--connection-string", &cs, "cat", &own, "--range", "2-4"], &[]);
    assert!(!out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(out.stdout.is_empty(), "other bytes were printed as the range: {:?}", String::from_utf8_lossy(&out.stdout));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("answered bytes 0-9"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
