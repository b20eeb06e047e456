//! The cassette file format `azblob-cassette/1`: a serde model of one recording.
//!
//! The format is specified for other languages in `docs/cassette-format.md`;
//! keep the two in step. Everything here is plain data: matching lives in
//! `matcher.rs`, secret handling in `sanitize.rs`, sidecar files in `store.rs`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::headers;

/// The value of a cassette's `format` field; a reader refuses any other.
pub const CASSETTE_FORMAT: &str = "azblob-cassette/1";

/// One recording: the settings it was made with and its exchanges, in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cassette {
    /// Always [`CASSETTE_FORMAT`].
    pub format: String,
    /// The seed of the client's randomness (upload session ids), as 16
    /// lowercase hex digits: a JSON number cannot hold every `u64` exactly.
    pub seed: String,
    /// The matching strategy the cassette was recorded for (`exact`,
    /// `ignore-volatile`, `sequential` or `custom`).
    pub matching: String,
    /// Whether block ids (and so upload session ids) are ignored when matching.
    #[serde(default)]
    pub ignore_block_ids: bool,
    /// A note for people reading the file: for a hand-written cassette, why
    /// it is not recorded and where its exchanges come from. Replay ignores it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The exchanges, in the order their responses arrived.
    #[serde(default)]
    pub interactions: Vec<Interaction>,
}

/// One request and the response the service gave to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interaction {
    /// The request as sent, sanitized.
    pub request: CassetteRequest,
    /// The response as received, sanitized.
    pub response: CassetteResponse,
}

/// A recorded request: what identifies it, without credentials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CassetteRequest {
    /// The HTTP method, upper case.
    pub method: String,
    /// The URL's path, percent-encoded as sent (no scheme, host or query).
    pub path: String,
    /// The canonical query: pairs sorted by decoded key then value, each
    /// percent-encoded (all but `A-Z a-z 0-9 - . _ ~`), joined with `&`;
    /// never holds the SAS signature `sig`. See [`canonical_query`].
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub query: String,
    /// Request headers by lower-case name, without the volatile and secret
    /// ones (see [`DROPPED_REQUEST_HEADERS`]); repeated headers joined with `", "`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The request body.
    #[serde(default, skip_serializing_if = "CassetteBody::is_empty")]
    pub body: CassetteBody,
}

/// A recorded response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CassetteResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Response headers by lower-case name, without the hop-by-hop ones (see
    /// [`DROPPED_RESPONSE_HEADERS`]); repeated headers joined with `", "`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// The response body.
    #[serde(default, skip_serializing_if = "CassetteBody::is_empty")]
    pub body: CassetteBody,
}

/// A body: inline UTF-8 text, or a reference to bytes stored by SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CassetteBody {
    /// UTF-8 text up to the inline limit (64 KiB by default).
    Text {
        /// The body itself.
        text: String,
    },
    /// Anything else: binary or large. Response bodies live in the sidecar
    /// directory as `<sha256>`; request bodies are kept as their hash only.
    Stored {
        /// Lower-case hex SHA-256 of the bytes.
        sha256: String,
        /// The length in bytes.
        len: u64,
    },
}

impl Default for CassetteBody {
    fn default() -> Self {
        CassetteBody::Text { text: String::new() }
    }
}

impl CassetteBody {
    /// Whether this is the empty body (left out of the JSON).
    pub fn is_empty(&self) -> bool {
        matches!(self, CassetteBody::Text { text } if text.is_empty())
    }
}

/// The characters a canonical query leaves as they are: RFC 3986's unreserved ones.
const QUERY_ENCODE: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// The canonical query string of decoded `pairs`: sorted, each key and value
/// percent-encoded, joined with `&` (`key=value`, `key=` for an empty value).
pub fn canonical_query(pairs: &[(String, String)]) -> String {
    let mut sorted: Vec<&(String, String)> = pairs.iter().collect();
    sorted.sort();
    let encode = |s: &str| percent_encoding::utf8_percent_encode(s, QUERY_ENCODE).to_string();
    sorted.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}

impl CassetteRequest {
    /// The query's decoded pairs, in canonical order.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
        self.query
            .split('&')
            .filter(|pair| !pair.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) => (decode(k), decode(v)),
                None => (decode(pair), String::new()),
            })
            .collect()
    }
}

/// Request headers never recorded: credentials, and values that change on every attempt.
pub const DROPPED_REQUEST_HEADERS: &[&str] = &[
    headers::AUTHORIZATION,
    headers::X_MS_DATE,
    headers::X_MS_CLIENT_REQUEST_ID,
    headers::USER_AGENT,
    headers::HOST,
    headers::CONTENT_LENGTH,
    headers::X_MS_COPY_SOURCE_AUTHORIZATION,
];

/// Response headers never recorded: they describe the connection, not the answer.
pub const DROPPED_RESPONSE_HEADERS: &[&str] = &[headers::CONNECTION, headers::KEEP_ALIVE, headers::TRANSFER_ENCODING];

impl Cassette {
    /// An empty cassette with a seed and matching settings.
    pub fn new(seed: u64, matching: &str, ignore_block_ids: bool) -> Self {
        Cassette {
            format: CASSETTE_FORMAT.to_owned(),
            seed: format_seed(seed),
            matching: matching.to_owned(),
            ignore_block_ids,
            note: None,
            interactions: Vec::new(),
        }
    }

    /// The seed as a number.
    pub fn seed_value(&self) -> Result<u64> {
        u64::from_str_radix(&self.seed, 16)
            .map_err(|_| Error::invalid_input(format!("the cassette's seed {:?} is not 16 hex digits", self.seed)))
    }

