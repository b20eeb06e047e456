//! Matching a request against recorded ones, and the diff shown when none matches.
//!
//! Replay picks the first *unused* interaction that matches, in recorded
//! order: requests that differ only in the order they were sent (concurrent
//! uploads) still find their own, and identical requests (retries, polls)
//! get their answers in the order they were recorded.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;

use super::cassette::{CassetteBody, CassetteRequest};
use super::store::sha256_hex;
use crate::headers;

/// A user-supplied match: `(sent, recorded) -> matches`.
pub type MatchFn = dyn Fn(&CassetteRequest, &CassetteRequest) -> bool + Send + Sync;

/// How a sent request is matched with a recorded one.
///
/// Both sides are sanitized first, so credentials (`Authorization`, SAS
/// `sig`) and per-attempt headers (`x-ms-date`, `x-ms-client-request-id`,
/// `User-Agent`) never take part in any strategy.
#[derive(Clone, Default)]
#[non_exhaustive]
pub enum Matching {
    /// Method, path, canonical query, the recorded headers and the body's SHA-256.
    Exact,
    /// As `Exact`, but also ignoring the SAS validity window (`se`, `st`),
    /// a copy source's SAS and emulator port, and a batch's boundary and
    /// its sub-requests' `x-ms-date` and `Authorization` lines.
    #[default]
    IgnoreVolatile,
    /// Method and path only: the n-th request with the same method and path
    /// gets the n-th recorded response (retries, polling).
    Sequential,
    /// A closure `(sent, recorded) -> matches`; its name is stored as `custom`.
    Custom(Arc<MatchFn>),
}

impl fmt::Debug for Matching {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Matching {
    /// The strategy's name in a cassette's `matching` field.
    pub fn name(&self) -> &'static str {
        match self {
            Matching::Exact => "exact",
            Matching::IgnoreVolatile => "ignore-volatile",
            Matching::Sequential => "sequential",
            Matching::Custom(_) => "custom",
        }
    }

    /// The strategy named in a cassette; `custom` (a closure cannot be
    /// stored) and unknown names fall back to `IgnoreVolatile`.
    pub fn from_name(name: &str) -> Matching {
        match name {
            "exact" => Matching::Exact,
            "sequential" => Matching::Sequential,
            _ => Matching::IgnoreVolatile,
        }
    }

    /// A custom strategy from a closure.
    pub fn custom(f: impl Fn(&CassetteRequest, &CassetteRequest) -> bool + Send + Sync + 'static) -> Matching {
        Matching::Custom(Arc::new(f))
    }
}

/// Query keys `IgnoreVolatile` leaves out: the SAS validity window.
const VOLATILE_QUERY: &[&str] = &["se", "st", "sig"];
/// Headers `IgnoreVolatile` leaves out, should a hand-written cassette hold them.
const VOLATILE_HEADERS: &[&str] =
    &[headers::X_MS_DATE, headers::X_MS_CLIENT_REQUEST_ID, headers::AUTHORIZATION, headers::USER_AGENT, headers::DATE];
/// What an ignored block id compares as.
const ANY_BLOCK_ID: &str = "*";

/// A body's identity for matching: its hash and length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BodyDigest {
    pub(crate) sha256: String,
    pub(crate) len: u64,
}

impl BodyDigest {
    pub(crate) fn of(body: &CassetteBody) -> BodyDigest {
        match body {
            CassetteBody::Text { text } => BodyDigest { sha256: sha256_hex(text.as_bytes()), len: text.len() as u64 },
            CassetteBody::Stored { sha256, len } => BodyDigest { sha256: sha256.clone(), len: *len },
        }
    }
}

/// One way a sent request differs from a recorded one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Difference {
    Method { recorded: String, sent: String },
    Path { recorded: String, sent: String },
    Query { key: String, recorded: Option<String>, sent: Option<String> },
    Header { name: String, recorded: Option<String>, sent: Option<String> },
    Body { recorded: BodyDigest, sent: BodyDigest },
    Custom,
}

impl Difference {
    /// How far apart this makes two requests: a different method or path is
    /// a different operation altogether.
    fn weight(&self) -> usize {
        match self {
            Difference::Method { .. } | Difference::Path { .. } => 10,
            _ => 1,
        }
    }
}

