//! Hidden sheets, data labels, invisible series, reversed axes,
//! conditional formats, number and date rules, notes and images.

use kiln_plugin_sdk::{GenerateError, testing};
use kiln_plugin_xlsx::Xlsx;
use serde_json::json;

use crate::{messages_at, part, pointers, sheet, sheets};

const LOGO: &[u8] = include_bytes!("../logo.png");

fn features_spec() -> String {
    sheets(json!([
        { "name": "Lists", "hidden": true, "rows": [["a"]] },
        {
            "name": "Plan",
            "header": ["Task", "Start", "Days", "Score"],
            "rows": [["Design", 0, 5, 7], ["Build", 5, 10, -2], ["Test", 15, 4, 3]],
            "charts": [{
                "type": "bar_stacked",
                "series": [
                    { "categories": "A2:A4", "values": "B2:B4", "fill": "none" },
                    { "categories": "A2:A4", "values": "C2:C4", "data_labels": { "value": true } }
                ],
                "category_axis": { "reverse": true }
            }],
            "conditional_formats": [
                { "range": "D2:D4", "cell": { "operator": "less_than", "value": 0, "style": { "font_color": "#C00000" } } },
                { "range": "A2:A4", "formula": { "formula": "=$C2>8", "style": { "bold": true } } },
                { "range": "C2:C4", "color_scale": { "mid_color": "#FFEB84" } },
                { "range": "B2:B4", "data_bar": {} }
            ],
            "validations": [
                { "range": "C2:C20", "number": { "min": 1, "max": 60, "whole": true } },
                { "range": "E2:E20", "date": { "min": "2026-01-01" } }
            ],
            "comments": [{ "cell": "C1", "text": "Working days", "author": "PM" }],
            "images": [{ "asset": "logo.png", "at": "F2", "width": 40, "alt_text": "Logo" }]
        }
    ]))
}

#[test]
fn every_feature_reaches_the_package() {
    let run = testing::run::<Xlsx>(&features_spec(), &[("logo.png", "image/png", LOGO)]).unwrap();
    let xlsx = run.files[0].bytes.clone();
    let workbook = part(&xlsx, "xl/workbook.xml");
    assert!(workbook.contains(r#"name="Lists" sheetId="1" state="hidden""#), "{workbook}");
    assert!(workbook.contains(r#"activeTab="1""#), "{workbook}");
    let chart = part(&xlsx, "xl/charts/chart1.xml");
    assert!(chart.contains("<c:spPr><a:noFill/><a:ln><a:noFill/></a:ln></c:spPr>"), "{chart}");
    assert!(chart.contains(r#"<c:showVal val="1"/>"#), "{chart}");
    assert!(chart.contains(r#"<c:orientation val="maxMin"/>"#), "{chart}");
    let xml = part(&xlsx, "xl/worksheets/sheet2.xml");
    for want in [
        r#"<conditionalFormatting sqref="D2:D4"><cfRule type="cellIs""#,
        r#"operator="lessThan""#,
        r#"<cfRule type="expression""#,
        "<formula>$C2&gt;8</formula>",
        "<colorScale>",
        "<dataBar>",
        r#"<dataValidation type="whole""#,
        r#"<dataValidation type="date""#,
    ] {
        assert!(xml.contains(want), "missing {want}: {xml}");
    }
    assert!(part(&xlsx, "xl/comments1.xml").contains("Working days"));
    let drawing = part(&xlsx, "xl/drawings/drawing1.xml");
    assert!(drawing.contains(r#"descr="Logo""#), "{drawing}");
}

#[test]
fn an_image_needs_its_asset() {
    match testing::run::<Xlsx>(&features_spec(), &[("logo.jpg", "image/jpeg", LOGO)]) {
        Err(GenerateError::InvalidSpec(v)) => {
            assert_eq!(v[0].pointer, "/sheets/1/images/0/asset");
            assert!(v[0].message.contains("did you mean `logo.jpg`?"), "{}", v[0].message);
        }
        other => panic!("expected InvalidSpec, got {:?}", other.map(|_| ())),
    }
    match testing::run::<Xlsx>(&features_spec(), &[("logo.png", "image/png", b"not a picture")]) {
        Err(GenerateError::InvalidSpec(v)) => assert!(v[0].message.contains("not a PNG or JPEG")),
        other => panic!("expected InvalidSpec, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn feature_settings_that_cannot_work_are_violations() {
    let spec = sheets(json!([{
        "name": "S",
        "hidden": true,
        "rows": [[1, 2]],
        "charts": [{ "type": "column", "series": [
            { "values": "A1:B1", "fill": "none", "color": "#FF0000" },
            { "values": "A1:B1", "data_labels": { "percent": true } },
            { "values": "A1:B1", "data_labels": {} }
        ] }],
        "conditional_formats": [
            { "range": "A1:B1" },
            { "range": "A1:B1", "cell": { "operator": "between", "value": 5, "style": "nope" } },
            { "range": "A1:B1", "formula": { "formula": "=A1>", "style": { "bold": true } }, "data_bar": {} }
        ],
        "validations": [
            { "range": "A2:A9", "number": {} },
            { "range": "B2:B9", "date": { "min": "2026-02-30" }, "list": ["x"] }
        ],
        "comments": [{ "cell": "A1", "text": "x" }, { "cell": "A1", "text": "y" }, { "cell": "A0", "text": "z" }],
        "images": [{ "asset": "logo.png", "at": "Q" }]
    }]));
    assert_eq!(
        pointers(&spec),
        [
            "/sheets/0/charts/0/series/0/fill",
            "/sheets/0/charts/0/series/1/data_labels/percent",
            "/sheets/0/charts/0/series/2/data_labels",
            "/sheets/0/comments/1/cell",
            "/sheets/0/comments/2/cell",
            "/sheets/0/conditional_formats/0",
            "/sheets/0/conditional_formats/1/cell/style",
            "/sheets/0/conditional_formats/1/cell/to",
            "/sheets/0/conditional_formats/2",
            "/sheets/0/conditional_formats/2/formula/formula",
            "/sheets/0/hidden",
            "/sheets/0/images/0/at",
            "/sheets/0/validations/0/number",
            "/sheets/0/validations/1",
        ]
    );
    assert!(messages_at(&spec, "/sheets/0/hidden")[0].contains("at least one must stay visible"));
    let _ = sheet(json!({}));
}
