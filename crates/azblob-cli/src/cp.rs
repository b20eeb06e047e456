//! `azblob cp SRC DST`: upload or download one blob.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use azblob::{
    Concurrency, Conditions, CopyOptions, DownloadOptions, ErrorKind, PutBlobOptions, UploadOptions, UploadSource,
    DEFAULT_BLOCK_SIZE, DEFAULT_CHUNK_SIZE,
};
use clap::Args;
use sha2::{Digest, Sha256};

use crate::location::{BlobLocation, Location};
use crate::output;
use crate::pairs::parse_pairs;
use crate::progress::Bar;
use crate::size::parse_size;
use crate::tag::parse_tags;

/// Arguments of `azblob cp`.
#[derive(Debug, Args)]
pub(crate) struct CpArgs {
    /// Source: a local path, `-` for stdin, `az://CONTAINER/BLOB` or a blob URL.
    src: String,
    /// Destination: a local path, `-` for stdout, `az://CONTAINER/BLOB` or a blob URL
    /// (ending in `/`: the file's name is appended, as cp does into a directory).
    dst: String,
    /// Block (upload, default 8MiB), chunk (download, default 8MiB) or
    /// server-side block (block copy, default 128MiB) size: bytes, or with a
    /// unit (4MiB, 512KiB, 8M).
    #[arg(long, value_parser = parse_size)]
    block_size: Option<u64>,
    /// Blocks or chunks in flight; without it, adaptive: more while throughput
    /// grows, within 256 MiB of buffers, fewer when the service throttles.
    #[arg(long)]
    concurrency: Option<usize>,
    /// Continue an interrupted upload of the same file to the same blob, or
    /// an interrupted block copy of the same source to the same blob.
    #[arg(long)]
    resume: bool,
    /// Content type stored with an uploaded blob.
    #[arg(long)]
    content_type: Option<String>,
    /// Metadata `KEY=VALUE` stored with an uploaded blob (repeatable).
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    metadata: Vec<String>,
    /// Index tag `KEY=VALUE` of an uploaded or copied blob (repeatable, one tag each).
    #[arg(long = "tags", value_name = "KEY=VALUE")]
    tags: Vec<String>,
    /// The destination blob's active lease, needed to overwrite a leased blob.
    #[arg(long, value_name = "ID")]
    lease_id: Option<String>,
    /// Access tier of an uploaded blob (Hot, Cool, Cold, Archive).
    #[arg(long)]
    tier: Option<String>,
    /// Upload: send per-block MD5s and store the blob's MD5. Download: verify
    /// it, and fail (writing nothing) if the blob has none. The same as
    /// `--checksum md5`.
    #[arg(long, conflicts_with = "checksum")]
    md5: bool,
    /// How the content is checked end to end. `md5`: as --md5. `crc64`:
    /// upload: a CRC64 with every block, which the service checks; download:
    /// each range (4 MiB at most) checked against the CRC64 the service sends,
    /// failing if it sends none. `none` (default): no check.
    #[arg(long, value_enum)]
    checksum: Option<Checksum>,
    /// Do not replace an existing local file or blob: fail and write nothing
    /// (by default, like cp, the destination is overwritten).
    #[arg(long, short = 'n')]
    no_clobber: bool,
    /// Do not show the progress bar.
    #[arg(long)]
    no_progress: bool,
    /// Print one JSON line with the transfer's figures at the end.
    #[arg(long)]
    json: bool,
    /// Blob to blob: force a synchronous copy (Copy Blob From URL, sources up to 256 MiB).
    #[arg(long, conflicts_with_all = ["async_copy", "blocks"])]
    sync: bool,
    /// Blob to blob: force an asynchronous copy (Copy Blob, the service's
    /// own copy, polled until done).
    #[arg(long = "async", conflicts_with = "blocks")]
    async_copy: bool,
    /// Blob to blob: force a block copy (parallel Put Block From URL, any
    /// size, resumable with --resume), which sources over 256 MiB get anyway.
    #[arg(long)]
    blocks: bool,
    /// Copy a whole directory: a local directory to `az://CONTAINER/PREFIX/`, or the reverse.
    #[arg(long, short = 'r')]
    recursive: bool,
    #[command(flatten)]
    tree: crate::tree::TreeArgs,
}

/// What `--checksum` checks with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum Checksum {
    /// Transactional MD5s, and the whole blob's stored MD5.
    Md5,
    /// Transactional CRC64s on every block and every range.
    Crc64,
    /// No check.
    None,
}

