//! An HTTP-aware loopback proxy that injects faults request by request.
//!
//! Unlike [`Relay`](crate::Relay), which works on bytes per connection, the
//! fault proxy parses each HTTP/1.1 request and answer on a keep-alive
//! connection (heads, `Content-Length` or chunked bodies, answers until
//! close; none for HEAD, 204 and 304), so a [`FaultPlan`] can pick a fault
//! for each request: a reset mid-request or mid-answer, a made-up 500, 503
//! or 429 with a retry hint, a stall, a truncated answer, a closed idle
//! connection, or an answer lost after the server acted. Connections can be
//! throttled too. It counts the requests it saw and records each fault it
//! injected, so tests and `cargo xtask soak` can report them. Plain HTTP
//! only; std threads and `socket2` (for resets), like the relay.
//!
//! The proxy reads each body whole before passing it on (bodies here are
//! blocks, pages and batch answers, a few MiB at most), which is what lets
//! it cut an answer at any offset or lose it after the server finished; the
//! client therefore sees an answer's first byte only once the server sent
//! its last, so a server slower than the client's inactivity timeout
//! shows up as a broken connection in [`FaultProxy::errors`].

mod answer;
mod forward;
mod http;
mod plan;

pub use plan::{first_n, Every, FaultKind, FaultPlan, HttpFault, RequestInfo, RetryHint, SeededPlan};

use std::collections::BTreeMap;
use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// A fault the proxy injected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Injected {
    /// The request's index among all the proxy saw.
    pub index: usize,
    /// What was done to it.
    pub fault: HttpFault,
    /// The request's method.
    pub method: String,
    /// The request's target (path and query).
    pub target: String,
}

/// Settings of a [`FaultProxy`] beyond its plan.
#[derive(Debug, Clone, Default)]
pub struct ProxyOptions {
    throttle: Option<u64>,
}

impl ProxyOptions {
    /// Paces every connection to `bytes_per_second` in each direction.
    pub fn throttle(mut self, bytes_per_second: u64) -> ProxyOptions {
        self.throttle = Some(bytes_per_second);
        self
    }
}

/// What the accept loop and the connection threads share.
pub(crate) struct Shared {
    upstream: SocketAddr,
    plan: Box<dyn FaultPlan>,
    throttle: Option<u64>,
    stop: Arc<AtomicBool>,
    connections: AtomicUsize,
    requests: AtomicUsize,
    bytes: AtomicU64,
    injected: Mutex<Vec<Injected>>,
    errors: Mutex<Vec<String>>,
}

impl Shared {
    /// Records that `fault` was done to `request`.
    fn record(&self, request: &RequestInfo, fault: HttpFault) {
        let injected =
            Injected { index: request.index, fault, method: request.method.clone(), target: request.target.clone() };
        self.injected.lock().unwrap_or_else(|e| e.into_inner()).push(injected);
    }
}

/// A fault-injecting proxy on a free port of 127.0.0.1; it stops when dropped.
pub struct FaultProxy {
    port: u16,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for FaultProxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultProxy").field("port", &self.port).field("upstream", &self.shared.upstream).finish()
    }
}

impl FaultProxy {
    /// Starts a proxy to `upstream` (`host:port`) whose requests get their faults from `plan`.
    pub fn start(upstream: &str, plan: impl FaultPlan + 'static, options: ProxyOptions) -> io::Result<FaultProxy> {
        let upstream = upstream
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the upstream address resolves to nothing"))?;
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            upstream,
            plan: Box::new(plan),
            throttle: options.throttle,
            stop: Arc::new(AtomicBool::new(false)),
            connections: AtomicUsize::new(0),
            requests: AtomicUsize::new(0),
            bytes: AtomicU64::new(0),
            injected: Mutex::new(Vec::new()),
            errors: Mutex::new(Vec::new()),
        });
        let accepting = Arc::clone(&shared);
        thread::spawn(move || {
            for client in listener.incoming() {
                if accepting.stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(client) = client else { continue };
                let index = accepting.connections.fetch_add(1, Ordering::SeqCst);
                let shared = Arc::clone(&accepting);
                thread::spawn(move || {
                    if let Err(e) = forward::serve(client, index, &shared) {
                        if !shared.stop.load(Ordering::SeqCst) {
                            let message = format!("connection {index}: {e}");
                            shared.errors.lock().unwrap_or_else(|e| e.into_inner()).push(message);
                        }
                    }
                });
            }
        });
        Ok(FaultProxy { port, shared })
    }

    /// Starts a proxy to the host and port of an `http://host:port/...` URL.
    pub fn to_url(url: &str, plan: impl FaultPlan + 'static, options: ProxyOptions) -> io::Result<FaultProxy> {
        FaultProxy::start(crate::authority_of(url), plan, options)
    }

    /// The port the proxy listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// `url` with its `host:port` replaced by the proxy's.
    pub fn url_for(&self, url: &str) -> String {
        crate::url_through(url, self.port)
    }

    /// How many client connections were accepted.
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// How many requests arrived (faulted or not).
    pub fn requests(&self) -> usize {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// How many bytes the proxy sent on (both directions, heads included).
    pub fn bytes(&self) -> u64 {
        self.shared.bytes.load(Ordering::SeqCst)
    }

    /// Every fault injected so far, in the order injected.
    pub fn injected(&self) -> Vec<Injected> {
        self.shared.injected.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Connections that ended in an error mid-message rather than by a
    /// fault or a clean close (a peer gone mid-body, an unparsable head):
    /// not injected faults, but what a report should show next to them.
    pub fn errors(&self) -> Vec<String> {
        self.shared.errors.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// How many faults of each kind were injected, by [`HttpFault::name`].
    pub fn counts(&self) -> BTreeMap<&'static str, usize> {
        let mut counts = BTreeMap::new();
        for injected in self.injected() {
            *counts.entry(injected.fault.name()).or_insert(0) += 1;
        }
        counts
    }
}

impl HttpFault {
    /// A short name for reports (`reset-response-body`, `status-503`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            HttpFault::Pass => "pass",
            HttpFault::ResetRequestBody { .. } => "reset-request-body",
            HttpFault::ResetResponseBody { .. } => "reset-response-body",
            HttpFault::Status { status: 500, .. } => "status-500",
            HttpFault::Status { status: 503, .. } => "status-503",
            HttpFault::Status { status: 429, .. } => "status-429",
            HttpFault::Status { .. } => "status-other",
            HttpFault::Stall => "stall",
            HttpFault::Truncate { .. } => "truncate",
            HttpFault::CloseIdle => "close-idle",
            HttpFault::LoseResponse => "lose-response",
        }
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

#[cfg(test)]
mod tests;
