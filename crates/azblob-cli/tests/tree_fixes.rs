//! Whole-directory jobs against Azurite, the defects issue 14's review left
//! open: a `sync` compares both sides rather than trust a journal left by a
//! failed run; standard output closed mid-job fails the command, and
//! keeps `sync --delete` from deleting; one unreadable local file fails
//! alone in a `sync --checksum` download; a read-only target gets its
//! modification time; and an upload refuses a name Azure would trim.
//!
//! Permission tests run the binary as an unprivileged user (`setpriv` to
//! `nobody` when the tests run as root, who could read and write anything),
//! so the file modes they set are the ones the binary meets.

mod binary;
#[path = "../../azblob/tests/support/mod.rs"]
mod support;
mod tree_kit;

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, SystemTime};

use binary::emulator_command;
use support::new_container;
use tree_kit::{az, azblob, lines, names, stderr};

/// The uid and gid the permission tests run the binary as, when run as root.
const NOBODY: u32 = 65534;

/// Whether this process runs as root (the effective uid in /proc).
fn is_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let uid = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    uid.split_whitespace().nth(2) == Some("0")
}

/// `azblob` run as an unprivileged user: `nobody` through `setpriv` when
/// this process is root, else this process's own user.
fn azblob_unprivileged(args: &[&str], state: &Path) -> Output {
    unprivileged_command(args, state).output().expect("run azblob")
}

/// The command [`azblob_unprivileged`] runs.
fn unprivileged_command(args: &[&str], state: &Path) -> Command {
    let binary = env!("CARGO_BIN_EXE_azblob");
    let mut command = if is_root() {
        let mut command = Command::new("setpriv");
        command.args([&format!("--reuid={NOBODY}"), &format!("--regid={NOBODY}"), "--clear-groups", "--", binary]);
        command
    } else {
        Command::new(binary)
    };
    command
        .args(args)
        .env("AZURE_STORAGE_CONNECTION_STRING", support::connection_string(azblob::DEV_ACCOUNT_KEY))
        .env_remove("AZURE_STORAGE_ACCOUNT")
        .env("XDG_STATE_HOME", state)
        .current_dir(state);
    command
}

