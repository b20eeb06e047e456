//! Copies between two blob prefixes (`sync az://a/p/ az://b/q/`) decided
//! by merging the source's listing with the destination's by name (issue
//! 14), against Azurite: which blobs a `sync --delete` leaves, with names
//! that sort around `/` and around U+FFFF and extras before, between and
//! after the source's names, and what a dry run changes (nothing).
//!
//! A hierarchical-namespace source lists a directory's contents right
//! after it, an order Azurite does not have: that sync is recorded against
//! Azurite and replayed with the source's List Blobs answer put in that
//! order (the cassette edited by the test, so the exchanges are Azurite's
//! own but for the order), as `tree_order.rs` does for a download.

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;
mod tree_kit;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Output;

use serde_json::Value;
use support::new_container;
use tree_kit::{az, azblob, cassette_in, lines, names, reorder_listing, stderr};

/// Writes `names` (each file holding its own name) below `dir`.
fn write_files(dir: &Path, names: &[&str]) {
    for name in names {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, name).unwrap();
    }
}

/// Runs a `--json` job that must succeed: its file lines and summary.
fn ok(args: &[&str], state: &Path) -> (Vec<Value>, Value) {
    let output = azblob(args, state);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    lines(&output)
}

/// The `to` of the file lines whose action is `action`.
fn targets(file_lines: &[Value], action: &str) -> BTreeSet<String> {
    file_lines.iter().filter(|l| l["action"] == action).map(|l| l["to"].as_str().unwrap().to_owned()).collect()
}

/// `names` as a set of owned strings.
fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|n| (*n).to_owned()).collect()
}

/// The source's names: around `/` (`-` and `.` sort before it) and on
/// both sides of U+FFFF (`😀` is D83D DE00 in UTF-16, below `！`, U+FF01).
const SOURCE: [&str; 8] = ["a", "a-b", "a.txt", "a/x", "d/\u{1F600}", "d/\u{FF01}/x", "\u{1F600}", "\u{FF01}"];

