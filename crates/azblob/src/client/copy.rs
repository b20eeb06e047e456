//! Server-side copies: where a copy reads from, and the poller of an asynchronous copy.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use url::Url;

use super::BlobClient;
use crate::auth::{Credential, Sas, STORAGE_SCOPE};
use crate::error::{Error, ErrorKind, Result};
use crate::ops::blob_properties::BlobSelector;
use crate::ops::conditions::Conditions;
use crate::ops::copy_blob::build_abort_copy_request;
use crate::ops::copy_state::{CopyState, CopyStatus};
use crate::ops::names;
use crate::redact::RedactedUrl;

/// How long the read SAS generated for a synchronous copy's source lives.
const SYNC_SOURCE_SAS_LIFETIME: Duration = Duration::from_secs(15 * 60);
/// How long the read SAS of an asynchronous copy's source lives: the service
/// reads the source for as long as the copy runs, which can be hours.
const ASYNC_SOURCE_SAS_LIFETIME: Duration = Duration::from_secs(24 * 3600);
/// How far back a generated SAS starts, to tolerate clock skew.
const SAS_CLOCK_SKEW: Duration = Duration::from_secs(5 * 60);

/// What a copy reads: a blob (or one of its snapshots or versions) known to
/// this library, or any URL the service can read.
///
/// `Debug` prints a URL source with its SAS signature redacted.
#[derive(Clone)]
pub enum CopySource {
    /// A blob, authorized with its client's credential: Shared Key clients
    /// generate a short-lived read SAS, SAS clients append their token, token
    /// clients pass a bearer token (synchronous copies only).
    Blob {
        /// The source blob.
        blob: BlobClient,
        /// A snapshot or version of it, or the current blob.
        selector: BlobSelector,
    },
    /// A URL that already authorizes the read (public, or carrying a SAS).
    Url(Url),
}

impl CopySource {
    /// The current version of `blob`.
    pub fn blob(blob: &BlobClient) -> Self {
        CopySource::Blob { blob: blob.clone(), selector: BlobSelector::default() }
    }

    /// A snapshot of `blob`.
    pub fn snapshot(blob: &BlobClient, snapshot: impl Into<String>) -> Self {
        CopySource::Blob { blob: blob.clone(), selector: BlobSelector::snapshot(snapshot) }
    }

    /// A version of `blob`.
    pub fn version(blob: &BlobClient, version_id: impl Into<String>) -> Self {
        CopySource::Blob { blob: blob.clone(), selector: BlobSelector::version(version_id) }
    }

    /// The source URL with its authorization, and a bearer token for
    /// `x-ms-copy-source-authorization` when the source client uses tokens.
    ///
    /// `destination` is the URL the copy request goes to: it receives the
    /// source's authorization, so the source client's SAS or token is only
    /// passed on where that client's [`CredentialScope`](crate::auth::CredentialScope)
    /// would send it itself. A Shared Key client hands out a fresh read-only
    /// SAS for the one blob instead of its key, to any destination: that is
    /// what the caller asked the destination to read.
    pub(crate) async fn resolve(&self, sync: bool, destination: &Url) -> Result<(Url, Option<String>)> {
        let (blob, selector) = match self {
            CopySource::Url(url) => return Ok((url.clone(), None)),
            CopySource::Blob { blob, selector } => (blob, selector),
        };
        let service = blob.service();
        let passed_on = match service.credential() {
            credential @ Credential::Sas(_) => Some(credential),
            credential @ Credential::Token(_) if sync => Some(credential),
            _ => None,
        };
        if let Some(credential) = passed_on {
            service.scope().check(credential, destination).map_err(|err| {
                err.context("the copy source's credential stays with its account; pass a source URL with its own SAS")
            })?;
        }
        let mut url = names::blob_url(service.endpoint(), blob.container_name(), blob.name())?;
        selector.apply_to_url(&mut url)?;
        match service.credential() {
            Credential::SharedKey(key) => {
                let now = SystemTime::now();
                let lifetime = if sync { SYNC_SOURCE_SAS_LIFETIME } else { ASYNC_SOURCE_SAS_LIFETIME };
                let mut sas =
                    Sas::blob(blob.container_name(), blob.name(), "r", now + lifetime).start(now - SAS_CLOCK_SKEW);
                // A snapshot or version is granted on its own (`sr=bs`/`bv`), as documented.
                if let Some(snapshot) = &selector.snapshot {
                    sas = sas.snapshot(snapshot.clone());
                }
                if let Some(version_id) = &selector.version_id {
                    sas = sas.blob_version(version_id.clone());
                }
                let sas = sas.sign(key)?;
                url.query_pairs_mut().extend_pairs(sas.pairs());
                Ok((url, None))
            }
            Credential::Sas(token) => {
                token.apply(&mut url);
                Ok((url, None))
            }
            // Only Copy Blob From URL takes a token for its source; an
            // asynchronous copy in the same account is authorized by the
            // destination request itself.
            Credential::Token(source) if sync => {
                let token = source.get_token(&[STORAGE_SCOPE]).await?;
                Ok((url, Some(token.token.expose().to_owned())))
            }
            Credential::Token(_) | Credential::Anonymous => Ok((url, None)),
        }
    }
}

