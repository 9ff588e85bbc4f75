//! Prints kiln-runtime's figures: cold vs cached load, instantiate latency
//! and per-job sandbox overhead. Each plugin's own figures (sandbox vs
//! native vs its Python peer) are in the `plugins` bench.
//!
//! Run with `scripts/bench runtime`.

use std::time::{Duration, Instant};

use kiln_runtime::{GenerateRequest, Outcome, Runtime, RuntimeConfig};

fn component(file: &str) -> Vec<u8> {
    std::fs::read(kiln_runtime::testing::component(file)).unwrap()
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
    let config =
        RuntimeConfig { cache_dir: Some(cache.path().to_owned()), ..RuntimeConfig::default() };
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
    println!(
        "P1 per-job overhead (store + instantiate + validate call + teardown): p50 {:.1} µs, p99 {:.1} µs",
        us(p50),
        us(p99)
    );
}
