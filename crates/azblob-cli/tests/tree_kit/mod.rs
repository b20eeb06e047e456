//! What the whole-directory tests share: the binary run with its own state
//! directory, its `--json` lines, and the container's names.
// Each test file uses its own subset of these.
#![allow(dead_code)]

use std::path::Path;
use std::process::Output;

use azblob::{ContainerClient, ListBlobsOptions, ListItem};
use futures_util::TryStreamExt;
use serde_json::Value;

use crate::binary::emulator_command;

/// Runs `azblob` with its own state directory (where job journals live).
pub(crate) fn azblob(args: &[&str], state: &Path) -> Output {
    let mut command = emulator_command(args);
    command.env("XDG_STATE_HOME", state);
    command.output().expect("run azblob")
}

/// The JSON lines a `--json` job printed: the per-file lines and the summary.
pub(crate) fn lines(output: &Output) -> (Vec<Value>, Value) {
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let mut all: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary = all.pop().unwrap_or_else(|| panic!("no summary; stderr: {}", stderr(output)));
    assert_eq!(summary["kind"], "summary", "{summary}");
    (all, summary)
}

/// What the command wrote to standard error.
pub(crate) fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The `az://` location of `prefix` in `container`.
pub(crate) fn az(container: &ContainerClient, prefix: &str) -> String {
    format!("az://{}/{prefix}", container.name())
}

/// The names of the container's blobs.
pub(crate) async fn names(container: &ContainerClient) -> Vec<String> {
    container
        .list_blobs_opts(&ListBlobsOptions::default())
        .try_filter_map(|item| async move { Ok(if let ListItem::Blob(b) = item { Some(b.name) } else { None }) })
        .try_collect()
        .await
        .unwrap()
}

/// The `<Blob>` elements of a List Blobs answer put in the order of
/// `names` (full names): the hierarchical-namespace order Azurite lacks.
pub(crate) fn reorder_listing(xml: &str, names: &[&str]) -> String {
    let (Some(start), Some(end)) = (xml.find("<Blob>"), xml.rfind("</Blob>")) else { return xml.to_owned() };
    let end = end + "</Blob>".len();
    let blobs: Vec<&str> = xml[start..end].split_inclusive("</Blob>").collect();
    assert_eq!(blobs.len(), names.len(), "{xml}");
    let mut ordered = String::new();
    for name in names {
        let blob =
            blobs.iter().find(|b| b.contains(&format!("<Name>{name}</Name>"))).unwrap_or_else(|| panic!("{name}"));
        ordered.push_str(blob);
    }
    format!("{}{ordered}{}", &xml[..start], &xml[end..])
}

/// The one cassette in `dir`.
pub(crate) fn cassette_in(dir: &Path) -> std::path::PathBuf {
    let mut found = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"));
    let cassette = found.next().expect("a cassette");
    assert!(found.next().is_none(), "one cassette in {}", dir.display());
    cassette
}
