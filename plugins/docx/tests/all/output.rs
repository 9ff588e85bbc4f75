//! The package itself: parts, styles, fields, determinism.

use std::io::Read;

use crate::generate;

/// One part of a package, as text.
pub(crate) fn part(docx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(docx)).expect("a zip package");
    let mut file = archive.by_name(name).unwrap_or_else(|_| panic!("no part {name}"));
    let mut text = String::new();
    file.read_to_string(&mut text).expect("UTF-8 part");
    text
}

#[test]
fn the_same_spec_gives_the_same_bytes() {
    let spec = kiln_plugin_docx::EXAMPLES[2].1;
    assert_eq!(generate(spec), generate(spec));
}

#[test]
fn core_properties_use_a_fixed_date_unless_the_spec_sets_one() {
    let docx =
        generate(r#"{"title": "T & C", "author": "Ada", "keywords": ["a", "b"], "blocks": ["x"]}"#);
    let core = part(&docx, "docProps/core.xml");
    assert!(core.contains("<dc:title>T &amp; C</dc:title>"), "{core}");
    assert!(core.contains("<dc:creator>Ada</dc:creator>"));
    assert!(core.contains("<cp:keywords>a, b</cp:keywords>"));
    assert!(core.contains(">2000-01-01T00:00:00Z</dcterms:created>"), "{core}");
    let docx = generate(r#"{"created": "2026-03-31", "blocks": ["x"]}"#);
    assert!(part(&docx, "docProps/core.xml").contains(">2026-03-31T00:00:00Z</dcterms:created>"));
}

#[test]
fn headings_use_the_built_in_styles_with_outline_levels() {
    let docx =
        generate(r#"{"blocks": [{"heading": "A"}, {"heading": {"text": "F", "level": 6}}]}"#);
    let styles = part(&docx, "word/styles.xml");
    for level in 1..=6 {
        assert!(
            styles.contains(&format!(
                r#"w:styleId="Heading{level}"><w:name w:val="heading {level}"/>"#
            ))
        );
        assert!(styles.contains(&format!(r#"<w:outlineLvl w:val="{}"/>"#, level - 1)));
    }
    let doc = part(&docx, "word/document.xml");
    assert!(doc.contains(r#"<w:pStyle w:val="Heading6"/>"#));
}

#[test]
fn footers_carry_page_and_numpages_fields_and_a_toc_is_a_field() {
    let docx = generate(
        r#"{"page": {"footer": "Page {page} of {pages}"}, "blocks": [{"toc": true}, {"heading": "One"}, {"heading": {"text": "Two", "level": 2}}]}"#,
    );
    let footer = part(&docx, "word/footer1.xml");
    assert!(
        footer.contains("> PAGE </w:instrText>") && footer.contains("> NUMPAGES </w:instrText>"),
        "{footer}"
    );
    let doc = part(&docx, "word/document.xml");
    assert!(doc.contains(r#"TOC \o "1-3" \h \z \u"#));
    assert!(doc.contains("PAGEREF _Toc000001"));
    assert!(part(&docx, "word/settings.xml").contains("<w:updateFields w:val=\"true\"/>"));
}

#[test]
fn header_rows_repeat_and_merged_cells_span() {
    let docx = generate(
        r#"{"blocks": [{"table": {"header": ["A", "B", "C"], "rows": [[{"text": "wide", "colspan": 2}, {"text": "tall", "rowspan": 2}], ["x", "y"]]}}]}"#,
    );
    let doc = part(&docx, "word/document.xml");
    assert!(doc.contains("<w:tblHeader/>"));
    assert!(doc.contains(r#"<w:gridSpan w:val="2"/>"#));
    assert!(
        doc.contains(r#"<w:vMerge w:val="restart"/>"#)
            && doc.contains(r#"<w:vMerge w:val="continue"/>"#)
    );
}

#[test]
fn right_to_left_paragraphs_are_bidi_and_scripts_are_kept() {
    let docx = generate(r#"{"blocks": ["مرحبا بالعالم", "שלום", "你好，世界", "Ünïcödé ✓ 🚀"]}"#);
    let doc = part(&docx, "word/document.xml");
    assert_eq!(doc.matches("<w:bidi/>").count(), 2, "{doc}");
    for t in ["مرحبا بالعالم", "שלום", "你好，世界", "Ünïcödé ✓ 🚀"] {
        assert!(doc.contains(t), "{t} is missing");
    }
}

#[test]
fn numbered_lists_are_multi_level_and_restart() {
    let docx = generate(
        r#"{"blocks": [{"numbered": [{"text": "a", "items": ["b"]}]}, {"numbered": ["c"]}]}"#,
    );
    let numbering = part(&docx, "word/numbering.xml");
    assert!(numbering.contains(r#"<w:lvlText w:val="%1.%2."/>"#));
    assert!(numbering.contains(r#"<w:num w:numId="2">"#), "each list is its own instance");
    assert!(numbering.contains(r#"<w:startOverride w:val="1"/>"#));
}

#[test]
fn images_are_embedded_with_their_type_and_sized_from_pixels() {
    let docx = generate(
        r#"{"blocks": [{"image": "chart.png"}, {"image": {"asset": "photo.jpg", "width": "2in", "alt": "A photo"}}]}"#,
    );
    let doc = part(&docx, "word/document.xml");
    // 40 px at 96 dpi = 30 pt = 381000 EMU; 2 in = 1828800 EMU.
    assert!(doc.contains(r#"<wp:extent cx="381000" cy="190500"/>"#), "{doc}");
    assert!(doc.contains(r#"<wp:extent cx="1828800" cy="1828800"/>"#));
    assert!(doc.contains(r#"descr="A photo""#));
    let types = part(&docx, "[Content_Types].xml");
    assert!(types.contains(r#"Extension="jpeg" ContentType="image/jpeg""#));
    let rels = part(&docx, "word/_rels/document.xml.rels");
    assert!(rels.contains("media/image2.jpeg"));
}

#[test]
fn footnotes_are_real_footnotes() {
    let docx = generate(r#"{"blocks": [{"markdown": "Claim.[^1]\n\n[^1]: Source: survey."}]}"#);
    let notes = part(&docx, "word/footnotes.xml");
    assert!(
        notes.contains(r#"<w:footnote w:id="1">"#) && notes.contains("Source: survey."),
        "{notes}"
    );
    assert!(part(&docx, "word/document.xml").contains(r#"<w:footnoteReference w:id="1"/>"#));
}

#[test]
fn adjustments_are_logged_and_progress_is_reported() {
    use kiln_plugin_docx::Docx;
    let png = crate::png(2000, 100);
    let run = kiln_plugin_sdk::testing::run::<Docx>(
        r#"{"blocks": [{"image": "wide.png"}]}"#,
        &[("wide.png", "image/png", &png)],
    )
    .expect("generates");
    assert!(run.log.iter().any(|(_, m)| m.contains("scaled down")), "{:?}", run.log);
    assert!(!run.progress.is_empty());
}
