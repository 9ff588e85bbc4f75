//! A worker killed with SIGKILL mid-job loses nothing: another worker
//! rescues its jobs once their leases expire, and every job completes once
//! with its files stored once.

use std::path::{Path, PathBuf};

use crate::component;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiln_core::{ErrorKind, EventKind, JobState};
use kiln_queue::testsuite::TestDatabase;
use kiln_queue::{JobStore, NewJob, Scope};

const JOBS: usize = 6;

struct Worker {
    child: Child,
    log: PathBuf,
}

impl Worker {
    fn start(database: &TestDatabase, dir: &Path, name: &str) -> Self {
        let log = dir.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["worker", "--concurrency", "3", "--lease-secs", "2", "--poll-ms", "100"])
            .arg("--plugin-dir")
            .arg(dir.join("plugins"))
            .arg("--database-url")
            .arg(&database.url)
            .arg("--data-dir")
            .arg(dir.join("data"))
            .env("KILN_CACHE_DIR", std::env::temp_dir().join("kiln-test-cache"))
            .env("KILN_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("kiln worker starts");
        Self { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn wait_for(what: &str, timeout: Duration, mut check: impl AsyncFnMut() -> bool) {
    let start = Instant::now();
    while !check().await {
        assert!(start.elapsed() < timeout, "timed out after {timeout:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn killed_worker_loses_nothing(database: TestDatabase) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    std::fs::copy(component("kiln_testing_plugin.wasm"), dir.path().join("plugins/testing.wasm"))
        .unwrap();
    let store = database.store().await;
    let org = store.organisation("acme").await.unwrap().id;
    // 12 steps of 150 ms: each job runs about 1.8 s.
    let spec = serde_json::json!({"behaviour": "slow", "steps": 12, "step_ms": 150});
    let jobs: Vec<_> =
        (0..JOBS).map(|_| NewJob::new(org, "crash", "testing", spec.clone())).collect();
    let ids: Vec<_> = store
        .submit(jobs)
        .await
        .unwrap()
        .iter()
        .map(|submitted| submitted.job().unwrap().id)
        .collect();

    let mut first = Worker::start(&database, dir.path(), "first");
    let store_ref: &dyn JobStore = store.as_ref();
    wait_for("three jobs to be running with progress", Duration::from_secs(60), async || {
        let mut running = 0;
        for id in &ids {
            let job = store_ref.get(Scope::Operator, *id).await.unwrap().unwrap();
            running += usize::from(
                job.state == JobState::Running && job.progress.is_some_and(|p| p.done >= 2),
            );
        }
        running >= 3
    })
    .await;
    first.child.kill().unwrap(); // SIGKILL: no chance to hand anything back
    first.child.wait().unwrap();
    let interrupted: Vec<_> = {
        let mut running = Vec::new();
        for id in &ids {
            if store.get(Scope::Operator, *id).await.unwrap().unwrap().state == JobState::Running {
                running.push(*id);
            }
        }
        running
    };
    assert!(!interrupted.is_empty(), "the kill interrupted running jobs");

    let mut second = Worker::start(&database, dir.path(), "second");
    wait_for("every job to finish", Duration::from_secs(90), async || {
        let mut finished = 0;
        for id in &ids {
            finished += usize::from(
                store_ref.get(Scope::Operator, *id).await.unwrap().unwrap().state.is_terminal(),
            );
        }
        finished == JOBS
    })
    .await;

    for id in &ids {
        let job = store.get(Scope::Operator, *id).await.unwrap().unwrap();
        assert_eq!(job.state, JobState::Succeeded, "job {id}: {:?}\n{}", job.error, second.log());
        let events = store.events(Scope::Operator, *id, 0).await.unwrap();
        let succeeded = events.iter().filter(|event| event.kind == EventKind::Succeeded).count();
        assert_eq!(succeeded, 1, "job {id} completed exactly once");
        let artifacts = store.artifacts(Scope::Operator, *id).await.unwrap();
        assert_eq!(artifacts.len(), 1, "job {id} has its one output recorded once");
        let job_dir = dir.path().join(format!("data/blobs/orgs/{org}/sessions/crash/jobs/{id}"));
        let files: Vec<_> =
            std::fs::read_dir(&job_dir).unwrap().map(|entry| entry.unwrap().file_name()).collect();
        assert_eq!(files, ["slow.txt"], "job {id} has its one output stored once");
        assert_eq!(std::fs::read_to_string(job_dir.join("slow.txt")).unwrap(), "12");
        if interrupted.contains(id) {
            assert_eq!(job.attempt, 2, "job {id} was rescued and run again");
            let rescue = events
                .iter()
                .find(|event| event.kind == EventKind::Queued && event.data["reason"] == "retry");
            let rescue =
                rescue.unwrap_or_else(|| panic!("job {id} has a rescue event: {events:?}"));
            assert_eq!(
                rescue.data["error"]["kind"],
                serde_json::to_value(ErrorKind::LeaseExpired).unwrap()
            );
        } else {
            assert_eq!(job.attempt, 1, "job {id} ran once");
        }
    }

    // SIGTERM stops an idle worker cleanly.
    let status =
        Command::new("kill").args(["-TERM", &second.child.id().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = second.child.wait().unwrap();
    assert!(exit.success(), "graceful exit, got {exit:?}\n{}", second.log());
    assert!(first.log().contains("worker pool started"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_loses_nothing_on_postgres() {
    killed_worker_loses_nothing(TestDatabase::postgres().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_worker_loses_nothing_on_sqlite() {
    killed_worker_loses_nothing(TestDatabase::sqlite()).await;
}
