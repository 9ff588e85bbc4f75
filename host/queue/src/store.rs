//! The store's contract, one trait per topic. [`JobStore`] is all of them:
//! what a process holds and what every implementation passes the
//! conformance suite (`testsuite`) for. Each operation is a named
//! transition guarded by the current state of what it changes.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kiln_core::{
    Artifact, ArtifactId, Asset, AssetId, Job, JobEvent, JobId, LogEntry, OrgId, Progress,
    WebhookDelivery,
};
use tokio::sync::broadcast;

use crate::Result;
use crate::model::{
    ApiKey, Completion, ExpiredJob, JobFilter, Lease, LeaseStatus, NewJob, Notice, Organisation,
    Scope, Submitted, TypeStats, WebhookNext,
};
use crate::registry::{ActivePlugin, NewPluginVersion, PluginVersion, Registration, Rollback};

/// Durable jobs and what belongs to them. Implementations:
/// [`crate::PostgresStore`] (production) and [`crate::SqliteStore`] (the
/// embedded default). SQL lives only in their modules and in `reads`, the
/// reads both dialects share.
///
/// Every write that changes a job also stores an event, in the same
/// transaction, and publishes a [`Notice`] once it commits.
#[async_trait]
pub trait JobStore:
    JobLifecycle + JobReads + Tenancy + FileIndex + WebhookQueue + PluginState + Send + Sync + 'static
{
    /// Applies pending migrations. Safe to run from several processes at once.
    async fn migrate(&self) -> Result<()>;

    /// Checks the database answers (for readiness probes).
    async fn ping(&self) -> Result<()>;

    /// Live notices of stored events, from now on.
    fn subscribe(&self) -> broadcast::Receiver<Notice>;
}

/// A job's way through the queue: submitted, claimed under a lease, ended,
/// rescued when its worker vanishes, and deleted once past retention. Each
/// operation is a transition guarded by the job's current state.
#[async_trait]
pub trait JobLifecycle: Send + Sync {
    /// Queues jobs, all in one transaction; one result per job, in order.
    /// Callers submitting at the same moment share that transaction (group
    /// commit: one commit for all of them), but each gets only its own
    /// results, and jobs the database refuses fail only their own caller.
    async fn submit(&self, jobs: Vec<NewJob>) -> Result<Vec<Submitted>>;

    /// Claims up to `max` due jobs for `worker`: highest priority first, then
    /// oldest `run_at`. Each becomes `running` with its attempt incremented
    /// and a lease of `lease`. Never hands one job to two workers.
    async fn claim(&self, worker: &str, max: usize, lease: Duration) -> Result<Vec<Job>>;

    /// Claims the job `id` for `worker` as [`JobLifecycle::claim`] would, even if
    /// it is not due yet: someone asked for this job to run now. `None`
    /// unless it is `queued`.
    async fn claim_job(&self, worker: &str, id: JobId, lease: Duration) -> Result<Option<Job>>;

    /// Extends the leases still held by `leases`' attempts, and says for each
    /// whether to carry on, stop for a cancel, or drop it.
    async fn heartbeat(&self, leases: &[Lease], lease: Duration) -> Result<Vec<LeaseStatus>>;

    /// Records progress of a held lease; `false` if the lease is no longer held.
    async fn progress(&self, lease: Lease, progress: &Progress) -> Result<bool>;

    /// Ends runs, all in one transaction; `true` for each completion that
    /// applied, `false` for a lease no longer held (nothing changes then,
    /// artifacts included). A retryable failure with attempts left goes back
    /// to `queued` after the store's backoff. An infrastructure failure
    /// ([`ErrorKind::is_infrastructure`](kiln_core::ErrorKind::is_infrastructure))
    /// does not count toward the job's `max_attempts`; it spends from
    /// [`QueueConfig::max_excused_attempts`](crate::QueueConfig::max_excused_attempts).
    async fn complete(&self, completions: Vec<Completion>) -> Result<Vec<bool>>;

    /// Puts held jobs back in the queue, due now, without counting the
    /// attempt toward `max_attempts` (a worker shutting down before they
    /// finished).
    async fn release(&self, leases: &[Lease]) -> Result<()>;

    /// Cancels a job: a queued one ends `canceled` at once; a running one is
    /// marked, and its worker stops it and completes it as canceled. A
    /// finished job is returned unchanged. `None` if the scope cannot see it.
    async fn cancel(&self, scope: Scope, id: JobId) -> Result<Option<Job>>;

    /// Re-queues (with backoff) or fails the running jobs whose lease has
    /// expired, and cancels those marked for cancel. Returns how many.
    async fn rescue(&self) -> Result<u64>;

    /// Up to `limit` finished jobs that finished more than `age` ago, oldest first.
    async fn expired(&self, age: Duration, limit: usize) -> Result<Vec<ExpiredJob>>;

    /// Deletes finished jobs with their events, logs and artifact rows
    /// (delete their blobs first). Unfinished jobs are never deleted.
    async fn delete_finished(&self, ids: &[JobId]) -> Result<u64>;
}

/// Jobs as callers see them: one, a page, their events and log, and the
/// queue as ops see it.
#[async_trait]
pub trait JobReads: Send + Sync {
    async fn get(&self, scope: Scope, id: JobId) -> Result<Option<Job>>;

    /// Jobs newest first, filtered and paged.
    async fn list(&self, scope: Scope, filter: &JobFilter) -> Result<Vec<Job>>;

    /// The job's events with ids above `after`, in order (empty if the scope
    /// cannot see the job).
    async fn events(&self, scope: Scope, id: JobId, after: i64) -> Result<Vec<JobEvent>>;

    /// The plugin's log of the job's last run.
    async fn log(&self, scope: Scope, job: JobId) -> Result<Vec<LogEntry>>;