#[tokio::test]
async fn a_sync_delete_between_prefixes_leaves_exactly_the_sources_names_and_what_is_protected() {
    let client = support::client();
    let (a, b) = (new_container(&client, "remote").await, new_container(&client, "remote").await);
    let dir = support::scratch("tree-remote-merge");
    let (src, state) = (dir.join("src"), dir.join("state"));
    // `a` and `a/x` cannot both be local files: `a` goes up alone, with a
    // stored modification time as `cp -r` stores one (else its time is its
    // last-modified, whole seconds, which its copy's need not match).
    write_files(&src, &SOURCE[1..]);
    // Larger than --max-size below: filtered out, but the source has it.
    std::fs::write(src.join("big"), vec![b'x'; 100]).unwrap();
    ok(&["cp", "-r", src.to_str().unwrap(), &az(&a, "p/"), "--json"], &state);
    write_files(&dir.join("alone"), &["a"]);
    let alone = dir.join("alone/a");
    let up = azblob(&["cp", alone.to_str().unwrap(), &az(&a, "p/a"), "--metadata", "azblob_mtime=1700000000"], &state);
    assert!(up.status.success(), "{}", stderr(&up));

    // The destination: one source name with other content, extras before,
    // between and after the source's names in the listing's order, a blob
    // the filters exclude, a small `big`, and names outside the prefix.
    let extras = ["0", "a-a", "a.old", "a/w", "d/\u{FF00}", "e", "\u{FF00}", "\u{FF02}"];
    for name in extras.iter().chain(&["keep.log"]) {
        b.blob(format!("q/{name}")).put("extra").await.unwrap();
    }
    b.blob("q/a").put("old").await.unwrap();
    b.blob("q/big").put("s").await.unwrap();
    for name in ["q", "other/x"] {
        b.blob(name).put("outside").await.unwrap();
    }
    let before: BTreeSet<String> = names(&b).await.into_iter().collect();
    let args = ["sync", &az(&a, "p/"), &az(&b, "q/"), "--delete", "--max-size", "50", "--exclude", "*.log", "--json"];

    // A dry run plans the copies of every source name but `big`, and the
    // deletion of exactly the extras, and changes nothing.
    let (plan, summary) = ok(&[&args[..], &["--dry-run"]].concat(), &state);
    let shown = |names: &[&str]| -> BTreeSet<String> { names.iter().map(|n| az(&b, &format!("q/{n}"))).collect() };
    assert_eq!(targets(&plan, "copy"), shown(&SOURCE));
    assert_eq!(targets(&plan, "delete"), shown(&extras));
    assert!(plan.iter().all(|l| l["status"] == "planned"), "{plan:?}");
    assert_eq!((summary["files"].as_u64(), summary["deleted"].as_u64()), (Some(8), Some(8)), "{summary}");
    assert_eq!(names(&b).await.into_iter().collect::<BTreeSet<_>>(), before, "a dry run changes nothing");
    assert_eq!(b.blob("q/a").download().await.unwrap(), "old");

    let (_, summary) = ok(&args, &state);
    assert_eq!((summary["files"].as_u64(), summary["deleted"].as_u64()), (Some(8), Some(8)), "{summary}");
    let expected = set(&[
        "other/x",
        "q",
        "q/a",
        "q/a-b",
        "q/a.txt",
        "q/a/x",
        // The source has it, filtered out by --max-size: not an extra.
        "q/big",
        "q/d/\u{1F600}",
        "q/d/\u{FF01}/x",
        // Excluded: --exclude protects.
        "q/keep.log",
        "q/\u{1F600}",
        "q/\u{FF01}",
    ]);
    assert_eq!(names(&b).await.into_iter().collect::<BTreeSet<_>>(), expected);
    for name in SOURCE {
        assert_eq!(b.blob(format!("q/{name}")).download().await.unwrap(), name, "{name}");
    }
    assert_eq!(b.blob("q/big").download().await.unwrap(), "s");

    // Once in step, every source blob meets its copy in the one pass.
    let (_, summary) = ok(&args, &state);
    let counts = (summary["files"].as_u64(), summary["skipped"].as_u64(), summary["deleted"].as_u64());
    assert_eq!(counts, (Some(0), Some(8), Some(0)), "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Records `args` against Azurite into `cassettes`, then puts the answer to
/// the List Blobs request whose query has `prefix` in the order `names`.
fn record_and_reorder(args: &[&str], state: &Path, cassettes: &Path, prefix: &str, names: &[&str]) -> Output {
    let recorded = azblob(&[args, &["--record", cassettes.to_str().unwrap()]].concat(), state);
    assert!(recorded.status.success(), "{}", stderr(&recorded));
    let cassette = cassette_in(cassettes);
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&cassette).unwrap()).unwrap();
    let mut lists = 0;
    for interaction in json["interactions"].as_array_mut().unwrap() {
        let query = interaction["request"]["query"].as_str().unwrap_or_default();
        if query.contains("comp=list") && query.contains(&format!("prefix={prefix}")) {
            let body = &mut interaction["response"]["body"]["text"];
            *body = Value::String(reorder_listing(body.as_str().unwrap(), names));
            lists += 1;
        }
    }
    assert_eq!(lists, 1, "one listing of {prefix}: {json}");
    json["note"] = Value::String(format!(
        "recorded against Azurite by tests/tree_remote.rs, which then put the List Blobs answer for {prefix} in a \
         hierarchical-namespace account's order (a directory's contents right after it), an order Azurite lacks"
    ));
    std::fs::write(&cassette, serde_json::to_string_pretty(&json).unwrap()).unwrap();
    recorded
}

