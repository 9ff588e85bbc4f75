//! Hyphenation, right-to-left text, fonts brought as assets and the title
//! page, read back by pypdf, pdftotext and pdffonts.

use std::path::Path;
use std::process::Command;

use kiln_plugin_pdf::Pdf;
use kiln_plugin_sdk::{GenerateError, testing};
use serde_json::json;

use crate::{check, generate, out_dir};

/// Writes a spec where the checker can read it, and checks the PDF.
fn check_spec(
    name: &str,
    spec: &serde_json::Value,
    pdf: &[u8],
    flags: &[&str],
) -> serde_json::Value {
    let path = out_dir().join(format!("{name}.json"));
    std::fs::write(&path, spec.to_string()).expect("write spec");
    check(name, &path, pdf, flags)
}

/// The PDF's text as pdftotext reads it (poppler orders right-to-left text
/// logically).
fn pdftotext(name: &str, pdf: &[u8]) -> String {
    let path = out_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    let out = Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext runs (apt-get install poppler-utils)");
    assert!(out.status.success());
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn justified_text_is_hyphenated_by_its_language_and_reads_back_whole() {
    let words = "Internationalization responsibilities, characteristically incomprehensible \
                 recommendations and extraordinarily uncharacteristic disproportionalities \
                 complicate telecommunications infrastructure modernization.";
    let spec = json!({
        "language": "en-GB",
        "page": {"columns": 3},
        "pdf": {"justify": true},
        "blocks": [words, words, words]
    });
    let pdf = generate(&spec.to_string(), &[]);
    check_spec("hyphenated", &spec, &pdf, &[]);
    let text = pdftotext("hyphenated", &pdf);
    assert!(text.contains('\u{AD}') || text.contains("-\n"), "words are hyphenated: {text}");

    let spec = json!({"language": "en-GB", "page": {"columns": 3}, "pdf": {"justify": true, "hyphenate": false}, "blocks": [words]});
    let text = pdftotext("not-hyphenated", &generate(&spec.to_string(), &[]));
    assert!(
        !text.contains('\u{AD}') && !text.contains("-\n"),
        "no hyphens when turned off: {text}"
    );
}

#[test]
fn hebrew_and_arabic_paragraphs_read_back_in_logical_order() {
    let hebrew = "שלום עולם, זהו דוח הרבעון";
    let arabic = "مرحبا بالعالم، هذا تقرير الربع";
    let spec = json!({"blocks": [{"heading": "Quarterly report"}, hebrew, arabic, "English stays left to right."]});
    let run = testing::run::<Pdf>(&spec.to_string(), &[]).expect("generates");
    assert!(
        !run.log.iter().any(|(_, m)| m.contains("no bundled font covers")),
        "the bundled fonts cover Hebrew and Arabic: {:?}",
        run.log
    );
    let text = pdftotext("right-to-left", &run.files[0].bytes);
    for word in ["שלום", "עולם", "הרבעון", "مرحبا", "تقرير", "English stays left to right."]
    {
        assert!(text.contains(word), "{word:?} in logical order in {text:?}");
    }
}

/// A CJK font from Debian's fonts-droid-fallback (Apache 2.0), as a user
/// would upload one.
fn cjk_font() -> Vec<u8> {
    let path = Path::new("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf");
    std::fs::read(path).unwrap_or_else(|_| {
        panic!("{} is missing: apt-get install fonts-droid-fallback", path.display())
    })
}

#[test]
fn chinese_text_is_drawn_with_a_font_brought_as_an_asset() {
    let font = cjk_font();
    let spec = json!({
        "title": "季度报告",
        "language": "zh-CN",
        "pdf": {"fonts": ["DroidSansFallbackFull.ttf"]},
        "blocks": [{"heading": "第一季度"}, "第一季度销售额增长了百分之十二。", "Latin text keeps its own font."]
    });
    let assets = [("DroidSansFallbackFull.ttf", "font/ttf", font.as_slice())];
    let run = testing::run::<Pdf>(&spec.to_string(), &assets).expect("generates");
    assert!(!run.log.iter().any(|(_, m)| m.contains("no bundled font covers")), "{:?}", run.log);
    let summary = check_spec("cjk-font", &spec, &run.files[0].bytes, &[]);
    let fonts = summary["fonts"].to_string();
    assert!(fonts.contains("DroidSansFallback"), "the asset font is embedded and subset: {fonts}");
    assert!(fonts.contains("Liberation"), "Latin text keeps the bundled font: {fonts}");
    // The embedded subset is a small part of the 4 MB font.
    assert!(run.files[0].bytes.len() < 200_000, "{} bytes", run.files[0].bytes.len());

    // Without the font the characters are reported, never silently dropped.
    let bare = json!({"blocks": ["第一季度销售额增长了百分之十二。"]});
    let run = testing::run::<Pdf>(&bare.to_string(), &[]).expect("generates");
    assert!(
        run.log.iter().any(|(_, m)| m.contains("no bundled font covers") && m.contains("U+7B2C")),
        "{:?}",
        run.log
    );
}

#[test]
fn a_font_that_is_missing_or_not_a_font_is_refused_at_its_pointer() {
    let spec = json!({"pdf": {"fonts": ["NotoSansSC.otf"]}, "blocks": ["x"]}).to_string();
    let Err(GenerateError::InvalidSpec(v)) = testing::run::<Pdf>(&spec, &[]) else {
        panic!("a missing font asset is refused")
    };
    assert_eq!(v[0].pointer, "/pdf/fonts/0", "{v:?}");
    let png = crate::corpus::png(4, 4);
    let spec = json!({"pdf": {"fonts": ["logo.png"]}, "blocks": ["x"]}).to_string();
    let Err(GenerateError::InvalidSpec(v)) =
        testing::run::<Pdf>(&spec, &[("logo.png", "image/png", &png)])
    else {
        panic!("an image named as a font is refused")
    };
    assert_eq!(v[0].pointer, "/pdf/fonts/0", "{v:?}");
    assert!(v[0].message.contains("TrueType or OpenType"), "{v:?}");
    let many = json!({"pdf": {"fonts": vec!["f.ttf"; 9]}, "blocks": ["x"]}).to_string();
    let v = testing::validate::<Pdf>(&many);
    assert!(v.iter().any(|v| v.pointer == "/pdf/fonts"), "{v:?}");
}

#[test]
fn a_title_page_stands_alone_without_header_or_footer() {
    let spec = json!({
        "title": "Annual report 2026",
        "subject": "Results and outlook",
        "author": "Finance team",
        "created": "2026-03-31T09:00:00Z",
        "page": {"footer": "Page {page} of {pages}"},
        "pdf": {"title_page": true},
        "blocks": [{"toc": true}, {"heading": "Summary"}, "Revenue grew.", {"heading": "Outlook"}, "Steady."]
    });
    let pdf = generate(&spec.to_string(), &[]);
    let summary = check_spec("title-page", &spec, &pdf, &["--page-of-pages", "--toc"]);
    assert!(summary["pages"].as_u64().unwrap_or(0) >= 2, "{summary}");
    let text = pdftotext("title-page", &pdf);
    let first = text.split('\u{c}').next().unwrap_or_default();
    for line in ["Annual report 2026", "Results and outlook", "Finance team", "2026-03-31"] {
        assert!(first.contains(line), "{line:?} on the title page: {first:?}");
    }
    assert!(!first.contains("Page 1"), "no footer on the title page: {first:?}");
    let v = testing::validate::<Pdf>(
        &json!({"pdf": {"title_page": true}, "blocks": ["x"]}).to_string(),
    );
    assert!(v.iter().any(|v| v.pointer == "/title"), "a title page needs a title: {v:?}");
}
