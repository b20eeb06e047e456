//! `azblob sync SRC DST`: transfers what is missing or different, in either direction.

use anyhow::Result;
use clap::Args;

use super::{Common, Mode, TreeArgs};
use crate::size::parse_size;

/// Arguments of `azblob sync`.
#[derive(Debug, Args)]
pub(crate) struct SyncArgs {
    /// Source: a local directory or `az://CONTAINER/PREFIX` (or a container URL).
    src: String,
    /// Destination: the other kind.
    dst: String,
    /// Compare MD5s (computed for local files, the blob's stored one) rather
    /// than modification times; uploads store each blob's MD5.
    #[arg(long)]
    checksum: bool,
    /// Delete from the destination what the source does not have.
    #[arg(long)]
    delete: bool,
    #[command(flatten)]
    tree: TreeArgs,
    /// Block (upload) or chunk (download) size of large files.
    #[arg(long, value_parser = parse_size, default_value = "8MiB")]
    block_size: u64,
    /// Files in flight; without it, adaptive.
    #[arg(long)]
    concurrency: Option<usize>,
    /// Do not show the progress line.
    #[arg(long)]
    no_progress: bool,
    /// One JSON line per file and a summary line.
    #[arg(long)]
    json: bool,
}

/// Runs `azblob sync`.
pub(crate) async fn run(args: SyncArgs, connection: &crate::Connection) -> Result<()> {
    let common = Common {
        json: args.json,
        progress: !args.no_progress,
        block_size: args.block_size,
        concurrency: args.concurrency,
        md5: false,
    };
    let mode = Mode::Sync { checksum: args.checksum, delete: args.delete };
    super::run(&args.src, &args.dst, &args.tree, &common, mode, connection).await
}