/// The first 16 characters of a hash, cut on a character boundary whatever
/// a hand-written cassette holds.
fn prefix(hash: &str) -> &str {
    hash.char_indices().nth(16).map_or(hash, |(cut, _)| &hash[..cut])
}

fn show(value: &Option<String>) -> String {
    match value {
        Some(v) => format!("{v:?}"),
        None => "(absent)".to_owned(),
    }
}

impl fmt::Display for Difference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Difference::Method { recorded, sent } => write!(f, "method: recorded {recorded}, sent {sent}"),
            Difference::Path { recorded, sent } => write!(f, "path: recorded {recorded}, sent {sent}"),
            Difference::Query { key, recorded, sent } => {
                write!(f, "query {key}: recorded {}, sent {}", show(recorded), show(sent))
            }
            Difference::Header { name, recorded, sent } => {
                write!(f, "header {name}: recorded {}, sent {}", show(recorded), show(sent))
            }
            Difference::Body { recorded, sent } => write!(
                f,
                "body sha256: recorded {} ({} bytes), sent {} ({} bytes)",
                prefix(&recorded.sha256),
                recorded.len,
                prefix(&sent.sha256),
                sent.len
            ),
            Difference::Custom => f.write_str("the custom matcher said no"),
        }
    }
}

/// A request ready to be compared: the sanitized request and its body digest.
#[derive(Debug, Clone)]
pub(crate) struct Prepared {
    pub(crate) request: CassetteRequest,
    pub(crate) digest: BodyDigest,
}

impl Prepared {
    pub(crate) fn new(request: CassetteRequest) -> Self {
        let digest = BodyDigest::of(&request.body);
        Prepared { request, digest }
    }
}

/// The settings matching runs with.
#[derive(Debug, Clone)]
pub(crate) struct Matcher {
    pub(crate) strategy: Matching,
    pub(crate) ignore_block_ids: bool,
}

impl Matcher {
    /// Whether `sent` matches `recorded`.
    pub(crate) fn matches(&self, sent: &Prepared, recorded: &Prepared) -> bool {
        match &self.strategy {
            Matching::Custom(f) => f(&sent.request, &recorded.request),
            _ => self.differences(sent, recorded).is_empty(),
        }
    }

    /// Every difference that matters to this strategy (for `Custom`, the
    /// differences `IgnoreVolatile` would see, to explain a refusal).
    pub(crate) fn differences(&self, sent: &Prepared, recorded: &Prepared) -> Vec<Difference> {
        let (s, r) = (&sent.request, &recorded.request);
        let mut out = Vec::new();
        if s.method != r.method {
            out.push(Difference::Method { recorded: r.method.clone(), sent: s.method.clone() });
        }
        if s.path != r.path {
            out.push(Difference::Path { recorded: r.path.clone(), sent: s.path.clone() });
        }
        if matches!(self.strategy, Matching::Sequential) {
            return out;
        }
        let volatile = !matches!(self.strategy, Matching::Exact);
        self.query_differences(s, r, volatile, &mut out);
        // A batch's boundary is random and its sub-requests carry their own
        // dates and signatures: `IgnoreVolatile` compares batches without them.
        let (s_batch, r_batch) =
            if volatile { (without_batch_volatiles(s), without_batch_volatiles(r)) } else { (None, None) };
        header_differences(s_batch.as_ref().unwrap_or(s), r_batch.as_ref().unwrap_or(r), volatile, &mut out);
        let digest = |batch: &Option<CassetteRequest>, prepared: &Prepared| match batch {
            Some(batch) => BodyDigest::of(&batch.body),
            None => self.body_digest(prepared),
        };
        let (sent_body, recorded_body) = (digest(&s_batch, sent), digest(&r_batch, recorded));
        if sent_body != recorded_body {
            out.push(Difference::Body { recorded: recorded.digest.clone(), sent: sent.digest.clone() });
        }
        if out.is_empty() && matches!(self.strategy, Matching::Custom(_)) {
            out.push(Difference::Custom);
        }
        out
    }

