//! What callers hand the store and what it hands back, beyond the stored
//! types of `kiln-core`.

use chrono::{DateTime, Utc};
use kiln_core::{
    AssetRef, ErrorKind, EventKind, Job, JobError, JobId, JobState, LogEntry, OrgId, PluginRef,
    Progress, UsageReport, WebhookState,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// Whose objects a read may see. The HTTP API only ever builds
/// [`Scope::Organisation`]; [`Scope::Operator`] is for the ops CLI, which
/// runs with the database's own credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Organisation(OrgId),
    Operator,
}

impl Scope {
    /// The organisation to filter by, if any.
    pub fn organisation(self) -> Option<OrgId> {
        match self {
            Self::Organisation(id) => Some(id),
            Self::Operator => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: OrgId,
    pub name: String,
}

/// What an API key may do: `standard` keys use the `/v1` API within their
/// organisation; `admin` keys may also administer plugins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyKind {
    Standard,
    Admin,
}

impl KeyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Admin => "admin",
        }
    }
}

/// An API key as stored: never the key itself, only its hash and a prefix
/// that lets people tell their keys apart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiKey {
    pub id: uuid::Uuid,
    pub organisation_id: OrgId,
    pub kind: KeyKind,
    /// The key's first characters, e.g. `kiln_3fa9c1e`.
    pub prefix: String,
    pub label: Option<String>,
}

impl ApiKey {
    /// A new random key: the record to store and the key to show once.
    pub fn generate(
        organisation_id: OrgId,
        kind: KeyKind,
        label: Option<String>,
    ) -> (Self, String) {
        use rand::RngExt;
        let secret = format!("kiln_{}", hex::encode(rand::rng().random::<[u8; 32]>()));
        let key = Self {
            id: uuid::Uuid::now_v7(),
            organisation_id,
            kind,
            prefix: secret[..12].to_owned(),
            label,
        };
        (key, secret)
    }

    /// What is stored and looked up instead of the key.
    pub fn hash(secret: &str) -> Vec<u8> {
        Sha256::digest(secret.as_bytes()).to_vec()
    }
}

/// A job to submit. Build with [`NewJob::new`] and the `with_` methods.
#[derive(Debug, Clone, PartialEq)]
pub struct NewJob {
    pub organisation_id: OrgId,
    pub session_id: String,
    pub conversation_id: Option<String>,
    pub artifact_type: String,
    pub spec: serde_json::Value,
    pub assets: Vec<AssetRef>,
    /// Higher runs first; 0 by default.
    pub priority: i16,
    pub max_attempts: i32,
    /// Not claimed before this time; `None` means now.
    pub run_at: Option<DateTime<Utc>>,
    /// Unique per organisation: submitting the same key again returns the
    /// first job if the request is the same, and a conflict if it is not.
    pub idempotency_key: Option<String>,
    pub display_name: Option<String>,
    pub metadata: Option<serde_json::Value>,
    /// POSTed the finished job; its webhook starts `pending`.
    pub callback_url: Option<String>,
}

/// Attempts a job gets by default: the first run and two retries.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 3;

impl NewJob {
    pub fn new(
        organisation_id: OrgId,
        session_id: &str,
        artifact_type: &str,
        spec: serde_json::Value,
    ) -> Self {
        Self {
            organisation_id,
            session_id: session_id.to_owned(),
            conversation_id: None,
            artifact_type: artifact_type.to_owned(),
            spec,
            assets: Vec::new(),
            priority: 0,
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            run_at: None,
            idempotency_key: None,
            display_name: None,
            metadata: None,
            callback_url: None,
        }
    }

    pub fn with_priority(mut self, priority: i16) -> Self {
        self.priority = priority;
        self
    }

    pub fn with_run_at(mut self, run_at: DateTime<Utc>) -> Self {
        self.run_at = Some(run_at);
        self
    }

    pub fn with_max_attempts(mut self, max_attempts: i32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    pub fn with_idempotency_key(mut self, key: &str) -> Self {
        self.idempotency_key = Some(key.to_owned());
        self
    }

    pub fn with_display_name(mut self, name: &str) -> Self {
        self.display_name = Some(name.to_owned());
        self
    }

    pub fn with_metadata(mut self, metadata: serde_json::Value) -> Self {
        self.metadata = Some(metadata);
        self
    }

    pub fn with_callback_url(mut self, url: &str) -> Self {
        self.callback_url = Some(url.to_owned());
        self
    }

    /// What makes two submissions "the same request" for idempotency: every
    /// field the caller chose, except the key itself.
    pub(crate) fn request_hash(&self) -> String {
        let canonical = serde_json::json!([
            self.session_id,
            self.conversation_id,
            self.artifact_type,
            self.spec,
            self.assets,
            self.priority,
            self.max_attempts,
            self.run_at,
            self.display_name,
            self.metadata,
            self.callback_url,
        ]);
        hex::encode(Sha256::digest(canonical.to_string()))
    }
}

/// A new webhook signing secret, for an organisation that has none yet.
pub(crate) fn new_webhook_secret() -> String {
    use rand::RngExt;
    format!("whsec_{}", hex::encode(rand::rng().random::<[u8; 32]>()))
}

/// What follows one webhook try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookNext {
    Delivered,
    /// Try again at this time.
    RetryAt(DateTime<Utc>),
    /// No more tries; the webhook ends `failed`.
    GiveUp,
}

