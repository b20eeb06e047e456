//! Test tooling shared by `cargo xtask` and the integration tests.
//!
//! It installs the pinned Azurite emulator (`tools/azurite`, `npm ci`),
//! starts it on a free loopback port with in-memory persistence, makes
//! throwaway TLS certificates, runs a forward proxy that records what passes
//! through it, and relays connections through a [`Relay`] that throttles or
//! stalls them, puts a [`FaultProxy`] between a client and a server to
//! inject HTTP faults request by request from a seeded plan, and holds a
//! port that never completes a connection ([`Unreachable`]). It has no
//! dependencies beyond `std` and `socket2` (to size the relay's socket
//! buffers and reset connections), so the tooling builds fast.

mod emulator;
mod endpoints;
mod fault_proxy;
mod proxy;
mod relay;
mod tls;
mod unreachable;

pub use emulator::{ensure_installed, Emulator, EmulatorOptions};
pub use endpoints::{endpoints, start_oauth, start_pair, Endpoints};
pub use fault_proxy::{
    first_n, Every, FaultKind, FaultPlan, FaultProxy, HttpFault, Injected, ProxyOptions, RequestInfo, RetryHint,
    SeededPlan,
};
pub use proxy::{ForwardProxy, Seen};
pub use relay::{Fault, Relay};
pub use tls::{generate_certificate, Certificate};
pub use unreachable::Unreachable;

use std::path::PathBuf;

/// Environment variable with the blob endpoint of a running emulator (plain HTTP).
pub const ENV_ENDPOINT: &str = "AZBLOB_TEST_ENDPOINT";
/// Environment variable with the blob endpoint of a running emulator over HTTPS.
pub const ENV_TLS_ENDPOINT: &str = "AZBLOB_TEST_TLS_ENDPOINT";
/// Environment variable with the PEM root certificate of the HTTPS emulator.
pub const ENV_CA_CERT: &str = "AZBLOB_TEST_CA_CERT";

/// The workspace root (two levels above this crate).
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().expect("workspace root exists")
}

/// Where the tooling keeps generated files (certificates, scratch data).
pub fn scratch_dir() -> PathBuf {
    let dir = workspace_root().join("target").join("azblob-test");
    std::fs::create_dir_all(&dir).expect("can create target/azblob-test");
    dir
}

/// A free TCP port on 127.0.0.1, as the OS hands it out.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The `host:port` of an `http(s)://host:port/...` URL.
pub(crate) fn authority_of(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or(rest)
}

/// `url` with its `host:port` replaced by `127.0.0.1:port`, so a client of
/// the URL goes through a loopback relay or proxy listening there.
pub(crate) fn url_through(url: &str, port: u16) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    format!("{scheme}://127.0.0.1:{port}{path}")
}

/// Deterministic pseudo-random bytes (xorshift), so tests generate large
/// payloads from a seed instead of committing them.
pub fn pseudo_random_bytes(len: u64, seed: u64) -> Vec<u8> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}
