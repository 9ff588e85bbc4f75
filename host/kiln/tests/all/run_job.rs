//! `kiln run-job`: one job, one process, and an exit code per outcome.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use kiln_core::{EventKind, JobId, JobState};
use kiln_queue::testsuite::TestDatabase;
use kiln_queue::{JobStore, NewJob, Scope};

use crate::component;

const SUCCEEDED: i32 = 0;
const TERMINAL: i32 = 65;
const RETRYABLE: i32 = 75;

/// A plugin directory with the testing plugin, a data directory and a
/// storage directory, all under `dir`.
fn layout(dir: &Path) {
    std::fs::create_dir_all(dir.join("plugins")).unwrap();
    std::fs::copy(component("kiln_testing_plugin.wasm"), dir.join("plugins/testing.wasm")).unwrap();
}

fn run_job_command(database: &TestDatabase, dir: &Path, id: JobId) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_kiln"));
    command
        .arg("run-job")
        .arg(id.to_string())
        .arg("--plugin-dir")
        .arg(dir.join("plugins"))
        .arg("--storage-dir")
        .arg(dir.join("blobs"))
        .arg("--database-url")
        .arg(&database.url)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .env("KILN_CACHE_DIR", std::env::temp_dir().join("kiln-test-cache"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    command
}

fn run_job(database: &TestDatabase, dir: &Path, id: JobId, extra: &[&str]) -> (i32, String) {
    let Output { status, stderr, .. } =
        run_job_command(database, dir, id).args(extra).output().expect("kiln run-job runs");
    (status.code().expect("exited, not killed"), String::from_utf8_lossy(&stderr).into_owned())
}

async fn submit(store: &dyn JobStore, spec: serde_json::Value) -> JobId {
    let org = store.organisation("acme").await.unwrap().id;
    let submitted = store.submit(vec![NewJob::new(org, "run-job", "testing", spec)]).await;
    submitted.unwrap()[0].job().unwrap().id
}

async fn events(store: &dyn JobStore, id: JobId) -> Vec<EventKind> {
    let events = store.events(Scope::Operator, id, 0).await.unwrap();
    events.into_iter().map(|event| event.kind).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_outcome_has_its_exit_code_and_a_second_run_changes_nothing() {
    let database = TestDatabase::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    layout(dir.path());
    let store = database.store().await;

    let ok = submit(store.as_ref(), serde_json::json!({"behaviour": "ok", "text": "hi"})).await;
    let (code, stderr) = run_job(&database, dir.path(), ok, &[]);
    assert_eq!(code, SUCCEEDED, "{stderr}");
    assert!(stderr.contains("succeeded"), "{stderr}");
    let artifacts = store.artifacts(Scope::Operator, ok).await.unwrap();
    assert_eq!(artifacts.len(), 1);
    let stored = std::fs::read(dir.path().join("blobs").join(&artifacts[0].storage_key)).unwrap();
    assert_eq!(stored, b"hi");

    let panics = submit(store.as_ref(), serde_json::json!({"behaviour": "panic"})).await;
    let (code, stderr) = run_job(&database, dir.path(), panics, &[]);
    assert_eq!(code, TERMINAL, "{stderr}");
    assert_eq!(store.get(Scope::Operator, panics).await.unwrap().unwrap().state, JobState::Failed);

    // Finished jobs are reported as they are: same code, nothing written.
    for (id, expected) in [(ok, SUCCEEDED), (panics, TERMINAL)] {
        let before = (store.get(Scope::Operator, id).await.unwrap(), events(&*store, id).await);
        let (code, stderr) = run_job(&database, dir.path(), id, &[]);
        assert_eq!(code, expected, "{stderr}");
        let after = (store.get(Scope::Operator, id).await.unwrap(), events(&*store, id).await);
        assert_eq!(before, after, "a second run-job changed the job");
        assert_eq!(
            store.artifacts(Scope::Operator, id).await.unwrap().len(),
            usize::from(id == ok)
        );
    }

    let (code, stderr) = run_job(&database, dir.path(), JobId::now_v7(), &[]);
    assert_eq!(code, TERMINAL, "{stderr}");
    assert!(stderr.contains("there is no job"), "{stderr}");
}

/// A run whose files cannot be stored fails with a retryable error: the
/// job goes back to the queue without spending an attempt, exit 75.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_whose_files_cannot_be_stored_is_requeued_with_the_retry_code() {
    let database = TestDatabase::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    layout(dir.path());
    let store = database.store().await;
    let id = submit(store.as_ref(), serde_json::json!({"behaviour": "ok"})).await;
    let org = store.get(Scope::Operator, id).await.unwrap().unwrap().organisation_id;
    // A file where the organisation's directory would go: storage answers
    // its start-up check, but nothing of this organisation can be stored.
    std::fs::create_dir_all(dir.path().join("blobs/orgs")).unwrap();
    std::fs::write(dir.path().join(format!("blobs/orgs/{org}")), b"not a directory").unwrap();

    let (code, stderr) = run_job(&database, dir.path(), id, &[]);
    assert_eq!(code, RETRYABLE, "{stderr}");
    assert!(stderr.contains("queued again"), "{stderr}");
    let job = store.get(Scope::Operator, id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.error.unwrap().kind, kiln_core::ErrorKind::Storage);
    assert!(store.artifacts(Scope::Operator, id).await.unwrap().is_empty());
}

/// A job someone else holds is not run twice; the holder's attempt can be
/// taken over with `--attempt`, as the Kubernetes executor's pods do.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_job_is_refused_unless_its_attempt_is_adopted() {
    let database = TestDatabase::sqlite();
    let dir = tempfile::tempdir().unwrap();
    layout(dir.path());
    let store = database.store().await;
    let id = submit(store.as_ref(), serde_json::json!({"behaviour": "ok"})).await;
    let held = store.claim_job("host-a", id, Duration::from_secs(30)).await.unwrap().unwrap();

    let (code, stderr) = run_job(&database, dir.path(), id, &[]);
    assert_eq!(code, RETRYABLE, "{stderr}");
    assert!(stderr.contains("running on host-a"), "{stderr}");
    let stale = (held.attempt + 1).to_string();
    let (code, stderr) = run_job(&database, dir.path(), id, &["--attempt", &stale]);
    assert_eq!(code, RETRYABLE, "{stderr}");
    assert!(stderr.contains("stale"), "{stderr}");
    assert_eq!(store.get(Scope::Operator, id).await.unwrap().unwrap(), held);

    let attempt = held.attempt.to_string();
    let (code, stderr) = run_job(&database, dir.path(), id, &["--attempt", &attempt]);
    assert_eq!(code, SUCCEEDED, "{stderr}");
    let job = store.get(Scope::Operator, id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempt), (JobState::Succeeded, held.attempt));
    assert_eq!(store.artifacts(Scope::Operator, id).await.unwrap().len(), 1);
}
