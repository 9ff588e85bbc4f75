//! P5 and P6: the HTTP API on the embedded default (SQLite, local disk,
//! in-process workers), driven by a load generator on loopback.
//!
//! - P5: create → artifact stored for a small spreadsheet, one request at a
//!   time (latency, p50/p99) and with many clients at once (sustained
//!   artifacts per second). Every request is `POST /v1/jobs?wait=`, which
//!   answers once the job has succeeded and its file is stored. The
//!   server's CPU time per artifact under load comes with it, and for each
//!   phase where a job's time went by the server's own histograms.
//! - P6: resident memory of an idle `kiln serve` with the plugins loaded,
//!   after start and again after the load (`benches/memory.rs` measures it
//!   with all plugins, under 200 concurrent runs and through a soak).
//!
//! Run with `scripts/bench api`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Server, mib, print_cpu_per_job};
use serde_json::{Value, json};

const SEQUENTIAL: usize = 500;
const CLIENTS: usize = 32;
const LOAD_FOR: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() {
    let plugins = tempfile::tempdir().unwrap();
    for (file, name) in
        [("kiln_plugin_xlsx.wasm", "xlsx.wasm"), ("kiln_testing_plugin.wasm", "testing.wasm")]
    {
        std::fs::copy(kiln_runtime::testing::component(file), plugins.path().join(name)).unwrap();
    }
    let server = Server::start(plugins.path(), &[]).await;
    let (client, base) = (server.client.clone(), server.base.clone());
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_start = server.rss_kib();

    let create = Arc::new(Create {
        client: client.clone(),
        url: format!("{base}/v1/jobs?wait=10"),
        key: server.key.clone(),
    });
    for _ in 0..50 {
        create.once().await;
    }

    let before = Histograms::read(&client, &base).await;
    let mut latencies = Vec::with_capacity(SEQUENTIAL);
    for _ in 0..SEQUENTIAL {
        let start = Instant::now();
        create.once().await;
        latencies.push(start.elapsed());
    }
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() - 1) as f64 * q).round() as usize];
    println!(
        "P5 latency, one client, {SEQUENTIAL} requests: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(at(0.50)),
        ms(at(0.99)),
        ms(*latencies.last().unwrap())
    );
    let sequential = Histograms::read(&client, &base).await;
    sequential.print_means_since(&before, "one client");

    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + LOAD_FOR;
    let mut clients = Vec::new();
    let mut loaded = Vec::new();
    for _ in 0..CLIENTS {
        let (create, done) = (create.clone(), done.clone());
        clients.push(tokio::spawn(async move {
            let mut seen = Vec::new();
            while Instant::now() < deadline {
                let start = Instant::now();
                create.once().await;
                seen.push(start.elapsed());
                done.fetch_add(1, Ordering::Relaxed);
            }
            seen
        }));
    }
    let start = Instant::now();
    let cpu_before = server.cpu_ms();
    for client in clients {
        loaded.extend(client.await.unwrap());
    }
    let elapsed = start.elapsed();
    let cpu_after = server.cpu_ms();
    loaded.sort();
    let at = |q: f64| loaded[((loaded.len() - 1) as f64 * q).round() as usize];
    println!(
        "P5 throughput, {CLIENTS} clients for {:.1} s: {} artifacts, {:.0} artifacts/s (latency under load p50 {:.1} ms, p99 {:.1} ms)",
        elapsed.as_secs_f64(),
        done.load(Ordering::Relaxed),
        done.load(Ordering::Relaxed) as f64 / elapsed.as_secs_f64(),
        ms(at(0.50)),
        ms(at(0.99)),
    );

    print_cpu_per_job("artifact under load", cpu_before, cpu_after, done.load(Ordering::Relaxed));

    Histograms::read(&client, &base).await.print_means_since(&sequential, "under load");

    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_after = server.rss_kib();
    println!(
        "P6 idle RSS of kiln serve (xlsx + testing plugins loaded): {:.1} MiB after start, {:.1} MiB after the load ({} threads)",
        mib(idle_start),
        mib(idle_after),
        server.threads()
    );
}

struct Create {
    client: reqwest::Client,
    url: String,
    key: String,
}

impl Create {
    async fn once(&self) {
        let body = json!({
            "type": "xlsx",
            "session_id": "bench",
            "spec": {"sheets": [{"name": "Q1", "rows": [["Region", "Sales"], ["North", 1200], ["South", 950], ["East", 870]]}]},
        });
        let response = self
            .client
            .post(&self.url)
            .bearer_auth(&self.key)
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status();
        let job: Value = serde_json::from_slice(&response.bytes().await.unwrap()).unwrap();
        assert!(status == 200 && job["state"] == "succeeded", "{status}: {job}");
        assert!(job["artifacts"][0]["size"].as_u64().unwrap() > 0);
    }
}

/// The server's own histograms of its xlsx jobs, each as (sum, count).
struct Histograms {
    queue_wait: (f64, f64),
    run: (f64, f64),
    instantiate: (f64, f64),
}

impl Histograms {
    async fn read(client: &reqwest::Client, base: &str) -> Self {
        let metrics =
            client.get(format!("{base}/metrics")).send().await.unwrap().text().await.unwrap();
        let histogram = |name: &str| {
            let value = |suffix: &str| -> f64 {
                metrics
                    .lines()
                    .find(|line| line.starts_with(&format!("{name}_{suffix}{{type=\"xlsx\"}}")))
                    .and_then(|line| line.rsplit(' ').next()?.parse().ok())
                    .unwrap_or(0.0)
            };
            (value("sum"), value("count"))
        };
        Self {
            queue_wait: histogram("kiln_job_queue_wait_seconds"),
            run: histogram("kiln_job_duration_seconds"),
            instantiate: histogram("kiln_plugin_instantiate_seconds"),
        }
    }

    /// Where the time went in the jobs since `earlier`, in ms per job.
    fn print_means_since(&self, earlier: &Self, phase: &str) {
        let mean = |now: (f64, f64), then: (f64, f64)| {
            (now.0 - then.0) / (now.1 - then.1).max(1.0) * 1000.0
        };
        println!(
            "    server means, {phase}: queue wait (due → claimed) {:.2} ms, run (sandbox + storing files) {:.2} ms, instantiate {:.3} ms",
            mean(self.queue_wait, earlier.queue_wait),
            mean(self.run, earlier.run),
            mean(self.instantiate, earlier.instantiate),
        );
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