impl fmt::Debug for CopySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CopySource::Blob { blob, selector } => {
                f.debug_struct("Blob").field("blob", blob).field("selector", selector).finish()
            }
            // A URL source usually carries a SAS, which authorizes reads on its own.
            CopySource::Url(url) => f.debug_tuple("Url").field(&RedactedUrl(url)).finish(),
        }
    }
}

/// What [`WaitOptions::on_progress`] calls after each poll.
type OnCopyProgress = Arc<dyn Fn(&CopyState) + Send + Sync>;

/// Options of [`CopyOperation::wait_opts`]: how long to wait, how often to
/// poll, and what to call after each poll.
#[derive(Clone)]
pub struct WaitOptions {
    /// How long to wait before failing with [`ErrorKind::Timeout`] (the copy
    /// itself goes on); `None` waits until the copy stops.
    pub timeout: Option<Duration>,
    /// The first pause between two polls (default 500 ms, at least 1 ms); it
    /// doubles after each poll.
    pub poll_interval: Duration,
    /// The longest pause between two polls (default 5 s, at least 100 ms):
    /// with no pause, a copy that takes hours would poll the service as fast
    /// as it answers.
    pub max_poll_interval: Duration,
    /// Called with the state after every poll.
    pub on_progress: Option<OnCopyProgress>,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: None,
            poll_interval: Duration::from_millis(500),
            max_poll_interval: Duration::from_secs(5),
            on_progress: None,
        }
    }
}

impl fmt::Debug for WaitOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WaitOptions")
            .field("timeout", &self.timeout)
            .field("poll_interval", &self.poll_interval)
            .field("max_poll_interval", &self.max_poll_interval)
            .field("on_progress", &self.on_progress.as_ref().map(|_| "Fn(&CopyState)"))
            .finish()
    }
}

impl WaitOptions {
    /// The first and longest pauses, raised to their minimums.
    fn pauses(&self) -> (Duration, Duration) {
        let first = self.poll_interval.max(MIN_FIRST_POLL);
        (first, self.max_poll_interval.max(MIN_LONGEST_POLL).max(first))
    }
}

/// An asynchronous copy in progress: poll it, wait for it, or abort it.
#[derive(Debug)]
pub struct CopyOperation {
    blob: BlobClient,
    copy_id: String,
    last: CopyState,
    /// The destination's lease id the copy was started with, which
    /// [`abort`](Self::abort) sends again: the service refuses to abort a
    /// copy into a leased blob without it.
    lease_id: Option<String>,
}

/// The shortest first pause between polls of a copy (it then doubles).
const MIN_FIRST_POLL: Duration = Duration::from_millis(1);
/// The shortest longest pause between polls of a copy.
const MIN_LONGEST_POLL: Duration = Duration::from_millis(100);

impl CopyOperation {
    pub(crate) fn new(blob: BlobClient, copy_id: String, status: CopyStatus, lease_id: Option<String>) -> Self {
        let last = CopyState {
            id: copy_id.clone(),
            status,
            progress: None,
            source: None,
            status_description: None,
            completed_on: None,
        };
        CopyOperation { blob, copy_id, last, lease_id }
    }

