//! `cargo xtask demo`: the main job end to end on a local emulator.
//!
//! It starts Azurite, creates a container, generates a file, uploads it with
//! `azblob cp`, downloads it back, compares SHA-256 hashes and prints the
//! figures `azblob cp --json` reports.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use azblob::transport::{Method, Request};
use azblob_testkit::{Emulator, EmulatorOptions};
use sha2::{Digest, Sha256};

use crate::{cargo, run_step};

const DEFAULT_MIB: u64 = 1024;

pub(crate) fn run(args: &[String]) -> Result<(), String> {
    let mib = match args {
        [] => DEFAULT_MIB,
        [flag, n] if flag == "--size-mib" => n.parse().map_err(|_| format!("--size-mib {n:?} is not a number"))?,
        _ => return Err("usage: cargo xtask demo [--size-mib N]".into()),
    };
    run_step("building azblob (release)", cargo().args(["build", "--release", "--quiet", "-p", "azblob-cli"]))?;
    let exe = crate::target_dir()?.join("release").join(format!("azblob{}", std::env::consts::EXE_SUFFIX));
    let emulator = Emulator::start(&EmulatorOptions::default()).map_err(|e| format!("cannot start Azurite: {e}"))?;
    let connection_string = dev_connection_string(&emulator.endpoint());
    println!("Azurite (in memory) on {}", emulator.endpoint());
    create_container(&connection_string, "demo")?;

    let dir = azblob_testkit::scratch_dir().join("demo");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let source = dir.join("source.bin");
    let copy = dir.join("downloaded.bin");
    let _ = std::fs::remove_file(&copy);
    println!("generating {mib} MiB of pseudo-random data");
    let source_hash =
        generate(&source, mib * 1024 * 1024).map_err(|e| format!("cannot write {}: {e}", source.display()))?;

    let up = cp(&exe, &connection_string, &source.display().to_string(), "az://demo/dataset/source.bin")?;
    let down = cp(&exe, &connection_string, "az://demo/dataset/source.bin", &copy.display().to_string())?;
    let copy_hash = hash_file(&copy).map_err(|e| format!("cannot read {}: {e}", copy.display()))?;

    println!("upload:   {up}");
    println!("download: {down}");
    println!("sha256 source     {source_hash}");
    println!("sha256 downloaded {copy_hash}");
    if source_hash != copy_hash {
        return Err("the downloaded file differs from the source".into());
    }
    println!("OK: byte-exact round trip");
    let _ = std::fs::remove_file(&source);
    let _ = std::fs::remove_file(&copy);
    Ok(())
}

/// Runs `azblob cp --json SRC DST` and returns its JSON line.
fn cp(exe: &Path, connection_string: &str, src: &str, dst: &str) -> Result<String, String> {
    println!("$ azblob cp {src} {dst}");
    let output = Command::new(exe)
        .args(["cp", src, dst, "--json"])
        .env("AZURE_STORAGE_CONNECTION_STRING", connection_string)
        .stderr(std::process::Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !output.status.success() {
        return Err(format!("azblob cp failed ({})", output.status));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The development account's connection string for a Blob endpoint (an
/// emulator's or the bench's sink).
pub(crate) fn dev_connection_string(endpoint: &str) -> String {
    format!(
        "DefaultEndpointsProtocol=http;AccountName={};AccountKey={};BlobEndpoint={}",
        azblob::DEV_ACCOUNT,
        azblob::DEV_ACCOUNT_KEY,
        endpoint.trim_end_matches('/')
    )
}

/// Creates a container (the demo's, the examples', the bench's): the library leaves container management to
/// the account's owner, so xtask sends the one request itself.
pub(crate) fn create_container(connection_string: &str, name: &str) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let client = azblob::ClientBuilder::from_connection_string(connection_string)
            .and_then(|b| b.build())
            .map_err(|e| e.to_string())?;
        let mut url = client.container(name).url().map_err(|e| e.to_string())?;
        url.query_pairs_mut().append_pair("restype", "container");
        client.send_raw(Request::new("CreateContainer", Method::PUT, url)).await.map_err(|e| e.to_string())?;
        Ok(())
    })
}

/// Writes `len` bytes of xorshift output and returns their SHA-256.
fn generate(path: &Path, len: u64) -> std::io::Result<String> {
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path)?);
    let mut hasher = Sha256::new();
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let n = left.min(chunk.len() as u64) as usize;
        hasher.update(&chunk[..n]);
        file.write_all(&chunk[..n])?;
        left -= n as u64;
    }
    file.flush()?;
    Ok(hex(&hasher.finalize()))
}

fn hash_file(path: &Path) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
