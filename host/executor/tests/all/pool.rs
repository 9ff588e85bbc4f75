use std::sync::Arc;
use std::time::{Duration, Instant};

use kiln_core::{ErrorKind, EventKind, Job, JobId, JobState, Limit, OrgId};
use kiln_executor::{ActivePlugins, JobRunner, PluginSet, RunSettings, WorkerConfig, WorkerPool};
use kiln_queue::testsuite::TestDatabase;
use kiln_queue::{JobStore, NewJob, Scope};
use kiln_runtime::{Limits, Runtime, RuntimeConfig};
use kiln_storage::{BlobKey, BlobStore, LocalStore};
use tokio_util::sync::CancellationToken;

use kiln_runtime::testing::component;

/// A running pool over a store, with its blob store and a way to stop it.
struct Harness {
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    org: OrgId,
    shutdown: CancellationToken,
    pool: tokio::task::JoinHandle<()>,
    _dirs: tempfile::TempDir,
    _database: TestDatabase,
}

impl Harness {
    /// A pool storing files on local disk.
    async fn start(
        database: TestDatabase,
        edit: impl FnOnce(&mut WorkerConfig, &mut RunSettings),
    ) -> Self {
        Self::start_with(database, None, edit).await
    }

    /// A pool storing files in `blobs` (local disk when `None`).
    async fn start_with(
        database: TestDatabase,
        blobs: Option<Arc<dyn BlobStore>>,
        edit: impl FnOnce(&mut WorkerConfig, &mut RunSettings),
    ) -> Self {
        let dirs = tempfile::tempdir().unwrap();
        let store = database.store().await;
        let blobs = blobs.unwrap_or_else(|| {
            Arc::new(LocalStore::open(dirs.path().join("blobs")).unwrap()) as Arc<dyn BlobStore>
        });
        let cache = std::env::temp_dir().join("kiln-test-cache");
        let runtime = Arc::new(
            Runtime::new(RuntimeConfig { cache_dir: Some(cache), ..RuntimeConfig::default() })
                .unwrap(),
        );
        let mut plugins = PluginSet::default();
        let path = component("kiln_testing_plugin.wasm");
        plugins.insert(runtime.load_file(&path).await.unwrap(), path).unwrap();
        let mut config = WorkerConfig::new("test-worker".into());
        config.concurrency = 2;
        let mut settings = RunSettings::new(dirs.path().join("staging"));
        edit(&mut config, &mut settings);
        let runner = JobRunner::new(
            store.clone(),
            blobs.clone(),
            runtime,
            Arc::new(ActivePlugins::new(plugins)),
            settings,
        )
        .unwrap();
        let pool = WorkerPool::new(store.clone(), blobs.clone(), Arc::new(runner), config);
        let shutdown = CancellationToken::new();
        let org = store.organisation("acme").await.unwrap().id;
        let pool = tokio::spawn(pool.run(shutdown.clone()));
        Self { store, blobs, org, shutdown, pool, _dirs: dirs, _database: database }
    }

    async fn submit(&self, artifact_type: &str, spec: serde_json::Value) -> JobId {
        let job = NewJob::new(self.org, "session-1", artifact_type, spec);
        self.store.submit(vec![job]).await.unwrap()[0].job().unwrap().id
    }

    async fn job(&self, id: JobId) -> Job {
        self.store.get(Scope::Organisation(self.org), id).await.unwrap().unwrap()
    }

    async fn wait_until(&self, id: JobId, timeout: Duration, done: impl Fn(&Job) -> bool) -> Job {
        let start = Instant::now();
        loop {
            let job = self.job(id).await;
            if done(&job) {
                return job;
            }
            assert!(start.elapsed() < timeout, "timed out waiting on job {id}: {job:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn finished(&self, id: JobId) -> Job {
        self.wait_until(id, Duration::from_secs(30), |job| job.state.is_terminal()).await
    }

    /// Stops the pool; the returned guard keeps the database for checks after.
    async fn stop(self) -> TestDatabase {
        self.shutdown.cancel();
        tokio::time::timeout(Duration::from_secs(30), self.pool)
            .await
            .expect("the pool stops")
            .unwrap();
        self._database
    }
}

/// Runs a check on SQLite, then on PostgreSQL.
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(kiln_queue::testsuite::TestDatabase::sqlite()).await })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(kiln_queue::testsuite::TestDatabase::postgres().await).await })*
        }
    };
}

