//! What the sink keeps of a committed blob beside its size, and the List
//! Blobs page it builds from that: the whole-directory bench needs both.
//!
//! `azblob sync` and rclone's `sync` decide from a listing with
//! `include=metadata` (size, the mtime stored in `x-ms-meta-*`, the
//! `Content-MD5`), rclone lists one directory at a time with `delimiter=/`
//! and reads a blob's properties back (HEAD) after each upload, and both
//! follow `NextMarker` across pages of `maxresults` (5,000 by default, as
//! on Azure). A sink that forgot metadata would make every sync resend
//! everything. The MD5 kept is the one a client sends
//! (`x-ms-blob-content-md5`, or Put Blob's `Content-MD5`); unlike Azure, the
//! sink computes none.

use std::collections::HashMap;

/// Azure's default and largest page of List Blobs.
const MAX_RESULTS: usize = 5000;

/// A committed blob's properties.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct BlobInfo {
    /// Its size in bytes.
    pub(crate) size: u64,
    /// Its metadata (`x-ms-meta-NAME: VALUE`), names lower-case as the
    /// sink's header map holds them, in name order.
    pub(crate) metadata: Vec<(String, String)>,
    /// Its `Content-MD5` (base64), if the writer sent one.
    pub(crate) md5: Option<String>,
}

impl BlobInfo {
    /// The properties a Put Blob (`put_blob`) or Put Block List request's
    /// headers give a blob of `size` bytes. On Put Block List, `Content-MD5`
    /// is the MD5 of the block list body, not of the blob, so only
    /// `x-ms-blob-content-md5` counts there.
    pub(crate) fn from_headers(size: u64, headers: &HashMap<String, String>, put_blob: bool) -> BlobInfo {
        let mut metadata: Vec<(String, String)> = headers
            .iter()
            .filter_map(|(k, v)| k.strip_prefix("x-ms-meta-").map(|name| (name.to_owned(), v.clone())))
            .collect();
        metadata.sort();
        let md5 =
            headers.get("x-ms-blob-content-md5").or(if put_blob { headers.get("content-md5") } else { None }).cloned();
        BlobInfo { size, metadata, md5 }
    }

    /// The response headers of Get Blob and Get Blob Properties that carry
    /// the metadata and the MD5, each line ending in CRLF.
    pub(crate) fn response_headers(&self) -> String {
        let mut out = String::new();
        for (name, value) in &self.metadata {
            out.push_str(&format!("x-ms-meta-{name}: {value}\r\n"));
        }
        if let Some(md5) = &self.md5 {
            out.push_str(&format!("Content-MD5: {md5}\r\n"));
        }
        out
    }
}

/// The query of one List Blobs request, as the sink reads it.
#[derive(Debug, Default)]
pub(crate) struct ListQuery {
    /// Only names starting with this.
    pub(crate) prefix: String,
    /// Names are cut after the first delimiter past the prefix and shown
    /// once as a `BlobPrefix`.
    pub(crate) delimiter: Option<String>,
    /// Where the previous page ended (its `NextMarker`).
    pub(crate) marker: Option<String>,
    /// Items on the page (5,000 when absent or larger).
    pub(crate) max_results: usize,
    /// Whether each blob's metadata is listed (`include=metadata`).
    pub(crate) metadata: bool,
}

impl ListQuery {
    /// Reads the decoded query parameters of the request.
    pub(crate) fn from_query(query: &HashMap<String, String>) -> ListQuery {
        let max_results = query.get("maxresults").and_then(|n| n.parse().ok()).filter(|&n| n > 0);
        ListQuery {
            prefix: query.get("prefix").cloned().unwrap_or_default(),
            delimiter: query.get("delimiter").filter(|d| !d.is_empty()).cloned(),
            marker: query.get("marker").filter(|m| !m.is_empty()).cloned(),
            max_results: max_results.unwrap_or(MAX_RESULTS).min(MAX_RESULTS),
            metadata: query.get("include").is_some_and(|i| i.split(',').any(|part| part == "metadata")),
        }
    }
}

/// One item of a page: a blob, or a prefix standing for the names below it.
enum Item<'a> {
    Blob(&'a str, &'a BlobInfo),
    Prefix(String),
}

