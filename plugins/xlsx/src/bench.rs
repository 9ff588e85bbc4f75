//! The benchmark workload. The plugins bench times it in the sandbox,
//! natively and with openpyxl (`benches/openpyxl_workload.py`, which reads
//! the same spec).

use std::fmt::Write;

/// Rows × columns of the "Numbers" sheet: 100,000 plain numeric cells.
pub const NUMBER_ROWS: usize = 10_000;
pub const NUMBER_COLS: usize = 10;
/// Rows of the "Styled" sheet (below its header), six columns each.
pub const STYLED_ROWS: usize = 1_000;

/// The benchmark spec as JSON text. Deterministic.
///
/// - Sheet "Numbers": 10,000 rows × 10 columns of numbers
///   (`(row * 10 + col) * 0.25 + (row % 7)`), no styles.
/// - Sheet "Styled": a styled header (bold white on dark blue, centred,
///   thin borders) and 1,000 rows × 6 columns: an ID (integer), a name
///   (text), a date, a quantity (`#,##0`), a price (`$#,##0.00`) and an
///   amount (`0.00%` of a rate); every cell has thin borders, and rows
///   alternate between a white and a light grey fill. Columns have widths
///   and the header row is frozen.
pub fn benchmark_spec() -> String {
    let mut out = String::with_capacity(4 << 20);
    out.push_str(r#"{"file_name":"benchmark.xlsx","properties":{"title":"Benchmark"},"styles":{"#);
    out.push_str(concat!(
        r##""head":{"bold":true,"font_color":"#FFFFFF","fill_color":"#1F4E78","border":"thin","align":"center"},"##,
        r##""even":{"fill_color":"#FFFFFF","border":"thin"},"##,
        r##""odd":{"fill_color":"#F2F2F2","border":"thin"},"##,
        r##""date":{"num_format":"yyyy-mm-dd"},"qty":{"num_format":"#,##0"},"##,
        r##""money":{"num_format":"$#,##0.00"},"pct":{"num_format":"0.00%"}},"##,
    ));
    out.push_str(r#""sheets":[{"name":"Numbers","rows":["#);
    for row in 0..NUMBER_ROWS {
        if row > 0 {
            out.push(',');
        }
        out.push('[');
        for col in 0..NUMBER_COLS {
            if col > 0 {
                out.push(',');
            }
            let value = (row * 10 + col) as f64 * 0.25 + (row % 7) as f64;
            let _ = write!(out, "{value}");
        }
        out.push(']');
    }
    out.push_str(r#"]},{"name":"Styled","#);
    out.push_str(
        r#""columns":{"A":{"width":8},"B":{"width":18},"C":{"width":12,"style":"date"},"D":{"width":10,"style":"qty"},"E":{"width":12,"style":"money"},"F":{"width":10,"style":"pct"}},"#,
    );
    out.push_str(
        r#""header":["ID","Name","Date","Quantity","Price","Rate"],"header_style":"head","freeze":"A2","rows":["#,
    );
    for row in 0..STYLED_ROWS {
        if row > 0 {
            out.push(',');
        }
        let style = if row % 2 == 0 { "even" } else { "odd" };
        let day = 1 + row % 28;
        let month = 1 + (row / 28) % 12;
        let _ = write!(
            out,
            r#"{{"style":"{style}","cells":[{id},"Item {id:04}",{{"date":"2026-{month:02}-{day:02}"}},{qty},{price},{rate}]}}"#,
            id = row + 1,
            qty = (row * 37) % 1000,
            price = ((row * 1234) % 10_000) as f64 / 100.0,
            rate = (row % 100) as f64 / 400.0,
        );
    }
    out.push_str("]}]}");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_benchmark_spec_is_valid_and_has_the_promised_size() {
        let spec = benchmark_spec();
        assert_eq!(kiln_plugin_sdk::testing::validate::<crate::Xlsx>(&spec), []);
        let value: serde_json::Value = serde_json::from_str(&spec).unwrap();
        let numbers = value["sheets"][0]["rows"].as_array().unwrap();
        let cells: usize = numbers.iter().map(|r| r.as_array().unwrap().len()).sum();
        assert_eq!(cells, 100_000);
        assert_eq!(value["sheets"][1]["rows"].as_array().unwrap().len(), STYLED_ROWS);
    }
}
