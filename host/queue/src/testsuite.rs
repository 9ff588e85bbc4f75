//! The conformance suite every [`JobStore`] must pass. Each check is a
//! function taking a fresh store; [`conformance_tests!`](crate::conformance_tests)
//! turns them into one test each for a backend's factory.

use std::collections::HashMap;
use std::slice;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use kiln_core::{
    Asset, ErrorKind, EventKind, JobError, JobState, Limit, LogEntry, LogSource, OrgId, Progress,
    WebhookDelivery, WebhookState,
};
use tokio::sync::broadcast::error::RecvError;
use uuid::Uuid;

use crate::{
    ActivePlugin, Completion, JobFilter, JobOutcome, JobStore, Lease, LeaseStatus, NewArtifact,
    NewJob, NewPluginVersion, Notice, QueueConfig, Registration, RetryPolicy, Rollback, Scope,
    Submitted, WebhookNext,
};

/// The configuration the suite's stores are built with: short backoff so
/// retries are observable in milliseconds, and a small budget of excused
/// attempts so its end is reached.
pub fn config() -> QueueConfig {
    QueueConfig {
        retry: RetryPolicy { base: Duration::from_millis(200), max: Duration::from_secs(2) },
        max_excused_attempts: 2,
        max_connections: 8,
    }
}

/// Generates one `#[tokio::test]` per check, each on a store from
/// `$factory`: an async expression giving `(Arc<dyn JobStore>, guard)`,
/// the store built with [`config`] and a guard that keeps its database
/// alive (see [`TestDatabase`]).
#[macro_export]
macro_rules! conformance_tests {
    ($factory:expr) => {
        $crate::conformance_tests!(@each $factory;
            claims_are_exclusive_under_concurrency,
            expired_lease_is_rescued_and_completed_once,
            stale_attempt_changes_nothing,
            heartbeat_keeps_a_lease_alive,
            retryable_failure_backs_off_with_jitter,
            retries_stop_at_max_attempts,
            outages_and_releases_do_not_spend_attempts,
            plugin_verdicts_are_not_retried,
            queued_job_is_canceled_at_once,
            running_job_is_canceled_through_its_worker,
            expired_lease_of_a_canceled_job_ends_canceled,
            idempotency_key_returns_the_same_job_or_a_conflict,
            higher_priority_is_claimed_first,
            delayed_job_waits_for_run_at,
            a_named_job_is_claimed_once_even_before_it_is_due,
            release_puts_jobs_back_due_now,
            retention_deletes_only_old_finished_jobs,
            reads_are_scoped_to_the_organisation,
            events_replay_in_order_and_are_published_live,
            artifacts_and_log_are_stored_once_with_success,
            list_pages_newest_first_with_filters,
            stats_report_success_rate_and_durations,
            api_keys_are_found_by_their_hash_only,
            submitted_details_are_stored_and_returned,
            artifacts_are_found_by_id_and_session_within_the_organisation,
            assets_are_scoped_and_expire,
            webhooks_are_claimed_once_and_fenced,
            webhook_secret_is_made_once_per_organisation,
            writes_cut_short_leave_the_store_usable,
            plugins_are_turned_off_and_on,
            plugin_versions_are_registered_once_by_their_bytes,
            activations_roll_back_one_version_at_a_time,
            compiled_plugins_are_recorded_per_engine,
        );
    };
    (@each $factory:expr; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $check() {
                let (store, _database) = $factory.await;
                $crate::testsuite::$check(store).await;
            }
        )*
    };
}

/// A throwaway database for one test: a fresh schema in the PostgreSQL
/// server `KILN_TEST_DATABASE_URL` names (default
/// `postgres://postgres@127.0.0.1:5432/test`), or a SQLite file in a temp
/// directory. Dropped with the value.
pub struct TestDatabase {
    /// A URL for this database alone, usable by other processes too.
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Schema { server: String, schema: String },
    Directory(#[allow(dead_code)] tempfile::TempDir),
}

/// The PostgreSQL server tests use unless `KILN_TEST_DATABASE_URL` says otherwise.
pub const DEFAULT_TEST_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/test";

impl TestDatabase {
    /// A new schema on the test server; panics with what to do if there is none.
    pub async fn postgres() -> Self {
        use sqlx::Executor;
        let server = std::env::var("KILN_TEST_DATABASE_URL")
            .unwrap_or_else(|_| DEFAULT_TEST_DATABASE_URL.into());
        let mut connection = <sqlx::PgConnection as sqlx::Connection>::connect(&server).await.unwrap_or_else(|err| {
            panic!(
                "PostgreSQL is not reachable at {server} ({err}). Start it (scripts/test starts a local \
                 cluster) or point KILN_TEST_DATABASE_URL at a server where this user may create schemas."
            )
        });
        let schema = format!("kiln_test_{}", uuid::Uuid::now_v7().simple());
        connection.execute(format!("CREATE SCHEMA {schema}").as_str()).await.unwrap();
        let separator = if server.contains('?') { '&' } else { '?' };
        let url = format!("{server}{separator}options=-c%20search_path%3D{schema}");
        Self { url, cleanup: Cleanup::Schema { server, schema } }
    }

    /// A new SQLite file in a temp directory.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("kiln.db").display());
        Self { url, cleanup: Cleanup::Directory(dir) }
    }

    /// A migrated store on this database, with the suite's [`config`].
    pub async fn store(&self) -> Arc<dyn JobStore> {
        let store = crate::connect(&self.url, config()).await.unwrap();
        store.migrate().await.unwrap();
        store
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Cleanup::Schema { server, schema } = &self.cleanup {
            let (server, schema) = (server.clone(), schema.clone());
            // Drop runs outside async context; a short-lived runtime on its
            // own thread does the cleanup.
            let cleanup = std::thread::spawn(move || {
                let runtime =
                    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                runtime.block_on(async {
                    use sqlx::Executor;
                    if let Ok(mut connection) =
                        <sqlx::PgConnection as sqlx::Connection>::connect(&server).await
                    {
                        let _ = connection
                            .execute(format!("DROP SCHEMA {schema} CASCADE").as_str())
                            .await;
                    }
                });
            });
            let _ = cleanup.join();
        }
    }
}

const LEASE: Duration = Duration::from_secs(30);

async fn org(store: &dyn JobStore, name: &str) -> OrgId {
    store.organisation(name).await.unwrap().id
}

fn job(org: OrgId) -> NewJob {
    NewJob::new(org, "session-1", "testing", serde_json::json!({"behaviour": "ok"}))
}

