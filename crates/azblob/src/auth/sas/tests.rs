//! String-to-sign and signature vectors of every kind of SAS.
//!
//! The signatures of the first vectors were produced by the official Python
//! SDK (azure-storage-blob 12.19.1: generate_blob_sas, generate_container_sas,
//! generate_account_sas, sv=2023-11-03). Those the SDK was not run for
//! (user delegation SAS of a snapshot or version, a stored policy with
//! response headers) spell the string-to-sign out field by field from the
//! "Version 2020-12-06 and later" formats of Create a service SAS and Create a
//! user delegation SAS, and their signatures were computed from that text
//! with `openssl dgst -sha256 -mac HMAC` (which also reproduces the SDK's
//! `blob_sas_vector`).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::check::{check, Kind};
use super::string_to_sign::{service_string, user_delegation_string};
use super::{Sas, SasProtocol};
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

/// A blob SAS from 10:00 to 11:00, HTTPS only, version 2023-11-03.
fn blob_sas() -> Sas {
    Sas::blob("mycontainer", "dir/blob.txt", "r", at(T11))
        .start(at(T10))
        .protocol(SasProtocol::Https)
        .version("2023-11-03")
}

#[test]
fn blob_sas_vector() {
    let sas = blob_sas().sign(&key()).unwrap();
    assert_eq!(sas.get("sig"), Some("FuklA9c9a7sjgSnMAK0zLwAdb4cBSRYMQoiRIUDQQEo="));
    assert_eq!(sas.get("st"), Some("2026-11-23T10:00:00Z"));
    assert_eq!(sas.get("se"), Some("2026-11-23T11:00:00Z"));
    assert_eq!(sas.get("sr"), Some("b"));
    assert_eq!(sas.get("spr"), Some("https"));
}

#[test]
fn snapshot_and_version_sas_vectors() {
    let sas = blob_sas().snapshot("2026-11-23T09:00:00.1234567Z").sign(&key()).unwrap();
    assert_eq!(sas.get("sr"), Some("bs"));
    assert_eq!(sas.get("sig"), Some("cSq3tZtHBQS7kLqzgbg5x3ki9ZWV94FirWEpeClHL1g="));
    let sas = blob_sas().blob_version("2026-11-23T09:30:00.7654321Z").sign(&key()).unwrap();
    assert_eq!(sas.get("sr"), Some("bv"));
    assert_eq!(sas.get("sig"), Some("MZiAJPwzrczRJZRYKMhXgB0u+A3ou78hzyx3shc/SWg="));
}

#[test]
fn container_sas_vector_normalizes_permission_order() {
    let sas = Sas::container("mycontainer", "lwdcar", at(T24))
        .protocol(SasProtocol::HttpsAndHttp)
        .version("2023-11-03")
        .sign(&key())
        .unwrap();
    assert_eq!(sas.get("sp"), Some("racwdl"));
    assert_eq!(sas.get("sig"), Some("qEM0Mh4ewoVsgEXTOy0ogkHNVFj+v1rSoiFOdOW5AYc="));
}

#[test]
fn account_sas_vector() {
    let sas =
        Sas::account("sco", "rwdlac", at(T24)).protocol(SasProtocol::Https).version("2023-11-03").sign(&key()).unwrap();
    assert_eq!(sas.get("sig"), Some("9zwT1Oak7cLWrxDGUEonlCe5zFpfmBzMjVCdQL1l0S8="));
    assert_eq!(sas.get("ss"), Some("b"));
    assert_eq!(sas.get("srt"), Some("sco"));
    assert_eq!(sas.get("sr"), None);
}