    fn query_differences(&self, s: &CassetteRequest, r: &CassetteRequest, volatile: bool, out: &mut Vec<Difference>) {
        let group = |request: &CassetteRequest| {
            let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
            for (key, value) in request.query_pairs() {
                if volatile && VOLATILE_QUERY.contains(&key.as_str()) {
                    continue;
                }
                let value = if self.ignore_block_ids && key == "blockid" { ANY_BLOCK_ID.to_owned() } else { value };
                map.entry(key).or_default().push(value);
            }
            map
        };
        let (sq, rq) = (group(s), group(r));
        let keys: BTreeSet<&String> = sq.keys().chain(rq.keys()).collect();
        for key in keys {
            let (sv, rv) = (sq.get(key), rq.get(key));
            if sv != rv {
                out.push(Difference::Query {
                    key: key.clone(),
                    recorded: rv.map(|v| v.join(",")),
                    sent: sv.map(|v| v.join(",")),
                });
            }
        }
    }

    /// The body's digest as this matcher compares it: with block ids
    /// ignored, a Put Block List body is compared without its ids.
    fn body_digest(&self, prepared: &Prepared) -> BodyDigest {
        match &prepared.request.body {
            CassetteBody::Text { text } if self.ignore_block_ids && text.contains("<BlockList>") => {
                BodyDigest::of(&CassetteBody::Text { text: strip_block_ids(text) })
            }
            _ => prepared.digest.clone(),
        }
    }
}

fn header_differences(s: &CassetteRequest, r: &CassetteRequest, volatile: bool, out: &mut Vec<Difference>) {
    let names: BTreeSet<&String> = s.headers.keys().chain(r.headers.keys()).collect();
    for name in names {
        if volatile && VOLATILE_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let (mut sv, mut rv) = (s.headers.get(name).cloned(), r.headers.get(name).cloned());
        if volatile && name == COPY_SOURCE {
            (sv, rv) = (sv.map(|v| copy_source_without_volatiles(&v)), rv.map(|v| copy_source_without_volatiles(&v)));
        }
        if sv != rv {
            out.push(Difference::Header {
                name: name.clone(),
                recorded: r.headers.get(name).cloned(),
                sent: s.headers.get(name).cloned(),
            });
        }
    }
}

/// The header naming a copy's source URL.
const COPY_SOURCE: &str = headers::X_MS_COPY_SOURCE;

/// The query keys of a SAS: the source's authorization, not its identity.
const SAS_KEYS: &[&str] = &[
    "sv", "ss", "srt", "sr", "sp", "st", "se", "sip", "spr", "si", "sig", "sdd", "ses", "skoid", "sktid", "skt", "ske",
    "sks", "skv", "saoid", "suoid", "scid", "rscc", "rscd", "rsce", "rscl", "rsct",
];

