//! `KEY=VALUE` arguments (metadata and index tags) and the `--lease-id`
//! conditions, parsed one way for every subcommand.

use std::collections::BTreeMap;

use anyhow::{bail, Context, Result};
use azblob::Conditions;

/// Pairs from `KEY=VALUE` arguments, split at the first `=` (a value may
/// hold more). A key given twice is refused rather than one value silently
/// winning. `what` names a key in the error ("tag", "metadata key"), `flag`
/// prefixes it (`"--tags "`, or `""` for positional arguments); the library
/// checks names and values as the service does before anything is sent.
pub(crate) fn parse_pairs(pairs: &[String], what: &str, flag: &str) -> Result<BTreeMap<String, String>> {
    let mut parsed = BTreeMap::new();
    for pair in pairs {
        let (k, v) = pair.split_once('=').with_context(|| format!("{flag}{pair:?} is not KEY=VALUE"))?;
        if parsed.insert(k.to_owned(), v.to_owned()).is_some() {
            bail!("{flag}the {what} {k:?} is given twice");
        }
    }
    Ok(parsed)
}

/// The conditions of a write given `--lease-id`: the lease id alone, or none.
pub(crate) fn lease_conditions(lease_id: Option<&str>) -> Conditions {
    Conditions { lease_id: lease_id.map(str::to_owned), ..Conditions::default() }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(pairs: &[&str]) -> Vec<String> {
        pairs.iter().map(|p| p.to_string()).collect()
    }

    #[test]
    fn pairs_split_at_the_first_equals_and_refuse_a_repeated_key() {
        let parsed = parse_pairs(&args(&["a=1", "b=x=y", "c="]), "tag", "").unwrap();
        let expected: Vec<(&str, &str)> = vec![("a", "1"), ("b", "x=y"), ("c", "")];
        assert_eq!(parsed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect::<Vec<_>>(), expected);
        let err = parse_pairs(&args(&["k=1", "k=2"]), "metadata key", "--metadata ").unwrap_err();
        assert_eq!(err.to_string(), "--metadata the metadata key \"k\" is given twice");
        let err = parse_pairs(&args(&["novalue"]), "tag", "--tags ").unwrap_err();
        assert_eq!(err.to_string(), "--tags \"novalue\" is not KEY=VALUE");
    }

    #[test]
    fn lease_conditions_carry_only_the_lease_id() {
        let lease = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
        assert_eq!(lease_conditions(Some(lease)).lease_id.as_deref(), Some(lease));
        assert_eq!(lease_conditions(Some(lease)).if_match, None);
        assert_eq!(lease_conditions(None).lease_id, None);
    }
}
