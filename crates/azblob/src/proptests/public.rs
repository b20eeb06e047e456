//! Parsers of what users and files hand the library: connection strings,
//! endpoint URLs, SAS strings, cassettes (loaded and replayed), dates.

use std::collections::BTreeMap;
use std::time::{Duration, UNIX_EPOCH};

use proptest::prelude::*;

use super::{cases, mutated_text, number_text};
use crate::auth::time::iso8601;
use crate::auth::SasToken;
use crate::sim::{
    Cassette, CassetteBody, CassetteRequest, CassetteResponse, Interaction, Matching, SimulationMode, SimulationOptions,
};
use crate::transport::Request;
use crate::{BlobClient, BlobRange, BlobUrl, ClientBuilder, Conditions, ContainerClient};

const SAS: &str = "sv=2023-11-03&ss=b&srt=sco&sp=rwdlac&se=2030-01-01T00:00:00Z&st=2026-01-01T00:00:00Z&spr=https&sig=c2lnbmF0dXJlIGJ5dGVz";
const PUT_GET: &str = include_str!("../../../../testdata/cassettes/hand/put_get.json");
const ENDPOINT: &str = "http://127.0.0.1:9/devstoreaccount1";

/// `Key=Value;...` with the keys connection strings know and some they do not.
fn connection_string() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("AccountName"),
        Just("AccountKey"),
        Just("DefaultEndpointsProtocol"),
        Just("EndpointSuffix"),
        Just("BlobEndpoint"),
        Just("SharedAccessSignature"),
        Just("UseDevelopmentStorage"),
        Just("DevelopmentStorageProxyUri"),
        Just("QueueEndpoint"),
        Just("accountname"),
        Just(""),
        Just("Bogus"),
    ];
    let value = prop_oneof![
        Just("devstoreaccount1".to_owned()),
        Just(crate::DEV_ACCOUNT_KEY.to_owned()),
        Just("https".to_owned()),
        Just("true".to_owned()),
        Just("core.windows.net".to_owned()),
        Just("http://127.0.0.1:10000/devstoreaccount1".to_owned()),
        Just(SAS.to_owned()),
        "[ -~]{0,30}",
        ".{0,20}",
    ];
    proptest::collection::vec((key, value, proptest::bool::weighted(0.9)), 0..6).prop_map(|pairs| {
        pairs
            .into_iter()
            .map(|(k, v, with_equals)| if with_equals { format!("{k}={v}") } else { format!("{k}{v}") })
            .collect::<Vec<_>>()
            .join(";")
    })
}

/// Endpoint URLs: real shapes, edited shapes and noise.
fn endpoint() -> impl Strategy<Value = String> {
    prop_oneof![
        mutated_text("https://acct.blob.core.windows.net/"),
        mutated_text("http://127.0.0.1:10000/devstoreaccount1"),
        "(https?|ftp|)://[ -~]{0,30}",
        ".{0,30}",
    ]
}

/// Account, container and blob URLs: host-style on several clouds, path-style, with a SAS and selectors.
fn blob_url_text() -> impl Strategy<Value = String> {
    prop_oneof![
        mutated_text("https://acct.blob.core.windows.net/cont/dir/a%20b.txt?sv=2023-11-03&sp=r&sig=c2lnbmF0dXJl"),
        mutated_text("https://acct.blob.core.chinacloudapi.cn/cont?snapshot=2026-01-01T00:00:00Z&sig=c2lnbmF0dXJl"),
        mutated_text("http://127.0.0.1:10000/devstoreaccount1/cont/x/y?versionid=v&sig=c2lnbmF0dXJl"),
        "(https?|ftp|)://[ -~]{0,40}",
        ".{0,40}",
    ]
}

/// Response headers a replayed answer may carry, including invalid names and values.
fn recorded_headers() -> impl Strategy<Value = BTreeMap<String, String>> {
    let name = prop_oneof![
        Just("content-length".to_owned()),
        Just("content-range".to_owned()),
        Just("etag".to_owned()),
        Just("last-modified".to_owned()),
        Just("x-ms-blob-type".to_owned()),
        Just("content-md5".to_owned()),
        Just("x-ms-copy-progress".to_owned()),
        ".{0,8}",
    ];
    let value = prop_oneof![
        number_text(),
        (number_text(), number_text(), number_text()).prop_map(|(a, b, c)| format!("bytes {a}-{b}/{c}")),
        Just("\"0x1\"".to_owned()),
        Just("Mon, 23 Nov 2026 12:00:00 GMT".to_owned()),
        Just("BlockBlob".to_owned()),
        ".{0,20}",
    ];
    proptest::collection::btree_map(name, value, 0..7)
}

fn recorded_body() -> impl Strategy<Value = CassetteBody> {
    prop_oneof![
        ".{0,20}".prop_map(|text| CassetteBody::Text { text }),
        ("[0-9a-f]{64}|.{0,66}", any::<u64>()).prop_map(|(sha256, len)| CassetteBody::Stored { sha256, len }),
    ]
}

/// A cassette of answers to a blob's GETs and HEADs, replayed in order.
fn replayable_cassette() -> impl Strategy<Value = Cassette> {
    let interaction = (prop_oneof![Just("GET"), Just("HEAD")], any::<u16>(), recorded_headers(), recorded_body())
        .prop_map(|(method, status, headers, body)| Interaction {
            request: CassetteRequest {
                method: method.to_owned(),
                path: "/devstoreaccount1/cont/b".to_owned(),
                query: String::new(),
                headers: BTreeMap::new(),
                body: CassetteBody::default(),
            },
            response: CassetteResponse { status, headers, body },
        });
    proptest::collection::vec(interaction, 0..6).prop_map(|interactions| {
        let mut cassette = Cassette::new(1, "sequential", false);
        cassette.interactions = interactions;
        cassette
    })
}

