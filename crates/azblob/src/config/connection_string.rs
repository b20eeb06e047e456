//! Parsing of Azure Storage connection strings.
//!
//! <https://learn.microsoft.com/azure/storage/common/storage-configure-connection-string>

use super::{ClientBuilder, DEV_ACCOUNT, DEV_ACCOUNT_KEY, DEV_BLOB_ENDPOINT};
use crate::error::{Error, Result};

/// The fields of a connection string that matter to the blob service.
#[derive(Default)]
pub(super) struct ConnectionString {
    account_name: Option<String>,
    account_key: Option<String>,
    protocol: Option<String>,
    endpoint_suffix: Option<String>,
    blob_endpoint: Option<String>,
    sas: Option<String>,
    development: bool,
}

/// Keys of other services' settings, accepted and ignored.
const IGNORED_KEYS: &[&str] =
    &["queueendpoint", "tableendpoint", "fileendpoint", "dfsendpoint", "queuesecondaryendpoint"];

pub(super) fn parse(text: &str) -> Result<ConnectionString> {
    let mut cs = ConnectionString::default();
    let mut seen: Vec<String> = Vec::new();
    for (index, segment) in text.split(';').enumerate() {
        let segment = segment.trim();
        if segment.is_empty() {
            continue;
        }
        // Values (keys, signatures) may contain '='; split at the first one.
        let Some((key, value)) = segment.split_once('=') else {
            return Err(Error::invalid_input(format!("connection string segment {} is not Key=Value", index + 1)));
        };
        let key = key.trim();
        let shown = shown_key(key, index);
        let lower = key.to_ascii_lowercase();
        if seen.contains(&lower) {
            return Err(Error::invalid_input(format!("connection string sets {shown} twice")));
        }
        seen.push(lower.clone());
        let value = value.trim().to_owned();
        if value.is_empty() {
            return Err(Error::invalid_input(format!("connection string has an empty {shown}")));
        }
        match lower.as_str() {
            "accountname" => cs.account_name = Some(value),
            "accountkey" => cs.account_key = Some(value),
            "defaultendpointsprotocol" => cs.protocol = Some(value.to_ascii_lowercase()),
            "endpointsuffix" => cs.endpoint_suffix = Some(value),
            "blobendpoint" => cs.blob_endpoint = Some(value),
            "sharedaccesssignature" => cs.sas = Some(value),
            "usedevelopmentstorage" => {
                if !value.eq_ignore_ascii_case("true") {
                    return Err(Error::invalid_input("UseDevelopmentStorage must be true when present"));
                }
                cs.development = true;
            }
            "developmentstorageproxyuri" => {
                return Err(Error::invalid_input("DevelopmentStorageProxyUri is not supported"))
            }
            k if IGNORED_KEYS.contains(&k) => {}
            _ => return Err(Error::invalid_input(format!("unknown connection string key {shown}"))),
        }
    }
    if seen.is_empty() {
        return Err(Error::invalid_input("the connection string is empty"));
    }
    Ok(cs)
}

/// How an error names the key of segment `index`: the key itself when it
/// looks like a setting's name (letters only, short), else only its position.
///
/// A key pasted without `AccountKey=` splits at its base64 padding, so what
/// sits before the first `=` is most of the secret; it must not be printed.
fn shown_key(key: &str, index: usize) -> String {
    if !key.is_empty() && key.len() <= 32 && key.bytes().all(|b| b.is_ascii_alphabetic()) {
        key.to_owned()
    } else {
        format!("key of segment {}", index + 1)
    }
}