#[test]
fn stored_policy_with_response_headers_vector() {
    let sas = Sas::blob("mycontainer", "dir/blob.txt", "r", at(T11))
        .version("2023-11-03")
        .identifier("policy-1")
        .cache_control("no-cache")
        .content_disposition("attachment; filename=q4.pdf")
        .content_type("application/pdf");
    let expected =
        "r\n\n2026-11-23T11:00:00Z\n/blob/myaccount/mycontainer/dir/blob.txt\npolicy-1\n\n\n2023-11-03\nb\n\n\n\
                    no-cache\nattachment; filename=q4.pdf\n\n\napplication/pdf";
    assert_eq!(service_string(&check(&sas, Kind::Service, "myaccount").unwrap()), expected);
    let token = sas.sign(&key()).unwrap();
    assert_eq!(token.get("sig"), Some("a1xcS7xlWd09retIdOX4ykRozx8K1fTDkUhO8uMIOn8="));
    assert_eq!(token.get("si"), Some("policy-1"));
    assert_eq!(token.get("rscd"), Some("attachment; filename=q4.pdf"));
    assert_eq!(token.get("rsct"), Some("application/pdf"));
    assert_eq!(token.get("rsce"), None);
}

#[test]
fn user_delegation_blob_sas_vector() {
    // 2026-11-23T10:05:00Z to 2026-11-23T12:00:00Z.
    let sas = Sas::blob("mycontainer", "dir/my blob.txt", "wr", at(1_795_435_200)).start(at(1_795_428_300));
    let token = sas.sign_user_delegation("myaccount", &delegation_key()).unwrap();
    assert_eq!(token.get("sig"), Some("vvPQnLzkdZDKXrP/uxLQ8Evv0xNafQblplNH2HZ08u8="));
    assert_eq!(token.get("sp"), Some("rw"), "permissions in the documented order");
    assert_eq!(token.get("sr"), Some("b"));
    assert_eq!(token.get("skoid"), Some("6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10"));
    assert_eq!(token.get("skt"), Some("2026-11-23T10:00:00Z"));
    assert_eq!(token.get("sv"), Some("2023-11-03"));
    assert!(!format!("{token:?}").contains("vvPQ"), "Debug hides the signature");
}

#[test]
fn user_delegation_container_sas_vector() {
    let token = Sas::container("mycontainer", "rl", at(1_795_435_200))
        .protocol(SasProtocol::Https)
        .ip("168.1.5.60-168.1.5.70")
        .sign_user_delegation("myaccount", &delegation_key())
        .unwrap();
    assert_eq!(token.get("sig"), Some("m4sgXvnlLQfLkVPPPiTOZdFYzavsBb1lsIMNW8uKUAU="));
    assert_eq!(token.get("sr"), Some("c"));
    assert_eq!(token.get("spr"), Some("https"));
    assert_eq!(token.get("st"), None);
}

#[test]
fn user_delegation_snapshot_and_version_vectors() {
    let key = delegation_key();
    let head = "r\n2026-11-23T10:00:00Z\n2026-11-23T11:00:00Z\n/blob/myaccount/mycontainer/dir/blob.txt\n\
                6f1c8a52-3d3b-4a1e-9a55-0b7d7a3c9e10\n72f988bf-86f1-41af-91ab-2d7cd011db47\n\
                2026-11-23T10:00:00Z\n2026-11-24T10:00:00Z\nb\n2023-11-03\n\n\n\n\nhttps\n2023-11-03\n";
    let cases = [
        (
            blob_sas().snapshot("2026-11-23T09:00:00.1234567Z"),
            "bs\n2026-11-23T09:00:00.1234567Z",
            "b0GSL9CJehf6ZsC1W4zxtdulUDFDTCuH/6IpJARCNRo=",
        ),
        (
            blob_sas().blob_version("2026-11-23T09:30:00.7654321Z"),
            "bv\n2026-11-23T09:30:00.7654321Z",
            "rp98pYwyylcjBhYxBINohNRWAyTOZLfVI91LQuRcAOg=",
        ),
    ];
    for (sas, point, sig) in cases {
        let checked = check(&sas, Kind::UserDelegation, "myaccount").unwrap();
        assert_eq!(user_delegation_string(&checked, &key), format!("{head}{point}\n\n\n\n\n\n"));
        let token = sas.sign_user_delegation("myaccount", &key).unwrap();
        assert_eq!(token.get("sig"), Some(sig));
        assert_eq!(token.get("sr"), Some(&point[..2]));
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
