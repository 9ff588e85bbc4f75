//! Integration tests of the native API: examples, validation and the
//! contents of generated packages.

mod examples;
mod output;
mod validation;

use std::io::Read;

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

/// Generates a spec that must be valid.
pub(crate) fn generate(spec: &str) -> Vec<u8> {
    match kiln_plugin_xlsx::generate(spec, &mut |_, _, _| {}) {
        Ok(g) => g.bytes,
        Err(e) => panic!("generation failed: {e}"),
    }
}

/// One file of an xlsx package, as text.
pub(crate) fn part(xlsx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(xlsx)).expect("a zip package");
    let mut file = archive
        .by_name(name)
        .unwrap_or_else(|_| panic!("no part {name}"));
    let mut text = String::new();
    file.read_to_string(&mut text).expect("UTF-8 part");
    text
}

/// The pointers of a spec's violations, sorted.
pub(crate) fn pointers(spec: &str) -> Vec<String> {
    let mut p: Vec<String> = kiln_plugin_xlsx::validate(spec)
        .into_iter()
        .map(|v| v.pointer)
        .collect();
    p.sort();
    p
}

/// The violation messages at one pointer.
pub(crate) fn messages_at(spec: &str, pointer: &str) -> Vec<String> {
    kiln_plugin_xlsx::validate(spec)
        .into_iter()
        .filter(|v| v.pointer == pointer)
        .map(|v| v.message)
        .collect()
}
