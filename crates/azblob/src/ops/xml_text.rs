//! Keeps the spaces at the edges of XML text that quick-xml's serde reader
//! would trim.
//!
//! The serde reader trims every text node, so a blob named ` a ` or a tag
//! value ` v ` in a List Blobs answer would come back changed. Writing those edge characters as character references
//! (`&#32;`) before the reader sees them keeps them: it trims the raw text,
//! then unescapes what is left. Text that is only whitespace (the
//! indentation between elements) is left alone.

use std::borrow::Cow;

/// `xml` with the leading and trailing whitespace of every text node that
/// holds something else written as character references.
pub(crate) fn keep_edge_spaces(xml: &str) -> Cow<'_, str> {
    let needs = xml.split('<').any(|piece| {
        let text = piece.split_once('>').map_or("", |(_, text)| text);
        has_edges(text)
    });
    if !needs {
        return Cow::Borrowed(xml);
    }
    let mut out = String::with_capacity(xml.len() + 64);
    for (i, piece) in xml.split('<').enumerate() {
        if i > 0 {
            out.push('<');
        }
        match piece.split_once('>') {
            Some((tag, text)) if has_edges(text) => {
                out.push_str(tag);
                out.push('>');
                let body = text.trim_matches(is_space);
                let start = text.len() - text.trim_start_matches(is_space).len();
                let end = text.trim_end_matches(is_space).len();
                text[..start].chars().for_each(|c| push_reference(&mut out, c));
                out.push_str(body);
                text[end..].chars().for_each(|c| push_reference(&mut out, c));
            }
            _ => out.push_str(piece),
        }
    }
    Cow::Owned(out)
}

/// Whether `text` holds something besides whitespace and starts or ends with whitespace.
fn has_edges(text: &str) -> bool {
    !text.trim_matches(is_space).is_empty() && (text.starts_with(is_space) || text.ends_with(is_space))
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r')
}

fn push_reference(out: &mut String, c: char) {
    out.push_str(&format!("&#{};", u32::from(c)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edge_spaces_become_references_and_indentation_stays() {
        let xml = "<A>\n  <Name> a b </Name>\n  <V>x\t</V><E></E><S>   </S>\n</A>";
        assert_eq!(keep_edge_spaces(xml), "<A>\n  <Name>&#32;a b&#32;</Name>\n  <V>x&#9;</V><E></E><S>   </S>\n</A>");
        let plain = "<A><B>b</B>\n</A>";
        assert!(matches!(keep_edge_spaces(plain), Cow::Borrowed(_)), "nothing to keep: no copy");
        assert_eq!(keep_edge_spaces("no tags at all "), "no tags at all ");
    }
}
