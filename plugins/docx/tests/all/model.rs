//! The shared document model: short forms, Markdown ≡ structured blocks.

use kiln_plugin_sdk::document::{Block, Document, markdown, normalize, validate};
use serde_json::json;

fn doc(spec: serde_json::Value) -> Document {
    serde_json::from_value(spec).expect("a valid document")
}

fn blocks(spec: serde_json::Value) -> Vec<Block> {
    let d = doc(json!({ "blocks": spec }));
    normalize::blocks(&d.blocks)
}

#[test]
fn markdown_heading_and_bold_equal_structured_blocks() {
    let md = blocks(json!([{ "markdown": "# Q1\n\nRevenue grew **12%**" }]));
    let structured = blocks(json!([
        { "heading": "Q1" },
        { "paragraph": ["Revenue grew ", { "text": "12%", "bold": true }] }
    ]));
    assert_eq!(md, structured);
}

#[test]
fn markdown_lists_tables_quotes_code_and_footnotes_equal_structured_blocks() {
    let md = blocks(json!([{ "markdown": concat!(
        "## Plan\n\n",
        "- Fruit\n  - Apple\n  - *Pear*\n- Veg\n\n",
        "1. First\n2. Second\n   1. Inner\n\n",
        "- [x] done\n- [ ] todo\n\n",
        "| Region | Sales |\n|---|---:|\n| North | 1,200 |\n| ~~South~~ | `n/a` |\n\n",
        "> Quoted *words*\n\n",
        "```sql\nSELECT 1;\n```\n\n",
        "See [docs](https://example.com) and a note[^n].\n\n",
        "---\n\n",
        "[^n]: The note text.\n"
    ) }]));
    let structured = blocks(json!([
        { "heading": { "text": "Plan", "level": 2 } },
        { "list": [ { "text": "Fruit", "items": ["Apple", { "text": [{ "text": "Pear", "italic": true }] }] }, "Veg" ] },
        { "numbered": [ "First", { "text": "Second", "items": ["Inner"] } ] },
        { "bullets": [ { "text": "done", "checked": true }, { "text": "todo", "checked": false } ] },
        { "table": {
            "header": ["Region", "Sales"],
            "rows": [["North", "1,200"], [{ "text": [{ "text": "South", "strike": true }] }, { "text": [{ "text": "n/a", "code": true }] }]],
            "align": ["left", "right"]
        } },
        { "quote": [ { "paragraph": ["Quoted ", { "text": "words", "italic": true }] } ] },
        { "code": { "text": "SELECT 1;", "language": "sql" } },
        { "paragraph": ["See ", { "text": "docs", "link": "https://example.com" }, " and a note", { "footnote": "The note text." }, "."] },
        { "rule": true }
    ]));
    assert_eq!(md, structured);
}

#[test]
fn markdown_and_structured_blocks_mix_in_one_section() {
    let d = doc(json!({ "blocks": ["Intro", { "markdown": "## A\n\ntext" }, { "heading": "B" }] }));
    let s = d.resolved_sections();
    assert_eq!(s.len(), 1);
    assert_eq!(s[0].blocks.len(), 4);
}

#[test]
fn markdown_images_become_image_blocks() {
    let md = markdown::parse("Before ![Sales chart](chart.png \"Figure 1\") after");
    assert_eq!(md.len(), 3, "{md:?}");
    match &md[1] {
        Block::Image(i) => {
            assert_eq!(i.asset, "chart.png");
            assert_eq!(i.alt.as_deref(), Some("Sales chart"));
            assert_eq!(i.caption.as_deref(), Some("Figure 1"));
        }
        other => panic!("expected an image, found {other:?}"),
    }
}

#[test]
fn short_forms_and_defaults_read() {
    let d = doc(json!({
        "title": "T",
        "page": { "size": "letter", "orientation": "landscape", "margins": "2cm", "footer": "Page {page} of {pages}" },
        "blocks": [
            "plain", { "image": "a.png" }, { "toc": true }, { "page_break": {} },
            { "table": { "rows": [[1, 2.5, true, null]] } }
        ]
    }));
    let s = &d.resolved_sections()[0];
    assert!((s.margins.left.0 - 56.69).abs() < 0.01);
    assert!(s.page_points().0 > s.page_points().1);
    assert_eq!(s.footer.as_ref().unwrap().text[0].text, "Page {page} of {pages}");
    assert!(validate(&d).is_empty());
}

