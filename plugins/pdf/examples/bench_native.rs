//! W50: 50 sections, each a heading, three 100-word paragraphs and a 10×5
//! table. Prints the median native time and the output size, then runs the
//! reportlab peer (`benches/reportlab_workload.py`) when `KILN_BENCH_PYTHON`
//! (or the worktree's .venv) has reportlab.

use kiln_plugin_pdf::Pdf;
use kiln_plugin_sdk::testing;

const WORDS: &[&str] = &["the", "quarterly", "report", "shows", "steady", "growth", "across", "all", "regions", "while", "costs", "remain", "under", "control", "and", "teams", "deliver", "projects", "on", "time"];

/// The W50 spec (the Python workload builds the same content).
pub fn w50() -> String {
    let mut blocks = Vec::new();
    for s in 0..50 {
        blocks.push(serde_json::json!({"heading": format!("Section {}", s + 1)}));
        for p in 0..3 {
            let words: Vec<&str> = (0..100).map(|i| WORDS[(s * 7 + p * 13 + i * 3) % WORDS.len()]).collect();
            blocks.push(serde_json::Value::String(words.join(" ") + "."));
        }
        let header: Vec<String> = (0..5).map(|c| format!("Col {}", c + 1)).collect();
        let rows: Vec<Vec<String>> = (0..10).map(|r| (0..5).map(|c| format!("{}", (s + 1) * (r + 1) * (c + 1))).collect()).collect();
        blocks.push(serde_json::json!({"table": {"header": header, "rows": rows}}));
    }
    serde_json::json!({"title": "W50", "blocks": blocks}).to_string()
}

fn main() {
    let spec = w50();
    let mut times = Vec::new();
    let mut size = 0;
    for _ in 0..15 {
        let start = std::time::Instant::now();
        let run = testing::run::<Pdf>(&spec, &[]).expect("W50 generates");
        times.push(start.elapsed().as_secs_f64() * 1000.0);
        size = run.files[0].bytes.len();
    }
    times.sort_by(f64::total_cmp);
    let native = times[times.len() / 2];
    println!("W50 native (kiln pdf): median {native:.1} ms, {size} bytes");
    let python = std::env::var("KILN_BENCH_PYTHON").unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../../.venv/bin/python").to_owned());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/reportlab_workload.py");
    match std::process::Command::new(&python).arg(script).output() {
        Ok(out) if out.status.success() => {
            let text = String::from_utf8_lossy(&out.stdout);
            print!("{text}");
            if let Some(ms) = text.split("median ").nth(1).and_then(|t| t.split(' ').next()).and_then(|t| t.parse::<f64>().ok()) {
                println!("speed-up: {:.1}x", ms / native);
            }
        }
        _ => println!("reportlab peer not run: `pip install reportlab==5.1.0` into {python}"),
    }
}
