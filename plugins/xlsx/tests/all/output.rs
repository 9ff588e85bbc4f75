use kiln_plugin_sdk::Generator;
use kiln_plugin_xlsx::Xlsx;
use serde_json::json;

use crate::{generate, part, sheet, sheets};

fn example(index: usize) -> Vec<u8> {
    generate(&Xlsx::info().examples[index].spec)
}

#[test]
fn the_workbook_asks_excel_to_recalculate_on_open() {
    let xlsx = generate(&sheet(json!({ "rows": [["=1+1"]] })));
    assert!(part(&xlsx, "xl/workbook.xml").contains(r#"fullCalcOnLoad="1""#));
}

#[test]
fn formulas_carry_the_results_the_evaluator_computed() {
    let invoice = part(&example(1), "xl/worksheets/sheet1.xml");
    for expected in [
        "<f>C10*D10</f><v>756</v>",
        "<f>SUM(E10:E13)</f><v>2094.96</v>",
        "<f>ROUND(E15*8%,2)</f><v>167.6</v>",
        "<f>E15+E16</f><v>2262.56</v>",
        // The due date: 2026-03-15 (serial 46096) plus 30 days.
        "<f>B4+30</f><v>46126</v>",
    ] {
        assert!(invoice.contains(expected), "missing {expected}");
    }
}

#[test]
fn cross_sheet_formulas_and_table_totals_have_cached_results() {
    let budget = example(2);
    let summary = part(&budget, "xl/worksheets/sheet1.xml");
    assert!(summary.contains("<f>SUM('Budget 2026'!G2:G6)</f><v>10120</v>"));
    assert!(summary.contains("<f>B3*(1+Assumptions!B2)</f><v>10727.2</v>"));
    assert!(summary.contains("<f>'Budget 2026'!G7+Assumptions!B4</f><v>10370</v>"));
    let lines = part(&budget, "xl/worksheets/sheet2.xml");
    assert!(lines.contains("<f>SUBTOTAL(109,[Annual])</f><v>10120</v>"));
    assert!(lines.contains("<f>SUBTOTAL(103,[Status])</f><v>5</v>"));
}

#[test]
fn formulas_the_evaluator_cannot_compute_have_no_cached_value() {
    let xlsx = generate(&sheet(json!({
        "rows": [[1, "=SIN(A1)", "=1/0", "=A1&\"x\"&0.1"]]
    })));
    let xml = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"t="str"><f>SIN(A1)</f><v></v>"#), "{xml}");
    assert!(xml.contains("<f>1/0</f><v></v>"), "{xml}");
    // General-format text of a decimal, as Excel writes it.
    assert!(xml.contains("<v>1x0.1</v></c></row>"), "{xml}");
    assert!(!xml.contains("<v>0</v>"), "{xml}");
}

#[test]
fn text_results_are_cached_as_strings() {
    let xlsx = generate(&sheet(json!({ "rows": [["Total", "=A1&\": \"&2"]] })));
    let xml = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"t="str"><f>A1&amp;": "&amp;2</f><v>Total: 2</v>"#), "{xml}");
}

#[test]
fn the_creation_date_is_fixed_unless_the_spec_sets_one() {
    let fixed = generate(&sheet(json!({})));
    assert!(part(&fixed, "docProps/core.xml").contains("2000-01-01T00:00:00Z"));
    let dated = json!({ "properties": { "created": "2026-01-31T10:20:30Z", "title": "T" }, "sheets": [{ "name": "S" }] });
    let core = part(&generate(&dated.to_string()), "docProps/core.xml");
    assert!(core.contains("2026-01-31T10:20:30Z"), "{core}");
    assert!(core.contains("<dc:title>T</dc:title>"), "{core}");
}

#[test]
fn charts_name_sheets_as_declared_and_quote_them() {
    let spec = sheets(json!([
        { "name": "Budget 2026", "rows": [["a", 1], ["b", 2]] },
        { "name": "Charts", "charts": [{
            "type": "pie",
            "series": [{
                "name": "'budget 2026'!$A$1",
                "categories": "'budget 2026'!$A$1:$A$2",
                "values": { "sheet": "BUDGET 2026", "range": "B1:B2" }
            }]
        }] }
    ]));
    let chart = part(&generate(&spec), "xl/charts/chart1.xml");
    assert!(chart.contains("<c:f>'Budget 2026'!$A$1:$A$2</c:f>"), "{chart}");
    assert!(chart.contains("<c:f>'Budget 2026'!$B$1:$B$2</c:f>"), "{chart}");
}

#[test]
fn merged_ranges_show_their_value_with_the_merge_style() {
    let xlsx = generate(&sheet(json!({
        "rows": [[1, 2]],
        "merges": [
            { "range": "A3:C3", "value": { "formula": "=A1+B1" }, "style": { "bold": true } },
            { "range": "A5:B6", "value": 42 }
        ]
    })));
    let xml = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"<mergeCell ref="A3:C3"/>"#), "{xml}");
    assert!(xml.contains(r#"<mergeCell ref="A5:B6"/>"#), "{xml}");
    assert!(xml.contains("<f>A1+B1</f><v>3</v>"), "{xml}");
    assert!(xml.contains(r#"<c r="A5"><v>42"#), "{xml}");
}

#[test]
fn unnamed_tables_get_names_no_other_table_uses() {
    let xlsx = generate(&sheet(json!({
        "rows": [["a", "b"], [1, 2]],
        "tables": [{ "range": "A1:A2" }, { "range": "B1:B2", "name": "Table1" }]
    })));
    assert!(part(&xlsx, "xl/tables/table1.xml").contains(r#"name="Table2""#));
    assert!(part(&xlsx, "xl/tables/table2.xml").contains(r#"name="Table1""#));
}

#[test]
fn validations_links_and_panes_reach_the_sheet() {
    let xlsx = generate(&sheet(json!({
        "header": ["Status", "Link"],
        "rows": [["Draft", { "url": "https://example.com/a?b=1", "text": "site" }]],
        "freeze": { "rows": 1, "columns": 1 },
        "autofilter": true,
        "validations": [{ "range": "A2:A9", "list": ["Draft", "Done"], "error_message": "pick one" }]
    })));
    let xml = part(&xlsx, "xl/worksheets/sheet1.xml");
    assert!(xml.contains(r#"<formula1>"Draft,Done"</formula1>"#), "{xml}");
    assert!(xml.contains(r#"<autoFilter ref="A1:B2"/>"#), "{xml}");
    assert!(xml.contains(r#"topLeftCell="B2""#), "{xml}");
    let rels = part(&xlsx, "xl/worksheets/_rels/sheet1.xml.rels");
    assert!(rels.contains("https://example.com/a?b=1"), "{rels}");
}

#[test]
fn styles_layer_column_then_row_then_cell() {
    let xlsx = generate(&json!({
        "styles": { "money": { "num_format": "$#,##0.00" } },
        "sheets": [{
            "name": "S",
            "columns": { "A": { "style": "money", "width": 20 } },
            "rows": [
                { "style": { "bold": true }, "cells": [1, { "value": 2, "style": { "italic": true, "num_format": "0.0" } }] },
                [{ "style": { "fill_color": "#FFEEDD" } }]
            ]
        }]
    }).to_string());
    let styles = part(&xlsx, "xl/styles.xml");
    assert!(styles.contains(r#"formatCode="$#,##0.00""#), "{styles}");
    assert!(styles.contains(r#"formatCode="0.0""#), "{styles}");
    assert!(styles.contains(r#"rgb="FFFFEEDD""#), "{styles}");
    let xml = part(&xlsx, "xl/worksheets/sheet1.xml");
    // The styled blank cell is written.
    assert!(xml.contains(r#"<c r="A2" s="#), "{xml}");
    assert!(xml.contains(r#"width="20.7109375""#), "{xml}");
}

/// The XML of the first element `<tag ...>...</tag>` in `xml`.
fn element<'x>(xml: &'x str, tag: &str) -> &'x str {
    let start = xml.find(&format!("<{tag}>")).unwrap_or_else(|| panic!("no <{tag}> in {xml}"));
    let end =
        xml[start..].find(&format!("</{tag}>")).unwrap_or_else(|| panic!("<{tag}> is not closed"));
    &xml[start..start + end]
}

#[test]
fn axis_settings_land_on_the_axis_the_spec_names_for_bars_and_columns() {
    for (kind, category_position) in [
        ("bar", "l"),
        ("bar_stacked", "l"),
        ("bar_percent_stacked", "l"),
        ("column", "b"),
        ("line", "b"),
    ] {
        let xlsx = generate(&sheet(json!({
            "header": ["Region", "Revenue"],
            "rows": [["North", 120], ["South", 340]],
            "charts": [{
                "type": kind,
                "series": [{ "categories": "A2:A3", "values": "B2:B3" }],
                "category_axis": { "title": "Region name", "num_format": "@", "gridlines": true },
                "value_axis": { "title": "Revenue in USD", "num_format": "$#,##0", "min": 0, "max": 500 }
            }]
        })));
        let xml = part(&xlsx, "xl/charts/chart1.xml");
        let category = element(&xml, "c:catAx");
        let value = element(&xml, "c:valAx");
        assert!(category.contains("Region name"), "{kind}: {category}");
        assert!(!category.contains("Revenue in USD"), "{kind}: {category}");
        assert!(category.contains(r#"formatCode="@""#), "{kind}: {category}");
        assert!(category.contains("<c:majorGridlines"), "{kind}: {category}");
        assert!(
            category.contains(&format!(r#"<c:axPos val="{category_position}"/>"#)),
            "{kind}: {category}"
        );
        assert!(value.contains("Revenue in USD"), "{kind}: {value}");
        assert!(value.contains(r#"formatCode="$#,##0""#), "{kind}: {value}");
        assert!(value.contains(r#"<c:min val="0"/>"#), "{kind}: {value}");
        assert!(value.contains(r#"<c:max val="500"/>"#), "{kind}: {value}");
    }
}

#[test]
fn a_scatter_charts_category_axis_is_its_bounded_x_axis() {
    let xlsx = generate(&sheet(json!({
        "rows": [[1, 10], [2, 20], [3, 15]],
        "charts": [{
            "type": "scatter",
            "series": [{ "categories": "A1:A3", "values": "B1:B3" }],
            "category_axis": { "title": "Hours", "min": 0, "max": 4 },
            "value_axis": { "title": "Output", "min": 5, "max": 25 }
        }]
    })));
    let xml = part(&xlsx, "xl/charts/chart1.xml");
    let x = element(&xml, "c:valAx");
    assert!(x.contains("Hours") && x.contains(r#"<c:max val="4"/>"#), "{x}");
    let rest = &xml[xml.find("</c:valAx>").unwrap()..];
    let y = element(rest, "c:valAx");
    assert!(y.contains("Output") && y.contains(r#"<c:max val="25"/>"#), "{y}");
}

#[test]
fn charts_over_formula_cells_carry_the_computed_values_in_their_cache() {
    let spec = sheets(json!([{
        "name": "My Data",
        "rows": [["a", 2, 3, "=B1+C1"], ["b", 4, 5, "=B2*C2"], ["c", 1, 1, "=SIN(1)"]],
        "charts": [{ "type": "column", "series": [{ "categories": "A1:A3", "values": "D1:D3" }] }]
    }]));
    let first = generate(&spec);
    let xml = part(&first, "xl/charts/chart1.xml");
    assert!(
        xml.contains(r#"<c:f>'My Data'!$D$1:$D$3</c:f><c:numCache><c:formatCode>General</c:formatCode><c:ptCount val="3"/><c:pt idx="0"><c:v>5</c:v></c:pt><c:pt idx="1"><c:v>20</c:v></c:pt></c:numCache>"#),
        "{xml}"
    );
    // Still a valid, deterministic package.
    assert!(part(&first, "xl/worksheets/sheet1.xml").contains("<f>B1+C1</f>"));
    assert!(first == generate(&spec));
}
