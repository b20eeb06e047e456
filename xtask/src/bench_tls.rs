//! The TLS part of `cargo xtask bench` (`--no-tls` skips it): the transfers again over HTTPS, once with each
//! rustls crypto provider the client can be built with.
//!
//! The worker learns the CA to trust from `AZBLOB_BENCH_CA`. ring is the
//! provider reqwest builds in; a second worker binary built with the xtask
//! feature `aws-lc-rs` installs aws-lc-rs as the process's default provider
//! at start, which reqwest then uses.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::bench_table::{Row, Table};
use crate::sink_tls::BenchCa;

/// The environment variable that hands the worker the CA certificate (PEM file) to trust.
pub(crate) const CA_ENV: &str = "AZBLOB_BENCH_CA";

/// A client builder for `endpoint`, trusting the bench CA when one is given.
pub(crate) fn client_builder(endpoint: &str) -> Result<azblob::ClientBuilder, String> {
    install_provider();
    let mut builder = azblob::ClientBuilder::new().endpoint(endpoint);
    if let Some(ca) = std::env::var_os(CA_ENV) {
        let pem = std::fs::read(&ca).map_err(|e| format!("cannot read {}: {e}", ca.to_string_lossy()))?;
        builder = builder.root_certificate_pem(pem);
    }
    Ok(builder)
}

#[cfg(feature = "aws-lc-rs")]
fn install_provider() {
    // Fails only if a provider is installed already, which is then kept.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}

#[cfg(not(feature = "aws-lc-rs"))]
fn install_provider() {}

/// The transfer workloads measured over TLS.
const WORKLOADS: &[&str] = &["upload-file", "upload-memory", "download-file", "download-memory"];

/// Runs the transfer workloads against a TLS sink with `exe` (ring) and a
/// second worker built with aws-lc-rs, `rounds` times, into `table` (server
/// `sink+tls`, clients `azblob/ring` and `azblob/aws-lc-rs`).
pub(crate) fn run(exe: &Path, source: &Path, rounds: usize, table: &mut Table) -> Result<(), String> {
    let aws_lc = build_aws_lc_worker()?;
    let ca = BenchCa::generate(&azblob_testkit::scratch_dir().join("bench-tls"))?;
    let port = azblob_testkit::free_port().map_err(|e| e.to_string())?;
    let sink = crate::bench::SinkProcess::spawn(exe, port, &[&"--tls", &ca.server_cert, &ca.server_key])?;
    let endpoint = format!("https://127.0.0.1:{port}/devstoreaccount1");
    for round in 1..=rounds {
        eprintln!("xtask: TLS round {round} of {rounds}");
        for workload in WORKLOADS {
            for (provider, worker) in [("ring", exe), ("aws-lc-rs", aws_lc.as_path())] {
                let mut command = Command::new(worker);
                command.env(CA_ENV, &ca.ca_cert).args(["bench-worker", workload, &endpoint]).arg(source);
                let line = crate::bench::line_of(&mut command, &format!("{workload} over TLS with {provider}"))?;
                table.push(Row::parse(TLS_SERVER, &format!("azblob/{provider}"), &line)?);
            }
        }
    }
    drop(sink);
    Ok(())
}

/// The server name of the TLS rows.
pub(crate) const TLS_SERVER: &str = "sink+tls";

/// Builds the worker with the `aws-lc-rs` feature in its own target
/// directory, so neither build invalidates the other's cache.
fn build_aws_lc_worker() -> Result<PathBuf, String> {
    let target = crate::target_dir()?.join("aws-lc");
    crate::run_step(
        "building xtask with aws-lc-rs (release)",
        crate::cargo()
            .args(["build", "--release", "--quiet", "-p", "xtask", "--features", "aws-lc-rs", "--target-dir"])
            .arg(&target),
    )?;
    Ok(target.join("release").join(format!("xtask{}", std::env::consts::EXE_SUFFIX)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink_tls::TlsConfig;

    /// The TLS sink serves what it stored to a client that trusts only the
    /// bench CA, and refuses a client that does not trust it.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_tls_sink_round_trips_for_a_client_that_trusts_the_bench_ca() {
        let dir = azblob_testkit::scratch_dir().join(format!("bench-tls-test-{}", std::process::id()));
        let ca = BenchCa::generate(&dir).unwrap();
        let tls = TlsConfig::load(&ca.server_cert, &ca.server_key).unwrap();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || crate::sink::serve(listener, true, Some(tls)));
        let endpoint = format!("https://127.0.0.1:{port}/devstoreaccount1");
        let pem = std::fs::read(&ca.ca_cert).unwrap();
        let client = azblob::ClientBuilder::new()
            .endpoint(&endpoint)
            .root_certificate_pem(pem)
            .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
            .and_then(|b| b.build())
            .unwrap();
        let data: bytes::Bytes = (0..300_000u32).map(|i| (i % 253) as u8).collect();
        let blob = client.blob("bench", "tls.bin");
        blob.put(data.clone()).await.unwrap();
        assert_eq!(blob.download().await.unwrap(), data);

        let untrusting = azblob::ClientBuilder::new()
            .endpoint(&endpoint)
            .shared_key(azblob::DEV_ACCOUNT, azblob::DEV_ACCOUNT_KEY)
            .and_then(|b| b.build())
            .unwrap();
        let err = untrusting.blob("bench", "tls.bin").download().await.unwrap_err();
        assert!(err.to_string().to_lowercase().contains("certificate"), "{err}");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
