//! The kubernetes executor against the API server fixture, on a real
//! (SQLite) job store: each scenario drives the fixture as the Job
//! controller and kubelet would, and checks the requests the executor sent
//! and how the job ended.

use std::sync::Arc;
use std::time::{Duration, Instant};

use http::Method;
use kiln_core::{ErrorKind, Job, JobId, JobState, Limit, LogSource, OrgId};
use kiln_executor::kubernetes::fixture::FakeCluster;
use kiln_executor::kubernetes::{KubernetesConfig, KubernetesExecutor};
use kiln_executor::{WorkerConfig, WorkerPool};
use kiln_queue::testsuite::TestDatabase;
use kiln_queue::{Completion, JobOutcome, JobStore, NewJob, Scope};
use kiln_storage::{BlobStore, LocalStore};
use serde_json::{Value, json};
use tokio_util::sync::CancellationToken;

const NAMESPACE: &str = "kiln-executor";
const HOST: &str = "worker-0";

/// A worker pool whose executor talks to the fixture.
struct Cluster {
    fake: FakeCluster,
    store: Arc<dyn JobStore>,
    org: OrgId,
    shutdown: CancellationToken,
    pool: tokio::task::JoinHandle<()>,
    _blobs: tempfile::TempDir,
    database: Arc<TestDatabase>,
}

fn config() -> KubernetesConfig {
    let mut config =
        KubernetesConfig::new(NAMESPACE.into(), "registry.example/kiln:1.2.3".into(), HOST.into());
    config.env_secret = Some("kiln-job-env".into());
    config.check_every = Duration::from_millis(50);
    config
}

impl Cluster {
    async fn start(edit: impl FnOnce(&mut KubernetesConfig)) -> Self {
        let (fake, client) = FakeCluster::start(NAMESPACE);
        let mut config = config();
        edit(&mut config);
        Self::start_on(Arc::new(TestDatabase::sqlite()), fake, client, config).await
    }

    /// A pool on `database` and `fake`, as a (re)started host would be.
    async fn start_on(
        database: Arc<TestDatabase>,
        fake: FakeCluster,
        client: kube::Client,
        config: KubernetesConfig,
    ) -> Self {
        let store = database.store().await;
        let blobs_dir = tempfile::tempdir().unwrap();
        let blobs: Arc<dyn BlobStore> = Arc::new(LocalStore::open(blobs_dir.path()).unwrap());
        let executor = Arc::new(KubernetesExecutor::new(client, store.clone(), config));
        let mut pool_config = WorkerConfig::new("test-host".into());
        pool_config.shutdown_grace = Duration::from_millis(100);
        pool_config.lease = Duration::from_secs(3);
        let pool = WorkerPool::new(store.clone(), blobs, executor, pool_config);
        let shutdown = CancellationToken::new();
        let org = store.organisation("acme").await.unwrap().id;
        let pool = tokio::spawn(pool.run(shutdown.clone()));
        Self { fake, store, org, shutdown, pool, _blobs: blobs_dir, database }
    }

    async fn submit(&self) -> JobId {
        let job = NewJob::new(self.org, "session-1", "testing", json!({ "behaviour": "plain" }));
        self.store.submit(vec![job]).await.unwrap()[0].job().unwrap().id
    }

    async fn job(&self, id: JobId) -> Job {
        self.store.get(Scope::Organisation(self.org), id).await.unwrap().unwrap()
    }