async fn submit(store: &dyn JobStore, new: NewJob) -> kiln_core::Job {
    match store.submit(vec![new]).await.unwrap().pop().unwrap() {
        Submitted::Created(job) => job,
        other => panic!("expected a new job, got {other:?}"),
    }
}

async fn claim_one(store: &dyn JobStore, lease: Duration) -> kiln_core::Job {
    let mut claimed = store.claim("worker-a", 1, lease).await.unwrap();
    assert_eq!(claimed.len(), 1, "expected one due job");
    claimed.pop().unwrap()
}

async fn state(store: &dyn JobStore, id: kiln_core::JobId) -> kiln_core::Job {
    store.get(Scope::Operator, id).await.unwrap().expect("job exists")
}

/// Completes the run `lease` names (stale or not) with `outcome`.
async fn complete(store: &dyn JobStore, lease: Lease, outcome: JobOutcome) -> bool {
    let mut completion = Completion::new(&state(store, lease.job_id).await, outcome);
    completion.lease = lease;
    store.complete(vec![completion]).await.unwrap()[0]
}

fn succeeded() -> JobOutcome {
    JobOutcome::Succeeded { artifacts: Vec::new() }
}

fn failure(kind: ErrorKind) -> JobOutcome {
    JobOutcome::Failed(JobError::new(kind, "it went wrong"))
}

/// Submits a job, claims it and completes it with `outcome`; nothing else
/// may be due.
async fn finished(store: &dyn JobStore, new: NewJob, outcome: JobOutcome) -> kiln_core::Job {
    let id = submit(store, new).await.id;
    let claimed = claim_one(store, LEASE).await;
    assert_eq!(claimed.id, id);
    assert!(complete(store, Lease::of(&claimed), outcome).await);
    state(store, id).await
}

fn with_artifacts(paths: &[&str]) -> JobOutcome {
    let artifacts = paths
        .iter()
        .map(|path| NewArtifact {
            path: (*path).into(),
            media_type: "text/plain".into(),
            size: 5,
            sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into(),
            storage_key: format!("blobs/{path}"),
        })
        .collect();
    JobOutcome::Succeeded { artifacts }
}

/// Now, at the microsecond precision both stores keep.
fn stored_now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

async fn kinds(store: &dyn JobStore, id: kiln_core::JobId) -> Vec<EventKind> {
    store
        .events(Scope::Operator, id, 0)
        .await
        .unwrap()
        .into_iter()
        .map(|event| event.kind)
        .collect()
}

/// Eight workers race over 200 jobs; each is claimed and completed once.
pub async fn claims_are_exclusive_under_concurrency(store: Arc<dyn JobStore>) {
    let org = org(&*store, "acme").await;
    let submitted = store.submit((0..200).map(|_| job(org)).collect()).await.unwrap();
    assert_eq!(submitted.len(), 200);
    let mut workers = Vec::new();
    for worker in 0..8 {
        let store = store.clone();
        workers.push(tokio::spawn(async move {
            let name = format!("worker-{worker}");
            let mut done = Vec::new();
            loop {
                let claimed = store.claim(&name, 5, LEASE).await.unwrap();
                if claimed.is_empty() {
                    return done;
                }
                let completions =
                    claimed.iter().map(|job| Completion::new(job, succeeded())).collect();
                assert!(store.complete(completions).await.unwrap().iter().all(|applied| *applied));
                done.extend(claimed.into_iter().map(|job| job.id));
            }
        }));
    }
    let mut counts: HashMap<_, usize> = HashMap::new();
    for worker in workers {
        for id in worker.await.unwrap() {
            *counts.entry(id).or_default() += 1;
        }
    }
    assert_eq!(counts.len(), 200, "every job was completed");
    assert!(counts.values().all(|count| *count == 1), "no job was completed twice");
    for submitted in submitted.iter().take(20) {
        let id = submitted.job().unwrap().id;
        assert_eq!(state(&*store, id).await.state, JobState::Succeeded);
        assert_eq!(
            kinds(&*store, id).await,
            [EventKind::Queued, EventKind::Running, EventKind::Succeeded]
        );
    }
}

pub async fn expired_lease_is_rescued_and_completed_once(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let first = claim_one(store, Duration::from_millis(200)).await;
    assert_eq!(store.rescue().await.unwrap(), 0, "a live lease is left alone");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(store.rescue().await.unwrap(), 1);
    let rescued = state(store, id).await;
    assert_eq!(rescued.state, JobState::Queued);
    assert_eq!(rescued.error.as_ref().map(|error| error.kind), Some(ErrorKind::LeaseExpired));
    assert!(rescued.lease_until.is_none());

    tokio::time::sleep(Duration::from_millis(250)).await; // past the first backoff (≤ 200 ms)
    let second = claim_one(store, LEASE).await;
    assert_eq!(second.attempt, 2);
    assert!(
        !complete(store, Lease::of(&first), succeeded()).await,
        "the rescued attempt is fenced off"
    );
    assert!(complete(store, Lease::of(&second), succeeded()).await);
    assert!(
        !complete(store, Lease::of(&second), succeeded()).await,
        "completing twice changes nothing"
    );
    let done = state(store, id).await;
    assert_eq!((done.state, done.attempt), (JobState::Succeeded, 2));
    assert_eq!(
        kinds(store, id).await,
        [
            EventKind::Queued,
            EventKind::Running,
            EventKind::Queued,
            EventKind::Running,
            EventKind::Succeeded
        ]
    );
}

pub async fn stale_attempt_changes_nothing(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    submit(store, job(org)).await;
    let claimed = claim_one(store, LEASE).await;
    let stale = Lease { job_id: claimed.id, attempt: claimed.attempt - 1 };
    assert_eq!(store.heartbeat(&[stale], LEASE).await.unwrap(), [LeaseStatus::Lost]);
    assert!(
        !store
            .progress(stale, &Progress { done: 1, total: 2, message: "half".into() })
            .await
            .unwrap()
    );
    assert!(!complete(store, stale, failure(ErrorKind::Storage)).await);
    store.release(&[stale]).await.unwrap();
    let unchanged = state(store, claimed.id).await;
    assert_eq!((unchanged.state, unchanged.attempt), (JobState::Running, 1));
    assert!(unchanged.progress.is_none());
    assert_eq!(kinds(store, claimed.id).await, [EventKind::Queued, EventKind::Running]);
}

