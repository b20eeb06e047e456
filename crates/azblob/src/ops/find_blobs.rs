//! Find Blobs by Tags: the blobs whose index tags match an expression, in a
//! container or across the account.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/find-blobs-by-tags>
//! <https://learn.microsoft.com/rest/api/storageservices/find-blobs-by-tags-container>

use http::Method;
use url::Url;

use super::list_blobs::MAX_LIST_RESULTS;
use super::request_util::add_query;
use super::tags::Tags;
use super::tags_xml::{walk, TagCollector};
use crate::error::{Error, Result};
use crate::transport::Request;

/// Options of Find Blobs by Tags.
#[derive(Debug, Clone, Default)]
pub struct FindBlobsByTagsOptions {
    /// Blobs per page, 1 to 5,000; the service's default is 5,000.
    pub max_results: Option<u32>,
}

/// A blob that matched a Find Blobs by Tags expression.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TaggedBlob {
    /// The container the blob is in.
    pub container: String,
    /// The blob's name.
    pub name: String,
    /// The blob's tags that the expression named (the service returns
    /// those, not all of the blob's tags).
    pub tags: Tags,
}

/// One page of Find Blobs by Tags; the client streams the blobs of every
/// page, so the page itself stays inside the crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaggedBlobsPage {
    /// The blobs on this page.
    pub(crate) blobs: Vec<TaggedBlob>,
    /// The marker of the next page; `None` on the last page.
    pub(crate) next_marker: Option<String>,
}

/// Builds one Find Blobs by Tags request: on the account when `container_url`
/// is the endpoint (`scope_is_container == false`), else on one container.
pub(crate) fn build_find_blobs_request(
    url: Url,
    scope_is_container: bool,
    expression: &str,
    options: &FindBlobsByTagsOptions,
    marker: Option<&str>,
) -> Result<Request> {
    // An empty expression matches nothing the service can parse (400).
    if expression.trim().is_empty() {
        return Err(Error::invalid_input("a Find Blobs by Tags expression cannot be empty"));
    }
    let mut request = Request::new("FindBlobsByTags", Method::GET, url);
    if scope_is_container {
        add_query(&mut request, "restype", "container");
    }
    add_query(&mut request, "comp", "blobs");
    add_query(&mut request, "where", expression);
    if let Some(marker) = marker.filter(|m| !m.is_empty()) {
        add_query(&mut request, "marker", marker);
    }
    if let Some(max) = options.max_results {
        if !(1..=MAX_LIST_RESULTS).contains(&max) {
            return Err(Error::invalid_input(format!("max_results must be 1 to {MAX_LIST_RESULTS}, got {max}")));
        }
        add_query(&mut request, "maxresults", &max.to_string());
    }
    // A read changes nothing.
    Ok(request.idempotent())
}

/// Parses a Find Blobs by Tags body; tags keep their spaces (see `tags_xml`).
pub(crate) fn parse_find_blobs_response(body: &[u8]) -> Result<TaggedBlobsPage> {
    const WHAT: &str = "Find Blobs by Tags";
    let missing = |what: &str| Error::invalid_response(format!("the {WHAT} answer has a <Blob> without <{what}>"));
    let mut blobs = Vec::new();
    let mut next_marker = None;
    let (mut name, mut container) = (None, None);
    let mut tags = TagCollector::default();
    walk(body, WHAT, |path, text| {
        let in_blob = path.len() >= 3 && path[1] == "Blobs" && path[2] == "Blob";
        match path.len() {
            2 if path[1] == "NextMarker" => next_marker = Some(text).filter(|m| !m.trim().is_empty()),
            3 if in_blob => {
                let tags = std::mem::take(&mut tags.tags);
                let name = name.take().ok_or_else(|| missing("Name"))?;
                let container = container.take().ok_or_else(|| missing("ContainerName"))?;
                blobs.push(TaggedBlob { container, name, tags });
            }
            4 if in_blob && path[3] == "Name" => name = Some(text),
            4 if in_blob && path[3] == "ContainerName" => container = Some(text),
            _ if in_blob => {
                tags.close(path, text, WHAT)?;
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(TaggedBlobsPage { blobs, next_marker })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_the_account_and_the_container_request() {
        let account: Url = "https://myaccount.blob.core.windows.net/".parse().unwrap();
        let where_ = "\"stage\" = 'prod' AND \"run\" = '42'";
        let r = build_find_blobs_request(account, false, where_, &FindBlobsByTagsOptions::default(), None).unwrap();
        assert_eq!(r.method, Method::GET);
        assert_eq!(r.url.query(), Some("comp=blobs&where=%22stage%22+%3D+%27prod%27+AND+%22run%22+%3D+%2742%27"));
        assert!(r.idempotent);
        let container: Url = "https://myaccount.blob.core.windows.net/mycontainer".parse().unwrap();
        let options = FindBlobsByTagsOptions { max_results: Some(2) };
        let r = build_find_blobs_request(container, true, "a = 'b'", &options, Some("m1")).unwrap();
        assert_eq!(r.url.query(), Some("restype=container&comp=blobs&where=a+%3D+%27b%27&marker=m1&maxresults=2"));
    }

    #[test]
    fn empty_expressions_and_bad_page_sizes_are_invalid_input() {
        let url: Url = "https://myaccount.blob.core.windows.net/".parse().unwrap();
        for (expr, max) in [("", None), ("  ", None), ("a = 'b'", Some(0)), ("a = 'b'", Some(5001))] {
            let options = FindBlobsByTagsOptions { max_results: max };
            let err = build_find_blobs_request(url.clone(), false, expr, &options, None).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        }
    }

    #[test]
    fn parses_the_documented_body() {
        // The sample of the Find Blobs by Tags reference page.
        let body = br#"<?xml version="1.0" encoding="utf-8"?>
<EnumerationResults ServiceEndpoint="https://myaccount.blob.core.windows.net/">
  <Where>"Name"='C'</Where>
  <Blobs>
    <Blob>
      <Name>blob-name</Name>
      <ContainerName>container-name</ContainerName>
      <Tags>
        <TagSet>
          <Tag>
            <Key>Name</Key>
            <Value>C</Value>
          </Tag>
        </TagSet>
      </Tags>
    </Blob>
    <Blob>
      <Name>other</Name>
      <ContainerName>c2</ContainerName>
    </Blob>
  </Blobs>
  <NextMarker>2!108!MDAwMDM1</NextMarker>
</EnumerationResults>"#;
        let page = parse_find_blobs_response(body).unwrap();
        assert_eq!(page.blobs.len(), 2);
        assert_eq!(page.blobs[0].container, "container-name");
        assert_eq!(page.blobs[0].name, "blob-name");
        assert_eq!(page.blobs[0].tags, [("Name".to_owned(), "C".to_owned())].into());
        assert!(page.blobs[1].tags.is_empty());
        assert_eq!(page.next_marker.as_deref(), Some("2!108!MDAwMDM1"));
        let last =
            parse_find_blobs_response(b"<EnumerationResults><Blobs/><NextMarker/></EnumerationResults>").unwrap();
        assert!(last.blobs.is_empty() && last.next_marker.is_none());
        assert_eq!(parse_find_blobs_response(b"<x>").unwrap_err().kind(), crate::ErrorKind::InvalidResponse);
        let nameless =
            b"<EnumerationResults><Blobs><Blob><ContainerName>c</ContainerName></Blob></Blobs></EnumerationResults>";
        assert_eq!(parse_find_blobs_response(nameless).unwrap_err().kind(), crate::ErrorKind::InvalidResponse);
    }
}
