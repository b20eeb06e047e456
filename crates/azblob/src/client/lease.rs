//! Blob leases: the five Lease Blob actions on `BlobClient`, and `Lease`, a
//! guard that keeps a lease renewed in the background while it lives.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/lease-blob>

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use http::StatusCode;

use super::BlobClient;
use crate::error::{Error, ErrorKind, Result};
use crate::ops::conditions::Conditions;
use crate::ops::lease::{
    build_lease_request, parse_lease_broken, parse_lease_granted, AcquireLeaseOptions, BreakLeaseOptions, LeaseAction,
    LeaseDuration, LeaseGranted,
};

impl BlobClient {
    /// Takes the blob's lease, so that only requests naming its id
    /// ([`Conditions::lease_id`]) may write or delete the blob, with
    /// [Lease Blob](https://learn.microsoft.com/rest/api/storageservices/lease-blob) `acquire`.
    /// A blob leased by someone else fails with [`ErrorKind::Conflict`]
    /// (`LeaseAlreadyPresent`).
    ///
    /// A fixed lease must be renewed before it runs out; [`Lease::acquire`]
    /// does that in the background.
    pub async fn acquire_lease(&self, duration: LeaseDuration) -> Result<LeaseGranted> {
        self.acquire_lease_opts(duration, &AcquireLeaseOptions::default()).await
    }

    /// Acquires a lease with a proposed id or under conditions.
    pub async fn acquire_lease_opts(
        &self,
        duration: LeaseDuration,
        options: &AcquireLeaseOptions,
    ) -> Result<LeaseGranted> {
        let action = LeaseAction::Acquire { duration, proposed: options.proposed_lease_id.as_deref() };
        self.lease_action(action, &options.conditions).await
    }

    /// Restarts the lease's duration (Lease Blob `renew`); an expired lease
    /// that nobody else took is renewed too.
    pub async fn renew_lease(&self, lease_id: &str) -> Result<LeaseGranted> {
        self.renew_lease_opts(lease_id, &Conditions::default()).await
    }

    /// Renews a lease under ETag, date or tag conditions.
    pub async fn renew_lease_opts(&self, lease_id: &str, conditions: &Conditions) -> Result<LeaseGranted> {
        self.lease_action(LeaseAction::Renew { lease_id }, conditions).await
    }

    /// Gives the active lease the id `proposed_lease_id` (Lease Blob `change`).
    pub async fn change_lease(&self, lease_id: &str, proposed_lease_id: &str) -> Result<LeaseGranted> {
        self.change_lease_opts(lease_id, proposed_lease_id, &Conditions::default()).await
    }

    /// Changes a lease's id under ETag, date or tag conditions.
    pub async fn change_lease_opts(
        &self,
        lease_id: &str,
        proposed_lease_id: &str,
        conditions: &Conditions,
    ) -> Result<LeaseGranted> {
        self.lease_action(LeaseAction::Change { lease_id, proposed: proposed_lease_id }, conditions).await
    }

    /// Ends the lease at once, so another client may acquire it (Lease Blob `release`).
    pub async fn release_lease(&self, lease_id: &str) -> Result<()> {
        self.release_lease_opts(lease_id, &Conditions::default()).await
    }

    /// Releases a lease under ETag, date or tag conditions.
    pub async fn release_lease_opts(&self, lease_id: &str, conditions: &Conditions) -> Result<()> {
        let request = build_lease_request(self.url()?, LeaseAction::Release { lease_id }, conditions)?;
        let response = self.pipeline().execute(request).await?;
        if response.status != StatusCode::OK {
            return Err(Error::invalid_response(format!(
                "Lease Blob (release) answered HTTP {}",
                response.status.as_u16()
            ))
            .with_operation("LeaseBlob"));
        }
        Ok(())
    }

    /// Ends the lease without its id, for when its holder is gone (Lease Blob
    /// `break`): a fixed lease runs out, an infinite one ends at once.
    /// Returns how long until the lease is broken.
    pub async fn break_lease(&self) -> Result<Duration> {
        self.break_lease_opts(&BreakLeaseOptions::default()).await
    }

    /// Breaks a lease after a break period of 0 to 60 seconds, or under conditions.
    pub async fn break_lease_opts(&self, options: &BreakLeaseOptions) -> Result<Duration> {
        let action = LeaseAction::Break { period: options.break_period };
        let request = build_lease_request(self.url()?, action, &options.conditions)?;
        let response = self.pipeline().execute(request).await?;
        parse_lease_broken(&response).map_err(|e| e.with_operation("LeaseBlob"))
    }

