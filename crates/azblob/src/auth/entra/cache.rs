//! Token caching: refresh ahead of expiry, one refresh at a time, keep a valid token on failure.
//!
//! The signing layer asks for a token on every attempt, so every flow keeps
//! its tokens in a [`TokenCache`]:
//! - a cached token is returned until it is within the refresh margin of its
//!   expiry (5 minutes by default, as the Azure SDKs do);
//! - then exactly one caller refreshes while the others wait on a tokio mutex
//!   and take the new token (single flight); callers that waited for a
//!   refresh that failed get that failure instead of starting another;
//! - a failed refresh of a token that is still valid is logged and the old
//!   token is used;
//! - while the cached token is still valid, refreshes are at least
//!   [`DEFAULT_MIN_REFRESH_INTERVAL`] apart, so neither an outage of the
//!   identity provider nor tokens shorter-lived than the margin make every
//!   blob request ask for a token.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use futures_util::future::BoxFuture;

use crate::auth::{AccessToken, TokenCredential};
use crate::error::{Error, ErrorKind, Result};

/// How long before its expiry a token is refreshed, by default.
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// The shortest time between two refreshes of a token that is still valid, by default.
pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

/// Cached tokens per scope list, with single-flight refresh; see the module docs.
pub struct TokenCache {
    refresh_margin: Duration,
    min_refresh_interval: Duration,
    state: Mutex<HashMap<String, Entry>>,
    // Held across the token request: this is what makes the refresh single flight.
    refresh: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Entry {
    token: Option<AccessToken>,
    // Counts finished refresh attempts, so a waiter can tell that one happened meanwhile.
    attempts: u64,
    last_attempt: Option<Instant>,
    last_failure: Option<(ErrorKind, String)>,
}

impl TokenCache {
    /// An empty cache that refreshes tokens [`DEFAULT_REFRESH_MARGIN`] before they expire.
    pub fn new() -> Self {
        TokenCache {
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            min_refresh_interval: DEFAULT_MIN_REFRESH_INTERVAL,
            state: Mutex::new(HashMap::new()),
            refresh: tokio::sync::Mutex::new(()),
        }
    }

    /// How long before their expiry tokens are refreshed (default [`DEFAULT_REFRESH_MARGIN`]).
    pub fn refresh_margin(mut self, margin: Duration) -> Self {
        self.refresh_margin = margin;
        self
    }

    /// The shortest time between two refreshes while the cached token is
    /// still valid (default [`DEFAULT_MIN_REFRESH_INTERVAL`]); an expired
    /// token is always refreshed.
    pub fn min_refresh_interval(mut self, interval: Duration) -> Self {
        self.min_refresh_interval = interval;
        self
    }

    /// The cached token for `scopes`, or a fresh one from `fetch`.
    ///
    /// `fetch` runs at most once at a time across all callers of this cache.
    pub async fn get_or_fetch<F, Fut>(&self, scopes: &[&str], fetch: F) -> Result<AccessToken>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<AccessToken>>,
    {
        let key = scopes.join(" ");
        let seen_attempts = {
            let state = self.lock_state();
            let entry = state.get(&key);
            if let Some(token) = entry.and_then(|e| self.usable(e)) {
                return Ok(token);
            }
            entry.map_or(0, |e| e.attempts)
        };
        let _refreshing = self.refresh.lock().await;
        {
            let state = self.lock_state();
            if let Some(entry) = state.get(&key) {
                // Another caller refreshed while this one waited: share its outcome.
                if let Some(token) = self.usable(entry) {
                    return Ok(token);
                }
                if entry.attempts > seen_attempts {
                    if let Some((kind, message)) = &entry.last_failure {
                        return Err(Error::new(*kind, message.clone()));
                    }
                }
            }
        }
        let result = fetch().await;
        let mut state = self.lock_state();
        let entry = state.entry(key).or_default();
        entry.attempts += 1;
        entry.last_attempt = Some(Instant::now());
        match result {
            Ok(token) => {
                entry.token = Some(token.clone());
                entry.last_failure = None;
                Ok(token)
            }
            Err(err) => {
                entry.last_failure = Some((err.kind(), err.message().to_owned()));
                match entry.token.as_ref().filter(|t| t.expires_on > SystemTime::now()) {
                    Some(still_valid) => {
                        tracing::warn!(error = %err, "token refresh failed; using the cached token until it expires");
                        Ok(still_valid.clone())
                    }
                    None => Err(err),
                }
            }
        }
    }

