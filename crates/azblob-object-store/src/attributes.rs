//! object_store's `Attributes` as Azure holds them: the five content headers,
//! user metadata, and the access tier as the storage class.

use azblob::{AccessTier, BlobProperties, ContentHeaders, Metadata, PutBlobOptions, Tags};
use object_store::{Attribute, AttributeValue, Attributes, TagSet};

use crate::errors::not_implemented;

/// The write settings that carry `attributes` and `tags` (blob index tags,
/// sent with the write as `x-ms-tags` and checked by azblob as the service
/// checks them); an attribute Azure has no place for is refused, never dropped.
pub(crate) fn blob_options(attributes: &Attributes, tags: &TagSet) -> object_store::Result<PutBlobOptions> {
    let mut options = PutBlobOptions { tags: blob_tags(tags), ..PutBlobOptions::default() };
    for (attribute, value) in attributes {
        let value = value.to_string();
        let content = &mut options.content;
        match attribute {
            Attribute::ContentDisposition => content.content_disposition = Some(value),
            Attribute::ContentEncoding => content.content_encoding = Some(value),
            Attribute::ContentLanguage => content.content_language = Some(value),
            Attribute::ContentType => content.content_type = Some(value),
            Attribute::CacheControl => content.cache_control = Some(value),
            Attribute::StorageClass => {
                // Parsing never fails: a tier azblob does not know is kept as written.
                options.tier = Some(value.parse().unwrap_or(AccessTier::Other(value)));
            }
            Attribute::Metadata(name) => {
                options.metadata.insert(name.to_string(), value);
            }
            other => return Err(not_implemented(&format!("the attribute {other:?}"))),
        }
    }
    Ok(options)
}

/// The attributes of a blob: the content headers it has and its metadata.
///
/// The storage class is written (as the access tier) but not read back:
/// Get Blob does not report the tier on every answer (a range read lacks
/// it), and an attribute that comes and goes with the request's shape would
/// mislead more than its absence.
pub(crate) fn from_properties(properties: &BlobProperties) -> Attributes {
    content_attributes(&properties.content, &properties.metadata)
}

fn content_attributes(content: &ContentHeaders, metadata: &Metadata) -> Attributes {
    let mut attributes = Attributes::new();
    let headers = [
        (Attribute::ContentDisposition, &content.content_disposition),
        (Attribute::ContentEncoding, &content.content_encoding),
        (Attribute::ContentLanguage, &content.content_language),
        (Attribute::ContentType, &content.content_type),
        (Attribute::CacheControl, &content.cache_control),
    ];
    for (attribute, value) in headers {
        if let Some(value) = value {
            attributes.insert(attribute, AttributeValue::from(value.clone()));
        }
    }
    for (name, value) in metadata {
        attributes.insert(Attribute::Metadata(name.clone().into()), AttributeValue::from(value.clone()));
    }
    attributes
}

/// object_store's tags (URL-encoded `key=value` pairs joined by `&`) as azblob's.
fn blob_tags(tags: &TagSet) -> Tags {
    url::form_urlencoded::parse(tags.encoded().as_bytes()).map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_become_headers_metadata_and_tier() {
        let attributes = Attributes::from_iter([
            (Attribute::CacheControl, "max-age=60"),
            (Attribute::ContentDisposition, "inline"),
            (Attribute::ContentEncoding, "gzip"),
            (Attribute::ContentLanguage, "en-GB"),
            (Attribute::ContentType, "text/csv"),
            (Attribute::StorageClass, "Cool"),
            (Attribute::Metadata("team".into()), "lake"),
        ]);
        let options = blob_options(&attributes, &TagSet::default()).unwrap();
        assert_eq!(options.content.cache_control.as_deref(), Some("max-age=60"));
        assert_eq!(options.content.content_disposition.as_deref(), Some("inline"));
        assert_eq!(options.content.content_encoding.as_deref(), Some("gzip"));
        assert_eq!(options.content.content_language.as_deref(), Some("en-GB"));
        assert_eq!(options.content.content_type.as_deref(), Some("text/csv"));
        assert_eq!(options.tier, Some(AccessTier::Cool));
        assert_eq!(options.metadata.get("team").map(String::as_str), Some("lake"));
        assert!(options.conditions == azblob::Conditions::default());

        let back = content_attributes(&options.content, &options.metadata);
        let mut expected = attributes.clone();
        expected.remove(&Attribute::StorageClass);
        assert_eq!(back, expected);
    }
}
