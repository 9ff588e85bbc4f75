//! Every example (and every corpus spec) generates, and python-docx and
//! LibreOffice read back what the spec says.

use std::path::Path;

use kiln_plugin_docx::{Docx, EXAMPLES};
use kiln_plugin_sdk::document::{Block, Document, text};
use kiln_plugin_sdk::testing;
use serde_json::json;

use crate::{expect, generate, output_dir, run_checker};

fn slug(title: &str) -> String {
    title
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .take(4)
        .collect::<Vec<_>>()
        .join("-")
}

/// Writes NAME.docx and NAME.expect.json.
fn write(dir: &Path, name: &str, spec: &str) -> Document {
    let doc: Document = serde_json::from_str(spec).unwrap_or_else(|e| panic!("{name}: {e}"));
    let bytes = generate(spec);
    std::fs::write(dir.join(format!("{name}.docx")), bytes).unwrap();
    let want = expect::of(&doc);
    std::fs::write(
        dir.join(format!("{name}.expect.json")),
        serde_json::to_vec_pretty(&want).unwrap(),
    )
    .unwrap();
    doc
}

#[test]
fn examples_are_documented_valid_and_deterministic() {
    testing::assert_documented::<Docx>();
    testing::assert_examples_generate::<Docx>();
}

#[test]
fn python_docx_reads_every_example_as_its_spec_says() {
    let dir = output_dir("examples");
    for (title, spec) in EXAMPLES {
        let name = slug(title);
        let doc = write(&dir, &name, spec);
        // What LibreOffice should show: every heading, in a sane page count.
        let headings: Vec<String> = doc
            .resolved_sections()
            .iter()
            .flat_map(|s| s.blocks.clone())
            .filter_map(|b| match b {
                Block::Heading(h) => Some(text::plain(&h.text)),
                _ => None,
            })
            .collect();
        let (min, max) = match name.as_str() {
            n if n.starts_with("multi-page") => (3, 8),
            _ => (1, 3),
        };
        let pdf = json!({ "min_pages": min, "max_pages": max, "headings": headings });
        std::fs::write(dir.join(format!("{name}.pdf.json")), pdf.to_string()).unwrap();
    }
    run_checker("check_docx.py", &[dir.to_str().unwrap()]);
}

#[test]
fn libreoffice_converts_every_example_to_a_pdf_with_its_headings() {
    // Runs after the files exist: generate them here too (cheap), then convert.
    let dir = output_dir("pdf");
    for (title, spec) in EXAMPLES {
        let name = slug(title);
        let doc = write(&dir, &name, spec);
        let headings: Vec<String> = doc
            .resolved_sections()
            .iter()
            .flat_map(|s| s.blocks.clone())
            .filter_map(|b| match b {
                Block::Heading(h) => Some(text::plain(&h.text)),
                _ => None,
            })
            .collect();
        let (min, max) = if name.starts_with("multi-page") { (3, 8) } else { (1, 3) };
        let pdf = json!({ "min_pages": min, "max_pages": max, "headings": headings });
        std::fs::write(dir.join(format!("{name}.pdf.json")), pdf.to_string()).unwrap();
    }
    run_checker("check_pdf.py", &[dir.to_str().unwrap()]);
}

#[test]
fn python_docx_reads_every_corpus_spec_as_it_says() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let dir = output_dir("corpus");
    let mut count = 0;
    let mut paths: Vec<_> =
        std::fs::read_dir(&corpus).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        if path.extension().is_some_and(|e| e == "json") {
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            let spec = std::fs::read_to_string(&path).unwrap();
            let violations = testing::validate::<Docx>(&spec);
            assert!(violations.is_empty(), "{name}: {violations:#?}");
            write(&dir, &name, &spec);
            count += 1;
        }
    }
    assert!(count >= 20, "the corpus has {count} specs, want at least 20");
    run_checker("check_docx.py", &[dir.to_str().unwrap()]);
}
