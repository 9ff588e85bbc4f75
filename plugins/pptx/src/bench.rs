//! The benchmark workload. The plugins bench times it in the sandbox,
//! natively and with python-pptx (`benches/python_pptx_workload.py`, which
//! reads the same spec).

use serde_json::{Value, json};

/// 50 slides: each a title and 5 bullets, except every 5th, which is a
/// table of 6 rows (a header and 5 body rows) by 4 columns.
pub fn benchmark_spec() -> String {
    let slides: Vec<Value> = (1..=50)
        .map(|i| {
            if i % 5 == 0 {
                let rows: Vec<Value> = (1..=5)
                    .map(|r| json!([format!("Item {r}"), r * 10, r * 20, format!("{}%", r * 3)]))
                    .collect();
                json!({
                    "layout": "table",
                    "title": format!("Slide {i}: figures"),
                    "table": { "header": ["Item", "Q1", "Q2", "Growth"], "rows": rows }
                })
            } else {
                let bullets: Vec<String> = (1..=5)
                    .map(|b| format!("Point {b} of slide {i}: a typical sentence of bullet text"))
                    .collect();
                json!({ "layout": "bullets", "title": format!("Slide {i}"), "bullets": bullets })
            }
        })
        .collect();
    json!({ "title": "Benchmark deck", "slides": slides }).to_string()
}
