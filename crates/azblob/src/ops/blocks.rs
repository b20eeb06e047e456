//! The public block operations: Put Block, Put Block List and Get Block List
//! with their options, over the builders of `block_blob.rs`, which the
//! upload engine shares; the engine asks Get Block List through this file.
//!
//! <https://learn.microsoft.com/rest/api/storageservices/put-block>
//! <https://learn.microsoft.com/rest/api/storageservices/put-block-list>
//! <https://learn.microsoft.com/rest/api/storageservices/get-block-list>

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use bytes::Bytes;
use http::{HeaderMap, Method};
use serde::Deserialize;
use url::Url;

use super::blob_properties::BlobSelector;
use super::block_blob::{
    build_put_block_list_request, build_put_block_request, BlockInfo, CommitOptions, MAX_BLOCKS, PUT_BLOCK_ACCEPTS,
};
use super::conditions::{Accepted, Conditions};
use super::headers;
use super::models::ETag;
use super::put_blob::PutBlobOptions;
use super::request_util::{self, add_query, md5_digest, set_header};
use crate::error::{Error, Result};
use crate::transport::Request;

/// The longest block id the service accepts, in bytes before base64 encoding.
pub const MAX_BLOCK_ID_BYTES: usize = 64;

/// Options of Put Block.
#[derive(Debug, Clone, Default)]
pub struct PutBlockOptions {
    /// Send a transactional `Content-MD5` of the block, which the service
    /// checks (a mismatch fails with [`IntegrityMismatch`](crate::ErrorKind::IntegrityMismatch)).
    pub transactional_md5: bool,
    /// The lease id of a leased blob; Put Block takes no other condition,
    /// and refuses the others before sending.
    pub conditions: Conditions,
}

/// Options of Put Block List: what the committed blob is written with.
///
/// `blob` is the same group a Put Blob takes: its content headers, metadata
/// and tier are stored with the committed blob, its conditions are checked
/// against the blob being replaced, and its `transactional_md5` sends the
/// MD5 of the block list itself (the blob's MD5 goes in
/// `blob.content.content_md5`).
#[derive(Debug, Clone, Default)]
pub struct PutBlockListOptions {
    /// Headers, metadata, tier and conditions of the committed blob.
    pub blob: PutBlobOptions,
}

/// Which of a blob's block lists Get Block List returns.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum BlockListType {
    /// The blocks of the committed blob.
    Committed,
    /// The blocks staged with Put Block and not committed yet.
    Uncommitted,
    /// Both lists.
    #[default]
    All,
}

impl BlockListType {
    /// The `blocklisttype` query value.
    fn as_str(self) -> &'static str {
        match self {
            BlockListType::Committed => "committed",
            BlockListType::Uncommitted => "uncommitted",
            BlockListType::All => "all",
        }
    }
}

/// Options of Get Block List.
#[derive(Debug, Clone, Default)]
pub struct BlockListOptions {
    /// The committed list, the uncommitted list, or both (the default).
    pub list_type: BlockListType,
    /// A snapshot or version whose committed blocks to list instead of the current blob's.
    pub selector: BlobSelector,
    /// The blob's lease id and an `x-ms-if-tags` condition, the two Get
    /// Block List takes; ETag and date conditions are refused before sending.
    pub conditions: Conditions,
}

/// The conditions Get Block List takes: a lease id (which must then match
/// the blob's active lease) and a tag condition.
const GET_BLOCK_LIST_ACCEPTS: Accepted = Accepted { etag_and_dates: false, lease: true, tags: true };

/// A blob's blocks, as Get Block List answers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BlockList {
    /// The committed blocks, in the blob's order (empty unless asked).
    pub committed: Vec<BlockInfo>,
    /// The staged, uncommitted blocks (empty unless asked).
    pub uncommitted: Vec<BlockInfo>,
    /// The committed blob's ETag; `None` when no blob is committed yet.
    pub etag: Option<ETag>,
    /// The committed blob's size (`x-ms-blob-content-length`), when the service sent it.
    pub blob_content_length: Option<u64>,
}

/// Checks that `id` is a block id the service accepts: base64 of 1 to 64 bytes.
pub(crate) fn validate_block_id(id: &str) -> Result<usize> {
    let decoded = BASE64.decode(id).map_err(|_| {
        Error::invalid_input(format!("block id {id:?} is not base64 (encode the id before passing it)"))
    })?;
    if decoded.is_empty() || decoded.len() > MAX_BLOCK_ID_BYTES {
        return Err(Error::invalid_input(format!(
            "block id {id:?} decodes to {} bytes; it must hold 1 to {MAX_BLOCK_ID_BYTES}",
            decoded.len()
        )));
    }
    Ok(decoded.len())
}