/// A hierarchical-namespace source lists `a`'s contents right after it:
/// `a/x` before `a-b` and `a.txt`, while the destination (a flat account)
/// lists `a-b` and `a.txt` first. So the merge gives the destination's
/// `a-b` and `a.txt` as extras before the source gives those names out of
/// order; it then falls back (saying so), and those blobs come back as the
/// source's: only the two real extras are deleted, nothing is copied.
#[tokio::test]
async fn a_source_listed_out_of_order_deletes_no_blob_whose_name_it_has() {
    let client = support::client();
    let (a, b) = (new_container(&client, "remote").await, new_container(&client, "remote").await);
    let dir = support::scratch("tree-remote-hns");
    let (src, state, cassettes) = (dir.join("src"), dir.join("state"), dir.join("cassettes"));
    write_files(&src, &["a/x", "a-b", "a.txt", "b"]);
    ok(&["cp", "-r", src.to_str().unwrap(), &az(&a, "p/"), "--json"], &state);
    ok(&["sync", &az(&a, "p/"), &az(&b, "q/"), "--json"], &state);
    for name in ["q/0", "q/c"] {
        b.blob(name).put("extra").await.unwrap();
    }
    let args = ["sync", &az(&a, "p/"), &az(&b, "q/"), "--delete", "--json"];
    let recorded = record_and_reorder(&args, &state, &cassettes, "p%2F", &["p/a/x", "p/a-b", "p/a.txt", "p/b"]);
    let (recorded_lines, summary) = lines(&recorded);
    assert_eq!(targets(&recorded_lines, "delete"), set(&[&az(&b, "q/0"), &az(&b, "q/c")]));
    assert_eq!(summary["skipped"], 4, "{summary}");

    let replayed = azblob(&[&args[..], &["--replay", cassettes.to_str().unwrap()]].concat(), &state);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert!(stderr(&replayed).contains("out of name order"), "{}", stderr(&replayed));
    let (file_lines, summary) = lines(&replayed);
    assert_eq!(targets(&file_lines, "delete"), set(&[&az(&b, "q/0"), &az(&b, "q/c")]), "{file_lines:?}");
    let counts = (summary["files"].as_u64(), summary["skipped"].as_u64(), summary["deleted"].as_u64());
    assert_eq!(counts, (Some(0), Some(4), Some(2)), "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A plain `cp -r` lists no destination, so a source listed out of order
/// has nothing to compare with: it copies every blob and says nothing of
/// a fallback.
#[tokio::test]
async fn a_plain_copy_from_a_source_listed_out_of_order_copies_all_and_notes_nothing() {
    let client = support::client();
    let (a, b) = (new_container(&client, "remote").await, new_container(&client, "remote").await);
    let dir = support::scratch("tree-remote-hns-cp");
    let (src, state, cassettes) = (dir.join("src"), dir.join("state"), dir.join("cassettes"));
    write_files(&src, &["a/x", "a-b", "a.txt", "b"]);
    ok(&["cp", "-r", src.to_str().unwrap(), &az(&a, "p/"), "--json"], &state);
    let args = ["cp", "-r", &az(&a, "p/"), &az(&b, "r/"), "--json"];
    record_and_reorder(&args, &state, &cassettes, "p%2F", &["p/a/x", "p/a-b", "p/a.txt", "p/b"]);

    let replayed = azblob(&[&args[..], &["--replay", cassettes.to_str().unwrap()]].concat(), &state);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert!(!stderr(&replayed).contains("out of name order"), "{}", stderr(&replayed));
    let (file_lines, summary) = lines(&replayed);
    let copied: BTreeSet<String> = targets(&file_lines, "copy");
    let expected: Vec<String> = ["a/x", "a-b", "a.txt", "b"].iter().map(|n| az(&b, &format!("r/{n}"))).collect();
    assert_eq!(copied, expected.into_iter().collect(), "{file_lines:?}");
    assert_eq!(summary["files"].as_u64(), Some(4), "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `sync --delete` between prefixes whose standard output is closed: the
/// first line printed meets the closed pipe, which stops the job before
/// `--delete`, and the command fails.
#[tokio::test]
async fn a_closed_stdout_keeps_a_prefix_sync_delete_from_deleting() {
    let client = support::client();
    let (a, b) = (new_container(&client, "remote").await, new_container(&client, "remote").await);
    let dir = support::scratch("tree-remote-pipe");
    let (src, state) = (dir.join("src"), dir.join("state"));
    write_files(&src, &["a", "b", "c"]);
    ok(&["cp", "-r", src.to_str().unwrap(), &az(&a, "p/"), "--json"], &state);
    ok(&["sync", &az(&a, "p/"), &az(&b, "q/"), "--json"], &state);
    // Extras before and after the source's names: the one before is met,
    // and would be deleted, before the closed stdout stops the job.
    b.blob("q/0").put("extra").await.unwrap();
    b.blob("q/extra").put("extra").await.unwrap();
    let before = names(&b).await;
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = binary::emulator_command(&["sync", &az(&a, "p/"), &az(&b, "q/"), "--delete", "--json"]);
    command.env("XDG_STATE_HOME", &state).stdout(writer).stderr(std::process::Stdio::piped());
    let closed = command.output().unwrap();
    assert!(!closed.status.success(), "a job cut short by a closed stdout must not exit 0");
    assert!(stderr(&closed).contains("standard output was closed"), "{}", stderr(&closed));
    assert_eq!(names(&b).await, before, "nothing deleted");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A hierarchical-namespace destination lists `q/a`'s contents right after
/// it, while the source (a flat account) lists `a-b` and `a.txt` first: the
/// merge gives those as having no copy, and the destination's `a-b` and
/// `a.txt` come after `a/x`, out of order. It falls back (saying so), and
/// those blobs, given late, are the source's: never deleted; only the two
/// real extras are. Their copies, sent as for blobs the listing did not
/// show, carry `If-None-Match: *`; such a destination refuses them (409,
/// the blobs exist), and the job compares each with Get Blob Properties and
/// copies it again with `If-Match` on the version compared (every source
/// blob changed since the last sync, so each is copied). The sync is
/// recorded against Azurite, in order; the test puts its destination
/// listing in that order and adds the exchanges such a destination gives:
/// the 409s, the Get Blob Properties answers (recorded by `azblob stat` on
/// the same blobs before the sync), and the `If-Match` on the copies.
#[tokio::test]
async fn a_destination_listed_out_of_order_deletes_no_blob_whose_name_the_source_has() {
    let client = support::client();
    let (a, b) = (new_container(&client, "remote").await, new_container(&client, "remote").await);
    let dir = support::scratch("tree-remote-hns-dst");
    let (src, state, cassettes) = (dir.join("src"), dir.join("state"), dir.join("cassettes"));
    let source = ["a/x", "a-b", "a.txt", "b"];
    write_files(&src, &source);
    ok(&["cp", "-r", src.to_str().unwrap(), &az(&a, "p/"), "--json"], &state);
    ok(&["sync", &az(&a, "p/"), &az(&b, "q/"), "--json"], &state);
    for name in source {
        std::fs::write(src.join(name), format!("{name}, changed")).unwrap();
    }
    ok(&["cp", "-r", src.to_str().unwrap(), &az(&a, "p/"), "--json"], &state);
    for name in ["q/0", "q/c"] {
        b.blob(name).put("extra").await.unwrap();
    }
    // The late blobs' properties before the sync replaces them.
    let late = ["q/a-b", "q/a.txt"];
    let heads: Vec<Value> = late
        .iter()
        .map(|name| {
            let at = dir.join(format!("head-{}", name.replace('/', "_")));
            let stat = azblob(&["stat", &az(&b, name), "--record", at.to_str().unwrap()], &state);
            assert!(stat.status.success(), "{}", stderr(&stat));
            let head: Value = serde_json::from_str(&std::fs::read_to_string(cassette_in(&at)).unwrap()).unwrap();
            let exchanges = head["interactions"].as_array().unwrap();
            assert_eq!((exchanges.len(), &exchanges[0]["request"]["method"]), (1, &Value::from("HEAD")), "{head}");
            exchanges[0].clone()
        })
        .collect();
    let args = ["sync", &az(&a, "p/"), &az(&b, "q/"), "--delete", "--json"];
    let hns = ["q/0", "q/a/x", "q/a-b", "q/a.txt", "q/b", "q/c"];
    let recorded = record_and_reorder(&args, &state, &cassettes, "q%2F", &hns);
    assert_eq!(lines(&recorded).1["files"], 4);

    let cassette = cassette_in(&cassettes);
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&cassette).unwrap()).unwrap();
    let interactions = json["interactions"].as_array_mut().unwrap();
    for (name, head) in late.iter().zip(heads) {
        let path_end = format!("/{}/{name}", b.name());
        let copy = interactions
            .iter_mut()
            .find(|i| i["request"]["method"] == "PUT" && i["request"]["path"].as_str().unwrap().ends_with(&path_end))
            .unwrap_or_else(|| panic!("the copy to {name}"));
        let mut refused = copy.clone();
        let etag = head["response"]["headers"]["etag"].clone();
        copy["request"]["headers"]["if-match"] = etag;
        refused["request"]["headers"]["if-none-match"] = Value::from("*");
        refused["response"] = serde_json::json!({
            "status": 409,
            "headers": { "content-type": "application/xml", "x-ms-error-code": "BlobAlreadyExists" },
            "body": { "text": "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>BlobAlreadyExists</Code><Message>The specified blob already exists.</Message></Error>" }
        });
        interactions.push(refused);
        interactions.push(head);
    }
    json["note"] = Value::String(format!(
        "{} The copies of q/a-b and q/a.txt, which that order gives late, were then answered as such a destination \
         answers a copy with If-None-Match: * to an existing blob (409 BlobAlreadyExists), followed by Get Blob \
         Properties answers recorded by `azblob stat` before the sync, and the recorded copies given If-Match on \
         those ETags",
        json["note"].as_str().unwrap()
    ));
    std::fs::write(&cassette, serde_json::to_string_pretty(&json).unwrap()).unwrap();

    let replayed = azblob(&[&args[..], &["--replay", cassettes.to_str().unwrap()]].concat(), &state);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert!(stderr(&replayed).contains("out of name order"), "{}", stderr(&replayed));
    let (file_lines, summary) = lines(&replayed);
    assert_eq!(targets(&file_lines, "delete"), set(&[&az(&b, "q/0"), &az(&b, "q/c")]), "{file_lines:?}");
    let copied: BTreeSet<String> = source.iter().map(|n| az(&b, &format!("q/{n}"))).collect();
    assert_eq!(targets(&file_lines, "copy"), copied);
    assert_eq!((summary["files"].as_u64(), summary["deleted"].as_u64()), (Some(4), Some(2)), "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Without `--delete`, the destination's blobs the source lacks are not
/// kept, so a source blob given out of order after its destination blob
/// went by (`Paired::Unsure`) is compared with Get Blob Properties. The
/// sync is recorded against Azurite (in order, it sends no such request),
/// its source listing put in a hierarchical-namespace account's order, and
/// the two Get Blob Properties exchanges, recorded by `azblob stat` on the
/// same blobs, added to its cassette: the replay compares `a-b` and
/// `a.txt` by those answers (unchanged, so nothing is copied).
#[tokio::test]
async fn without_delete_a_source_blob_given_out_of_order_is_compared_by_its_properties() {
    let client = support::client();
    let (a, b) = (new_container(&client, "remote").await, new_container(&client, "remote").await);
    let dir = support::scratch("tree-remote-hns-head");
    let (src, state, cassettes, heads) = (dir.join("src"), dir.join("state"), dir.join("cassettes"), dir.join("heads"));
    write_files(&src, &["a/x", "a-b", "a.txt", "b"]);
    ok(&["cp", "-r", src.to_str().unwrap(), &az(&a, "p/"), "--json"], &state);
    ok(&["sync", &az(&a, "p/"), &az(&b, "q/"), "--json"], &state);
    let args = ["sync", &az(&a, "p/"), &az(&b, "q/"), "--json"];
    let recorded = record_and_reorder(&args, &state, &cassettes, "p%2F", &["p/a/x", "p/a-b", "p/a.txt", "p/b"]);
    assert_eq!(lines(&recorded).1["skipped"], 4);

    let cassette = cassette_in(&cassettes);
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(&cassette).unwrap()).unwrap();
    for name in ["q/a-b", "q/a.txt"] {
        let _ = std::fs::remove_dir_all(&heads);
        let stat = azblob(&["stat", &az(&b, name), "--record", heads.to_str().unwrap()], &state);
        assert!(stat.status.success(), "{}", stderr(&stat));
        let head: Value = serde_json::from_str(&std::fs::read_to_string(cassette_in(&heads)).unwrap()).unwrap();
        let exchanges = head["interactions"].as_array().unwrap();
        assert_eq!(exchanges.len(), 1, "{head}");
        assert_eq!(exchanges[0]["request"]["method"], "HEAD", "{head}");
        json["interactions"].as_array_mut().unwrap().push(exchanges[0].clone());
    }
    std::fs::write(&cassette, serde_json::to_string_pretty(&json).unwrap()).unwrap();

    let replayed = azblob(&[&args[..], &["--replay", cassettes.to_str().unwrap()]].concat(), &state);
    assert!(replayed.status.success(), "{}", stderr(&replayed));
    assert!(stderr(&replayed).contains("out of name order"), "{}", stderr(&replayed));
    let (file_lines, summary) = lines(&replayed);
    let counts = (summary["files"].as_u64(), summary["skipped"].as_u64(), summary["failed"].as_u64());
    assert_eq!(counts, (Some(0), Some(4), Some(0)), "{file_lines:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
