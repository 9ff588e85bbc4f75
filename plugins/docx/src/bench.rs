//! The benchmark workload "W50": 50 sections, each a heading, three
//! 100-word paragraphs and a 10×5 table (a header row and nine body rows).
//! The plugins bench times it in the sandbox, natively and with python-docx
//! (`benches/python_docx_workload.py`, which reads the same spec).

use serde_json::{Value, json};

const WORDS: [&str; 16] = [
    "revenue",
    "growth",
    "customers",
    "quarter",
    "market",
    "product",
    "team",
    "results",
    "strategy",
    "costs",
    "margin",
    "region",
    "launch",
    "support",
    "plan",
    "review",
];

fn words(seed: usize, n: usize) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(n);
    for i in 0..n {
        out.push(WORDS[(seed * 7 + i * 3 + i / 5) % WORDS.len()]);
    }
    let mut text = out.join(" ");
    text.push('.');
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
        None => text,
    }
}

/// The W50 spec as JSON text.
pub fn w50_spec() -> String {
    let sections: Vec<Value> = (0..50)
        .map(|s| {
            let mut rows = Vec::new();
            for r in 1..10 {
                rows.push(json!([format!("Item {s}.{r}"), r * 10, r * 7 % 13, format!("{:.2}", r as f64 * 1.25), words(s + r, 3)]));
            }
            json!({
                "blocks": [
                    { "heading": format!("Section {}", s + 1) },
                    words(s * 3, 100),
                    words(s * 3 + 1, 100),
                    words(s * 3 + 2, 100),
                    { "table": { "header": ["Name", "Units", "Score", "Price", "Note"], "rows": rows } }
                ]
            })
        })
        .collect();
    json!({ "title": "W50 benchmark", "sections": sections }).to_string()
}
