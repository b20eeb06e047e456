//! `azblob cp az://C1/B1 az://C2/B2`: a server-side copy, synchronous up to
//! 256 MiB, in parallel server-side blocks above, or the service's own
//! asynchronous copy when asked.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use azblob::{
    BlockCopyOptions, Concurrency, CopyOptions, CopySource, CopyStatus, WaitOptions, DEFAULT_COPY_BLOCK_SIZE,
    MAX_SYNC_COPY_BYTES,
};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::location::BlobLocation;
use crate::output;

/// How long an asynchronous copy may run before `cp` gives up waiting (the copy goes on).
const ASYNC_COPY_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Which copy operation to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Copy Blob From URL if the source is at most 256 MiB, else a block copy.
    Auto,
    /// Copy Blob From URL.
    Sync,
    /// Copy Blob, polled until done.
    Async,
    /// Put Block From URL in parallel blocks, then Put Block List.
    Blocks,
}

impl Mode {
    /// The mode the flags ask for; no flag lets the size decide.
    pub(crate) fn from_flags(sync: bool, async_copy: bool, blocks: bool) -> Mode {
        match (sync, async_copy, blocks) {
            (true, _, _) => Mode::Sync,
            (_, true, _) => Mode::Async,
            (_, _, true) => Mode::Blocks,
            _ => Mode::Auto,
        }
    }
}

impl Mode {
    /// How `--json` names the mode.
    fn name(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Sync => "sync",
            Mode::Async => "async",
            Mode::Blocks => "blocks",
        }
    }
}

/// The command line's settings of a block copy.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BlockSettings {
    /// `--block-size`; 128 MiB without it.
    pub(crate) block_size: Option<u64>,
    /// `--concurrency`; adaptive without it.
    pub(crate) concurrency: Option<usize>,
    /// `--resume`: continue from the checkpoint of an interrupted copy.
    pub(crate) resume: bool,
}

/// Copies one blob to another on the service side, in the mode asked for.
pub(crate) async fn run(
    from: &BlobLocation,
    to: &BlobLocation,
    (mode, settings): (Mode, BlockSettings),
    json_output: bool,
    progress: bool,
    options: &CopyOptions,
    connection: &crate::Connection,
) -> Result<()> {
    let no_clobber = options.conditions.if_none_match.as_ref().is_some_and(|e| e.0 == "*");
    let source = crate::client_for(from, connection)?.blob(&from.container, &from.blob);
    // Into a "directory" (`az://c/dir/`) the copy keeps the source's name, as cp does.
    let name = if to.blob.ends_with('/') {
        format!("{}{}", to.blob, from.blob.rsplit('/').next().unwrap_or(&from.blob))
    } else {
        to.blob.clone()
    };
    let target = crate::client_for(to, connection)?.blob(&to.container, &name);
    // A copy onto itself rewrites the blob from itself and replaces its
    // metadata with the copy's (none): data unchanged, properties lost.
    // Refused before anything is sent, however the two were spelt.
    if source.url()? == target.url()? {
        bail!("the source and the destination are the same blob (az://{}/{name}); nothing copied", to.container);
    }
    let started = Instant::now();
    let props = source.properties().await?;
    let size = props.content_length;
    let mode = match mode {
        Mode::Auto if size <= MAX_SYNC_COPY_BYTES => Mode::Sync,
        Mode::Auto => Mode::Blocks,
        other => other,
    };
    if settings.resume && mode != Mode::Blocks {
        bail!("--resume applies to uploads and block copies; this copy is {} (--blocks makes it one)", mode.name());
    }
    let copy_source = copy_source(from, &source)?;
    if mode == Mode::Blocks {
        let display = format!("az://{}/{name}", to.container);
        if no_clobber && target.exists().await? {
            // Checked first so nothing is staged in vain; the condition on
            // the commit refuses a blob that appears meanwhile.
            bail!("{display} exists; not overwritten (--no-clobber)");
        }
        let copied = block_copy((&source, &target), &copy_source, props, settings, options, progress && !json_output);
        let report = match copied.await {
            Err(e)
                if no_clobber
                    && e.downcast_ref::<azblob::Error>()
                        .is_some_and(|e| e.kind() == azblob::ErrorKind::AlreadyExists) =>
            {
                bail!("{display} appeared during the copy; not overwritten (--no-clobber)")
            }
            other => other?,
        };
        let seconds = started.elapsed().as_secs_f64();
        if json_output {
            output::json_line(&json!({
                "bytes": size,
                "seconds": seconds,
                "mode": "blocks",
                "blocks": report.blocks,
                "resumed_blocks": report.resumed_blocks,
            }))?;
        } else if progress {
            output::note(&format!(
                "copied {size} bytes server-side in {} blocks ({} already staged) in {seconds:.2} s",
                report.blocks, report.resumed_blocks
            ));
        }
        return Ok(());
    }
    let sync = mode == Mode::Sync;
    let started_copy = if sync {
        target.copy_from_url_opts(&copy_source, options).await.map(|c| (c.copy_id, None))
    } else {
        target.start_copy_opts(&copy_source, options).await.map(|c| (c.copy_id().to_owned(), Some(c)))
    };
    let (copy_id, pending) = match started_copy {
        // The service answers If-None-Match: * with 409 or 412 depending on the operation.
        Err(e)
            if no_clobber
                && matches!(e.kind(), azblob::ErrorKind::AlreadyExists | azblob::ErrorKind::PreconditionFailed) =>
        {
            anyhow::bail!("az://{}/{name} exists; not overwritten (--no-clobber)", to.container)
        }
        other => other?,
    };
    let copy_id = match pending {
        Some(copy) => wait_for(copy, progress && !json_output).await?,
        None => copy_id,
    };
    let seconds = started.elapsed().as_secs_f64();
    if json_output {
        output::json_line(&json!({
            "bytes": size,
            "seconds": seconds,
            "mode": if sync { "sync" } else { "async" },
            "copy_id": copy_id,
        }))?;
    } else if progress {
        output::note(&format!("copied {size} bytes server-side in {seconds:.2} s"));
    }
    Ok(())
}

