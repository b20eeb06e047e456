//! Whole directories against Azurite: `cp -r` both ways, `sync`, filters,
//! `--dry-run` changing nothing, the job journal resuming an interrupted
//! job, and blob names that would escape the destination directory.

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;
mod tree_kit;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use azblob::ContainerClient;
use serde_json::Value;
use support::new_container;
use tree_kit::{az, azblob, lines, names, stderr};

/// Runs a `--json` job that must succeed.
fn ok(args: &[&str], state: &Path) -> (Vec<Value>, Value) {
    let output = azblob(args, state);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    lines(&output)
}

/// The local tree under `root`: relative path to content.
fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in walk(root) {
        let rel = entry.strip_prefix(root).unwrap().to_str().unwrap().replace('\\', "/");
        out.insert(rel, std::fs::read(&entry).unwrap());
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return out };
    for entry in entries {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// The blobs of the container: name to content.
async fn blobs(container: &ContainerClient) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    for name in names(container).await {
        let data = container.blob(&name).download().await.unwrap();
        out.insert(name, data.to_vec());
    }
    out
}

/// A tree with nested directories, odd names, an empty file, and one file
/// large enough for blocks at a 64 KiB block size.
fn sample_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let files: Vec<(&str, Vec<u8>)> = vec![
        ("a.txt", b"alpha".to_vec()),
        ("empty", Vec::new()),
        ("dir with space/ünï cødé #1 %20+&.txt", b"odd".to_vec()),
        ("deep/x/y/z.bin", (0..5000u32).map(|i| (i % 253) as u8).collect()),
        ("deep/big.bin", (0..300_000u32).map(|i| (i % 241) as u8).collect()),
        ("deep/x/.hidden", b"h".to_vec()),
    ];
    let mut tree = BTreeMap::new();
    for (rel, data) in files {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &data).unwrap();
        tree.insert(rel.to_owned(), data);
    }
    tree
}

