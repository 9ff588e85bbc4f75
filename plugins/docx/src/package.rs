//! The .docx package: every part, streamed into the SDK's deterministic
//! OOXML writer. `word/document.xml` is written block by block through a
//! small buffer, so a long document is never held whole in memory; the
//! parts it refers to (footnotes, headers, numbering, media) follow it.

use std::io::Write;

use kiln_plugin_sdk::Host;
use kiln_plugin_sdk::document::{Block, Document, Orientation, ResolvedSection, text};
use kiln_plugin_sdk::ooxml::{self, Package, Relationship, XML_DECLARATION, escape};

use crate::body::{Body, TocEntry};
use crate::media::Media;

const MAIN: &str =
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml";
const WML: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml";
const REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";

const NAMESPACES: &str = concat!(
    r#"xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" "#,
    r#"xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" "#,
    r#"xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing" "#,
    r#"xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" "#,
    r#"xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture""#
);

/// How much of `document.xml` is buffered before it goes to the package.
const FLUSH_BYTES: usize = 64 * 1024;

/// Writes the package for `doc` to `out` and returns `out`.
pub(crate) fn write<W: Write>(
    doc: &Document,
    media: &Media,
    out: W,
    host: &mut Host,
    notes: &mut Vec<String>,
) -> kiln_plugin_sdk::Result<W> {
    let sections = doc.resolved_sections();
    let toc = toc_entries(&doc.theme, &sections);
    let has_toc = sections.iter().any(|s| s.blocks.iter().any(|b| matches!(b, Block::Toc(_))));
    let has_header = sections.iter().any(|s| s.header.is_some());
    let has_footer = sections.iter().any(|s| s.footer.is_some());
    let total: u64 = sections.iter().map(|s| s.blocks.len() as u64).sum();

    let mut package = Package::new(out);
    package.default_content_type("png", "image/png");
    package.default_content_type("jpeg", "image/jpeg");
    package.relationships(
        "",
        &[
            Relationship::new("rId1", ooxml::OFFICE_DOCUMENT, "word/document.xml"),
            Relationship::new("rId2", ooxml::CORE_PROPERTIES, "docProps/core.xml"),
            Relationship::new("rId3", ooxml::EXTENDED_PROPERTIES, "docProps/app.xml"),
        ],
    )?;

    let mut body = Body::new(&doc.theme, media, toc);
    {
        let part = package.part("word/document.xml", MAIN)?;
        let mut buf = String::with_capacity(FLUSH_BYTES * 2);
        buf.push_str(XML_DECLARATION);
        buf.push_str(&format!("<w:document {NAMESPACES}><w:body>"));
        let mut done = 0u64;
        for (i, section) in sections.iter().enumerate() {
            body.text_width = text_width(section);
            for block in &section.blocks {
                body.blocks(std::slice::from_ref(block), &mut buf);
                done += 1;
                if buf.len() >= FLUSH_BYTES {
                    part.write_all(buf.as_bytes())?;
                    buf.clear();
                }
                if done.is_multiple_of(500) {
                    host.progress(done, total, "writing document.xml");
                }
            }
            let props = section_properties(section, i, has_header, has_footer);
            if i + 1 < sections.len() {
                buf.push_str(&format!("<w:p><w:pPr>{props}</w:pPr></w:p>"));
            } else {
                buf.push_str(&props);
            }
        }
        buf.push_str("</w:body></w:document>");
        part.write_all(buf.as_bytes())?;
    }
    host.progress(total, total, "writing styles, footnotes and media");

    let mut rels = vec![
        Relationship::new("rId1", format!("{REL}/styles"), "styles.xml"),
        Relationship::new("rId2", format!("{REL}/settings"), "settings.xml"),
    ];
    package
        .part("word/styles.xml", &format!("{WML}.styles+xml"))?
        .write_all(crate::styles::xml(doc).as_bytes())?;
    package
        .part("word/settings.xml", &format!("{WML}.settings+xml"))?
        .write_all(settings(has_toc, !body.footnotes.is_empty()).as_bytes())?;

    // Headers and footers: one per section when any section has one, so a
    // section without one does not inherit its predecessor's.
    for (i, section) in sections.iter().enumerate() {
        for (kind, present, content) in
            [("header", has_header, &section.header), ("footer", has_footer, &section.footer)]
        {
            if !present {
                continue;
            }
            let tag = if kind == "header" { "w:hdr" } else { "w:ftr" };
            let style = if kind == "header" { "Header" } else { "Footer" };
            let mut x = format!("{XML_DECLARATION}<{tag} {NAMESPACES}>");
            match content {
                Some(hf) => body.header_footer(&hf.text, hf.align, style, &mut x),
                None => x.push_str("<w:p/>"),
            }
            x.push_str(&format!("</{tag}>"));
            let name = format!("{kind}{}.xml", i + 1);
            package
                .part(&format!("word/{name}"), &format!("{WML}.{kind}+xml"))?
                .write_all(x.as_bytes())?;
            let id = if kind == "header" { "H" } else { "F" };
            rels.push(Relationship::new(
                format!("rId{id}{}", i + 1),
                format!("{REL}/{kind}"),
                name,
            ));
        }
    }

    if !body.numbering.is_empty() {
        package
            .part("word/numbering.xml", &format!("{WML}.numbering+xml"))?
            .write_all(body.numbering.xml().as_bytes())?;
        rels.push(Relationship::new("rId3", format!("{REL}/numbering"), "numbering.xml"));
    }

    // Links and images, for the document and for footnotes (which have
    // their own relationships part, with the same ids).
    let mut shared = Vec::new();
    for (n, link) in body.links.iter().enumerate() {
        shared.push(Relationship::external(
            format!("rIdL{}", n + 1),
            format!("{REL}/hyperlink"),
            link.clone(),
        ));
    }
    for entry in media.iter() {
        shared.push(Relationship::new(
            entry.rel_id.clone(),
            format!("{REL}/image"),
            entry.target.clone(),
        ));
    }
    if !body.footnotes.is_empty() {
        let mut x = format!("{XML_DECLARATION}<w:footnotes {NAMESPACES}>");
        x.push_str(r#"<w:footnote w:type="separator" w:id="-1"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:separator/></w:r></w:p></w:footnote><w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:pPr><w:spacing w:after="0" w:line="240" w:lineRule="auto"/></w:pPr><w:r><w:continuationSeparator/></w:r></w:p></w:footnote>"#);
        for note in &body.footnotes {
            x.push_str(note);
        }
        x.push_str("</w:footnotes>");
        package
            .part("word/footnotes.xml", &format!("{WML}.footnotes+xml"))?
            .write_all(x.as_bytes())?;
        package.relationships("word/footnotes.xml", &shared)?;
        rels.push(Relationship::new("rId4", format!("{REL}/footnotes"), "footnotes.xml"));
    }
    rels.extend(shared);
    package.relationships("word/document.xml", &rels)?;

    for entry in media.iter() {
        let name = format!("word/{}", entry.target);
        host.copy_asset(&entry.asset, package.part_with_default_type(&name)?)?;
    }

    package
        .part("docProps/core.xml", "application/vnd.openxmlformats-package.core-properties+xml")?
        .write_all(core(doc).as_bytes())?;
    package
        .part(
            "docProps/app.xml",
            "application/vnd.openxmlformats-officedocument.extended-properties+xml",
        )?
        .write_all(app().as_bytes())?;
    notes.append(&mut body.notes);
    Ok(package.finish()?)
}

/// The headings the TOC lists: those at the top level of each section.
fn toc_entries(
    theme: &kiln_plugin_sdk::document::Theme,
    sections: &[ResolvedSection],
) -> Vec<TocEntry> {
    let pages = crate::estimate::heading_pages(theme, sections);
    sections
        .iter()
        .flat_map(|s| s.blocks.iter())
        .filter_map(|b| match b {
            Block::Heading(h) => {
                Some((h.level.clamp(1, 6), text::plain(&h.text).replace('\n', " ")))
            }
            _ => None,
        })
        .zip(pages.into_iter().chain(std::iter::repeat(1)))
        .map(|((level, text), page)| TocEntry { level, text, page })
        .collect()
}

/// The width of one text column in twips.
fn text_width(s: &ResolvedSection) -> i32 {
    let width = (s.text_width() * 20.0).round() as i32;
    let columns = s.columns.max(1) as i32;
    ((width - 720 * (columns - 1)) / columns).max(720)
}

fn section_properties(s: &ResolvedSection, i: usize, header: bool, footer: bool) -> String {
    let mut x = String::from("<w:sectPr>");
    if header {
        x.push_str(&format!(r#"<w:headerReference w:type="default" r:id="rIdH{}"/>"#, i + 1));
    }
    if footer {
        x.push_str(&format!(r#"<w:footerReference w:type="default" r:id="rIdF{}"/>"#, i + 1));
    }
    let (w, h) = s.page_points();
    let twips = |p: f32| (p * 20.0).round() as i32;
    let orient =
        if s.orientation == Orientation::Landscape { r#" w:orient="landscape""# } else { "" };
    x.push_str(&format!(r#"<w:pgSz w:w="{}" w:h="{}"{orient}/>"#, twips(w), twips(h)));
    let m = &s.margins;
    let distance = |margin: f32| twips((margin / 2.0).min(36.0));
    x.push_str(&format!(
        r#"<w:pgMar w:top="{}" w:right="{}" w:bottom="{}" w:left="{}" w:header="{}" w:footer="{}" w:gutter="0"/>"#,
        twips(m.top.0),
        twips(m.right.0),
        twips(m.bottom.0),
        twips(m.left.0),
        distance(m.top.0),
        distance(m.bottom.0)
    ));
    x.push_str(&format!(r#"<w:cols w:num="{}" w:space="720"/>"#, s.columns.max(1)));
    x.push_str("</w:sectPr>");
    x
}

fn settings(update_fields: bool, footnotes: bool) -> String {
    let mut x = format!(
        r#"{XML_DECLARATION}<w:settings xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:defaultTabStop w:val="720"/><w:characterSpacingControl w:val="doNotCompress"/>"#
    );
    if update_fields {
        // Word refreshes the TOC's page numbers when the file opens.
        x.push_str(r#"<w:updateFields w:val="true"/>"#);
    }
    if footnotes {
        x.push_str(r#"<w:footnotePr><w:footnote w:id="-1"/><w:footnote w:id="0"/></w:footnotePr>"#);
    }
    x.push_str(r#"<w:compat><w:compatSetting w:name="compatibilityMode" w:uri="http://schemas.microsoft.com/office/word" w:val="15"/></w:compat></w:settings>"#);
    x
}

/// `created` as W3CDTF with a time zone, as readers expect it.
pub(crate) fn w3cdtf(created: &str) -> String {
    let (date, time) = match created.split_once(['T', ' ']) {
        Some((d, t)) => (d, t),
        None => (created, "00:00:00Z"),
    };
    let (clock, zone) = match time.find(['Z', '+', '-']) {
        Some(i) => (&time[..i], &time[i..]),
        None => (time, "Z"),
    };
    let clock = if clock.len() == 5 { format!("{clock}:00") } else { clock.to_owned() };
    format!("{date}T{clock}{zone}")
}

fn core(doc: &Document) -> String {
    let mut x = format!(
        r#"{XML_DECLARATION}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">"#
    );
    let mut field = |tag: &str, value: Option<&str>| {
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            x.push_str(&format!("<{tag}>{}</{tag}>", escape(v)));
        }
    };
    field("dc:title", doc.title.as_deref());
    field("dc:subject", doc.subject.as_deref());
    field("dc:creator", doc.author.as_deref());
    let keywords = doc.keywords.join(", ");
    field("cp:keywords", Some(&keywords));
    field("dc:language", Some(doc.language()));
    field("cp:lastModifiedBy", doc.author.as_deref());
    let created = w3cdtf(doc.created());
    x.push_str(&format!(
        r#"<cp:revision>1</cp:revision><dcterms:created xsi:type="dcterms:W3CDTF">{c}</dcterms:created><dcterms:modified xsi:type="dcterms:W3CDTF">{c}</dcterms:modified></cp:coreProperties>"#,
        c = escape(&created)
    ));
    x
}

fn app() -> String {
    format!(
        r#"{XML_DECLARATION}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"><Application>kiln docx</Application><DocSecurity>0</DocSecurity></Properties>"#
    )
}
