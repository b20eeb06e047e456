//! A minimal replay transport: answers from a cassette and asserts each request matches.
//!
//! It stands in for the simulation layer until that exists; the cassette
//! shape is described in `testdata/replay/README.md`. Requests are matched
//! in order: method, path, the exact set of query parameters, and any headers
//! the cassette names. Everything the client sent is kept for further asserts.

#![allow(dead_code, unreachable_pub)]

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};

use azblob::transport::{
    HeaderMap, HeaderName, HeaderValue, HttpTransport, Request, Response, StatusCode, TransportError,
};
use futures_util::future::BoxFuture;
use serde::Deserialize;

/// A cassette file.
#[derive(Debug, Deserialize)]
pub struct Cassette {
    /// The format's name and version, `azblob-replay/1`.
    pub format: String,
    /// Why this exchange is replayed rather than run against the emulator.
    pub why: String,
    /// Where the exchange comes from (documentation, a recording).
    pub source: String,
    /// The endpoint the client is built with.
    pub endpoint: String,
    /// The exchanges, in order.
    pub interactions: Vec<Interaction>,
}

/// One request and its canned answer.
#[derive(Debug, Deserialize)]
pub struct Interaction {
    pub request: ExpectedRequest,
    pub response: CannedResponse,
}

/// What the client must send.
#[derive(Debug, Deserialize)]
pub struct ExpectedRequest {
    pub method: String,
    /// The URL path exactly as sent (percent-encoded).
    pub path: String,
    /// The exact set of query parameters, decoded.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Headers that must be present with these values (others are ignored).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// What the transport answers.
#[derive(Debug, Deserialize)]
pub struct CannedResponse {
    pub status: u16,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: String,
}

/// Loads `testdata/replay/{name}`.
pub fn load(name: &str) -> Cassette {
    let path = azblob_testkit::workspace_root().join("testdata/replay").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let cassette: Cassette = serde_json::from_str(&text).unwrap_or_else(|e| panic!("bad cassette {name}: {e}"));
    assert_eq!(cassette.format, "azblob-replay/1", "{name}");
    assert!(!cassette.why.is_empty() && !cassette.source.is_empty(), "{name} must say why and where from");
    cassette
}

/// Answers requests from a cassette, in order.
#[derive(Debug)]
pub struct ReplayTransport {
    remaining: Mutex<VecDeque<Interaction>>,
    seen: Mutex<Vec<Request>>,
}

impl ReplayTransport {
    pub fn new(cassette: Cassette) -> Arc<Self> {
        Arc::new(ReplayTransport { remaining: Mutex::new(cassette.interactions.into()), seen: Mutex::new(Vec::new()) })
    }

    /// The requests received so far, as sent (signed).
    pub fn seen(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    /// Panics unless every interaction was used.
    pub fn assert_done(&self) {
        let left = self.remaining.lock().unwrap();
        assert!(left.is_empty(), "{} interactions were never requested, next: {:?}", left.len(), left.front());
    }
}

fn check(expected: &ExpectedRequest, request: &Request) {
    let what = format!("{} {}", request.method, request.url);
    assert_eq!(request.method.as_str(), expected.method, "method of {what}");
    assert_eq!(request.url.path(), expected.path, "path of {what}");
    let query: BTreeMap<String, String> =
        request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
    assert_eq!(query, expected.query, "query of {what}");
    for (name, value) in &expected.headers {
        assert_eq!(request.header(name), Some(value.as_str()), "header {name} of {what}");
    }
}

impl HttpTransport for ReplayTransport {
    fn send(&self, request: Request) -> BoxFuture<'_, Result<Response, TransportError>> {
        let next = self.remaining.lock().unwrap().pop_front();
        let Some(interaction) = next else {
            panic!("unexpected request beyond the cassette: {} {}", request.method, request.url)
        };
        check(&interaction.request, &request);
        self.seen.lock().unwrap().push(request);
        let mut headers = HeaderMap::new();
        for (k, v) in &interaction.response.headers {
            headers.insert(HeaderName::from_bytes(k.as_bytes()).unwrap(), HeaderValue::from_str(v).unwrap());
        }
        let status = StatusCode::from_u16(interaction.response.status).unwrap();
        let body = interaction.response.body.clone();
        Box::pin(async move { Ok(Response::new(status, headers, body)) })
    }
}
