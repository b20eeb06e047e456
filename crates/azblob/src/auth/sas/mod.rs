//! Shared access signatures: tokens given by the user, and one signer for
//! the three kinds Azure defines (service, account and user delegation SAS).
//!
//! The kinds share their settings and checks ([`Sas`], `check.rs`) and differ
//! only in their string-to-sign and key (`string_to_sign.rs`), so none of
//! them can drift from the others.

mod builder;
mod check;
mod string_to_sign;
#[cfg(test)]
mod tests;
mod token;
#[cfg(test)]
pub(crate) mod vectors;

pub use self::builder::Sas;
pub use self::token::{SasProtocol, SasToken};
#[cfg(test)]
pub(crate) use self::vectors::named_key;