    async fn lease_action(&self, action: LeaseAction<'_>, conditions: &Conditions) -> Result<LeaseGranted> {
        let request = build_lease_request(self.url()?, action, conditions)?;
        let response = self.pipeline().execute(request).await?;
        parse_lease_granted(&response).map_err(|e| e.with_operation("LeaseBlob"))
    }
}

/// A blob's lease, renewed in the background while the guard lives, so one
/// writer can own a blob (a manifest, a "latest" pointer) for as long as it
/// needs.
///
/// A fixed lease is renewed every third of its duration by a tokio task the
/// guard owns (so it needs a tokio runtime); an infinite one needs no
/// renewal. Writes name the lease through [`Lease::conditions`].
///
/// Each renewal may take no longer than the time the lease has left: a
/// stalled connection cannot outlast the lease unnoticed. A renewal that
/// fails for a passing reason (no answer, a timeout, a busy service) is
/// tried again until the lease would have run out; one the service refuses
/// (the lease was broken, or taken after it ran out) stops the renewals at
/// once. Either way [`renewal_error`](Self::renewal_error) reports it, and
/// it also reports a lease whose duration has passed since the last
/// successful renewal, even before the renewal task has noticed.
///
/// Dropping the guard stops the renewals but does not release the lease:
/// a drop cannot wait for a request, and a lease left behind behaves like
/// that of a writer that crashed, ending within its duration. Call
/// [`release`](Self::release) to end it at once.
///
/// ```no_run
/// # async fn demo(blob: azblob::BlobClient) -> azblob::Result<()> {
/// use azblob::{Lease, LeaseDuration, PutBlobOptions};
/// let lease = Lease::acquire(&blob, LeaseDuration::Seconds(30)).await?;
/// let options = PutBlobOptions { conditions: lease.conditions(), ..Default::default() };
/// blob.put_opts("v2", &options).await?;
/// lease.release().await?;
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Lease {
    blob: BlobClient,
    id: String,
    /// The lease's duration; `None` for an infinite lease.
    duration: Option<Duration>,
    renewer: Option<tokio::task::JoinHandle<()>>,
    /// What the renewals have achieved so far, shared with the renewal task.
    state: Arc<Mutex<RenewalState>>,
}

/// The renewal task's record: when the lease was last known to be renewed,
/// and the error that stopped the renewals, if one did.
#[derive(Debug)]
struct RenewalState {
    /// When the request that last acquired or renewed the lease was sent:
    /// the service started the lease's duration no earlier than that.
    last_renewed: Instant,
    failure: Option<Error>,
}

impl Lease {
    /// Acquires the blob's lease and, for a fixed duration, starts renewing it.
    pub async fn acquire(blob: &BlobClient, duration: LeaseDuration) -> Result<Lease> {
        Self::acquire_opts(blob, duration, &AcquireLeaseOptions::default()).await
    }

    /// Acquires the lease with a proposed id or under conditions.
    pub async fn acquire_opts(
        blob: &BlobClient,
        duration: LeaseDuration,
        options: &AcquireLeaseOptions,
    ) -> Result<Lease> {
        // Checked before acquiring: without a runtime to renew in, the lease
        // would be taken and then left to run out.
        let runtime = match (duration, tokio::runtime::Handle::try_current()) {
            (LeaseDuration::Infinite, _) => None,
            (LeaseDuration::Seconds(_), Ok(handle)) => Some(handle),
            (LeaseDuration::Seconds(_), Err(_)) => {
                return Err(Error::invalid_input(
                    "a Lease guard renews in a tokio task: acquire a fixed lease inside a tokio runtime",
                ));
            }
        };
        let sent = Instant::now();
        let granted = blob.acquire_lease_opts(duration, options).await?;
        let state = Arc::new(Mutex::new(RenewalState { last_renewed: sent, failure: None }));
        let renewer = runtime.zip(duration.as_duration()).map(|(runtime, period)| {
            let renewal = Renewal {
                blob: blob.clone(),
                id: granted.lease_id.clone(),
                duration: period,
                state: Arc::clone(&state),
            };
            runtime.spawn(renewal.run())
        });
        Ok(Lease { blob: blob.clone(), id: granted.lease_id, duration: duration.as_duration(), renewer, state })
    }

    /// The lease id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Conditions that name this lease, for the writes made under it.
    pub fn conditions(&self) -> Conditions {
        Conditions::lease(self.id.clone())
    }