#[tokio::test]
async fn cp_r_uploads_and_downloads_a_nested_tree_keeping_names_and_mtimes() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-cp");
    let (src, state) = (dir.join("src"), dir.join("state"));
    let tree = sample_tree(&src);
    let (files, summary) =
        ok(&["cp", "-r", src.to_str().unwrap(), &az(&container, "up/"), "--json", "--block-size", "64KiB"], &state);
    assert_eq!(summary["files"], tree.len(), "{summary}");
    assert_eq!(summary["failed"], 0);
    assert_eq!(summary["bytes"], tree.values().map(Vec::len).sum::<usize>());
    for field in ["seconds", "mb_per_s", "skipped"] {
        assert!(summary[field].is_number(), "{field} in {summary}");
    }
    assert!(files.iter().all(|f| f["status"] == "done" && f["action"] == "upload"), "{files:?}");
    let expected: BTreeMap<String, Vec<u8>> = tree.iter().map(|(k, v)| (format!("up/{k}"), v.clone())).collect();
    assert_eq!(blobs(&container).await, expected);
    // The large file went in blocks, and every blob carries its file's mtime.
    let props = container.blob("up/deep/big.bin").properties().await.unwrap();
    let stored = azblob::mtime_from_metadata(&props.metadata).expect("mtime in metadata");
    assert_eq!(stored, std::fs::metadata(src.join("deep/big.bin")).unwrap().modified().unwrap());

    // Back down into a new directory: the same tree, the same mtimes.
    let out = dir.join("out");
    let (_, summary) =
        ok(&["cp", "-r", &az(&container, "up"), out.to_str().unwrap(), "--json", "--block-size", "64KiB"], &state);
    assert_eq!(summary["files"], tree.len(), "{summary}");
    assert_eq!(read_tree(&out), tree);
    for rel in tree.keys() {
        let (a, b) = (std::fs::metadata(src.join(rel)).unwrap(), std::fs::metadata(out.join(rel)).unwrap());
        assert_eq!(a.modified().unwrap(), b.modified().unwrap(), "{rel}");
    }
    // The journals of both jobs are gone: every file succeeded.
    assert!(walk(&state.join("azblob").join("jobs")).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn dry_runs_change_nothing_on_either_side() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-dry");
    let (src, state) = (dir.join("src"), dir.join("state"));
    let tree = sample_tree(&src);
    container.blob("p/extra.txt").put("stays").await.unwrap();
    container.blob("p/a.txt").put("older").await.unwrap();
    let before_blobs = blobs(&container).await;
    let before_local = read_tree(&src);

    // Upload, as cp -r and as sync --delete: the plan lists every action.
    let (plan, summary) = ok(&["cp", "-r", src.to_str().unwrap(), &az(&container, "p"), "--dry-run", "--json"], &state);
    assert_eq!(summary["dry_run"], true);
    assert_eq!(summary["files"], tree.len());
    assert!(plan.iter().all(|l| l["status"] == "planned"), "{plan:?}");
    let (plan, summary) =
        ok(&["sync", src.to_str().unwrap(), &az(&container, "p"), "--delete", "--dry-run", "--json"], &state);
    assert_eq!(summary["deleted"], 1, "{summary}");
    assert!(plan.iter().any(|l| l["action"] == "delete" && l["to"] == az(&container, "p/extra.txt")), "{plan:?}");
    // Without --json the plan is one line per action on stdout.
    let text = azblob(&["sync", src.to_str().unwrap(), &az(&container, "p"), "--delete", "--dry-run"], &state);
    assert!(text.status.success(), "{}", stderr(&text));
    let text = String::from_utf8(text.stdout).unwrap();
    assert_eq!(text.lines().count(), tree.len() + 1, "{text}");
    assert!(text.lines().any(|l| l == format!("delete {}", az(&container, "p/extra.txt"))), "{text}");

    // Download, as cp -r and as sync --delete into an existing directory.
    let out = dir.join("out");
    let (plan, _) = ok(&["cp", "-r", &az(&container, "p"), out.to_str().unwrap(), "--dry-run", "--json"], &state);
    assert_eq!(plan.len(), 2, "{plan:?}");
    assert!(!out.exists(), "a dry run creates no directory");
    let (plan, summary) =
        ok(&["sync", &az(&container, "p"), src.to_str().unwrap(), "--delete", "--dry-run", "--json"], &state);
    assert!(summary["deleted"].as_u64().unwrap() >= 4, "{summary} {plan:?}");

    // rm --recursive --dry-run lists and deletes nothing.
    let listed = azblob(&["rm", "--recursive", &az(&container, "p"), "--dry-run"], &state);
    assert!(listed.status.success(), "{}", stderr(&listed));
    let listed = String::from_utf8(listed.stdout).unwrap();
    assert!(listed.contains("p/extra.txt") && listed.contains("p/a.txt"), "{listed}");

    assert_eq!(blobs(&container).await, before_blobs);
    assert_eq!(read_tree(&src), before_local);
    assert!(walk(&state).is_empty(), "a dry run writes no journal: {:?}", walk(&state));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn filters_match_whole_relative_paths() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-filter");
    let (src, state) = (dir.join("src"), dir.join("state"));
    for (rel, size) in [
        ("model/a.safetensors", 10),
        ("model/b.json", 10),
        ("top.safetensors", 2000),
        ("logs/2026-01/x.log", 10),
        ("logs/2025-12/y.log", 10),
        ("logs/2026-02/z.tmp", 10),
    ] {
        std::fs::create_dir_all(src.join(rel).parent().unwrap()).unwrap();
        std::fs::write(src.join(rel), vec![b'x'; size]).unwrap();
    }
    let up = |prefix: &str, extra: &[&str]| {
        let dst = az(&container, prefix);
        let mut args = vec!["cp", "-r", src.to_str().unwrap(), dst.as_str(), "--json"];
        args.extend_from_slice(extra);
        ok(&args, &state)
    };
    up("one/", &["--include", "**/*.safetensors"]);
    up("two/", &["--include", "logs/2026-*/**", "--exclude", "**/*.tmp"]);
    up("three/", &["--include", "*.safetensors"]);
    up("four/", &["--include", "**/*.safetensors", "--max-size", "100"]);
    std::fs::write(dir.join("list"), "model/b.json\nlogs/2025-12/y.log\n").unwrap();
    up("five/", &["--files-from", dir.join("list").to_str().unwrap()]);
    let names: Vec<String> = blobs(&container).await.into_keys().collect();
    assert_eq!(
        names,
        [
            "five/logs/2025-12/y.log",
            "five/model/b.json",
            "four/model/a.safetensors",
            "one/model/a.safetensors",
            "one/top.safetensors",
            "three/top.safetensors",
            "two/logs/2026-01/x.log",
        ]
    );
    // A glob that does not parse fails before anything is sent.
    let bad = azblob(&["cp", "-r", src.to_str().unwrap(), &az(&container, "six/"), "--include", "a["], &state);
    assert!(!bad.status.success() && stderr(&bad).contains("--include"), "{}", stderr(&bad));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn an_interrupted_job_resumes_from_its_journal() {
    let client = support::client();
    let container = new_container(&client, "tree").await;
    let dir = support::scratch("tree-resume");
    let (src, state) = (dir.join("src"), dir.join("state"));
    for i in 0..30 {
        std::fs::create_dir_all(src.join(format!("d{}", i % 3))).unwrap();
        std::fs::write(src.join(format!("d{}/f{i}", i % 3)), format!("file {i}")).unwrap();
    }
    // One destination blob is leased: its upload fails, the others go on.
    let leased = container.blob("job/d1/f7");
    leased.put("old").await.unwrap();
    let lease = leased.acquire_lease(azblob::LeaseDuration::Infinite).await.unwrap();
    let args = ["cp", "-r", src.to_str().unwrap(), &az(&container, "job/"), "--json"];
    let first = azblob(&args, &state);
    assert!(!first.status.success(), "a failed file fails the job");
    let (files, summary) = lines(&first);
    assert_eq!((summary["files"].as_u64(), summary["failed"].as_u64()), (Some(29), Some(1)), "{summary}");
    let failed: Vec<_> = files.iter().filter(|f| f["status"] == "failed").collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["from"], "d1/f7");
    assert!(stderr(&first).contains("d1/f7"), "the failures are listed: {}", stderr(&first));

    // Rerun once the lease is gone: only the failed file is sent.
    leased.release_lease(&lease.lease_id).await.unwrap();
    let (files, summary) = ok(&args, &state);
    assert_eq!((summary["files"].as_u64(), summary["skipped"].as_u64()), (Some(1), Some(29)), "{summary}");
    let done: Vec<_> = files.iter().filter(|f| f["status"] == "done").collect();
    assert_eq!(done[0]["from"], "d1/f7");
    assert!(files
        .iter()
        .filter(|f| f["status"] == "skipped")
        .all(|f| f["reason"] == "done by an earlier run of this job"));
    assert_eq!(container.blob("job/d1/f7").download().await.unwrap(), "file 7");

    // The job completed, so its journal is gone and the next run sends all.
    let (_, summary) = ok(&args, &state);
    assert_eq!(summary["files"], 30, "{summary}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn blob_names_that_would_escape_the_destination_are_skipped() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-escape");
    let (out, state) = (dir.join("out"), dir.join("state"));
    // Names as the service stores them; each would land outside `out` or
    // on something that is not a plain file inside it.
    let hostile = ["p//etc/escape-abs", "p/a\\..\\..\\escape-bs", "p/b\\.\\escape-dot"];
    for name in hostile.iter().chain(&["p/good.txt", "p/clash", "p/clash/inner.txt"]) {
        raw_put(&container, name).await;
    }
    // Azure (and Azurite) store a backslash as `/`, so that name arrives as
    // `p/a/../../escape-bs`; each name is checked as it is listed.
    let stored = names(&container).await;
    // (Azurite resolves `%2E%2E` segments in the URL itself, so a name can
    // hold `..` only this way.)
    assert!(stored.iter().filter(|n| n.contains("/.")).count() >= 2, "{stored:?}");
    // Refused names are skipped, not failures: every rerun would refuse them
    // again, so they must neither fail the job nor keep its journal alive.
    let output = azblob(&["cp", "-r", &az(&container, "p/"), out.to_str().unwrap(), "--json"], &state);
    assert!(output.status.success(), "refused names are skipped: {}", stderr(&output));
    let (files, summary) = lines(&output);
    let refused: Vec<String> = files
        .iter()
        .filter(|f| f["status"] == "skipped" && f["reason"].as_str().unwrap().starts_with("refused"))
        .map(|f| f["from"].as_str().unwrap().to_owned())
        .collect();
    // Every hostile name the service kept as written is refused, and listed at the end.
    for name in stored.iter().filter(|n| n.contains("escape")) {
        assert!(refused.contains(&az(&container, name)), "{name} not refused: {files:?}");
        assert!(stderr(&output).contains(&format!("skipped: {}", az(&container, name))), "{}", stderr(&output));
    }
    assert_eq!(summary["failed"], 0, "{summary}");
    assert!(summary["files"].as_u64().unwrap() >= 1, "{summary}");
    assert_eq!(std::fs::read(out.join("good.txt")).unwrap(), b"x");
    // Of `clash` and `clash/inner.txt` one can be a file; the other is refused.
    assert_eq!(refused.iter().filter(|f| f.contains("clash")).count(), 1, "{refused:?}");
    assert!(walk(&state.join("azblob").join("jobs")).is_empty(), "the job completed: no journal is left");
    // Nothing was written anywhere but inside `out`.
    for escaped in ["escape-abs", "escape-bs", "escape-dot"] {
        assert!(!dir.join(escaped).exists() && !Path::new("/etc").join(escaped).exists());
        assert!(!out.parent().unwrap().join(escaped).exists());
    }
    assert!(walk(&out).iter().all(|p| p.starts_with(&out)));
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(unix)]
#[tokio::test]
async fn symlinks_are_skipped_unless_followed_and_never_written_through() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-links");
    let (src, state, outside) = (dir.join("src"), dir.join("state"), dir.join("outside"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(&outside).unwrap();
    std::fs::write(outside.join("secret"), "outside").unwrap();
    std::fs::write(src.join("plain"), "plain").unwrap();
    std::os::unix::fs::symlink(&outside, src.join("link")).unwrap();
    let (files, _) = ok(&["cp", "-r", src.to_str().unwrap(), &az(&container, "a/"), "--json"], &state);
    assert!(files.iter().any(|f| f["from"] == "link" && f["status"] == "skipped"), "{files:?}");
    assert_eq!(blobs(&container).await.into_keys().collect::<Vec<_>>(), ["a/plain"]);
    ok(&["cp", "-r", src.to_str().unwrap(), &az(&container, "b/"), "--json", "--follow-symlinks"], &state);
    assert_eq!(container.blob("b/link/secret").download().await.unwrap(), "outside");

    // A download never writes through a symbolic link in the destination.
    let out = dir.join("out");
    std::fs::create_dir_all(&out).unwrap();
    std::os::unix::fs::symlink(&outside, out.join("link")).unwrap();
    let output = azblob(&["cp", "-r", &az(&container, "b/"), out.to_str().unwrap(), "--json"], &state);
    // The name is refused, which skips it (listed at the end) rather than fail the job.
    assert!(output.status.success(), "{}", stderr(&output));
    let (files, _) = lines(&output);
    let link = files.iter().find(|f| f["from"] == az(&container, "b/link/secret")).unwrap();
    assert!(link["status"] == "skipped" && link["reason"].as_str().unwrap().starts_with("refused"), "{link}");
    assert!(stderr(&output).contains("skipped: az://"), "{}", stderr(&output));
    assert_eq!(std::fs::read(outside.join("secret")).unwrap(), b"outside");
    assert_eq!(std::fs::read(out.join("plain")).unwrap(), b"plain");
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn sync_sends_only_what_changed_both_ways() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-sync");
    let (src, state) = (dir.join("src"), dir.join("state"));
    let tree = sample_tree(&src);
    let n = tree.len() as u64;
    let up = |extra: &[&str]| {
        let dst = az(&container, "s/");
        let mut args = vec!["sync", src.to_str().unwrap(), dst.as_str(), "--json"];
        args.extend_from_slice(extra);
        ok(&args, &state).1
    };
    assert_eq!(up(&[])["files"], n);
    let again = up(&[]);
    assert_eq!((again["files"].as_u64(), again["skipped"].as_u64()), (Some(0), Some(n)), "{again}");

    // A changed file of the same size, with a new mtime, is sent again.
    let path = src.join("a.txt");
    std::fs::write(&path, "ALPHA").unwrap();
    set_mtime(&path, SystemTime::now() + Duration::from_secs(5));
    assert_eq!(up(&[])["files"], 1);
    assert_eq!(container.blob("s/a.txt").download().await.unwrap(), "ALPHA");

    // --checksum: an mtime change alone sends nothing; a content change does.
    // Azurite stores an MD5 for every blob, so the first --checksum sync
    // finds the same content everywhere (Azure would resend the block
    // upload, which has none).
    assert_eq!(up(&["--checksum"])["files"], 0);
    set_mtime(&path, SystemTime::now() + Duration::from_secs(60));
    assert_eq!(up(&["--checksum"])["files"], 0);
    std::fs::write(&path, "ALPHB").unwrap();
    set_mtime(&path, SystemTime::now() + Duration::from_secs(60));
    assert_eq!(up(&["--checksum"])["files"], 1);

    // --delete removes what the source lacks.
    container.blob("s/stale").put("x").await.unwrap();
    let summary = up(&["--delete"]);
    assert_eq!(summary["deleted"], 1, "{summary}");
    assert!(!container.blob("s/stale").exists().await.unwrap());

    // Down: the first sync downloads, the second finds everything in place
    // (mtimes were restored), --delete removes a stray local file.
    let out = dir.join("out");
    let down = |extra: &[&str]| {
        let from = az(&container, "s");
        let mut args = vec!["sync", from.as_str(), out.to_str().unwrap(), "--json"];
        args.extend_from_slice(extra);
        ok(&args, &state).1
    };
    assert_eq!(down(&[])["files"], n);
    let again = down(&[]);
    assert_eq!((again["files"].as_u64(), again["skipped"].as_u64()), (Some(0), Some(n)), "{again}");
    std::fs::write(out.join("stray"), "x").unwrap();
    assert_eq!(down(&["--delete"])["deleted"], 1);
    assert!(!out.join("stray").exists());
    assert_eq!(read_tree(&out), read_tree(&src));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn overwrite_never_and_if_newer_keep_what_exists() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-overwrite");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("old"), "local old").unwrap();
    std::fs::write(src.join("new"), "local new").unwrap();
    std::fs::write(src.join("absent"), "local absent").unwrap();
    set_mtime(&src.join("old"), SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000));
    container.blob("o/old").put("remote old").await.unwrap();
    container.blob("o/new").put("remote new").await.unwrap();
    set_mtime(&src.join("new"), SystemTime::now() + Duration::from_secs(3600));

    let (_, summary) =
        ok(&["cp", "-r", src.to_str().unwrap(), &az(&container, "o/"), "--overwrite", "never", "--json"], &state);
    assert_eq!((summary["files"].as_u64(), summary["skipped"].as_u64()), (Some(1), Some(2)), "{summary}");
    assert_eq!(container.blob("o/old").download().await.unwrap(), "remote old");
    let (_, summary) =
        ok(&["cp", "-r", src.to_str().unwrap(), &az(&container, "o/"), "--overwrite", "if-newer", "--json"], &state);
    assert_eq!(summary["files"], 1, "{summary}");
    assert_eq!(container.blob("o/new").download().await.unwrap(), "local new");
    assert_eq!(container.blob("o/old").download().await.unwrap(), "remote old");

    // Down with never: an existing local file is kept.
    std::fs::write(src.join("absent"), "changed locally").unwrap();
    let (_, summary) =
        ok(&["cp", "-r", &az(&container, "o"), src.to_str().unwrap(), "--overwrite", "never", "--json"], &state);
    assert_eq!(summary["files"], 0, "{summary}");
    assert_eq!(std::fs::read(src.join("absent")).unwrap(), b"changed locally");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes a blob through `send_raw`: the library refuses names with `.` or
/// `..` segments, which other tools can still store; the dots are
/// percent-encoded so that the URL parser keeps them.
async fn raw_put(container: &ContainerClient, name: &str) {
    use azblob::transport::{Method, Request};
    let mut url = container.url().unwrap();
    let encoded: Vec<String> = name
        .split('/')
        .map(|seg| match seg {
            "." => "%2E".to_owned(),
            ".." => "%2E%2E".to_owned(),
            _ => percent_encoding::utf8_percent_encode(seg, percent_encoding::NON_ALPHANUMERIC).to_string(),
        })
        .collect();
    url.set_path(&format!("{}/{}", url.path(), encoded.join("/")));
    let mut request = Request::new("PutBlob", Method::PUT, url);
    request.headers.insert("x-ms-blob-type", "BlockBlob".parse().unwrap());
    request.body = bytes::Bytes::from_static(b"x");
    support::client().send_raw(request).await.expect("raw Put Blob");
}

fn set_mtime(path: &Path, mtime: SystemTime) {
    std::fs::File::options().write(true).open(path).unwrap().set_modified(mtime).unwrap();
}

#[tokio::test]
async fn prefix_to_prefix_copies_server_side_and_syncs() {
    let client = support::client();
    let (a, b) = (new_container(&client, "tree").await, new_container(&client, "tree").await);
    let dir = support::scratch("tree-remote");
    let (src, state) = (dir.join("src"), dir.join("state"));
    let tree = sample_tree(&src);
    ok(&["cp", "-r", src.to_str().unwrap(), &az(&a, "p/"), "--json", "--block-size", "64KiB"], &state);

    // A dry run plans every copy and copies nothing.
    let (plan, summary) = ok(&["cp", "-r", &az(&a, "p"), &az(&b, "q"), "--dry-run", "--json"], &state);
    assert_eq!(summary["files"], tree.len());
    assert!(plan.iter().all(|l| l["action"] == "copy" && l["status"] == "planned"), "{plan:?}");
    assert!(names(&b).await.is_empty());

    let (_, summary) = ok(&["cp", "-r", &az(&a, "p"), &az(&b, "q"), "--json", "--exclude", "deep/**"], &state);
    assert_eq!(summary["files"], 3, "{summary}");
    let (_, summary) = ok(&["sync", &az(&a, "p"), &az(&b, "q"), "--json"], &state);
    assert_eq!((summary["files"].as_u64(), summary["skipped"].as_u64()), (Some(3), Some(3)), "{summary}");
    let expected: BTreeMap<String, Vec<u8>> = tree.iter().map(|(k, v)| (format!("q/{k}"), v.clone())).collect();
    assert_eq!(blobs(&b).await, expected);
    // The copies keep the source's metadata, its stored mtime included.
    let props = b.blob("q/a.txt").properties().await.unwrap();
    assert!(azblob::mtime_from_metadata(&props.metadata).is_some());

    // Overlapping prefixes of one container are refused before anything is sent.
    let overlap = azblob(&["cp", "-r", &az(&a, "p"), &az(&a, "p/inner")], &state);
    assert!(!overlap.status.success() && stderr(&overlap).contains("overlap"), "{}", stderr(&overlap));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn cap_mbps_paces_the_job() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-cap");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..10 {
        std::fs::write(src.join(format!("f{i}")), vec![b'c'; 20_000]).unwrap();
    }
    // 0.8 Mbit/s is 100 KB/s: the 200 KB of the job take at least 2 s on the wire.
    let started = std::time::Instant::now();
    let (_, summary) =
        ok(&["cp", "-r", src.to_str().unwrap(), &az(&container, "c/"), "--cap-mbps", "0.8", "--json"], &state);
    assert_eq!(summary["files"], 10);
    assert!(started.elapsed() >= Duration::from_millis(2000), "{:?}", started.elapsed());
    let bad = azblob(&["cp", "-r", src.to_str().unwrap(), &az(&container, "d/"), "--cap-mbps", "0"], &state);
    assert!(!bad.status.success() && stderr(&bad).contains("--cap-mbps"), "{}", stderr(&bad));
    assert!(names(&container).await.iter().all(|n| n.starts_with("c/")));
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn a_failed_large_file_keeps_its_block_checkpoint_until_a_rerun_commits_it() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-blocks");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 239) as u8).collect();
    std::fs::write(src.join("big.bin"), &data).unwrap();
    std::fs::write(src.join("small"), "s").unwrap();
    // The destination is leased, so its block upload fails. (Azurite refuses
    // Put Block without the lease id too, so no block is staged here; the
    // library test `dirs.rs` resumes staged blocks through the pool.)
    let blob = container.blob("r/big.bin");
    blob.put("old").await.unwrap();
    let lease = blob.acquire_lease(azblob::LeaseDuration::Infinite).await.unwrap();
    let args = ["cp", "-r", src.to_str().unwrap(), &az(&container, "r/"), "--json", "--block-size", "64KiB"];
    let first = azblob(&args, &state);
    assert!(!first.status.success());
    assert_eq!(lines(&first).1["failed"], 1, "{}", String::from_utf8_lossy(&first.stdout));
    assert_eq!(walk(&state.join("azblob").join("checkpoints")).len(), 1, "the file's block checkpoint is kept");

    blob.release_lease(&lease.lease_id).await.unwrap();
    let (files, summary) = ok(&args, &state);
    assert_eq!((summary["files"].as_u64(), summary["skipped"].as_u64()), (Some(1), Some(1)), "{summary}");
    let big = files.iter().find(|f| f["from"] == "big.bin").unwrap();
    assert!(big["resumed_blocks"].is_number(), "{big}");
    assert_eq!(blob.download().await.unwrap(), data);
    assert!(walk(&state.join("azblob").join("checkpoints")).is_empty(), "the commit removed the checkpoint");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `sync --delete` removes only what the source lacks: a blob the filters
/// exclude stays, as in rsync and rclone, and after a failed file nothing
/// is deleted at all (its blobs would look like extras). A one-blob `cp`
/// refuses a directory flag such as `--dry-run` rather than copy for real.
#[tokio::test]
async fn sync_delete_spares_excluded_blobs_and_deletes_nothing_after_a_failure() {
    let container = new_container(&support::client(), "tree").await;
    let dir = support::scratch("tree-delete");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(src.join("keep")).unwrap();
    std::fs::write(src.join("a.txt"), "a").unwrap();
    for name in ["d/extra.txt", "d/keep/x.txt", "d/a.txt"] {
        container.blob(name).put("remote").await.unwrap();
    }
    let dst = az(&container, "d/");
    let (_, summary) = ok(&["sync", src.to_str().unwrap(), &dst, "--delete", "--exclude", "keep/**", "--json"], &state);
    assert_eq!(summary["deleted"], 1, "{summary}");
    assert_eq!(names(&container).await, ["d/a.txt", "d/keep/x.txt"], "the excluded blob stays");

    // A file that cannot be sent (its blob is leased) fails the job, and
    // then nothing is deleted.
    container.blob("d/extra2.txt").put("remote").await.unwrap();
    container.blob("d/a.txt").acquire_lease(azblob::LeaseDuration::Infinite).await.unwrap();
    std::fs::write(src.join("a.txt"), "changed").unwrap();
    std::fs::write(src.join("b.txt"), "b").unwrap();
    let failed = azblob(&["sync", src.to_str().unwrap(), &dst, "--delete", "--json"], &state);
    assert!(!failed.status.success(), "the leased blob could not be replaced");
    assert!(stderr(&failed).contains("nothing deleted"), "{}", stderr(&failed));
    assert!(names(&container).await.contains(&"d/extra2.txt".to_owned()), "nothing deleted after a failure");
    // Rerun once the lease is gone: b.txt, which the journal says is done,
    // still counts as present, so only the extras go.
    container.blob("d/a.txt").break_lease().await.unwrap();
    let (_, summary) = ok(&["sync", src.to_str().unwrap(), &dst, "--delete", "--json"], &state);
    assert_eq!(summary["deleted"], 2, "extra2 and the no longer excluded keep/x.txt: {summary}");
    assert_eq!(names(&container).await, ["d/a.txt", "d/b.txt"]);

    let one = azblob(&["cp", src.join("a.txt").to_str().unwrap(), &az(&container, "solo.txt"), "--dry-run"], &state);
    assert!(!one.status.success());
    assert!(stderr(&one).contains("--dry-run apply to cp -r"), "{}", stderr(&one));
    assert!(!container.blob("solo.txt").exists().await.unwrap(), "nothing was copied");
}