    /// The copy's id.
    pub fn copy_id(&self) -> &str {
        &self.copy_id
    }

    /// The destination blob.
    pub fn blob(&self) -> &BlobClient {
        &self.blob
    }

    /// The state seen by the last poll (or the start).
    pub fn last_state(&self) -> &CopyState {
        &self.last
    }

    /// Asks the service where the copy stands (one
    /// [Get Blob Properties](https://learn.microsoft.com/rest/api/storageservices/get-blob-properties)).
    ///
    /// Fails with [`ErrorKind::Conflict`] if another copy into the same blob
    /// has replaced this one.
    pub async fn poll(&mut self) -> Result<&CopyState> {
        let props = self.blob.properties().await?;
        let state = props.copy.ok_or_else(|| {
            Error::invalid_response("the copy's destination reports no copy").with_operation("GetBlobProperties")
        })?;
        if state.id != self.copy_id {
            return Err(Error::new(
                ErrorKind::Conflict,
                format!("copy {} was replaced by copy {}", self.copy_id, state.id),
            ));
        }
        self.last = state;
        Ok(&self.last)
    }

    /// Polls until the copy stops, pausing 500 ms, then doubling up to 5 s.
    ///
    /// Returns the final state, whatever its status (success, failed or
    /// aborted); fails with [`ErrorKind::Timeout`] if it is still pending
    /// after `timeout` (the copy itself goes on).
    pub async fn wait(&mut self, timeout: Duration) -> Result<CopyState> {
        self.wait_opts(&WaitOptions { timeout: Some(timeout), ..WaitOptions::default() }).await
    }

    /// [`wait`](Self::wait) with its own pauses, a progress callback, or no timeout.
    pub async fn wait_opts(&mut self, options: &WaitOptions) -> Result<CopyState> {
        // A timeout past the end of the clock means no deadline.
        let deadline = options.timeout.and_then(|timeout| Instant::now().checked_add(timeout));
        let (mut pause, max_pause) = options.pauses();
        loop {
            let state = self.poll().await?.clone();
            if let Some(on_progress) = &options.on_progress {
                on_progress(&state);
            }
            if state.status.is_terminal() {
                return Ok(state);
            }
            let now = Instant::now();
            if deadline.is_some_and(|deadline| now >= deadline) {
                let progress = state.progress.map(|(d, t)| format!(" ({d}/{t} bytes)")).unwrap_or_default();
                return Err(Error::new(
                    ErrorKind::Timeout,
                    format!(
                        "copy {} still pending after {:?}{progress}",
                        self.copy_id,
                        options.timeout.unwrap_or_default()
                    ),
                ));
            }
            let left = deadline.map_or(pause, |deadline| deadline - now);
            self.blob.service().pipeline().clock().sleep(pause.min(left)).await;
            pause = pause.saturating_mul(2).min(max_pause);
        }
    }

    /// Stops the copy with [Abort Copy Blob](https://learn.microsoft.com/rest/api/storageservices/abort-copy-blob);
    /// the destination is left empty. Fails with `Conflict` (`NoPendingCopyOperation`)
    /// if the copy already finished.
    ///
    /// Sends the lease id of the conditions the copy was started with, if
    /// they named one (the only condition Abort Copy Blob takes); for
    /// another lease, call [`BlobClient::abort_copy_opts`].
    pub async fn abort(&self) -> Result<()> {
        let conditions = Conditions { lease_id: self.lease_id.clone(), ..Conditions::default() };
        self.blob.abort_copy_opts(&self.copy_id, &conditions).await
    }
}

impl BlobClient {
    /// Aborts the pending copy `copy_id` into this blob with
    /// [Abort Copy Blob](https://learn.microsoft.com/rest/api/storageservices/abort-copy-blob).
    pub async fn abort_copy(&self, copy_id: &str) -> Result<()> {
        self.abort_copy_opts(copy_id, &Conditions::default()).await
    }