/// Hands `paths` (and what is below them) to the unprivileged user, and
/// opens the directories above them to it.
fn give_away(paths: &[&Path]) {
    if !is_root() {
        return;
    }
    fn own(path: &Path) {
        std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY)).unwrap();
        if path.is_dir() && !path.is_symlink() {
            for entry in std::fs::read_dir(path).unwrap() {
                own(&entry.unwrap().path());
            }
        }
    }
    for path in paths {
        own(path);
        // The scratch directory above is root's: it must let `nobody` through.
        let mut above = path.parent();
        while let Some(dir) = above.filter(|d| d.starts_with(azblob_testkit::scratch_dir())) {
            set_mode(dir, 0o755);
            above = dir.parent();
        }
    }
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A `sync` that failed leaves the files it completed behind it; when one
/// of them changes at the destination (here: is deleted) before the rerun,
/// the rerun compares and sends it again. With a journal trusted to skip,
/// the rerun skipped it and reported success with the blob missing.
#[tokio::test]
async fn a_sync_after_a_failed_sync_compares_instead_of_trusting_a_journal() {
    let container = new_container(&support::client(), "fixes").await;
    let dir = support::scratch("fixes-sync-journal");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a.txt"), "aaa").unwrap();
    std::fs::write(src.join("b.txt"), "bbb").unwrap();
    let leased = container.blob("d/b.txt");
    leased.put("old").await.unwrap();
    let lease = leased.acquire_lease(azblob::LeaseDuration::Infinite).await.unwrap();
    let args = ["sync", src.to_str().unwrap(), &az(&container, "d/"), "--json"];
    let first = azblob(&args, &state);
    assert!(!first.status.success(), "the leased blob fails the first run");
    assert_eq!(container.blob("d/a.txt").download().await.unwrap(), "aaa");

    // The destination changes between the runs.
    container.blob("d/a.txt").delete().await.unwrap();
    leased.release_lease(&lease.lease_id).await.unwrap();
    let second = azblob(&args, &state);
    assert!(second.status.success(), "{}", stderr(&second));
    let (files, summary) = lines(&second);
    assert_eq!(summary["files"], 2, "both differ from the destination: {files:?}");
    assert_eq!(container.blob("d/a.txt").download().await.unwrap(), "aaa", "the deleted blob is sent again");
    assert_eq!(container.blob("d/b.txt").download().await.unwrap(), "bbb");
    assert!(!files.iter().any(|f| f["reason"].as_str().is_some_and(|r| r.contains("earlier run"))), "{files:?}");

    // The same for a download sync: a local file deleted after a failed
    // run comes back. (The failure: a local file in the way that the
    // unprivileged binary cannot replace, in a directory it cannot write.)
    let out = dir.join("out");
    std::fs::create_dir_all(out.join("locked")).unwrap();
    container.blob("d/locked/c.txt").put("ccc").await.unwrap();
    std::fs::create_dir_all(&state).unwrap();
    give_away(&[&out, &state]);
    set_mode(&out.join("locked"), 0o555);
    let args = ["sync", &az(&container, "d/"), out.to_str().unwrap(), "--json"];
    let first = azblob_unprivileged(&args, &state);
    assert!(!first.status.success(), "c.txt cannot be written: {}", stderr(&first));
    assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"aaa");
    std::fs::remove_file(out.join("a.txt")).unwrap();
    set_mode(&out.join("locked"), 0o755);
    let second = azblob_unprivileged(&args, &state);
    assert!(second.status.success(), "{}", stderr(&second));
    assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"aaa", "the deleted file is downloaded again");
    assert_eq!(std::fs::read(out.join("locked/c.txt")).unwrap(), b"ccc");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `azblob cp -r ... --json | head -1`: the job stops at the closed pipe
