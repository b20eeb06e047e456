//! Which files of a tree a job takes: `--include`/`--exclude` globs on the
//! whole relative path, `--files-from`, `--min-size`/`--max-size`.

use std::collections::HashSet;

use anyhow::{Context, Result};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

/// The filters of one job, built once from the command line.
#[derive(Debug, Default)]
pub(crate) struct Filter {
    /// Paths must match one of these, when any are given.
    include: Option<GlobSet>,
    /// Paths matching one of these are left out.
    exclude: Option<GlobSet>,
    /// Only these relative paths, when `--files-from` gives a list.
    listed: Option<HashSet<String>>,
    /// The smallest size taken.
    min_size: Option<u64>,
    /// The largest size taken.
    max_size: Option<u64>,
}

impl Filter {
    /// Builds the filter; a glob that does not parse or a list that cannot
    /// be read is an error before anything is sent.
    pub(crate) fn new(
        include: &[String],
        exclude: &[String],
        files_from: Option<&std::path::Path>,
        min_size: Option<u64>,
        max_size: Option<u64>,
    ) -> Result<Filter> {
        let listed = match files_from {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .with_context(|| format!("cannot read --files-from {}", path.display()))?;
                Some(
                    text.lines()
                        .map(|line| line.trim_end_matches('\r').trim_start_matches("./").to_owned())
                        .filter(|line| !line.is_empty() && !line.starts_with('#'))
                        .collect(),
                )
            }
        };
        Ok(Filter {
            include: glob_set(include, "--include")?,
            exclude: glob_set(exclude, "--exclude")?,
            listed,
            min_size,
            max_size,
        })
    }

    /// Why `path` (relative, `/`-separated) of `size` bytes is left out, or
    /// `None` when the job takes it.
    pub(crate) fn rejects(&self, path: &str, size: u64) -> Option<&'static str> {
        if self.listed.as_ref().is_some_and(|listed| !listed.contains(path)) {
            return Some("not in --files-from");
        }
        if self.include.as_ref().is_some_and(|set| !set.is_match(path)) {
            return Some("not matched by --include");
        }
        if self.exclude.as_ref().is_some_and(|set| set.is_match(path)) {
            return Some("matched by --exclude");
        }
        if self.min_size.is_some_and(|min| size < min) {
            return Some("smaller than --min-size");
        }
        if self.max_size.is_some_and(|max| size > max) {
            return Some("larger than --max-size");
        }
        None
    }
}

/// The globs as one set matched against the whole relative path: `*` stays
/// within one directory level, `**` crosses them, so `*.txt` matches
/// `a.txt` but not `logs/a.txt`, which `**/*.txt` matches.
fn glob_set(globs: &[String], flag: &str) -> Result<Option<GlobSet>> {
    if globs.is_empty() {
        return Ok(None);
    }
    let mut set = GlobSetBuilder::new();
    for glob in globs {
        let glob = GlobBuilder::new(glob)
            .literal_separator(true)
            .build()
            .with_context(|| format!("{flag} {glob:?} is not a valid glob"))?;
        set.add(glob);
    }
    Ok(Some(set.build().with_context(|| format!("invalid {flag} globs"))?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(include: &[&str], exclude: &[&str]) -> Filter {
        let own = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        Filter::new(&own(include), &own(exclude), None, None, None).unwrap()
    }

    #[test]
    fn globs_match_the_whole_relative_path() {
        let f = filter(&["**/*.safetensors"], &[]);
        assert_eq!(f.rejects("model/a.safetensors", 1), None);
        assert_eq!(f.rejects("a.safetensors", 1), None);
        assert_eq!(f.rejects("model/a.json", 1), Some("not matched by --include"));
        let f = filter(&["*.txt"], &[]);
        assert_eq!(f.rejects("a.txt", 1), None);
        assert!(f.rejects("logs/a.txt", 1).is_some(), "* stays within one level");
        let f = filter(&["logs/2026-*/**"], &["**/*.tmp"]);
        assert_eq!(f.rejects("logs/2026-01/x/y.log", 1), None);
        assert!(f.rejects("logs/2025-01/y.log", 1).is_some());
        assert_eq!(f.rejects("logs/2026-01/y.tmp", 1), Some("matched by --exclude"));
    }

    #[test]
    fn sizes_and_lists_filter_too() {
        let f = Filter::new(&[], &[], None, Some(10), Some(20)).unwrap();
        assert_eq!(f.rejects("a", 9), Some("smaller than --min-size"));
        assert_eq!(f.rejects("a", 10), None);
        assert_eq!(f.rejects("a", 21), Some("larger than --max-size"));
        let dir = std::env::temp_dir().join(format!("azblob-filter-{}", std::process::id()));
        std::fs::write(&dir, "# comment\n./a/b.txt\nc\n").unwrap();
        let f = Filter::new(&[], &[], Some(&dir), None, None).unwrap();
        assert_eq!(f.rejects("a/b.txt", 1), None);
        assert_eq!(f.rejects("c", 1), None);
        assert_eq!(f.rejects("d", 1), Some("not in --files-from"));
        let _ = std::fs::remove_file(&dir);
    }

    #[test]
    fn a_bad_glob_is_an_error_naming_the_flag() {
        let err = Filter::new(&["a[".to_owned()], &[], None, None, None).unwrap_err();
        assert!(format!("{err:#}").contains("--include \"a[\""), "{err:#}");
    }
}
