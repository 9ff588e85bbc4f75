//! Times native generation and validation of the benchmark workload: a root
//! module with 300 resources calling 5 child modules.
//!
//! Usage: `cargo run -p kiln-plugin-terraform --release --example bench_native -- [repeats] [spec.json]`
//! Prints `generate_median_s=`, `validate_median_s=` (parse + validate, the
//! target is under 5 ms) and the output size.

use std::time::Instant;

use kiln_plugin_sdk::testing;
use kiln_plugin_terraform::Terraform;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// CPU seconds this process has used (Linux; 0 elsewhere), to tell the
/// work done from time spent waiting for a busy machine's cores.
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let after = stat.rsplit(')').next().unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0.0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0.0);
    ticks / 100.0
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let repeats: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(20)
        .max(1);
    let spec = kiln_plugin_terraform::bench::benchmark_spec();
    if let Some(path) = args.next() {
        std::fs::write(path, &spec)?;
    }
    let mut validate_times = Vec::new();
    let mut check_times = Vec::new();
    let mut generate_times = Vec::new();
    let mut bytes = 0;
    let mut files = 0;
    for _ in 0..repeats {
        let start = Instant::now();
        let violations = testing::validate::<Terraform>(&spec);
        validate_times.push(start.elapsed().as_secs_f64());
        assert!(violations.is_empty(), "{violations:?}");

        let parsed = kiln_plugin_terraform::parse(&spec)?;
        let start = Instant::now();
        let problems = kiln_plugin_terraform::check(&parsed);
        check_times.push(start.elapsed().as_secs_f64());
        assert!(problems.is_empty());

        let start = Instant::now();
        let run = testing::run::<Terraform>(&spec, &[]).map_err(|e| format!("{e:?}"))?;
        generate_times.push(start.elapsed().as_secs_f64());
        bytes = run.files.iter().map(|f| f.bytes.len()).sum::<usize>();
        files = run.files.len();
    }
    let cpu_runs = 200;
    let start = cpu_seconds();
    for _ in 0..cpu_runs {
        std::hint::black_box(testing::validate::<Terraform>(&spec));
    }
    let validate_cpu = (cpu_seconds() - start) / f64::from(cpu_runs);
    let start = cpu_seconds();
    for _ in 0..cpu_runs / 10 {
        std::hint::black_box(testing::run::<Terraform>(&spec, &[]).map_err(|e| format!("{e:?}"))?);
    }
    let generate_cpu = (cpu_seconds() - start) / f64::from(cpu_runs / 10);
    println!(
        "resources_root={} child_modules={}",
        kiln_plugin_terraform::bench::ROOT_RESOURCES,
        kiln_plugin_terraform::bench::CHILD_MODULES
    );
    println!(
        "spec_bytes={} output_files={files} output_bytes={bytes}",
        spec.len()
    );
    println!("validate_median_s={:.6}", median(validate_times));
    println!("check_only_median_s={:.6}", median(check_times));
    println!("generate_median_s={:.6}", median(generate_times));
    println!("validate_cpu_s={validate_cpu:.6}");
    println!("generate_cpu_s={generate_cpu:.6}");
    Ok(())
}
