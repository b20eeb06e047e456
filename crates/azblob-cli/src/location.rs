//! Parsing of `az://CONTAINER/BLOB`, blob URLs and local paths.
//!
//! Errors show an argument through [`shown`]: a URL's SAS signature never
//! reaches the terminal.

use anyhow::{bail, Result};
use azblob::Secret;

/// A blob named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobLocation {
    /// The endpoint from a full URL; `None` for `az://` (taken from the environment).
    pub(crate) endpoint: Option<String>,
    /// The container's name.
    pub(crate) container: String,
    /// The blob's name, `/` separators kept.
    pub(crate) blob: String,
    /// A SAS carried in the URL's query (redacted in `Debug`).
    pub(crate) sas: Option<Secret>,
}

/// One side of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Location {
    /// A local file.
    Local(std::path::PathBuf),
    /// Standard input or output (`-`).
    Stdio,
    /// A blob.
    Blob(BlobLocation),
}

impl Location {
    /// Parses `az://container/blob`, `container/blob` or a blob URL.
    pub(crate) fn parse(text: &str) -> Result<Location> {
        if text == "-" {
            return Ok(Location::Stdio);
        }
        if let Some(rest) = text.strip_prefix("az://") {
            let (container, blob) = split_container(rest, text)?;
            return Ok(Location::Blob(BlobLocation { endpoint: None, container, blob, sas: None }));
        }
        if is_url(text) {
            let url = parse_url(text)?;
            let (container, blob) = split_container(&url.path, text)?;
            return Ok(Location::Blob(BlobLocation { endpoint: Some(url.endpoint), container, blob, sas: url.sas }));
        }
        Ok(Location::Local(text.into()))
    }
}

/// Parses `az://CONTAINER[/PREFIX]` or a container URL (with an optional
/// prefix and a SAS); the prefix lands in `blob` and may be empty.
pub(crate) fn parse_container_prefix(text: &str) -> Result<BlobLocation> {
    let (endpoint, path, sas) = if let Some(rest) = text.strip_prefix("az://") {
        (None, rest.to_owned(), None)
    } else if is_url(text) {
        let url = parse_url(text)?;
        (Some(url.endpoint), url.path, url.sas)
    } else {
        bail!("{} names no container: expected az://CONTAINER[/PREFIX] or a container URL", shown(text));
    };
    let (container, prefix) = path.split_once('/').unwrap_or((&path, ""));
    if container.is_empty() {
        bail!("{} names no container: expected az://CONTAINER[/PREFIX] or a container URL", shown(text));
    }
    Ok(BlobLocation { endpoint, container: container.to_owned(), blob: prefix.to_owned(), sas })
}

/// An argument as messages show it: quoted, and redacted by
/// [`azblob::redact_url_text`] (text that does not parse as a URL loses its
/// whole query).
pub(crate) fn shown(text: &str) -> String {
    format!("{:?}", azblob::redact_url_text(text))
}

/// Whether the argument is a URL rather than an `az://` or bare path.
fn is_url(text: &str) -> bool {
    text.starts_with("https://") || text.starts_with("http://")
}

/// Splits `container/blob` into its two names, refusing a missing blob name.
fn split_container(rest: &str, whole: &str) -> Result<(String, String)> {
    match rest.split_once('/') {
        Some((c, b)) if !c.is_empty() && !b.is_empty() => Ok((c.to_owned(), b.to_owned())),
        _ => bail!("{} names no blob: expected az://CONTAINER/BLOB or a blob URL", shown(whole)),
    }
}

/// A URL split into the account's endpoint, the (decoded) path below it, and its SAS.
struct ParsedUrl {
    /// The account's endpoint, with no container or blob path.
    endpoint: String,
    /// The container and blob path below the endpoint, decoded.
    path: String,
    /// The URL's own SAS, if it had one.
    sas: Option<Secret>,
}

