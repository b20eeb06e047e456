//! Property tests: every parser gets arbitrary and mutated input, and must
//! answer with a value or a typed error, never a panic.
//!
//! Case counts are modest so `cargo xtask test` stays quick; `cargo xtask
//! fuzz` runs the same properties with `PROPTEST_CASES` raised for minutes.
//! Parsers private to their module are tested by child modules there
//! (`auth::entra::proptests`, `transfer::checkpoint_proptests`), with the
//! helpers below.

mod public;
mod responses;
mod tags_leases;

use proptest::prelude::*;
use proptest::sample::Index;

/// A configuration running `normal` cases, or `PROPTEST_CASES` when set.
pub(crate) fn cases(normal: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(normal);
    // No regression files in the source tree: a failure prints its input.
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// Text that parsers of numbers, dates and sizes find interesting.
const TOKENS: &[&str] = &[
    "0",
    "-1",
    "1e20",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "NaN",
    "\u{e9}",
    "\u{feff}",
    "\r\n",
    "\r\n\r\n",
    "--",
    "=",
    ";",
    "/",
    "&",
    "%",
    "<",
    ">",
    "\"",
    "bytes ",
    "Fri, 31 Dec 9999 23:59:59 GMT",
];

/// `sample` with a few random edits: bytes replaced, inserted or removed, an
/// interesting token inserted, or the rest cut off. Mutating a valid sample
/// reaches deeper into a parser than random bytes do.
pub(crate) fn mutated(sample: &'static [u8]) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec((any::<Index>(), 0u8..5, any::<u8>(), any::<Index>()), 0..6).prop_map(move |edits| {
        let mut bytes = sample.to_vec();
        for (at, op, byte, token) in edits {
            let i = at.index(bytes.len() + 1);
            match op {
                0 if i < bytes.len() => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                2 if i < bytes.len() => {
                    bytes.remove(i);
                }
                3 => {
                    let token = TOKENS[token.index(TOKENS.len())].as_bytes();
                    bytes.splice(i..i, token.iter().copied());
                }
                _ => bytes.truncate(i),
            }
        }
        bytes
    })
}

/// `mutated` as text (invalid UTF-8 replaced), for parsers that take `&str`.
pub(crate) fn mutated_text(sample: &'static str) -> impl Strategy<Value = String> {
    mutated(sample.as_bytes()).prop_map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
}

/// A number as text: small, at the edges of u64, negative, or not a number.
pub(crate) fn number_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..100).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just(u64::MAX.to_string()),
        Just("18446744073709551616".to_owned()),
        (-100i64..0).prop_map(|n| n.to_string()),
        "[0-9a-z.+-]{0,6}",
    ]
}