    /// Why the lease may no longer be held, or `None` while it is: the
    /// error the service answered a renewal with (the lease was broken, or
    /// taken after it ran out), or [`ErrorKind::Timeout`] once the lease's
    /// duration has passed since its last successful renewal (the service
    /// did not answer in time, or renewals kept failing until it ran out).
    pub fn renewal_error(&self) -> Option<ErrorKind> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(failure) = &state.failure {
            return Some(failure.kind());
        }
        let expires = self.duration.map(|d| state.last_renewed + d)?;
        (Instant::now() >= expires).then_some(ErrorKind::Timeout)
    }

    /// When the lease runs out unless it is renewed again: its duration
    /// after the last successful renewal was sent. `None` for an infinite
    /// lease. The service may hold it a little longer (it starts the
    /// duration when the request arrives), never less.
    pub fn expires_at(&self) -> Option<std::time::Instant> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        self.duration.map(|d| (state.last_renewed + d).into_std())
    }

    /// Stops the renewals and releases the lease, so another client may
    /// acquire it at once.
    pub async fn release(mut self) -> Result<()> {
        self.stop();
        self.blob.release_lease(&self.id).await
    }

    fn stop(&mut self) {
        if let Some(task) = self.renewer.take() {
            task.abort();
        }
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The wait before trying a failed renewal again, so a service that refuses
/// connections is not hammered while the lease still has time left.
const RENEWAL_RETRY_PAUSE: Duration = Duration::from_secs(1);

/// The background task of a fixed-duration [`Lease`].
struct Renewal {
    blob: BlobClient,
    id: String,
    duration: Duration,
    state: Arc<Mutex<RenewalState>>,
}

impl Renewal {
    /// Renews the lease every third of its duration until it is lost: the
    /// service refused a renewal, or none succeeded before the lease would
    /// have run out. Each renewal may only take the time the lease has left,
    /// since a renewal answered after that cannot have kept it.
    async fn run(self) {
        let mut wait = self.duration / 3;
        loop {
            tokio::time::sleep(wait).await;
            let expires = self.lock().last_renewed + self.duration;
            let sent = Instant::now();
            let Some(left) = expires.checked_duration_since(sent).filter(|left| !left.is_zero()) else {
                return self.lapsed();
            };
            match tokio::time::timeout(left, self.blob.renew_lease(&self.id)).await {
                Ok(Ok(_)) => {
                    self.lock().last_renewed = sent;
                    wait = self.duration / 3;
                }
                Ok(Err(err)) if refused(&err) => {
                    tracing::warn!(blob = self.blob.name(), error = %err, "the service refused to renew the lease; renewals stopped");
                    self.lock().failure = Some(err);
                    return;
                }
                Ok(Err(err)) => {
                    tracing::warn!(blob = self.blob.name(), error = %err, "renewing the lease failed; trying again while it lasts");
                    wait = RENEWAL_RETRY_PAUSE.min(left);
                }
                Err(_) => return self.lapsed(),
            }
        }
    }

    /// Records that the lease ran out before a renewal succeeded.
    fn lapsed(&self) {
        tracing::warn!(blob = self.blob.name(), "the lease ran out before a renewal succeeded; renewals stopped");
        let message =
            format!("the lease ran out: no renewal succeeded within its {} s duration", self.duration.as_secs());
        self.lock().failure = Some(Error::new(ErrorKind::Timeout, message).with_operation("LeaseBlob"));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RenewalState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether the service answered a renewal with a refusal that trying again
/// cannot change (a broken lease, another lease id, a deleted blob), as
/// opposed to no answer, a timeout or a busy service.
fn refused(err: &Error) -> bool {
    err.status().is_some() && !err.is_retryable()
}

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::task::{Context, Poll, Waker};

    use super::*;

    #[test]
    fn a_fixed_lease_guard_outside_a_tokio_runtime_is_refused_before_acquiring() {
        let client = crate::ClientBuilder::new().endpoint("http://127.0.0.1:9/devstoreaccount1").build().unwrap();
        let blob = client.blob("c", "b");
        // Polled once by hand, with no runtime around: the refusal comes
        // before the first request could be sent.
        let mut acquire = std::pin::pin!(Lease::acquire(&blob, LeaseDuration::Seconds(15)));
        match acquire.as_mut().poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(Err(e)) => assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}"),
            Poll::Ready(Ok(_)) => panic!("a guard that cannot renew was handed out"),
            Poll::Pending => panic!("a request was started without a runtime to renew the lease"),
        }
    }
}
