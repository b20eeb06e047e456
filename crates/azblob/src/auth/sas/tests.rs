//! What every kind of SAS refuses; the signing vectors themselves are in
//! `testdata/auth_vectors.json`, read by `vectors.rs` (and by the
//! TypeScript port's tests).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::Sas;
use crate::auth::{SharedKeyCredential, UserDelegationKey};
use crate::redact::Secret;
use crate::ErrorKind;

const KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}
// 2026-11-23T10:00:00Z, 11:00:00Z and 2026-11-24T00:00:00Z.
const T10: u64 = 1_795_428_000;
const T11: u64 = T10 + 3600;
const T24: u64 = T10 + 14 * 3600;

fn key() -> SharedKeyCredential {
    SharedKeyCredential::new("myaccount", KEY).unwrap()
}

fn delegation_key() -> UserDelegationKey {
    UserDelegationKey {
        signed_oid: "6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10".into(),
        signed_tid: "72f988bf-86f1-41af-91ab-2d7cd011db47".into(),
        signed_start: "2026-11-23T10:00:00Z".into(),
        signed_expiry: "2026-11-24T10:00:00Z".into(),
        signed_service: "b".into(),
        signed_version: "2023-11-03".into(),
        value: Secret::new(KEY),
    }
}

#[test]
fn every_kind_refuses_bad_input_with_a_typed_error() {
    let bad: Vec<(&str, Sas)> = vec![
        ("empty permissions", Sas::container("c", "", at(T24))),
        ("unknown permission", Sas::container("c", "rq", at(T24))),
        ("expiry before start", Sas::container("c", "r", at(T10)).start(at(T11))),
        ("expiry at start", Sas::blob("c", "b", "r", at(T10)).start(at(T10))),
        ("old version", Sas::container("c", "r", at(T24)).version("2020-02-10")),
        ("not a version", Sas::container("c", "r", at(T24)).version("latest")),
        ("bad IP", Sas::container("c", "r", at(T24)).ip("10.0.0.300")),
        ("reversed IP range", Sas::container("c", "r", at(T24)).ip("10.0.0.9-10.0.0.1")),
        ("snapshot of a container", Sas::container("c", "r", at(T24)).snapshot("2026-11-23T09:00:00Z")),
        ("empty version id", Sas::blob("c", "b", "r", at(T24)).blob_version("")),
        ("empty blob name", Sas::blob("c", "", "r", at(T24))),
    ];
    for (what, sas) in &bad {
        assert_eq!(sas.sign(&key()).unwrap_err().kind(), ErrorKind::InvalidInput, "service: {what}");
        let err = sas.sign_user_delegation("myaccount", &delegation_key()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "user delegation: {what}");
    }
    let account_only: Vec<(&str, Sas)> = vec![
        ("resource types", Sas::account("x", "r", at(T24))),
        ("permission", Sas::account("sco", "rz", at(T24))),
        ("expiry before start", Sas::account("sco", "r", at(T10)).start(at(T11))),
        ("version", Sas::account("sco", "r", at(T24)).version("2019-12-12")),
        ("snapshot", Sas::account("sco", "r", at(T24)).snapshot("2026-11-23T09:00:00Z")),
        ("response header", Sas::account("sco", "r", at(T24)).content_type("text/plain")),
    ];
    for (what, sas) in &account_only {
        assert_eq!(sas.sign(&key()).unwrap_err().kind(), ErrorKind::InvalidInput, "account: {what}");
    }
    let err = Sas::container("c", "rq", at(T24)).sign(&key()).unwrap_err();
    assert!(err.to_string().contains("'q'"), "{err}");
}

#[test]
fn each_kind_refuses_what_its_format_cannot_sign() {
    let key = delegation_key();
    for version in ["2020-02-10", "2025-07-05", "2026-10-06"] {
        let err = Sas::container("c", "r", at(T24)).version(version).sign_user_delegation("a", &key).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{version}");
    }
    assert!(Sas::container("c", "r", at(T24)).version("2025-07-05").sign(&self::key()).is_ok());
    let with_policy = Sas::container("c", "r", at(T24)).identifier("p");
    assert!(with_policy.sign(&self::key()).is_ok());
    assert_eq!(with_policy.sign_user_delegation("a", &key).unwrap_err().kind(), ErrorKind::InvalidInput);
    let account = Sas::account("sco", "r", at(T24));
    assert_eq!(account.sign_user_delegation("a", &key).unwrap_err().kind(), ErrorKind::InvalidInput);
    assert_eq!(account.clone().identifier("p").sign(&self::key()).unwrap_err().kind(), ErrorKind::InvalidInput);
    let not_base64 = UserDelegationKey { value: Secret::new("not base64!"), ..key };
    let err = Sas::container("c", "r", at(T24)).sign_user_delegation("a", &not_base64).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(!err.to_string().contains("not base64!"), "{err}");
}
