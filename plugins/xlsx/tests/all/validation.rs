use kiln_plugin_sdk::{GenerateError, MAX_VIOLATIONS, testing};
use kiln_plugin_xlsx::Xlsx;
use serde_json::json;

use crate::{messages_at, pointers, sheet, sheets, validate};

#[test]
fn malformed_json_is_one_violation_naming_line_and_column() {
    let violations = validate("{\n  \"sheets\": [\n    {\"name\": \"A\",}\n  ]\n}");
    assert_eq!(violations.len(), 1);
    assert_eq!(violations[0].pointer, "");
    assert!(violations[0].message.contains("line 3"), "{}", violations[0].message);
    assert!(violations[0].message.contains("column"), "{}", violations[0].message);
}

#[test]
fn a_wrongly_typed_value_is_located_by_pointer() {
    let spec = sheet(json!({ "rows": [{ "cells": [1, { "date": 20260131 }] }] }));
    assert_eq!(pointers(&spec), ["/sheets/0/rows/0/cells/1/date"]);
    let spec = sheet(json!({ "charts": [{ "type": "pyramid", "series": [] }] }));
    assert_eq!(pointers(&spec), ["/sheets/0/charts/0/type"]);
}

#[test]
fn sheet_names_must_follow_excel_rules_and_be_unique_ignoring_case() {
    let spec = sheets(json!([
        { "name": "Data" },
        { "name": "DATA" },
        { "name": "Q1/Q2" },
        { "name": "'quoted'" },
        { "name": "History" },
        { "name": "This name is far too long for Excel" }
    ]));
    assert_eq!(
        pointers(&spec),
        ["/sheets/1/name", "/sheets/2/name", "/sheets/3/name", "/sheets/4/name", "/sheets/5/name"]
    );
    assert!(messages_at(&spec, "/sheets/1/name")[0].contains("/sheets/0"));
}

#[test]
fn references_to_unknown_sheets_are_reported_wherever_they_appear() {
    let spec = sheets(json!([
        {
            "name": "Data",
            "rows": [[1, 2], ["=SUM(Nowhere!A1:A3)", "=VLOOKUP(A1,'Lost Sheet'!A:B,2,FALSE)"], ["=Data!A1+data!B1"]],
            "charts": [{
                "type": "line",
                "series": [{ "values": "Missing!$B$2:$B$5", "categories": { "sheet": "Gone", "range": "A2:A5" } }]
            }],
            "validations": [{ "range": "C1:C9", "source": "Lists!$A$1:$A$5" }]
        }
    ]));
    assert_eq!(
        pointers(&spec),
        [
            "/sheets/0/charts/0/series/0/categories",
            "/sheets/0/charts/0/series/0/values",
            "/sheets/0/rows/1/0",
            "/sheets/0/rows/1/1",
            "/sheets/0/validations/0/source"
        ]
    );
    assert!(messages_at(&spec, "/sheets/0/rows/1/1")[0].contains("Lost Sheet"));
}

#[test]
fn merges_may_not_overlap_each_other_formula_cells_or_tables() {
    let spec = sheet(json!({
        "header": ["Name", "Value"],
        "rows": [["a", 1], ["b", "=B2*2"]],
        "tables": [{ "range": "A1:B3" }],
        "merges": [
            { "range": "D1:E2", "value": "first" },
            { "range": "E2:F3", "value": "overlaps first" },
            { "range": "B3:C3" },
            { "range": "H1:H1", "value": "single cell" }
        ]
    }));
    let violations = validate(&spec);
    let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
    assert!(
        text.iter()
            .any(|v| v.starts_with("/sheets/0/merges/1/range")
                && v.contains("overlaps merged range")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|v| v.starts_with("/sheets/0/merges/2/range") && v.contains("table")),
        "{text:?}"
    );
    assert!(text.iter().any(|v| v.starts_with("/sheets/0/rows/1/1") && v.contains("inside merged range B3:C3")), "{text:?}");
    assert!(
        text.iter().any(|v| v.starts_with("/sheets/0/merges/3/range") && v.contains("two cells")),
        "{text:?}"
    );
    assert_eq!(violations.len(), 4, "{text:?}");
}

