//! `TransferStats`: what a transfer's requests cost, for its report.

use std::time::Duration;

use crate::wire::tally::Tally;

/// The requests a transfer sent and how the service answered them, from
/// the retry layer's count of every attempt (the ones it repeats included).
///
/// A platform can log these per transfer: many retries or throttled answers
/// say the account or the path is overloaded long before a transfer fails.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransferStats {
    /// HTTP requests sent, each attempt counted, retries included.
    pub requests: u64,
    /// Attempts that repeated a failed one.
    pub retries: u64,
    /// Attempts the service answered 429 (too many requests) or 503 (server busy).
    pub throttled: u64,
    /// The time from each attempt's start to its answer's head (or its
    /// failure), summed over attempts: requests in parallel add up, so this
    /// can exceed the transfer's own duration. Bodies read afterwards are
    /// not included.
    pub service_time: Duration,
}

impl TransferStats {
    /// The totals counted so far in `tally`.
    pub(crate) fn from_tally(tally: &Tally) -> Self {
        let (requests, retries, throttled, service_time) = tally.totals();
        TransferStats { requests, retries, throttled, service_time }
    }
}
