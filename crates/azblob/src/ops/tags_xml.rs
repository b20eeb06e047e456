//! The XML of tag sets (Get Blob Tags) and of Find Blobs by Tags, read event
//! by event.
//!
//! quick-xml's serde reader trims the whitespace around every text node,
//! and a tag value may start or end with a space (`" prod"` and `"prod"` are
//! different tags), so these bodies are read with the plain event reader,
//! which keeps text as sent.

use quick_xml::events::Event;
use quick_xml::Reader;

use super::tags::Tags;
use crate::error::{Error, Result};

/// Calls `on_close` with the path of every element as it closes (the
/// element itself last) and the text directly inside it, unescaped and
/// untrimmed; an empty element (`<Value/>`) closes with empty text.
pub(crate) fn walk(body: &[u8], what: &str, mut on_close: impl FnMut(&[String], String) -> Result<()>) -> Result<()> {
    let bad =
        |detail: String| Error::invalid_response(format!("the {what} answer is not the documented XML: {detail}"));
    let text = std::str::from_utf8(body).map_err(|_| bad("not UTF-8".into()))?.trim_start_matches('\u{feff}');
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let mut content = String::new();
    let name_of = |raw: &[u8]| String::from_utf8_lossy(raw).into_owned();
    loop {
        match reader.read_event().map_err(|e| bad(e.to_string()))? {
            Event::Start(e) => {
                path.push(name_of(e.local_name().as_ref()));
                content.clear();
            }
            Event::Empty(e) => {
                path.push(name_of(e.local_name().as_ref()));
                on_close(&path, String::new())?;
                path.pop();
                content.clear();
            }
            Event::Text(t) => content.push_str(&t.unescape().map_err(|e| bad(e.to_string()))?),
            Event::CData(c) => content.push_str(&String::from_utf8_lossy(&c)),
            Event::End(e) => {
                if path.last().map(String::as_bytes) != Some(e.local_name().as_ref()) {
                    return Err(bad("mismatched closing tag".into()));
                }
                on_close(&path, std::mem::take(&mut content))?;
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !path.is_empty() {
        return Err(bad(format!("it ends inside <{}>", path.join("><"))));
    }
    Ok(())
}

/// Collects `<Tag><Key/><Value/></Tag>` elements; feed it every closing
/// element whose parent chain holds a `<TagSet>`.
#[derive(Debug, Default)]
pub(crate) struct TagCollector {
    key: Option<String>,
    value: Option<String>,
    pub(crate) tags: Tags,
}

impl TagCollector {
    /// Takes one closing element; `false` if it was not part of a tag.
    pub(crate) fn close(&mut self, path: &[String], text: String, what: &str) -> Result<bool> {
        let n = path.len();
        let parent = |i: usize| n > i && path[n - 1 - i] == ["Tag", "TagSet"][i - 1];
        match path.last().map(String::as_str) {
            Some("Key") if parent(1) && parent(2) => self.key = Some(text),
            Some("Value") if parent(1) && parent(2) => self.value = Some(text),
            Some("Tag") if n > 1 && path[n - 2] == "TagSet" => {
                let key = self
                    .key
                    .take()
                    .ok_or_else(|| Error::invalid_response(format!("the {what} answer has a <Tag> without a <Key>")))?;
                // A repeated key keeps its last value, as a map does.
                self.tags.insert(key, self.value.take().unwrap_or_default());
            }
            _ => return Ok(false),
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_keeps_its_spaces_and_entities_are_unescaped() {
        let body = b"<Tags><TagSet><Tag><Key> k </Key><Value>a &amp; b </Value></Tag><Tag><Key>e</Key><Value/></Tag></TagSet></Tags>";
        let mut collector = TagCollector::default();
        walk(body, "test", |path, text| collector.close(path, text, "test").map(|_| ())).unwrap();
        let expected: Tags = [(" k ".to_owned(), "a & b ".to_owned()), ("e".to_owned(), String::new())].into();
        assert_eq!(collector.tags, expected);
    }

    #[test]
    fn broken_documents_are_invalid_responses() {
        for body in [
            &b"<Tags><TagSet>"[..],
            b"<Tags></TagSet>",
            b"\xff",
            b"<Tags><TagSet><Tag><Value>v</Value></Tag></TagSet></Tags>",
        ] {
            let mut collector = TagCollector::default();
            let err = walk(body, "test", |path, text| collector.close(path, text, "test").map(|_| ())).unwrap_err();
            assert_eq!(err.kind(), crate::ErrorKind::InvalidResponse, "{body:?}");
        }
    }
}
