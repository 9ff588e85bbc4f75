//! Times native generation of the benchmark workload and writes its spec for
//! the openpyxl baseline (`benches/openpyxl_workload.py`).
//!
//! Usage: `cargo run -p kiln-plugin-xlsx --release --example bench_native -- <spec.json> [repeats] [out.xlsx]`
//! Prints `native_median_s=<seconds per workbook>`.

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let spec_path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: bench_native <spec.json> [repeats] [out.xlsx]"))?;
    let repeats: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(5)
        .max(1);
    let out = args.next();

    let spec = kiln_plugin_xlsx::bench::benchmark_spec();
    std::fs::write(&spec_path, &spec)?;
    let mut times = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats {
        let start = Instant::now();
        // Parse, validate and generate, as the sandbox runs a job.
        let mut run = kiln_plugin_sdk::testing::run::<kiln_plugin_xlsx::Xlsx>(&spec, &[])?;
        times.push(start.elapsed().as_secs_f64());
        last = Some(run.files.remove(0).bytes);
    }
    if let (Some(path), Some(bytes)) = (out, last) {
        std::fs::write(path, bytes)?;
    }
    times.sort_by(f64::total_cmp);
    println!("native_median_s={:.6}", times[times.len() / 2]);
    Ok(())
}
