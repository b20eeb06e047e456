//! Blob leases: the five Lease Blob actions on `BlobClient`, and `Lease`, a
//! guard that keeps a lease renewed in the background while it lives.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/lease-blob>

use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    renewer: Option<tokio::task::JoinHandle<()>>,
    /// The error that stopped the renewals, if one did.
    failure: Arc<Mutex<Option<Error>>>,
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
        let granted = blob.acquire_lease_opts(duration, options).await?;
        let failure = Arc::new(Mutex::new(None));
        let renewer = runtime.zip(duration.as_duration()).map(|(runtime, period)| {
            let (blob, id, failure) = (blob.clone(), granted.lease_id.clone(), Arc::clone(&failure));
            runtime.spawn(renew_until_failure(blob, id, period / 3, failure))
        });
        Ok(Lease { blob: blob.clone(), id: granted.lease_id, renewer, failure })
    }

    /// The lease id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Conditions that name this lease, for the writes made under it.
    pub fn conditions(&self) -> Conditions {
        Conditions::lease(self.id.clone())
    }

    /// The error that stopped the background renewals (the lease was broken,
    /// or renewals kept failing until it ran out), or `None` while they go on.
    pub fn renewal_error(&self) -> Option<ErrorKind> {
        self.failure.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(Error::kind)
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

/// Renews the lease every `interval` until a renewal fails for good: the
/// pipeline already retried it, so a failure means the lease is lost
/// (broken, taken after it ran out) or the service has been unreachable for
/// longer than the retries.
async fn renew_until_failure(blob: BlobClient, id: String, interval: Duration, failure: Arc<Mutex<Option<Error>>>) {
    loop {
        tokio::time::sleep(interval).await;
        if let Err(err) = blob.renew_lease(&id).await {
            tracing::warn!(blob = blob.name(), error = %err, "renewing the lease failed; renewals stopped");
            *failure.lock().unwrap_or_else(|e| e.into_inner()) = Some(err);
            return;
        }
    }
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
