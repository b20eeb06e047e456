//! `azblob rm`: delete a blob, a version or snapshots; `--recursive` deletes a directory with Blob Batch.

use anyhow::{bail, Result};
use azblob::{BatchOutcome, BlobSelector, DeleteBlobOptions, DeleteBlobsOptions, DeleteSnapshots, ListBlobsOptions};
use clap::{Args, ValueEnum};
use futures_util::TryStreamExt;
use serde_json::json;

use crate::pairs::lease_conditions;
use crate::{output, target};

/// Arguments of `azblob rm`.
#[derive(Debug, Args)]
pub(crate) struct RmArgs {
    /// `az://CONTAINER/BLOB`, or with `--recursive` `az://CONTAINER[/DIR]`: DIR and everything
    /// under DIR/ (not DIR-old/...).
    location: String,
    /// Delete every blob under the prefix (Blob Batch, 256 per request).
    #[arg(long, short = 'r')]
    recursive: bool,
    /// Delete this version only.
    #[arg(long, conflicts_with = "recursive")]
    version_id: Option<String>,
    /// Also delete the blob's snapshots (`include`), or only them (`only`).
    #[arg(long, value_enum)]
    delete_snapshots: Option<SnapshotsArg>,
    /// The blob's active lease, needed to delete a leased blob.
    #[arg(long, value_name = "ID", conflicts_with = "recursive")]
    lease_id: Option<String>,
    /// Print one JSON object with the counts (and each failure).
    #[arg(long)]
    json: bool,
    /// With --recursive: print the blobs that would be deleted, one a line
    /// (a JSON line each with --json), and delete nothing.
    #[arg(long, requires = "recursive")]
    dry_run: bool,
}

/// `--delete-snapshots` values.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub(crate) enum SnapshotsArg {
    /// The blob and its snapshots.
    Include,
    /// Only the snapshots.
    Only,
}

impl From<SnapshotsArg> for DeleteSnapshots {
    fn from(value: SnapshotsArg) -> Self {
        match value {
            SnapshotsArg::Include => DeleteSnapshots::Include,
            SnapshotsArg::Only => DeleteSnapshots::Only,
        }
    }
}

/// Deletes one blob, or every blob under a prefix with `--recursive`.
pub(crate) async fn run(args: RmArgs, connection: &crate::Connection) -> Result<()> {
    if args.recursive {
        return recursive(args, connection).await;
    }
    let blob = target::blob(&args.location, connection)?;
    let options = DeleteBlobOptions {
        selector: BlobSelector { snapshot: None, version_id: args.version_id.clone() },
        delete_snapshots: args.delete_snapshots.map(Into::into),
        conditions: lease_conditions(args.lease_id.as_deref()),
    };
    blob.delete_opts(&options).await?;
    if args.json {
        output::json_line(&json!({ "deleted": 1, "not_found": 0, "failed": 0, "failures": [] }))?;
    }
    Ok(())
}

/// Deletes every blob under the prefix in batches.
async fn recursive(args: RmArgs, connection: &crate::Connection) -> Result<()> {
    let (container, prefix) = target::container(&args.location, connection)?;
    let options =
        ListBlobsOptions { prefix: (!prefix.is_empty()).then_some(prefix.clone()), ..ListBlobsOptions::default() };
    let names: Vec<String> = container
        .list_blobs_opts(&options)
        .map_ok(|item| item.name().to_owned())
        .try_filter(|name| std::future::ready(in_directory(name, &prefix)))
        .try_collect()
        .await?;
    if args.dry_run {
        // The plan only: nothing below sends a delete.
        for name in &names {
            if args.json {
                output::json_line(&json!({ "action": "delete", "name": name, "status": "planned" }))?;
            } else {
                output::line(name)?;
            }
        }
        return Ok(());
    }
    let options = DeleteBlobsOptions { delete_snapshots: args.delete_snapshots.map(Into::into), ..Default::default() };
    let results = if names.is_empty() { Vec::new() } else { container.delete_blobs_opts(names, &options).await? };
    let (mut deleted, mut not_found, mut failures) = (0, 0, Vec::new());
    for result in &results {
        match &result.outcome {
            BatchOutcome::Done => deleted += 1,
            // Listed, then gone before the delete: someone else deleted it.
            BatchOutcome::NotFound => not_found += 1,
            BatchOutcome::Failed(err) => failures.push((result.name.clone(), err)),
        }
    }
    if args.json {
        let list: Vec<_> = failures
            .iter()
            .map(|(name, err)| json!({ "name": name, "error_code": err.error_code(), "error": err.to_string() }))
            .collect();
        output::json_line(&json!({
            "deleted": deleted,
            "not_found": not_found,
            "failed": failures.len(),
            "failures": list,
        }))?;
    } else {
        for (name, err) in &failures {
            output::note(&format!("azblob: cannot delete {name}: {err}"));
        }
        output::note(&format!("deleted {deleted} blobs ({not_found} already gone, {} failed)", failures.len()));
    }
    if !failures.is_empty() {
        bail!("{} of {} blobs could not be deleted", failures.len(), results.len());
    }
    Ok(())
}

/// Whether `rm --recursive` of `dir` deletes `name`: the blob `dir` itself and
/// everything under `dir/`, as `rm -r dir` would, but not `dir-old/x` or
/// `dirfoo`, which a bare string prefix also matches. A `dir` ending in `/`
/// (or empty: the whole container) is already a directory.
fn in_directory(name: &str, dir: &str) -> bool {
    if dir.is_empty() || dir.ends_with('/') {
        return name.starts_with(dir);
    }
    name == dir || name.strip_prefix(dir).is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::in_directory;

    #[test]
    fn a_recursive_delete_stays_in_its_directory() {
        for name in ["logs", "logs/a", "logs/deep/b"] {
            assert!(in_directory(name, "logs"), "{name}");
        }
        for name in ["logs-old/c", "logsfoo", "log"] {
            assert!(!in_directory(name, "logs"), "{name}");
        }
        assert!(in_directory("logs/a", "logs/"));
        assert!(!in_directory("logs", "logs/"));
        assert!(in_directory("anything", ""));
    }
}
