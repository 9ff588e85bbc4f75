//! The benchmark workload "W50": 50 sections, each a heading, three
//! 100-word paragraphs and a 10×5 table. The plugins bench times it in the
//! sandbox, natively and with reportlab (`benches/reportlab_workload.py`,
//! which reads the same spec).

const WORDS: &[&str] = &[
    "the",
    "quarterly",
    "report",
    "shows",
    "steady",
    "growth",
    "across",
    "all",
    "regions",
    "while",
    "costs",
    "remain",
    "under",
    "control",
    "and",
    "teams",
    "deliver",
    "projects",
    "on",
    "time",
];

/// The W50 spec, as JSON text.
pub fn w50_spec() -> String {
    let mut blocks = Vec::new();
    for s in 0..50 {
        blocks.push(serde_json::json!({"heading": format!("Section {}", s + 1)}));
        for p in 0..3 {
            let words: Vec<&str> =
                (0..100).map(|i| WORDS[(s * 7 + p * 13 + i * 3) % WORDS.len()]).collect();
            blocks.push(serde_json::Value::String(words.join(" ") + "."));
        }
        let header: Vec<String> = (0..5).map(|c| format!("Col {}", c + 1)).collect();
        let rows: Vec<Vec<String>> = (0..10)
            .map(|r| (0..5).map(|c| format!("{}", (s + 1) * (r + 1) * (c + 1))).collect())
            .collect();
        blocks.push(serde_json::json!({"table": {"header": header, "rows": rows}}));
    }
    serde_json::json!({"title": "W50", "blocks": blocks}).to_string()
}