impl WebhookNext {
    /// The job's webhook state after this.
    pub(crate) fn state(self) -> WebhookState {
        match self {
            Self::Delivered => WebhookState::Delivered,
            Self::RetryAt(_) => WebhookState::Pending,
            Self::GiveUp => WebhookState::Failed,
        }
    }

    /// When the next try is due, if there is one.
    pub(crate) fn retry_at(self) -> Option<DateTime<Utc>> {
        match self {
            Self::RetryAt(at) => Some(at),
            Self::Delivered | Self::GiveUp => None,
        }
    }
}

/// What became of one submitted job.
#[derive(Debug, Clone, PartialEq)]
pub enum Submitted {
    Created(Job),
    /// The idempotency key was used before for the same request.
    Existing(Job),
    /// The idempotency key was used before for a different request.
    Conflict {
        key: String,
        existing: JobId,
    },
}

impl Submitted {
    pub fn job(&self) -> Option<&Job> {
        match self {
            Self::Created(job) | Self::Existing(job) => Some(job),
            Self::Conflict { .. } => None,
        }
    }
}

/// A worker's hold on a job: the id and the attempt it claimed. The attempt
/// is the fencing token: once the job has been claimed again, an older
/// lease changes nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Lease {
    pub job_id: JobId,
    pub attempt: i32,
}

impl Lease {
    pub fn of(job: &Job) -> Self {
        Self { job_id: job.id, attempt: job.attempt }
    }
}

/// What a heartbeat learned about one lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaseStatus {
    /// Extended; carry on.
    Held,
    /// Extended, and someone asked to cancel the job: stop it and complete
    /// it as canceled.
    CancelRequested,
    /// The job was rescued, re-claimed or finished by someone else: stop
    /// working on it, and do not complete it.
    Lost,
}

/// A file a run produced, already written to the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArtifact {
    pub path: String,
    pub media_type: String,
    pub size: u64,
    pub sha256: String,
    pub storage_key: String,
}

/// How a claimed job ended, as its worker reports it.
#[derive(Debug, Clone, PartialEq)]
pub enum JobOutcome {
    Succeeded {
        artifacts: Vec<NewArtifact>,
    },
    /// Retried with backoff when the error kind is retryable, attempts are
    /// left and nobody asked to cancel; otherwise final.
    Failed(JobError),
    Canceled,
}

/// One finished run, fenced by its lease. Build with [`Completion::new`].
#[derive(Debug, Clone, PartialEq)]
pub struct Completion {
    pub lease: Lease,
    pub outcome: JobOutcome,
    pub plugin: Option<PluginRef>,
    pub usage: Option<UsageReport>,
    pub log: Vec<LogEntry>,
    /// The run's last progress, stored with the outcome, so a short run
    /// needs no progress write of its own.
    pub progress: Option<Progress>,
    /// The job's attempt counters as claimed. Nothing changes them while
    /// the lease is held, so the retry decision is made from them.
    pub(crate) max_attempts: i32,
    pub(crate) excused_attempts: i32,
}

impl Completion {
    /// How the run `job` was claimed for ended.
    pub fn new(job: &Job, outcome: JobOutcome) -> Self {
        Self {
            lease: Lease::of(job),
            outcome,
            plugin: None,
            usage: None,
            log: Vec::new(),
            progress: None,
            max_attempts: job.max_attempts,
            excused_attempts: job.excused_attempts,
        }
    }

    /// The state this completion asks for, before the retry decision.
    pub(crate) fn state(&self) -> JobState {
        match self.outcome {
            JobOutcome::Succeeded { .. } => JobState::Succeeded,
            JobOutcome::Failed(_) => JobState::Failed,
            JobOutcome::Canceled => JobState::Canceled,
        }
    }

    pub(crate) fn error(&self) -> Option<&JobError> {
        match &self.outcome {
            JobOutcome::Failed(error) => Some(error),
            _ => None,
        }
    }

