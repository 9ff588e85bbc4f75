//! Broken specs give every violation, each at its JSON pointer, with what
//! was expected, what was found, and the closest valid name.

use kiln_plugin_pptx::Pptx;
use kiln_plugin_sdk::{GenerateError, testing};
use serde_json::{Value, json};

fn violations(spec: Value) -> Vec<(String, String)> {
    testing::validate::<Pptx>(&spec.to_string())
        .into_iter()
        .map(|v| (v.pointer, v.message))
        .collect()
}

fn at(spec: Value, pointer: &str) -> String {
    let all = violations(spec);
    all.iter()
        .find(|(p, _)| p == pointer)
        .map(|(_, m)| m.clone())
        .unwrap_or_else(|| panic!("no violation at {pointer}; found {all:#?}"))
}

#[test]
fn an_unknown_layout_suggests_the_closest_name() {
    let m = at(
        json!({"slides": [{"title": "a"}, {"layout": "bullet", "title": "b", "bullets": ["x"]}]}),
        "/slides/1/layout",
    );
    assert!(
        m.contains("unknown layout \"bullet\"") && m.contains("did you mean \"bullets\""),
        "{m}"
    );
    let m = at(json!({"slides": [{"layout": "Two Content", "left": ["x"]}]}), "/slides/0/layout");
    assert!(m.contains("did you mean \"two_columns\""), "{m}");
    let m = at(json!({"slides": [{"layout": "kpi", "number": "3"}]}), "/slides/0/layout");
    assert!(m.contains("did you mean \"big_number\""), "{m}");
}

#[test]
fn table_rows_of_the_wrong_width_are_each_reported() {
    let spec = json!({"slides": [{"title": "t", "table": {"header": ["a", "b", "c"], "rows": [["1", "2", "3"], ["1", "2"], ["1", "2", "3", "4"]], "column_widths": [1, 2]}}]});
    let m = at(spec.clone(), "/slides/0/table/rows/1");
    assert_eq!(m, "expected 3 cells (as many as the header), found 2");
    assert_eq!(
        at(spec.clone(), "/slides/0/table/rows/2"),
        "expected 3 cells (as many as the header), found 4"
    );
    assert!(at(spec, "/slides/0/table/column_widths").contains("expected 3 widths"));
}

#[test]
fn chart_series_must_match_the_categories() {
    let spec = json!({"slides": [{"title": "c", "chart": {"categories": ["Q1", "Q2", "Q3", "Q4"], "series": [{"name": "a", "values": [1, 2, 3, 4]}, {"name": "b", "values": [1, 2, 3]}]}}]});
    let m = at(spec, "/slides/0/chart/series/1/values");
    assert!(
        m.starts_with(
            "expected 4 values (one per category: \"Q1\", \"Q2\", \"Q3\", \"Q4\"), found 3"
        ),
        "{m}"
    );
    let pie = json!({"slides": [{"title": "c", "chart": {"type": "pie", "categories": ["a", "b"], "series": [{"name": "x", "values": [1, -2]}, {"name": "y", "values": [1, 2]}]}}]});
    assert!(at(pie.clone(), "/slides/0/chart/series").contains("exactly one series, found 2"));
    assert!(at(pie, "/slides/0/chart/series/0/values/1").contains("cannot be negative"));
}

#[test]
fn fields_a_layout_does_not_show_and_missing_content_are_reported() {
    let spec = json!({"slides": [
        {"layout": "quote", "quote": "q", "bullets": ["x"]},
        {"layout": "chart", "title": "no chart"},
        {"layout": "bullets", "title": "none"}
    ]});
    let m = at(spec.clone(), "/slides/0/bullets");
    assert!(
        m.contains("layout \"quote\" does not show \"bullets\"")
            && m.contains("use layout \"bullets\""),
        "{m}"
    );
    assert!(at(spec.clone(), "/slides/1/chart").contains("needs \"chart\""));
    assert!(at(spec, "/slides/2/bullets").contains("needs \"bullets\""));
}

#[test]
fn every_violation_comes_back_in_one_answer() {
    let spec = json!({"theme": {"accent": "blue"}, "file_name": "deck.ppt", "slides": [
        {"layout": "titel", "title": "x"},
        {"title": "t", "table": {"rows": [["a", "b"], ["c"]]}},
        {"title": "u", "bulets": ["typo"]}
    ]});
    let mut pointers: Vec<String> = violations(spec).into_iter().map(|(p, _)| p).collect();
    pointers.sort();
    assert_eq!(
        pointers,
        [
            "/file_name",
            "/slides/0/layout",
            "/slides/1/table/rows/1",
            "/slides/2/bulets",
            "/theme/accent"
        ]
    );
}

#[test]
fn an_empty_deck_is_refused() {
    assert!(at(json!({"slides": []}), "/slides").contains("at least one slide"));
}

#[test]
fn a_missing_asset_is_reported_at_its_slide_with_the_closest_name() {
    let spec =
        json!({"slides": [{"title": "a"}, {"title": "Arch", "image": "diagam.png"}]}).to_string();
    let png = std::fs::read(crate::plugin_dir().join("tests/assets/diagram.png")).unwrap();
    let err = testing::run::<Pptx>(&spec, &[("diagram.png", "image/png", &png)]).unwrap_err();
    let GenerateError::InvalidSpec(v) = err else { panic!("expected invalid-spec, got {err}") };
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].pointer, "/slides/1/image");
    assert!(
        v[0].message.contains("\"diagam.png\"")
            && v[0].message.contains("did you mean \"diagram.png\""),
        "{}",
        v[0].message
    );
    let err =
        testing::run::<Pptx>(&spec, &[("diagam.png", "image/png", b"not an image")]).unwrap_err();
    assert!(err.to_string().contains("PNG or JPEG"), "{err}");
}