impl Item<'_> {
    fn name(&self) -> &str {
        match self {
            Item::Blob(name, _) => name,
            Item::Prefix(prefix) => prefix,
        }
    }
}

/// The List Blobs answer for `blobs` (names below the container, in name
/// order): at most `max_results` items after the marker, and a
/// `NextMarker` (the last item's name) when more follow. Each blob has a
/// `Content-Type` because object_store's parser requires one.
pub(crate) fn list_page<'a>(blobs: impl IntoIterator<Item = (&'a str, &'a BlobInfo)>, query: &ListQuery) -> String {
    let mut items: Vec<Item<'a>> = Vec::new();
    let mut next_marker = None;
    let marker = query.marker.as_deref();
    for (name, info) in blobs {
        let Some(rest) = name.strip_prefix(query.prefix.as_str()) else { continue };
        if let Some(m) = marker {
            // Shown already: up to the marker, and below it when the previous
            // page ended on a prefix (a marker cut at the delimiter).
            let ended_on_prefix = query.delimiter.as_deref().is_some_and(|d| {
                m.strip_prefix(query.prefix.as_str()).is_some_and(|r| r.contains(d)) && m.ends_with(d)
            });
            if name <= m || (ended_on_prefix && name.starts_with(m)) {
                continue;
            }
        }
        let item = match query.delimiter.as_deref().and_then(|d| rest.find(d).map(|at| at + d.len())) {
            Some(cut) => Item::Prefix(format!("{}{}", query.prefix, &rest[..cut])),
            None => Item::Blob(name, info),
        };
        if let (Item::Prefix(p), Some(Item::Prefix(last))) = (&item, items.last()) {
            if p == last {
                continue;
            }
        }
        if items.len() == query.max_results {
            next_marker = items.last().map(|last| last.name().to_owned());
            break;
        }
        items.push(item);
    }
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults>");
    xml.push_str(&format!("<Prefix>{}</Prefix>", escape(&query.prefix)));
    if let Some(delimiter) = &query.delimiter {
        xml.push_str(&format!("<Delimiter>{}</Delimiter>", escape(delimiter)));
    }
    xml.push_str("<Blobs>");
    for item in &items {
        match item {
            Item::Prefix(prefix) => xml.push_str(&format!("<BlobPrefix><Name>{}</Name></BlobPrefix>", escape(prefix))),
            Item::Blob(name, info) => blob_xml(&mut xml, name, info, query.metadata),
        }
    }
    xml.push_str("</Blobs>");
    match next_marker {
        Some(marker) => xml.push_str(&format!("<NextMarker>{}</NextMarker>", escape(&marker))),
        None => xml.push_str("<NextMarker />"),
    }
    xml.push_str("</EnumerationResults>");
    xml
}

fn blob_xml(xml: &mut String, name: &str, info: &BlobInfo, metadata: bool) {
    xml.push_str(&format!(
        "<Blob><Name>{}</Name><Properties><Last-Modified>Mon, 23 Nov 2026 10:00:00 GMT</Last-Modified>\
         <Etag>0x8DBENCH</Etag><Content-Length>{}</Content-Length>\
         <Content-Type>application/octet-stream</Content-Type>",
        escape(name),
        info.size
    ));
    if let Some(md5) = &info.md5 {
        xml.push_str(&format!("<Content-MD5>{}</Content-MD5>", escape(md5)));
    }
    xml.push_str("<BlobType>BlockBlob</BlobType></Properties>");
    if metadata {
        xml.push_str("<Metadata>");
        for (key, value) in &info.metadata {
            xml.push_str(&format!("<{key}>{}</{key}>", escape(value)));
        }
        xml.push_str("</Metadata>");
    }
    xml.push_str("</Blob>");
}

