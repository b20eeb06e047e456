//! `azblob tier az://C/B TIER`: set a blob's access tier.

use anyhow::Result;
use azblob::{AccessTier, BlobSelector, RehydratePriority, SetTierOptions};
use clap::{Args, ValueEnum};

use serde_json::json;

use crate::pairs::lease_conditions;
use crate::{output, target};

/// Arguments of `azblob tier`.
#[derive(Debug, Args)]
pub(crate) struct TierArgs {
    /// `az://CONTAINER/BLOB` or a blob URL.
    blob: String,
    /// Hot, Cool, Cold or Archive.
    tier: String,
    /// How fast to bring an archived blob back.
    #[arg(long, value_enum)]
    rehydrate_priority: Option<PriorityArg>,
    /// Re-tier this version instead of the current blob.
    #[arg(long)]
    version_id: Option<String>,
    /// The blob's active lease, if it has one.
    #[arg(long, value_name = "ID")]
    lease_id: Option<String>,
    /// Print one JSON object with the tier asked for.
    #[arg(long)]
    json: bool,
}

/// `--rehydrate-priority` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum PriorityArg {
    /// Up to 15 hours.
    Standard,
    /// Under an hour for most blobs.
    High,
}

/// Sets the access tier of one blob.
pub(crate) async fn run(args: TierArgs, connection: &crate::Connection) -> Result<()> {
    let tier: AccessTier = args.tier.parse()?;
    let blob = target::blob(&args.blob, connection)?;
    let options = SetTierOptions {
        selector: BlobSelector { snapshot: None, version_id: args.version_id },
        rehydrate_priority: args.rehydrate_priority.map(|p| match p {
            PriorityArg::Standard => RehydratePriority::Standard,
            PriorityArg::High => RehydratePriority::High,
        }),
        conditions: lease_conditions(args.lease_id.as_deref()),
    };
    blob.set_tier_opts(&tier, &options).await?;
    if args.json {
        output::json_line(&json!({
            "container": blob.container_name(),
            "name": blob.name(),
            "version_id": options.selector.version_id,
            "tier": tier.as_str(),
        }))?;
    }
    Ok(())
}