impl CpArgs {
    /// `--checksum`, with `--md5` as its `md5` spelling.
    fn checksum(&self) -> Checksum {
        match (self.md5, self.checksum) {
            (true, _) => Checksum::Md5,
            (false, Some(checksum)) => checksum,
            (false, None) => Checksum::None,
        }
    }
}

/// The figures of one transfer.
pub(crate) struct Figures {
    /// Bytes transferred.
    pub(crate) bytes: u64,
    /// Blocks staged, 0 for a single Put Blob.
    pub(crate) blocks: u64,
    /// Blocks a resumed upload found already staged.
    pub(crate) resumed_blocks: u64,
    /// How the content was checked end to end: `Some("md5")`, `Some("crc64")` or not at all.
    pub(crate) verified: Option<&'static str>,
    /// The requests sent, retries, throttled answers and time waiting on the service.
    pub(crate) stats: azblob::TransferStats,
}

/// Runs `azblob cp`: picks upload, download or a service-side copy from the two locations.
pub(crate) async fn run(args: CpArgs, connection: &crate::Connection) -> Result<()> {
    if args.recursive {
        // The one-blob flags a recursive copy does not carry are refused,
        // not ignored; --no-clobber is --overwrite never.
        let single = [
            (args.resume, "--resume"),
            (args.content_type.is_some(), "--content-type"),
            (!args.metadata.is_empty(), "--metadata"),
            (!args.tags.is_empty(), "--tags"),
            (args.lease_id.is_some(), "--lease-id"),
            (args.tier.is_some(), "--tier"),
            (args.checksum == Some(Checksum::Crc64), "--checksum crc64"),
        ];
        let refused: Vec<&str> = single.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect();
        if !refused.is_empty() {
            bail!("{} apply to one blob, not to cp -r; nothing was copied", refused.join(", "));
        }
        let mut tree = args.tree.clone();
        if args.no_clobber {
            tree.overwrite = crate::tree::Overwrite::Never;
        }
        let common = crate::tree::Common {
            json: args.json,
            progress: !args.no_progress,
            block_size: args.block_size.unwrap_or(azblob::DEFAULT_BLOCK_SIZE),
            concurrency: args.concurrency,
            md5: args.checksum() == Checksum::Md5,
        };
        let mode = crate::tree::Mode::Copy;
        return crate::tree::run(&args.src, &args.dst, &tree, &common, mode, connection).await;
    }
    let tree_only = args.tree.set_flags();
    if !tree_only.is_empty() {
        bail!("{} apply to cp -r (a whole directory); without -r nothing was copied", tree_only.join(", "));
    }
    let src = Location::parse(&args.src)?;
    let dst = Location::parse(&args.dst)?;
    let started = Instant::now();
    if let (Location::Blob(from), Location::Blob(to)) = (&src, &dst) {
        let mode = crate::copy_remote::Mode::from_flags(args.sync, args.async_copy, args.blocks);
        let blocks = crate::copy_remote::BlockSettings {
            block_size: args.block_size,
            concurrency: args.concurrency,
            resume: args.resume,
        };
        // --no-clobber: the service refuses a destination that exists.
        let mut conditions = if args.no_clobber { Conditions::if_not_exists() } else { Conditions::default() };
        conditions.lease_id = args.lease_id.clone();
        let options = CopyOptions { tags: parse_tags(&args.tags, "--tags ")?, conditions, ..CopyOptions::default() };
        return crate::copy_remote::run(from, to, (mode, blocks), args.json, !args.no_progress, &options, connection)
            .await;
    }
    if !matches!(dst, Location::Blob(_)) && (!args.tags.is_empty() || args.lease_id.is_some()) {
        bail!("--tags and --lease-id apply to a blob being written, not to a download");
    }
    let bar = Bar::new(!args.no_progress, if matches!(dst, Location::Blob(_)) { "upload" } else { "download" });
    let figures = match (&src, &dst) {
        (Location::Blob(from), to) => download(from, to, &args, &bar, connection).await,
        (from, Location::Blob(to)) => upload(from, to, &args, &bar, connection).await,
        _ => bail!("one side of cp must be a blob (az://CONTAINER/BLOB or a blob URL)"),
    };
    bar.finish();
    let figures = figures?;
    let seconds = started.elapsed().as_secs_f64();
    let mb_per_s = if seconds > 0.0 { figures.bytes as f64 / 1e6 / seconds } else { 0.0 };
    if args.json {
        output::json_line(&crate::json::transfer(&figures, seconds, mb_per_s))?;
    } else if !args.no_progress {
        let verified = match figures.verified {
            Some("md5") => "MD5 verified".to_owned(),
            Some("crc64") => "CRC64 verified".to_owned(),
            Some(how) => format!("{how} verified"),
            None => "not verified; --checksum md5 or crc64 checks the content".to_owned(),
        };
        output::note(&format!("copied {} bytes in {seconds:.2} s ({mb_per_s:.1} MB/s), {verified}", figures.bytes));
    }
    Ok(())
}

