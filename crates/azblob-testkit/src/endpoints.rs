//! The emulators a test process uses: the harness's, or its own.

use std::io;
use std::sync::OnceLock;

use crate::{
    generate_certificate, scratch_dir, Emulator, EmulatorOptions, ENV_CA_CERT, ENV_ENDPOINT, ENV_TLS_ENDPOINT,
};

/// Endpoints of a plain-HTTP and an HTTPS emulator, and the root certificate of the latter.
#[derive(Debug)]
pub struct Endpoints {
    /// The plain-HTTP blob endpoint (path style, development account).
    pub http: String,
    /// The HTTPS blob endpoint.
    pub https: String,
    /// The PEM root certificate to trust for `https`.
    pub ca_pem: Vec<u8>,
    // Emulators started by this process; none when the harness started them.
    _owned: Vec<Emulator>,
}

/// The emulators of this test process.
///
/// `cargo xtask test` starts them once and passes their endpoints in the
/// environment. Under a plain `cargo test` the process starts its own from the
/// pinned install instead, and panics with a message naming `cargo xtask test`
/// if it cannot: tests that need the emulator are never skipped silently.
pub fn endpoints() -> &'static Endpoints {
    static ENDPOINTS: OnceLock<Endpoints> = OnceLock::new();
    ENDPOINTS.get_or_init(|| {
        let vars = (std::env::var(ENV_ENDPOINT), std::env::var(ENV_TLS_ENDPOINT), std::env::var(ENV_CA_CERT));
        match vars {
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
        }
    })
}

/// Starts a plain-HTTP and an HTTPS emulator with a fresh certificate.
pub fn start_pair() -> io::Result<(Emulator, Emulator, Vec<u8>, std::path::PathBuf)> {
    let http = Emulator::start(&EmulatorOptions::default())?;
    let dir = scratch_dir().join(format!("tls-{}", std::process::id()));
    let cert = generate_certificate(&dir)?;
    let ca_pem = std::fs::read(&cert.cert_path)?;
    let ca_path = cert.cert_path.clone();
    let https = Emulator::start(&EmulatorOptions { tls: Some(cert), oauth: false })?;
    Ok((http, https, ca_pem, ca_path))
}

/// Starts an HTTPS emulator with OAuth on (`--oauth basic`) and a fresh certificate;
/// returns it with the path of the root certificate to trust.
pub fn start_oauth() -> io::Result<(Emulator, std::path::PathBuf)> {
    let dir = scratch_dir().join(format!("oauth-tls-{}", std::process::id()));
    let cert = generate_certificate(&dir)?;
    let ca_path = cert.cert_path.clone();
    let emulator = Emulator::start(&EmulatorOptions { tls: Some(cert), oauth: true })?;
    Ok((emulator, ca_path))
}

fn start_own() -> io::Result<Endpoints> {
    let (http, https, ca_pem, _) = start_pair()?;
    Ok(Endpoints { http: http.endpoint(), https: https.endpoint(), ca_pem, _owned: vec![http, https] })
}
