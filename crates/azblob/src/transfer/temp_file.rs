//! The temporary file a download to a path writes into, and how it takes
//! the target's place.
//!
//! - It sits beside the target (`.{name}.azblob-{random}.partial`), so the
//!   final rename stays on one file system and is atomic.
//! - It is removed when dropped unless it was moved into place: a failed
//!   download, a cancelled one (its future dropped) and an interrupted CLI
//!   (which drops the future on SIGINT/SIGTERM) leave nothing behind.
//! - On Unix it is readable by its owner only (0600) while it fills, since
//!   a blob may be private and the umask may not be. Before it takes the
//!   target's place it gets the existing target's permissions (a 0600 file
//!   stays 0600), or for a new target the permissions the umask gives a new
//!   file, read from the temporary file as created and before any data.

use std::fs::{File, OpenOptions, Permissions};
use std::path::{Path, PathBuf};

use crate::error::{Error, ErrorKind, Result};

/// A download's temporary file; see the module docs.
#[derive(Debug)]
pub(crate) struct TempFile {
    path: PathBuf,
    /// What a new file gets here (the umask applied); `None` where the
    /// platform has nothing beyond a read-only flag.
    new_file_permissions: Option<Permissions>,
    armed: bool,
}

impl TempFile {
    /// Creates the temporary file beside `target`; with `make_parent`, the
    /// directory too when it is missing.
    pub(crate) fn create_beside(target: &Path, make_parent: bool) -> Result<(TempFile, File)> {
        let path = temp_path(target);
        let io_error = |e| write_error(target, e);
        let create = || OpenOptions::new().write(true).create_new(true).open(&path);
        let file = match create() {
            // Made only once missing: the files of a many-file job mostly
            // share directories that exist, and a `mkdir` and a `stat` per
            // file showed in the profile of 10,000 small files.
            Err(e) if make_parent && e.kind() == std::io::ErrorKind::NotFound => {
                let parent = path.parent().unwrap_or(Path::new("."));
                std::fs::create_dir_all(parent).map_err(|e| {
                    Error::new(ErrorKind::Io, format!("cannot create {}: {e}", parent.display()))
                        .with_source_in_message(e)
                })?;
                create()
            }
            created => created,
        }
        .map_err(io_error)?;
        let mut temp = TempFile { path, new_file_permissions: None, armed: true };
        temp.narrow(&file).map_err(io_error)?;
        Ok((temp, file))
    }

