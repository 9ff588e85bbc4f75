//! P4 and pickup latency: how fast the queue moves no-op jobs.
//!
//! `scripts/bench queue` prints, for PostgreSQL
//! (`KILN_TEST_DATABASE_URL`, a fresh schema) and SQLite (a temp file):
//! - throughput: jobs/s through submit → claim → complete with producers
//!   and workers running at once, for several worker counts;
//! - pickup latency: insert → claimed by an idle worker woken by the
//!   store's notices (NOTIFY on PostgreSQL), p50/p99.
//!
//! On PostgreSQL its peer, graphile-worker 0.18.0, then runs the same
//! workloads on the same server (`graphile/bench.mjs`, in a fresh schema it
//! drops), and each of its rows is printed beside kiln's with the ratio
//! kiln ÷ graphile-worker.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kiln_queue::testsuite::{DEFAULT_TEST_DATABASE_URL, TestDatabase};
use kiln_queue::{Completion, JobOutcome, JobStore, NewJob, Notice};

const LEASE: Duration = Duration::from_secs(60);

fn main() {
    let graphile = graphile_dir();
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        for (name, database, jobs) in [
            ("PostgreSQL", TestDatabase::postgres().await, 40_000),
            ("SQLite", TestDatabase::sqlite(), 10_000),
        ] {
            println!("## {name}");
            let mut kiln = Kiln::default();
            for (workers, batch) in [(1, 100), (2, 100), (4, 100), (4, 200), (4, 25)] {
                let store = database.store().await;
                let rate = throughput(store, jobs, workers, batch, 500).await;
                println!("throughput, {workers} workers claiming {batch} at a time, submits of 500: {rate:.0} jobs/s");
                if (workers, batch) == (4, 100) {
                    kiln.throughput = rate;
                }
            }
            let store = database.store().await;
            kiln.one_at_a_time = throughput(store, jobs / 10, 4, 100, 1).await;
            println!(
                "throughput, 4 workers claiming 100 at a time, one job per submit (8 submitters): {:.0} jobs/s",
                kiln.one_at_a_time
            );
            let store = database.store().await;
            let (pickup, round_trip) = pickup_latency(store, 500).await;
            kiln.pickup_p50 = pickup.0;
            println!(
                "pickup latency, insert committed → claimed (idle worker woken by notice): p50 {:.2} ms, p99 {:.2} ms",
                pickup.0, pickup.1
            );
            println!(
                "  submit called → claimed (adds the insert's own commit): p50 {:.2} ms, p99 {:.2} ms",
                round_trip.0, round_trip.1
            );
            if name == "PostgreSQL" {
                graphile_worker(&graphile, jobs, &kiln);
            }
        }
    });
}

/// kiln's figures that graphile-worker's are compared with.
#[derive(Default)]
struct Kiln {
    /// 4 workers claiming 100 at a time, submits of 500.
    throughput: f64,
    /// 4 workers claiming 100 at a time, one job per submit, 8 submitters.
    one_at_a_time: f64,
    /// Insert committed → claimed, p50 in ms.
    pickup_p50: f64,
}

/// `benches/graphile`, checked before kiln's figures are spent on a run
/// that could not finish.
fn graphile_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/graphile");
    assert!(
        dir.join("node_modules").is_dir(),
        "graphile-worker is not installed in {}: run `scripts/bench queue`, which installs it",
        dir.display()
    );
    dir
}

/// Runs `bench.mjs` in `dir` on kiln's PostgreSQL server and prints its
/// rows, each with the ratio kiln ÷ graphile-worker of the same figure.
fn graphile_worker(dir: &Path, jobs: usize, kiln: &Kiln) {
    let server = std::env::var("KILN_TEST_DATABASE_URL")
        .unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.into());
    // graphile-worker names its prepared statements `<query>/<schema>`,
    // which PostgreSQL cuts at 63 bytes: a short schema name keeps them apart.
    // (The random tail of a v7 id: the crate enables no other version.)
    let id = uuid::Uuid::now_v7().simple().to_string();
    let schema = format!("graphile_bench_{}", &id[20..]);
    let output = std::process::Command::new("node")
        .arg("bench.mjs")
        .arg(jobs.to_string())
        .current_dir(dir)
        .env("DATABASE_URL", server)
        .env("GRAPHILE_SCHEMA", schema)
        .stderr(std::process::Stdio::inherit())
        .output()
        .expect("running node (Node.js, for graphile-worker)");
    assert!(output.status.success(), "graphile/bench.mjs failed: {}", output.status);
    println!("## PostgreSQL, graphile-worker 0.18.0");
    for line in String::from_utf8(output.stdout).unwrap().lines() {
        let row: serde_json::Value = serde_json::from_str(line).unwrap();
        let number = |key: &str| row[key].as_f64().unwrap();
        let settings = row["settings"].as_str().unwrap();
        match row["figure"].as_str().unwrap() {
            "throughput" => println!(
                "throughput, {settings}, addJobs of 500: {:.0} jobs/s; kiln (4 workers claiming 100) ÷ graphile-worker: {:.2}",
                number("jobs_per_s"),
                kiln.throughput / number("jobs_per_s")
            ),
            "one_at_a_time" => println!(
                "throughput, {settings}, one job per addJob (8 callers): {:.0} jobs/s; kiln ÷ graphile-worker: {:.2}",
                number("jobs_per_s"),
                kiln.one_at_a_time / number("jobs_per_s")
            ),
            "pickup" => {
                println!(
                    "pickup latency, {settings}, addJob resolved → task invoked (idle worker woken by NOTIFY): \
                     p50 {:.2} ms, p99 {:.2} ms; kiln ÷ graphile-worker (p50): {:.2}",
                    number("p50_ms"),
                    number("p99_ms"),
                    kiln.pickup_p50 / number("p50_ms")
                );
                println!(
                    "  addJob called → task invoked: p50 {:.2} ms, p99 {:.2} ms",
                    number("called_p50_ms"),
                    number("called_p99_ms")
                );
            }
            figure => panic!("graphile/bench.mjs printed an unknown figure {figure}"),
        }
    }
}