/// Uploads a local file (or standard input) to a blob.
async fn upload(
    from: &Location,
    to: &BlobLocation,
    args: &CpArgs,
    bar: &Bar,
    cs: &crate::Connection,
) -> Result<Figures> {
    let mut options = upload_options(args, bar)?;
    let client = crate::client_for(to, cs)?;
    let name = upload_name(from, to, args)?;
    let blob = client.blob(&to.container, &name);
    if args.no_clobber {
        // Checked first so nothing is sent in vain; the condition on the
        // commit refuses a blob that appears meanwhile.
        if blob.exists().await? {
            bail!("{} exists; not overwritten (--no-clobber)", args.dst);
        }
        options.blob.conditions = Conditions { lease_id: args.lease_id.clone(), ..Conditions::if_not_exists() };
    }
    let report = match from {
        Location::Local(path) => {
            // Every block upload keeps a checkpoint until it commits, so a
            // later `--resume` can continue it. Without a state directory
            // (no HOME) an upload still works, it just cannot be resumed.
            options.checkpoint = checkpoint_path(path, &blob.url()?)?;
            if options.checkpoint.is_none() && args.resume {
                bail!("--resume needs a state directory: set XDG_STATE_HOME or HOME");
            }
            options.resume = args.resume;
            blob.upload_opts(UploadSource::file(path), &options).await
        }
        Location::Stdio => {
            if args.resume {
                bail!("--resume needs a file source, not stdin");
            }
            blob.upload_opts(UploadSource::reader(tokio::io::stdin()), &options).await
        }
        Location::Blob(_) => unreachable!("blob-to-blob is handled by the caller"),
    };
    let report = match report {
        Err(e) if e.kind() == ErrorKind::AlreadyExists && args.no_clobber => {
            bail!("{} appeared during the upload; not overwritten (--no-clobber)", args.dst)
        }
        other => other?,
    };
    // With a checksum the service checked every block's as it arrived.
    let verified = match args.checksum() {
        Checksum::Md5 => Some("md5"),
        Checksum::Crc64 => Some("crc64"),
        Checksum::None => None,
    };
    Ok(Figures {
        bytes: report.bytes,
        blocks: report.blocks,
        resumed_blocks: report.resumed_blocks,
        verified,
        stats: report.stats,
    })
}

/// The upload's options from the command line: sizes, checksums, progress,
/// and the blob's content type, metadata and tier.
fn upload_options(args: &CpArgs, bar: &Bar) -> Result<UploadOptions> {
    let mut options = UploadOptions {
        block_size: args.block_size.unwrap_or(DEFAULT_BLOCK_SIZE),
        concurrency: args.concurrency.map_or(Concurrency::Adaptive, Concurrency::Fixed),
        blob: PutBlobOptions {
            transactional_md5: args.checksum() == Checksum::Md5,
            transactional_crc64: args.checksum() == Checksum::Crc64,
            ..PutBlobOptions::default()
        },
        blob_md5: args.checksum() == Checksum::Md5,
        progress: Some(bar.sink()),
        ..UploadOptions::default()
    };
    options.blob.content.content_type = args.content_type.clone();
    options.blob.metadata = parse_pairs(&args.metadata, "metadata key", "--metadata ")?;
    if let Some(tier) = &args.tier {
        options.blob.tier = Some(tier.parse()?);
    }
    options.blob.tags = parse_tags(&args.tags, "--tags ")?;
    options.blob.conditions.lease_id = args.lease_id.clone();
    Ok(options)
}

/// The blob name to upload to: `cp report.txt az://c/reports/` writes reports/report.txt, as cp(1)
/// does into a directory, rather than a blob named like a directory.
fn upload_name(from: &Location, to: &BlobLocation, args: &CpArgs) -> Result<String> {
    Ok(match (to.blob.ends_with('/'), from) {
        (false, _) => to.blob.clone(),
        (true, Location::Local(path)) => match path.file_name().and_then(|f| f.to_str()) {
            Some(file) => format!("{}{file}", to.blob),
            None => bail!("{} has no UTF-8 file name to give the blob under {}", path.display(), args.dst),
        },
        (true, _) => bail!("{} ends with '/': name the blob to write standard input to", args.dst),
    })
}