on_both_stores!(
    job_files_are_stored_under_the_tenant_prefix,
    retention_deletes_old_jobs_with_their_files,
    expired_assets_are_deleted_with_their_files,
    plugin_verdicts_fail_once_with_the_reason,
    unknown_artifact_type_fails_without_retry,
    running_job_is_canceled_mid_run,
    shutdown_hands_unfinished_jobs_back,
    storage_outage_spends_no_attempts,
    upkeep_rescues_jobs_without_a_pool,
);

/// The rescuer is a service of its own: with no pool in this process, a
/// job whose worker died is queued again once its lease runs out.
async fn upkeep_rescues_jobs_without_a_pool(database: TestDatabase) {
    use kiln_executor::maintenance::{self, MaintenanceConfig};
    let store = database.store().await;
    let dir = tempfile::tempdir().unwrap();
    let blobs: Arc<dyn BlobStore> = Arc::new(LocalStore::open(dir.path()).unwrap());
    let org = store.organisation("acme").await.unwrap().id;
    let job = NewJob::new(org, "session-1", "testing", serde_json::json!({"behaviour": "ok"}));
    let id = store.submit(vec![job]).await.unwrap()[0].job().unwrap().id;
    // Claimed by a worker that then dies: nobody heartbeats it.
    assert_eq!(store.claim("gone", 1, Duration::from_millis(100)).await.unwrap().len(), 1);
    let stop = CancellationToken::new();
    let config = MaintenanceConfig {
        rescue_interval: Duration::from_millis(50),
        ..MaintenanceConfig::default()
    };
    let upkeep = tokio::spawn(maintenance::run(store.clone(), blobs, config, stop.clone()));
    let started = Instant::now();
    let job = loop {
        let job = store.get(Scope::Organisation(org), id).await.unwrap().unwrap();
        if job.state == JobState::Queued {
            break job;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "not rescued: {job:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(job.error.unwrap().kind, ErrorKind::LeaseExpired);
    stop.cancel();
    tokio::time::timeout(Duration::from_secs(5), upkeep).await.expect("the upkeep stops").unwrap();
}

/// S3 goes away for longer than the whole retry schedule: the pool stops
/// claiming once a run fails on storage, and every job succeeds once S3 is
/// back, none of them failed for good by the outage.
async fn storage_outage_spends_no_attempts(database: TestDatabase) {
    const JOBS: usize = 10;
    let mut s3 = kiln_storage::testsuite::S3sServer::start();
    let blobs: Arc<dyn BlobStore> = Arc::new(kiln_storage::S3Store::new(s3.config()).unwrap());
    let harness = Harness::start_with(database, Some(blobs), |_, _| {}).await;
    s3.stop();
    let mut ids = Vec::new();
    for _ in 0..JOBS {
        ids.push(harness.submit("testing", serde_json::json!({"behaviour": "ok"})).await);
    }
    // The suite's backoff gives up within a second (3 attempts, 200 ms and
    // 400 ms apart) if outages spend attempts.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let mut claims = 0;
    for &id in &ids {
        let job = harness.job(id).await;
        assert_eq!(job.state, JobState::Queued, "{job:?}");
        claims += job.attempt;
    }
    assert!(claims <= 2, "the pool (2 slots) stopped claiming during the outage: {claims} claims");
    s3.restart();
    for &id in &ids {
        let job = harness.finished(id).await;
        assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    }
    harness.stop().await;
}

async fn job_files_are_stored_under_the_tenant_prefix(database: TestDatabase) {
    let harness = Harness::start(database, |_, _| {}).await;
    let spec = serde_json::json!({"behaviour": "ok", "text": "good morning", "files": 3, "progress_steps": 4});
    let id = harness.submit("testing", spec).await;
    let job = harness.finished(id).await;
    assert_eq!(job.state, JobState::Succeeded, "{:?}", job.error);
    let plugin = job.plugin.as_ref().unwrap();
    assert_eq!((plugin.name.as_str(), plugin.sha256.len()), ("testing", 64));
    assert_eq!(job.usage.as_ref().unwrap().files, 3);
    let artifacts = harness.store.artifacts(Scope::Organisation(harness.org), id).await.unwrap();
    assert_eq!(artifacts.len(), 3);
    for artifact in &artifacts {
        let key = BlobKey::artifact(harness.org, "session-1", id, &artifact.path).unwrap();
        assert_eq!(artifact.storage_key, key.as_str());
        let meta = harness.blobs.head(&key).await.unwrap().expect("the file is stored");
        assert_eq!(meta.size, artifact.size);
    }
    // A run this short writes its last progress with its outcome, not on its own.
    let progress = job.progress.as_ref().expect("the last progress is stored");
    assert_eq!((progress.done, progress.total), (4, 4));
    harness.stop().await;
}

async fn plugin_verdicts_fail_once_with_the_reason(database: TestDatabase) {
    let harness = Harness::start(database, |_, settings| {
        settings.limits = Limits { memory_bytes: 32 << 20, ..Limits::default() };
    })
    .await;
    let bomb = harness.submit("testing", serde_json::json!({"behaviour": "memory-bomb"})).await;
    let invalid =
        harness.submit("testing", serde_json::json!({"behaviour": "no-such-behaviour"})).await;
    let bomb = harness.finished(bomb).await;
    assert_eq!((bomb.state, bomb.attempt), (JobState::Failed, 1));
    let error = bomb.error.unwrap();
    assert_eq!(
        (error.kind, error.limit),
        (ErrorKind::LimitExceeded, Some(Limit::Memory(32 << 20)))
    );
    let invalid = harness.finished(invalid).await;
    assert_eq!((invalid.state, invalid.attempt), (JobState::Failed, 1));
    let error = invalid.error.unwrap();
    assert_eq!(error.kind, ErrorKind::InvalidSpec);
    assert_eq!(error.violations[0].pointer, "/behaviour");
    harness.stop().await;
}

async fn unknown_artifact_type_fails_without_retry(database: TestDatabase) {
    let harness = Harness::start(database, |_, _| {}).await;
    let id = harness.submit("hologram", serde_json::json!({})).await;
    let job = harness.finished(id).await;
    assert_eq!((job.state, job.attempt), (JobState::Failed, 1));
    let error = job.error.unwrap();
    assert_eq!(error.kind, ErrorKind::PluginUnavailable);
    assert!(
        error.message.contains("\"hologram\"") && error.message.contains("testing"),
        "{}",
        error.message
    );
    harness.stop().await;
}

async fn running_job_is_canceled_mid_run(database: TestDatabase) {
    let harness = Harness::start(database, |_, _| {}).await;
    let id = harness
        .submit("testing", serde_json::json!({"behaviour": "slow", "steps": 100, "step_ms": 100}))
        .await;
    harness
        .wait_until(id, Duration::from_secs(30), |job| {
            job.progress.as_ref().is_some_and(|p| p.done >= 1)
        })
        .await;
    let asked = Instant::now();
    harness.store.cancel(Scope::Organisation(harness.org), id).await.unwrap();
    let job = harness.finished(id).await;
    assert_eq!(job.state, JobState::Canceled);
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "stopped promptly, took {:?}",
        asked.elapsed()
    );
    assert!(harness.store.artifacts(Scope::Operator, id).await.unwrap().is_empty());
    let kinds: Vec<_> = harness
        .store
        .events(Scope::Operator, id, 0)
        .await
        .unwrap()
        .iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.last(), Some(&EventKind::Canceled));
    assert!(kinds.contains(&EventKind::CancelRequested));
    harness.stop().await;
}

