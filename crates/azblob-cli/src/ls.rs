//! `azblob ls az://CONTAINER[/PREFIX]`: list blobs, as directories by `/` unless `--recursive`.

use anyhow::Result;
use azblob::{ListBlobsOptions, ListInclude, ListItem};
use clap::Args;
use futures_util::TryStreamExt;

use crate::{json, output, target};

/// Arguments of `azblob ls`.
#[derive(Debug, Args)]
pub(crate) struct LsArgs {
    /// `az://CONTAINER[/PREFIX]` or a container URL.
    location: String,
    /// List every blob under the prefix instead of one directory level.
    #[arg(long, short = 'r')]
    recursive: bool,
    /// Include previous versions (accounts with versioning).
    #[arg(long)]
    versions: bool,
    /// Include snapshots.
    #[arg(long)]
    snapshots: bool,
    /// Include each blob's index tags (shown as KEY=VALUE after the name).
    #[arg(long)]
    tags: bool,
    /// Print one JSON object per line.
    #[arg(long)]
    json: bool,
}

/// Lists the blobs of a container, optionally under a prefix.
pub(crate) async fn run(args: LsArgs, connection: &crate::Connection) -> Result<()> {
    let (container, prefix) = target::container(&args.location, connection)?;
    let options = ListBlobsOptions {
        prefix: (!prefix.is_empty()).then_some(prefix),
        delimiter: (!args.recursive).then(|| "/".to_owned()),
        include: ListInclude {
            versions: args.versions,
            snapshots: args.snapshots,
            metadata: args.json,
            tags: args.tags,
            ..ListInclude::default()
        },
        ..ListBlobsOptions::default()
    };
    let mut items = container.list_blobs_opts(&options);
    while let Some(item) = items.try_next().await? {
        if args.json {
            output::json_line(&json::list_item(&item))?;
        } else {
            output::line(&human(&item))?;
        }
    }
    Ok(())
}

/// `SIZE  LAST-MODIFIED  NAME [snapshot/version]`, or `DIR  NAME` for a prefix.
fn human(item: &ListItem) -> String {
    match item {
        ListItem::Prefix(p) => format!("{:>12}  {:20}  {p}", "DIR", ""),
        ListItem::Blob(b) => {
            let when = b.last_modified.map(azblob::auth::iso8601).unwrap_or_default();
            let mut line = format!("{:>12}  {when:20}  {}", b.content_length, b.name);
            if let Some(s) = &b.snapshot {
                line.push_str(&format!("  snapshot={s}"));
            }
            if let Some(v) = &b.version_id {
                line.push_str(&format!("  version={v}"));
                if b.is_current_version == Some(true) {
                    line.push_str(" (current)");
                }
            }
            for (k, v) in &b.tags {
                line.push_str(&format!("  {k}={v}"));
            }
            line
        }
    }
}
