//! Validation of container and blob names, and the URLs built from them.
//!
//! Names are checked before any request is sent, so a typo is an
//! [`InvalidInput`](crate::ErrorKind::InvalidInput) error that names the rule,
//! not an opaque 400 from the service.
//! <https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata>

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::Url;

use crate::error::{Error, Result};

/// Everything but unreserved characters and `/` is percent-encoded in blob paths.
const BLOB_PATH: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// The longest blob name the service accepts, in characters.
const MAX_BLOB_NAME_CHARS: usize = 1024;

/// Checks a storage account name as the service defines it: 3 to 24
/// lowercase letters and digits. An account name becomes part of a host name
/// (`{account}.blob.core.windows.net`), so anything else (a dot, a slash)
/// would send requests, and the credential with them, to another host.
/// <https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftstorage>
pub(crate) fn validate_account_name(name: &str) -> Result<()> {
    let ok = (3..=24).contains(&name.len()) && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "invalid storage account name {name:?}: account names are 3 to 24 lowercase letters and digits \
             (set the endpoint explicitly for an emulator or a custom domain)"
        )))
    }
}

/// Checks a container name: 3 to 63 lowercase letters, digits and single
/// hyphens, starting and ending with a letter or digit; or `$root`, `$logs`, `$web`.
pub(crate) fn validate_container_name(name: &str) -> Result<()> {
    if matches!(name, "$root" | "$logs" | "$web") {
        return Ok(());
    }
    let rule = "container names are 3 to 63 characters of lowercase letters, digits and single hyphens, \
                starting and ending with a letter or digit";
    let ok = (3..=63).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !name.starts_with('-')
        && !name.ends_with('-')
        && !name.contains("--");
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!("invalid container name {name:?}: {rule}")))
    }
}

/// Checks a blob name: 1 to 1,024 characters, no control characters, and no
/// `.` or `..` path segments (URL normalization would silently address a
/// different blob).
pub(crate) fn validate_blob_name(name: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::invalid_input(format!("invalid blob name {name:?}: {why}")));
    if name.is_empty() {
        return bad("it is empty");
    }
    if name.chars().count() > MAX_BLOB_NAME_CHARS {
        return bad("it is longer than 1,024 characters");
    }
    if name.chars().any(char::is_control) {
        return bad("it contains a control character");
    }
    if name.split('/').any(|segment| segment == "." || segment == "..") {
        return bad("it contains a '.' or '..' path segment");
    }
    Ok(())
}

/// The URL of a container under `endpoint`.
pub(crate) fn container_url(endpoint: &Url, container: &str) -> Result<Url> {
    validate_container_name(container)?;
    let mut url = endpoint.clone();
    let base = endpoint.path().trim_end_matches('/');
    url.set_path(&format!("{base}/{container}"));
    url.set_query(None);
    Ok(url)
}

/// The URL of a blob under `endpoint`, with the blob name percent-encoded.
pub(crate) fn blob_url(endpoint: &Url, container: &str, blob: &str) -> Result<Url> {
    validate_blob_name(blob)?;
    let mut url = container_url(endpoint, container)?;
    let path = format!("{}/{}", url.path(), utf8_percent_encode(blob, BLOB_PATH));
    url.set_path(&path);
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_names() {
        for ok in ["abc", "my-container-1", "a1b", "$root", &"a".repeat(63)] {
            assert!(validate_container_name(ok).is_ok(), "{ok}");
        }
        for bad in ["ab", "Abc", "a--b", "-abc", "abc-", "a_b", "a.b", "", &"a".repeat(64), "$other"] {
            let err = validate_container_name(bad).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn blob_names() {
        for ok in ["a", "dir/sub/file.txt", "with space and ü", "a//b", "..a", &"x".repeat(1024)] {
            assert!(validate_blob_name(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a/../b", "./a", "a/.", "tab\there", &"x".repeat(1025)] {
            assert!(validate_blob_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn urls_path_and_host_style() {
        let path_style: Url = "http://127.0.0.1:10000/devstoreaccount1".parse().unwrap();
        let url = blob_url(&path_style, "ct1", "dir/my blob?#%.txt").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:10000/devstoreaccount1/ct1/dir/my%20blob%3F%23%25.txt");

        let host_style: Url = "https://acct.blob.core.windows.net/".parse().unwrap();
        assert_eq!(
            blob_url(&host_style, "ct1", "ü/b").unwrap().as_str(),
            "https://acct.blob.core.windows.net/ct1/%C3%BC/b"
        );
        assert_eq!(container_url(&host_style, "ct1").unwrap().path(), "/ct1");
    }
}