    async fn wait_until(&self, id: JobId, what: &str, done: impl Fn(&Job) -> bool) -> Job {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let job = self.job(id).await;
            if done(&job) {
                return job;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}: {job:?}\n{:#?}",
                self.fake.requests()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn finished(&self, id: JobId) -> Job {
        self.wait_until(id, "the job to finish", |job| job.state.is_terminal()).await
    }

    /// What `kiln run-job` does in the pod: record the outcome of the
    /// attempt the host claimed.
    async fn pod_records(&self, id: JobId, outcome: JobOutcome) {
        let job = self.job(id).await;
        assert_eq!(job.state, JobState::Running);
        assert_eq!(
            self.store.complete(vec![Completion::new(&job, outcome)]).await.unwrap(),
            [true]
        );
    }

    /// The pod recorded success and exited 0; the Job completes.
    async fn pod_succeeds(&self, id: JobId, name: &str) {
        self.pod_records(id, JobOutcome::Succeeded { artifacts: Vec::new() }).await;
        self.fake.add_pod(name, terminated(0, "Completed"), "job succeeded");
        self.fake.set_job_status(name, condition("Complete", "", 1));
    }

    async fn stop(self) -> (Arc<TestDatabase>, FakeCluster) {
        self.shutdown.cancel();
        self.pool.await.unwrap();
        (self.database, self.fake)
    }
}

fn name(id: JobId, attempt: i32) -> String {
    format!("kiln-{id}-{attempt}")
}

/// A Job status with one true condition.
fn condition(kind: &str, reason: &str, pods: i32) -> Value {
    let count = if kind == "Complete" { "succeeded" } else { "failed" };
    json!({ "conditions": [{ "type": kind, "status": "True", "reason": reason, "message": format!("{kind} {reason}") }], count: pods })
}

/// A pod status whose run-job container ended.
fn terminated(exit_code: i32, reason: &str) -> Value {
    json!({
        "phase": if exit_code == 0 { "Succeeded" } else { "Failed" },
        "containerStatuses": [{
            "name": "run-job", "image": "kiln", "imageID": "", "ready": false, "restartCount": 0,
            "state": { "terminated": { "exitCode": exit_code, "reason": reason } },
        }],
    })
}

#[tokio::test]
async fn a_job_runs_as_a_hardened_kubernetes_job_and_completes() {
    let cluster = Cluster::start(|config| {
        config.runtime_class = Some("gvisor".into());
        config.node_selector = [("kiln.dev/pool".to_owned(), "jobs".to_owned())].into();
        config.tolerations = serde_json::from_value(
            json!([{ "key": "kiln", "operator": "Exists", "effect": "NoSchedule" }]),
        )
        .unwrap();
    })
    .await;
    let id = cluster.submit().await;
    let name = name(id, 1);
    cluster.fake.created(&name).await;

    let posts = cluster.fake.requests_to(Method::POST, &cluster.fake.jobs_path());
    assert_eq!(posts.len(), 1);
    let job = posts[0].body.clone().unwrap();
    let labels = &job["metadata"]["labels"];
    assert_eq!(job["metadata"]["name"], name.as_str());
    assert_eq!(job["metadata"]["namespace"], NAMESPACE);
    assert_eq!(labels["app.kubernetes.io/name"], "kiln");
    assert_eq!(labels["app.kubernetes.io/component"], "job");
    assert_eq!(labels["kiln.dev/job-id"], id.to_string());
    assert_eq!(labels["kiln.dev/organisation"], cluster.org.to_string());
    assert_eq!(labels["kiln.dev/host"], HOST);
    let spec = &job["spec"];
    assert_eq!(spec["backoffLimit"], 0);
    assert_eq!(spec["activeDeadlineSeconds"], 600);
    assert_eq!(spec["ttlSecondsAfterFinished"], 3600);
    assert_eq!(
        spec["podFailurePolicy"]["rules"],
        json!([
            { "action": "FailJob", "onExitCodes": { "containerName": "run-job", "operator": "In", "values": [65] } },
            { "action": "Ignore", "onPodConditions": [{ "type": "DisruptionTarget", "status": "True" }] },
        ])
    );
    assert_eq!(spec["template"]["metadata"]["labels"], *labels);
    let pod = &spec["template"]["spec"];
    assert_eq!(pod["restartPolicy"], "Never");
    assert_eq!(pod["automountServiceAccountToken"], false);
    assert_eq!(pod["serviceAccountName"], "kiln-job");
    assert_eq!(pod["runtimeClassName"], "gvisor");
    assert_eq!(pod["nodeSelector"], json!({ "kiln.dev/pool": "jobs" }));
    assert_eq!(
        pod["tolerations"],
        json!([{ "key": "kiln", "operator": "Exists", "effect": "NoSchedule" }])
    );
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    assert_eq!(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");
    let container = &pod["containers"][0];
    assert_eq!(container["image"], "registry.example/kiln:1.2.3");
    assert_eq!(container["args"], json!(["run-job", id.to_string(), "--attempt", "1"]));
    assert_eq!(container["envFrom"], json!([{ "secretRef": { "name": "kiln-job-env" } }]));
    assert_eq!(container["resources"]["requests"], json!({ "cpu": "1", "memory": "1Gi" }));
    assert_eq!(container["resources"]["limits"], container["resources"]["requests"]);
    for container in [container, &pod["initContainers"][0]] {
        let security = &container["securityContext"];
        assert_eq!(security["allowPrivilegeEscalation"], false);
        assert_eq!(security["readOnlyRootFilesystem"], true);
        assert_eq!(security["runAsNonRoot"], true);
        assert_eq!(security["capabilities"]["drop"], json!(["ALL"]));
        assert_eq!(security["seccompProfile"]["type"], "RuntimeDefault");
    }

    cluster.pod_succeeds(id, &name).await;
    assert_eq!(cluster.finished(id).await.state, JobState::Succeeded);
    assert!(cluster.fake.requests_to(Method::DELETE, "/").is_empty());
    cluster.stop().await;
}

#[tokio::test]
async fn a_create_whose_answer_was_lost_is_adopted_on_409() {
    let (fake, client) = FakeCluster::start(NAMESPACE);
    // The first create reaches the server, but its answer does not come back.
    fake.fail_next_after_applying(Method::POST, &fake.jobs_path(), 500);
    let cluster = Cluster::start_on(Arc::new(TestDatabase::sqlite()), fake, client, config()).await;
    let id = cluster.submit().await;
    let name = name(id, 1);
    cluster
        .fake
        .wait_for("the Job to be fetched after a 409", |fake| {
            fake.requests_to(Method::GET, &format!("{}/{name}", fake.jobs_path())).len() == 1
        })
        .await;
    assert_eq!(cluster.fake.requests_to(Method::POST, &cluster.fake.jobs_path()).len(), 2);
    assert_eq!(cluster.fake.job_names(), std::slice::from_ref(&name));

    cluster.pod_succeeds(id, &name).await;
    assert_eq!(cluster.finished(id).await.state, JobState::Succeeded);
    cluster.stop().await;
}

#[tokio::test]
async fn a_job_past_its_deadline_fails_on_the_wall_clock_limit() {
    let cluster = Cluster::start(|_| {}).await;
    let id = cluster.submit().await;
    let name = name(id, 1);
    cluster.fake.created(&name).await;
    cluster.fake.add_pod(&name, terminated(143, "Error"), "running");
    cluster.fake.set_job_status(&name, condition("Failed", "DeadlineExceeded", 1));

    let job = cluster.finished(id).await;
    assert_eq!(job.state, JobState::Failed);
    let error = job.error.unwrap();
    assert_eq!(error.kind, ErrorKind::LimitExceeded);
    assert_eq!(error.limit, Some(Limit::WallClock(600_000)));
    assert_eq!(job.attempt, 1, "a deadline is not retried");
    cluster.stop().await;
}

#[tokio::test]
async fn an_oom_killed_pod_fails_the_job_with_its_last_log_lines() {
    let cluster = Cluster::start(|_| {}).await;
    let id = cluster.submit().await;
    let name = name(id, 1);
    cluster.fake.created(&name).await;
    cluster.fake.add_pod(&name, terminated(137, "OOMKilled"), "loaded 1 plugin\nrunning job\n");
    cluster.fake.set_job_status(&name, condition("Failed", "BackoffLimitExceeded", 1));

    let job = cluster.finished(id).await;
    assert_eq!(job.state, JobState::Failed);
    let error = job.error.unwrap();
    assert_eq!(error.kind, ErrorKind::LimitExceeded);
    assert!(error.message.contains("1Gi") && error.message.contains("KILN_K8S_MEMORY"), "{error}");
    let log = cluster.store.log(Scope::Operator, id).await.unwrap();
    let lines: Vec<_> = log.iter().map(|entry| (entry.source, entry.message.as_str())).collect();
    assert_eq!(lines, [(LogSource::Stderr, "loaded 1 plugin"), (LogSource::Stderr, "running job")]);
    let logs = cluster
        .fake
        .requests_to(Method::GET, &format!("/api/v1/namespaces/{NAMESPACE}/pods/{name}-0/log"));
    assert_eq!(logs[0].query.get("tailLines").map(String::as_str), Some("20"));
    cluster.stop().await;
}

#[tokio::test]
async fn an_evicted_pod_is_retried_in_a_new_job_without_spending_an_attempt() {
    let cluster = Cluster::start(|_| {}).await;
    let id = cluster.submit().await;
    let first = name(id, 1);
    cluster.fake.created(&first).await;
    let evicted = json!({ "phase": "Failed", "reason": "Evicted", "message": "The node was low on resource: memory." });
    cluster.fake.add_pod(&first, evicted, "");
    cluster.fake.set_job_status(&first, condition("Failed", "BackoffLimitExceeded", 1));

    let second = name(id, 2);
    cluster.fake.created(&second).await;
    let job = cluster.job(id).await;
    assert_eq!((job.state, job.attempt, job.excused_attempts), (JobState::Running, 2, 1));
    let events = cluster.store.events(Scope::Operator, id, 0).await.unwrap();
    let retry = events
        .iter()
        .find(|event| event.kind == kiln_core::EventKind::Queued && event.attempt == 1);
    let retry = retry.expect("the eviction queued the job again").data.to_string();
    assert!(retry.contains("evicted") && retry.contains("low on resource"), "{retry}");

    cluster.pod_succeeds(id, &second).await;
    assert_eq!(cluster.finished(id).await.state, JobState::Succeeded);
    cluster.stop().await;
}

#[tokio::test]
async fn cancel_deletes_the_job_with_its_pods() {
    let cluster = Cluster::start(|_| {}).await;
    let id = cluster.submit().await;
    let name = name(id, 1);
    cluster.fake.created(&name).await;
    cluster.store.cancel(Scope::Organisation(cluster.org), id).await.unwrap();

    assert_eq!(cluster.finished(id).await.state, JobState::Canceled);
    let deletes = cluster.fake.requests_to(Method::DELETE, &cluster.fake.jobs_path());
    assert_eq!(deletes.len(), 1);
    assert_eq!(deletes[0].path, format!("{}/{name}", cluster.fake.jobs_path()));
    assert_eq!(deletes[0].body.as_ref().unwrap()["propagationPolicy"], "Background");
    assert!(cluster.fake.job(&name).is_none());
    cluster.stop().await;
}

#[tokio::test]
async fn a_restarted_host_picks_up_its_jobs_without_creating_them_again() {
    let cluster = Cluster::start(|_| {}).await;
    let id = cluster.submit().await;
    let name = name(id, 1);
    cluster.fake.created(&name).await;
    // The host stops; its job's pod runs on.
    let (database, fake) = cluster.stop().await;
    assert!(fake.job(&name).is_some(), "a stopping host leaves its pods running");
    assert_eq!(fake.requests_to(Method::DELETE, "/").len(), 0);
    let job = database.store().await.get(Scope::Operator, id).await.unwrap().unwrap();
    assert_eq!((job.state, job.attempt), (JobState::Running, 1));

    let client = fake.client();
    let cluster = Cluster::start_on(database, fake, client, config()).await;
    // The pod is OOM-killed: only a host that picked its Job up again can
    // record that.
    cluster.fake.add_pod(&name, terminated(137, "OOMKilled"), "");
    cluster.fake.set_job_status(&name, condition("Failed", "BackoffLimitExceeded", 1));
    let job = cluster.finished(id).await;
    assert_eq!(job.error.map(|error| error.kind), Some(ErrorKind::LimitExceeded));
    assert_eq!(cluster.fake.requests_to(Method::POST, &cluster.fake.jobs_path()).len(), 1);
    cluster.stop().await;
}

#[tokio::test]
async fn api_server_errors_are_retried_with_backoff() {
    let (fake, client) = FakeCluster::start(NAMESPACE);
    fake.fail_next(Method::POST, &fake.jobs_path(), 500, 2);
    fake.fail_next(Method::GET, &fake.jobs_path(), 503, 1);
    let cluster = Cluster::start_on(Arc::new(TestDatabase::sqlite()), fake, client, config()).await;
    let id = cluster.submit().await;
    let name = name(id, 1);
    cluster.fake.created(&name).await;

    let posts = cluster.fake.requests_to(Method::POST, &cluster.fake.jobs_path());
    assert_eq!(posts.len(), 3);
    let gaps: Vec<Duration> = posts.windows(2).map(|pair| pair[1].at - pair[0].at).collect();
    assert!(
        gaps[0] >= Duration::from_millis(100) && gaps[1] >= Duration::from_millis(200),
        "{gaps:?}"
    );
    cluster.pod_succeeds(id, &name).await;
    assert_eq!(cluster.finished(id).await.state, JobState::Succeeded);
    cluster.stop().await;
}

#[tokio::test]
async fn a_dropped_watch_is_resumed_from_its_resource_version() {
    let cluster = Cluster::start(|_| {}).await;
    let id = cluster.submit().await;
    let name = name(id, 1);
    cluster.fake.created(&name).await;
    cluster.fake.wait_for("a watch", |fake| fake.open_watches() > 0).await;
    cluster.fake.drop_watches();
    cluster.pod_succeeds(id, &name).await;

    assert_eq!(cluster.finished(id).await.state, JobState::Succeeded);
    let watches: Vec<_> = cluster
        .fake
        .requests_to(Method::GET, &cluster.fake.jobs_path())
        .into_iter()
        .filter(|request| request.query.get("watch").map(String::as_str) == Some("true"))
        .collect();
    assert!(watches.len() >= 2, "{watches:#?}");
    assert!(watches[1].query.contains_key("resourceVersion"), "{watches:#?}");
    cluster.stop().await;
}

#[tokio::test]
async fn a_pod_whose_image_cannot_be_pulled_is_deleted_and_retried() {
    let cluster = Cluster::start(|_| {}).await;
    let id = cluster.submit().await;
    let name = name(id, 1);
    cluster.fake.created(&name).await;
    let pulling = json!({ "phase": "Pending", "containerStatuses": [{
        "name": "run-job", "image": "kiln", "imageID": "", "ready": false, "restartCount": 0,
        "state": { "waiting": { "reason": "ImagePullBackOff", "message": "pull access denied for registry.example/kiln" } },
    }]});
    cluster.fake.add_pod(&name, pulling, "");

    cluster.fake.created(&self::name(id, 2)).await;
    let deletes =
        cluster.fake.requests_to(Method::DELETE, &format!("{}/{name}", cluster.fake.jobs_path()));
    assert_eq!(deletes.len(), 1);
    let job = cluster.job(id).await;
    assert_eq!((job.attempt, job.excused_attempts), (2, 1));
    cluster.stop().await;
}