/// Downloads a blob to a local file (or standard output).
async fn download(
    from: &BlobLocation,
    to: &Location,
    args: &CpArgs,
    bar: &Bar,
    cs: &crate::Connection,
) -> Result<Figures> {
    if args.resume {
        bail!("--resume applies to uploads");
    }
    let options = DownloadOptions {
        chunk_size: args.block_size.unwrap_or(DEFAULT_CHUNK_SIZE),
        concurrency: args.concurrency.map_or(Concurrency::Adaptive, Concurrency::Fixed),
        verify_md5: args.checksum() == Checksum::Md5,
        // --md5 is a demand: a blob with nothing to check against fails
        // before a byte is written, rather than passing unchecked.
        require_md5: args.checksum() == Checksum::Md5,
        // So is crc64: a range answered without its CRC64 fails the download.
        verify_crc64: args.checksum() == Checksum::Crc64,
        overwrite: !args.no_clobber,
        progress: Some(bar.sink()),
        ..DownloadOptions::default()
    };
    let client = crate::client_for(from, cs)?;
    let blob = client.blob(&from.container, &from.blob);
    let report = match to {
        Location::Local(path) => {
            // `cp az://c/dir/file.bin ./out/` writes ./out/file.bin, as cp(1) does.
            let path = if path.is_dir() {
                path.join(from.blob.rsplit('/').next().unwrap_or(&from.blob))
            } else {
                path.clone()
            };
            blob.download_to_file_opts(&path, &options).await.map_err(|e| match e.kind() {
                ErrorKind::AlreadyExists => {
                    anyhow::anyhow!("{} exists; not overwritten (--no-clobber)", path.display())
                }
                _ => download_error(e, args.checksum()),
            })?
        }
        Location::Stdio => {
            let mut out = output::Stdout::new();
            match blob.download_to_writer_opts(&mut out, &options).await {
                Ok(report) => report,
                // `| head -c1`: the reader took what it wanted.
                Err(_) if out.reader_gone => return Err(output::ReaderGone.into()),
                Err(e) => return Err(download_error(e, args.checksum())),
            }
        }
        Location::Blob(_) => unreachable!("blob-to-blob is handled by the caller"),
    };
    let verified = if report.crc64_verified { Some("crc64") } else { report.md5_verified.then_some("md5") };
    Ok(Figures { bytes: report.bytes, blocks: report.chunks, resumed_blocks: 0, verified, stats: report.stats })
}

/// Says what --md5 or --checksum could not do in the user's terms.
fn download_error(e: azblob::Error, checksum: Checksum) -> anyhow::Error {
    match (e.kind(), checksum) {
        (ErrorKind::Unverifiable, Checksum::Crc64) => {
            anyhow::anyhow!("--checksum crc64: cannot verify: {}; nothing was written", e)
        }
        (ErrorKind::Unverifiable, _) => {
            anyhow::anyhow!("--md5: cannot verify: the blob has no stored MD5; nothing was written")
        }
        _ => e.into(),
    }
}

/// `$XDG_STATE_HOME/azblob/checkpoints/<hash>.json` (or `~/.local/state/...`),
/// named by the file's absolute path and the blob's URL; `None` without either variable.
fn checkpoint_path(file: &Path, blob_url: &url::Url) -> Result<Option<PathBuf>> {
    let Some(state) = state_dir() else { return Ok(None) };
    let absolute = std::path::absolute(file).with_context(|| format!("cannot resolve {}", file.display()))?;
    let mut hasher = Sha256::new();
    hasher.update(absolute.to_string_lossy().as_bytes());
    hasher.update(b"\n");
    hasher.update(blob_url.as_str().as_bytes());
    let name: String = hasher.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect();
    Ok(Some(state.join("azblob").join("checkpoints").join(format!("{name}.json"))))
}

/// `$XDG_STATE_HOME` (or `~/.local/state`), where checkpoints live; `None`
/// without either variable.
pub(crate) fn state_dir() -> Option<PathBuf> {
    match std::env::var_os("XDG_STATE_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None => std::env::var_os("HOME")
            .filter(|v| !v.is_empty())
            .map(|home| PathBuf::from(home).join(".local").join("state")),
    }
}
