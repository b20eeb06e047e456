//! List Blobs: one page of a container's blobs and virtual directories.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/list-blobs>

use std::time::SystemTime;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use http::Method;
use url::Url;

use super::copy_state::{parse_progress, CopyState, CopyStatus};
use super::list_models::{BlobItem, ListBlobsPage, ListItem};
use super::list_xml::{Entry, EnumerationResults, RawBlob, RawName};
use super::models::{AccessTier, BlobType, ContentHeaders, ETag};
use super::request_util::add_query;
use crate::error::{Error, Result};
use crate::redact::redact_url_text;
use crate::transport::Request;

/// The most entries one List Blobs page holds.
pub const MAX_LIST_RESULTS: u32 = 5000;

/// Extra datasets a listing can include (`include=`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ListInclude {
    /// User metadata of each blob.
    pub metadata: bool,
    /// Snapshots, listed after their base blob.
    pub snapshots: bool,
    /// Previous versions (accounts with versioning).
    pub versions: bool,
    /// Soft-deleted blobs.
    pub deleted: bool,
    /// Index tags.
    pub tags: bool,
    /// The state of the last copy into each blob.
    pub copy: bool,
    /// Block blobs with staged but uncommitted blocks.
    pub uncommitted_blobs: bool,
}

impl ListInclude {
    /// The `include` query value, e.g. `metadata,snapshots`; `None` if nothing is included.
    fn to_query(self) -> Option<String> {
        let names = [
            (self.copy, "copy"),
            (self.deleted, "deleted"),
            (self.metadata, "metadata"),
            (self.snapshots, "snapshots"),
            (self.tags, "tags"),
            (self.uncommitted_blobs, "uncommittedblobs"),
            (self.versions, "versions"),
        ];
        let chosen: Vec<&str> = names.iter().filter(|(on, _)| *on).map(|(_, name)| *name).collect();
        (!chosen.is_empty()).then(|| chosen.join(","))
    }
}

/// Options of List Blobs.
#[derive(Debug, Clone, Default)]
pub struct ListBlobsOptions {
    /// Only names starting with this.
    pub prefix: Option<String>,
    /// Groups names by this delimiter (usually `/`) into [`ListItem::Prefix`] entries.
    pub delimiter: Option<String>,
    /// Entries per page, 1 to [`MAX_LIST_RESULTS`]; the service's default is 5,000.
    pub max_results: Option<u32>,
    /// Extra datasets to include.
    pub include: ListInclude,
}

/// Builds one List Blobs request; `marker` is the previous page's `next_marker`.
pub(crate) fn build_list_blobs_request(
    container_url: Url,
    options: &ListBlobsOptions,
    marker: Option<&str>,
) -> Result<Request> {
    let mut request = Request::new("ListBlobs", Method::GET, container_url);
    add_query(&mut request, "restype", "container");
    add_query(&mut request, "comp", "list");
    if let Some(prefix) = options.prefix.as_deref().filter(|p| !p.is_empty()) {
        add_query(&mut request, "prefix", prefix);
    }
    if let Some(delimiter) = &options.delimiter {
        if delimiter.is_empty() {
            return Err(Error::invalid_input("a listing delimiter cannot be empty"));
        }
        add_query(&mut request, "delimiter", delimiter);
    }
    if let Some(marker) = marker.filter(|m| !m.is_empty()) {
        add_query(&mut request, "marker", marker);
    }
    if let Some(max) = options.max_results {
        if !(1..=MAX_LIST_RESULTS).contains(&max) {
            return Err(Error::invalid_input(format!("max_results must be 1 to {MAX_LIST_RESULTS}, got {max}")));
        }
        add_query(&mut request, "maxresults", &max.to_string());
    }
    if let Some(include) = options.include.to_query() {
        add_query(&mut request, "include", &include);
    }
    // A read changes nothing.
    Ok(request.idempotent())
}

