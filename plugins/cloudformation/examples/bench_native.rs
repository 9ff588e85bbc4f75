//! Times the 450-resource benchmark template: parsing + validation (what
//! the host's `validate` call costs) and full generation of every file.
//!
//! Usage: `cargo run -p kiln-plugin-cloudformation --release --example bench_native -- [repeats] [spec-out.json]`
//! Prints `validate_median_ms`, `validate_only_median_ms` (checks on an
//! already parsed spec), `generate_median_ms` and the template's size.

use std::time::Instant;

use kiln_plugin_cloudformation::{CloudFormation, Spec, bench, validate};
use kiln_plugin_sdk::testing;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let repeats: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(20)
        .max(1);
    let spec_text = bench::benchmark_spec();
    if let Some(path) = args.next() {
        std::fs::write(path, &spec_text)?;
    }

    let mut full = Vec::new();
    let mut only = Vec::new();
    let mut generate = Vec::new();
    let mut yaml_bytes = 0;
    let parsed: Spec = serde_json::from_str(&spec_text)?;
    for _ in 0..repeats {
        let t = Instant::now();
        let v = testing::validate::<CloudFormation>(&spec_text);
        full.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(v.is_empty(), "{v:?}");

        let t = Instant::now();
        let v = validate::validate(&parsed);
        only.push(t.elapsed().as_secs_f64() * 1e3);
        assert!(v.is_empty());

        let t = Instant::now();
        let run =
            testing::run::<CloudFormation>(&spec_text, &[]).map_err(|e| anyhow::anyhow!("{e}"))?;
        generate.push(t.elapsed().as_secs_f64() * 1e3);
        yaml_bytes = run.file("template.yaml").len();
    }
    println!("resources={}", parsed.resources.len());
    println!("template_yaml_bytes={yaml_bytes}");
    println!("validate_median_ms={:.3}", median(full));
    println!("validate_only_median_ms={:.3}", median(only));
    println!("generate_median_ms={:.3}", median(generate));
    Ok(())
}