/// A copy source as `IgnoreVolatile` compares it: without its SAS (the
/// source's credential, generated afresh on each copy, and absent when a
/// replaying client has no credential), and without the port of a loopback
/// host (an emulator listens on a new port each run). A value that is not a
/// URL compares as it is.
fn copy_source_without_volatiles(value: &str) -> String {
    let Ok(mut url) = url::Url::parse(value) else { return value.to_owned() };
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| !SAS_KEYS.contains(&k.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    if loopback {
        let _ = url.set_port(None);
    }
    url.to_string()
}

/// What replaces a batch's boundary when `IgnoreVolatile` compares batches.
const ANY_BOUNDARY: &str = "*";

/// A `multipart/mixed` request (a Blob Batch) without what changes on every
/// send: the boundary (in `content-type` and the body) becomes `*`, and the
/// sub-requests' `x-ms-date` and `authorization` lines are left out (a
/// replaying client may have no credential, so it sends none). `None` for
/// any other request, and for a body only kept as its hash.
fn without_batch_volatiles(request: &CassetteRequest) -> Option<CassetteRequest> {
    let content_type = request.headers.get(headers::CONTENT_TYPE)?;
    let boundary = content_type
        .strip_prefix("multipart/mixed")?
        .split(';')
        .find_map(|param| param.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    let CassetteBody::Text { text } = &request.body else { return None };
    if boundary.is_empty() {
        return None;
    }
    let lines: Vec<&str> = text
        .split("\r\n")
        .filter(|line| {
            let name = line.split(':').next().unwrap_or("").trim();
            !(name.eq_ignore_ascii_case(headers::X_MS_DATE) || name.eq_ignore_ascii_case(headers::AUTHORIZATION))
        })
        .collect();
    let mut normalized = request.clone();
    normalized.body = CassetteBody::Text { text: lines.join("\r\n").replace(boundary, ANY_BOUNDARY) };
    normalized.headers.insert("content-type".to_owned(), content_type.replace(boundary, ANY_BOUNDARY));
    Some(normalized)
}

/// A Put Block List body with every block id replaced by `*`.
fn strip_block_ids(text: &str) -> String {
    let mut out = text.to_owned();
    for tag in ["Latest", "Committed", "Uncommitted"] {
        let (open, close) = (format!("<{tag}>"), format!("</{tag}>"));
        let mut result = String::with_capacity(out.len());
        let mut rest = out.as_str();
        while let Some(start) = rest.find(&open) {
            let content = start + open.len();
            let Some(len) = rest[content..].find(&close) else { break };
            result.push_str(&rest[..content]);
            result.push_str(ANY_BLOCK_ID);
            rest = &rest[content + len..];
        }
        result.push_str(rest);
        out = result;
    }
    out
}

/// The closest candidate to `sent` among `candidates` (index, prepared):
/// the one with the fewest (weighted) differences, the earliest on a tie.
pub(crate) fn closest<'a>(
    matcher: &Matcher,
    sent: &Prepared,
    candidates: impl Iterator<Item = (usize, &'a Prepared)>,
) -> Option<(usize, Vec<Difference>)> {
    candidates
        .map(|(index, recorded)| (index, matcher.differences(sent, recorded)))
        .min_by_key(|(index, diffs)| (diffs.iter().map(Difference::weight).sum::<usize>(), *index))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_differences_show_any_hash_without_panicking() {
        let odd = BodyDigest { sha256: format!("a{}", "\u{e9}".repeat(10)), len: 1 };
        let plain = BodyDigest { sha256: "0123456789abcdef0123".into(), len: 2 };
        let text = Difference::Body { recorded: odd, sent: plain }.to_string();
        assert!(text.contains("sent 0123456789abcdef (2 bytes)"), "{text}");
    }
    use crate::sim::cassette::canonical_query;

    fn request(method: &str, path: &str, query: &[(&str, &str)], headers: &[(&str, &str)], body: &str) -> Prepared {
        Prepared::new(CassetteRequest {
            method: method.into(),
            path: path.into(),
            query: canonical_query(&query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect::<Vec<_>>()),
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: CassetteBody::Text { text: body.into() },
        })
    }

    fn matcher(strategy: Matching, ignore_block_ids: bool) -> Matcher {
        Matcher { strategy, ignore_block_ids }
    }

    #[test]
    fn exact_compares_everything_and_ignore_volatile_skips_the_sas_window() {
        let a = request("PUT", "/a/c/b", &[("se", "2030"), ("sp", "w")], &[("x-ms-meta-k", "1")], "x");
        let b = request("PUT", "/a/c/b", &[("se", "2031"), ("sp", "w")], &[("x-ms-meta-k", "1")], "x");
        assert!(!matcher(Matching::Exact, false).matches(&a, &b));
        assert!(matcher(Matching::IgnoreVolatile, false).matches(&a, &b));
        let c = request("PUT", "/a/c/b", &[("se", "2031"), ("sp", "r")], &[("x-ms-meta-k", "2")], "y");
        let diffs = matcher(Matching::IgnoreVolatile, false).differences(&c, &a);
        let text: Vec<String> = diffs.iter().map(ToString::to_string).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert_eq!(text[0], r#"query sp: recorded "w", sent "r""#);
        assert_eq!(text[1], r#"header x-ms-meta-k: recorded "1", sent "2""#);
        assert!(
            text[2].starts_with("body sha256: recorded 2d711642b726b044 (1 bytes), sent a1fce4363854ff88"),
            "{}",
            text[2]
        );
    }

    #[test]
    fn batches_match_without_their_boundary_dates_and_signatures() {
        let batch = |boundary: &str, date: &str, auth: Option<&str>| {
            let auth = auth.map(|a| format!("authorization: {a}\r\n")).unwrap_or_default();
            let body = format!(
                "--{boundary}\r\nContent-ID: 0\r\n\r\nDELETE /a/c/b HTTP/1.1\r\n{auth}x-ms-date: {date}\r\n\
                 content-length: 0\r\n\r\n--{boundary}--\r\n"
            );
            let content_type = format!("multipart/mixed; boundary={boundary}");
            request("POST", "/a/c", &[("comp", "batch")], &[("content-type", &content_type)], &body)
        };
        let recorded = batch("batch_1", "Mon, 23 Nov 2026 23:00:00 GMT", Some("SharedKey a:REDACTED"));
        let sent = batch("batch_2", "Tue, 24 Nov 2026 00:00:00 GMT", None);
        assert!(matcher(Matching::IgnoreVolatile, false).matches(&sent, &recorded));
        assert!(!matcher(Matching::Exact, false).matches(&sent, &recorded));
        let other = request(
            "POST",
            "/a/c",
            &[("comp", "batch")],
            &[("content-type", "multipart/mixed; boundary=batch_2")],
            "--batch_2\r\nDELETE /a/c/other HTTP/1.1\r\n--batch_2--\r\n",
        );
        let diffs = matcher(Matching::IgnoreVolatile, false).differences(&other, &recorded);
        assert_eq!(diffs.len(), 1, "only the body: {diffs:?}");
        assert!(matches!(diffs[0], Difference::Body { .. }));
    }

    #[test]
    fn copy_sources_match_without_their_sas_and_emulator_port() {
        let copy = |source: &str| request("PUT", "/a/c/b", &[], &[("x-ms-copy-source", source)], "");
        let recorded = copy("http://127.0.0.1:38851/a/c/s?snapshot=1&sv=2023&st=x&se=y&sr=b&sp=r&sig=REDACTED");
        let sent = copy("http://127.0.0.1:9/a/c/s?snapshot=1");
        assert!(matcher(Matching::IgnoreVolatile, false).matches(&sent, &recorded));
        assert!(!matcher(Matching::Exact, false).matches(&sent, &recorded));
        for other in [
            "http://127.0.0.1:9/a/c/other?snapshot=1",
            "http://127.0.0.1:9/a/c/s",
            "https://x.example/a/c/s?snapshot=1",
        ] {
            let diffs = matcher(Matching::IgnoreVolatile, false).differences(&copy(other), &recorded);
            assert_eq!(diffs.len(), 1, "{other}: {diffs:?}");
        }
    }

    #[test]
    fn sequential_looks_at_method_and_path_only() {
        let a = request("GET", "/a/c/b", &[], &[("x-ms-range", "bytes=0-1")], "");
        let b = request("GET", "/a/c/b", &[("timeout", "5")], &[], "");
        assert!(matcher(Matching::Sequential, false).matches(&a, &b));
        let c = request("HEAD", "/a/c/b", &[], &[], "");
        assert_eq!(matcher(Matching::Sequential, false).differences(&a, &c).len(), 1);
    }

    #[test]
    fn block_ids_can_be_ignored_in_queries_and_block_lists() {
        let list = |id: &str| {
            format!("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>{id}</Latest></BlockList>")
        };
        let a = request("PUT", "/a/c/b", &[("blockid", "QUFB"), ("comp", "block")], &[], "data");
        let b = request("PUT", "/a/c/b", &[("blockid", "QkJC"), ("comp", "block")], &[], "data");
        assert!(!matcher(Matching::IgnoreVolatile, false).matches(&a, &b));
        assert!(matcher(Matching::IgnoreVolatile, true).matches(&a, &b));
        let la = request("PUT", "/a/c/b", &[("comp", "blocklist")], &[], &list("QUFB"));
        let lb = request("PUT", "/a/c/b", &[("comp", "blocklist")], &[], &list("QkJC"));
        assert!(!matcher(Matching::Exact, false).matches(&la, &lb));
        assert!(matcher(Matching::Exact, true).matches(&la, &lb));
    }

    #[test]
    fn custom_closures_decide_and_closest_prefers_the_same_operation() {
        let only_path = matcher(Matching::custom(|s, r| s.path == r.path), false);
        let a = request("PUT", "/a/c/b", &[], &[], "1");
        let b = request("GET", "/a/c/b", &[], &[], "2");
        assert!(only_path.matches(&a, &b));
        let m = matcher(Matching::IgnoreVolatile, false);
        let candidates =
            [request("GET", "/a/c/other", &[], &[], ""), request("PUT", "/a/c/b", &[], &[("x-ms-meta-a", "1")], "1")];
        let (index, diffs) = closest(&m, &a, candidates.iter().enumerate()).unwrap();
        assert_eq!(index, 1);
        assert_eq!(diffs[0].to_string(), r#"header x-ms-meta-a: recorded "1", sent (absent)"#);
    }
}
