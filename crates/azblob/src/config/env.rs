//! Configuration from environment variables, as the Azure CLI and SDKs read them.

use std::sync::Arc;

use super::ClientBuilder;
use crate::auth::entra::DefaultAzureCredentialBuilder;
use crate::auth::Credential;
use crate::error::{Error, Result};

/// Which kind of credential [`ClientBuilder::from_env_auth`] uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum EnvAuth {
    /// The key or SAS if one is configured, else Microsoft Entra ID (the default chain).
    #[default]
    Auto,
    /// Microsoft Entra ID through the default chain, even if a key or SAS is configured.
    Entra,
    /// Shared Key: `AZURE_STORAGE_KEY` or the connection string's `AccountKey`.
    SharedKey,
    /// A SAS: `AZURE_STORAGE_SAS_TOKEN` or the connection string's `SharedAccessSignature`.
    Sas,
}

/// Reads the variables through `get` (the process environment, or a map in tests).
pub(super) fn from_vars<G>(get: G, auth: EnvAuth) -> Result<ClientBuilder>
where
    G: Fn(&str) -> Option<String> + Clone + Send + Sync + 'static,
{
    let endpoint = get("AZURE_STORAGE_BLOB_ENDPOINT");
    let connection_string = get("AZURE_STORAGE_CONNECTION_STRING");
    // A connection string without a key or SAS means anonymous access, as before;
    // an account without one means Microsoft Entra ID.
    let anonymous_means_entra = connection_string.is_none();
    let builder = if let Some(cs) = connection_string {
        let builder = ClientBuilder::from_connection_string(&cs)?;
        match endpoint {
            Some(e) => builder.endpoint(e),
            None => builder,
        }
    } else {
        let account = get("AZURE_STORAGE_ACCOUNT");
        if account.is_none() && endpoint.is_none() {
            return Err(Error::invalid_input(
                "no storage configuration: set AZURE_STORAGE_CONNECTION_STRING, or AZURE_STORAGE_ACCOUNT \
                 (with AZURE_STORAGE_KEY, AZURE_STORAGE_SAS_TOKEN, or Microsoft Entra ID variables)",
            ));
        }
        let mut builder = ClientBuilder::new();
        if let Some(account) = &account {
            builder = builder.account(account.clone());
        }
        if let Some(e) = endpoint {
            builder = builder.endpoint(e);
        }
        match (get("AZURE_STORAGE_KEY"), get("AZURE_STORAGE_SAS_TOKEN")) {
            (Some(key), _) if auth != EnvAuth::Sas => {
                let account = account
                    .ok_or_else(|| Error::invalid_input("AZURE_STORAGE_KEY is set but AZURE_STORAGE_ACCOUNT is not"))?;
                builder.shared_key(account, key)?
            }
            (_, Some(sas)) if auth != EnvAuth::SharedKey => builder.sas_token(&sas)?,
            _ => builder,
        }
    };
    let configured = builder.credential_ref();
    let wants_entra = match (auth, configured) {
        (EnvAuth::Entra, _) => true,
        (EnvAuth::Auto, Credential::Anonymous) => anonymous_means_entra,
        _ => false,
    };
    if wants_entra {
        let chain = DefaultAzureCredentialBuilder::new().vars(get).build();
        return Ok(builder.token_credential(Arc::new(chain)));
    }
    match (auth, configured) {
        (EnvAuth::SharedKey, Credential::SharedKey(_)) | (EnvAuth::Sas, Credential::Sas(_)) => Ok(builder),
        (EnvAuth::SharedKey, _) => Err(Error::invalid_input(
            "Shared Key authorization needs AZURE_STORAGE_ACCOUNT and AZURE_STORAGE_KEY (or a connection string with AccountKey)",
        )),
        (EnvAuth::Sas, _) => Err(Error::invalid_input(
            "SAS authorization needs AZURE_STORAGE_SAS_TOKEN (or a connection string with SharedAccessSignature)",
        )),
        _ => Ok(builder),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::auth::Credential;
    use crate::config::DEV_ACCOUNT_KEY;

    fn with(vars: &[(&str, &str)]) -> Result<crate::BlobServiceClient> {
        with_auth(vars, EnvAuth::Auto)
    }

    fn with_auth(vars: &[(&str, &str)], auth: EnvAuth) -> Result<crate::BlobServiceClient> {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        from_vars(move |k| map.get(k).cloned(), auth)?.build()
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
        let err = with_auth(&[("AZURE_STORAGE_ACCOUNT", "acct")], EnvAuth::SharedKey).unwrap_err();
        assert!(err.to_string().contains("AZURE_STORAGE_KEY"), "{err}");
        let err = with_auth(&[("AZURE_STORAGE_ACCOUNT", "acct"), ("AZURE_STORAGE_KEY", DEV_ACCOUNT_KEY)], EnvAuth::Sas)
            .unwrap_err();
        assert!(err.to_string().contains("AZURE_STORAGE_SAS_TOKEN"), "{err}");
    }

    #[test]
    fn an_account_name_that_is_not_one_is_refused() {
        // The name becomes the host: `evil.com/` would send the token or SAS to evil.com.
        for bad in ["evil.com/", "evil.com#", "acct.evil", "Acct", "ab", "a23456789012345678901234x"] {
            for vars in [
                vec![("AZURE_STORAGE_ACCOUNT", bad)],
                vec![("AZURE_STORAGE_ACCOUNT", bad), ("AZURE_STORAGE_SAS_TOKEN", "sv=2023-11-03&sp=r&sig=x")],
            ] {
                let err = with(&vars).unwrap_err();
                assert_eq!(err.kind(), crate::ErrorKind::InvalidInput, "{bad}");
                assert!(err.to_string().contains("account name"), "{err}");
            }
        }
        let cs = "AccountName=evil.com/;SharedAccessSignature=sv=2023-11-03&sp=r&sig=x";
        let err = with(&[("AZURE_STORAGE_CONNECTION_STRING", cs)]).unwrap_err();
        assert!(err.to_string().contains("account name"), "{err}");
        // An explicit endpoint is the escape hatch: the name is not made into a host.
        let c = with(&[
            ("AZURE_STORAGE_ACCOUNT", "Custom.Name"),
            ("AZURE_STORAGE_BLOB_ENDPOINT", "https://blobs.example.com"),
            ("AZURE_STORAGE_SAS_TOKEN", "sv=2023-11-03&sp=r&sig=x"),
        ])
        .unwrap();
        assert_eq!(c.endpoint().host_str(), Some("blobs.example.com"));
        assert!(with(&[("AZURE_STORAGE_ACCOUNT", "abc123")]).is_ok());
    }

    #[test]
    fn an_account_alone_means_entra_id() {
        // Building the chain sends nothing; the credential is only asked for a token on the first request.
        let c = with(&[("AZURE_STORAGE_ACCOUNT", "acct")]).unwrap();
        assert!(matches!(c.credential(), Credential::Token(_)));
        assert_eq!(c.endpoint().as_str(), "https://acct.blob.core.windows.net/");
    }

    #[test]
    fn the_auth_choice_overrides_what_is_configured() {
        let vars = [("AZURE_STORAGE_ACCOUNT", "acct"), ("AZURE_STORAGE_KEY", DEV_ACCOUNT_KEY)];
        assert!(matches!(with_auth(&vars, EnvAuth::Entra).unwrap().credential(), Credential::Token(_)));
        assert!(matches!(with_auth(&vars, EnvAuth::SharedKey).unwrap().credential(), Credential::SharedKey(_)));
        let cs = [("AZURE_STORAGE_CONNECTION_STRING", "BlobEndpoint=https://acct.blob.core.windows.net/")];
        assert!(matches!(with_auth(&cs, EnvAuth::Entra).unwrap().credential(), Credential::Token(_)));
        // An endpoint without an account is enough for Entra ID.
        let c = with(&[("AZURE_STORAGE_BLOB_ENDPOINT", "https://127.0.0.1:10000/devstoreaccount1")]).unwrap();
        assert_eq!(c.account(), "devstoreaccount1");
        assert!(matches!(c.credential(), Credential::Token(_)));
    }
}
