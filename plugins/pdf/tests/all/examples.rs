//! The bundled examples: valid, deterministic, and read back correctly.

use kiln_plugin_pdf::{EXAMPLES, Pdf};
use kiln_plugin_sdk::testing;

use crate::{check, crate_dir, generate};

fn example(name: &str) -> (std::path::PathBuf, String) {
    let path = crate_dir().join(format!("examples/{name}.json"));
    let spec = std::fs::read_to_string(&path).expect("example");
    (path, spec)
}

#[test]
fn schema_is_documented_and_examples_generate_deterministically() {
    testing::assert_documented::<Pdf>();
    testing::assert_examples_generate::<Pdf>();
    assert_eq!(EXAMPLES.len(), 4);
}

#[test]
fn invoice_repeats_the_table_header_on_every_page() {
    let (path, spec) = example("invoice");
    let pdf = generate(&spec, &[]);
    let summary =
        check("invoice", &path, &pdf, &["--expect-header", "Unit price (€)", "--page-of-pages"]);
    assert!(
        summary["pages"].as_u64().unwrap_or(0) >= 2,
        "the 40-line table breaks across pages: {summary}"
    );
    // The table is tagged cell by cell, each cell holding its text itself.
    let tags = &summary["tags"];
    assert!(tags["Table"].as_u64().unwrap_or(0) >= 1, "{tags}");
    assert!(tags["TD"].as_u64().unwrap_or(0) >= 40 * 4, "a TD per body cell: {tags}");
    assert!(tags["TH"].as_u64().unwrap_or(0) >= 4, "a TH per header cell: {tags}");
    assert!(
        tags["P"].as_u64().unwrap_or(0) < tags["TD"].as_u64().unwrap_or(0),
        "cells of one paragraph hold no P of their own: {tags}"
    );
}

#[test]
fn handbook_toc_page_numbers_match_the_headings() {
    let (path, spec) = example("handbook");
    let pdf = generate(&spec, &[]);
    let summary = check("handbook", &path, &pdf, &["--toc", "--page-of-pages"]);
    assert!(summary["pages"].as_u64().unwrap_or(0) >= 30, "{summary}");
}

#[test]
fn cv_is_one_page_in_two_columns() {
    let (path, spec) = example("cv");
    let pdf = generate(&spec, &[]);
    let summary = check("cv", &path, &pdf, &[]);
    assert_eq!(summary["pages"], 1, "{summary}");
}

#[test]
fn multilingual_report_is_pdf_a_with_greek_and_cyrillic_text() {
    let (path, spec) = example("multilingual");
    let pdf = generate(&spec, &[]);
    let text = String::from_utf8_lossy(&pdf);
    assert!(
        text.contains("pdfaid:part") || text.contains("pdfaid"),
        "PDF/A identification in the XMP metadata"
    );
    check("multilingual", &path, &pdf, &["--page-of-pages"]);
}