#[test]
fn a_merge_with_a_value_may_not_cover_cells_the_rows_write() {
    let spec = sheet(json!({
        "rows": [["title", "stray"]],
        "merges": [{ "range": "A1:C1", "value": "Report" }]
    }));
    assert_eq!(pointers(&spec), ["/sheets/0/merges/0"]);
}

#[test]
fn excel_grid_limits_apply_to_cells_ranges_and_panes() {
    let spec = sheet(json!({
        "start": "XFD1048576",
        "header": ["ok", "past the last column"],
        "rows": [["past the last row"]],
        "freeze": { "rows": 1048576 },
        "autofilter": "A1:XFE5",
        "merges": [{ "range": "A1048576:B1048577", "value": 1 }]
    }));
    assert_eq!(
        pointers(&spec),
        [
            "/sheets/0/autofilter",
            "/sheets/0/freeze/rows",
            "/sheets/0/header/1",
            "/sheets/0/merges/0/range",
            "/sheets/0/rows"
        ]
    );
    let spec = sheet(json!({ "rows": [{ "at": "A1048576", "cells": [1] }, [2], [3]] }));
    assert_eq!(pointers(&spec), ["/sheets/0/rows/1"]);
    let spec = sheet(
        json!({ "freeze": "A0", "charts": [{ "type": "pie", "series": [{ "values": "A1:A3" }], "at": "ZZZZ1" }] }),
    );
    assert_eq!(pointers(&spec), ["/sheets/0/charts/0/at", "/sheets/0/freeze"]);
}

#[test]
fn invalid_a1_ranges_are_reported() {
    let spec = sheet(json!({
        "rows": [[1]],
        "autofilter": "A1-B5",
        "tables": [{ "range": "1A:B4" }],
        "validations": [{ "range": "C", "list": ["x"] }],
        "columns": { "B2": { "width": 5 } }
    }));
    assert_eq!(
        pointers(&spec),
        [
            "/sheets/0/autofilter",
            "/sheets/0/columns/B2",
            "/sheets/0/tables/0/range",
            "/sheets/0/validations/0/range"
        ]
    );
}

#[test]
fn table_names_follow_excel_rules_and_are_unique_in_the_workbook() {
    let table = |name: &str, range: &str| json!({ "name": name, "range": range });
    let spec = sheets(json!([
        { "name": "A", "rows": [["h1", "h2"], [1, 2], [3, 4]],
          "tables": [table("Sales", "A1:A3"), table("My Table", "B1:B3")] },
        { "name": "B", "rows": [["h"], [1], ["x"], [2]],
          "tables": [table("SALES", "A1:A2"), table("B2", "A3:A4")] }
    ]));
    assert_eq!(
        pointers(&spec),
        ["/sheets/0/tables/1/name", "/sheets/1/tables/0/name", "/sheets/1/tables/1/name"]
    );
    assert!(messages_at(&spec, "/sheets/1/tables/0/name")[0].contains("already used"));
}

#[test]
fn tables_need_rooms_for_their_rows_and_distinct_headers() {
    let spec = sheet(json!({
        "header": ["Item", "item"],
        "rows": [[1, 2]],
        "tables": [
            { "range": "A1:B2", "total_row": true, "style": "Sparkly 3" },
            { "range": "D1:E3", "columns": [{}, {}, {}] },
            { "range": "A2:B2", "header_row": false }
        ]
    }));
    let violations = validate(&spec);
    let text: Vec<String> = violations.iter().map(ToString::to_string).collect();
    for expected in [
        "/sheets/0/tables/0/range: table range A1:B2 needs at least 3 rows",
        "/sheets/0/tables/0/style: unknown table style",
        "/sheets/0/tables/0/columns: table columns 1 and 2 are both named `item`",
        "/sheets/0/tables/1/columns: 3 columns are described",
        "/sheets/0/tables/2/range: table range A2:B2 overlaps the table at /sheets/0/tables/0",
    ] {
        assert!(text.iter().any(|v| v.starts_with(expected)), "missing {expected}: {text:?}");
    }
}