async fn shutdown_hands_unfinished_jobs_back(database: TestDatabase) {
    let harness =
        Harness::start(database, |config, _| config.shutdown_grace = Duration::from_millis(300))
            .await;
    let quick = harness
        .submit("testing", serde_json::json!({"behaviour": "slow", "steps": 2, "step_ms": 100}))
        .await;
    let long = harness
        .submit("testing", serde_json::json!({"behaviour": "slow", "steps": 100, "step_ms": 100}))
        .await;
    harness.wait_until(long, Duration::from_secs(30), |job| job.state == JobState::Running).await;
    harness.wait_until(quick, Duration::from_secs(30), |job| job.state == JobState::Running).await;
    let (store, org) = (harness.store.clone(), harness.org);
    let _database = harness.stop().await;
    let quick = store.get(Scope::Organisation(org), quick).await.unwrap().unwrap();
    assert_eq!(quick.state, JobState::Succeeded, "finished within the grace period");
    let long = store.get(Scope::Organisation(org), long).await.unwrap().unwrap();
    assert_eq!(long.state, JobState::Queued, "handed back to the queue");
    assert!(long.error.is_none());
    let last = store.events(Scope::Operator, long.id, 0).await.unwrap().pop().unwrap();
    assert_eq!((last.kind, last.data["reason"].as_str()), (EventKind::Queued, Some("released")));
}

