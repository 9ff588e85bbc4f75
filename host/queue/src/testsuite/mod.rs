//! The conformance suite every [`JobStore`] must pass, one module per
//! topic of the store's contract. Each check is a function taking a fresh
//! store; [`conformance_tests!`](crate::conformance_tests) turns them into
//! one test each for a backend's factory.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use kiln_core::{ErrorKind, EventKind, JobError, OrgId};

use crate::{
    Completion, JobOutcome, JobStore, Lease, NewArtifact, NewJob, QueueConfig, RetryPolicy, Scope,
    Submitted,
};

mod files;
mod lifecycle;
mod plugins;
mod reads;
mod tenancy;
mod webhooks;

pub use files::*;
pub use lifecycle::*;
pub use plugins::*;
pub use reads::*;
pub use tenancy::*;
pub use webhooks::*;

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
            // lifecycle.rs
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
            concurrent_submits_each_get_their_own_answer,
            higher_priority_is_claimed_first,
            delayed_job_waits_for_run_at,
            a_named_job_is_claimed_once_even_before_it_is_due,
            release_puts_jobs_back_due_now,
            retention_deletes_only_old_finished_jobs,
            artifacts_and_log_are_stored_once_with_success,
            writes_cut_short_leave_the_store_usable,
            // reads.rs
            reads_are_scoped_to_the_organisation,
            events_replay_in_order_and_are_published_live,
            list_pages_newest_first_with_filters,
            stats_report_success_rate_and_durations,
            submitted_details_are_stored_and_returned,
            // tenancy.rs
            api_keys_are_found_by_their_hash_only,
            // files.rs
            artifacts_are_found_by_id_and_session_within_the_organisation,
            previews_are_claimed_once,
            assets_are_scoped_and_expire,
            // webhooks.rs
            webhooks_are_claimed_once_and_fenced,
            webhook_secret_is_made_once_per_organisation,
            // plugins.rs
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