#[test]
fn a_chart_needs_a_series_and_pies_have_no_axes() {
    let spec = sheet(json!({
        "rows": [[1, 2, 3]],
        "charts": [
            { "type": "column", "series": [] },
            { "type": "pie", "series": [{ "values": "A1:C1" }], "category_axis": { "title": "no" } },
            { "type": "line", "series": [{ "values": "A1:C2" }] }
        ]
    }));
    assert_eq!(
        pointers(&spec),
        [
            "/sheets/0/charts/0/series",
            "/sheets/0/charts/1/category_axis",
            "/sheets/0/charts/2/series/0/values"
        ]
    );
}

#[test]
fn style_names_must_be_defined_and_colours_well_formed() {
    let spec = json!({
        "styles": { "a": { "base": "b" }, "b": { "base": "a" }, "c": { "base": "nope", "fill_color": "blue" } },
        "sheets": [{
            "name": "S",
            "header_style": "missing",
            "columns": { "A": { "style": "also missing" } },
            "rows": [[{ "value": 1, "style": "c" }, { "value": 2, "style": "ghost" }]]
        }]
    })
    .to_string();
    assert_eq!(
        pointers(&spec),
        [
            "/sheets/0/columns/A/style",
            "/sheets/0/header_style",
            "/sheets/0/rows/0/1/style",
            "/styles/a/base",
            "/styles/b/base",
            "/styles/c/base",
            "/styles/c/fill_color"
        ]
    );
}

#[test]
fn a_cell_written_twice_is_reported_with_both_places() {
    let spec = sheet(json!({ "rows": [["a", "b"], { "at": "B1", "cells": ["clash"] }] }));
    assert_eq!(pointers(&spec), ["/sheets/0/rows/1/cells/0"]);
    assert!(messages_at(&spec, "/sheets/0/rows/1/cells/0")[0].contains("/sheets/0/rows/0/1"));
}

#[test]
fn dates_links_and_lists_are_checked() {
    let spec = sheet(json!({
        "rows": [[
            { "date": "2026-02-30" },
            { "datetime": "2026-01-01T25:00" },
            { "url": "www.example.com" },
            { "url": "internal:Nowhere!A1" }
        ]],
        "validations": [
            { "range": "A2", "list": ["a,b"] },
            { "range": "A3", "list": ["x"], "source": "A1:A2" },
            { "range": "A4" },
            { "range": "A1:A3", "list": ["\"quoted\""] }
        ]
    }));
    assert_eq!(
        pointers(&spec),
        [
            "/sheets/0/rows/0/0/date",
            "/sheets/0/rows/0/1/datetime",
            "/sheets/0/rows/0/2/url",
            "/sheets/0/rows/0/3/url",
            "/sheets/0/validations/0/list/0",
            "/sheets/0/validations/1",
            "/sheets/0/validations/2",
            "/sheets/0/validations/3/range"
        ]
    );
}

#[test]
fn file_names_must_be_plain_xlsx_names() {
    let spec = json!({ "file_name": "../out.xls", "sheets": [{ "name": "S" }] }).to_string();
    assert_eq!(pointers(&spec), ["/file_name"]);
}

#[test]
fn every_violation_is_reported_not_just_the_first() {
    let spec = sheets(json!([
        { "name": "A", "charts": [{ "type": "bar", "series": [] }] },
        { "name": "a", "freeze": "nope" }
    ]));
    assert_eq!(
        pointers(&spec),
        ["/sheets/0/charts/0/series", "/sheets/1/freeze", "/sheets/1/name"]
    );
}

#[test]
fn huge_numbers_of_violations_are_capped() {
    let rows: Vec<_> = (0..500).map(|_| json!([{ "date": "not a date" }])).collect();
    let violations = validate(&sheet(json!({ "rows": rows })));
    assert_eq!(violations.len(), MAX_VIOLATIONS);
    assert!(violations.last().unwrap().message.contains("more violations"));
}