impl ConnectionString {
    pub(super) fn into_builder(self) -> Result<ClientBuilder> {
        if self.development {
            let builder = ClientBuilder::new().endpoint(self.blob_endpoint.as_deref().unwrap_or(DEV_BLOB_ENDPOINT));
            return builder.shared_key(DEV_ACCOUNT, DEV_ACCOUNT_KEY);
        }
        if self.account_key.is_some() && self.sas.is_some() {
            return Err(Error::invalid_input(
                "the connection string has both AccountKey and SharedAccessSignature; keep one",
            ));
        }
        if let Some(protocol) = &self.protocol {
            if protocol != "http" && protocol != "https" {
                return Err(Error::invalid_input(format!(
                    "DefaultEndpointsProtocol must be http or https, got {protocol:?}"
                )));
            }
        }
        let endpoint = match (&self.blob_endpoint, &self.account_name) {
            (Some(endpoint), _) => endpoint.clone(),
            (None, Some(account)) => {
                crate::ops::names::validate_account_name(account)?;
                format!(
                    "{}://{account}.blob.{}",
                    self.protocol.as_deref().unwrap_or("https"),
                    self.endpoint_suffix.as_deref().unwrap_or("core.windows.net")
                )
            }
            (None, None) => {
                return Err(Error::invalid_input("the connection string needs AccountName or BlobEndpoint"))
            }
        };
        let mut builder = ClientBuilder::new().endpoint(endpoint);
        // An explicit http protocol is the user's consent to plain HTTP.
        if self.protocol.as_deref() == Some("http") {
            builder = builder.allow_http(true);
        }
        if let Some(account) = &self.account_name {
            builder = builder.account(account.clone());
        }
        match (self.account_key, self.sas) {
            (Some(key), _) => {
                let account = self
                    .account_name
                    .ok_or_else(|| Error::invalid_input("the connection string has AccountKey but no AccountName"))?;
                builder.shared_key(account, key)
            }
            (None, Some(sas)) => builder.sas_token(&sas),
            (None, None) => Ok(builder),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::DEV_ACCOUNT_KEY;
    use super::*;
    use crate::auth::Credential;
    use crate::ErrorKind;

    fn build(cs: &str) -> crate::Result<crate::BlobServiceClient> {
        ClientBuilder::from_connection_string(cs)?.build()
    }

    #[test]
    fn development_storage() {
        let c = build("UseDevelopmentStorage=true").unwrap();
        assert_eq!(c.account(), "devstoreaccount1");
        assert_eq!(c.endpoint().as_str(), "http://127.0.0.1:10000/devstoreaccount1");
        assert!(matches!(c.credential(), Credential::SharedKey(_)));
    }

    #[test]
    fn account_key_with_defaults_and_suffix() {
        let c = build(&format!("DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey={DEV_ACCOUNT_KEY};EndpointSuffix=core.chinacloudapi.cn;")).unwrap();
        assert_eq!(c.endpoint().as_str(), "https://acct1.blob.core.chinacloudapi.cn/");
        let c = build(&format!("AccountName=acct1;AccountKey={DEV_ACCOUNT_KEY}")).unwrap();
        assert_eq!(c.endpoint().as_str(), "https://acct1.blob.core.windows.net/");
    }

    #[test]
    fn emulator_style_with_blob_endpoint_and_other_services() {
        let c = build(&format!(
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DEV_ACCOUNT_KEY};\
             BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:10001/devstoreaccount1;"
        ))
        .unwrap();
        assert_eq!(c.endpoint().port(), Some(10000));
    }

    #[test]
    fn sas_connection_string() {
        let c = build("BlobEndpoint=https://acct.blob.core.windows.net/;SharedAccessSignature=sv=2023-11-03&ss=b&srt=co&sp=rl&se=2030-01-01T00:00:00Z&sig=abc%3D").unwrap();
        assert_eq!(c.account(), "acct");
        assert!(matches!(c.credential(), Credential::Sas(_)));
    }

    #[test]
    fn a_key_pasted_without_its_name_is_never_printed() {
        for cs in [
            format!("AccountName=acct;{DEV_ACCOUNT_KEY}"),
            format!("AccountName=acct;{DEV_ACCOUNT_KEY};{DEV_ACCOUNT_KEY}"),
            format!("AccountName=acct;{}", &DEV_ACCOUNT_KEY[..87]),
        ] {
            let err = build(&cs).err().unwrap_or_else(|| panic!("{cs:?} should fail"));
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let shown = format!("{err} {err:?}");
            assert!(shown.contains("segment 2"), "{shown}");
            // No run of 16 characters of the key shows, not even its start.
            for window in DEV_ACCOUNT_KEY.as_bytes().windows(16) {
                assert!(!shown.contains(std::str::from_utf8(window).unwrap()), "{shown}");
            }
        }
    }

    #[test]
    fn malformed_strings_have_clear_errors_without_secrets() {
        let secret = "c2VjcmV0LWtleS12YWx1ZQ==";
        let cases = [
            ("".to_owned(), "empty"),
            (";;".to_owned(), "empty"),
            ("AccountName".to_owned(), "not Key=Value"),
            (format!("AccountName=a;AccountName=b;AccountKey={secret}"), "twice"),
            (format!("AccountKey={secret}"), "AccountName or BlobEndpoint"),
            (format!("BlobEndpoint=https://a.blob.core.windows.net;AccountKey={secret}"), "no AccountName"),
            ("AccountName=acct;AccountKey=%%%notbase64%%%".to_owned(), "base64"),
            (format!("AccountName=a;AccountKey={secret};SharedAccessSignature=sv=1&sig=x"), "both"),
            ("DefaultEndpointsProtocol=ftp;AccountName=a".to_owned(), "http or https"),
            ("UseDevelopmentStorage=false".to_owned(), "must be true"),
            ("AccountName=a;Colour=blue".to_owned(), "unknown"),
            ("BlobEndpoint=not a url".to_owned(), "invalid endpoint"),
            ("AccountName=;AccountKey=x".to_owned(), "empty AccountName"),
            (
                "BlobEndpoint=https://a.blob.core.windows.net;SharedAccessSignature=sv=2023-11-03&sp=r".to_owned(),
                "no signature",
            ),
        ];
        for (cs, expected) in cases {
            let err = build(&cs).err().unwrap_or_else(|| panic!("{cs:?} should fail"));
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{cs:?}");
            let text = err.to_string();
            assert!(text.contains(expected), "{cs:?}: {text}");
            assert!(!text.contains(secret) && !format!("{err:?}").contains(secret), "{text}");
        }
    }
}
