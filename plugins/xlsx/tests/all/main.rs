//! Integration tests of the native API: examples, validation and the
//! contents of generated packages.

mod corpus;
mod examples;
mod features;
mod output;
mod pages;
mod recalc;
mod validation;

use std::io::Read;

use kiln_plugin_sdk::{Violation, testing};
use kiln_plugin_xlsx::Xlsx;

use serde_json::{Value, json};

/// A spec with the given sheets (and nothing else).
pub(crate) fn sheets(sheets: Value) -> String {
    json!({ "sheets": sheets }).to_string()
}

/// A spec with one sheet named "S" holding the given fields.
pub(crate) fn sheet(fields: Value) -> String {
    let mut sheet = json!({ "name": "S" });
    if let (Some(target), Some(extra)) = (sheet.as_object_mut(), fields.as_object()) {
        target.extend(extra.clone());
    }
    sheets(json!([sheet]))
}

/// Generates a spec that must be valid; the bytes of its one workbook.
pub(crate) fn generate(spec: &str) -> Vec<u8> {
    match testing::run::<Xlsx>(spec, &[]) {
        Ok(mut run) => {
            assert_eq!(run.files.len(), 1, "one file per spec");
            run.files.remove(0).bytes
        }
        Err(e) => panic!("generation failed: {e}"),
    }
}

/// Every violation of a spec, parse errors included.
pub(crate) fn validate(spec: &str) -> Vec<Violation> {
    testing::validate::<Xlsx>(spec)
}

/// One file of an xlsx package, as text.
pub(crate) fn part(xlsx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a zip package");
    let mut file = archive.by_name(name).unwrap_or_else(|_| panic!("no part {name}"));
    let mut text = String::new();
    file.read_to_string(&mut text).expect("UTF-8 part");
    text
}

/// The pointers of a spec's violations, sorted.
pub(crate) fn pointers(spec: &str) -> Vec<String> {
    let mut p: Vec<String> = validate(spec).into_iter().map(|v| v.pointer).collect();
    p.sort();
    p
}

/// The violation messages at one pointer.
pub(crate) fn messages_at(spec: &str, pointer: &str) -> Vec<String> {
    validate(spec).into_iter().filter(|v| v.pointer == pointer).map(|v| v.message).collect()
}

/// A path under `target/test-output/xlsx/` (created) for files the tests
/// keep for inspection.
pub(crate) fn test_output(name: &str) -> std::path::PathBuf {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/xlsx");
    std::fs::create_dir_all(&dir).expect("test output directory");
    dir.join(name)
}

/// Runs a checker script from `tests/` with the interpreter named by
/// `KILN_TEST_PYTHON`; fails (never skips) when it is missing or the
/// script reports a mismatch.
pub(crate) fn python(args: &[&str]) {
    let interpreter = std::env::var("KILN_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "set KILN_TEST_PYTHON to a Python with openpyxl==3.1.5 \
             (python3 -m venv .venv && .venv/bin/pip install openpyxl==3.1.5), \
             and install LibreOffice (apt-get install libreoffice-calc)"
        )
    });
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests").join(args[0]);
    let output = std::process::Command::new(&interpreter)
        .arg(script)
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {interpreter}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{} failed:\n{text}", args[0]);
    eprintln!("{text}");
}
