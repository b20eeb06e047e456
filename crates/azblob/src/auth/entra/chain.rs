//! The default credential chain: environment client secret, workload identity, managed identity, Azure CLI.
//!
//! The order and the environment variables are those of the Azure SDKs'
//! `DefaultAzureCredential`
//! (<https://learn.microsoft.com/azure/developer/intro/passwordless-overview#defaultazurecredential>).
//! Links that are not configured are kept with the reason, so that when no
//! link produces a token the error lists every link and why it failed. The
//! first link that produces a token is used from then on.

use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

use futures_util::future::BoxFuture;

use super::client_request::DEFAULT_AUTHORITY_HOST;
use super::{AzureCliCredential, ClientCredential, ClientProof, CredentialOptions, ManagedIdentityCredential};
use crate::auth::{AccessToken, TokenCredential};
use crate::error::{Error, ErrorKind, Result};

/// One link of a chain: a credential, or why it could not be set up.
#[derive(Debug)]
struct Link {
    name: &'static str,
    credential: std::result::Result<Arc<dyn TokenCredential>, String>,
}

/// Tries credentials in order and uses the first that produces a token.
#[derive(Debug)]
pub struct ChainedTokenCredential {
    links: Vec<Link>,
    chosen: OnceLock<usize>,
}

impl ChainedTokenCredential {
    /// An empty chain; add links with [`link`](Self::link).
    pub fn new() -> Self {
        ChainedTokenCredential { links: Vec::new(), chosen: OnceLock::new() }
    }

    /// Appends a credential named `name` (the name appears in errors).
    pub fn link(mut self, name: &'static str, credential: Arc<dyn TokenCredential>) -> Self {
        self.links.push(Link { name, credential: Ok(credential) });
        self
    }

    /// Appends a link that could not be set up, so that errors still mention it.
    fn unavailable(mut self, name: &'static str, reason: String) -> Self {
        self.links.push(Link { name, credential: Err(reason) });
        self
    }

    /// The names of the links, in order.
    pub fn link_names(&self) -> Vec<&'static str> {
        self.links.iter().map(|l| l.name).collect()
    }

    async fn first_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        if let Some(&index) = self.chosen.get() {
            if let Ok(credential) = &self.links[index].credential {
                return credential.get_token(scopes).await;
            }
        }
        let mut failures = Vec::with_capacity(self.links.len());
        for (index, link) in self.links.iter().enumerate() {
            let credential = match &link.credential {
                Ok(credential) => credential,
                Err(reason) => {
                    failures.push(format!("{}: {reason}", link.name));
                    continue;
                }
            };
            match credential.get_token(scopes).await {
                Ok(token) => {
                    tracing::debug!(credential = link.name, "the credential chain picked a credential");
                    let _ = self.chosen.set(index);
                    return Ok(token);
                }
                Err(err) => {
                    tracing::debug!(credential = link.name, error = %err, "credential failed; trying the next");
                    failures.push(format!("{}: {err}", link.name));
                }
            }
        }
        if failures.is_empty() {
            failures.push("the chain has no credentials".to_owned());
        }
        Err(Error::new(ErrorKind::Unauthenticated, format!("no credential produced a token ({})", failures.join("; "))))
    }
}

impl Default for ChainedTokenCredential {
    fn default() -> Self {
        ChainedTokenCredential::new()
    }
}

impl TokenCredential for ChainedTokenCredential {
    fn get_token<'a>(&'a self, scopes: &'a [&'a str]) -> BoxFuture<'a, Result<AccessToken>> {
        Box::pin(self.first_token(scopes))
    }

    fn use_wire(&self, wire: &crate::auth::TokenWire) {
        for credential in self.links.iter().filter_map(|link| link.credential.as_ref().ok()) {
            credential.use_wire(wire);
        }
    }
}

