//! Uploads a model file in parallel blocks, resumable from a checkpoint,
//! printing progress.
//!
//! ```text
//! cargo run -p azblob --example upload_model -- path/to/model.safetensors
//! ```
//!
//! Configuration comes from the environment: `AZURE_STORAGE_CONNECTION_STRING`
//! (or `AZURE_STORAGE_ACCOUNT` with a key, a SAS or Microsoft Entra ID), else
//! the local emulator's development storage; the container is
//! `AZBLOB_EXAMPLE_CONTAINER` (default `examples`) and must exist. Without a
//! path it uploads a generated 10 MiB file. Interrupt it and run it again:
//! only the blocks the service does not hold yet are sent.

// An example reports to its user on stdout.
#![allow(clippy::print_stdout)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use azblob::{ClientBuilder, PutBlobOptions, TransferProgress, UploadOptions, UploadSource};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = client()?;
    let container = std::env::var("AZBLOB_EXAMPLE_CONTAINER").unwrap_or_else(|_| "examples".into());
    let path = match std::env::args_os().nth(1) {
        Some(path) => PathBuf::from(path),
        None => generate_model(10 * 1024 * 1024)?,
    };
    let name = format!("models/{}", path.file_name().and_then(|n| n.to_str()).ok_or("the file has no UTF-8 name")?);
    let blob = client.blob(&container, &name);

    // The checkpoint records the upload session: which file (size, mtime,
    // inode) and which block ids. With `resume`, a second run after a crash
    // asks the service which blocks it already holds and sends the rest; a
    // file that changed meanwhile starts over instead of mixing versions.
    let mut checkpoint = path.clone().into_os_string();
    checkpoint.push(".upload.json");

    // Progress arrives at least once per block; print every tenth of the way.
    let last_tenth = Arc::new(AtomicU64::new(0));
    let progress = move |p: TransferProgress| {
        let Some(total) = p.bytes_total.filter(|&t| t > 0) else { return };
        let tenth = p.bytes_done * 10 / total;
        if last_tenth.fetch_max(tenth, Ordering::Relaxed) < tenth {
            println!("  {:>3}%  {} of {} bytes", tenth * 10, p.bytes_done, total);
        }
    };

    let mut options = UploadOptions {
        // 4 MiB blocks, 8 in flight (the default concurrency).
        block_size: 4 * 1024 * 1024,
        // Always in blocks, so that an interrupted upload of any size
        // resumes; a single Put Blob has nothing to resume from.
        single_put_max: 0,
        checkpoint: Some(checkpoint.into()),
        resume: true,
        // The service checks each block's MD5; the whole file's MD5 is
        // computed from the bytes sent and stored with the blob.
        blob: PutBlobOptions { transactional_md5: true, ..PutBlobOptions::default() },
        blob_md5: true,
        progress: Some(Arc::new(progress)),
        ..UploadOptions::default()
    };
    options.blob.content.content_type = Some("application/octet-stream".into());
    options.blob.metadata.insert("source".into(), "upload_model-example".into());

    println!("uploading {} to {container}/{name}", path.display());
    let report = blob.upload_opts(UploadSource::file(&path), &options).await?;
    println!(
        "uploaded {} bytes in {} blocks of {} bytes ({} were already there), etag {}",
        report.bytes, report.blocks, report.block_size, report.resumed_blocks, report.etag.0
    );
    Ok(())
}

/// The environment's account, or the emulator's development storage when
/// nothing is configured.
fn client() -> azblob::Result<azblob::BlobServiceClient> {
    let vars = ["AZURE_STORAGE_CONNECTION_STRING", "AZURE_STORAGE_ACCOUNT", "AZURE_STORAGE_BLOB_ENDPOINT"];
    let builder = match vars.iter().any(|v| std::env::var_os(v).is_some()) {
        true => ClientBuilder::from_env()?,
        false => ClientBuilder::from_connection_string("UseDevelopmentStorage=true")?,
    };
    builder.build()
}

/// Writes `len` pseudo-random bytes to a temporary "model" file.
fn generate_model(len: usize) -> std::io::Result<PathBuf> {
    let path = std::env::temp_dir().join("azblob-example-model.bin");
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let data: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    write_if_changed(&path, &data)?;
    Ok(path)
}

/// Writes only when the content differs, so a rerun keeps the file's
/// identity and can resume from its checkpoint.
fn write_if_changed(path: &Path, data: &[u8]) -> std::io::Result<()> {
    match std::fs::read(path) {
        Ok(existing) if existing == data => Ok(()),
        _ => std::fs::write(path, data),
    }
}
