//! `azblob cp SRC DST`: upload or download one blob.

use std::time::Instant;

use anyhow::{bail, Context, Result};
use azblob::{ContentHeaders, PutBlobOptions};
use bytes::Bytes;
use clap::Args;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::location::{BlobLocation, Location};
use crate::output;

/// Arguments of `azblob cp`.
#[derive(Debug, Args)]
pub(crate) struct CpArgs {
    /// Source: a local path, `-` for stdin, `az://CONTAINER/BLOB` or a blob URL.
    src: String,
    /// Destination: a local path, `-` for stdout, `az://CONTAINER/BLOB` or a blob URL.
    dst: String,
    /// Content type stored with an uploaded blob.
    #[arg(long)]
    content_type: Option<String>,
    /// Metadata `KEY=VALUE` stored with an uploaded blob (repeatable).
    #[arg(long = "metadata", value_name = "KEY=VALUE")]
    metadata: Vec<String>,
    /// Access tier of an uploaded blob (Hot, Cool, Cold, Archive).
    #[arg(long)]
    tier: Option<String>,
    /// Print one JSON line with the transfer's figures at the end.
    #[arg(long)]
    json: bool,
    /// Do not show progress.
    #[arg(long)]
    no_progress: bool,
}

pub(crate) async fn run(args: CpArgs, connection: &crate::Connection) -> Result<()> {
    let src = Location::parse(&args.src)?;
    let dst = Location::parse(&args.dst)?;
    let started = Instant::now();
    let bytes = match (&src, &dst) {
        (Location::Blob(_), Location::Blob(_)) => bail!("server-side copies between blobs are not supported yet"),
        (Location::Blob(from), to) => download(from, to, connection).await?,
        (from, Location::Blob(to)) => upload(from, to, &args, connection).await?,
        _ => bail!("one side of cp must be a blob (az://CONTAINER/BLOB or a blob URL)"),
    };
    let seconds = started.elapsed().as_secs_f64();
    let mb_per_s = if seconds > 0.0 { bytes as f64 / 1e6 / seconds } else { 0.0 };
    if args.json {
        output::json_line(&serde_json::json!({
            "bytes": bytes,
            "seconds": seconds,
            "mb_per_s": mb_per_s,
            "blocks": 0,
            "resumed_blocks": 0,
        }))?;
    } else if !args.no_progress {
        output::note(&format!("copied {bytes} bytes in {seconds:.2} s ({mb_per_s:.1} MB/s)"));
    }
    Ok(())
}

async fn upload(from: &Location, to: &BlobLocation, args: &CpArgs, cs: &crate::Connection) -> Result<u64> {
    let data: Bytes = match from {
        Location::Local(path) => {
            tokio::fs::read(path).await.with_context(|| format!("cannot read {}", path.display()))?.into()
        }
        Location::Stdio => {
            let mut buf = Vec::new();
            tokio::io::stdin().read_to_end(&mut buf).await.context("cannot read stdin")?;
            buf.into()
        }
        Location::Blob(_) => unreachable!("blob-to-blob is handled by the caller"),
    };
    let mut options = PutBlobOptions {
        content: ContentHeaders { content_type: args.content_type.clone(), ..ContentHeaders::default() },
        ..PutBlobOptions::default()
    };
    for pair in &args.metadata {
        let (k, v) = pair.split_once('=').with_context(|| format!("--metadata {pair:?} is not KEY=VALUE"))?;
        options.metadata.insert(k.to_owned(), v.to_owned());
    }
    if let Some(tier) = &args.tier {
        options.tier = Some(tier.parse()?);
    }
    let len = data.len() as u64;
    let client = crate::client_for(to, cs)?;
    client.blob(&to.container, &to.blob).put_with(data, &options).await?;
    Ok(len)
}

async fn download(from: &BlobLocation, to: &Location, cs: &crate::Connection) -> Result<u64> {
    let client = crate::client_for(from, cs)?;
    let data = client.blob(&from.container, &from.blob).download().await?;
    match to {
        Location::Local(path) => {
            // Write to a temporary name and rename, so a failure never leaves
            // a truncated file under the final name.
            let tmp = path.with_extension("azblob-partial");
            tokio::fs::write(&tmp, &data).await.with_context(|| format!("cannot write {}", tmp.display()))?;
            tokio::fs::rename(&tmp, path).await.with_context(|| format!("cannot write {}", path.display()))?;
        }
        Location::Stdio => {
            let mut out = tokio::io::stdout();
            out.write_all(&data).await?;
            out.flush().await?;
        }
        Location::Blob(_) => unreachable!("blob-to-blob is handled by the caller"),
    }
    Ok(data.len() as u64)
}
