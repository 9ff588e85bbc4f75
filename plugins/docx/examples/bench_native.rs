//! Times native generation of the W50 workload (see `kiln_plugin_docx::bench`)
//! and writes its spec for the python-docx baseline
//! (`benches/python_docx_workload.py`).
//!
//! Usage: `cargo run -p kiln-plugin-docx --release --example bench_native -- <spec.json> [repeats] [out.docx]`
//! Prints `native_median_s=<seconds per document>`.

use std::time::Instant;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let spec_path = args
        .next()
        .ok_or_else(|| anyhow::anyhow!("usage: bench_native <spec.json> [repeats] [out.docx]"))?;
    let repeats: usize = args
        .next()
        .map(|n| n.parse())
        .transpose()?
        .unwrap_or(9)
        .max(1);
    let out = args.next();

    let spec = kiln_plugin_docx::bench::w50_spec();
    std::fs::write(&spec_path, &spec)?;
    let mut times = Vec::with_capacity(repeats);
    let mut last = None;
    for _ in 0..repeats {
        let start = Instant::now();
        let bytes = kiln_plugin_docx::generate_bytes(&spec)?;
        times.push(start.elapsed().as_secs_f64());
        last = Some(bytes);
    }
    if let (Some(path), Some(bytes)) = (out, last) {
        std::fs::write(path, bytes)?;
    }
    times.sort_by(f64::total_cmp);
    println!("native_median_s={:.6}", times[times.len() / 2]);
    Ok(())
}
