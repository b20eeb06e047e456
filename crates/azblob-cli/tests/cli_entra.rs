//! The `azblob` binary with Microsoft Entra ID: `--auth entra` and `--ca-cert` against Azurite's OAuth mode over TLS.
//!
//! Tokens come from the local token server; `PATH` is emptied and IMDS is
//! pointed at the same server, so no link of the default chain can reach a
//! real Microsoft endpoint.

#[path = "../../azblob/tests/token_server/mod.rs"]
mod token_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Arc;

use azblob::auth::entra::{ClientCredential, ClientProof};
use azblob::transport::{Method, Request};
use token_server::{TokenServer, CLIENT_ID, CLIENT_SECRET, TENANT};

fn azblob(args: &[&str], endpoint: &str, server: &TokenServer, ca_env: Option<&Path>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_azblob"));
    command
        .args(args)
        .env_clear()
        .env("PATH", "/nonexistent")
        .env("AZURE_STORAGE_ACCOUNT", azblob::DEV_ACCOUNT)
        .env("AZURE_STORAGE_BLOB_ENDPOINT", endpoint)
        .env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", CLIENT_SECRET)
        .env("AZURE_AUTHORITY_HOST", server.url())
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", server.url());
    if let Some(ca) = ca_env {
        command.env("AZBLOB_CA_CERT", ca);
    }
    command.output().expect("run azblob")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test]
async fn cp_with_entra_id_over_tls() {
    let (emulator, ca_path) = azblob_testkit::start_oauth()
        .unwrap_or_else(|e| panic!("cannot start Azurite ({e}); run the tests with `cargo xtask test`"));
    let endpoint = emulator.endpoint();
    let server = TokenServer::start();

    // Setup: a container, created through the library with a token.
    let credential =
        ClientCredential::from_authority(&server.url(), TENANT, CLIENT_ID, ClientProof::secret(CLIENT_SECRET)).unwrap();
    let client = azblob::ClientBuilder::new()
        .endpoint(&endpoint)
        .root_certificate_pem(std::fs::read(&ca_path).unwrap())
        .token_credential(Arc::new(credential))
        .build()
        .unwrap();
    let container = client.container(format!("cli-entra-{}", std::process::id()));
    let mut url = container.url().unwrap();
    url.query_pairs_mut().append_pair("restype", "container");
    client.send_raw(Request::new("CreateContainer", Method::PUT, url)).await.unwrap();

    let dir: PathBuf = azblob_testkit::scratch_dir().join(format!("cli-entra-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let source = dir.join("in.txt");
    std::fs::write(&source, "uploaded with a bearer token").unwrap();
    let target = format!("az://{}/entra/in.txt", container.name());
    let ca = ca_path.to_str().unwrap();

    let up = azblob(
        &["--auth", "entra", "--ca-cert", ca, "cp", source.to_str().unwrap(), &target],
        &endpoint,
        &server,
        None,
    );
    assert!(up.status.success(), "{}", stderr(&up));
    assert_eq!(&container.blob("entra/in.txt").download().await.unwrap()[..], b"uploaded with a bearer token");

    // No --auth: an account without a key or SAS means Entra ID; the CA comes from AZBLOB_CA_CERT.
    let down = azblob(&["cp", &target, "-"], &endpoint, &server, Some(&ca_path));
    assert!(down.status.success(), "{}", stderr(&down));
    assert_eq!(down.stdout, b"uploaded with a bearer token");

    // Without the root certificate the TLS handshake fails: one line, no secret.
    let untrusted = azblob(&["--auth", "entra", "cp", &target, "-"], &endpoint, &server, None);
    assert!(!untrusted.status.success());
    let text = stderr(&untrusted);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(!text.contains(CLIENT_SECRET), "{text}");

    // A wrong secret: every link of the chain fails (IMDS is pointed at a closed
    // port, `az` is not on PATH), reported in one line without the secret.
    let closed = format!("http://127.0.0.1:{}", azblob_testkit::free_port().unwrap());
    let refused = Command::new(env!("CARGO_BIN_EXE_azblob"))
        .args(["--auth", "entra", "--ca-cert", ca, "cp", &target, "-"])
        .env_clear()
        .env("PATH", "/nonexistent")
        .env("AZURE_STORAGE_BLOB_ENDPOINT", &endpoint)
        .env("AZURE_TENANT_ID", TENANT)
        .env("AZURE_CLIENT_ID", CLIENT_ID)
        .env("AZURE_CLIENT_SECRET", "wrong-secret-value")
        .env("AZURE_AUTHORITY_HOST", server.url())
        .env("AZURE_POD_IDENTITY_AUTHORITY_HOST", &closed)
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let text = stderr(&refused);
    assert_eq!(text.lines().count(), 1, "{text}");
    for part in ["AADSTS7000215", "workload identity", "managed identity", "Azure CLI"] {
        assert!(text.contains(part), "{part} in {text}");
    }
    assert!(!text.contains("wrong-secret-value"), "{text}");
    let _ = std::fs::remove_dir_all(&dir);
}
