//! A deterministic OOXML package writer: the ZIP container of .docx, .pptx
//! and .xlsx files, with `[Content_Types].xml` and relationship parts.
//!
//! Parts are streamed into the ZIP as they are written (entries carry data
//! descriptors, which Office, LibreOffice and the Python readers accept), so
//! a package goes straight to an [`crate::OutputFile`] without being held in
//! memory. Every entry has the same fixed timestamp and permissions, and
//! parts appear in the order they were written: the same calls give the
//! same bytes.
//!
//! ```ignore
//! let mut package = Package::new(host.create_file("deck.pptx", PPTX)?);
//! package.default_content_type("png", "image/png");
//! package.relationships("", &[Relationship::new("rId1", OFFICE_DOCUMENT, "ppt/presentation.xml")])?;
//! let part = package.part("ppt/presentation.xml", PRESENTATION_MAIN)?;
//! part.write_all(b"<?xml ...")?;
//! package.finish()?.finish()?;
//! ```

use std::borrow::Cow;
use std::io::{self, Write};

use zip::write::{SimpleFileOptions, StreamWriter};
use zip::{CompressionMethod, DateTime, ZipWriter};

/// The relationship type of a package's main part.
pub const OFFICE_DOCUMENT: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument";
/// Core properties (`docProps/core.xml`).
pub const CORE_PROPERTIES: &str =
    "http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties";
/// Extended properties (`docProps/app.xml`).
pub const EXTENDED_PROPERTIES: &str =
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties";

/// The XML declaration every part starts with.
pub const XML_DECLARATION: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";

/// One relationship from a part (or the package) to a target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    pub id: String,
    pub kind: String,
    /// Relative to the source part's folder, or a URL when `external`.
    pub target: String,
    pub external: bool,
}

impl Relationship {
    pub fn new(id: impl Into<String>, kind: impl Into<String>, target: impl Into<String>) -> Self {
        Self { id: id.into(), kind: kind.into(), target: target.into(), external: false }
    }

    /// A relationship to something outside the package, such as a hyperlink.
    pub fn external(
        id: impl Into<String>,
        kind: impl Into<String>,
        target: impl Into<String>,
    ) -> Self {
        Self { external: true, ..Self::new(id, kind, target) }
    }
}

/// A package being written.
pub struct Package<W: Write> {
    zip: ZipWriter<StreamWriter<W>>,
    options: SimpleFileOptions,
    defaults: Vec<(String, String)>,
    overrides: Vec<(String, String)>,
}

impl<W: Write> std::fmt::Debug for Package<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Package").field("parts", &self.overrides.len()).finish_non_exhaustive()
    }
}