    /// The cache's state, even after a panic elsewhere poisoned the lock: every
    /// update of an entry is a plain assignment, so the state is never half
    /// written, and one panic must not make every later token request panic.
    fn lock_state(&self) -> MutexGuard<'_, HashMap<String, Entry>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The cached token if it needs no refresh, or if it is still valid and the last attempt was recent.
    fn usable(&self, entry: &Entry) -> Option<AccessToken> {
        let token = entry.token.as_ref()?;
        if !token.expires_within(self.refresh_margin) {
            return Some(token.clone());
        }
        let recent = entry.last_attempt.is_some_and(|at| at.elapsed() < self.min_refresh_interval);
        (recent && token.expires_on > SystemTime::now()).then(|| token.clone())
    }
}

impl Default for TokenCache {
    fn default() -> Self {
        TokenCache::new()
    }
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let cached = self.state.lock().map(|s| s.values().filter(|e| e.token.is_some()).count()).unwrap_or(0);
        f.debug_struct("TokenCache")
            .field("refresh_margin", &self.refresh_margin)
            .field("min_refresh_interval", &self.min_refresh_interval)
            .field("cached", &cached)
            .finish()
    }
}

/// Adds a [`TokenCache`] in front of any [`TokenCredential`], e.g. one from another library.
///
/// The flows of this module cache already; wrap only credentials that do not.
#[derive(Debug)]
pub struct CachedTokenCredential {
    inner: Arc<dyn TokenCredential>,
    cache: TokenCache,
}

impl CachedTokenCredential {
    /// Caches the tokens of `inner`, refreshing them [`DEFAULT_REFRESH_MARGIN`] before expiry.
    pub fn new(inner: Arc<dyn TokenCredential>) -> Self {
        CachedTokenCredential { inner, cache: TokenCache::new() }
    }

    /// Replaces the cache (another margin or refresh interval).
    pub fn cache(mut self, cache: TokenCache) -> Self {
        self.cache = cache;
        self
    }
}

