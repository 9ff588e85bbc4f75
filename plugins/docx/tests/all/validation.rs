//! Broken specs give every violation at its pointer.

use kiln_plugin_docx::Docx;
use kiln_plugin_sdk::GenerateError;
use kiln_plugin_sdk::testing;

fn pointers(spec: &str) -> Vec<String> {
    let mut p: Vec<String> =
        testing::validate::<Docx>(spec).into_iter().map(|v| v.pointer).collect();
    p.sort();
    p
}

fn message_at(spec: &str, pointer: &str) -> String {
    testing::validate::<Docx>(spec)
        .into_iter()
        .filter(|v| v.pointer == pointer)
        .map(|v| v.message)
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn all_problems_come_back_in_one_answer() {
    let spec = r#"{
        "blocks": [
            {"heading": {"text": "x", "level": 9}},
            {"table": {"rows": [["a", "b"], ["c"]]}},
            {"paragraf": "typo"},
            {"paragraph": {"text": "x", "colour": "red"}}
        ],
        "theme": {"accent_color": "bluish"},
        "page": {"size": "a7"}
    }"#;
    let p = pointers(spec);
    for want in [
        "/blocks/0/heading/level",
        "/blocks/1/table/rows/1",
        "/blocks/2/paragraf",
        "/blocks/3/paragraph/colour",
        "/theme/accent_color",
        "/page/size",
    ] {
        assert!(p.iter().any(|x| x == want), "no violation at {want}: {p:?}");
    }
    assert!(message_at(spec, "/blocks/2/paragraf").contains("did you mean `paragraph`"));
    assert!(message_at(spec, "/theme/accent_color").contains("#1F4E79"));
    assert!(message_at(spec, "/blocks/1/table/rows/1").contains("2 columns"));
}

#[test]
fn overlapping_merged_cells_and_bad_widths_are_found() {
    let spec = r#"{"blocks": [{"table": {"widths": [1, 2], "rows": [
        ["a", {"text": "tall", "rowspan": 2}, "c"],
        [{"text": "wide", "colspan": 2}, "c"]
    ]}}]}"#;
    let p = pointers(spec);
    assert!(p.contains(&"/blocks/0/table/rows/1/0".to_string()), "{p:?}");
    assert!(p.contains(&"/blocks/0/table/widths".to_string()), "{p:?}");
    assert!(message_at(spec, "/blocks/0/table/rows/1/0").contains("overlaps"));
}

#[test]
fn missing_assets_are_named_with_the_closest_one_at_generation() {
    let spec = r#"{"blocks": [{"image": "chrt.png"}]}"#;
    assert!(testing::validate::<Docx>(spec).is_empty(), "validate cannot see assets");
    let png = crate::png(4, 4);
    let err = testing::run::<Docx>(spec, &[("chart.png", "image/png", &png)]).unwrap_err();
    match err {
        GenerateError::InvalidSpec(v) => {
            assert_eq!(v[0].pointer, "/blocks/0/image/asset");
            assert!(v[0].message.contains("\"chart.png\""), "{}", v[0].message);
        }
        other => panic!("expected an invalid spec, got {other:?}"),
    }
}

#[test]
fn assets_that_are_not_images_are_refused_at_their_pointer() {
    let spec = r#"{"blocks": [{"markdown": "![x](notes.txt)"}]}"#;
    let err = testing::run::<Docx>(spec, &[("notes.txt", "text/plain", b"hello")]).unwrap_err();
    match err {
        GenerateError::InvalidSpec(v) => {
            assert_eq!(v[0].pointer, "/blocks/0/markdown");
            assert!(v[0].message.contains("PNG or JPEG"), "{}", v[0].message);
        }
        other => panic!("expected an invalid spec, got {other:?}"),
    }
}

#[test]
fn bad_dates_lengths_and_levels_say_what_was_expected() {
    let spec = r#"{"created": "31/03/2026", "page": {"margins": "3furlongs", "columns": 9},
        "blocks": [{"toc": {"levels": 0}}, {"image": {"asset": "a.png", "width": -5}}]}"#;
    let p = pointers(spec);
    for want in [
        "/created",
        "/page/margins",
        "/page/columns",
        "/blocks/0/toc/levels",
        "/blocks/1/image/width",
    ] {
        assert!(p.iter().any(|x| x == want), "no violation at {want}: {p:?}");
    }
    assert!(message_at(spec, "/created").contains("ISO 8601"));
}