pub async fn heartbeat_keeps_a_lease_alive(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    submit(store, job(org)).await;
    let claimed = claim_one(store, Duration::from_millis(300)).await;
    for _ in 0..3 {
        tokio::time::sleep(Duration::from_millis(150)).await;
        let status =
            store.heartbeat(&[Lease::of(&claimed)], Duration::from_millis(300)).await.unwrap();
        assert_eq!(status, [LeaseStatus::Held]);
    }
    assert_eq!(store.rescue().await.unwrap(), 0, "450 ms in, the heartbeats kept the 300 ms lease");
    assert!(state(store, claimed.id).await.lease_until.unwrap() > Utc::now());
}

pub async fn retryable_failure_backs_off_with_jitter(store: Arc<dyn JobStore>) {
    let store = &*store;
    let policy = config().retry;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    for attempt in 1..=2 {
        let claimed = claim_one(store, LEASE).await;
        assert_eq!(claimed.attempt, attempt);
        let before = Utc::now();
        assert!(complete(store, Lease::of(&claimed), failure(ErrorKind::Storage)).await);
        let after = Utc::now();
        let queued = state(store, id).await;
        assert_eq!(queued.state, JobState::Queued);
        let ceiling = chrono::Duration::from_std(policy.ceiling(attempt)).unwrap();
        assert!(queued.run_at >= before + ceiling / 2, "waits at least half the ceiling");
        assert!(queued.run_at <= after + ceiling, "waits at most the ceiling");
        assert!(
            store.claim("worker-a", 1, LEASE).await.unwrap().is_empty(),
            "not due during backoff"
        );
        let wait = (queued.run_at - Utc::now()).to_std().unwrap_or_default();
        tokio::time::sleep(wait + Duration::from_millis(20)).await;
    }
    let third = claim_one(store, LEASE).await;
    assert_eq!(third.attempt, 3);
    let retry_events: Vec<_> = store
        .events(Scope::Operator, id, 0)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind == EventKind::Queued && event.data["reason"] == "retry")
        .collect();
    assert_eq!(retry_events.len(), 2);
    assert_eq!(retry_events[0].data["error"]["kind"], "storage");
}

pub async fn retries_stop_at_max_attempts(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org).with_max_attempts(2)).await.id;
    let first = claim_one(store, LEASE).await;
    assert!(complete(store, Lease::of(&first), failure(ErrorKind::Internal)).await);
    tokio::time::sleep(config().retry.ceiling(1) + Duration::from_millis(20)).await;
    let second = claim_one(store, LEASE).await;
    assert!(complete(store, Lease::of(&second), failure(ErrorKind::Internal)).await);
    let failed = state(store, id).await;
    assert_eq!((failed.state, failed.attempt), (JobState::Failed, 2));
    assert_eq!(failed.error.unwrap().kind, ErrorKind::Internal);
    assert!(failed.finished_at.is_some());
}

pub async fn plugin_verdicts_are_not_retried(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    for kind in
        [ErrorKind::InvalidSpec, ErrorKind::LimitExceeded, ErrorKind::Trap, ErrorKind::PluginFailed]
    {
        let id = submit(store, job(org)).await.id;
        let claimed = claim_one(store, LEASE).await;
        let mut error = JobError::new(kind, "verdict");
        error.limit = (kind == ErrorKind::LimitExceeded).then_some(Limit::Memory(256 << 20));
        assert!(complete(store, Lease::of(&claimed), JobOutcome::Failed(error.clone())).await);
        let failed = state(store, id).await;
        assert_eq!((failed.state, failed.attempt), (JobState::Failed, 1), "{kind:?} is final");
        assert_eq!(failed.error, Some(error));
    }
}

pub async fn queued_job_is_canceled_at_once(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let canceled = store.cancel(Scope::Organisation(org), id).await.unwrap().unwrap();
    assert_eq!(canceled.state, JobState::Canceled);
    assert!(canceled.finished_at.is_some());
    assert!(store.claim("worker-a", 10, LEASE).await.unwrap().is_empty());
    let again = store.cancel(Scope::Organisation(org), id).await.unwrap().unwrap();
    assert_eq!(again.state, JobState::Canceled);
    assert_eq!(
        kinds(store, id).await,
        [EventKind::Queued, EventKind::Canceled],
        "one event, however often"
    );
}

pub async fn running_job_is_canceled_through_its_worker(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    let marked = store.cancel(Scope::Organisation(org), id).await.unwrap().unwrap();
    assert_eq!((marked.state, marked.cancel_requested), (JobState::Running, true));
    assert_eq!(
        store.heartbeat(&[Lease::of(&claimed)], LEASE).await.unwrap(),
        [LeaseStatus::CancelRequested]
    );
    // A retryable failure of a job someone canceled is not retried.
    assert!(complete(store, Lease::of(&claimed), JobOutcome::Canceled).await);
    let canceled = state(store, id).await;
    assert_eq!(canceled.state, JobState::Canceled);
    assert_eq!(
        kinds(store, id).await,
        [EventKind::Queued, EventKind::Running, EventKind::CancelRequested, EventKind::Canceled]
    );
    // Finished jobs stay as they are.
    let finished = store.cancel(Scope::Organisation(org), id).await.unwrap().unwrap();
    assert_eq!(finished.state, JobState::Canceled);
}

pub async fn expired_lease_of_a_canceled_job_ends_canceled(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    claim_one(store, Duration::from_millis(100)).await;
    store.cancel(Scope::Organisation(org), id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(store.rescue().await.unwrap(), 1);
    assert_eq!(state(store, id).await.state, JobState::Canceled);
}

pub async fn idempotency_key_returns_the_same_job_or_a_conflict(store: Arc<dyn JobStore>) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = org(store, "globex").await;
    let first = submit(store, job(acme).with_idempotency_key("key-1")).await;
    let again = store.submit(vec![job(acme).with_idempotency_key("key-1")]).await.unwrap();
    assert_eq!(again, [Submitted::Existing(first.clone())]);
    let mut different = job(acme).with_idempotency_key("key-1");
    different.spec = serde_json::json!({"behaviour": "loop"});
    let conflict = store.submit(vec![different]).await.unwrap();
    assert_eq!(conflict, [Submitted::Conflict { key: "key-1".into(), existing: first.id }]);
    let other_org = submit(store, job(globex).with_idempotency_key("key-1")).await;
    assert_ne!(other_org.id, first.id, "keys are per organisation");
    let listed = store
        .list(Scope::Organisation(acme), &JobFilter { limit: 100, ..JobFilter::default() })
        .await;
    assert_eq!(listed.unwrap().len(), 1, "nothing was queued twice");
}