/// Parses a List Blobs body.
pub(crate) fn parse_list_blobs_response(body: &[u8]) -> Result<ListBlobsPage> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::invalid_response("the List Blobs answer is not UTF-8"))?
        .trim_start_matches('\u{feff}');
    // The serde reader trims text; names, metadata and tag values keep
    // their edge spaces through character references.
    let text = super::xml_text::keep_edge_spaces(text);
    let raw: EnumerationResults = quick_xml::de::from_str(&text)
        .map_err(|e| Error::invalid_response(format!("the List Blobs answer is not the documented XML: {e}")))?;
    let mut items = Vec::new();
    for entry in raw.blobs.unwrap_or_default().entries {
        items.push(match entry {
            Entry::Blob(blob) => ListItem::Blob(convert_blob(*blob)?),
            Entry::Prefix(prefix) => ListItem::Prefix(decode_name(prefix.name)?),
        });
    }
    let next_marker = raw.next_marker.filter(|m| !m.is_empty());
    Ok(ListBlobsPage { items, next_marker })
}

/// The name, percent-decoded when the service marked it `Encoded="true"`.
fn decode_name(name: RawName) -> Result<String> {
    if name.encoded == Some(true) {
        return percent_encoding::percent_decode_str(&name.value)
            .decode_utf8()
            .map(|s| s.into_owned())
            .map_err(|_| Error::invalid_response(format!("the encoded name {:?} is not UTF-8", name.value)));
    }
    Ok(name.value)
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn date(value: Option<String>, what: &str) -> Result<Option<SystemTime>> {
    non_empty(value)
        .map(|v| {
            httpdate::parse_http_date(v.trim())
                .map_err(|_| Error::invalid_response(format!("{what} in a listing is not an HTTP date: {v:?}")))
        })
        .transpose()
}

fn convert_blob(raw: RawBlob) -> Result<BlobItem> {
    let p = raw.properties;
    let content_length = match non_empty(p.content_length) {
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| Error::invalid_response(format!("Content-Length in a listing is not a number: {v:?}")))?,
        None => 0,
    };
    let content_md5 = non_empty(p.content_md5)
        .map(|v| {
            BASE64.decode(v.trim()).map_err(|_| Error::invalid_response(format!("Content-MD5 {v:?} is not base64")))
        })
        .transpose()?;
    let copy = match (non_empty(p.copy_id), non_empty(p.copy_status)) {
        (Some(id), Some(status)) => Some(CopyState {
            id,
            status: CopyStatus::parse(&status),
            progress: non_empty(p.copy_progress).map(|v| parse_progress(&v)).transpose()?,
            source: non_empty(p.copy_source).map(|s| redact_url_text(&s)),
            status_description: non_empty(p.copy_status_description),
            completed_on: date(p.copy_completion_time, "CopyCompletionTime")?,
        }),
        _ => None,
    };
    Ok(BlobItem {
        name: decode_name(raw.name)?,
        snapshot: non_empty(raw.snapshot),
        version_id: non_empty(raw.version_id),
        is_current_version: raw.is_current_version,
        deleted: raw.deleted.unwrap_or(false),
        content_length,
        // Listings carry the ETag without quotes; headers carry it with them.
        // Quote it so both compare equal and it works in If-Match.
        etag: non_empty(p.etag).map(|e| if e.starts_with('"') { ETag(e) } else { ETag(format!("\"{e}\"")) }),
        last_modified: date(p.last_modified, "Last-Modified")?,
        created_on: date(p.creation_time, "Creation-Time")?,
        content: ContentHeaders {
            content_type: non_empty(p.content_type),
            content_encoding: non_empty(p.content_encoding),
            content_language: non_empty(p.content_language),
            content_disposition: non_empty(p.content_disposition),
            cache_control: non_empty(p.cache_control),
            content_md5,
        },
        blob_type: non_empty(p.blob_type).map(|t| BlobType::parse(&t)),
        access_tier: non_empty(p.access_tier).and_then(|t| t.parse::<AccessTier>().ok()),
        access_tier_inferred: p.access_tier_inferred.unwrap_or(false),
        archive_status: non_empty(p.archive_status),
        metadata: raw.metadata.unwrap_or_default(),
        tags: raw.tags.map(|t| t.tag_set.tags.into_iter().map(|t| (t.key, t.value)).collect()).unwrap_or_default(),
        copy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A real answer of the service (API 2019-12-12) to `include=versions`, as
    /// recorded by the Azure SDK for JavaScript's test suite.
    const VERSIONS: &str = include_str!("../../../../testdata/xml/list-blobs-versions.xml");
    /// The response body documented in the List Blobs reference, with its
    /// placeholders filled in.
    const DOCUMENTED: &str = include_str!("../../../../testdata/xml/list-blobs-documented.xml");
    /// A page Azurite 3.37 sent for `prefix=dir/&delimiter=/&include=metadata,snapshots&maxresults=3`.
    const AZURITE_PAGE: &str = include_str!("../../../../testdata/xml/list-blobs-azurite-page.xml");

    fn url() -> Url {
        "http://127.0.0.1:10000/devstoreaccount1/c1".parse().unwrap()
    }

    #[test]
    fn builds_query_with_every_option() {
        let options = ListBlobsOptions {
            prefix: Some("logs/2026/".into()),
            delimiter: Some("/".into()),
            max_results: Some(100),
            include: ListInclude { metadata: true, snapshots: true, versions: true, ..ListInclude::default() },
        };
        let r = build_list_blobs_request(url(), &options, Some("2!100!MDAw")).unwrap();
        assert_eq!(r.method, Method::GET);
        let pairs: Vec<(String, String)> = r.url.query_pairs().map(|(k, v)| (k.into(), v.into())).collect();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("restype"), Some("container"));
        assert_eq!(get("comp"), Some("list"));
        assert_eq!(get("prefix"), Some("logs/2026/"));
        assert_eq!(get("delimiter"), Some("/"));
        assert_eq!(get("marker"), Some("2!100!MDAw"));
        assert_eq!(get("maxresults"), Some("100"));
        assert_eq!(get("include"), Some("metadata,snapshots,versions"));

        let bare = build_list_blobs_request(url(), &ListBlobsOptions::default(), None).unwrap();
        assert_eq!(bare.url.query(), Some("restype=container&comp=list"));
    }

    #[test]
    fn rejects_bad_options_before_sending() {
        for max in [0, 5001] {
            let options = ListBlobsOptions { max_results: Some(max), ..Default::default() };
            assert_eq!(
                build_list_blobs_request(url(), &options, None).unwrap_err().kind(),
                crate::ErrorKind::InvalidInput
            );
        }
        let options = ListBlobsOptions { delimiter: Some(String::new()), ..Default::default() };
        assert!(build_list_blobs_request(url(), &options, None).is_err());
    }

    #[test]
    fn parses_the_service_versions_answer() {
        let page = parse_list_blobs_response(VERSIONS.as_bytes()).unwrap();
        assert_eq!(page.next_marker, None, "<NextMarker /> means the last page");
        let blobs: Vec<&BlobItem> = page
            .items
            .iter()
            .map(|i| match i {
                ListItem::Blob(b) => b,
                ListItem::Prefix(p) => panic!("unexpected prefix {p}"),
            })
            .collect();
        assert_eq!(blobs.len(), 3);
        assert!(blobs.iter().all(|b| b.name == "blob159218742269309927"));
        assert_eq!(blobs[0].version_id.as_deref(), Some("2020-06-15T02:17:02.7893828Z"));
        assert_eq!(blobs[0].is_current_version, None);
        assert_eq!(blobs[2].is_current_version, Some(true));
        assert_eq!(blobs[2].content_length, 11);
        assert_eq!(blobs[1].content_length, 0);
        assert_eq!(blobs[2].etag, Some(ETag("\"0x8D810D231BF43D7\"".into())));
        assert_eq!(blobs[2].content.content_type.as_deref(), Some("application/octet-stream"));
        assert_eq!(blobs[2].content.content_encoding, None, "empty elements are None");
        assert_eq!(blobs[2].content.content_md5.as_ref().map(Vec::len), Some(16));
        assert_eq!(blobs[2].blob_type, Some(BlobType::BlockBlob));
        assert_eq!(blobs[2].access_tier, Some(AccessTier::Hot));
        assert!(blobs[2].access_tier_inferred);
        assert!(blobs[2].last_modified.is_some() && blobs[2].created_on.is_some());
        assert!(blobs[2].metadata.is_empty());
    }

    #[test]
    fn parses_the_documented_body_with_prefixes_copy_and_tags() {
        let page = parse_list_blobs_response(DOCUMENTED.as_bytes()).unwrap();
        assert_eq!(
            page.next_marker.as_deref(),
            Some("2!92!MDAwMDE4IWRpci9ibG9iLTIudHh0ITAwMDAyOCE5OTk5LTEyLTMxVDIzOjU5OjU5Ljk5OTk5OTlaIQ--")
        );
        let names: Vec<&str> = page.items.iter().map(ListItem::name).collect();
        assert_eq!(names, ["dir/blob-1.txt", "dir/blob-1.txt", "dir/odd\u{1}name", "dir/sub/"]);
        let ListItem::Blob(first) = &page.items[0] else { panic!() };
        assert_eq!(first.snapshot.as_deref(), Some("2026-11-20T10:00:00.0000000Z"));
        assert_eq!(first.metadata.get("project").map(String::as_str), Some("alpha"));
        assert_eq!(first.tags.get("team").map(String::as_str), Some("storage"));
        assert_eq!(first.access_tier, Some(AccessTier::Cool));
        let copy = first.copy.as_ref().unwrap();
        assert_eq!(copy.status, CopyStatus::Pending);
        assert_eq!(copy.progress, Some((1024, 4096)));
        let ListItem::Blob(second) = &page.items[1] else { panic!() };
        assert!(second.deleted);
        assert_eq!(second.version_id.as_deref(), Some("2026-11-21T10:00:00.0000000Z"));
        assert_eq!(second.is_current_version, Some(true));
        assert_eq!(page.items[3], ListItem::Prefix("dir/sub/".into()));
    }

    #[test]
    fn a_listed_copy_source_loses_its_sas_signature() {
        let body = "<EnumerationResults><Blobs><Blob><Name>b</Name><Properties><CopyId>id</CopyId>\
            <CopyStatus>success</CopyStatus><CopySource>https://a.blob.core.windows.net/c/s?sv=2023-11-03&amp;\
            sig=c2VjcmV0LXNpZw%3D%3D</CopySource></Properties></Blob></Blobs></EnumerationResults>";
        let page = parse_list_blobs_response(body.as_bytes()).unwrap();
        let ListItem::Blob(blob) = &page.items[0] else { panic!("{:?}", page.items) };
        let source = blob.copy.as_ref().and_then(|c| c.source.as_deref());
        assert_eq!(source, Some("https://a.blob.core.windows.net/c/s?sv=2023-11-03&sig=REDACTED"));
    }

    #[test]
    fn parses_an_azurite_page() {
        let page = parse_list_blobs_response(AZURITE_PAGE.as_bytes()).unwrap();
        assert_eq!(page.next_marker.as_deref(), Some("dir/sub/c.txt"));
        // Azurite puts virtual directories first; the service interleaves them by name.
        assert_eq!(page.items[0], ListItem::Prefix("dir/sub/".into()));
        let ListItem::Blob(base) = &page.items[1] else { panic!("{:?}", page.items) };
        assert_eq!((base.name.as_str(), base.snapshot.as_deref()), ("dir/a.txt", None));
        assert_eq!(base.metadata.get("owner").map(String::as_str), Some("ana"));
        assert_eq!(base.content_length, 5);
        let ListItem::Blob(snap) = &page.items[2] else { panic!() };
        assert_eq!(snap.snapshot.as_deref(), Some("2026-11-23T23:01:38.9320000Z"));
    }

    #[test]
    fn garbage_is_an_invalid_response() {
        for body in ["", "not xml", "<EnumerationResults><Blobs><Blob><Name>a</Name><Properties><Content-Length>x</Content-Length></Properties></Blob></Blobs></EnumerationResults>"] {
            let err = parse_list_blobs_response(body.as_bytes()).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse, "{body}");
        }
        let empty =
            parse_list_blobs_response(b"<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>").unwrap();
        assert!(empty.items.is_empty() && empty.next_marker.is_none());
    }
}