/// Builds Put Block for a caller's block id.
pub(crate) fn build_put_block(url: Url, block_id: &str, body: Bytes, options: &PutBlockOptions) -> Result<Request> {
    validate_block_id(block_id)?;
    let md5 = options.transactional_md5.then(|| md5_digest(&body));
    let mut request = build_put_block_request(url, block_id, body, md5, None)?;
    options.conditions.apply_accepted(&mut request, PUT_BLOCK_ACCEPTS, "Put Block")?;
    Ok(request)
}

/// Builds Put Block List for a caller's ids, checked first: each a valid id,
/// all of one length (the service refuses a list that mixes lengths), at
/// most [`MAX_BLOCKS`] of them.
pub(crate) fn build_put_block_list(url: Url, block_ids: &[String], options: &PutBlockListOptions) -> Result<Request> {
    if block_ids.len() as u64 > MAX_BLOCKS {
        return Err(Error::invalid_input(format!(
            "a blob holds at most {MAX_BLOCKS} blocks, the list names {}",
            block_ids.len()
        )));
    }
    let mut length = None;
    for id in block_ids {
        let len = validate_block_id(id)?;
        if *length.get_or_insert(len) != len {
            return Err(Error::invalid_input("every block id of a blob must have the same length"));
        }
    }
    let blob = &options.blob;
    let mut request = build_put_block_list_request(url, block_ids, &CommitOptions::of(blob))?;
    if blob.transactional_md5 {
        let md5 = md5_digest(&request.body);
        set_header(&mut request, headers::CONTENT_MD5, &BASE64.encode(md5))?;
    }
    Ok(request)
}

/// Builds Get Block List.
pub(crate) fn build_get_block_list(url: Url, options: &BlockListOptions) -> Result<Request> {
    let mut request = Request::new("GetBlockList", Method::GET, url);
    add_query(&mut request, "comp", "blocklist");
    add_query(&mut request, "blocklisttype", options.list_type.as_str());
    options.selector.apply(&mut request)?;
    options.conditions.apply_accepted(&mut request, GET_BLOCK_LIST_ACCEPTS, "Get Block List")?;
    // A read changes nothing.
    Ok(request.idempotent())
}

#[derive(Debug, Deserialize)]
struct BlockListXml {
    #[serde(rename = "CommittedBlocks", default)]
    committed: BlocksXml,
    #[serde(rename = "UncommittedBlocks", default)]
    uncommitted: BlocksXml,
}

#[derive(Debug, Default, Deserialize)]
struct BlocksXml {
    #[serde(rename = "Block", default)]
    blocks: Vec<BlockXml>,
}

#[derive(Debug, Deserialize)]
struct BlockXml {
    #[serde(rename = "Name")]
    name: String,
    #[serde(rename = "Size")]
    size: u64,
}

impl BlocksXml {
    fn into_infos(self) -> Vec<BlockInfo> {
        self.blocks.into_iter().map(|b| BlockInfo { id: b.name, size: b.size }).collect()
    }
}

