//! `peer-worker CLIENT WORKLOAD ENDPOINT SOURCE`: one workload of a peer
//! Azure Blob client (`object_store` or `opendal`) against the endpoint,
//! printed as one line in the format of azblob's own `bench-worker`, so that
//! `cargo xtask bench` can put both in one table.
//!
//! Workloads, the same for both clients:
//! - `upload-memory`: the source read into one `Bytes` before the clock
//!   starts, then uploaded in 8 MiB blocks, 8 in flight;
//! - `upload-one-put`: the same `Bytes` in one Put Blob;
//! - `download-memory`: one GET into memory;
//! - `download-mem-c8`: ranged GETs of 8 MiB, 8 in flight, into memory;
//! - `small-put-get`: 2,000 sequential 4 KiB put and get pairs after 1,000 untimed
//!   ones, as in azblob's worker (`xtask/src/bench.rs`), p50 and p99;
//! - `list-5000`: 5,000 blobs created (not timed), then listed.

mod measure;
mod object_store_peer;
mod opendal_peer;

use std::path::PathBuf;
use std::process::ExitCode;

/// Block and range size the peers are configured with, as azblob's default.
const PART: usize = 8 * 1024 * 1024;
/// Blocks or ranges in flight, as azblob's default.
const CONCURRENCY: usize = 8;
/// The container every workload uses (the sink ignores containers).
const CONTAINER: &str = "bench";
/// The emulator's well-known account (the sink checks no signature).
const ACCOUNT: &str = "devstoreaccount1";
/// The emulator's well-known development key, as `azblob::DEV_ACCOUNT_KEY`.
const ACCOUNT_KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

/// What one worker run is asked to do.
#[derive(Debug)]
pub(crate) struct Job {
    /// The workload's name (see the crate docs).
    pub(crate) workload: String,
    /// The account's endpoint, `http://HOST:PORT/ACCOUNT`.
    pub(crate) endpoint: String,
    /// The file whose size and bytes the transfers use.
    pub(crate) source: PathBuf,
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [client, workload, endpoint, source] = args.as_slice() else {
        eprintln!("usage: peer-worker object_store|opendal WORKLOAD ENDPOINT SOURCE");
        return ExitCode::FAILURE;
    };
    let job = Job { workload: workload.clone(), endpoint: endpoint.clone(), source: PathBuf::from(source) };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("peer-worker: cannot start tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match client.as_str() {
        "object_store" => runtime.block_on(object_store_peer::run(&job)),
        "opendal" => runtime.block_on(opendal_peer::run(&job)),
        other => Err(format!("unknown client {other}")),
    };
    match result {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("peer-worker {client} {workload}: {message}");
            ExitCode::FAILURE
        }
    }
}
