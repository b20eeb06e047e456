//! `azblob tag az://C/B [KEY=VALUE ...]`: print a blob's index tags, or replace them.

use anyhow::Result;
use azblob::{GetTagsOptions, SetTagsOptions, Tags};
use clap::Args;

use crate::pairs::{lease_conditions, parse_pairs};
use crate::{json, output, target};

/// Arguments of `azblob tag`.
#[derive(Debug, Args)]
pub(crate) struct TagArgs {
    /// `az://CONTAINER/BLOB` or a blob URL.
    blob: String,
    /// New tags; they replace all of the blob's tags (at most 10; keys of 1
    /// to 128 and values of up to 256 letters, digits, spaces and + - . / : = _).
    /// Without pairs, the tags are printed.
    #[arg(value_name = "KEY=VALUE")]
    pairs: Vec<String>,
    /// Remove all of the blob's tags.
    #[arg(long, conflicts_with = "pairs")]
    clear: bool,
    /// The blob's active lease, if it has one.
    #[arg(long, value_name = "ID")]
    lease_id: Option<String>,
    /// Print the tags as one JSON object.
    #[arg(long)]
    json: bool,
}

/// Tags from `KEY=VALUE` arguments ([`parse_pairs`]); the library checks
/// them as the service does before anything is sent.
pub(crate) fn parse_tags(pairs: &[String], flag: &str) -> Result<Tags> {
    parse_pairs(pairs, "tag", flag)
}

/// Shows or replaces a blob's index tags.
pub(crate) async fn run(args: TagArgs, connection: &crate::Connection) -> Result<()> {
    let blob = target::blob(&args.blob, connection)?;
    let conditions = lease_conditions(args.lease_id.as_deref());
    let replace = args.clear || !args.pairs.is_empty();
    let tags = if replace {
        let tags = parse_tags(&args.pairs, "")?;
        blob.set_tags_opts(&tags, &SetTagsOptions { conditions, ..SetTagsOptions::default() }).await?;
        tags
    } else {
        blob.get_tags_opts(&GetTagsOptions { conditions, ..GetTagsOptions::default() }).await?
    };
    if args.json {
        output::json_line(&json::tags(&tags))?;
    } else if !replace {
        for (k, v) in &tags {
            output::line(&output::printable(&format!("{k}={v}")))?;
        }
    }
    Ok(())
}