    #[cfg(unix)]
    fn narrow(&mut self, file: &File) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        self.new_file_permissions = Some(file.metadata()?.permissions());
        file.set_permissions(Permissions::from_mode(0o600))
    }

    #[cfg(not(unix))]
    fn narrow(&mut self, _file: &File) -> std::io::Result<()> {
        Ok(())
    }

    /// Moves the finished file to `target`, with the target's permissions if
    /// it exists. With `overwrite` false an existing target is refused with
    /// [`AlreadyExists`](ErrorKind::AlreadyExists), also one that appeared
    /// during the download: the file is linked into place, which fails
    /// rather than replace anything.
    pub(crate) fn persist(mut self, target: &Path, overwrite: bool) -> Result<()> {
        let io_error = |e| write_error(target, e);
        let permissions = match std::fs::metadata(target) {
            Ok(_) if !overwrite => return Err(exists(target)),
            Ok(existing) => Some(existing.permissions()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.new_file_permissions.take(),
            Err(e) => return Err(io_error(e)),
        };
        if let Some(permissions) = permissions {
            std::fs::set_permissions(&self.path, permissions).map_err(io_error)?;
        }
        if !overwrite {
            match std::fs::hard_link(&self.path, target) {
                // The temporary name is now a second link, which the drop removes.
                Ok(()) => return Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => return Err(exists(target)),
                // A file system without hard links: check, then rename.
                Err(_) if std::fs::symlink_metadata(target).is_ok() => return Err(exists(target)),
                Err(_) => {}
            }
        }
        std::fs::rename(&self.path, target).map_err(io_error)?;
        self.armed = false;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if self.armed {
            // Best effort: there is no one left to tell about a failure.
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// The error for a failed write on the way to `target`, named after the
/// target: the temporary file's name means nothing to the caller.
fn write_error(target: &Path, e: std::io::Error) -> Error {
    Error::new(ErrorKind::Io, format!("cannot write {}: {e}", target.display())).with_source_in_message(e)
}

/// The refusal of a download that would replace an existing file.
pub(crate) fn exists(target: &Path) -> Error {
    Error::new(ErrorKind::AlreadyExists, format!("{} exists and overwriting was not allowed", target.display()))
}

/// `.{name}.azblob-{random}.partial` beside `path`.
fn temp_path(path: &Path) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "download".into());
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    dir.join(format!(".{name}.azblob-{:08x}.partial", fastrand::u32(..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch() -> PathBuf {
        let dir = std::env::temp_dir().join(format!("azblob-temp-{:016x}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn leftovers(dir: &Path) -> Vec<String> {
        std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".partial"))
            .collect()
    }

    #[test]
    fn temp_files_sit_beside_the_target() {
        let t = temp_path(Path::new("/data/out.bin"));
        assert_eq!(t.parent(), Some(Path::new("/data")));
        assert!(t.file_name().unwrap().to_string_lossy().starts_with(".out.bin.azblob-"));
        assert_eq!(temp_path(Path::new("plain")).parent(), Some(Path::new(".")));
    }

    #[test]
    fn a_dropped_temp_file_is_removed() {
        let dir = scratch();
        let (temp, _file) = TempFile::create_beside(&dir.join("t"), false).unwrap();
        assert_eq!(leftovers(&dir).len(), 1);
        drop(temp);
        assert!(leftovers(&dir).is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_directory_is_made_only_when_asked() {
        let dir = scratch();
        let target = dir.join("a/b/t");
        let refused = TempFile::create_beside(&target, false).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::Io);
        assert!(!dir.join("a").exists());
        let (temp, _file) = TempFile::create_beside(&target, true).unwrap();
        temp.persist(&target, false).unwrap();
        assert!(target.is_file());
        // A file where the directory should be is an error, not a directory made elsewhere.
        let blocked = dir.join("t/u");
        std::fs::write(dir.join("t"), b"x").unwrap();
        assert_eq!(TempFile::create_beside(&blocked, true).unwrap_err().kind(), ErrorKind::Io);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn without_overwrite_an_existing_target_is_kept() {
        let dir = scratch();
        let target = dir.join("t");
        std::fs::write(&target, b"old").unwrap();
        let (temp, file) = TempFile::create_beside(&target, false).unwrap();
        std::io::Write::write_all(&mut &file, b"new").unwrap();
        assert_eq!(temp.persist(&target, false).unwrap_err().kind(), ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        assert!(leftovers(&dir).is_empty());

        let fresh = dir.join("fresh");
        let (temp, file) = TempFile::create_beside(&fresh, false).unwrap();
        std::io::Write::write_all(&mut &file, b"new").unwrap();
        temp.persist(&fresh, false).unwrap();
        assert_eq!(std::fs::read(&fresh).unwrap(), b"new");
        assert!(leftovers(&dir).is_empty(), "the second link is gone");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn permissions_are_private_while_filling_then_the_targets() {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let dir = scratch();
        let target = dir.join("secret");
        std::fs::write(&target, b"old").unwrap();
        std::fs::set_permissions(&target, Permissions::from_mode(0o600)).unwrap();
        let (temp, _file) = TempFile::create_beside(&target, false).unwrap();
        assert_eq!(mode(&temp.path), 0o600, "private while it fills");
        temp.persist(&target, true).unwrap();
        assert_eq!(mode(&target), 0o600, "a 0600 target stays 0600");

        let wide = dir.join("wide");
        std::fs::write(&wide, b"old").unwrap();
        std::fs::set_permissions(&wide, Permissions::from_mode(0o755)).unwrap();
        TempFile::create_beside(&wide, false).unwrap().0.persist(&wide, true).unwrap();
        assert_eq!(mode(&wide), 0o755, "an executable stays executable");

        // A new target gets what any new file gets here.
        let reference = dir.join("reference");
        std::fs::write(&reference, b"").unwrap();
        let new = dir.join("new");
        TempFile::create_beside(&new, false).unwrap().0.persist(&new, true).unwrap();
        assert_eq!(mode(&new), mode(&reference));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