/// Parses a Get Block List answer: its headers and its XML body.
pub(crate) fn parse_block_list(headers: &HeaderMap, body: &[u8]) -> Result<BlockList> {
    let text = std::str::from_utf8(body)
        .map_err(|_| Error::invalid_response("the block list is not UTF-8"))?
        .trim_start_matches('\u{feff}');
    let list: BlockListXml = quick_xml::de::from_str(text)
        .map_err(|e| Error::invalid_response(format!("cannot parse the block list: {e}")))?;
    // A blob with only uncommitted blocks has no ETag yet.
    let etag = match request_util::header(headers, headers::ETAG) {
        Some(_) => Some(request_util::etag(headers)?),
        None => None,
    };
    Ok(BlockList {
        committed: list.committed.into_infos(),
        uncommitted: list.uncommitted.into_infos(),
        etag,
        blob_content_length: request_util::number(headers, headers::X_MS_BLOB_CONTENT_LENGTH)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::models::{AccessTier, ContentHeaders};
    use crate::ErrorKind;

    fn url() -> Url {
        "https://a.blob.core.windows.net/c/b".parse().unwrap()
    }

    #[test]
    fn put_block_checks_the_id_and_sends_the_md5() {
        let r =
            build_put_block(url(), "YmxvY2stMQ==", Bytes::from_static(b"abc"), &PutBlockOptions::default()).unwrap();
        assert_eq!(r.url.query(), Some("comp=block&blockid=YmxvY2stMQ%3D%3D"));
        assert_eq!(r.header("content-md5"), None);
        let lease = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
        let options = PutBlockOptions { transactional_md5: true, conditions: Conditions::lease(lease) };
        let r = build_put_block(url(), "YmxvY2stMQ==", Bytes::from_static(b"abc"), &options).unwrap();
        // MD5("abc"), as `printf abc | openssl md5 -binary | base64` prints it.
        assert_eq!(r.header("content-md5"), Some("kAFQmDzST7DWlj99KOF/cg=="));
        assert_eq!(r.header("x-ms-lease-id"), Some(lease));
        // Put Block takes a lease id and no other condition: refused, unsent.
        let options = PutBlockOptions { conditions: Conditions::if_not_exists(), ..PutBlockOptions::default() };
        let err = build_put_block(url(), "YmxvY2stMQ==", Bytes::new(), &options).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        for bad in ["", "not base64!", &BASE64.encode([7u8; 65])] {
            let err = build_put_block(url(), bad, Bytes::new(), &PutBlockOptions::default()).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}");
        }
        assert!(build_put_block(url(), &BASE64.encode([7u8; 64]), Bytes::new(), &PutBlockOptions::default()).is_ok());
    }

    #[test]
    fn put_block_list_carries_the_blob_options_and_checks_the_ids() {
        let options = PutBlockListOptions {
            blob: PutBlobOptions {
                content: ContentHeaders { content_type: Some("text/csv".into()), ..ContentHeaders::default() },
                metadata: [("k".to_owned(), "v".to_owned())].into(),
                tier: Some(AccessTier::Cool),
                tags: [("stage".to_owned(), "prod".to_owned())].into(),
                conditions: Conditions::if_not_exists(),
                transactional_md5: true,
                transactional_crc64: false,
            },
        };
        let ids = ["QUFB".to_owned(), "QkJC".to_owned()];
        let r = build_put_block_list(url(), &ids, &options).unwrap();
        let body = std::str::from_utf8(&r.body).unwrap();
        assert!(body.ends_with("<BlockList><Latest>QUFB</Latest><Latest>QkJC</Latest></BlockList>"), "{body}");
        assert_eq!(r.header("x-ms-blob-content-type"), Some("text/csv"));
        assert_eq!(r.header("x-ms-meta-k"), Some("v"));
        assert_eq!(r.header("x-ms-access-tier"), Some("Cool"));
        assert_eq!(r.header("x-ms-tags"), Some("stage=prod"));
        assert_eq!(r.header("if-none-match"), Some("*"));
        assert_eq!(r.header("content-md5").map(str::to_owned), Some(BASE64.encode(md5_digest(&r.body))));
        assert!(!r.idempotent, "a create-only commit cannot be repeated");

        let mixed = ["QUFB".to_owned(), "QkJCQg==".to_owned()];
        let err = build_put_block_list(url(), &mixed, &PutBlockListOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let too_many = vec!["QUFB".to_owned(); MAX_BLOCKS as usize + 1];
        let err = build_put_block_list(url(), &too_many, &PutBlockListOptions::default()).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let empty = build_put_block_list(url(), &[], &PutBlockListOptions::default()).unwrap();
        assert!(std::str::from_utf8(&empty.body).unwrap().ends_with("<BlockList></BlockList>"));
    }

    #[test]
    fn get_block_list_asks_the_list_type_and_selector() {
        let r = build_get_block_list(url(), &BlockListOptions::default()).unwrap();
        assert_eq!(r.url.query(), Some("comp=blocklist&blocklisttype=all"));
        assert_eq!(r.method, Method::GET);
        assert!(r.idempotent);
        let options = BlockListOptions {
            list_type: BlockListType::Committed,
            selector: BlobSelector::version("v1"),
            ..BlockListOptions::default()
        };
        let r = build_get_block_list(url(), &options).unwrap();
        assert_eq!(r.url.query(), Some("comp=blocklist&blocklisttype=committed&versionid=v1"));
        // What a resumed upload asks: the uncommitted list of the current
        // blob, exactly as the conformance cassettes recorded it.
        let options = BlockListOptions { list_type: BlockListType::Uncommitted, ..BlockListOptions::default() };
        let r = build_get_block_list(url(), &options).unwrap();
        assert_eq!(r.url.as_str(), "https://a.blob.core.windows.net/c/b?comp=blocklist&blocklisttype=uncommitted");
        assert!(r.headers.is_empty() && r.body.is_empty() && r.idempotent);
        let empty = BlockListOptions { selector: BlobSelector::snapshot(""), ..BlockListOptions::default() };
        assert_eq!(build_get_block_list(url(), &empty).unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn get_block_list_takes_a_lease_and_a_tag_condition_and_refuses_the_rest() {
        let lease = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
        let conditions = Conditions { if_tags: Some("\"stage\" = 'prod'".into()), ..Conditions::lease(lease) };
        let r = build_get_block_list(url(), &BlockListOptions { conditions, ..BlockListOptions::default() }).unwrap();
        assert_eq!(r.header("x-ms-lease-id"), Some(lease));
        assert_eq!(r.header("x-ms-if-tags"), Some("\"stage\" = 'prod'"));
        assert!(r.idempotent);
        // ETag and date conditions are not Get Block List's: refused, unsent.
        let refused = [
            Conditions::if_match(ETag("\"0x1\"".into())),
            Conditions::if_not_exists(),
            Conditions { if_modified_since: Some(std::time::SystemTime::UNIX_EPOCH), ..Conditions::default() },
        ];
        for conditions in refused {
            let options = BlockListOptions { conditions, ..BlockListOptions::default() };
            let err = build_get_block_list(url(), &options).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            assert!(err.to_string().contains("Get Block List does not accept ETag or date conditions"), "{err}");
        }
    }

    #[test]
    fn parses_the_documented_block_list() {
        // The sample answer of Get Block List in the REST reference.
        let body = br#"<?xml version="1.0" encoding="utf-8"?>
<BlockList>
  <CommittedBlocks>
    <Block><Name>BlockId001</Name><Size>4194304</Size></Block>
  </CommittedBlocks>
  <UncommittedBlocks>
    <Block><Name>BlockId002</Name><Size>1024</Size></Block>
  </UncommittedBlocks>
</BlockList>"#;
        let mut headers = HeaderMap::new();
        headers.insert("etag", "\"0x8CB171DBEAD6A6B\"".parse().unwrap());
        headers.insert("x-ms-blob-content-length", "4194304".parse().unwrap());
        let list = parse_block_list(&headers, body).unwrap();
        assert_eq!(list.committed, vec![BlockInfo { id: "BlockId001".into(), size: 4_194_304 }]);
        assert_eq!(list.uncommitted, vec![BlockInfo { id: "BlockId002".into(), size: 1024 }]);
        assert_eq!(list.etag, Some(ETag("\"0x8CB171DBEAD6A6B\"".into())));
        assert_eq!(list.blob_content_length, Some(4_194_304));
        let bare = parse_block_list(&HeaderMap::new(), b"<BlockList/>").unwrap();
        assert!(bare.committed.is_empty() && bare.uncommitted.is_empty() && bare.etag.is_none());
        assert_eq!(parse_block_list(&HeaderMap::new(), b"nope").unwrap_err().kind(), ErrorKind::InvalidResponse);
    }

    const SAMPLE: &[u8] = b"<?xml version=\"1.0\" encoding=\"utf-8\"?><BlockList><CommittedBlocks><Block><Name>QUFB</Name><Size>4194304</Size></Block></CommittedBlocks><UncommittedBlocks><Block><Name>QkJC</Name><Size>1024</Size></Block></UncommittedBlocks></BlockList>";

    proptest::proptest! {
        #![proptest_config(crate::proptests::cases(256))]

        /// Any answer, a mutated sample or noise, with any headers, parses or
        /// fails with an error: never a panic.
        #[test]
        fn any_block_list_answer_parses_or_fails_cleanly(
            body in crate::proptests::mutated(SAMPLE),
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..100),
            length in crate::proptests::number_text(),
            etag in ".{0,24}",
        ) {
            let mut headers = HeaderMap::new();
            if let Ok(value) = length.parse() {
                headers.insert(headers::X_MS_BLOB_CONTENT_LENGTH, value);
            }
            if let Ok(value) = etag.parse() {
                headers.insert(headers::ETAG, value);
            }
            let _ = parse_block_list(&headers, &body);
            let _ = parse_block_list(&headers, &noise);
            let _ = validate_block_id(&etag);
        }
    }
}
