//! Cached formula results against LibreOffice's recalculation.

use serde_json::{Value, json};

use crate::{generate, python, test_output};

/// One formula per computed function, over a small data sheet.
fn functions_spec() -> (String, Vec<String>) {
    let formulas = [
        "PMT(0.05/12,360,-200000)",
        "PMT(0.06/12,60,25000,0,1)",
        "IPMT(0.05/12,1,360,200000)",
        "IPMT(0.05/12,12,360,200000,0,1)",
        "PPMT(0.05/12,12,360,200000)",
        "FV(0.04/12,120,-500)",
        "FV(0.04/12,120,-500,-1000,1)",
        "PV(0.05/12,360,-1073.64)",
        "NPV(0.08,Data!F2:F5)+Data!F1",
        "IRR(Data!F1:F5)",
        "RATE(60,-500,25000)",
        "RATE(360,-1073.64,200000)*12",
        "SUMIF(Data!A2:A6,\"North\",Data!C2:C6)",
        "SUMIF(Data!C2:C6,\">100\")",
        "SUMIFS(Data!C2:C6,Data!A2:A6,\"North\",Data!C2:C6,\">150\")",
        "COUNTIF(Data!A2:A6,\"N*\")",
        "COUNTIF(Data!C2:C6,\"<>90\")",
        "COUNTIFS(Data!A2:A6,\"North\",Data!C2:C6,\">=120\")",
        "AVERAGEIF(Data!A2:A6,\"<>North\",Data!C2:C6)",
        "AVERAGEIFS(Data!C2:C6,Data!D2:D6,\">=\"&DATE(2026,3,1))",
        "IF(Data!C2>100,\"high\",\"low\")",
        "IFS(Data!C3>300,\"top\",Data!C3>100,\"mid\",TRUE,\"low\")",
        "AND(Data!C2>100,Data!C3>100)",
        "OR(Data!C4>100,Data!C2>100)",
        "NOT(Data!C4>100)",
        "IFERROR(1/0,\"n/a\")",
        "IFERROR(VLOOKUP(\"Zed\",Data!B2:C6,2,FALSE),0)",
        "VLOOKUP(\"Cy\",Data!B2:C6,2,FALSE)",
        "VLOOKUP(80,Data!H1:I4,2)",
        "HLOOKUP(\"Sales\",Data!A1:D6,3,FALSE)",
        "INDEX(Data!A2:D6,3,2)",
        "INDEX(Data!C2:C6,4)",
        "MATCH(\"East\",Data!A2:A6,0)",
        "MATCH(80,Data!H1:H4)",
        "XLOOKUP(\"Dee\",Data!B2:B6,Data!C2:C6)",
        "XLOOKUP(\"Zed\",Data!B2:B6,Data!C2:C6,\"none\")",
        "CONCAT(\"Q\",1,\" \",Data!A2)",
        "CONCATENATE(Data!A2,\"-\",Data!B2)",
        "TEXT(1234.567,\"#,##0.00\")",
        "TEXT(0.256,\"0.0%\")",
        "TEXT(DATE(2026,3,15),\"yyyy-mm-dd\")",
        "TEXT(Data!D2,\"mmm d, yyyy\")",
        "LEFT(\"Kiln plugin\",4)",
        "RIGHT(\"Kiln plugin\",6)",
        "MID(\"Kiln plugin\",6,3)",
        "LEN(\"Kiln plugin\")",
        "UPPER(\"kiln\")",
        "LOWER(\"KILN\")",
        "TRIM(\"  a   b  \")",
        "DATE(2026,14,35)",
        "EDATE(DATE(2026,1,31),1)",
        "EOMONTH(DATE(2026,1,15),1)",
        "YEAR(Data!D3)",
        "MONTH(Data!D3)",
        "DAY(Data!D3)",
        "NETWORKDAYS(DATE(2026,1,1),DATE(2026,2,28),Data!G1:G2)",
        "WORKDAY(DATE(2026,1,1),30,Data!G1:G2)",
        "ROUND(2.345,2)",
        "ROUNDUP(2.341,2)",
        "ROUNDDOWN(-2.349,2)",
        "ABS(-3)",
        "MOD(-7,3)",
        "POWER(2,10)",
        "SQRT(2)",
        "INT(-2.5)",
        "SUM(Data!C2:C6)",
        "AVERAGE(Data!C2:C6)",
        "MIN(Data!C2:C6)",
        "MAX(Data!C2:C6)",
        "COUNT(Data!A1:D6)",
        "COUNTA(Data!A1:D6)",
        "PRODUCT(2,3,4)",
        "SUBTOTAL(9,Data!C2:C6)",
        "TODAY()",
    ];
    let mut rows: Vec<Value> =
        formulas.iter().map(|f| json!([f.split('(').next().unwrap(), format!("={f}")])).collect();
    // Not computed here: the spec's own value is stored, and LibreOffice
    // must replace it, proving it recalculated.
    rows.push(json!(["sentinel", { "formula": "=SIN(0)", "value": 7 }]));
    let spec = json!({
        "sheets": [
            {
                "name": "Data",
                "header": ["Region", "Rep", "Sales", "Date"],
                "rows": [
                    ["North", "Ann", 120, { "date": "2026-01-05" }, null, -1000, { "date": "2026-01-19" }, 0, "F"],
                    ["South", "Bob", 340, { "date": "2026-02-10" }, null, 300, { "date": "2026-02-16" }, 50, "C"],
                    ["East", "Cy", 90, { "date": "2026-03-15" }, null, 400, null, 75, "B"],
                    ["North", "Dee", 210, { "date": "2026-04-20" }, null, 500, null, 90, "A"],
                    ["West", "Eve", 150, { "date": "2026-05-25" }, null, 200]
                ]
            },
            { "name": "Functions", "rows": rows }
        ]
    });
    (spec.to_string(), formulas.iter().map(|f| (*f).to_string()).collect())
}

#[test]
fn every_computed_function_matches_libreoffice() {
    let (spec, formulas) = functions_spec();
    let path = test_output("functions.xlsx");
    std::fs::write(&path, generate(&spec)).unwrap();
    let today = formulas.iter().position(|f| f == "TODAY()").unwrap() + 1;
    let sentinel = formulas.len() + 1;
    python(&[
        "check_recalc.py",
        "--all-cached",
        "--skip",
        &format!("Functions!B{today}"),
        "--sentinel",
        &format!("Functions!B{sentinel}=0"),
        path.to_str().unwrap(),
    ]);
}

#[test]
fn today_is_the_document_date() {
    let spec = json!({
        "properties": { "created": "2026-03-15T08:00:00Z" },
        "sheets": [{ "name": "S", "rows": [["=TODAY()"]] }]
    });
    let xml = crate::part(&generate(&spec.to_string()), "xl/worksheets/sheet1.xml");
    assert!(xml.contains("<f>TODAY()</f><v>46096</v>"), "{xml}");
}