pub async fn higher_priority_is_claimed_first(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let low = submit(store, job(org).with_priority(-1)).await.id;
    let normal_first = submit(store, job(org)).await.id;
    let normal_second = submit(store, job(org)).await.id;
    let high = submit(store, job(org).with_priority(5)).await.id;
    let claimed: Vec<_> =
        store.claim("worker-a", 10, LEASE).await.unwrap().into_iter().map(|job| job.id).collect();
    assert_eq!(claimed, [high, normal_first, normal_second, low]);
}

pub async fn delayed_job_waits_for_run_at(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let run_at = Utc::now() + chrono::Duration::milliseconds(300);
    let id = submit(store, job(org).with_run_at(run_at)).await.id;
    assert!(store.claim("worker-a", 1, LEASE).await.unwrap().is_empty());
    let due = store.next_due().await.unwrap().unwrap();
    assert!((due - run_at).num_milliseconds().abs() <= 1);
    tokio::time::sleep(Duration::from_millis(350)).await;
    assert_eq!(claim_one(store, LEASE).await.id, id);
    assert!(store.next_due().await.unwrap().is_none());
}

pub async fn a_named_job_is_claimed_once_even_before_it_is_due(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let later = submit(store, job(org).with_run_at(Utc::now() + chrono::Duration::hours(1))).await;
    let other = submit(store, job(org)).await;

    let claimed = store.claim_job("worker-a", later.id, LEASE).await.unwrap().expect("claimed");
    assert_eq!((claimed.id, claimed.state, claimed.attempt), (later.id, JobState::Running, 1));
    assert_eq!(claimed.worker_id.as_deref(), Some("worker-a"));
    assert!(claimed.lease_until.is_some());
    assert_eq!(kinds(store, later.id).await, [EventKind::Queued, EventKind::Running]);
    // Running now: a second claim gets nothing and changes nothing.
    assert!(store.claim_job("worker-b", later.id, LEASE).await.unwrap().is_none());
    assert_eq!(state(store, later.id).await, claimed);
    // Finished: nothing either. Unknown ids: nothing.
    assert!(complete(store, Lease::of(&claimed), succeeded()).await);
    assert!(store.claim_job("worker-b", later.id, LEASE).await.unwrap().is_none());
    assert!(store.claim_job("worker-b", Uuid::now_v7(), LEASE).await.unwrap().is_none());
    // The other job was not touched.
    assert_eq!(state(store, other.id).await.state, JobState::Queued);
}

/// Waits until a job in backoff is due.
async fn until_due(store: &dyn JobStore, id: kiln_core::JobId) {
    let wait = (state(store, id).await.run_at - Utc::now()).to_std().unwrap_or_default();
    tokio::time::sleep(wait + Duration::from_millis(20)).await;
}

pub async fn outages_and_releases_do_not_spend_attempts(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    // One attempt of its own, after a storage failure and a shutdown.
    let id = submit(store, job(org).with_max_attempts(1)).await.id;
    let first = claim_one(store, LEASE).await;
    assert!(complete(store, Lease::of(&first), failure(ErrorKind::Storage)).await);
    assert_eq!(state(store, id).await.state, JobState::Queued);
    until_due(store, id).await;
    let second = claim_one(store, LEASE).await;
    store.release(&[Lease::of(&second)]).await.unwrap();
    let third = claim_one(store, LEASE).await;
    assert_eq!(third.attempt, 3);
    assert!(complete(store, Lease::of(&third), failure(ErrorKind::Internal)).await);
    let failed = state(store, id).await;
    assert_eq!((failed.state, failed.attempt), (JobState::Failed, 3));
    assert_eq!(failed.error.unwrap().kind, ErrorKind::Internal);

    // Outages have a budget of their own (2 in the suite's config).
    let id = submit(store, job(org).with_max_attempts(5)).await.id;
    for attempt in 1..=3 {
        let claimed = claim_one(store, LEASE).await;
        assert!(complete(store, Lease::of(&claimed), failure(ErrorKind::Storage)).await);
        let job = state(store, id).await;
        let expected = if attempt < 3 { JobState::Queued } else { JobState::Failed };
        assert_eq!(job.state, expected, "after storage failure {attempt}");
        if attempt < 3 {
            until_due(store, id).await;
        }
    }
}

pub async fn release_puts_jobs_back_due_now(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    store.release(&[Lease::of(&claimed)]).await.unwrap();
    let released = state(store, id).await;
    assert_eq!(released.state, JobState::Queued);
    assert!(released.error.is_none(), "a release is not a failure");
    let again = claim_one(store, LEASE).await;
    assert_eq!((again.id, again.attempt), (id, 2));
    let events = store.events(Scope::Operator, id, 0).await.unwrap();
    assert_eq!(events[2].data["reason"], "released");
}

pub async fn retention_deletes_only_old_finished_jobs(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let finished = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    assert!(complete(store, Lease::of(&claimed), succeeded()).await);
    let running = submit(store, job(org)).await.id;
    claim_one(store, LEASE).await;
    let queued = submit(store, job(org)).await.id;
    tokio::time::sleep(Duration::from_millis(20)).await;

    assert!(
        store.expired(Duration::from_secs(3600), 100).await.unwrap().is_empty(),
        "not old enough yet"
    );
    let expired = store.expired(Duration::from_millis(10), 100).await.unwrap();
    assert_eq!(expired.len(), 1);
    assert_eq!((expired[0].id, expired[0].organisation_id), (finished, org));
    assert_eq!(
        store.delete_finished(&[finished, running, queued]).await.unwrap(),
        1,
        "only finished jobs go"
    );
    assert!(store.get(Scope::Operator, finished).await.unwrap().is_none());
    assert!(
        store.events(Scope::Operator, finished, 0).await.unwrap().is_empty(),
        "events go with the job"
    );
    assert!(store.get(Scope::Operator, running).await.unwrap().is_some());
    assert!(store.get(Scope::Operator, queued).await.unwrap().is_some());
}

pub async fn reads_are_scoped_to_the_organisation(store: Arc<dyn JobStore>) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = Scope::Organisation(org(store, "globex").await);
    let id = submit(store, job(acme)).await.id;
    assert!(store.get(globex, id).await.unwrap().is_none());
    assert!(store.events(globex, id, 0).await.unwrap().is_empty());
    assert!(store.artifacts(globex, id).await.unwrap().is_empty());
    assert!(store.log(globex, id).await.unwrap().is_empty());
    assert!(
        store
            .list(globex, &JobFilter { limit: 10, ..JobFilter::default() })
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.cancel(globex, id).await.unwrap().is_none());
    assert_eq!(
        state(store, id).await.state,
        JobState::Queued,
        "another organisation cannot cancel it"
    );
    assert!(store.get(Scope::Organisation(acme), id).await.unwrap().is_some());
}