    /// Queued and running jobs of every organisation, oldest first (for ops).
    async fn active(&self, limit: u32) -> Result<Vec<Job>>;

    /// Per artifact type: jobs finished in the last `window`, success rate
    /// and run-time percentiles (for ops).
    async fn stats(&self, window: Duration) -> Result<Vec<TypeStats>>;

    /// When the earliest queued job becomes due, so an idle worker knows
    /// when to look again.
    async fn next_due(&self) -> Result<Option<DateTime<Utc>>>;
}

/// Organisations and the API keys that act for them.
#[async_trait]
pub trait Tenancy: Send + Sync {
    /// The organisation with this name, created if it does not exist.
    async fn organisation(&self, name: &str) -> Result<Organisation>;

    /// Stores a key made by [`ApiKey::generate`], by the hash of its secret.
    async fn add_api_key(&self, key: &ApiKey, hash: &[u8]) -> Result<()>;

    /// The unrevoked key whose secret has this hash.
    async fn api_key(&self, hash: &[u8]) -> Result<Option<ApiKey>>;
}

/// The rows that index stored blobs: artifacts jobs made and assets users
/// uploaded. Blobs themselves live in the blob store.
#[async_trait]
pub trait FileIndex: Send + Sync {
    /// The artifacts of a succeeded job.
    async fn artifacts(&self, scope: Scope, job: JobId) -> Result<Vec<Artifact>>;

    /// The artifact, if the scope can see it.
    async fn artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>>;

    /// A session's artifacts, oldest first.
    async fn session_artifacts(&self, scope: Scope, session: &str) -> Result<Vec<Artifact>>;

    /// Deletes an artifact's row and returns it (delete its blob next);
    /// `None` if the scope cannot see it.
    async fn delete_artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>>;

    /// Takes on making an artifact's previews: true for the first caller
    /// only, so that of the servers following the same jobs, one makes
    /// them. False for an artifact that is gone.
    async fn claim_previews(&self, id: ArtifactId) -> Result<bool>;

    /// Stores an uploaded asset's row (its blob is already stored).
    async fn add_asset(&self, asset: &Asset) -> Result<()>;

    /// The unexpired assets among `ids` that the scope can see, in any order.
    async fn assets(&self, scope: Scope, ids: &[AssetId]) -> Result<Vec<Asset>>;

    /// Up to `limit` assets past their expiry, oldest first.
    async fn expired_assets(&self, limit: usize) -> Result<Vec<Asset>>;

    /// Deletes asset rows (delete their blobs first).
    async fn delete_assets(&self, ids: &[AssetId]) -> Result<u64>;
}

/// Webhooks owed for finished jobs: claimed by one sender at a time, each
/// try recorded and fenced by its attempt.
#[async_trait]
pub trait WebhookQueue: Send + Sync {
    /// The organisation's webhook signing secret, made on first use.
    async fn webhook_secret(&self, organisation: OrgId) -> Result<String>;

    /// Claims up to `max` finished jobs whose webhook is due, oldest first:
    /// each one's `webhook_attempts` is incremented (the returned job holds
    /// the new count, the try's fencing token) and its next try pushed
    /// `lease` ahead, so no other sender takes it meanwhile.
    async fn claim_webhooks(&self, max: usize, lease: Duration) -> Result<Vec<Job>>;

    /// Records one try and what follows it. `false`, and nothing changes,
    /// if `delivery.attempt` is no longer the job's latest try.
    async fn record_delivery(&self, delivery: &WebhookDelivery, next: WebhookNext) -> Result<bool>;

    /// A job's webhook tries, oldest first (empty if the scope cannot see it).
    async fn deliveries(&self, scope: Scope, job: JobId) -> Result<Vec<WebhookDelivery>>;
}

/// Which plugin versions exist, which one serves each artifact type, which
/// types are turned off, and what each version compiled to.
#[async_trait]
pub trait PluginState: Send + Sync {
    /// Turns an artifact type off (new jobs for it are refused) or back on,
    /// and publishes [`Notice::Plugins`].
    async fn set_plugin_enabled(&self, artifact_type: &str, enabled: bool) -> Result<()>;

    /// The artifact types turned off, sorted.
    async fn disabled_plugins(&self) -> Result<Vec<String>>;

    /// Registers a plugin version, once: the same bytes again return the
    /// stored record; an uploaded `name` `version` already uploaded with
    /// other bytes is [`Registration::VersionTaken`] and nothing changes (a
    /// rebuilt built-in may keep its version).
    async fn register_plugin(&self, plugin: &NewPluginVersion) -> Result<Registration>;

    /// Every registered version, by artifact type, oldest first.
    async fn plugin_versions(&self) -> Result<Vec<PluginVersion>>;

    /// Makes the version with this sha256 serve its artifact type, and
    /// publishes [`Notice::Plugins`]. `None` if no such version is registered.
    async fn activate_plugin(&self, sha256: &str, by: &str) -> Result<Option<ActivePlugin>>;

    /// Restores the version that served `artifact_type` before the current
    /// one, and publishes [`Notice::Plugins`].
    async fn roll_back_plugin(&self, artifact_type: &str) -> Result<Rollback>;

    /// The version serving each artifact type that has one, by type.
    async fn active_plugins(&self) -> Result<Vec<ActivePlugin>>;

    /// Records the sha256 of the code compiled from component `sha256` for
    /// `engine` (replacing an earlier record).
    async fn record_compiled_plugin(
        &self,
        engine: &str,
        sha256: &str,
        compiled_sha256: &str,
    ) -> Result<()>;

    /// The recorded sha256 of the code compiled from `sha256` for `engine`.
    async fn compiled_plugin(&self, engine: &str, sha256: &str) -> Result<Option<String>>;
}