#[test]
fn unknown_block_kinds_and_fields_are_parse_errors() {
    let bad: Result<Document, _> = serde_json::from_value(json!({ "blocks": [{ "headng": "x" }] }));
    let err = bad.unwrap_err().to_string();
    assert!(err.contains("headng") && err.contains("heading"), "{err}");
    let bad: Result<Document, _> = serde_json::from_value(
        json!({ "blocks": [{ "paragraph": { "text": "x", "bold": true } }] }),
    );
    assert!(bad.unwrap_err().to_string().contains("bold"));
}

#[test]
fn schema_describes_every_property() {
    let schema = serde_json::to_value(kiln_plugin_sdk::schemars::schema_for!(Document)).unwrap();
    let mut missing = Vec::new();
    fn walk(v: &serde_json::Value, at: String, missing: &mut Vec<String>) {
        if let Some(props) = v.get("properties").and_then(|p| p.as_object()) {
            for (name, p) in props {
                let described = p.get("description").is_some()
                    || p.get("$ref").is_some() && p.get("description").is_some();
                if !described {
                    missing.push(format!("{at}/{name}"));
                }
                walk(p, format!("{at}/{name}"), missing);
            }
        }
        if let Some(obj) = v.as_object() {
            for (k, child) in obj {
                if k != "properties" {
                    walk(child, format!("{at}/{k}"), missing);
                }
            }
        } else if let Some(arr) = v.as_array() {
            for (i, child) in arr.iter().enumerate() {
                walk(child, format!("{at}/{i}"), missing);
            }
        }
    }
    walk(&schema, String::new(), &mut missing);
    assert!(missing.is_empty(), "undocumented: {missing:?}");
}

fn violations(spec: serde_json::Value) -> Vec<(String, String)> {
    validate(&doc(spec)).into_iter().map(|v| (v.pointer, v.message)).collect()
}

#[test]
fn rows_of_the_wrong_width_count_spans() {
    let v = violations(json!({ "blocks": [{ "table": {
        "header": ["A", "B", "C"],
        "rows": [
            [{ "text": "wide", "colspan": 2 }, "c"],
            [{ "text": "tall", "rowspan": 2 }, "b", "c"],
            ["b", "c"],
            ["a", "b"]
        ]
    } }] }));
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0].0, "/blocks/0/table/rows/3");
    assert!(v[0].1.contains("3 columns") && v[0].1.contains("found 2"), "{}", v[0].1);
}

#[test]
fn overlapping_spans_and_long_rowspans_are_reported() {
    let v = violations(json!({ "blocks": [{ "table": { "rows": [
        ["a", { "text": "tall", "rowspan": 3 }, "c"],
        [{ "text": "wide", "colspan": 2 }, "c"]
    ] } }] }));
    let pointers: Vec<&str> = v.iter().map(|(p, _)| p.as_str()).collect();
    assert!(pointers.contains(&"/blocks/0/table/rows/1/0"), "{v:?}");
    assert!(pointers.contains(&"/blocks/0/table/rows/0/1/rowspan"), "{v:?}");
}

#[test]
fn heading_levels_and_problems_inside_markdown_have_pointers() {
    let v = violations(json!({ "sections": [{ "blocks": [
        { "heading": { "text": "x", "level": 7 } },
        { "markdown": "| a | b |\n|---|---|\n| 1 |" }
    ] }] }));
    assert_eq!(v[0].0, "/sections/0/blocks/0/heading/level");
    assert!(v[0].1.contains("from 1 to 6") && v[0].1.contains("found 7"));
    // GFM pads short rows, so that table is fine; an empty asset is not.
    let v = violations(json!({ "blocks": [{ "image": "" }, { "markdown": "![x]()" }] }));
    let pointers: Vec<&str> = v.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(pointers, ["/blocks/0/image/asset", "/blocks/1/markdown"], "{v:?}");
}

#[test]
fn missing_assets_suggest_the_closest_name() {
    use kiln_plugin_sdk::document::check_assets;
    let d = doc(json!({ "blocks": [{ "image": "logo.pgn" }, { "markdown": "![c](chart.png)" }] }));
    let v = check_assets(&d, &["logo.png", "chart.png"]);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].pointer, "/blocks/0/image/asset");
    assert!(v[0].message.contains("\"logo.png\""), "{}", v[0].message);
}

#[test]
fn direction_is_detected_from_the_first_strong_letter() {
    use kiln_plugin_sdk::document::{Direction, text};
    assert_eq!(text::detect("123 مرحبا"), Some(Direction::Rtl));
    assert_eq!(text::detect("«שלום»"), Some(Direction::Rtl));
    assert_eq!(text::detect("2026 年度报告"), Some(Direction::Ltr));
    assert_eq!(text::detect("42"), None);
}
