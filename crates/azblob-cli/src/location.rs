//! Parsing of `az://CONTAINER/BLOB`, blob URLs and local paths.

use anyhow::{bail, Result};

/// A blob named on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BlobLocation {
    /// The endpoint from a full URL; `None` for `az://` (taken from the environment).
    pub(crate) endpoint: Option<String>,
    pub(crate) container: String,
    pub(crate) blob: String,
    /// A SAS carried in the URL's query.
    pub(crate) sas: Option<String>,
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
    pub(crate) fn parse(text: &str) -> Result<Location> {
        if text == "-" {
            return Ok(Location::Stdio);
        }
        if let Some(rest) = text.strip_prefix("az://") {
            let (container, blob) = split_container(rest, text)?;
            return Ok(Location::Blob(BlobLocation { endpoint: None, container, blob, sas: None }));
        }
        if text.starts_with("https://") || text.starts_with("http://") {
            return parse_url(text).map(Location::Blob);
        }
        Ok(Location::Local(text.into()))
    }
}

/// Parses `az://CONTAINER[/PREFIX]` or a container URL (with an optional
/// prefix); the prefix lands in `blob` and may be empty.
pub(crate) fn parse_container_prefix(text: &str) -> Result<BlobLocation> {
    let with_slash = if text.starts_with("az://") && !text["az://".len()..].contains('/') {
        format!("{text}/")
    } else {
        text.to_owned()
    };
    let (endpoint, container, prefix, sas) = match Location::parse(&with_slash) {
        Ok(Location::Blob(b)) => (b.endpoint, b.container, b.blob, b.sas),
        // `az://C/` and `https://host/acct/C/` name a container without a prefix.
        _ => match with_slash.strip_prefix("az://").and_then(|r| r.strip_suffix('/')) {
            Some(container) if !container.is_empty() && !container.contains('/') => {
                (None, container.to_owned(), String::new(), None)
            }
            _ => bail!("{text:?} names no container: expected az://CONTAINER[/PREFIX]"),
        },
    };
    Ok(BlobLocation { endpoint, container, blob: prefix, sas })
}

fn split_container(rest: &str, whole: &str) -> Result<(String, String)> {
    match rest.split_once('/') {
        Some((c, b)) if !c.is_empty() && !b.is_empty() => Ok((c.to_owned(), b.to_owned())),
        _ => bail!("{whole:?} names no blob: expected az://CONTAINER/BLOB"),
    }
}

/// Host-style (`https://acct.blob.core.windows.net/c/b`) or path-style
/// (`http://127.0.0.1:10000/acct/c/b`) URL.
fn parse_url(text: &str) -> Result<BlobLocation> {
    let url = url::Url::parse(text).map_err(|e| anyhow::anyhow!("invalid URL: {e}"))?;
    let host = url.host_str().unwrap_or_default().to_owned();
    let decoded: Vec<String> = url
        .path_segments()
        .map(|s| s.map(|p| percent_encoding::percent_decode_str(p).decode_utf8_lossy().into_owned()).collect())
        .unwrap_or_default();
    let host_style = host.contains(".blob.");
    let (endpoint, rest) = if host_style {
        (format!("{}://{}", url.scheme(), url.authority()), &decoded[..])
    } else {
        let Some((account, rest)) = decoded.split_first() else { bail!("{text:?} names no account") };
        (format!("{}://{}/{account}", url.scheme(), url.authority()), rest)
    };
    let joined = rest.join("/");
    let (container, blob) = split_container(&joined, text)?;
    let sas = url.query().filter(|q| q.contains("sig=")).map(str::to_owned);
    Ok(BlobLocation { endpoint: Some(endpoint), container, blob, sas })
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
        assert_eq!(b.sas.as_deref(), Some("sv=2023-11-03&sig=abc"));

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
    fn rejects_urls_without_a_blob() {
        for bad in ["az://", "az://container", "az://container/", "az:///blob"] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
    }
}
