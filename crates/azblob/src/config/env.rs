//! Configuration from environment variables, as the Azure CLI and SDKs read them.

use super::ClientBuilder;
use crate::error::{Error, Result};

/// Reads the variables through `get` (the process environment, or a map in tests).
pub(super) fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<ClientBuilder> {
    let endpoint = get("AZURE_STORAGE_BLOB_ENDPOINT");
    if let Some(cs) = get("AZURE_STORAGE_CONNECTION_STRING") {
        let builder = ClientBuilder::from_connection_string(&cs)?;
        return Ok(match endpoint {
            Some(e) => builder.endpoint(e),
            None => builder,
        });
    }
    let Some(account) = get("AZURE_STORAGE_ACCOUNT") else {
        return Err(Error::invalid_input(
            "no storage configuration: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT with \
             AZURE_STORAGE_KEY or AZURE_STORAGE_SAS_TOKEN",
        ));
    };
    let mut builder = ClientBuilder::new().account(account.clone());
    if let Some(e) = endpoint {
        builder = builder.endpoint(e);
    }
    match (get("AZURE_STORAGE_KEY"), get("AZURE_STORAGE_SAS_TOKEN")) {
        (Some(key), _) => builder.shared_key(account, key),
        (None, Some(sas)) => builder.sas_token(&sas),
        (None, None) => Err(Error::invalid_input(
            "AZURE_STORAGE_ACCOUNT is set but neither AZURE_STORAGE_KEY nor AZURE_STORAGE_SAS_TOKEN",
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::auth::Credential;
    use crate::config::DEV_ACCOUNT_KEY;

    fn with(vars: &[(&str, &str)]) -> Result<crate::BlobServiceClient> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        from_vars(|k| map.get(k).cloned())?.build()
    }

    #[test]
    fn connection_string_wins_and_endpoint_overrides() {
        let c = with(&[
            ("AZURE_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true"),
            ("AZURE_STORAGE_BLOB_ENDPOINT", "http://127.0.0.1:12345/devstoreaccount1"),
            ("AZURE_STORAGE_ACCOUNT", "ignored"),
        ])
        .unwrap();
        assert_eq!(c.endpoint().port(), Some(12345));
    }

    #[test]
    fn account_with_key_or_sas() {
        let c = with(&[("AZURE_STORAGE_ACCOUNT", "acct"), ("AZURE_STORAGE_KEY", DEV_ACCOUNT_KEY)]).unwrap();
        assert!(matches!(c.credential(), Credential::SharedKey(_)));
        assert_eq!(c.endpoint().host_str(), Some("acct.blob.core.windows.net"));
        let c = with(&[("AZURE_STORAGE_ACCOUNT", "acct"), ("AZURE_STORAGE_SAS_TOKEN", "?sv=2023-11-03&sp=r&sig=x")])
            .unwrap();
        assert!(matches!(c.credential(), Credential::Sas(_)));
    }

    #[test]
    fn missing_configuration_is_a_clear_error() {
        let err = with(&[]).unwrap_err();
        assert!(err.to_string().contains("AZURE_STORAGE_CONNECTION_STRING"), "{err}");
        let err = with(&[("AZURE_STORAGE_ACCOUNT", "acct")]).unwrap_err();
        assert!(err.to_string().contains("AZURE_STORAGE_KEY"), "{err}");
    }
}