/// Runs `jobs` no-op jobs through the queue and returns jobs per second.
async fn throughput(
    store: Arc<dyn JobStore>,
    jobs: usize,
    workers: usize,
    batch: usize,
    submit_batch: usize,
) -> f64 {
    let org = store.organisation("bench").await.unwrap().id;
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let submitters = if submit_batch == 1 { 8 } else { 1 };
    let mut tasks = Vec::new();
    for submitter in 0..submitters {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            let mine = jobs / submitters + usize::from(submitter < jobs % submitters);
            let mut left = mine;
            while left > 0 {
                let count = left.min(submit_batch);
                let new = (0..count)
                    .map(|_| NewJob::new(org, "bench", "noop", serde_json::json!({})))
                    .collect();
                store.submit(new).await.unwrap();
                left -= count;
            }
        }));
    }
    for worker in 0..workers {
        let store = store.clone();
        let done = done.clone();
        let mut notices = store.subscribe();
        tasks.push(tokio::spawn(async move {
            let name = format!("bench-{worker}");
            while done.load(Ordering::Relaxed) < jobs {
                let claimed = store.claim(&name, batch, LEASE).await.unwrap();
                if claimed.is_empty() {
                    // Idle: wait for a notice, as the worker pool does.
                    let _ = tokio::time::timeout(Duration::from_millis(50), notices.recv()).await;
                    continue;
                }
                let completions: Vec<_> = claimed
                    .iter()
                    .map(|job| {
                        Completion::new(job, JobOutcome::Succeeded { artifacts: Vec::new() })
                    })
                    .collect();
                let count = completions.len();
                store.complete(completions).await.unwrap();
                done.fetch_add(count, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    jobs as f64 / start.elapsed().as_secs_f64()
}

/// Submits one job at a time to an idle worker that waits on notices, and
/// measures insert committed → claim returned, and submit called → claim
/// returned; (p50, p99) in ms of each.
async fn pickup_latency(store: Arc<dyn JobStore>, samples: usize) -> ((f64, f64), (f64, f64)) {
    let org = store.organisation("bench").await.unwrap().id;
    let (claimed_tx, mut claimed_rx) = tokio::sync::mpsc::unbounded_channel();
    let worker = {
        let store = store.clone();
        let mut notices = store.subscribe();
        tokio::spawn(async move {
            loop {
                match notices.recv().await {
                    Ok(Notice::Event { kind: kiln_core::EventKind::Queued, .. }) => {}
                    Ok(_) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return,
                }
                for job in store.claim("bench", 10, LEASE).await.unwrap() {
                    let claimed_at = Instant::now();
                    store
                        .complete(vec![Completion::new(&job, JobOutcome::Canceled)])
                        .await
                        .unwrap();
                    let _ = claimed_tx.send(claimed_at);
                }
            }
        })
    };
    let (mut pickup, mut round_trip) = (Vec::with_capacity(samples), Vec::with_capacity(samples));
    for _ in 0..samples {
        let called_at = Instant::now();
        store.submit(vec![NewJob::new(org, "bench", "noop", serde_json::json!({}))]).await.unwrap();
        let committed_at = Instant::now();
        let claimed_at = claimed_rx.recv().await.unwrap();
        let ms = |from: Instant| claimed_at.saturating_duration_since(from).as_secs_f64() * 1000.0;
        pickup.push(ms(committed_at));
        round_trip.push(ms(called_at));
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    worker.abort();
    (percentiles(pickup), percentiles(round_trip))
}

fn percentiles(mut samples: Vec<f64>) -> (f64, f64) {
    samples.sort_by(f64::total_cmp);
    (samples[samples.len() / 2], samples[samples.len() * 99 / 100])
}