impl<W: Write> Package<W> {
    /// Starts a package written to `out`. `rels` and `xml` have their
    /// default content types already.
    pub fn new(out: W) -> Self {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(6))
            .last_modified_time(DateTime::default())
            .unix_permissions(0o644);
        Self {
            zip: ZipWriter::new_stream(out),
            options,
            defaults: vec![
                ("rels".into(), "application/vnd.openxmlformats-package.relationships+xml".into()),
                ("xml".into(), "application/xml".into()),
            ],
            overrides: Vec::new(),
        }
    }

    /// The content type of every part whose name ends in `.extension`
    /// (e.g. `png` → `image/png`), unless the part has its own.
    pub fn default_content_type(&mut self, extension: &str, content_type: &str) {
        if !self.defaults.iter().any(|(e, _)| e.eq_ignore_ascii_case(extension)) {
            self.defaults.push((extension.to_owned(), content_type.to_owned()));
        }
    }

    /// Starts a part (e.g. `word/document.xml`) with its own content type,
    /// and returns the writer for its bytes; it ends when the next part starts.
    pub fn part(&mut self, name: &str, content_type: &str) -> io::Result<&mut impl Write> {
        self.overrides.push((name.to_owned(), content_type.to_owned()));
        self.raw(name)
    }

    /// Starts a part whose content type is the default of its extension
    /// (images, for instance). PNG and JPEG parts are stored as they are:
    /// they are compressed already, and deflating them again costs time
    /// and saves nothing.
    pub fn part_with_default_type(&mut self, name: &str) -> io::Result<&mut impl Write> {
        let extension = name.rsplit_once('.').map_or("", |(_, e)| e);
        if !self.defaults.iter().any(|(e, _)| e.eq_ignore_ascii_case(extension)) {
            return Err(io::Error::other(format!(
                "no default content type for .{extension} (part {name})"
            )));
        }
        let compressed = ["png", "jpeg", "jpg"].iter().any(|e| e.eq_ignore_ascii_case(extension));
        let options = if compressed {
            self.options.compression_method(CompressionMethod::Stored).compression_level(None)
        } else {
            self.options
        };
        self.start(name, options)
    }

    /// Writes the relationships of `source` (a part name, or "" for the
    /// package itself) as its `_rels/*.rels` part.
    pub fn relationships(
        &mut self,
        source: &str,
        relationships: &[Relationship],
    ) -> io::Result<()> {
        let name = match source.rsplit_once('/') {
            Some((folder, file)) => format!("{folder}/_rels/{file}.rels"),
            None if source.is_empty() => "_rels/.rels".to_owned(),
            None => format!("_rels/{source}.rels"),
        };
        let mut xml = String::from(XML_DECLARATION);
        xml.push_str(r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#);
        for r in relationships {
            xml.push_str(&format!(
                r#"<Relationship Id="{}" Type="{}" Target="{}"{}/>"#,
                escape(&r.id),
                escape(&r.kind),
                escape(&r.target),
                if r.external { r#" TargetMode="External""# } else { "" }
            ));
        }
        xml.push_str("</Relationships>");
        self.raw(&name)?.write_all(xml.as_bytes())
    }

    /// Writes `[Content_Types].xml` and the ZIP directory, and returns the
    /// output (finish it too, if it is an [`crate::OutputFile`]).
    pub fn finish(mut self) -> io::Result<W> {
        let mut xml = String::from(XML_DECLARATION);
        xml.push_str(
            r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">"#,
        );
        for (extension, content_type) in &self.defaults {
            xml.push_str(&format!(
                r#"<Default Extension="{}" ContentType="{}"/>"#,
                escape(extension),
                escape(content_type)
            ));
        }
        for (name, content_type) in &self.overrides {
            xml.push_str(&format!(
                r#"<Override PartName="/{}" ContentType="{}"/>"#,
                escape(name),
                escape(content_type)
            ));
        }
        xml.push_str("</Types>");
        self.raw("[Content_Types].xml")?.write_all(xml.as_bytes())?;
        Ok(self.zip.finish().map_err(io::Error::other)?.into_inner())
    }

    fn raw(&mut self, name: &str) -> io::Result<&mut ZipWriter<StreamWriter<W>>> {
        self.start(name, self.options)
    }

    fn start(
        &mut self,
        name: &str,
        options: SimpleFileOptions,
    ) -> io::Result<&mut ZipWriter<StreamWriter<W>>> {
        self.zip.start_file(name, options).map_err(io::Error::other)?;
        Ok(&mut self.zip)
    }
}

/// Escapes text for XML content and attribute values, and drops the
/// characters XML 1.0 cannot carry at all (most C0 controls).
pub fn escape(text: &str) -> Cow<'_, str> {
    let needs = |c: char| {
        matches!(c, '<' | '>' | '&' | '"' | '\'')
            || (c < ' ' && !matches!(c, '\t' | '\n' | '\r'))
            || matches!(c, '\u{FFFE}' | '\u{FFFF}')
    };
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if c < ' ' && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn package() -> Vec<u8> {
        let mut package = Package::new(Vec::new());
        package.default_content_type("png", "image/png");
        package
            .relationships("", &[Relationship::new("rId1", OFFICE_DOCUMENT, "doc/main.xml")])
            .unwrap();
        package
            .part("doc/main.xml", "application/x-main+xml")
            .unwrap()
            .write_all(b"<main/>")
            .unwrap();
        package
            .relationships(
                "doc/main.xml",
                &[Relationship::external("rId1", "link", "https://example.com/?a=1&b=2")],
            )
            .unwrap();
        package.part_with_default_type("doc/media/a.png").unwrap().write_all(b"png").unwrap();
        package.finish().unwrap()
    }

    #[test]
    fn a_package_is_a_zip_with_content_types_and_relationships() {
        let bytes = package();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).unwrap();
        let names: Vec<String> =
            (0..zip.len()).map(|i| zip.by_index(i).unwrap().name().unwrap().into_owned()).collect();
        assert_eq!(
            names,
            [
                "_rels/.rels",
                "doc/main.xml",
                "doc/_rels/main.xml.rels",
                "doc/media/a.png",
                "[Content_Types].xml"
            ]
        );
        let mut types = String::new();
        zip.by_name("[Content_Types].xml").unwrap().read_to_string(&mut types).unwrap();
        assert!(
            types.contains(
                r#"<Override PartName="/doc/main.xml" ContentType="application/x-main+xml"/>"#
            ),
            "{types}"
        );
        assert!(types.contains(r#"<Default Extension="png" ContentType="image/png"/>"#), "{types}");
        let mut rels = String::new();
        zip.by_name("doc/_rels/main.xml.rels").unwrap().read_to_string(&mut rels).unwrap();
        assert!(
            rels.contains(r#"Target="https://example.com/?a=1&amp;b=2" TargetMode="External""#),
            "{rels}"
        );
    }

    #[test]
    fn the_same_calls_give_the_same_bytes() {
        assert_eq!(package(), package());
    }

    #[test]
    fn escaping_keeps_text_and_drops_what_xml_cannot_hold() {
        assert_eq!(escape("plain"), "plain");
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(escape("مرحبا 你好"), "مرحبا 你好");
    }
}