pub async fn events_replay_in_order_and_are_published_live(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let mut notices = store.subscribe();
    let id = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    let progress = Progress { done: 1, total: 2, message: "half way".into() };
    assert!(store.progress(Lease::of(&claimed), &progress).await.unwrap());
    assert!(complete(store, Lease::of(&claimed), succeeded()).await);
    assert_eq!(state(store, id).await.progress, Some(progress));

    let mut live = Vec::new();
    while live.len() < 4 {
        match tokio::time::timeout(Duration::from_secs(5), notices.recv())
            .await
            .expect("a notice within 5 s")
        {
            Ok(Notice::Event { id: event_id, job_id, kind }) if job_id == id => {
                live.push((event_id, kind))
            }
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => panic!("notice channel closed"),
        }
    }
    let stored = store.events(Scope::Operator, id, 0).await.unwrap();
    let stored: Vec<_> = stored.iter().map(|event| (event.id, event.kind)).collect();
    assert_eq!(live, stored, "every stored event was published, in order");
    assert!(stored.windows(2).all(|pair| pair[0].0 < pair[1].0));
    assert_eq!(
        stored.iter().map(|(_, kind)| *kind).collect::<Vec<_>>(),
        [EventKind::Queued, EventKind::Running, EventKind::Progress, EventKind::Succeeded]
    );
    let replay = store.events(Scope::Operator, id, stored[1].0).await.unwrap();
    assert_eq!(replay.iter().map(|event| event.id).collect::<Vec<_>>(), [stored[2].0, stored[3].0]);
    assert_eq!(replay[0].data["message"], "half way");
}

pub async fn artifacts_and_log_are_stored_once_with_success(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let id = submit(store, job(org)).await.id;
    let claimed = claim_one(store, LEASE).await;
    let artifact = NewArtifact {
        path: "report.txt".into(),
        media_type: "text/plain".into(),
        size: 5,
        sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824".into(),
        storage_key: format!("orgs/{org}/sessions/session-1/jobs/{id}/report.txt"),
    };
    let mut completion =
        Completion::new(&claimed, JobOutcome::Succeeded { artifacts: vec![artifact.clone()] });
    completion.log = vec![LogEntry { source: LogSource::Info, message: "wrote report.txt".into() }];
    completion.plugin = Some(kiln_core::PluginRef {
        name: "testing".into(),
        version: "0.1.0".into(),
        sha256: "ab".into(),
    });
    completion.usage =
        Some(kiln_core::UsageReport { output_bytes: 5, files: 1, ..Default::default() });
    completion.progress = Some(kiln_core::Progress { done: 3, total: 3, message: "done".into() });
    assert!(store.complete(vec![completion.clone()]).await.unwrap()[0]);
    assert!(
        !store.complete(vec![completion]).await.unwrap()[0],
        "a second completion is fenced off"
    );

    let stored = store.artifacts(Scope::Organisation(org), id).await.unwrap();
    assert_eq!(stored.len(), 1, "artifacts are stored once");
    let stored = &stored[0];
    assert_eq!(
        (stored.path.as_str(), stored.size, stored.sha256.as_str()),
        ("report.txt", 5, artifact.sha256.as_str())
    );
    assert_eq!(
        (stored.session_id.as_str(), stored.artifact_type.as_str()),
        ("session-1", "testing")
    );
    assert_eq!(stored.storage_key, artifact.storage_key);
    let made_by = stored.plugin.as_ref().expect("the artifact records its plugin");
    assert_eq!(
        (made_by.name.as_str(), made_by.version.as_str(), made_by.sha256.as_str()),
        ("testing", "0.1.0", "ab")
    );
    let log = store.log(Scope::Organisation(org), id).await.unwrap();
    assert_eq!(log[0].message, "wrote report.txt");
    let job = state(store, id).await;
    assert_eq!(job.plugin.unwrap().name, "testing");
    assert_eq!(job.usage.unwrap().output_bytes, 5);
    assert_eq!(job.progress.unwrap().done, 3, "the last progress is stored with the outcome");
}