proptest! {
    #![proptest_config(cases(128))]

    #[test]
    fn connection_strings_never_panic(text in prop_oneof![connection_string(), ".{0,60}"]) {
        if let Ok(builder) = ClientBuilder::from_connection_string(&text) {
            let _ = builder.build().map(|client| client.blob("cont", "b").url().map(|u| u.to_string()));
        }
    }

    #[test]
    fn endpoint_urls_never_panic(url in endpoint()) {
        let built = ClientBuilder::new().endpoint(url).build();
        if let Ok(client) = built {
            let _ = client.blob("cont", "dir/b").url();
        }
    }

    #[test]
    fn blob_urls_never_panic_nor_show_a_signature(text in blob_url_text()) {
        // A signature is secret where it is one: a `sig` in the query. Edits
        // that drop the `?` or the `sig=` make it part of a name.
        let signed = url::Url::parse(&text).is_ok_and(|u| u.query_pairs().any(|(k, v)| k == "sig" && v.contains("c2lnbmF0dXJl")));
        let parsed = BlobUrl::parse(&text);
        let mut shown = vec![format!("{parsed:?}")];
        if let Ok(builder) = ClientBuilder::from_url(&text) {
            let _ = builder.build();
        }
        shown.extend(BlobClient::from_url(&text).err().map(|e| format!("{e:#}")));
        shown.extend(ContainerClient::from_url(&text).err().map(|e| format!("{e:#}")));
        for shown in shown.iter().filter(|_| signed) {
            prop_assert!(!shown.contains("c2lnbmF0dXJl"), "{shown}");
        }
    }

    /// Names written into a URL, percent-encoded, come back out as they were.
    #[test]
    fn blob_urls_give_back_their_names(
        account in "[a-z0-9]{3,24}",
        container in "[a-z0-9]{3,12}",
        segments in prop::collection::vec("[^./\\u{0}]{1,8}", 1..4),
        host_style in any::<bool>(),
    ) {
        let encode = |s: &str| percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string();
        let path = segments.iter().map(|s| encode(s)).collect::<Vec<_>>().join("/");
        let text = if host_style {
            format!("https://{account}.blob.core.usgovcloudapi.net/{container}/{path}?sv=1&sig=c2lnbmF0dXJl")
        } else {
            format!("http://127.0.0.1:10000/{account}/{container}/{path}?sv=1&sig=c2lnbmF0dXJl")
        };
        let url = BlobUrl::parse(&text).unwrap();
        prop_assert_eq!(&url.account, &account);
        prop_assert_eq!(url.container.as_deref(), Some(container.as_str()));
        prop_assert_eq!(url.blob, Some(segments.join("/")));
        prop_assert_eq!(url.sas.as_ref().map(|s| s.expose()), Some("sv=1&sig=c2lnbmF0dXJl"));
    }

    #[test]
    fn sas_strings_never_panic(text in prop_oneof![mutated_text(SAS), ".{0,60}"]) {
        if let Ok(token) = SasToken::parse(&text) {
            let shown = format!("{token:?}");
            prop_assert!(!shown.contains("c2lnbmF0dXJl"), "Debug shows the signature: {shown}");
            let mut url: url::Url = "https://acct.blob.core.windows.net/c/b".parse().unwrap();
            token.apply(&mut url);
        }
        if let Ok(builder) = ClientBuilder::new().endpoint("https://acct.blob.core.windows.net/").sas_token(&text) {
            let _ = builder.build();
        }
    }

    #[test]
    fn cassette_files_never_panic(text in prop_oneof![mutated_text(PUT_GET), ".{0,60}"]) {
        if let Ok(cassette) = Cassette::parse(&text) {
            let _ = cassette.seed_value();
            for interaction in &cassette.interactions {
                let _ = interaction.request.query_pairs();
            }
        }
    }

    #[test]
    fn dates_and_ranges_never_panic(secs in any::<u64>(), before in any::<bool>(), offset in any::<u64>(), len in any::<u64>()) {
        let t = if before { UNIX_EPOCH.checked_sub(Duration::from_secs(secs)) } else { UNIX_EPOCH.checked_add(Duration::from_secs(secs)) };
        if let Some(t) = t {
            prop_assert!(iso8601(t).ends_with('Z'));
            let conditions = Conditions { if_modified_since: Some(t), if_unmodified_since: Some(t), ..Conditions::default() };
            let url: url::Url = "https://acct.blob.core.windows.net/c/b".parse().unwrap();
            let _ = conditions.apply(&mut Request::new("GetBlob", http::Method::GET, url));
        }
        let _ = BlobRange::new(offset, len).to_header();
        let _ = BlobRange::inclusive(offset, len).and_then(|r| r.to_header());
    }
}

proptest! {
    #![proptest_config(cases(48))]

    /// A cassette's answers are replayed through the whole client: whatever
    /// status, headers and bodies it holds, reads end with a value or an error.
    #[test]
    fn replayed_answers_never_panic(cassette in replayable_cassette()) {
        let dir = std::env::temp_dir().join(format!("azblob-prop-{:016x}", fastrand::u64(..)));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.json");
        std::fs::write(&path, cassette.to_json()).unwrap();
        let client = ClientBuilder::new()
            .endpoint(ENDPOINT)
            .simulation(SimulationMode::Replay, &path)
            .simulation_options(SimulationOptions::new().matching(Matching::Sequential))
            .build();
        if let Ok(client) = client {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().unwrap();
            let blob = client.blob("cont", "b");
            runtime.block_on(async {
                let _ = blob.properties().await;
                let _ = blob.download().await;
            });
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