/// The names of the default chain's links, as they appear in errors.
pub const ENVIRONMENT: &str = "environment (client secret)";
/// See [`ENVIRONMENT`].
pub const WORKLOAD_IDENTITY: &str = "workload identity";
/// See [`ENVIRONMENT`].
pub const MANAGED_IDENTITY: &str = "managed identity";
/// See [`ENVIRONMENT`].
pub const AZURE_CLI: &str = "Azure CLI";

/// Where the builder reads variables: the process environment or a test's map.
type VarSource = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// Builds the default chain from environment variables.
///
/// | Link | Variables |
/// |------|-----------|
/// | client secret | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`, `AZURE_AUTHORITY_HOST` |
/// | workload identity | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE`, `AZURE_AUTHORITY_HOST` |
/// | managed identity | `IDENTITY_ENDPOINT` + `IDENTITY_HEADER`, else IMDS (`AZURE_POD_IDENTITY_AUTHORITY_HOST` moves it); `AZURE_CLIENT_ID` picks a user-assigned identity |
/// | Azure CLI | `az` on `PATH` |
///
/// An `http://` authority host is accepted only on loopback (test servers).
pub struct DefaultAzureCredentialBuilder {
    vars: VarSource,
    azure_cli: Option<AzureCliCredential>,
    options: CredentialOptions,
    exclude_managed_identity: bool,
    exclude_azure_cli: bool,
}

impl std::fmt::Debug for DefaultAzureCredentialBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DefaultAzureCredentialBuilder")
            .field("exclude_managed_identity", &self.exclude_managed_identity)
            .field("exclude_azure_cli", &self.exclude_azure_cli)
            .finish_non_exhaustive()
    }
}

impl DefaultAzureCredentialBuilder {
    /// Reads the process environment.
    pub fn new() -> Self {
        DefaultAzureCredentialBuilder {
            vars: Box::new(|name| std::env::var(name).ok().filter(|v| !v.is_empty())),
            azure_cli: None,
            options: CredentialOptions::default(),
            exclude_managed_identity: false,
            exclude_azure_cli: false,
        }
    }

    /// Reads variables through `vars` instead of the process environment (tests, other config sources).
    pub fn vars(mut self, vars: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        self.vars = Box::new(vars);
        self
    }

    /// Uses this Azure CLI link (another program, timeout or tenant) instead of the default.
    pub fn azure_cli(mut self, cli: AzureCliCredential) -> Self {
        self.azure_cli = Some(cli);
        self
    }

    /// Applies `options` to every link the chain builds (an Azure CLI
    /// credential given with [`azure_cli`](Self::azure_cli) keeps its own).
    pub fn options(mut self, options: &CredentialOptions) -> Self {
        self.options = options.clone();
        self
    }

    /// Leaves out the managed identity link.
    pub fn exclude_managed_identity(mut self) -> Self {
        self.exclude_managed_identity = true;
        self
    }

    /// Leaves out the Azure CLI link.
    pub fn exclude_azure_cli(mut self) -> Self {
        self.exclude_azure_cli = true;
        self
    }

