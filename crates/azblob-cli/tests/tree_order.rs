//! `sync` against Azurite with names whose UTF-16 order differs from the
//! UTF-8 bytes' (review finding 2): the service lists blobs by UTF-16 code
//! units, as Azurite, written in JavaScript, compares strings, so `😀`
//! (U+1F600, D83D DE00) comes before `！` (U+FF01, whose UTF-8 is lower).
//! A merge in byte order met the listing out of order and failed every
//! upload sync and every download `sync --delete`; these pass only when
//! the walk and the merge use the service's order.
//!
//! A hierarchical-namespace account's order (a directory's contents right
//! after it) is not one Azurite has: the merge's unit tests feed it that
//! order (`tree::merge::tests`).

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Output;

use azblob::{ContainerClient, ListBlobsOptions, ListItem};
use binary::emulator_command;
use futures_util::TryStreamExt;
use serde_json::Value;
use support::new_container;

/// Names of files on both sides of U+FFFF, in a directory and at the top,
/// next to names that sort around `/`.
const LOCAL: [&str; 7] = ["\u{FF01}", "\u{1F600}", "d/\u{1F600}", "d/\u{FF01}/x", "a-b", "a.txt", "a/x"];

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The summary line of a `--json` job.
fn summary(output: &Output) -> Value {
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let last = text.lines().last().unwrap_or_else(|| panic!("no summary; stderr: {}", stderr(output)));
    let summary: Value = serde_json::from_str(last).unwrap();
    assert_eq!(summary["kind"], "summary", "{summary}");
    summary
}

/// Runs `azblob` with its own state directory.
fn azblob(args: &[&str], state: &Path) -> Output {
    let mut command = emulator_command(args);
    command.env("XDG_STATE_HOME", state);
    command.output().expect("run azblob")
}

async fn names(container: &ContainerClient) -> Vec<String> {
    container
        .list_blobs_opts(&ListBlobsOptions::default())
        .try_filter_map(|item| async move { Ok(if let ListItem::Blob(b) = item { Some(b.name) } else { None }) })
        .try_collect()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_sync_pairs_names_above_u_ffff_in_the_services_order() {
    let container = new_container(&support::client(), "order").await;
    let dir = support::scratch("tree-order");
    let (src, back, state) = (dir.join("src"), dir.join("back"), dir.join("state"));
    for name in LOCAL {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, name).unwrap();
    }
    let files = LOCAL.len();
    let dst = format!("az://{}/p/", container.name());
    // The listing's order, written out: UTF-16 code units.
    let listed = ["p/a-b", "p/a.txt", "p/a/x", "p/d/\u{1F600}", "p/d/\u{FF01}/x", "p/\u{1F600}", "p/\u{FF01}"];

    let first = azblob(&["sync", src.to_str().unwrap(), &dst, "--json"], &state);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(summary(&first)["files"], files);
    assert_eq!(names(&container).await, listed);

    // A second sync pairs every file with its blob in one pass.
    let second = azblob(&["sync", src.to_str().unwrap(), &dst, "--delete", "--json"], &state);
    assert!(second.status.success(), "{}", stderr(&second));
    let s = summary(&second);
    assert_eq!((s["files"].as_u64(), s["skipped"].as_u64(), s["deleted"].as_u64()), (Some(0), Some(7), Some(0)));
    assert!(!stderr(&second).contains("out of name order"), "{}", stderr(&second));

    // Down, then a download sync --delete removes exactly the extra file.
    let down = azblob(&["sync", &dst, back.to_str().unwrap(), "--json"], &state);
    assert!(down.status.success(), "{}", stderr(&down));
    assert_eq!(summary(&down)["files"], files);
    std::fs::write(back.join("\u{FF02}"), "extra").unwrap();
    let delete = azblob(&["sync", &dst, back.to_str().unwrap(), "--delete", "--json"], &state);
    assert!(delete.status.success(), "{}", stderr(&delete));
    let s = summary(&delete);
    assert_eq!((s["files"].as_u64(), s["deleted"].as_u64()), (Some(0), Some(1)), "{}", stderr(&delete));
    assert!(!back.join("\u{FF02}").exists());
    for name in LOCAL {
        assert_eq!(std::fs::read_to_string(back.join(name)).unwrap(), name);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