/// Polls `write` at most `polls` times, letting other tasks run in
/// between, then drops it wherever it got to.
async fn cut_short<T>(write: impl std::future::Future<Output = T>, polls: usize) {
    let mut write = std::pin::pin!(write);
    for _ in 0..polls {
        let done =
            std::future::poll_fn(|cx| std::task::Poll::Ready(write.as_mut().poll(cx).is_ready()))
                .await;
        if done {
            return;
        }
        tokio::task::yield_now().await;
    }
    // Let the database answer before dropping: an answer nobody receives
    // is the hard case.
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// Callers' futures get dropped at any await (an HTTP client goes away, a
/// timeout fires); the store must stay consistent and writable.
pub async fn writes_cut_short_leave_the_store_usable(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    submit(store, job(org)).await;
    let claimed = claim_one(store, LEASE).await;
    let lease = Lease::of(&claimed);
    let progress = kiln_core::Progress { done: 1, total: 2, message: "half".into() };
    for polls in 1..=20 {
        cut_short(store.progress(lease, &progress), polls).await;
        cut_short(store.submit(vec![job(org)]), polls).await;
    }
    assert!(store.progress(lease, &progress).await.unwrap(), "progress is still written");
    let later = submit(store, job(org)).await;
    assert_eq!(later.state, kiln_core::JobState::Queued);
    assert!(complete(store, lease, succeeded()).await);
    assert_eq!(state(store, claimed.id).await.state, kiln_core::JobState::Succeeded);
}

pub async fn list_pages_newest_first_with_filters(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let scope = Scope::Organisation(org);
    let mut ids = Vec::new();
    for index in 0..5 {
        let mut new = job(org);
        new.session_id = if index % 2 == 0 { "even".into() } else { "odd".into() };
        ids.push(submit(store, new).await.id);
    }
    let page = |before, limit| JobFilter { before, limit, ..JobFilter::default() };
    let first: Vec<_> =
        store.list(scope, &page(None, 2)).await.unwrap().into_iter().map(|job| job.id).collect();
    assert_eq!(first, [ids[4], ids[3]]);
    let second: Vec<_> = store
        .list(scope, &page(Some(ids[3]), 2))
        .await
        .unwrap()
        .into_iter()
        .map(|job| job.id)
        .collect();
    assert_eq!(second, [ids[2], ids[1]]);
    let even = JobFilter { session_id: Some("even".into()), limit: 10, ..JobFilter::default() };
    assert_eq!(store.list(scope, &even).await.unwrap().len(), 3);
    store.cancel(scope, ids[0]).await.unwrap();
    let canceled = JobFilter { state: Some(JobState::Canceled), limit: 10, ..JobFilter::default() };
    let canceled: Vec<_> =
        store.list(scope, &canceled).await.unwrap().into_iter().map(|job| job.id).collect();
    assert_eq!(canceled, [ids[0]]);
    assert_eq!(store.active(100).await.unwrap().len(), 4);
}

pub async fn stats_report_success_rate_and_durations(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    for outcome in [succeeded(), succeeded(), succeeded(), failure(ErrorKind::Trap)] {
        submit(store, job(org)).await;
        let claimed = claim_one(store, LEASE).await;
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(complete(store, Lease::of(&claimed), outcome).await);
    }
    let stats = store.stats(Duration::from_secs(3600)).await.unwrap();
    assert_eq!(stats.len(), 1);
    let testing = &stats[0];
    assert_eq!(testing.artifact_type, "testing");
    assert_eq!(
        (testing.finished, testing.succeeded, testing.failed, testing.canceled),
        (4, 3, 1, 0)
    );
    assert!((testing.success_rate - 0.75).abs() < 1e-9);
    assert!(testing.p50_ms >= 15.0 && testing.p95_ms >= testing.p50_ms, "{testing:?}");
}

pub async fn api_keys_are_found_by_their_hash_only(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let (key, secret) = crate::ApiKey::generate(org, crate::KeyKind::Admin, Some("ci".into()));
    assert!(secret.starts_with(&key.prefix) && secret.len() == 69);
    store.add_api_key(&key, &crate::ApiKey::hash(&secret)).await.unwrap();
    assert_eq!(store.api_key(&crate::ApiKey::hash(&secret)).await.unwrap(), Some(key));
    assert!(store.api_key(&crate::ApiKey::hash("kiln_guess")).await.unwrap().is_none());
    let (_, other) = crate::ApiKey::generate(org, crate::KeyKind::Standard, None);
    assert_ne!(secret, other, "keys are random");
}

pub async fn submitted_details_are_stored_and_returned(store: Arc<dyn JobStore>) {
    let store = &*store;
    let org = org(store, "acme").await;
    let metadata =
        serde_json::json!({"customer": "c-42", "tags": ["q3", "draft"], "nested": {"n": 1.5}});
    let detailed = job(org)
        .with_display_name("Q3 report.xlsx")
        .with_metadata(metadata.clone())
        .with_callback_url("https://example.com/hooks/kiln")
        .with_idempotency_key("key-1");
    let created = submit(store, detailed.clone()).await;
    let stored = state(store, created.id).await;
    assert_eq!(stored, created, "submit returns the job as stored");
    assert_eq!(stored.display_name.as_deref(), Some("Q3 report.xlsx"));
    assert_eq!(stored.metadata, Some(metadata));
    assert_eq!(stored.callback_url.as_deref(), Some("https://example.com/hooks/kiln"));
    assert_eq!((stored.webhook_state, stored.webhook_attempts), (Some(WebhookState::Pending), 0));

    let plain = submit(store, job(org)).await;
    assert_eq!((plain.display_name, plain.metadata, plain.callback_url), (None, None, None));
    assert_eq!(plain.webhook_state, None, "no callback URL, no webhook");

    let again = store.submit(vec![detailed.clone()]).await.unwrap();
    assert_eq!(again, [Submitted::Existing(created.clone())]);
    let mut different = detailed;
    different.metadata = Some(serde_json::json!({"customer": "c-43"}));
    let conflict = store.submit(vec![different]).await.unwrap();
    let expected = Submitted::Conflict { key: "key-1".into(), existing: created.id };
    assert_eq!(conflict, [expected], "metadata is part of the request");
}

pub async fn artifacts_are_found_by_id_and_session_within_the_organisation(
    store: Arc<dyn JobStore>,
) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = org(store, "globex").await;
    let (acme_scope, globex_scope) = (Scope::Organisation(acme), Scope::Organisation(globex));
    let first = finished(store, job(acme), with_artifacts(&["a.txt", "b.txt"])).await.id;
    let second = finished(store, job(acme), with_artifacts(&["c.txt"])).await.id;
    let mut elsewhere = job(acme);
    elsewhere.session_id = "session-2".into();
    finished(store, elsewhere, with_artifacts(&["d.txt"])).await;
    finished(store, job(globex), with_artifacts(&["e.txt"])).await;
    let paths = |artifacts: &[kiln_core::Artifact]| {
        artifacts.iter().map(|a| a.path.clone()).collect::<Vec<_>>()
    };

    let session = store.session_artifacts(acme_scope, "session-1").await.unwrap();
    assert_eq!(
        paths(&session),
        ["a.txt", "b.txt", "c.txt"],
        "oldest first, only this session and organisation"
    );
    assert_eq!((session[0].job_id, session[2].job_id), (first, second));
    assert_eq!(
        paths(&store.session_artifacts(globex_scope, "session-1").await.unwrap()),
        ["e.txt"]
    );
    assert_eq!(store.session_artifacts(Scope::Operator, "session-1").await.unwrap().len(), 4);

    let b = session[1].clone();
    assert_eq!(store.artifact(acme_scope, b.id).await.unwrap(), Some(b.clone()));
    assert!(store.artifact(globex_scope, b.id).await.unwrap().is_none());
    assert!(store.delete_artifact(globex_scope, b.id).await.unwrap().is_none());
    assert!(
        store.artifact(acme_scope, b.id).await.unwrap().is_some(),
        "another organisation cannot delete it"
    );

    assert_eq!(store.delete_artifact(acme_scope, b.id).await.unwrap(), Some(b.clone()));
    assert!(store.artifact(acme_scope, b.id).await.unwrap().is_none());
    assert!(store.delete_artifact(acme_scope, b.id).await.unwrap().is_none(), "deleted once");
    assert_eq!(paths(&store.artifacts(acme_scope, first).await.unwrap()), ["a.txt"]);
}