/// and the command fails, rather than exit 0 with the job unfinished.
#[tokio::test]
async fn a_closed_stdout_stops_the_job_and_fails_the_command() {
    let container = new_container(&support::client(), "fixes").await;
    let dir = support::scratch("fixes-pipe");
    let (src, state) = (dir.join("src"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    for i in 0..20 {
        std::fs::write(src.join(format!("f{i:02}")), vec![b'p'; 10_000]).unwrap();
    }
    // 0.8 Mbit/s is 100 KB/s: a file every 0.1 s, 2 s for the job, so
    // the pipe closes while most files are still to be sent.
    let mut command =
        emulator_command(&["cp", "-r", src.to_str().unwrap(), &az(&container, "p/"), "--json", "--cap-mbps", "0.8"]);
    command.env("XDG_STATE_HOME", &state).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = command.spawn().unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert!(first.contains("\"kind\":\"file\""), "{first}");
    // The reader (and the pipe with it) was dropped above.
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success(), "a job cut short by a closed stdout must not exit 0");
    assert!(stderr(&output).contains("standard output was closed"), "{}", stderr(&output));
    assert!(names(&container).await.len() < 20, "the job stopped");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `azblob sync --delete --json SRC az://c/p/ | head -1` where every file
/// is up to date and `SRC/sub` cannot be read: printing the first decision
/// meets the closed pipe. That must stop the job before `--delete`, and the
/// unreadable directory must still count as a failure: its blobs look like
/// extras. (A failure that met the closed pipe was dropped uncounted, and
/// the job went on to delete `p/sub/*`.)
#[tokio::test]
async fn a_closed_stdout_keeps_a_sync_delete_from_deleting() {
    let container = new_container(&support::client(), "fixes").await;
    let dir = support::scratch("fixes-pipe-delete");
    let (src, state) = (dir.join("src"), dir.join("state"));
    for name in ["a.txt", "b.txt", "sub/c.txt", "sub/d.txt", "z.txt"] {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, name).unwrap();
    }
    let dst = az(&container, "p/");
    let first = azblob(&["sync", src.to_str().unwrap(), &dst], &state);
    assert!(first.status.success(), "{}", stderr(&first));
    let before = names(&container).await;
    assert_eq!(before.len(), 5);
    std::fs::create_dir_all(&state).unwrap();
    give_away(&[&src, &state]);
    set_mode(&src.join("sub"), 0o000);
    let args = ["sync", "--delete", "--json", src.to_str().unwrap(), &dst];

    // With stdout open, the unreadable directory fails the job and nothing is deleted.
    let open = azblob_unprivileged(&args, &state);
    assert!(!open.status.success(), "{}", stderr(&open));
    assert_eq!(lines(&open).1["deleted"], 0);
    assert!(stderr(&open).contains("sub"), "{}", stderr(&open));
    assert_eq!(names(&container).await, before);

    // Stdout closed before the job starts: every line it prints meets a broken pipe.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = unprivileged_command(&args, &state);
    command.stdout(writer).stderr(Stdio::piped());
    let closed = command.output().unwrap();
    assert!(!closed.status.success(), "a job cut short by a closed stdout must not exit 0");
    assert!(stderr(&closed).contains("standard output was closed"), "{}", stderr(&closed));
    assert_eq!(names(&container).await, before, "nothing deleted");
    set_mode(&src.join("sub"), 0o755);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A download `sync` whose stdout is closed stops with the closed-stdout
/// message: the error that ended its plan keeps its type, where it once
/// became the text "listing the source failed: the reader ...".
#[tokio::test]
async fn a_closed_stdout_in_a_download_sync_is_reported_as_such() {
    let container = new_container(&support::client(), "fixes").await;
    let dir = support::scratch("fixes-pipe-down");
    let (out, state) = (dir.join("out"), dir.join("state"));
    for name in ["a.txt", "b.txt"] {
        container.blob(format!("s/{name}")).put(name).await.unwrap();
    }
    let args = ["sync", "--delete", "--json", &az(&container, "s/"), out.to_str().unwrap()];
    let first = azblob(&args, &state);
    assert!(first.status.success(), "{}", stderr(&first));
    std::fs::write(out.join("extra"), "extra").unwrap();

    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let mut command = emulator_command(&args);
    command.env("XDG_STATE_HOME", &state).stdout(writer).stderr(Stdio::piped());
    let closed = command.output().unwrap();
    assert!(!closed.status.success(), "a job cut short by a closed stdout must not exit 0");
    assert!(stderr(&closed).contains("standard output was closed"), "{}", stderr(&closed));
    assert!(!stderr(&closed).contains("listing"), "{}", stderr(&closed));
    assert!(out.join("extra").exists(), "nothing deleted");
    let _ = std::fs::remove_dir_all(&dir);
}

/// Azure trims the dots that end a path segment, so `x.` would become
/// blob `x`, which `sync --delete` then deleted as an extra in the same
/// run. Such names are refused: skipped, with the reason, and listed at
/// the end; the rest of the job goes on and succeeds.
#[tokio::test]
async fn an_upload_refuses_a_name_whose_segment_ends_in_a_dot() {
    let container = new_container(&support::client(), "fixes").await;
    let dir = support::scratch("fixes-dots");
    let (src, state) = (dir.join("src"), dir.join("state"));
    for name in ["x.", "d./y", "ok.txt"] {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, name).unwrap();
    }
    let output = azblob(&["sync", "--delete", "--json", src.to_str().unwrap(), &az(&container, "p/")], &state);
    assert!(output.status.success(), "{}", stderr(&output));
    let (files, summary) = lines(&output);
    assert_eq!((summary["files"].as_u64(), summary["deleted"].as_u64()), (Some(1), Some(0)), "{files:?}");
    for name in ["x.", "d./y"] {
        let line = files.iter().find(|f| f["from"] == name).unwrap_or_else(|| panic!("{name}: {files:?}"));
        assert_eq!(line["status"], "skipped", "{line}");
        assert!(line["reason"].as_str().unwrap().contains("ends in '.'"), "{line}");
        assert!(stderr(&output).contains(&format!("skipped: {name}: refused")), "{}", stderr(&output));
    }
    assert_eq!(names(&container).await, ["p/ok.txt"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A local file that cannot be read for `--checksum` is one failed file,
/// listed at the end; the listing and the other files go on.
#[tokio::test]
async fn an_unreadable_local_file_fails_alone_in_a_checksum_sync() {
    let container = new_container(&support::client(), "fixes").await;
    let dir = support::scratch("fixes-unreadable");
    let (out, state) = (dir.join("out"), dir.join("state"));
    for (name, data) in [("a.txt", "aaaa"), ("b.txt", "bbbb"), ("c.txt", "cccc")] {
        container.blob(format!("s/{name}")).put(data).await.unwrap();
    }
    std::fs::create_dir_all(&out).unwrap();
    std::fs::create_dir_all(&state).unwrap();
    // Same size as its blob, so `--checksum` must read it to compare.
    std::fs::write(out.join("b.txt"), "xxxx").unwrap();
    give_away(&[&out, &state]);
    set_mode(&out.join("b.txt"), 0o000);
    let output =
        azblob_unprivileged(&["sync", "--checksum", &az(&container, "s/"), out.to_str().unwrap(), "--json"], &state);
    assert!(!output.status.success(), "the unreadable file fails the job");
    let (files, summary) = lines(&output);
    assert_eq!((summary["files"].as_u64(), summary["failed"].as_u64()), (Some(2), Some(1)), "{summary}");
    let failed: Vec<_> = files.iter().filter(|f| f["status"] == "failed").collect();
    assert_eq!(failed[0]["from"], az(&container, "s/b.txt"), "{failed:?}");
    assert!(stderr(&output).contains("s/b.txt"), "listed at the end: {}", stderr(&output));
    assert!(!stderr(&output).contains("listing"), "{}", stderr(&output));
    assert_eq!(std::fs::read(out.join("a.txt")).unwrap(), b"aaaa");
    assert_eq!(std::fs::read(out.join("c.txt")).unwrap(), b"cccc", "the job went on past the unreadable file");
    set_mode(&out.join("b.txt"), 0o644);
    assert_eq!(std::fs::read(out.join("b.txt")).unwrap(), b"xxxx", "the failed file is left as it was");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A download over a read-only file (whose permissions the new file
/// keeps) gets the blob's modification time: it is set on the temporary
/// file, which is still writable, before the rename.
#[tokio::test]
async fn a_read_only_target_gets_the_blobs_mtime() {
    let container = new_container(&support::client(), "fixes").await;
    let dir = support::scratch("fixes-readonly");
    let (src, out, state) = (dir.join("src"), dir.join("out"), dir.join("state"));
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("ro.txt"), "new content").unwrap();
    let mtime = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    std::fs::File::options().write(true).open(src.join("ro.txt")).unwrap().set_modified(mtime).unwrap();
    let up = azblob(&["cp", "-r", src.to_str().unwrap(), &az(&container, "m/")], &state);
    assert!(up.status.success(), "{}", stderr(&up));

    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("ro.txt"), "old").unwrap();
    give_away(&[&out, &state]);
    set_mode(&out.join("ro.txt"), 0o444);
    let output = azblob_unprivileged(&["cp", "-r", &az(&container, "m/"), out.to_str().unwrap(), "--json"], &state);
    assert!(output.status.success(), "{}", stderr(&output));
    let target: PathBuf = out.join("ro.txt");
    assert_eq!(std::fs::read(&target).unwrap(), b"new content");
    let meta = std::fs::metadata(&target).unwrap();
    assert_eq!(meta.modified().unwrap(), mtime, "the blob's mtime");
    assert!(meta.permissions().readonly(), "the target's permissions are kept");
    let _ = std::fs::remove_dir_all(&dir);
}

/// An upload sync pairs files with blobs by merging the walk and the
/// listing in name order, not through the whole listing in memory: names
/// that sort around `/` (`a.txt` < `a/x` < `a0`) still meet their blobs,
/// so a second sync sends nothing, and `--delete` removes exactly the
/// extras.
#[tokio::test]
async fn an_upload_sync_merges_names_that_sort_around_slashes() {
    let container = new_container(&support::client(), "fixes").await;
    let dir = support::scratch("fixes-merge");
    let (src, state) = (dir.join("src"), dir.join("state"));
    let local = ["a.txt", "a/x", "a/x.y", "a-b", "a0", "ab/c", "b", "é.txt", "Z/z"];
    for name in local {
        let path = src.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, name).unwrap();
    }
    let dst = az(&container, "m/");
    let args = ["sync", src.to_str().unwrap(), &dst, "--json"];
    let first = azblob(&args, &state);
    assert!(first.status.success(), "{}", stderr(&first));
    let summary = lines(&first).1;
    assert_eq!(summary["files"], local.len());
    assert_eq!(summary["concurrency_backoffs"], 0, "no throttling on a direct link: {summary}");

    let second = azblob(&args, &state);
    assert!(second.status.success(), "{}", stderr(&second));
    let (files, summary) = lines(&second);
    assert_eq!(
        (summary["files"].as_u64(), summary["skipped"].as_u64()),
        (Some(0), Some(local.len() as u64)),
        "{files:?}"
    );

    // Extras on either side of the local names, and one local file removed.
    for extra in ["m/a/zz", "m/a.txt.old", "m/a/", "m/0"] {
        container.blob(extra).put("extra").await.unwrap();
    }
    std::fs::remove_file(src.join("a-b")).unwrap();
    std::fs::write(src.join("b"), "changed").unwrap();
    let third = azblob(&["sync", src.to_str().unwrap(), &dst, "--delete", "--json"], &state);
    assert!(third.status.success(), "{}", stderr(&third));
    let (files, summary) = lines(&third);
    assert_eq!((summary["files"].as_u64(), summary["deleted"].as_u64()), (Some(1), Some(5)), "{files:?}");
    let mut expected: Vec<String> = local.iter().filter(|n| **n != "a-b").map(|n| format!("m/{n}")).collect();
    expected.sort();
    assert_eq!(names(&container).await, expected);
    assert_eq!(container.blob("m/b").download().await.unwrap(), "changed");

    // --overwrite never pairs the same way: nothing is replaced.
    let never = azblob(&["cp", "-r", src.to_str().unwrap(), &dst, "--overwrite", "never", "--json"], &state);
    assert!(never.status.success(), "{}", stderr(&never));
    assert_eq!(lines(&never).1["skipped"], local.len() - 1);

    // A download sync --delete merges a fresh listing with the local walk
    // the same way: only the local extras go.
    let out = dir.join("out");
    let down = ["sync", &dst, out.to_str().unwrap(), "--delete", "--json"];
    assert!(azblob(&down, &state).status.success());
    for extra in ["a.txt.old", "a/zz", "0", "a-b"] {
        std::fs::write(out.join(extra), "extra").unwrap();
    }
    let output = azblob(&down, &state);
    assert!(output.status.success(), "{}", stderr(&output));
    let (files, summary) = lines(&output);
    assert_eq!((summary["files"].as_u64(), summary["deleted"].as_u64()), (Some(0), Some(4)), "{files:?}");
    for name in local.iter().filter(|n| **n != "a-b") {
        assert!(out.join(name).is_file(), "{name} stays");
    }
    for extra in ["a.txt.old", "a/zz", "0", "a-b"] {
        assert!(!out.join(extra).exists(), "{extra} is deleted");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