    pub(crate) fn retryable(&self) -> bool {
        self.error().is_some_and(|error| error.kind.is_retryable())
    }

    /// Whether this run ended through no fault of the job, so it does not
    /// count toward the job's `max_attempts`.
    pub(crate) fn excused(&self) -> bool {
        self.error().is_some_and(|error| error.kind.is_infrastructure())
    }

    pub(crate) fn artifacts(&self) -> &[NewArtifact] {
        match &self.outcome {
            JobOutcome::Succeeded { artifacts } => artifacts,
            _ => &[],
        }
    }
}

/// Which jobs [`crate::JobReads::list`] returns, newest first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobFilter {
    pub session_id: Option<String>,
    pub state: Option<JobState>,
    /// Only jobs older than this one (the previous page's last id).
    pub before: Option<JobId>,
    /// At most this many; capped at [`JobFilter::MAX_LIMIT`].
    pub limit: u32,
}

impl JobFilter {
    pub const MAX_LIMIT: u32 = 1000;

    pub(crate) fn limit(&self) -> i64 {
        i64::from(self.limit.clamp(1, Self::MAX_LIMIT))
    }
}

/// A finished job past its retention age, with what locates its blobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredJob {
    pub id: JobId,
    pub organisation_id: OrgId,
    pub session_id: String,
}

/// Outcomes of one artifact type over a window, for ops.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypeStats {
    pub artifact_type: String,
    /// Jobs that finished in the window.
    pub finished: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub canceled: u64,
    /// Succeeded ÷ finished.
    pub success_rate: f64,
    /// Run time of finished jobs (started → finished), milliseconds.
    pub p50_ms: f64,
    pub p95_ms: f64,
}

impl TypeStats {
    /// Builds the figures from finished jobs' (state, duration in ms),
    /// durations sorted ascending.
    pub(crate) fn from_finished(
        artifact_type: String,
        states: &[JobState],
        sorted_ms: &[f64],
    ) -> Self {
        let count =
            |wanted: JobState| states.iter().filter(|state| **state == wanted).count() as u64;
        let finished = states.len() as u64;
        let succeeded = count(JobState::Succeeded);
        Self {
            artifact_type,
            finished,
            succeeded,
            failed: count(JobState::Failed),
            canceled: count(JobState::Canceled),
            success_rate: if finished == 0 { 0.0 } else { succeeded as f64 / finished as f64 },
            p50_ms: percentile(sorted_ms, 0.50),
            p95_ms: percentile(sorted_ms, 0.95),
        }
    }
}

/// Linear interpolation between closest ranks, as PostgreSQL's `percentile_cont`.
fn percentile(sorted: &[f64], fraction: f64) -> f64 {
    match sorted.len() {
        0 => 0.0,
        len => {
            let rank = fraction * (len - 1) as f64;
            let (low, high) = (rank.floor() as usize, rank.ceil() as usize);
            sorted[low] + (sorted[high] - sorted[low]) * (rank - low as f64)
        }
    }
}

/// A live signal from the store: published after the change commits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// An event was stored; read it with [`crate::JobReads::events`].
    Event { id: i64, job_id: JobId, kind: EventKind },
    /// The plugin registry changed: an activation, a rollback, or an
    /// artifact type turned off or on. Published to every process sharing
    /// a PostgreSQL database; a SQLite store publishes it in its own process.
    Plugins,
    /// Notices may have been missed (the listener reconnected or a receiver
    /// fell behind): re-read whatever you follow.
    Resync,
}

/// The error a lease that expired with no attempts left ends with.
pub(crate) fn lease_expired() -> JobError {
    JobError::new(
        ErrorKind::LeaseExpired,
        "the worker running this job stopped responding (crashed, killed or cut off from the database) and its lease expired",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_like_postgres() {
        assert_eq!(percentile(&[], 0.5), 0.0);
        assert_eq!(percentile(&[10.0], 0.95), 10.0);
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), 2.5);
        assert!((percentile(&[0.0, 100.0], 0.95) - 95.0).abs() < 1e-9);
    }

    #[test]
    fn request_hash_ignores_only_the_idempotency_key() {
        let job = NewJob::new(OrgId(uuid::Uuid::nil()), "s", "xlsx", serde_json::json!({"a": 1}));
        let keyed = job.clone().with_idempotency_key("k");
        assert_eq!(job.request_hash(), keyed.request_hash());
        let other = NewJob::new(OrgId(uuid::Uuid::nil()), "s", "xlsx", serde_json::json!({"a": 2}));
        assert_ne!(job.request_hash(), other.request_hash());
    }
}
