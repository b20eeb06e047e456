//! Installing and running the pinned Azurite blob emulator.

use std::io;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{free_port, workspace_root, Certificate};

/// How to start the emulator.
#[derive(Debug, Clone, Default)]
pub struct EmulatorOptions {
    /// Serve HTTPS with this certificate instead of plain HTTP.
    pub tls: Option<Certificate>,
    /// Accept OAuth bearer tokens (`--oauth basic`, HTTPS only).
    pub oauth: bool,
}

/// A running Azurite blob service; stopped when dropped.
#[derive(Debug)]
pub struct Emulator {
    child: Child,
    port: u16,
    https: bool,
}

impl Emulator {
    /// Installs Azurite if needed, starts it on a free loopback port and waits
    /// until it accepts connections.
    pub fn start(options: &EmulatorOptions) -> io::Result<Emulator> {
        let dir = ensure_installed()?;
        // A port can be taken between asking and binding; try a few.
        let mut last_error = None;
        for _ in 0..3 {
            let port = free_port()?;
            match Emulator::start_on(&dir, port, options) {
                Ok(emulator) => return Ok(emulator),
                Err(err) => last_error = Some(err),
            }
        }
        Err(last_error.expect("at least one attempt"))
    }

    fn start_on(dir: &Path, port: u16, options: &EmulatorOptions) -> io::Result<Emulator> {
        let mut command = Command::new("node");
        command
            .arg(dir.join("launch.js"))
            .args(["--inMemoryPersistence", "--blobHost", "127.0.0.1", "--blobPort"])
            .arg(port.to_string())
            .args(["--skipApiVersionCheck", "--loose", "--silent", "--disableTelemetry"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(cert) = &options.tls {
            command.arg("--cert").arg(&cert.cert_path).arg("--key").arg(&cert.key_path);
        }
        if options.oauth {
            command.args(["--oauth", "basic"]);
        }
        let child = command.spawn().map_err(|e| io::Error::new(e.kind(), format!("cannot run node: {e}")))?;
        let mut emulator = Emulator { child, port, https: options.tls.is_some() };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(emulator);
            }
            if let Some(status) = emulator.child.try_wait()? {
                return Err(io::Error::other(format!("Azurite exited at start ({status})")));
            }
            if Instant::now() > deadline {
                return Err(io::Error::other("Azurite did not listen within 30 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The loopback port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The path-style blob endpoint of the development account.
    pub fn endpoint(&self) -> String {
        let scheme = if self.https { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{}/devstoreaccount1", self.port)
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `npm ci` in `tools/azurite` unless the pinned emulator is already there.
pub fn ensure_installed() -> io::Result<PathBuf> {
    let dir = workspace_root().join("tools").join("azurite");
    let main = dir.join("node_modules/azurite/dist/src/blob/main.js");
    if main.exists() {
        return Ok(dir);
    }
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("cannot run npm (is Node.js installed?): {e}")))?;
    if !status.success() || !main.exists() {
        return Err(io::Error::other(format!("npm ci in {} failed ({status})", dir.display())));
    }
    Ok(dir)
}
