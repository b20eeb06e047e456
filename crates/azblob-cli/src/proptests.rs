//! Property tests of the command line's parsers: sizes, `--range`, blob
//! locations and URLs, and the progress bar's arithmetic. Any input gives a
//! value or an error message, never a panic.
//!
//! `cargo xtask fuzz` runs them with `PROPTEST_CASES` raised.

use proptest::prelude::*;

use crate::cat::parse_range;
use crate::location::{parse_container_prefix, Location};
use crate::output::{bar_fill, BAR_WIDTH};
use crate::size::parse_size;

fn cases(normal: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(normal);
    ProptestConfig { cases, failure_persistence: None, ..ProptestConfig::default() }
}

/// A number as text: small, at the edges of u64, past it, or not a number.
fn number() -> impl Strategy<Value = String> {
    prop_oneof![
        (0u64..1000).prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
        Just(u64::MAX.to_string()),
        Just("18446744073709551616".to_owned()),
        "[-+ 0-9a-z]{0,4}",
    ]
}

fn location() -> impl Strategy<Value = String> {
    let part = "[a-z0-9%./ \u{e9}-]{0,10}";
    prop_oneof![
        (part, part).prop_map(|(c, b)| format!("az://{c}/{b}")),
        ("[a-z.]{0,12}", part, part).prop_map(|(h, c, b)| format!("https://{h}.blob.core.windows.net/{c}/{b}?sig=x")),
        (any::<u16>(), part, part).prop_map(|(port, c, b)| format!("http://127.0.0.1:{port}/acct/{c}/{b}")),
        ".{0,30}",
    ]
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn sizes_never_panic(text in prop_oneof![
        (number(), "(|b|k|K|M|g|kib|MiB|GiB|kB|MB|GB|TB|[a-z]{1,3})").prop_map(|(n, u)| format!("{n}{u}")),
        ".{0,12}",
    ]) {
        let _ = parse_size(&text);
    }

    #[test]
    fn ranges_never_panic(text in prop_oneof![
        (number(), number()).prop_map(|(a, b)| format!("{a}-{b}")),
        number().prop_map(|a| format!("{a}-")),
        ".{0,12}",
    ]) {
        if let Ok(range) = parse_range(&text) {
            if let Some(length) = range.length {
                prop_assert!(length > 0);
            }
        }
    }

    #[test]
    fn locations_never_panic(text in location()) {
        let _ = Location::parse(&text);
        let _ = parse_container_prefix(&text);
    }

    #[test]
    fn progress_bars_fit_whatever_the_totals(done in any::<u64>(), total in any::<u64>()) {
        prop_assert!(bar_fill(done, total) <= BAR_WIDTH);
    }
}