pub async fn assets_are_scoped_and_expire(store: Arc<dyn JobStore>) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = org(store, "globex").await;
    let asset = |org: OrgId, expires_in: chrono::Duration| {
        let id = Uuid::now_v7();
        let created_at = stored_now();
        Asset {
            id,
            organisation_id: org,
            filename: Some("logo.png".into()),
            media_type: "image/png".into(),
            size: 3,
            sha256: "ab".repeat(32),
            storage_key: format!("orgs/{org}/assets/{id}"),
            created_at,
            expires_at: created_at + expires_in,
        }
    };
    let live = asset(acme, chrono::Duration::hours(1));
    let mut unnamed = asset(globex, chrono::Duration::hours(1));
    unnamed.filename = None;
    let older = asset(acme, chrono::Duration::seconds(-2));
    let expired = asset(acme, chrono::Duration::seconds(-1));
    for asset in [&live, &unnamed, &expired, &older] {
        store.add_asset(asset).await.unwrap();
    }
    let all = [live.id, unnamed.id, expired.id, older.id];

    let visible = store.assets(Scope::Organisation(acme), &all).await.unwrap();
    assert_eq!(visible, slice::from_ref(&live), "live and own only");
    assert_eq!(store.assets(Scope::Organisation(globex), &all).await.unwrap(), [unnamed.clone()]);
    assert!(store.assets(Scope::Organisation(globex), &[live.id]).await.unwrap().is_empty());
    assert_eq!(
        store.assets(Scope::Operator, &[live.id, expired.id]).await.unwrap(),
        slice::from_ref(&live)
    );

    assert_eq!(
        store.expired_assets(10).await.unwrap(),
        [older.clone(), expired.clone()],
        "oldest expiry first"
    );
    assert_eq!(store.expired_assets(1).await.unwrap(), slice::from_ref(&older));
    assert_eq!(store.delete_assets(&[older.id, expired.id]).await.unwrap(), 2);
    assert!(store.expired_assets(10).await.unwrap().is_empty());
    assert_eq!(store.assets(Scope::Organisation(acme), &[live.id]).await.unwrap(), [live]);
}

pub async fn webhooks_are_claimed_once_and_fenced(store: Arc<dyn JobStore>) {
    let store = &*store;
    let acme = org(store, "acme").await;
    let globex = org(store, "globex").await;
    let url = "https://example.com/hooks/kiln";
    // Never due, so the claims below cannot take it; it has not finished.
    submit(
        store,
        job(acme).with_callback_url(url).with_run_at(Utc::now() + chrono::Duration::hours(1)),
    )
    .await;
    let hooked = finished(store, job(acme).with_callback_url(url), succeeded()).await;
    finished(store, job(acme), succeeded()).await;
    assert_eq!((hooked.webhook_state, hooked.webhook_attempts), (Some(WebhookState::Pending), 0));

    let claimed = store.claim_webhooks(10, LEASE).await.unwrap();
    let ids = |jobs: &[kiln_core::Job]| jobs.iter().map(|job| job.id).collect::<Vec<_>>();
    assert_eq!(ids(&claimed), [hooked.id], "only finished jobs with a callback URL");
    assert_eq!(claimed[0].webhook_attempts, 1);
    assert!(
        store.claim_webhooks(10, LEASE).await.unwrap().is_empty(),
        "the claim's lease holds it"
    );

    let try_at = |attempt, status, error: Option<&str>| WebhookDelivery {
        job_id: hooked.id,
        attempt,
        url: url.into(),
        status,
        error: error.map(Into::into),
        duration_ms: 12.5,
        created_at: stored_now(),
    };
    let first = try_at(1, Some(503), Some("503 Service Unavailable"));
    let retry_at = Utc::now() - chrono::Duration::seconds(1);
    assert!(store.record_delivery(&first, WebhookNext::RetryAt(retry_at)).await.unwrap());
    assert_eq!(state(store, hooked.id).await.webhook_state, Some(WebhookState::Pending));

    let again = store.claim_webhooks(10, LEASE).await.unwrap();
    assert_eq!(ids(&again), [hooked.id], "due again at the retry time");
    assert_eq!(again[0].webhook_attempts, 2);
    assert!(
        !store.record_delivery(&first, WebhookNext::Delivered).await.unwrap(),
        "a stale try is fenced off"
    );
    assert_eq!(state(store, hooked.id).await.webhook_state, Some(WebhookState::Pending));

    let second = try_at(2, Some(204), None);
    assert!(store.record_delivery(&second, WebhookNext::Delivered).await.unwrap());
    let delivered = state(store, hooked.id).await;
    assert_eq!(
        (delivered.webhook_state, delivered.webhook_attempts),
        (Some(WebhookState::Delivered), 2)
    );
    assert!(
        !store.record_delivery(&second, WebhookNext::GiveUp).await.unwrap(),
        "a delivered webhook stays so"
    );
    assert!(store.claim_webhooks(10, Duration::ZERO).await.unwrap().is_empty());

    assert_eq!(
        store.deliveries(Scope::Organisation(acme), hooked.id).await.unwrap(),
        [first, second]
    );
    assert!(store.deliveries(Scope::Organisation(globex), hooked.id).await.unwrap().is_empty());
}

pub async fn webhook_secret_is_made_once_per_organisation(store: Arc<dyn JobStore>) {
    let acme = org(&*store, "acme").await;
    let globex = org(&*store, "globex").await;
    let secret = store.webhook_secret(acme).await.unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() == 6 + 64, "{secret}");
    assert_eq!(store.webhook_secret(acme).await.unwrap(), secret);
    assert_ne!(store.webhook_secret(globex).await.unwrap(), secret);

    let initech = org(&*store, "initech").await;
    let racers: Vec<_> = (0..8)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move { store.webhook_secret(initech).await.unwrap() })
        })
        .collect();
    let mut secrets = Vec::new();
    for racer in racers {
        secrets.push(racer.await.unwrap());
    }
    assert!(
        secrets.windows(2).all(|pair| pair[0] == pair[1]),
        "racing first uses agree on one secret"
    );
}

/// Waits for a [`Notice::Plugins`], failing after 5 s.
async fn plugins_notice(notices: &mut tokio::sync::broadcast::Receiver<Notice>) {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), notices.recv())
            .await
            .expect("a plugins notice within 5 s")
        {
            Ok(Notice::Plugins) => return,
            Ok(_) | Err(RecvError::Lagged(_)) => {}
            Err(RecvError::Closed) => panic!("notice channel closed"),
        }
    }
}

fn plugin_version(sha: char, name: &str, version: &str) -> NewPluginVersion {
    NewPluginVersion {
        sha256: sha.to_string().repeat(64),
        name: name.into(),
        version: version.into(),
        artifact_type: "card".into(),
        size_bytes: 1234,
        builtin: false,
        registered_by: "key-1".into(),
    }
}

