//! `azblob cp az://C1/B1 az://C2/B2`: a server-side copy, synchronous when small, else asynchronous.

use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use azblob::{CopyOptions, CopySource, CopyStatus, WaitOptions, MAX_SYNC_COPY_BYTES};
use serde_json::json;

use crate::location::BlobLocation;
use crate::output;

/// How long an asynchronous copy may run before `cp` gives up waiting (the copy goes on).
const ASYNC_COPY_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Which copy operation to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Copy Blob From URL if the source is at most 256 MiB, else Copy Blob.
    Auto,
    /// Copy Blob From URL.
    Sync,
    /// Copy Blob, polled until done.
    Async,
}

impl Mode {
    /// The mode the flags ask for; neither flag lets the size decide.
    pub(crate) fn from_flags(sync: bool, async_copy: bool) -> Mode {
        match (sync, async_copy) {
            (true, _) => Mode::Sync,
            (_, true) => Mode::Async,
            _ => Mode::Auto,
        }
    }
}

/// Copies one blob to another on the service side, in the mode asked for.
pub(crate) async fn run(
    from: &BlobLocation,
    to: &BlobLocation,
    mode: Mode,
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
    let size = source.properties().await?.content_length;
    let sync = match mode {
        Mode::Sync => true,
        Mode::Async => false,
        Mode::Auto => size <= MAX_SYNC_COPY_BYTES,
    };
    let copy_source = copy_source(from, &source)?;
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
