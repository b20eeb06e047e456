//! Where a blob lands under a download's destination directory: always
//! inside it, or nowhere.

use std::path::{Component, Path, PathBuf};

/// The local path for the blob whose name below the job's prefix is `rel`,
/// or why it has none: a name with `..` or `.`, an absolute name, a
/// backslash, an empty segment (`a//b`, a trailing `/`), a character the
/// platform cannot name a file with, or a path that would pass through a
/// symbolic link or a file, or land on a directory, is refused, so nothing
/// is ever written outside `root`.
pub(crate) fn local_path(root: &Path, rel: &str) -> Result<PathBuf, String> {
    if rel.is_empty() {
        return Err("an empty name below the prefix".to_owned());
    }
    if rel.starts_with('/') {
        return Err("an absolute path".to_owned());
    }
    if rel.contains('\\') {
        return Err("a backslash in the name".to_owned());
    }
    if rel.contains('\0') {
        return Err("a NUL character in the name".to_owned());
    }
    let mut path = root.to_path_buf();
    for segment in rel.split('/') {
        match segment {
            "" => return Err("an empty path segment (a `//` or a trailing `/`)".to_owned()),
            "." | ".." => return Err(format!("a `{segment}` segment")),
            _ if cfg!(windows) => windows_name(segment)?,
            _ => {}
        }
        path.push(segment);
    }
    // Belt and braces: the path must still be `root` followed by plain names.
    let below = path.strip_prefix(root).map_err(|_| "a path outside the destination".to_owned())?;
    if !below.components().all(|c| matches!(c, Component::Normal(_))) {
        return Err("a path outside the destination".to_owned());
    }
    check_on_disk(root, below)?;
    Ok(path)
}

/// Refuses a segment Windows cannot name a file with: a reserved character,
/// a control character, a trailing dot or space, or a device name (`CON`,
/// `NUL.txt`, `com1`), which would open the device instead of a file.
fn windows_name(segment: &str) -> Result<(), String> {
    if segment.contains([':', '*', '?', '"', '<', '>', '|']) || segment.chars().any(char::is_control) {
        return Err("a character Windows does not allow in file names".to_owned());
    }
    if segment.ends_with(['.', ' ']) {
        return Err("a name ending in a dot or a space, which Windows drops".to_owned());
    }
    let stem = segment.split('.').next().unwrap_or(segment).trim_end().to_ascii_uppercase();
    let device = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (stem.len() == 4
            && (stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.as_bytes()[3].is_ascii_digit()
            && stem.as_bytes()[3] != b'0');
    if device {
        return Err(format!("`{segment}` names a Windows device"));
    }
    Ok(())
}

/// Refuses a path whose directories already exist as a symbolic link or a
/// file, or whose end is an existing directory.
fn check_on_disk(root: &Path, below: &Path) -> Result<(), String> {
    let mut at = root.to_path_buf();
    let count = below.components().count();
    for (i, component) in below.components().enumerate() {
        at.push(component);
        let Ok(meta) = std::fs::symlink_metadata(&at) else {
            // Nothing there yet: the rest is created by the download.
            return Ok(());
        };
        let last = i + 1 == count;
        if meta.file_type().is_symlink() {
            return Err(format!("{} is a symbolic link", at.display()));
        }
        if last && meta.is_dir() {
            return Err("the name collides with a directory".to_owned());
        }
        if !last && !meta.is_dir() {
            return Err(format!("{} is a file, not a directory", at.display()));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_would_leave_the_destination_are_refused() {
        let root = std::env::temp_dir().join(format!("azblob-localpath-{}", std::process::id()));
        std::fs::create_dir_all(root.join("dir")).unwrap();
        for bad in ["../x", "a/../../x", "/etc/passwd", "a\\..\\x", "a//b", "a/", ".", "a/./b", ""] {
            assert!(local_path(&root, bad).is_err(), "{bad:?}");
        }
        assert_eq!(local_path(&root, "dir").unwrap_err(), "the name collides with a directory");
        std::fs::write(root.join("file"), "x").unwrap();
        assert!(local_path(&root, "file/x").unwrap_err().contains("is a file"));
        assert_eq!(local_path(&root, "dir/a b/ü.txt").unwrap(), root.join("dir").join("a b").join("ü.txt"));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/tmp", root.join("link")).unwrap();
            assert!(local_path(&root, "link/x").unwrap_err().contains("symbolic link"));
        }
        let _ = std::fs::remove_dir_all(&root);
    }

    #[test]
    fn names_windows_cannot_hold_are_refused_there() {
        for bad in ["a:b", "a?", "CON", "nul.txt", "com1", "LPT9.log", "end.", "end ", "tab\t"] {
            assert!(windows_name(bad).is_err(), "{bad:?}");
        }
        for good in ["a.txt", "console", "com0", "COM10", "lpt", ".hidden", "a b"] {
            assert_eq!(windows_name(good), Ok(()), "{good:?}");
        }
    }
}