    /// Reads and checks a cassette file.
    pub fn load(path: &Path) -> Result<Cassette> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            let message = format!("cannot read the cassette {}: {e}", path.display());
            Error::from(e).with_message(message).with_operation("LoadCassette")
        })?;
        parse_text(&text).map_err(|e| Error::invalid_input(format!("the cassette {} is invalid: {e}", path.display())))
    }

    /// Parses and checks cassette JSON.
    pub fn parse(text: &str) -> Result<Cassette> {
        parse_text(text).map_err(|e| Error::invalid_input(format!("invalid cassette: {e}")))
    }

    /// The pretty-printed JSON of the cassette, ending with a newline.
    pub fn to_json(&self) -> String {
        let mut json = serde_json::to_string_pretty(self).expect("a cassette always serializes");
        json.push('\n');
        json
    }

    /// Writes the cassette atomically (a temporary file, then a rename).
    pub(crate) fn write(&self, path: &Path) -> std::io::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, self.to_json())?;
        std::fs::rename(&tmp, path)
    }
}

/// The sidecar directory of the cassette at `path`: its name with the
/// extension replaced by `.bodies` (`put.json` → `put.bodies/`).
pub fn sidecar_dir(path: &Path) -> PathBuf {
    path.with_extension("bodies")
}

fn parse_text(text: &str) -> std::result::Result<Cassette, String> {
    let cassette: Cassette = serde_json::from_str(text).map_err(|e| e.to_string())?;
    if cassette.format != CASSETTE_FORMAT {
        return Err(format!("format {:?} is not supported (expected {CASSETTE_FORMAT:?})", cassette.format));
    }
    if u64::from_str_radix(&cassette.seed, 16).is_err() {
        return Err(format!("the seed {:?} is not 16 hex digits", cassette.seed));
    }
    // A hand-edited hash is checked here, once, so no later code (matching,
    // messages, sidecar paths) meets one that is not what it expects.
    for (index, interaction) in cassette.interactions.iter().enumerate() {
        for body in [&interaction.request.body, &interaction.response.body] {
            if let CassetteBody::Stored { sha256, .. } = body {
                if sha256.len() != 64 || !sha256.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
                    return Err(format!("interaction {index}: {sha256:?} is not a lower-case hex SHA-256"));
                }
            }
        }
    }
    Ok(cassette)
}

pub(crate) fn format_seed(seed: u64) -> String {
    format!("{seed:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_json_and_leaves_empty_parts_out() {
        let mut cassette = Cassette::new(0xfeed, "ignore-volatile", false);
        cassette.interactions.push(Interaction {
            request: CassetteRequest {
                method: "PUT".into(),
                path: "/acct/c/b".into(),
                query: canonical_query(&[("comp".into(), "block".into()), ("blockid".into(), "QUFB=".into())]),
                headers: [("x-ms-version".to_owned(), "2023-11-03".to_owned())].into(),
                body: CassetteBody::Stored { sha256: "ab".repeat(32), len: 5 },
            },
            response: CassetteResponse { status: 201, headers: BTreeMap::new(), body: CassetteBody::default() },
        });
        let json = cassette.to_json();
        assert!(json.contains("\"seed\": \"000000000000feed\""), "{json}");
        assert!(json.contains("\"query\": \"blockid=QUFB%3D&comp=block\""), "{json}");
        assert_eq!(cassette.interactions[0].request.query_pairs()[0], ("blockid".to_owned(), "QUFB=".to_owned()));
        assert!(!json.contains("\"body\": {\n        \"text\": \"\""), "empty bodies are left out: {json}");
        assert_eq!(Cassette::parse(&json).unwrap(), cassette);
        assert_eq!(cassette.seed_value().unwrap(), 0xfeed);
    }

    #[test]
    fn a_note_is_optional_and_kept() {
        let mut cassette = Cassette::parse(r#"{"format":"azblob-cassette/1","seed":"0","matching":"exact"}"#).unwrap();
        assert_eq!(cassette.note, None);
        assert!(!cassette.to_json().contains("note"), "no note, no field");
        cassette.note = Some("Why a replay: Azurite has no versions.".into());
        let json = cassette.to_json();
        assert!(json.contains("\"note\": \"Why a replay: Azurite has no versions.\""), "{json}");
        assert_eq!(Cassette::parse(&json).unwrap(), cassette);
    }

    #[test]
    fn refuses_other_formats_and_bad_seeds() {
        let err = Cassette::parse(r#"{"format":"vcr/2","seed":"0","matching":"exact"}"#).unwrap_err();
        assert!(err.to_string().contains("vcr/2"), "{err}");
        let err = Cassette::parse(r#"{"format":"azblob-cassette/1","seed":"xyz","matching":"exact"}"#).unwrap_err();
        assert!(err.to_string().contains("seed"), "{err}");
    }

    #[test]
    fn refuses_stored_bodies_whose_hash_is_not_hex() {
        let accented = format!("a{}", "\u{e9}".repeat(8));
        for sha in [accented.as_str(), "AB", &"g".repeat(64), &"A".repeat(64)] {
            let json = format!(
                r#"{{"format":"azblob-cassette/1","seed":"0","matching":"exact","interactions":[{{
                "request":{{"method":"GET","path":"/a/c/b"}},
                "response":{{"status":200,"body":{{"sha256":{sha:?},"len":1}}}}}}]}}"#
            );
            let err = Cassette::parse(&json).unwrap_err();
            assert!(err.to_string().contains("SHA-256"), "{sha}: {err}");
        }
    }

    #[test]
    fn sidecars_sit_beside_the_cassette() {
        assert_eq!(sidecar_dir(Path::new("t/put.json")), PathBuf::from("t/put.bodies"));
    }
}