/// Text as XML character data.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    fn query(pairs: &[(&str, &str)]) -> ListQuery {
        ListQuery::from_query(&headers(pairs))
    }

    fn names(xml: &str, tag: &str) -> Vec<String> {
        let open = format!("<{tag}><Name>");
        xml.split(open.as_str()).skip(1).map(|s| s[..s.find("</Name>").unwrap()].to_owned()).collect()
    }

    #[test]
    fn metadata_and_the_md5_are_kept_from_the_headers_and_served_back() {
        let sent = headers(&[
            ("x-ms-meta-mtime", "2026-11-23T10:00:00Z"),
            ("x-ms-meta-azblob_mtime", "1700000000.5"),
            ("x-ms-blob-content-md5", "AAAA"),
            ("content-md5", "BBBB"),
            ("content-type", "application/octet-stream"),
        ]);
        let info = BlobInfo::from_headers(7, &sent, false);
        assert_eq!(
            info.metadata,
            [("azblob_mtime".to_owned(), "1700000000.5".to_owned()), ("mtime".into(), "2026-11-23T10:00:00Z".into())]
        );
        assert_eq!(info.md5.as_deref(), Some("AAAA"));
        assert_eq!(
            info.response_headers(),
            "x-ms-meta-azblob_mtime: 1700000000.5\r\nx-ms-meta-mtime: 2026-11-23T10:00:00Z\r\nContent-MD5: AAAA\r\n"
        );
        // Put Blob's Content-MD5 is the blob's; Put Block List's is its body's.
        let md5_only = headers(&[("content-md5", "BBBB")]);
        assert_eq!(BlobInfo::from_headers(7, &md5_only, true).md5.as_deref(), Some("BBBB"));
        assert_eq!(BlobInfo::from_headers(7, &md5_only, false).md5, None);
    }

    #[test]
    fn a_listing_shows_metadata_and_md5_only_when_asked_and_escapes_names() {
        let info = BlobInfo { size: 3, metadata: vec![("mtime".into(), "a<b".into())], md5: Some("Q==".into()) };
        let with = list_page([("x&y", &info)], &query(&[("include", "metadata,tags")]));
        assert!(with.contains("<Name>x&amp;y</Name>"), "{with}");
        assert!(with.contains("<Content-Length>3</Content-Length>"), "{with}");
        assert!(with.contains("<Content-MD5>Q==</Content-MD5>"), "{with}");
        assert!(with.contains("<Metadata><mtime>a&lt;b</mtime></Metadata>"), "{with}");
        let without = list_page([("x&y", &info)], &query(&[]));
        assert!(!without.contains("<Metadata>"), "{without}");
    }

    #[test]
    fn pages_follow_the_marker_and_a_delimiter_folds_directories() {
        let info = BlobInfo::default();
        let all = ["a/1", "a/2", "b/1", "b/c/2", "top"];
        let blobs = || all.iter().map(|n| (*n, &info));
        // Two items a page, flat: a/1 a/2 | b/1 b/c/2 | top.
        let first = list_page(blobs(), &query(&[("maxresults", "2")]));
        assert_eq!(names(&first, "Blob"), ["a/1", "a/2"]);
        assert!(first.contains("<NextMarker>a/2</NextMarker>"), "{first}");
        let second = list_page(blobs(), &query(&[("maxresults", "2"), ("marker", "a/2")]));
        assert_eq!(names(&second, "Blob"), ["b/1", "b/c/2"]);
        let last = list_page(blobs(), &query(&[("maxresults", "2"), ("marker", "b/c/2")]));
        assert_eq!(names(&last, "Blob"), ["top"]);
        assert!(last.contains("<NextMarker />"), "{last}");
        // With `/`: the top level is two prefixes and a blob, paged after a prefix.
        let top = list_page(blobs(), &query(&[("delimiter", "/"), ("maxresults", "1")]));
        assert_eq!((names(&top, "BlobPrefix"), names(&top, "Blob")), (vec!["a/".to_owned()], vec![]));
        assert!(top.contains("<NextMarker>a/</NextMarker>"), "{top}");
        let rest = list_page(blobs(), &query(&[("delimiter", "/"), ("marker", "a/")]));
        assert_eq!((names(&rest, "BlobPrefix"), names(&rest, "Blob")), (vec!["b/".to_owned()], vec!["top".to_owned()]));
        // One directory: its blobs and its subdirectory.
        let b = list_page(blobs(), &query(&[("delimiter", "/"), ("prefix", "b/")]));
        assert_eq!((names(&b, "BlobPrefix"), names(&b, "Blob")), (vec!["b/c/".to_owned()], vec!["b/1".to_owned()]));
    }
}
