//! Shared setup of the integration tests: the emulator's endpoint, clients, fresh containers.
//!
//! `cargo xtask test` starts Azurite and passes its endpoints in the
//! environment. A plain `cargo test` starts its own emulator from the pinned
//! install instead, and fails with a message naming `cargo xtask test` if it
//! cannot; these tests are never skipped silently.

#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use azblob::transport::Request;
use azblob::{BlobServiceClient, ClientBuilder, ContainerClient, DEV_ACCOUNT, DEV_ACCOUNT_KEY};
use azblob_testkit::{Emulator, EmulatorOptions, ENV_CA_CERT, ENV_ENDPOINT, ENV_TLS_ENDPOINT};

/// Endpoints of the emulators under test.
pub struct Endpoints {
    pub http: String,
    pub https: String,
    pub ca_pem: Vec<u8>,
    // Emulators started by this process (none when the harness started them).
    _owned: Vec<Emulator>,
}

pub fn endpoints() -> &'static Endpoints {
    static ENDPOINTS: OnceLock<Endpoints> = OnceLock::new();
    ENDPOINTS.get_or_init(|| match (std::env::var(ENV_ENDPOINT), std::env::var(ENV_TLS_ENDPOINT), std::env::var(ENV_CA_CERT)) {
        (Ok(http), Ok(https), Ok(ca)) => Endpoints {
            http,
            https,
            ca_pem: std::fs::read(&ca).unwrap_or_else(|e| panic!("cannot read {ENV_CA_CERT}={ca}: {e}")),
            _owned: Vec::new(),
        },
        _ => start_own().unwrap_or_else(|e| {
            panic!(
                "these tests need the Azurite emulator and could not start it ({e}).\n\
                 Run them with `cargo xtask test`, which installs and starts it."
            )
        }),
    })
}

fn start_own() -> std::io::Result<Endpoints> {
    let http = Emulator::start(&EmulatorOptions::default())?;
    let dir = azblob_testkit::scratch_dir().join(format!("tls-{}", std::process::id()));
    let cert = azblob_testkit::generate_certificate(&dir)?;
    let ca_pem = std::fs::read(&cert.cert_path)?;
    let https = Emulator::start(&EmulatorOptions { tls: Some(cert), oauth: false })?;
    Ok(Endpoints { http: http.endpoint(), https: https.endpoint(), ca_pem, _owned: vec![http, https] })
}

/// A builder for the plain-HTTP emulator with the development account's key.
pub fn builder() -> ClientBuilder {
    ClientBuilder::new().endpoint(&endpoints().http).shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY).unwrap()
}

/// A client of the plain-HTTP emulator.
pub fn client() -> BlobServiceClient {
    builder().build().unwrap()
}

/// A unique container name for one test.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{prefix}-{}-{n}-{nanos}", std::process::id())
}

/// Creates a fresh container. Test setup may create containers; the library
/// API deliberately does not, so this sends Create Container through `send_raw`.
pub async fn new_container(client: &BlobServiceClient, prefix: &str) -> ContainerClient {
    let container = client.container(unique_name(prefix));
    let mut url = container.url().unwrap();
    url.query_pairs_mut().append_pair("restype", "container");
    client
        .send_raw(Request::new("CreateContainer", http::Method::PUT, url))
        .await
        .expect("create test container");
    container
}
