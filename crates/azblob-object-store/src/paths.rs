//! Paths and blob names: an object's path, under the store's prefix, is its blob's name.

use object_store::path::Path;

use crate::errors::STORE;

/// The store's prefix as it starts a blob name: empty, or segments ending in `/`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Prefix(String);

impl Prefix {
    /// The prefix of `path`'s segments (an empty path: no prefix).
    pub(crate) fn new(path: &Path) -> Prefix {
        let raw = path.as_ref();
        if raw.is_empty() {
            Prefix(String::new())
        } else {
            Prefix(format!("{raw}/"))
        }
    }

    /// The prefix as given, without its trailing `/`.
    pub(crate) fn as_path_str(&self) -> &str {
        self.0.strip_suffix('/').unwrap_or("")
    }

    /// The blob name of `location`.
    pub(crate) fn blob_name(&self, location: &Path) -> String {
        format!("{}{}", self.0, location.as_ref())
    }

    /// The blob-name prefix that lists what lies under `prefix` (a directory:
    /// `a` lists `a/...`, never `ab`), or everything under the store's prefix.
    pub(crate) fn list_prefix(&self, prefix: Option<&Path>) -> Option<String> {
        let under = match prefix.map(|p| p.as_ref()).filter(|p| !p.is_empty()) {
            Some(p) => format!("{}{p}/", self.0),
            None => self.0.clone(),
        };
        (!under.is_empty()).then_some(under)
    }

    /// The blob-name prefix of a raw string prefix (no `/` added), for paginated lists.
    pub(crate) fn raw_prefix(&self, prefix: Option<&str>) -> Option<String> {
        let under = format!("{}{}", self.0, prefix.unwrap_or(""));
        (!under.is_empty()).then_some(under)
    }

    /// The path of a listed blob name, or of a listed directory (its trailing `/` dropped).
    ///
    /// A name outside the prefix, or one that is no valid path (such as
    /// `a//b`, which object_store cannot represent), is an error rather than
    /// an entry silently renamed.
    pub(crate) fn path_of(&self, name: &str) -> object_store::Result<Path> {
        let rest = name.strip_prefix(&self.0).ok_or_else(|| object_store::Error::Generic {
            store: STORE,
            source: format!("the service listed {name:?}, outside the prefix {:?}", self.0).into(),
        })?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        Ok(Path::parse(rest)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_join_the_prefix_and_listings_strip_it() {
        let none = Prefix::new(&Path::from(""));
        assert_eq!(none.blob_name(&Path::from("a/b.parquet")), "a/b.parquet");
        assert_eq!(none.list_prefix(None), None);
        assert_eq!(none.list_prefix(Some(&Path::from("a"))).as_deref(), Some("a/"));
        assert_eq!(none.raw_prefix(Some("fo")).as_deref(), Some("fo"));
        assert_eq!(none.raw_prefix(None), None);

        let tables = Prefix::new(&Path::from("lake/tables"));
        assert_eq!(tables.as_path_str(), "lake/tables");
        assert_eq!(tables.blob_name(&Path::from("t1/part-0")), "lake/tables/t1/part-0");
        assert_eq!(tables.list_prefix(None).as_deref(), Some("lake/tables/"));
        assert_eq!(tables.list_prefix(Some(&Path::from("t1"))).as_deref(), Some("lake/tables/t1/"));
        assert_eq!(tables.path_of("lake/tables/t1/part-0").unwrap(), Path::from("t1/part-0"));
        assert_eq!(tables.path_of("lake/tables/t1/").unwrap(), Path::from("t1"));
        assert!(tables.path_of("elsewhere/x").is_err());
        // Percent signs are part of the name: a listed `a%2Fb` is the one segment `a/b`.
        assert_eq!(none.path_of("a%2Fb").unwrap().as_ref(), "a%2Fb");
        assert!(none.path_of("a//b").is_err());
    }
}