#[test]
fn generate_refuses_an_invalid_spec_with_its_violations() {
    let spec = sheet(json!({ "merges": [{ "range": "A1:B2" }, { "range": "B2:C3" }] }));
    match testing::run::<Xlsx>(&spec, &[]) {
        Err(GenerateError::InvalidSpec(violations)) => {
            assert_eq!(violations.len(), 1);
            assert_eq!(violations[0].pointer, "/sheets/0/merges/1/range");
        }
        Err(other) => panic!("expected InvalidSpec, got {other:?}"),
        Ok(_) => panic!("expected InvalidSpec, got a workbook"),
    }
}

#[test]
fn bounds_on_a_category_axis_are_refused_not_dropped() {
    let spec = sheet(json!({
        "rows": [["a", 1], ["b", 2]],
        "charts": [
            { "type": "bar", "series": [{ "values": "B1:B2" }], "category_axis": { "min": 0, "max": 9 } },
            { "type": "scatter", "series": [{ "values": "B1:B2" }], "category_axis": { "min": 0, "max": 9 } },
            { "type": "column", "series": [{ "values": "B1:B2" }], "value_axis": { "min": 5, "max": 1 } }
        ]
    }));
    assert_eq!(
        pointers(&spec),
        [
            "/sheets/0/charts/0/category_axis/max",
            "/sheets/0/charts/0/category_axis/min",
            "/sheets/0/charts/2/value_axis"
        ]
    );
    let messages = messages_at(&spec, "/sheets/0/charts/0/category_axis/min");
    assert!(messages[0].contains("value_axis"), "{messages:?}");
}

#[test]
fn broken_formulas_and_unknown_functions_are_violations_at_their_cells() {
    let spec = sheet(json!({
        "header": ["=SUMM(1)"],
        "rows": [
            [1, "=SUM(A1:A3", "=B2+", "=SUM(B2:B4))"],
            [2, "=SUM(B2;B4)", { "formula": "=SUMM(B2:B4)" }, "=SUM(B2:B4)+IFERROR(1/0,#N/A)"]
        ],
        "merges": [{ "range": "F1:G1", "value": "=AVERGE(A2:A3)" }]
    }));
    let at = |pointer: &str| messages_at(&spec, pointer).join(" | ");
    assert!(at("/sheets/0/rows/0/1").contains("`(` of SUM at character 5 is never closed"));
    assert!(at("/sheets/0/rows/0/2").contains("expected a value after `+`"));
    assert!(at("/sheets/0/rows/0/3").contains("found `)` with no `(`"));
    assert!(at("/sheets/0/rows/1/1").contains("found `;`"));
    assert!(at("/sheets/0/rows/1/2").contains("unknown function SUMM"));
    assert!(at("/sheets/0/rows/1/2").contains("did you mean SUM?"));
    assert!(at("/sheets/0/header/0").contains("did you mean SUM?"));
    assert!(at("/sheets/0/merges/0/value").contains("did you mean AVERAGE?"));
    assert_eq!(messages_at(&spec, "/sheets/0/rows/1/3"), Vec::<String>::new());
    assert_eq!(pointers(&spec).len(), 7, "{:?}", validate(&spec));
}

#[test]
fn sizes_past_excels_grid_are_reported_before_anything_else() {
    let mut spec = String::from(r#"{"sheets": [{"name": "Big", "header": ["x"], "rows": ["#);
    spec.push_str(&vec!["[]"; 1_048_576].join(","));
    spec.push_str(r#"]}, {"name": "Wide", "rows": [[1], ["#);
    spec.push_str(&vec!["0"; 16_385].join(","));
    spec.push_str("]]}]}");
    let violations = validate(&spec);
    let at: Vec<&str> = violations.iter().map(|v| v.pointer.as_str()).collect();
    assert_eq!(at, ["/sheets/0/rows", "/sheets/1/rows/1"], "{violations:?}");
    assert!(
        violations[0].message.contains("1048577 rows with its header"),
        "{}",
        violations[0].message
    );
    assert!(violations[1].message.contains("16385 cells"), "{}", violations[1].message);
}
