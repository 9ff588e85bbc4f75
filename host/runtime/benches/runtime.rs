//! Prints kiln-runtime's figures: cold vs cached load, instantiate latency,
//! per-job sandbox overhead, xlsx in the sandbox vs native, and vs openpyxl.
//!
//! Run with `cargo bench -p kiln-runtime --bench runtime` after
//! `scripts/build-plugins` (and `scripts/test` for the openpyxl venv).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use kiln_runtime::{GenerateRequest, Outcome, Plugin, Runtime, RuntimeConfig};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn component(file: &str) -> Vec<u8> {
    let path = workspace().join("target/wasm32-wasip2/release").join(file);
    std::fs::read(&path).unwrap_or_else(|err| panic!("{}: {err}; run scripts/build-plugins first", path.display()))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn summary(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    (percentile(&samples, 0.5), percentile(&samples, 0.99))
}

fn us(d: Duration) -> f64 {
    d.as_secs_f64() * 1e6
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let cache = tempfile::tempdir().unwrap();
    let config = RuntimeConfig { cache_dir: Some(cache.path().to_owned()), ..RuntimeConfig::default() };
    let runtime = Runtime::new(config.clone()).unwrap();

    // Cold start: compile vs load from the compile cache.
    let xlsx_wasm = component("kiln_plugin_xlsx.wasm");
    let cold = runtime.load(&xlsx_wasm).await.unwrap();
    let warm = Runtime::new(config).unwrap().load(&xlsx_wasm).await.unwrap();
    println!(
        "cold start (xlsx, {:.1} MB): first load (compile) {:.0} ms, cached load {:.1} ms",
        xlsx_wasm.len() as f64 / 1e6,
        ms(cold.load_time()),
        ms(warm.load_time())
    );

    p1(&runtime).await;
    p2_p3(&runtime, &cold).await;
}

/// P1: instantiate latency and whole per-job overhead on the testing plugin.
async fn p1(runtime: &Runtime) {
    let wasm = component("kiln_testing_plugin.wasm");
    let plugin = runtime.load(&wasm).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let spec = r#"{"behaviour":"ok"}"#;
    let mut instantiate = Vec::new();
    for i in 0..3_000 {
        let out = dir.path().join(i.to_string());
        std::fs::create_dir(&out).unwrap();
        let report = runtime.generate(&plugin, GenerateRequest::new(spec, &out)).await.unwrap();
        assert_eq!(report.outcome, Outcome::Succeeded);
        instantiate.push(Duration::from_micros(report.usage.instantiate_us));
    }
    let (p50, p99) = summary(instantiate.split_off(500));
    println!(
        "P1 instantiate (pooling + InstancePre, {:.1} MB component): p50 {:.1} µs, p99 {:.1} µs",
        wasm.len() as f64 / 1e6,
        us(p50),
        us(p99)
    );

    // Store + instantiate + `validate` + teardown, plus the host's JSON
    // parse and schema check of the spec.
    let mut overhead = Vec::new();
    for _ in 0..10_500 {
        let started = Instant::now();
        let outcome = runtime.check_spec(&plugin, spec).await.unwrap();
        overhead.push(started.elapsed());
        assert_eq!(outcome, Outcome::Succeeded);
    }
    let (p50, p99) = summary(overhead.split_off(500));
    println!("P1 per-job overhead (store + instantiate + validate call + teardown): p50 {:.1} µs, p99 {:.1} µs", us(p50), us(p99));
}

/// P2: the benchmark workbook in the sandbox vs natively; P3: vs openpyxl.
async fn p2_p3(runtime: &Runtime, plugin: &Plugin) {
    const RUNS: usize = 7;
    let spec = kiln_plugin_xlsx::bench::benchmark_spec();
    let mut native = Vec::new();
    let mut size = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let generated = kiln_plugin_xlsx::generate(&spec, &mut |_, _, _| {}).unwrap();
        native.push(started.elapsed());
        size = generated.bytes.len();
    }
    let mut sandbox = Vec::new();
    for _ in 0..RUNS {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let report = runtime.generate(plugin, GenerateRequest::new(spec.clone(), dir.path())).await.unwrap();
        sandbox.push(started.elapsed());
        assert_eq!(report.outcome, Outcome::Succeeded, "{:?}", report.log);
    }
    let (native, _) = summary(native);
    let (sandbox, _) = summary(sandbox);
    println!(
        "P2 xlsx (100,000 numeric cells + 1,000-row styled sheet, {:.1} MB): sandbox {:.0} ms, native {:.0} ms, ratio {:.2}x",
        size as f64 / 1e6,
        ms(sandbox),
        ms(native),
        sandbox.as_secs_f64() / native.as_secs_f64()
    );

    let python = workspace().join(".venv/bin/python");
    let script = workspace().join("plugins/xlsx/benches/openpyxl_workload.py");
    if !python.exists() || !script.exists() {
        println!("P3 openpyxl: not measured ({} or {} is missing; run scripts/test first)", python.display(), script.display());
        return;
    }
    let spec_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(spec_file.path(), &spec).unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = Command::new(&python)
        .arg(&script)
        .arg(spec_file.path())
        .arg(out.path().join("openpyxl.xlsx"))
        .arg("3")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let Some(openpyxl) = stdout.lines().find_map(|l| l.strip_prefix("openpyxl_median_s=")?.trim().parse::<f64>().ok()) else {
        println!("P3 openpyxl: the script printed no figure:\n{stdout}{}", String::from_utf8_lossy(&output.stderr));
        return;
    };
    println!(
        "P3 openpyxl {:.0} ms vs kiln sandbox {:.0} ms: kiln is {:.1}x faster",
        openpyxl * 1e3,
        ms(sandbox),
        openpyxl / sandbox.as_secs_f64()
    );
}
