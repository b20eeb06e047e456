//! The SAS vectors of `testdata/auth_vectors.json`, the file the TypeScript
//! port's unit tests read too: every kind of SAS signed with an account key
//! or a user delegation key, its fields and, where the file spells it out,
//! its string-to-sign. Where each signature comes from is the file's `note`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;

use super::check::{check, Kind};
use super::string_to_sign::{service_string, user_delegation_string};
use super::{Sas, SasProtocol};
use crate::auth::{SharedKeyCredential, UserDelegationKey};
use crate::redact::Secret;

const VECTORS: &str = include_str!("../../../../../testdata/auth_vectors.json");

/// The key the file names (it names keys rather than writing them out): the
/// development storage account's well-known key, public and no secret.
pub(crate) fn named_key(name: &str) -> &'static str {
    assert_eq!(name, "DEV_ACCOUNT_KEY", "the vectors name only the development key");
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
}

/// `YYYY-MM-DDTHH:MM:SSZ` as a time.
fn parse_time(text: &str) -> SystemTime {
    let n = |range: std::ops::Range<usize>| text[range].parse::<i64>().unwrap();
    let (year, month, day) = (n(0..4), n(5..7), n(8..10));
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + n(11..13) * 3600 + n(14..16) * 60 + n(17..19);
    UNIX_EPOCH + Duration::from_secs(u64::try_from(secs).unwrap())
}

/// A `Sas` setter of one text field.
type Setter = fn(Sas, String) -> Sas;

fn text<'a>(v: &'a Value, field: &str) -> Option<&'a str> {
    v.get(field).and_then(Value::as_str)
}

fn sas_of(v: &Value) -> Sas {
    let scope = &v["scope"];
    let permissions = text(v, "permissions").unwrap();
    let expiry = parse_time(text(v, "expiry").unwrap());
    let mut sas = match text(scope, "kind").unwrap() {
        "blob" => Sas::blob(text(scope, "container").unwrap(), text(scope, "blob").unwrap(), permissions, expiry),
        "container" => Sas::container(text(scope, "container").unwrap(), permissions, expiry),
        "account" => Sas::account(text(scope, "resource_types").unwrap(), permissions, expiry),
        other => panic!("unknown scope {other}"),
    };
    if let Some(start) = text(v, "start") {
        sas = sas.start(parse_time(start));
    }
    sas = match text(v, "protocol") {
        Some("https") => sas.protocol(SasProtocol::Https),
        Some("https,http") => sas.protocol(SasProtocol::HttpsAndHttp),
        Some(other) => panic!("unknown protocol {other}"),
        None => sas,
    };
    let setters: [(&str, Setter); 10] = [
        ("version", |s, x| s.version(x)),
        ("snapshot", |s, x| s.snapshot(x)),
        ("blob_version", |s, x| s.blob_version(x)),
        ("identifier", |s, x| s.identifier(x)),
        ("ip", |s, x| s.ip(x)),
        ("cache_control", |s, x| s.cache_control(x)),
        ("content_disposition", |s, x| s.content_disposition(x)),
        ("content_encoding", |s, x| s.content_encoding(x)),
        ("content_language", |s, x| s.content_language(x)),
        ("content_type", |s, x| s.content_type(x)),
    ];
    for (field, set) in setters {
        if let Some(value) = text(v, field) {
            sas = set(sas, value.to_owned());
        }
    }
    sas
}

#[test]
fn every_sas_vector_of_the_shared_file() {
    let file: Value = serde_json::from_str(VECTORS).unwrap();
    let account_key = named_key(text(&file, "account_key").unwrap());
    let udk = &file["user_delegation_key"];
    let delegation = UserDelegationKey {
        signed_oid: text(udk, "signed_oid").unwrap().into(),
        signed_tid: text(udk, "signed_tid").unwrap().into(),
        signed_start: text(udk, "signed_start").unwrap().into(),
        signed_expiry: text(udk, "signed_expiry").unwrap().into(),
        signed_service: text(udk, "signed_service").unwrap().into(),
        signed_version: text(udk, "signed_version").unwrap().into(),
        value: Secret::new(named_key(text(udk, "value").unwrap())),
    };
    let vectors = file["sas"].as_array().unwrap();
    assert!(vectors.len() >= 10, "the file holds every kind");
    for v in vectors {
        let name = text(v, "name").unwrap();
        let account = text(v, "account").unwrap();
        let sas = sas_of(v);
        let by_delegation = text(v, "signer") == Some("user_delegation_key");
        if let Some(expected) = text(v, "string_to_sign") {
            let sts = match by_delegation {
                true => user_delegation_string(&check(&sas, Kind::UserDelegation, account).unwrap(), &delegation),
                false => service_string(&check(&sas, Kind::Service, account).unwrap()),
            };
            assert_eq!(sts, expected, "{name}: string-to-sign");
        }
        let token = match by_delegation {
            true => sas.sign_user_delegation(account, &delegation).unwrap(),
            false => sas.sign(&SharedKeyCredential::new(account, account_key).unwrap()).unwrap(),
        };
        for (field, want) in v["expected"].as_object().unwrap() {
            assert_eq!(token.get(field), want.as_str(), "{name}: {field}");
        }
    }
}
