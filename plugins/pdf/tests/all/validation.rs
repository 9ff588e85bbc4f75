//! Broken specs give the right violations at the right pointers.

use kiln_plugin_pdf::Pdf;
use kiln_plugin_sdk::{GenerateError, testing};
use serde_json::json;

fn pointers(spec: &serde_json::Value) -> Vec<(String, String)> {
    testing::validate::<Pdf>(&spec.to_string())
        .into_iter()
        .map(|v| (v.pointer, v.message))
        .collect()
}

#[test]
fn unknown_fonts_are_named_with_the_closest_font() {
    let v = pointers(
        &json!({"theme": {"body_font": "Arail"}, "blocks": [{"paragraph": [{"text": "x", "font": "Wingdings"}]}]}),
    );
    let at: Vec<&str> = v.iter().map(|(p, _)| p.as_str()).collect();
    assert!(at.contains(&"/theme/body_font"), "{v:?}");
    assert!(at.contains(&"/blocks/0/paragraph/text/0/font"), "{v:?}");
    assert!(v.iter().any(|(_, m)| m.contains("did you mean \"Arial\"")), "{v:?}");
}

#[test]
fn table_rows_of_the_wrong_width_and_overlapping_spans_are_found() {
    let v = pointers(
        &json!({"blocks": [{"table": {"header": ["a", "b", "c"], "rows": [["1", "2"], [{"text": "x", "rowspan": 2}, "y", "z"], [{"text": "w", "colspan": 3}]]}}]}),
    );
    assert!(v.iter().any(|(p, _)| p.starts_with("/blocks/0/table/rows/0")), "{v:?}");
    assert!(v.iter().any(|(p, _)| p.starts_with("/blocks/0/table/rows/2")), "{v:?}");
}

#[test]
fn pdf_options_are_checked_where_they_are() {
    let v = pointers(&json!({"pdf": {"line_spacing": 9, "standard": "pdf/ua-1"}, "blocks": ["x"]}));
    let at: Vec<&str> = v.iter().map(|(p, _)| p.as_str()).collect();
    assert!(at.contains(&"/pdf/line_spacing"), "{v:?}");
    assert!(at.contains(&"/title"), "pdf/ua-1 needs a title: {v:?}");
    let v = pointers(&json!({"pdf": {"standard": "pdf/x"}, "blocks": ["x"]}));
    assert!(v.iter().any(|(p, _)| p == "/pdf/standard"), "{v:?}");
    let v = pointers(&json!({"blocks": ["x"], "colour": "red"}));
    assert!(v.iter().any(|(p, m)| p.is_empty() || p == "/colour" || m.contains("colour")), "{v:?}");
}

#[test]
fn a_missing_asset_is_reported_with_its_pointer_and_the_closest_name() {
    let spec = json!({"blocks": ["x", {"image": {"asset": "logo.png"}}]}).to_string();
    let img = crate::corpus::png(4, 4);
    match testing::run::<Pdf>(&spec, &[("logo1.png", "image/png", &img)]) {
        Err(GenerateError::InvalidSpec(v)) => {
            assert_eq!(v[0].pointer, "/blocks/1/image/asset", "{v:?}");
            assert!(v[0].message.contains("logo1.png"), "{v:?}");
        }
        other => panic!("expected a violation, got {:?}", other.map(|r| r.files.len())),
    }
}

#[test]
fn output_is_deterministic() {
    let spec =
        std::fs::read_to_string(crate::crate_dir().join("examples/invoice.json")).expect("example");
    assert_eq!(crate::generate(&spec, &[]), crate::generate(&spec, &[]));
}
