//! Credentials and the signing of requests: Shared Key, SAS and bearer tokens.
//!
//! Bearer tokens come from a [`TokenCredential`]; the Microsoft Entra ID
//! flows that implement it are in [`entra`].

mod delegation_key;
pub mod entra;
mod sas;
mod scope;
mod shared_key;
pub(crate) mod time;
mod token;

pub use self::delegation_key::UserDelegationKey;
pub use self::sas::{Sas, SasProtocol, SasToken};
pub use self::scope::{CredentialScope, AZURE_STORAGE_SUFFIXES};
pub use self::shared_key::SharedKeyCredential;
pub use self::time::iso8601;
pub use self::token::{AccessToken, StaticTokenCredential, TokenCredential, TokenWire, STORAGE_SCOPE};

use std::sync::Arc;

/// How requests are authorized.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Credential {
    /// Shared Key: each request signed with the account key.
    SharedKey(SharedKeyCredential),
    /// A shared access signature appended to every URL.
    Sas(SasToken),
    /// A Microsoft Entra ID bearer token from a [`TokenCredential`].
    Token(Arc<dyn TokenCredential>),
    /// No authorization (public containers).
    Anonymous,
}

impl Credential {
    /// A short name for logs and the CLI: `shared-key`, `sas`, `token`, `anonymous`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            Credential::SharedKey(_) => "shared-key",
            Credential::Sas(_) => "sas",
            Credential::Token(_) => "token",
            Credential::Anonymous => "anonymous",
        }
    }
}
