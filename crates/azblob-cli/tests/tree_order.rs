//! `sync` against Azurite with names whose UTF-16 order differs from the
//! UTF-8 bytes' (review finding 2): the service lists blobs by UTF-16 code
//! units, as Azurite, written in JavaScript, compares strings, so `😀`
//! (U+1F600, D83D DE00) comes before `！` (U+FF01, whose UTF-8 is lower).
//! A merge in byte order met the listing out of order and failed every
//! upload sync and every download `sync --delete`; these pass only when
//! the walk and the merge use the service's order.
//!
//! A hierarchical-namespace account's order (a directory's contents right
//! after it) is not one Azurite has: a download `sync --delete` is recorded
//! against Azurite and replayed with its List Blobs answers put in that
//! order (the cassette edited by the test, so the exchanges are Azurite's
//! own but for the order), and the merge's unit tests feed it that order
//! (`tree::merge::tests`).

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;
mod tree_kit;

use std::process::Output;

use serde_json::Value;
use support::new_container;
use tree_kit::{azblob, names, reorder_listing, stderr};

/// Names of files on both sides of U+FFFF, in a directory and at the top,
/// next to names that sort around `/`.
const LOCAL: [&str; 7] = ["\u{FF01}", "\u{1F600}", "d/\u{1F600}", "d/\u{FF01}/x", "a-b", "a.txt", "a/x"];

/// The summary line of a `--json` job.
fn summary(output: &Output) -> Value {
    let text = String::from_utf8(output.stdout.clone()).unwrap();
    let last = text.lines().last().unwrap_or_else(|| panic!("no summary; stderr: {}", stderr(output)));
    let summary: Value = serde_json::from_str(last).unwrap();
    assert_eq!(summary["kind"], "summary", "{summary}");
    summary
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

/// A hierarchical-namespace account lists `a`'s contents right after it:
/// `a/x` before `a-b` and `a.txt`. Azurite lists in UTF-16 order, so the
/// command is recorded against it and its List Blobs answers are put in
/// that order before the replay. The download's `sync --delete` then falls
/// back to the listing in memory, and the local files whose blobs came
/// late are not taken for extras: only the one extra file is deleted.
#[tokio::test]
async fn a_download_sync_delete_keeps_files_whose_blobs_a_hierarchical_listing_gives_late() {
    let container = new_container(&support::client(), "hns").await;
    let dir = support::scratch("tree-hns");
    let (back, state, cassettes) = (dir.join("back"), dir.join("state"), dir.join("cassettes"));
    let names = ["p/a/x", "p/a-b", "p/a.txt", "p/b"];
    for name in names {
        container.blob(name).put(name.to_owned()).await.unwrap();
    }
    let src = format!("az://{}/p/", container.name());
    let first = azblob(&["sync", &src, back.to_str().unwrap(), "--json"], &state);
    assert!(first.status.success(), "{}", stderr(&first));
    std::fs::write(back.join("a.old"), "extra").unwrap();
    let args = ["sync", &src, back.to_str().unwrap(), "--delete", "--json"];
    let recorded = azblob(&[&args[..], &["--record", cassettes.to_str().unwrap()]].concat(), &state);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    assert_eq!(summary(&recorded)["deleted"], 1);

    // The same answers in a hierarchical-namespace account's order.
    let cassette = std::fs::read_dir(&cassettes)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "json"));
    let cassette = cassette.expect("a cassette");
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&cassette).unwrap()).unwrap();
    let mut lists = 0;
    for interaction in json["interactions"].as_array_mut().unwrap() {
        if interaction["request"]["query"].as_str().is_some_and(|q| q.contains("comp=list")) {
            let body = &mut interaction["response"]["body"]["text"];
            *body = Value::String(reorder_listing(body.as_str().unwrap(), &names));
            lists += 1;
        }
    }
    assert_eq!(lists, 2, "the transfer's listing and --delete's");
    std::fs::write(&cassette, serde_json::to_string_pretty(&json).unwrap()).unwrap();

    std::fs::write(back.join("a.old"), "extra").unwrap();
    let replayed = azblob(&[&args[..], &["--replay", cassettes.to_str().unwrap()]].concat(), &state);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert!(stderr(&replayed).contains("out of name order"), "{}", stderr(&replayed));
    let s = summary(&replayed);
    assert_eq!((s["files"].as_u64(), s["deleted"].as_u64()), (Some(0), Some(1)), "{}", stderr(&replayed));
    assert!(!back.join("a.old").exists());
    for name in names {
        let rel = name.strip_prefix("p/").unwrap();
        assert_eq!(std::fs::read_to_string(back.join(rel)).unwrap(), name, "{rel} kept");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
