//! Memory: resident memory (RSS) of `kiln serve` on the embedded default
//! with all six built-in plugins loaded:
//!
//! - idle after start;
//! - at its peak while 200 jobs run at once (one example of each artifact
//!   type in turn, 200 workers), and idle after them;
//! - through a soak: 200 clients submitting those jobs back to back for
//!   `KILN_SOAK_SECS` (default 600), sampled every 30 s, with the growth
//!   over the second half, and idle after it.
//!
//! Previews are off: they would run LibreOffice beside the load.
//! Run with `scripts/bench memory`.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{Server, mib, print_cpu_per_job};
use serde_json::{Value, json};

const CONCURRENT: usize = 200;
const SAMPLE_EVERY: Duration = Duration::from_secs(30);

#[tokio::main]
async fn main() {
    let soak = Duration::from_secs(
        std::env::var("KILN_SOAK_SECS").map_or(600, |secs| secs.parse().expect("KILN_SOAK_SECS")),
    );
    let plugins = kiln_runtime::testing::builtin_plugins();
    let server = Arc::new(Server::start(&plugins, &[("KILN_WORKER_CONCURRENCY", "200")]).await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_start = server.rss_kib();
    let jobs = Arc::new(one_job_per_type(&server).await);
    let types: Vec<&str> = jobs.iter().map(|job| job["type"].as_str().unwrap()).collect();
    println!("memory: kiln serve with {} plugins ({})", jobs.len(), types.join(", "));
    println!("  idle after start: {:.1} MiB, {} threads", mib(idle_start), server.threads());

    // 200 at once, RSS sampled every 20 ms.
    let running = Arc::new(AtomicBool::new(true));
    let peak = Arc::new(AtomicU64::new(0));
    let sampler = {
        let (server, running, peak) = (server.clone(), running.clone(), peak.clone());
        tokio::spawn(async move {
            while running.load(Ordering::Relaxed) {
                peak.fetch_max(server.rss_kib(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
    };
    let start = Instant::now();
    let burst: Vec<_> = (0..CONCURRENT)
        .map(|i| {
            let (server, jobs) = (server.clone(), jobs.clone());
            tokio::spawn(async move { run(&server, &jobs[i % jobs.len()]).await })
        })
        .collect();
    let mut peak_run_memory = 0;
    for job in burst {
        peak_run_memory = peak_run_memory.max(job.await.unwrap());
    }
    running.store(false, Ordering::Relaxed);
    sampler.await.unwrap();
    println!(
        "  {CONCURRENT} jobs at once: peak {:.1} MiB, done in {:.1} s (largest sandbox peak {:.1} MiB)",
        mib(peak.load(Ordering::Relaxed)),
        start.elapsed().as_secs_f64(),
        peak_run_memory as f64 / (1 << 20) as f64
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!("  idle after them: {:.1} MiB, {} threads", mib(server.rss_kib()), server.threads());

    // The soak.
    let done = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + soak;
    let clients: Vec<_> = (0..CONCURRENT)
        .map(|i| {
            let (server, jobs, done) = (server.clone(), jobs.clone(), done.clone());
            tokio::spawn(async move {
                let mut next = i;
                while Instant::now() < deadline {
                    run(&server, &jobs[next % jobs.len()]).await;
                    done.fetch_add(1, Ordering::Relaxed);
                    next += 1;
                }
            })
        })
        .collect();
    println!("  soak, {CONCURRENT} clients for {} s:", soak.as_secs());
    println!(
        "    {:>6}  {:>8}  {:>6}  {:>8}  {:>8}  {:>8}  {:>7}",
        "time s", "jobs", "jobs/s", "RSS MiB", "anon", "file", "threads"
    );
    let start = Instant::now();
    let cpu_before = server.cpu_ms();
    let mut samples: Vec<(f64, f64)> = Vec::new();
    let mut jobs_before = 0;
    while Instant::now() < deadline {
        tokio::time::sleep(SAMPLE_EVERY.min(deadline.saturating_duration_since(Instant::now())))
            .await;
        let (at, rss) = (start.elapsed().as_secs_f64(), server.rss_kib());
        let (jobs, threads) = (done.load(Ordering::Relaxed), server.threads());
        let rate = (jobs - jobs_before) as f64 / (at - samples.last().map_or(0.0, |s| s.0));
        // Anonymous memory is the heap and stacks; file-backed is mapped
        // files (the binary, compiled plugins and the memory images each
        // sandbox slot maps from them, SQLite's shared WAL index).
        let (anon, file) = (mib(server.status("RssAnon:")), mib(server.status("RssFile:")));
        println!(
            "    {at:>6.0}  {jobs:>8}  {rate:>6.0}  {:>8.1}  {anon:>8.1}  {file:>8.1}  {threads:>7}",
            mib(rss)
        );
        samples.push((at, mib(rss)));
        jobs_before = jobs;
    }
    for client in clients {
        client.await.unwrap();
    }
    let cpu_after = server.cpu_ms();
    let second_half = &samples[samples.len() / 2..];
    let (first, last) = (second_half[0], second_half[second_half.len() - 1]);
    println!(
        "    {} jobs, {:.0} jobs/s; second half ({:.0} s to {:.0} s): {:+.1} MiB, slope {:+.2} MiB/min",
        done.load(Ordering::Relaxed),
        done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64(),
        first.0,
        last.0,
        last.1 - first.1,
        slope(second_half) * 60.0
    );
    print_cpu_per_job("job", cpu_before, cpu_after, done.load(Ordering::Relaxed));
    tokio::time::sleep(Duration::from_secs(5)).await;
    println!(
        "  idle after the soak: {:.1} MiB, {} threads",
        mib(server.rss_kib()),
        server.threads()
    );
}

/// For each plugin, its first example that succeeds with no assets.
async fn one_job_per_type(server: &Server) -> Vec<Value> {
    let get = |path: String| async move {
        let reply = server.client.get(format!("{}{path}", server.base)).bearer_auth(&server.key);
        let body = reply.send().await.unwrap().bytes().await.unwrap();
        serde_json::from_slice::<Value>(&body).unwrap()
    };
    let mut jobs = Vec::new();
    for plugin in get("/v1/plugins".into()).await["plugins"].as_array().unwrap() {
        let kind = plugin["type"].as_str().unwrap();
        let detail = get(format!("/v1/plugins/{kind}")).await;
        let mut refused = Vec::new();
        for example in detail["examples"].as_array().unwrap() {
            let job = json!({"type": kind, "session_id": "memory", "spec": example["spec"]});
            match try_run(server, &job).await {
                Ok(_) => {
                    jobs.push(job);
                    break;
                }
                Err(reply) => refused.push(reply),
            }
        }
        if !jobs.iter().any(|job| job["type"] == kind) {
            println!("  (no {kind} example runs without assets; the first: {:?})", refused.first());
        }
    }
    assert!(!jobs.is_empty(), "no plugin has an example that runs without assets");
    jobs
}

/// Runs a job to success; the peak memory of its sandbox, bytes.
async fn run(server: &Server, job: &Value) -> u64 {
    try_run(server, job).await.unwrap_or_else(|reply| panic!("{job} failed: {reply}"))
}

/// The peak memory of the job's sandbox, or the reply if it did not succeed.
async fn try_run(server: &Server, job: &Value) -> Result<u64, Value> {
    let reply = server
        .client
        .post(format!("{}/v1/jobs?wait=60", server.base))
        .bearer_auth(&server.key)
        .header("content-type", "application/json")
        .body(job.to_string())
        .send()
        .await
        .unwrap();
    let job: Value = serde_json::from_slice(&reply.bytes().await.unwrap()).unwrap();
    match job["state"] == "succeeded" {
        true => Ok(job["usage"]["peak_memory_bytes"].as_u64().unwrap_or(0)),
        false => Err(job),
    }
}

/// Least-squares slope of `(x, y)` points.
fn slope(points: &[(f64, f64)]) -> f64 {
    let n = points.len() as f64;
    let (mean_x, mean_y) =
        (points.iter().map(|p| p.0).sum::<f64>() / n, points.iter().map(|p| p.1).sum::<f64>() / n);
    let covariance: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let variance: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    if variance == 0.0 { 0.0 } else { covariance / variance }
}
