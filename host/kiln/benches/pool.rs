//! P4 through the real worker pool: how many no-op jobs per second a
//! `kiln serve` on PostgreSQL runs, with its own worker pool claiming, its
//! job runner running each job in the sandbox, and its completions written
//! back. The jobs are submitted straight into the store, 500 at a time, so
//! the API is not what is measured.
//!
//! A no-op job is the smallest a plugin may do: the testing plugin's `ok`,
//! writing one 5-byte file and reporting no progress (a run that writes
//! nothing fails). The server's data directory, where that file is stored,
//! is on a tmpfs (`/dev/shm`), so the figure is the queue, the pool and the
//! sandbox, not this machine's disk, whose fsyncs and inode allocation
//! would otherwise set it and slow each run after the last (`scripts/bench
//! api` measures storage). The database is a fresh schema on
//! `KILN_TEST_DATABASE_URL`.
//!
//! Run with `scripts/bench pool`.

// Shared with the HTTP benches, which use the rest of it.
#[allow(dead_code)]
mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{Server, print_cpu_per_job};
use kiln_core::{EventKind, OrgId};
use kiln_queue::testsuite::TestDatabase;
use kiln_queue::{JobStore, NewJob, Notice, Scope};
use tokio::sync::broadcast::error::RecvError;

const JOBS: usize = 20_000;
const BATCH: usize = 500;

#[tokio::main]
async fn main() {
    let plugins = tempfile::tempdir().unwrap();
    let testing = kiln_runtime::testing::component("kiln_testing_plugin.wasm");
    std::fs::copy(testing, plugins.path().join("testing.wasm")).unwrap();
    let database = TestDatabase::postgres().await;
    let store = database.store().await;
    let data = tempfile::tempdir_in("/dev/shm").unwrap();
    let data_dir = data.path().display().to_string();
    let settings = [("KILN_DATABASE_URL", database.url.as_str()), ("KILN_DATA_DIR", &data_dir)];
    let server = Server::start(plugins.path(), &settings).await;
    let org = store.organisation("bench").await.unwrap().id;

    run(&store, org, 1_000).await;
    let cpu = server.cpu_ms();
    let start = Instant::now();
    let finished = run(&store, org, JOBS).await;
    let seconds = (finished - start).as_secs_f64();
    println!("## PostgreSQL, through kiln serve's worker pool (default concurrency)");
    println!(
        "no-op jobs, submitted {BATCH} at a time: {:.0} jobs/s ({JOBS} jobs in {seconds:.2} s)",
        JOBS as f64 / seconds
    );
    print_cpu_per_job("job", cpu, server.cpu_ms(), JOBS as u64);
}

/// Submits `jobs` no-op jobs and waits until every one has succeeded;
/// returns when the last success was seen.
async fn run(store: &Arc<dyn JobStore>, org: OrgId, jobs: usize) -> Instant {
    let mut notices = store.subscribe();
    let submitter = {
        let store = store.clone();
        tokio::spawn(async move {
            let spec = serde_json::json!({"behaviour": "ok", "progress_steps": 0});
            for start in (0..jobs).step_by(BATCH) {
                let batch = (start..jobs.min(start + BATCH))
                    .map(|_| NewJob::new(org, "bench", "testing", spec.clone()))
                    .collect();
                store.submit(batch).await.unwrap();
            }
        })
    };
    let (mut succeeded, mut last) = (0, Instant::now());
    while succeeded < jobs {
        match tokio::time::timeout(Duration::from_millis(200), notices.recv()).await {
            Ok(Ok(Notice::Event { kind: EventKind::Succeeded, .. })) => {
                succeeded += 1;
                last = Instant::now();
            }
            Ok(Ok(Notice::Event { kind: EventKind::Failed, job_id, .. })) => {
                let job = store.get(Scope::Operator, job_id).await.unwrap().unwrap();
                panic!("job {job_id} failed: {:?}", job.error)
            }
            Ok(Ok(_)) => {}
            Ok(Err(RecvError::Closed)) => panic!("the store stopped publishing notices"),
            // Notices were missed, or none came for a while: ask the store
            // whether anything is left.
            Ok(Err(RecvError::Lagged(_))) | Err(_) => {
                if submitter.is_finished() && store.active(1).await.unwrap().is_empty() {
                    break;
                }
            }
        }
    }
    submitter.await.unwrap();
    last
}
