//! TLS for the bench sink: a throwaway certificate authority made with
//! openssl when the bench starts, a server certificate it signs, and the
//! rustls server side of each connection.
//!
//! Real Azure is always HTTPS, so the bench measures what TLS costs the
//! client. The server side always uses rustls's default provider; only the
//! client's provider is what the bench compares.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

/// A server certificate signed by a fresh CA, as PEM files.
#[derive(Debug, Clone)]
pub(crate) struct BenchCa {
    /// The CA certificate: the root a client trusts.
    pub(crate) ca_cert: PathBuf,
    /// The server's certificate (for 127.0.0.1) and key.
    pub(crate) server_cert: PathBuf,
    pub(crate) server_key: PathBuf,
}

impl BenchCa {
    /// Makes a CA and a server certificate for 127.0.0.1 in `dir`.
    ///
    /// A separate CA (rather than one self-signed server certificate) is
    /// what a real chain looks like to the client: rustls verifies a leaf
    /// against a root, as it does with Azure's certificates.
    pub(crate) fn generate(dir: &Path) -> Result<BenchCa, String> {
        std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let ca = BenchCa {
            ca_cert: dir.join("ca.pem"),
            server_cert: dir.join("server.pem"),
            server_key: dir.join("server-key.pem"),
        };
        let (ca_key, csr, ext) = (dir.join("ca-key.pem"), dir.join("server.csr"), dir.join("server.ext"));
        openssl(|c| {
            c.args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
                .args(["-days", "2", "-subj", "/CN=azblob bench CA", "-keyout"])
                .arg(&ca_key)
                .arg("-out")
                .arg(&ca.ca_cert)
                .args(["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"])
        })?;
        openssl(|c| {
            c.args(["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"])
                .args(["-subj", "/CN=127.0.0.1", "-keyout"])
                .arg(&ca.server_key)
                .arg("-out")
                .arg(&csr)
        })?;
        std::fs::write(
            &ext,
            "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n",
        )
        .map_err(|e| format!("cannot write {}: {e}", ext.display()))?;
        openssl(|c| {
            c.args(["x509", "-req", "-days", "2", "-in"])
                .arg(&csr)
                .arg("-CA")
                .arg(&ca.ca_cert)
                .arg("-CAkey")
                .arg(&ca_key)
                .args(["-CAcreateserial", "-extfile"])
                .arg(&ext)
                .arg("-out")
                .arg(&ca.server_cert)
        })?;
        Ok(ca)
    }
}

fn openssl(args: impl FnOnce(&mut Command) -> &mut Command) -> Result<(), String> {
    let mut command = Command::new("openssl");
    args(&mut command);
    let output = command.stdout(Stdio::null()).output().map_err(|e| format!("cannot run openssl: {e}"))?;
    if !output.status.success() {
        return Err(format!("openssl failed: {}", String::from_utf8_lossy(&output.stderr).trim()));
    }
    Ok(())
}

/// The sink's rustls server configuration.
#[derive(Clone)]
pub(crate) struct TlsConfig(Arc<rustls::ServerConfig>);

impl TlsConfig {
    /// Loads the server certificate chain and key from PEM files.
    pub(crate) fn load(cert: &Path, key: &Path) -> Result<TlsConfig, String> {
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .and_then(|certs| certs.collect::<Result<_, _>>())
            .map_err(|e| format!("cannot read {}: {e}", cert.display()))?;
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| format!("cannot read {}: {e}", key.display()))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(chain, key))
            .map_err(|e| format!("bad TLS certificate or key: {e}"))?;
        Ok(TlsConfig(Arc::new(config)))
    }

    /// Wraps an accepted connection; the handshake runs on first use.
    pub(crate) fn accept(&self, tcp: TcpStream) -> io::Result<impl Read + Write> {
        let connection = rustls::ServerConnection::new(Arc::clone(&self.0)).map_err(io::Error::other)?;
        Ok(rustls::StreamOwned::new(connection, tcp))
    }
}
