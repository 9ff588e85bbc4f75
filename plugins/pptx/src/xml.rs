//! XML text escaping, shared by every part writer.

/// Appends `s` escaped for XML text and attribute values. Characters XML
/// 1.0 cannot hold (most C0 controls, lone surrogates cannot occur in a
/// `str`, U+FFFE/U+FFFF) are dropped rather than making the part unreadable.
pub(crate) fn push_escaped(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

/// `s` escaped for XML.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_escaped(&mut out, s);
    out
}

/// The XML declaration every part starts with.
pub(crate) const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// Namespace declarations of PresentationML parts.
pub(crate) const NS_P: &str = "xmlns:a=\"http://schemas.openxmlformats.org/drawingml/2006/main\" \
xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\" \
xmlns:p=\"http://schemas.openxmlformats.org/presentationml/2006/main\"";

#[cfg(test)]
mod tests {
    #[test]
    fn markup_is_escaped_and_controls_dropped() {
        assert_eq!(super::escape("a<b>&\"c\u{1}\u{7}d"), "a&lt;b&gt;&amp;&quot;cd");
        assert_eq!(super::escape("zürich — 東京 🎉"), "zürich — 東京 🎉");
    }
}
