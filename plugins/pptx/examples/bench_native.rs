//! Times native generation of the benchmark deck (50 slides: a title and 5
//! bullets each, every 5th a 6×4 table) and writes its spec for the
//! python-pptx baseline (`benches/python_pptx_workload.py`).
//!
//! Usage: `cargo run -p kiln-plugin-pptx --release --example bench_native -- <spec.json> [repeats] [out.pptx]`
//! Prints `native_median_s=<seconds per deck>`.

use std::time::Instant;

use kiln_plugin_pptx::{Pptx, bench};
use kiln_plugin_sdk::testing;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let spec_path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: bench_native <spec.json> [repeats] [out.pptx]"))?;
    let repeats: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(20)
        .max(1);
    let out = args.next();

    let spec = bench::benchmark_spec();
    std::fs::write(&spec_path, &spec)?;
    let mut times = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats {
        let start = Instant::now();
        let run = testing::run::<Pptx>(&spec, &[])?;
        times.push(start.elapsed().as_secs_f64());
        last = Some(run);
    }
    if let (Some(path), Some(run)) = (out, last) {
        std::fs::write(path, &run.files[0].bytes)?;
    }
    times.sort_by(f64::total_cmp);
    println!("native_median_s={:.6}", times[times.len() / 2]);
    Ok(())
}
