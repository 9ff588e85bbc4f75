//! The kubernetes executor end to end: the API server fixture plays the
//! kubelet too, running each Job's command (`kiln run-job ID --attempt N`,
//! as the manifest says) as a local process against the test database and
//! storage, and reporting the Job's status from its exit.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln_core::JobState;
use kiln_executor::kubernetes::fixture::FakeCluster;
use kiln_executor::kubernetes::{KubernetesConfig, KubernetesExecutor};
use kiln_executor::{WorkerConfig, WorkerPool};
use kiln_queue::testsuite::TestDatabase;
use kiln_queue::{NewJob, Scope};
use kiln_storage::{BlobKey, BlobStore, LocalStore};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

use crate::api::{assert_openpyxl_reads_xlsx_job, xlsx_job};
use crate::component;

/// Runs each created Job's container command as a process with `env` (the
/// pod's environment), then gives the Job a pod with its exit code and
/// output, and the status the Job controller would.
fn kubelet(fake: FakeCluster, env: Vec<(String, String)>) -> impl Fn(Value) + Send + Sync {
    move |job: Value| {
        let (fake, env) = (fake.clone(), env.clone());
        tokio::spawn(async move {
            let name = job["metadata"]["name"].as_str().unwrap().to_owned();
            let container = job["spec"]["template"]["spec"]["containers"][0].clone();
            let args: Vec<String> = serde_json::from_value(container["args"].clone()).unwrap();
            let output = tokio::task::spawn_blocking(move || {
                std::process::Command::new(env!("CARGO_BIN_EXE_kiln"))
                    .args(&args)
                    .envs(env)
                    .output()
            })
            .await
            .unwrap()
            .expect("kiln run-job starts");
            let code = output.status.code().unwrap_or(137);
            let pod = json!({
                "phase": if code == 0 { "Succeeded" } else { "Failed" },
                "containerStatuses": [{
                    "name": "run-job", "image": container["image"], "imageID": "", "ready": false, "restartCount": 0,
                    "state": { "terminated": { "exitCode": code } },
                }],
            });
            fake.add_pod(&name, pod, &String::from_utf8_lossy(&output.stderr));
            let (kind, reason) = match code {
                0 => ("Complete", "Completed"),
                65 => ("Failed", "PodFailurePolicy"),
                _ => ("Failed", "BackoffLimitExceeded"),
            };
            let status =
                json!({ "conditions": [{ "type": kind, "status": "True", "reason": reason }] });
            fake.set_job_status(&name, status);
        });
    }
}

fn pod_env(database: &TestDatabase, dir: &Path) -> Vec<(String, String)> {
    let path = |p: &str| dir.join(p).display().to_string();
    [
        ("KILN_DATABASE_URL", database.url.clone()),
        ("KILN_STORAGE_DIR", path("blobs")),
        ("KILN_PLUGIN_DIR", path("plugins")),
        ("KILN_DATA_DIR", path("pod")),
        ("KILN_NO_MIGRATE", "true".into()),
        ("KILN_CACHE_DIR", std::env::temp_dir().join("kiln-test-cache").display().to_string()),
    ]
    .into_iter()
    .map(|(key, value)| (key.to_owned(), value))
    .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_spreadsheet_job_runs_in_its_own_pod_and_a_real_reader_opens_the_file() {
    let database = TestDatabase::postgres().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("plugins")).unwrap();
    std::fs::copy(component("kiln_plugin_xlsx.wasm"), dir.path().join("plugins/xlsx.wasm"))
        .unwrap();
    let store = database.store().await;
    let blobs: Arc<dyn BlobStore> = Arc::new(LocalStore::open(dir.path().join("blobs")).unwrap());

    let (fake, client) = FakeCluster::start("kiln-executor");
    fake.on_create(kubelet(fake.clone(), pod_env(&database, dir.path())));
    let config = KubernetesConfig::new("kiln-executor".into(), "kiln:test".into(), "host-0".into());
    let executor = Arc::new(KubernetesExecutor::new(client, store.clone(), config));
    let pool =
        WorkerPool::new(store.clone(), blobs.clone(), executor, WorkerConfig::new("host-0".into()));
    let shutdown = CancellationToken::new();
    let pool = tokio::spawn(pool.run(shutdown.clone()));

    let org = store.organisation("acme").await.unwrap().id;
    let spec = xlsx_job("chat-1")["spec"].clone();
    let submitted = store.submit(vec![NewJob::new(org, "chat-1", "xlsx", spec)]).await.unwrap();
    let id = submitted[0].job().unwrap().id;
    let deadline = Instant::now() + Duration::from_secs(120);
    let job = loop {
        let job = store.get(Scope::Organisation(org), id).await.unwrap().unwrap();
        if job.state.is_terminal() {
            break job;
        }
        assert!(
            Instant::now() < deadline,
            "the job did not finish: {job:?}\n{:#?}",
            fake.requests()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(job.state, JobState::Succeeded, "{job:?}");
    assert_eq!(job.attempt, 1);
    assert_eq!(fake.job_names(), [format!("kiln-{id}-1")]);

    // The pod stored the file; openpyxl reads what was asked for.
    let artifacts = store.artifacts(Scope::Organisation(org), id).await.unwrap();
    assert_eq!(artifacts.len(), 1);
    let key = BlobKey::artifact(org, "chat-1", id, &artifacts[0].path).unwrap();
    let file = dir.path().join("download.xlsx");
    std::fs::write(&file, read(blobs.as_ref(), &key).await).unwrap();
    assert_openpyxl_reads_xlsx_job(&file);

    shutdown.cancel();
    pool.await.unwrap();
}

async fn read(blobs: &dyn BlobStore, key: &BlobKey) -> Vec<u8> {
    use futures_util::TryStreamExt;
    let blob = blobs.get(key, None).await.unwrap();
    let chunks: Vec<bytes::Bytes> = blob.body.try_collect().await.unwrap();
    chunks.concat()
}
