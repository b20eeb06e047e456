//! A SAS token, given or signed, and the protocols a SAS may allow.

use crate::error::{Error, Result};
use std::fmt;

/// A SAS token: the query string that authorizes requests (`sv=...&sig=...`).
///
/// `Debug` shows every field but the signature.
#[derive(Clone, PartialEq, Eq)]
pub struct SasToken {
    pairs: Vec<(String, String)>,
}

impl SasToken {
    /// Parses a SAS token, with or without its leading `?`.
    ///
    /// Fails with [`InvalidInput`](crate::ErrorKind::InvalidInput) when the
    /// token has no `sig` or no `sv` field.
    pub fn parse(token: &str) -> Result<Self> {
        let token = token.trim().trim_start_matches('?');
        let pairs: Vec<(String, String)> =
            url::form_urlencoded::parse(token.as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let has = |name: &str| pairs.iter().any(|(k, v)| k == name && !v.is_empty());
        if !has("sig") {
            return Err(Error::invalid_input("the SAS token has no signature (sig)"));
        }
        if !has("sv") {
            return Err(Error::invalid_input("the SAS token has no signed version (sv)"));
        }
        Ok(SasToken { pairs })
    }

    /// The token's fields in order, including the signature; keep it out of logs.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.pairs
    }

    /// The value of one field, e.g. `se` or `sp`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The token as a query string without `?`; it contains the signature.
    pub fn to_query(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(&self.pairs).finish()
    }

    /// A token from fields a signer produced, signature included.
    pub(in crate::auth) fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        SasToken { pairs }
    }

    /// Appends the token's fields to `url`'s query.
    pub(crate) fn apply(&self, url: &mut url::Url) {
        url.query_pairs_mut().extend_pairs(&self.pairs);
    }
}

impl fmt::Debug for SasToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_map();
        for (k, v) in &self.pairs {
            if k == "sig" {
                d.entry(k, &"REDACTED");
            } else {
                d.entry(k, v);
            }
        }
        d.finish()
    }
}

/// Which protocols a SAS allows (`spr`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SasProtocol {
    /// HTTPS only.
    Https,
    /// HTTPS or HTTP (emulators).
    HttpsAndHttp,
}

impl SasProtocol {
    pub(in crate::auth) fn as_str(self) -> &'static str {
        match self {
            SasProtocol::Https => "https",
            SasProtocol::HttpsAndHttp => "https,http",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_requires_signature_and_version() {
        assert!(SasToken::parse("?sv=2023-11-03&sp=r&sig=abc").is_ok());
        assert_eq!(SasToken::parse("sv=2023-11-03&sp=r").unwrap_err().kind(), crate::ErrorKind::InvalidInput);
        assert!(SasToken::parse("sp=r&sig=abc").is_err());
        assert!(SasToken::parse("").is_err());
    }

    #[test]
    fn debug_and_round_trip_hide_nothing_but_the_signature() {
        let token = SasToken::parse("sv=2023-11-03&sp=r&sig=c2VjcmV0c2lnbmF0dXJl").unwrap();
        let shown = format!("{token:?}");
        assert!(!shown.contains("c2VjcmV0c2lnbmF0dXJl"), "{shown}");
        assert!(shown.contains("2023-11-03"), "{shown}");
        assert_eq!(SasToken::parse(&token.to_query()).unwrap(), token);
    }
}