pub async fn plugin_versions_are_registered_once_by_their_bytes(store: Arc<dyn JobStore>) {
    let v1 = plugin_version('a', "cards", "1.0.0");
    let Registration::Registered(first) = store.register_plugin(&v1).await.unwrap() else {
        panic!("a new version is registered");
    };
    assert_eq!(
        (first.name.as_str(), first.version.as_str(), first.size_bytes),
        ("cards", "1.0.0", 1234)
    );
    assert!(!first.builtin);
    assert_eq!(
        store.register_plugin(&v1).await.unwrap(),
        Registration::Registered(first.clone()),
        "the same bytes again are the same record"
    );
    let changed = plugin_version('b', "cards", "1.0.0");
    assert_eq!(
        store.register_plugin(&changed).await.unwrap(),
        Registration::VersionTaken(first.clone()),
        "other bytes under a registered name and version are refused"
    );
    let builtin = |sha| NewPluginVersion {
        builtin: true,
        registered_by: "builtin".into(),
        artifact_type: "xlsx".into(),
        ..plugin_version(sha, "xlsx", "0.1.0")
    };
    let (build_1, build_2) = (builtin('c'), builtin('d'));
    for build in [&build_1, &build_2] {
        let registered = store.register_plugin(build).await.unwrap();
        assert!(
            matches!(registered, Registration::Registered(ref v) if v.sha256 == build.sha256 && v.builtin),
            "a rebuilt built-in keeps its version: {registered:?}"
        );
    }
    let versions = store.plugin_versions().await.unwrap();
    let listed: Vec<_> =
        versions.iter().map(|v| (v.artifact_type.as_str(), v.sha256.as_str(), v.builtin)).collect();
    assert_eq!(
        listed,
        [
            ("card", first.sha256.as_str(), false),
            ("xlsx", build_1.sha256.as_str(), true),
            ("xlsx", build_2.sha256.as_str(), true)
        ]
    );
    assert!(store.active_plugins().await.unwrap().is_empty(), "registering activates nothing");
}

pub async fn activations_roll_back_one_version_at_a_time(store: Arc<dyn JobStore>) {
    let mut notices = store.subscribe();
    for (sha, version) in [('a', "1.0.0"), ('b', "2.0.0"), ('c', "3.0.0")] {
        store.register_plugin(&plugin_version(sha, "cards", version)).await.unwrap();
    }
    let other =
        NewPluginVersion { artifact_type: "xlsx".into(), ..plugin_version('d', "xlsx", "0.1.0") };
    store.register_plugin(&other).await.unwrap();
    assert_eq!(store.roll_back_plugin("card").await.unwrap(), Rollback::NothingEarlier);
    assert_eq!(
        store.activate_plugin(&"e".repeat(64), "key-1").await.unwrap(),
        None,
        "unknown version"
    );

    let versions = |active: Vec<ActivePlugin>| -> Vec<(String, String)> {
        active.into_iter().map(|a| (a.plugin.artifact_type, a.plugin.version)).collect()
    };
    let activated = store.activate_plugin(&"a".repeat(64), "key-1").await.unwrap().unwrap();
    assert_eq!(
        (activated.plugin.version.as_str(), activated.activated_by.as_str()),
        ("1.0.0", "key-1")
    );
    plugins_notice(&mut notices).await;
    store.activate_plugin(&"d".repeat(64), "key-2").await.unwrap().unwrap();
    store.activate_plugin(&"b".repeat(64), "key-1").await.unwrap().unwrap();
    store.activate_plugin(&"c".repeat(64), "key-1").await.unwrap().unwrap();
    let card = |v: &str| ("card".to_owned(), v.to_owned());
    let xlsx = ("xlsx".to_owned(), "0.1.0".to_owned());
    assert_eq!(versions(store.active_plugins().await.unwrap()), [card("3.0.0"), xlsx.clone()]);

    let mut notices = store.subscribe();
    let Rollback::RolledBack(back) = store.roll_back_plugin("card").await.unwrap() else {
        panic!("3.0.0 rolls back to 2.0.0");
    };
    assert_eq!(back.plugin.version, "2.0.0");
    plugins_notice(&mut notices).await;
    store.roll_back_plugin("card").await.unwrap();
    assert_eq!(versions(store.active_plugins().await.unwrap()), [card("1.0.0"), xlsx.clone()]);
    assert_eq!(store.roll_back_plugin("card").await.unwrap(), Rollback::NothingEarlier);
    assert_eq!(versions(store.active_plugins().await.unwrap()), [card("1.0.0"), xlsx.clone()]);

    // Activating again after rollbacks starts from the version serving now.
    store.activate_plugin(&"c".repeat(64), "key-1").await.unwrap().unwrap();
    store.roll_back_plugin("card").await.unwrap();
    assert_eq!(versions(store.active_plugins().await.unwrap()), [card("1.0.0"), xlsx]);
}

pub async fn compiled_plugins_are_recorded_per_engine(store: Arc<dyn JobStore>) {
    let sha = "a".repeat(64);
    store.register_plugin(&plugin_version('a', "cards", "1.0.0")).await.unwrap();
    assert_eq!(store.compiled_plugin("engine-1", &sha).await.unwrap(), None);
    store.record_compiled_plugin("engine-1", &sha, "c1").await.unwrap();
    store.record_compiled_plugin("engine-2", &sha, "c2").await.unwrap();
    store.record_compiled_plugin("engine-1", &sha, "c3").await.unwrap();
    assert_eq!(store.compiled_plugin("engine-1", &sha).await.unwrap().as_deref(), Some("c3"));
    assert_eq!(store.compiled_plugin("engine-2", &sha).await.unwrap().as_deref(), Some("c2"));
}

pub async fn plugins_are_turned_off_and_on(store: Arc<dyn JobStore>) {
    assert!(store.disabled_plugins().await.unwrap().is_empty());
    let mut notices = store.subscribe();
    store.set_plugin_enabled("xlsx", false).await.unwrap();
    plugins_notice(&mut notices).await;
    store.set_plugin_enabled("pdf", false).await.unwrap();
    store.set_plugin_enabled("pdf", false).await.unwrap();
    assert_eq!(store.disabled_plugins().await.unwrap(), ["pdf", "xlsx"]);
    store.set_plugin_enabled("xlsx", true).await.unwrap();
    store.set_plugin_enabled("docx", true).await.unwrap();
    assert_eq!(store.disabled_plugins().await.unwrap(), ["pdf"]);
}