async fn retention_deletes_old_jobs_with_their_files(database: TestDatabase) {
    let harness = Harness::start(database, |_, _| {}).await;
    let old = harness.submit("testing", serde_json::json!({"behaviour": "ok", "files": 2})).await;
    assert_eq!(harness.finished(old).await.state, JobState::Succeeded);
    let keys: Vec<_> = harness
        .store
        .artifacts(Scope::Operator, old)
        .await
        .unwrap()
        .iter()
        .map(|artifact| BlobKey::artifact(harness.org, "session-1", old, &artifact.path).unwrap())
        .collect();
    assert_eq!(keys.len(), 2);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let kept = harness.submit("testing", serde_json::json!({"behaviour": "ok"})).await;
    assert_eq!(harness.finished(kept).await.state, JobState::Succeeded);

    let deleted = kiln_executor::maintenance::delete_expired(
        harness.store.as_ref(),
        harness.blobs.as_ref(),
        Duration::from_millis(250),
    )
    .await;
    assert_eq!(deleted.unwrap(), 1, "only the job older than the retention age");
    assert!(harness.store.get(Scope::Operator, old).await.unwrap().is_none());
    for key in &keys {
        assert!(harness.blobs.head(key).await.unwrap().is_none(), "its files went with it");
    }
    assert_eq!(harness.store.artifacts(Scope::Operator, kept).await.unwrap().len(), 1);
    harness.stop().await;
}

async fn expired_assets_are_deleted_with_their_files(database: TestDatabase) {
    let harness = Harness::start(database, |_, _| {}).await;
    let now = chrono::Utc::now();
    let mut ids = Vec::new();
    for expires_at in [now - chrono::Duration::seconds(1), now + chrono::Duration::hours(1)] {
        let id = kiln_core::AssetId::now_v7();
        let key = BlobKey::asset(harness.org, id);
        let body = futures_util::stream::once(async { Ok(bytes::Bytes::from_static(b"logo")) });
        let stored =
            harness.blobs.put_stream(&key, Box::pin(body), "image/png", 1024).await.unwrap();
        let asset = kiln_core::Asset {
            id,
            organisation_id: harness.org,
            filename: Some("logo.png".into()),
            media_type: "image/png".into(),
            size: stored.size,
            sha256: stored.sha256,
            storage_key: key.as_str().to_owned(),
            created_at: now,
            expires_at,
        };
        harness.store.add_asset(&asset).await.unwrap();
        ids.push(id);
    }
    kiln_executor::maintenance::delete_expired_assets(
        harness.store.as_ref(),
        harness.blobs.as_ref(),
    )
    .await
    .unwrap();
    assert!(
        harness.blobs.head(&BlobKey::asset(harness.org, ids[0])).await.unwrap().is_none(),
        "its file went with it"
    );
    assert!(harness.blobs.head(&BlobKey::asset(harness.org, ids[1])).await.unwrap().is_some());
    assert_eq!(harness.store.assets(Scope::Operator, &ids).await.unwrap().len(), 1);
    harness.stop().await;
}
