//! Put Block and Put Block List: the pieces of a parallel upload (Get Block
//! List, which a resumed upload also asks, is in `blocks.rs`).
//!
//! <https://learn.microsoft.com/rest/api/storageservices/put-block>
//! <https://learn.microsoft.com/rest/api/storageservices/put-block-list>

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use http::Method;
use url::Url;

use super::conditions::{Accepted, Conditions};
use super::headers;
use super::models::{AccessTier, ContentHeaders, Metadata};
use super::put_blob::PutBlobOptions;
use super::request_util::{add_query, set_content_headers, set_header, set_metadata};
use super::tags::{set_tags_header, Tags};
use crate::error::{Error, Result};
use crate::transport::Request;

/// The most blocks one blob may have.
pub const MAX_BLOCKS: u64 = 50_000;
/// The largest block the service accepts (4000 MiB, version 2019-12-12 and later).
pub const MAX_BLOCK_BYTES: u64 = 4000 * 1024 * 1024;

/// Builds Put Block, staging `body` under the base64 `block_id`.
///
/// `content_md5`, when given, is sent as `Content-MD5` and checked by the
/// service (a mismatch fails with `Md5Mismatch`). `lease_id` is required
/// when the blob has an active lease; Put Block takes no other condition.
pub(crate) fn build_put_block_request(
    url: Url,
    block_id: &str,
    body: Bytes,
    content_md5: Option<[u8; 16]>,
    lease_id: Option<&str>,
) -> Result<Request> {
    if body.len() as u64 > MAX_BLOCK_BYTES {
        return Err(Error::invalid_input(format!("a block holds at most {MAX_BLOCK_BYTES} bytes")));
    }
    let mut request = Request::new("PutBlock", Method::PUT, url);
    add_query(&mut request, "comp", "block");
    add_query(&mut request, "blockid", block_id);
    if let Some(md5) = content_md5 {
        set_header(&mut request, headers::CONTENT_MD5, &BASE64.encode(md5))?;
    }
    if let Some(lease_id) = lease_id {
        Conditions::lease(lease_id).apply_accepted(&mut request, PUT_BLOCK_ACCEPTS, "Put Block")?;
    }
    // Staging the same block twice leaves the same block: safe to repeat.
    request.idempotent = true;
    request.body = body;
    Ok(request)
}

/// Put Block accepts a lease id but none of the other conditions.
pub(crate) const PUT_BLOCK_ACCEPTS: Accepted = Accepted { etag_and_dates: false, lease: true, tags: false };

/// What Put Block List stores with the committed blob.
#[derive(Debug, Clone, Default)]
pub(crate) struct CommitOptions<'a> {
    pub(crate) content: Option<&'a ContentHeaders>,
    pub(crate) metadata: Option<&'a Metadata>,
    pub(crate) tags: Option<&'a Tags>,
    pub(crate) tier: Option<&'a AccessTier>,
    pub(crate) conditions: Option<&'a Conditions>,
}

impl<'a> CommitOptions<'a> {
    /// What a blob written with `blob` is committed with: its content
    /// headers, metadata, tags, tier and conditions.
    pub(crate) fn of(blob: &'a PutBlobOptions) -> Self {
        CommitOptions {
            content: Some(&blob.content),
            metadata: Some(&blob.metadata),
            tags: Some(&blob.tags),
            tier: blob.tier.as_ref(),
            conditions: Some(&blob.conditions),
        }
    }
}

/// Builds Put Block List, committing `block_ids` (base64) in order as the latest blocks.
pub(crate) fn build_put_block_list_request(
    url: Url,
    block_ids: &[String],
    options: &CommitOptions<'_>,
) -> Result<Request> {
    let mut body = String::with_capacity(64 + block_ids.len() * 48);
    body.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList>");
    for id in block_ids {
        // Base64 ids contain no characters XML needs escaped.
        body.push_str("<Latest>");
        body.push_str(id);
        body.push_str("</Latest>");
    }
    body.push_str("</BlockList>");
    let mut request = Request::new("PutBlockList", Method::PUT, url);
    add_query(&mut request, "comp", "blocklist");
    set_header(&mut request, headers::CONTENT_TYPE, "application/xml")?;
    if let Some(content) = options.content {
        set_content_headers(&mut request, content)?;
    }
    if let Some(metadata) = options.metadata {
        set_metadata(&mut request, metadata)?;
    }
    if let Some(tags) = options.tags {
        set_tags_header(&mut request, tags)?;
    }
    if let Some(tier) = options.tier {
        set_header(&mut request, headers::X_MS_ACCESS_TIER, tier.as_str())?;
    }
    if let Some(conditions) = options.conditions {
        conditions.apply(&mut request)?;
    }
    // Committing the same list twice gives the same blob (`Latest` finds the
    // blocks among the committed ones the second time), unless a condition
    // the first commit invalidates would make the repeat fail.
    request.idempotent = options.conditions.is_none_or(Conditions::survive_own_write);
    // As a conditional Put Blob: a repeat after a refusal cannot commit twice.
    request.repeat_refused = true;
    request.body = Bytes::from(body);
    Ok(request)
}

/// A block the service holds: its base64 id and size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockInfo {
    /// The base64 block id, as sent.
    pub id: String,
    /// The block's size in bytes.
    pub size: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        "https://a.blob.core.windows.net/c/b".parse().unwrap()
    }

    #[test]
    fn put_block_carries_id_and_md5() {
        let r = build_put_block_request(url(), "QUJD+/==", Bytes::from_static(b"abc"), Some([0; 16]), None).unwrap();
        assert_eq!(r.url.query(), Some("comp=block&blockid=QUJD%2B%2F%3D%3D"));
        assert_eq!(r.header("content-md5"), Some("AAAAAAAAAAAAAAAAAAAAAA=="));
        assert_eq!(r.header("x-ms-lease-id"), None);
        assert!(r.idempotent);
        let lease = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
        let r = build_put_block_request(url(), "QUJD", Bytes::from_static(b"abc"), None, Some(lease)).unwrap();
        assert_eq!(r.header("x-ms-lease-id"), Some(lease));
        let err = build_put_block_request(url(), "QUJD", Bytes::new(), None, Some("")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn block_list_body_and_headers() {
        let content = ContentHeaders { content_type: Some("text/csv".into()), ..Default::default() };
        let meta: Metadata = [("k".to_owned(), "v".to_owned())].into();
        let tags: Tags = [("stage".to_owned(), "prod".to_owned())].into();
        let options = CommitOptions {
            content: Some(&content),
            metadata: Some(&meta),
            tags: Some(&tags),
            tier: Some(&AccessTier::Cold),
            conditions: None,
        };
        let r = build_put_block_list_request(url(), &["AAA=".into(), "BBB=".into()], &options).unwrap();
        assert_eq!(
            std::str::from_utf8(&r.body).unwrap(),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><Latest>AAA=</Latest><Latest>BBB=</Latest></BlockList>"
        );
        assert_eq!(r.url.query(), Some("comp=blocklist"));
        assert_eq!(r.header("x-ms-blob-content-type"), Some("text/csv"));
        assert_eq!(r.header("x-ms-meta-k"), Some("v"));
        assert_eq!(r.header("x-ms-access-tier"), Some("Cold"));
        assert_eq!(r.header("x-ms-tags"), Some("stage=prod"));
    }
}
