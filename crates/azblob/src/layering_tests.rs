//! The layers import downwards only: a test that reads every `crate::…` path
//! in `src/` and fails when a module names one above it.
//!
//! The order is written here once (and in ARCHITECTURE.md). A module may use
//! its own layer and any layer below; known exceptions are listed in
//! [`KNOWN_UPWARD`] with the reason they remain, and the test also fails when
//! one of them is gone, so the list only shrinks.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The layers, top first. `lib.rs` (re-exports) and the test-only
/// `proptests` and `layering_tests` modules stand above them all.
const LAYERS: &[&[&str]] = &[
    &["config", "logging"],
    &["client"],
    &["transfer"],
    &["ops"],
    &["transport"],
    &["auth", "sim"],
    &["wire"],
    &["error", "headers", "net", "redact"],
];

/// Modules that are not layers: the front door and test-only code.
const EXEMPT: &[&str] = &["lib", "proptests", "layering_tests"];

/// Upward imports that remain, as (importer, imported, why). Remove an entry
/// when its import goes; the test says so when it has.
const KNOWN_UPWARD: &[(&str, &str, &str)] = &[];

fn layer_of(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level module a file under `src/` belongs to: its first path
/// component, without `.rs`.
fn module_of(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).expect("file under src");
    let first = relative.components().next().expect("non-empty path").as_os_str().to_string_lossy();
    first.trim_end_matches(".rs").to_owned()
}

/// The top-level modules a line of code names as `crate::<module>`.
/// Comments are skipped: a doc link is no dependency.
fn crate_paths(line: &str) -> Vec<String> {
    let code = line.split("//").next().unwrap_or("");
    code.match_indices("crate::")
        .filter(|(at, _)| !code[..*at].ends_with(|c: char| c.is_alphanumeric() || c == '_'))
        .map(|(at, _)| {
            let rest = &code[at + "crate::".len()..];
            rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect()
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("dir entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Every (importer, imported) pair where the imported layer is above the importer's.
fn upward_imports(src: &Path) -> BTreeSet<(String, String)> {
    let mut files = Vec::new();
    rust_files(src, &mut files);
    let mut found = BTreeSet::new();
    for file in files {
        let module = module_of(src, &file);
        if EXEMPT.contains(&module.as_str()) {
            continue;
        }
        let own = layer_of(&module).unwrap_or_else(|| panic!("module {module} is in no layer; add it to LAYERS"));
        let text = std::fs::read_to_string(&file).expect("read source");
        for line in text.lines() {
            for named in crate_paths(line) {
                // Root re-exports (`crate::Error`) and the module itself are not layers.
                if let Some(theirs) = layer_of(&named) {
                    if theirs < own {
                        found.insert((module.clone(), named));
                    }
                }
            }
        }
    }
    found
}

#[test]
fn layers_import_downwards_only() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let found = upward_imports(&src);
    let known: BTreeSet<(String, String)> =
        KNOWN_UPWARD.iter().map(|(from, to, _)| (from.to_string(), to.to_string())).collect();
    let new: Vec<_> = found.difference(&known).collect();
    assert!(new.is_empty(), "modules import a layer above them (see LAYERS in layering_tests.rs): {new:?}");
    let gone: Vec<_> = known.difference(&found).collect();
    assert!(gone.is_empty(), "these upward imports are gone; remove them from KNOWN_UPWARD: {gone:?}");
}

#[test]
fn the_scanner_sees_paths_and_skips_comments() {
    assert_eq!(crate_paths("use crate::ops::headers;"), ["ops"]);
    assert_eq!(crate_paths("    let x = crate::net::is_loopback(u) && crate::auth::f();"), ["net", "auth"]);
    assert_eq!(crate_paths("/// see [`crate::sim::REDACTED`]"), Vec::<String>::new());
    assert_eq!(crate_paths("use azblob_crate::ops;"), Vec::<String>::new());
    assert_eq!(layer_of("auth"), layer_of("sim"));
    assert!(layer_of("auth") > layer_of("ops") && layer_of("wire") > layer_of("auth"));
}
