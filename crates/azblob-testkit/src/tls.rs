//! Throwaway self-signed certificates for the HTTPS emulator.

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A certificate and its private key, as PEM files.
#[derive(Debug, Clone)]
pub struct Certificate {
    /// The certificate (also the root to trust).
    pub cert_path: PathBuf,
    /// The private key.
    pub key_path: PathBuf,
}

/// Generates a certificate for 127.0.0.1 and localhost in `dir` with openssl.
///
/// rustls rejects CA certificates as end-entity certificates and
/// certificates without a subjectAltName, hence the explicit extensions.
pub fn generate_certificate(dir: &Path) -> io::Result<Certificate> {
    std::fs::create_dir_all(dir)?;
    let cert = Certificate { cert_path: dir.join("cert.pem"), key_path: dir.join("key.pem") };
    let status = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "7", "-subj", "/CN=127.0.0.1"])
        .arg("-keyout")
        .arg(&cert.key_path)
        .arg("-out")
        .arg(&cert.cert_path)
        .args([
            "-addext",
            "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-addext",
            "basicConstraints=critical,CA:FALSE",
            "-addext",
            "keyUsage=critical,digitalSignature,keyEncipherment",
            "-addext",
            "extendedKeyUsage=serverAuth",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run openssl: {e}")))?;
    if !status.success() {
        return Err(io::Error::other(format!("openssl failed ({status})")));
    }
    Ok(cert)
}
