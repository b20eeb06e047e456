//! `azblob cat az://C/B`: write a blob (or a byte range of it) to stdout as it streams in.

use anyhow::{Context, Result};
use azblob::{BlobRange, BlobSelector, GetOptions};
use clap::Args;
use futures_util::TryStreamExt;
use tokio::io::AsyncWriteExt;

use crate::{output, target};

/// Arguments of `azblob cat`.
#[derive(Debug, Args)]
pub(crate) struct CatArgs {
    /// `az://CONTAINER/BLOB` or a blob URL.
    blob: String,
    /// Bytes `START-END` (offsets, END inclusive as in HTTP ranges) or `START-` to the end.
    #[arg(long, value_name = "START-END")]
    range: Option<String>,
    /// A version of the blob instead of the current one.
    #[arg(long)]
    version_id: Option<String>,
}

/// Streams the blob to standard output.
pub(crate) async fn run(args: CatArgs, connection: &crate::Connection) -> Result<()> {
    let blob = target::blob(&args.blob, connection)?;
    let options = GetOptions {
        range: args.range.as_deref().map(parse_range).transpose()?,
        selector: BlobSelector { snapshot: None, version_id: args.version_id },
        ..GetOptions::default()
    };
    let response = blob.get_opts(&options).await?;
    // A server that ignored the range would print other bytes as the range.
    if let Some(range) = options.range {
        response.head.check_range(range)?;
    }
    let mut out = tokio::io::stdout();
    let mut body = response.body;
    while let Some(chunk) = body.try_next().await? {
        out.write_all(&chunk).await.map_err(output::stdout_error)?;
    }
    out.flush().await.map_err(output::stdout_error)?;
    Ok(())
}

/// Parses `START-END` (inclusive) or `START-`.
pub(crate) fn parse_range(text: &str) -> Result<BlobRange> {
    let (start, end) = text.split_once('-').with_context(|| format!("--range {text:?} is not START-END"))?;
    let start: u64 = start.trim().parse().with_context(|| format!("--range {text:?}: START is not a number"))?;
    if end.trim().is_empty() {
        return Ok(BlobRange::from_offset(start));
    }
    let end: u64 = end.trim().parse().with_context(|| format!("--range {text:?}: END is not a number"))?;
    Ok(BlobRange::inclusive(start, end)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("0-9").unwrap(), BlobRange::new(0, 10));
        assert_eq!(parse_range("5-").unwrap(), BlobRange::from_offset(5));
        // The largest END is past any blob's end: it reads to the end.
        assert_eq!(parse_range("0-18446744073709551615").unwrap(), BlobRange::from_offset(0));
        assert!(parse_range("0-18446744073709551616").is_err(), "past u64 is not a number");
        for bad in ["", "5", "a-b", "9-3", "-5"] {
            assert!(parse_range(bad).is_err(), "{bad}");
        }
    }
}