/// Copies in parallel server-side blocks, with a checkpoint in the state
/// directory (named by the source and the destination) until the commit.
async fn block_copy(
    (source, target): (&azblob::BlobClient, &azblob::BlobClient),
    copy_source: &CopySource,
    props: azblob::BlobProperties,
    settings: BlockSettings,
    copy: &CopyOptions,
    show: bool,
) -> Result<azblob::UploadReport> {
    let (source_url, target_url) = (source.url()?, target.url()?);
    let checkpoint = crate::cp::state_dir().map(|state| {
        // Named by the source and the destination, as an upload's by its
        // file and blob: a source changed since is then refused by name.
        let mut hasher = Sha256::new();
        hasher.update(b"copy\n");
        hasher.update(source_url.as_str().as_bytes());
        hasher.update(b"\n");
        hasher.update(target_url.as_str().as_bytes());
        let name: String = hasher.finalize()[..16].iter().map(|b| format!("{b:02x}")).collect();
        state.join("azblob").join("checkpoints").join(format!("copy-{name}.json"))
    });
    if checkpoint.is_none() && settings.resume {
        bail!("--resume needs a state directory: set XDG_STATE_HOME or HOME");
    }
    let bar = crate::progress::Bar::new(show, "copy");
    let mut options = BlockCopyOptions {
        block_size: settings.block_size.unwrap_or(DEFAULT_COPY_BLOCK_SIZE),
        concurrency: settings.concurrency.map_or(Concurrency::Adaptive, Concurrency::Fixed),
        source_properties: Some(props),
        progress: Some(bar.sink()),
        checkpoint,
        resume: settings.resume,
        ..BlockCopyOptions::default()
    };
    // The copy's settings (--no-clobber, --lease-id, --tags) go to the
    // commit; the source's content headers and metadata stay unless given.
    options.blob.conditions = copy.conditions.clone();
    options.blob.tags = copy.tags.clone();
    options.blob.tier = copy.tier.clone();
    if !copy.metadata.is_empty() {
        options.blob.metadata = copy.metadata.clone();
    }
    let report = target.copy_blocks_from_url_opts(copy_source, &options).await;
    bar.finish();
    Ok(report?)
}

/// What the destination copies from. A SAS written in the source URL is
/// the user's to pass on: it goes to the destination as part of the URL.
/// Otherwise the source client authorizes the read, and the library passes
/// its credential on only where that credential belongs.
fn copy_source(from: &BlobLocation, source: &azblob::BlobClient) -> Result<CopySource> {
    Ok(match &from.sas {
        Some(sas) => {
            let mut url = source.url()?;
            url.set_query(Some(sas.expose()));
            CopySource::Url(url)
        }
        None => CopySource::blob(source),
    })
}

/// Polls an asynchronous copy to its end, drawing its progress if `show`;
/// the copy's id if it succeeded.
async fn wait_for(mut copy: azblob::CopyOperation, show: bool) -> Result<String> {
    let on_progress = move |state: &azblob::CopyState| {
        if let (true, Some((done, total))) = (show, state.progress) {
            output::progress(&format!("copy {}: {done}/{total} bytes", state.status), done, total);
        }
    };
    let wait = WaitOptions {
        timeout: Some(ASYNC_COPY_TIMEOUT),
        on_progress: Some(std::sync::Arc::new(on_progress)),
        ..WaitOptions::default()
    };
    let state = copy.wait_opts(&wait).await?;
    if show {
        output::progress_done();
    }
    if state.status != CopyStatus::Success {
        let why = state.status_description.unwrap_or_default();
        bail!("the copy ended {}: {why}", state.status);
    }
    Ok(state.id)
}