    /// Builds the chain. Links that are not configured are kept with the
    /// reason; this never fails and sends nothing.
    pub fn build(self) -> ChainedTokenCredential {
        let get = |name: &str| (self.vars)(name);
        let authority = get("AZURE_AUTHORITY_HOST").unwrap_or_else(|| DEFAULT_AUTHORITY_HOST.to_owned());
        let mut chain = ChainedTokenCredential::new();
        let tenant = get("AZURE_TENANT_ID");
        let client = get("AZURE_CLIENT_ID");

        let secret = match (&tenant, &client, get("AZURE_CLIENT_SECRET")) {
            (Some(t), Some(c), Some(s)) => client_credential(&authority, t, c, ClientProof::secret(s), &self.options),
            _ => Err("AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET are not all set".to_owned()),
        };
        chain = push(chain, ENVIRONMENT, secret);

        let federated = match (&tenant, &client, get("AZURE_FEDERATED_TOKEN_FILE")) {
            (Some(t), Some(c), Some(file)) => {
                client_credential(&authority, t, c, ClientProof::token_file(PathBuf::from(file)), &self.options)
            }
            _ => Err("AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_FEDERATED_TOKEN_FILE are not all set".to_owned()),
        };
        chain = push(chain, WORKLOAD_IDENTITY, federated);

        if !self.exclude_managed_identity {
            let managed = ManagedIdentityCredential::from_vars(&get).map(|mut m| {
                m = m.options(&self.options);
                if let Some(client) = &client {
                    m = m.client_id(client.clone());
                }
                Arc::new(m) as Arc<dyn TokenCredential>
            });
            chain = push(chain, MANAGED_IDENTITY, managed.map_err(|e| e.to_string()));
        }
        if !self.exclude_azure_cli {
            let mut cli = self.azure_cli.unwrap_or_else(|| AzureCliCredential::new().options(&self.options));
            if let Some(tenant) = &tenant {
                cli = cli.tenant_id(tenant.clone());
            }
            chain = chain.link(AZURE_CLI, Arc::new(cli));
        }
        chain
    }
}

impl Default for DefaultAzureCredentialBuilder {
    fn default() -> Self {
        DefaultAzureCredentialBuilder::new()
    }
}

/// A client credentials link, or why it could not be set up.
fn client_credential(
    authority: &str,
    tenant: &str,
    client: &str,
    proof: ClientProof,
    options: &CredentialOptions,
) -> std::result::Result<Arc<dyn TokenCredential>, String> {
    ClientCredential::from_authority(authority, tenant, client, proof)
        .map(|c| Arc::new(c.options(options)) as Arc<dyn TokenCredential>)
        .map_err(|e| e.to_string())
}

fn push(
    chain: ChainedTokenCredential,
    name: &'static str,
    link: std::result::Result<Arc<dyn TokenCredential>, String>,
) -> ChainedTokenCredential {
    match link {
        Ok(credential) => chain.link(name, credential),
        Err(reason) => chain.unavailable(name, reason),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::auth::STORAGE_SCOPE;

    fn from(vars: &[(&str, &str)]) -> DefaultAzureCredentialBuilder {
        let map: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        DefaultAzureCredentialBuilder::new().vars(move |k| map.get(k).cloned())
    }

    #[test]
    fn chain_order_is_the_sdks() {
        let chain = from(&[]).build();
        assert_eq!(chain.link_names(), [ENVIRONMENT, WORKLOAD_IDENTITY, MANAGED_IDENTITY, AZURE_CLI]);
        let chain = from(&[]).exclude_managed_identity().exclude_azure_cli().build();
        assert_eq!(chain.link_names(), [ENVIRONMENT, WORKLOAD_IDENTITY]);
    }

    #[tokio::test]
    async fn unconfigured_links_are_reported_without_requests() {
        let chain = from(&[("AZURE_CLIENT_SECRET", "top-secret-value")])
            .exclude_managed_identity()
            .azure_cli(AzureCliCredential::new().program("/nonexistent/az-for-tests"))
            .build();
        let err = chain.get_token(&[STORAGE_SCOPE]).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
        let text = err.to_string();
        for expected in
            ["environment (client secret): AZURE_TENANT_ID", "workload identity:", "Azure CLI:", "not installed"]
        {
            assert!(text.contains(expected), "{expected} in {text}");
        }
        assert!(!text.contains("top-secret-value"), "{text}");
    }

    #[test]
    fn remote_http_authority_is_refused() {
        let chain = from(&[
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_SECRET", "s"),
            ("AZURE_AUTHORITY_HOST", "http://login.example.com"),
        ])
        .build();
        let shown = format!("{chain:?}");
        assert!(shown.contains("https://"), "{shown}");
        assert!(!shown.contains("\"s\""), "{shown}");
    }
}