impl TokenCredential for CachedTokenCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.cache.get_or_fetch(scopes, || self.inner.get_token(scopes)))
    }

    fn use_wire(&self, wire: &crate::auth::TokenWire) {
        self.inner.use_wire(wire);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::auth::STORAGE_SCOPE;
    use crate::redact::Secret;

    /// Hands out numbered tokens valid for `lifetime`, slowly, and fails on demand.
    #[derive(Debug)]
    struct Counting {
        calls: AtomicUsize,
        lifetime: Duration,
        fail: std::sync::atomic::AtomicBool,
    }

    impl Counting {
        fn new(lifetime: Duration) -> Arc<Self> {
            Arc::new(Counting { calls: AtomicUsize::new(0), lifetime, fail: false.into() })
        }
    }

    impl TokenCredential for Counting {
        fn get_token<'a>(&'a self, _scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>> {
            Box::pin(async move {
                let n = self.calls.fetch_add(1, Ordering::SeqCst) + 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
                if self.fail.load(Ordering::SeqCst) {
                    return Err(Error::new(ErrorKind::Unauthenticated, "identity provider down"));
                }
                Ok(AccessToken {
                    token: Secret::new(format!("token-{n}")),
                    expires_on: SystemTime::now() + self.lifetime,
                })
            })
        }
    }

    fn cached(source: &Arc<Counting>) -> Arc<CachedTokenCredential> {
        Arc::new(CachedTokenCredential::new(Arc::clone(source) as Arc<dyn TokenCredential>))
    }

    /// A cache that refreshes a token inside the margin on every call.
    fn eager(source: &Arc<Counting>) -> Arc<CachedTokenCredential> {
        let cache = TokenCache::new().min_refresh_interval(Duration::ZERO);
        Arc::new(CachedTokenCredential::new(Arc::clone(source) as Arc<dyn TokenCredential>).cache(cache))
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_request() {
        let source = Counting::new(Duration::from_secs(3600));
        let cred = cached(&source);
        let tasks: Vec<_> = (0..32)
            .map(|_| {
                let cred = Arc::clone(&cred);
                tokio::spawn(async move { cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose().to_owned() })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), "token-1");
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose(), "token-1");
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        // Another scope is another cache entry.
        assert_eq!(cred.get_token(&["https://other/.default"]).await.unwrap().token.expose(), "token-2");
    }

    #[tokio::test]
    async fn tokens_inside_the_margin_are_refreshed_early() {
        // Valid for 4 minutes: inside the 5-minute margin at once.
        let source = Counting::new(Duration::from_secs(240));
        let cred = eager(&source);
        assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose(), "token-1");
        assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose(), "token-2");
        // With a 1-minute margin the same token is kept.
        let source = Counting::new(Duration::from_secs(240));
        let cache = TokenCache::new().refresh_margin(Duration::from_secs(60)).min_refresh_interval(Duration::ZERO);
        let cred = CachedTokenCredential::new(Arc::clone(&source) as Arc<dyn TokenCredential>).cache(cache);
        cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
        cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn refreshes_of_a_valid_token_are_spaced() {
        // Tokens shorter-lived than the margin would otherwise cost a request per call.
        let source = Counting::new(Duration::from_secs(240));
        let cred = cached(&source);
        for _ in 0..5 {
            assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose(), "token-1");
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
        // An expired token is refreshed however recent the last attempt.
        let source = Counting::new(Duration::ZERO);
        let cred = cached(&source);
        cred.get_token(&[STORAGE_SCOPE]).await.unwrap();
        assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose(), "token-2");
    }

    #[tokio::test]
    async fn a_huge_refresh_margin_neither_panics_nor_poisons_the_cache() {
        let source = Counting::new(Duration::from_secs(3600));
        let cache = TokenCache::new().refresh_margin(Duration::MAX);
        let cred = CachedTokenCredential::new(Arc::clone(&source) as Arc<dyn TokenCredential>).cache(cache);
        for _ in 0..3 {
            assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose(), "token-1");
        }
        // Every token is inside an endless margin, but refreshes are still spaced.
        assert_eq!(source.calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_refresh_keeps_the_valid_token() {
        let source = Counting::new(Duration::from_secs(240));
        let cred = eager(&source);
        assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose(), "token-1");
        source.fail.store(true, Ordering::SeqCst);
        // The refresh fails; the old token is still valid for minutes, so it is used.
        assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose(), "token-1");
        assert_eq!(source.calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn failures_without_a_valid_token_are_shared_by_waiters() {
        let source = Counting::new(Duration::from_secs(3600));
        source.fail.store(true, Ordering::SeqCst);
        let cred = cached(&source);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let cred = Arc::clone(&cred);
                tokio::spawn(async move { cred.get_token(&[STORAGE_SCOPE]).await.unwrap_err() })
            })
            .collect();
        for task in tasks {
            let err = task.await.unwrap();
            assert_eq!(err.kind(), ErrorKind::Unauthenticated);
            assert!(err.to_string().contains("identity provider down"), "{err}");
        }
        assert_eq!(source.calls.load(Ordering::SeqCst), 1, "one attempt for all waiters");
        // A later caller tries again.
        source.fail.store(false, Ordering::SeqCst);
        assert_eq!(cred.get_token(&[STORAGE_SCOPE]).await.unwrap().token.expose(), "token-2");
    }
}
