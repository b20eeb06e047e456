//! `azblob lease acquire|renew|change|release|break az://C/B`: a blob's lease.

use std::time::Duration;

use anyhow::{bail, Result};
use azblob::{AcquireLeaseOptions, BreakLeaseOptions, LeaseDuration};
use clap::{Args, Subcommand};
use serde_json::json;

use crate::{output, target};

/// Arguments of `azblob lease`.
#[derive(Debug, Args)]
pub(crate) struct LeaseArgs {
    #[command(subcommand)]
    action: LeaseAction,
}

/// The lease actions.
#[derive(Debug, Subcommand)]
enum LeaseAction {
    /// Take the blob's lease and print its id; writes then need `--lease-id ID`.
    Acquire {
        /// `az://CONTAINER/BLOB` or a blob URL.
        blob: String,
        /// 15 to 60 seconds, or `infinite` (until released or broken). The
        /// default, 60, ends by itself if it is forgotten.
        #[arg(long, value_name = "SECS", default_value = "60", value_parser = parse_duration)]
        duration: LeaseDuration,
        /// The lease id to ask for (a GUID); the service picks one otherwise.
        #[arg(long, value_name = "ID")]
        lease_id: Option<String>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Restart the lease's duration.
    Renew(WithId),
    /// Give the lease a new id.
    Change {
        #[command(flatten)]
        lease: WithId,
        /// The new lease id (a GUID).
        #[arg(long, value_name = "ID")]
        proposed_lease_id: String,
    },
    /// End the lease at once.
    Release(WithId),
    /// End the lease without its id; prints the seconds until it is broken.
    Break {
        /// `az://CONTAINER/BLOB` or a blob URL.
        blob: String,
        /// Seconds (0 to 60) the lease goes on; by default a fixed lease runs
        /// out and an infinite one ends at once.
        #[arg(long, value_name = "SECS")]
        break_period: Option<u32>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
}

/// The blob and the lease id an action on an existing lease needs.
#[derive(Debug, Args)]
struct WithId {
    /// `az://CONTAINER/BLOB` or a blob URL.
    blob: String,
    /// The lease's id.
    #[arg(long, value_name = "ID")]
    lease_id: String,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// `15`..`60` or `infinite` (also `-1`, as the service writes it).
fn parse_duration(text: &str) -> Result<LeaseDuration, String> {
    match text {
        "infinite" | "-1" => Ok(LeaseDuration::Infinite),
        _ => match text.parse::<u32>() {
            Ok(secs) if (azblob::MIN_LEASE_SECS..=azblob::MAX_LEASE_SECS).contains(&secs) => {
                Ok(LeaseDuration::Seconds(secs))
            }
            _ => Err(format!("a lease lasts 15 to 60 seconds or is `infinite`, not {text:?}")),
        },
    }
}

/// Runs one lease action.
pub(crate) async fn run(args: LeaseArgs, connection: &crate::Connection) -> Result<()> {
    match args.action {
        LeaseAction::Acquire { blob, duration, lease_id, json } => {
            let blob = target::blob(&blob, connection)?;
            let options = AcquireLeaseOptions { proposed_lease_id: lease_id, ..Default::default() };
            let granted = blob.acquire_lease_opts(duration, &options).await?;
            let seconds = duration.as_duration().map(|d| d.as_secs());
            print_id(&granted.lease_id, json, json!({ "lease_id": granted.lease_id, "duration": seconds }))
        }
        LeaseAction::Renew(l) => {
            let granted = target::blob(&l.blob, connection)?.renew_lease(&l.lease_id).await?;
            print_id(&granted.lease_id, l.json, json!({ "lease_id": granted.lease_id }))
        }
        LeaseAction::Change { lease: l, proposed_lease_id } => {
            let granted = target::blob(&l.blob, connection)?.change_lease(&l.lease_id, &proposed_lease_id).await?;
            print_id(&granted.lease_id, l.json, json!({ "lease_id": granted.lease_id }))
        }
        LeaseAction::Release(l) => {
            target::blob(&l.blob, connection)?.release_lease(&l.lease_id).await?;
            if l.json {
                output::json_line(&json!({ "released": l.lease_id }))?;
            }
            Ok(())
        }
        LeaseAction::Break { blob, break_period, json } => {
            if break_period.is_some_and(|p| p > azblob::MAX_BREAK_PERIOD_SECS) {
                bail!("--break-period is 0 to {} seconds", azblob::MAX_BREAK_PERIOD_SECS);
            }
            let blob = target::blob(&blob, connection)?;
            let options = BreakLeaseOptions { break_period, ..Default::default() };
            let left: Duration = blob.break_lease_opts(&options).await?;
            if json {
                output::json_line(&json!({ "break_seconds": left.as_secs() }))
            } else {
                output::line(&left.as_secs().to_string())
            }
        }
    }
}

/// Prints the lease id, alone on its line or in `value`.
fn print_id(id: &str, json: bool, value: serde_json::Value) -> Result<()> {
    if json {
        output::json_line(&value)
    } else {
        output::line(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_15_to_60_seconds_or_infinite() {
        assert_eq!(parse_duration("15"), Ok(LeaseDuration::Seconds(15)));
        assert_eq!(parse_duration("60"), Ok(LeaseDuration::Seconds(60)));
        assert_eq!(parse_duration("infinite"), Ok(LeaseDuration::Infinite));
        assert_eq!(parse_duration("-1"), Ok(LeaseDuration::Infinite));
        for bad in ["14", "61", "0", "", "1m", "-2"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
    }
}