    /// Aborts a pending copy into a leased blob: `conditions` carries the
    /// lease id ([`Conditions::lease`]), which the service requires while
    /// the destination has an active lease. Abort Copy Blob takes no other
    /// condition; one set fails with [`ErrorKind::InvalidInput`] before sending.
    pub async fn abort_copy_opts(&self, copy_id: &str, conditions: &Conditions) -> Result<()> {
        let request = build_abort_copy_request(self.url()?, copy_id, conditions)?;
        self.service().pipeline().execute(request).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::auth::StaticTokenCredential;
    use crate::{ClientBuilder, DEV_ACCOUNT_KEY};

    const ENDPOINT: &str = "https://acct.blob.core.windows.net";

    fn dest() -> Url {
        Url::parse(&format!("{ENDPOINT}/dst/copy")).unwrap()
    }

    fn query(url: &Url) -> BTreeMap<String, String> {
        url.query_pairs().into_owned().collect()
    }

    #[test]
    fn poll_intervals_of_zero_still_pause_and_grow() {
        let zero =
            WaitOptions { poll_interval: Duration::ZERO, max_poll_interval: Duration::ZERO, ..Default::default() };
        assert_eq!(zero.pauses(), (MIN_FIRST_POLL, MIN_LONGEST_POLL));
        let inverted = WaitOptions {
            poll_interval: Duration::from_secs(2),
            max_poll_interval: Duration::from_secs(1),
            ..Default::default()
        };
        assert_eq!(inverted.pauses(), (Duration::from_secs(2), Duration::from_secs(2)));
    }

    #[tokio::test]
    async fn shared_key_sources_get_a_short_read_sas() {
        let client =
            ClientBuilder::new().endpoint(ENDPOINT).shared_key("acct", DEV_ACCOUNT_KEY).unwrap().build().unwrap();
        let source = CopySource::snapshot(&client.blob("src", "a b.txt"), "2026-11-23T10:00:00.0000000Z");
        let (url, bearer) = source.resolve(true, &dest()).await.unwrap();
        assert_eq!(bearer, None);
        assert_eq!(url.path(), "/src/a%20b.txt");
        let q = query(&url);
        assert_eq!(q.get("snapshot").map(String::as_str), Some("2026-11-23T10:00:00.0000000Z"));
        assert_eq!((q["sp"].as_str(), q["sr"].as_str()), ("r", "bs"), "a SAS for the snapshot");
        assert!(q.contains_key("sig") && q.contains_key("st"));
    }

    #[tokio::test]
    async fn sas_and_token_sources() {
        let sas =
            ClientBuilder::new().endpoint(ENDPOINT).sas_token("sv=2023-11-03&sp=r&sig=abc").unwrap().build().unwrap();
        let (url, bearer) = CopySource::blob(&sas.blob("ctr", "b")).resolve(false, &dest()).await.unwrap();
        assert_eq!((query(&url)["sig"].as_str(), bearer), ("abc", None));

        let token = Arc::new(StaticTokenCredential::new("tok", SystemTime::now() + Duration::from_secs(600)));
        let client = ClientBuilder::new().endpoint(ENDPOINT).token_credential(token).build().unwrap();
        let source = CopySource::version(&client.blob("ctr", "b"), "2026-01-01T00:00:00.0000000Z");
        let (url, bearer) = source.resolve(true, &dest()).await.unwrap();
        assert_eq!(bearer.as_deref(), Some("tok"), "a synchronous copy passes the token for its source");
        assert_eq!(query(&url).keys().collect::<Vec<_>>(), ["versionid"]);
        let (_, bearer) = source.resolve(false, &dest()).await.unwrap();
        assert_eq!(bearer, None, "Copy Blob takes no source token");

        let given: Url = "https://other.blob.core.windows.net/c/b?sig=x".parse().unwrap();
        assert_eq!(CopySource::Url(given.clone()).resolve(true, &dest()).await.unwrap(), (given, None));
    }

    #[test]
    fn debug_hides_a_url_sources_signature() {
        let given: Url =
            "https://other.blob.core.windows.net/c/b?sv=2023-11-03&sig=c2VjcmV0LXNpZw%3D%3D".parse().unwrap();
        let shown = format!("{:?}", CopySource::Url(given));
        assert_eq!(shown, r#"Url("https://other.blob.core.windows.net/c/b?sv=2023-11-03&sig=REDACTED")"#);
    }
}