/// Host-style (`https://acct.blob.core.windows.net/c/b`) or path-style
/// (`http://127.0.0.1:10000/acct/c/b`) URL, read by [`azblob::BlobUrl`].
fn parse_url(text: &str) -> Result<ParsedUrl> {
    let url = azblob::BlobUrl::parse(text)?;
    // A URL that selects a snapshot or a version names something the
    // commands would not address (they act on the current blob): `rm` of a
    // snapshot's URL would delete the blob itself.
    if !url.selector.is_current() {
        bail!(
            "{} selects a {}; azblob acts on the current blob of a URL (use --version-id where a command offers it)",
            shown(text),
            if url.selector.snapshot.is_some() { "snapshot" } else { "version" }
        );
    }
    let path = match (url.container, url.blob) {
        (Some(container), Some(blob)) => format!("{container}/{blob}"),
        (Some(container), None) => container,
        (None, _) => String::new(),
    };
    // Without its trailing slash, as `az://` arguments and `--json` show it.
    let endpoint = url.endpoint.as_str().trim_end_matches('/').to_owned();
    Ok(ParsedUrl { endpoint, path, sas: url.sas })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(text: &str) -> BlobLocation {
        match Location::parse(text).unwrap() {
            Location::Blob(b) => b,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_the_three_forms() {
        let b = blob("az://data/dir/file.bin");
        assert_eq!((b.endpoint, b.container.as_str(), b.blob.as_str()), (None, "data", "dir/file.bin"));

        let b = blob("https://acct.blob.core.windows.net/data/a%20b.txt?sv=2023-11-03&sig=abc");
        assert_eq!(b.endpoint.as_deref(), Some("https://acct.blob.core.windows.net"));
        assert_eq!((b.container.as_str(), b.blob.as_str()), ("data", "a b.txt"));
        assert_eq!(b.sas.as_ref().map(Secret::expose), Some("sv=2023-11-03&sig=abc"));
        assert!(!format!("{b:?}").contains("abc"), "the SAS is redacted in Debug");

        let b = blob("http://127.0.0.1:10000/devstoreaccount1/c1/x/y");
        assert_eq!(b.endpoint.as_deref(), Some("http://127.0.0.1:10000/devstoreaccount1"));
        assert_eq!((b.container.as_str(), b.blob.as_str()), ("c1", "x/y"));

        assert_eq!(Location::parse("-").unwrap(), Location::Stdio);
        assert_eq!(Location::parse("./local.bin").unwrap(), Location::Local("./local.bin".into()));
    }

    #[test]
    fn container_with_optional_prefix() {
        let b = parse_container_prefix("az://data").unwrap();
        assert_eq!((b.container.as_str(), b.blob.as_str()), ("data", ""));
        let b = parse_container_prefix("az://data/").unwrap();
        assert_eq!((b.container.as_str(), b.blob.as_str()), ("data", ""));
        let b = parse_container_prefix("az://data/logs/2026").unwrap();
        assert_eq!((b.container.as_str(), b.blob.as_str()), ("data", "logs/2026"));
        assert!(parse_container_prefix("az://").is_err());
        assert!(parse_container_prefix("./local").is_err());
    }

    #[test]
    fn container_urls_with_a_sas() {
        for (text, prefix) in [
            ("https://acct.blob.core.windows.net/c/?sv=2023-11-03&sp=rl&sig=abc", ""),
            ("https://acct.blob.core.windows.net/c?sv=2023-11-03&sp=rl&sig=abc", ""),
            ("https://acct.blob.core.windows.net/c/logs/2026?sv=2023-11-03&sp=rl&sig=abc", "logs/2026"),
        ] {
            let b = parse_container_prefix(text).unwrap();
            assert_eq!(b.endpoint.as_deref(), Some("https://acct.blob.core.windows.net"), "{text}");
            assert_eq!((b.container.as_str(), b.blob.as_str()), ("c", prefix), "{text}");
            assert_eq!(b.sas.as_ref().map(Secret::expose), Some("sv=2023-11-03&sp=rl&sig=abc"));
        }
        let b = parse_container_prefix("http://127.0.0.1:10000/devstoreaccount1/c1/").unwrap();
        assert_eq!(b.endpoint.as_deref(), Some("http://127.0.0.1:10000/devstoreaccount1"));
        assert_eq!((b.container.as_str(), b.blob.as_str()), ("c1", ""));
    }

    #[test]
    fn errors_never_show_a_signature() {
        for bad in [
            "https://acct.blob.core.windows.net/?sv=2023-11-03&sig=secret-signature",
            "https://acct.blob.core.windows.net/c/?sv=2023-11-03&sig=secret-signature",
            "http://127.0.0.1:10000/?sig=secret-signature",
            "https://[bad/c/b?sig=secret-signature",
        ] {
            let err = Location::parse(bad).unwrap_err();
            let text = format!("{err:#}");
            assert!(!text.contains("secret-signature"), "{text}");
        }
        let err = parse_container_prefix("https://acct.blob.core.windows.net/?sig=secret-signature").unwrap_err();
        let text = format!("{err:#}");
        assert!(!text.contains("secret-signature") && text.contains("sig=REDACTED"), "{text}");
    }

    #[test]
    fn rejects_urls_that_name_something_else() {
        for (bad, why) in [
            ("https://acct.blob.core.windows.net/c/b?snapshot=2026-01-01T00:00:00.0000000Z", "snapshot"),
            ("https://acct.blob.core.windows.net/c/b?versionid=2026-01-01T00:00:00.0000000Z", "version"),
            ("https://acct.blob.core.windows.net/c/b?snapshot=2026-01-01T00:00:00Z&sv=2023-11-03&sig=abc", "snapshot"),
            ("https://acct.blob.core.windows.net/c/%ff%fe", "UTF-8"),
        ] {
            let err = Location::parse(bad).unwrap_err();
            assert!(format!("{err:#}").contains(why), "{bad}: {err:#}");
        }
        assert!(parse_container_prefix("https://acct.blob.core.windows.net/c/%ff").is_err());
    }

    #[test]
    fn rejects_urls_without_a_blob() {
        for bad in ["az://", "az://container", "az://container/", "az:///blob"] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }
}
