//! Jobs: one request to generate an artifact, its state and what it produced.
//! `docs/state-machine.md` draws [`JobState`] and every transition; change
//! both together.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{ArtifactId, AssetId, JobId, Limit, OrgId, Progress, UsageReport, Violation};

/// Where a job is in its life. Terminal states never change again.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker, possibly until `run_at` (delayed or backing off).
    Queued,
    /// Claimed by a worker holding a lease.
    Running,
    Succeeded,
    Failed,
    Canceled,
}

impl JobState {
    pub const ALL: [JobState; 5] =
        [Self::Queued, Self::Running, Self::Succeeded, Self::Failed, Self::Canceled];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

impl FromStr for JobState {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

/// A name that is not one of an enum's values (a state, event or error kind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownName(pub String);

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "unknown name {:?}", self.0)
    }
}

impl std::error::Error for UnknownName {}

/// Why a job failed. Plugin verdicts are terminal: running the same spec
/// again gives the same answer. Infrastructure failures are retried with
/// backoff up to the job's `max_attempts`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The plugin found the spec invalid (violations attached).
    InvalidSpec,
    /// The plugin cannot produce what the spec asks.
    Unsupported,
    /// The plugin reported a failure of its own.
    PluginFailed,
    /// A sandbox limit stopped the plugin (the limit is attached).
    LimitExceeded,
    /// The plugin trapped (a panic, an out-of-bounds access, ...).
    Trap,
    /// No enabled plugin generates this artifact type, or it failed to load.
    PluginUnavailable,
    /// The worker running the job stopped heartbeating (it crashed or lost
    /// the database) and its lease ran out.
    LeaseExpired,
    /// Storing the job's files failed.
    Storage,
    /// The executor could not run the job: its pod was evicted, its image
    /// could not be pulled, no node could take it, or the cluster's API
    /// failed.
    Executor,
    /// Any other host failure.
    Internal,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidSpec => "invalid_spec",
            Self::Unsupported => "unsupported",
            Self::PluginFailed => "plugin_failed",
            Self::LimitExceeded => "limit_exceeded",
            Self::Trap => "trap",
            Self::PluginUnavailable => "plugin_unavailable",
            Self::LeaseExpired => "lease_expired",
            Self::Storage => "storage",
            Self::Executor => "executor",
            Self::Internal => "internal",
        }
    }

    pub fn is_retryable(self) -> bool {
        matches!(self, Self::LeaseExpired | Self::Storage | Self::Executor | Self::Internal)
    }

    /// A failure of the host's infrastructure rather than of the job: it is
    /// retried without spending the job's attempts, from the queue's
    /// separate budget for such failures.
    pub fn is_infrastructure(self) -> bool {
        matches!(self, Self::Storage | Self::Executor)
    }
}

/// A job's failure, as stored and shown to users.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JobError {
    pub kind: ErrorKind,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub violations: Vec<Violation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<Limit>,
}

impl JobError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Self { kind, message: message.into(), violations: Vec::new(), limit: None }
    }
}

impl fmt::Display for JobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// The plugin build that ran a job.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginRef {
    pub name: String,
    pub version: String,
    /// Hex sha256 of the component.
    pub sha256: String,
}

/// An input asset a job hands its plugin under `name` (what the plugin asks
/// `read-asset` for).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AssetRef {
    pub name: String,
    pub asset_id: AssetId,
}

/// An input file uploaded for jobs to use, kept until `expires_at`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Asset {
    pub id: AssetId,
    pub organisation_id: OrgId,
    /// The uploader's file name, if it gave one.
    pub filename: Option<String>,
    pub media_type: String,
    pub size: u64,
    /// Hex sha256 of the content.
    pub sha256: String,
    pub storage_key: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// Where a finished job's webhook stands.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookState {
    /// To be delivered once the job ends (or retried after a failed try).
    Pending,
    Delivered,
    /// Every try failed; no more are made.
    Failed,
}

impl WebhookState {
    pub const ALL: [WebhookState; 3] = [Self::Pending, Self::Delivered, Self::Failed];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

impl FromStr for WebhookState {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

/// One try at delivering a job's webhook.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WebhookDelivery {
    pub job_id: JobId,
    /// 1 for the first try.
    pub attempt: i32,
    pub url: String,
    /// The receiver's HTTP status, if it answered.
    pub status: Option<u16>,
    /// What went wrong, if the try failed.
    pub error: Option<String>,
    pub duration_ms: f64,
    pub created_at: DateTime<Utc>,
}

/// A job as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    pub id: JobId,
    pub organisation_id: OrgId,
    pub session_id: String,
    pub conversation_id: Option<String>,
    pub artifact_type: String,
    pub spec: serde_json::Value,
    pub assets: Vec<AssetRef>,
    /// The name a single-file result is downloaded under.
    pub display_name: Option<String>,
    /// The caller's own data, stored and returned as given.
    pub metadata: Option<serde_json::Value>,
    /// Where the finished job is POSTed.
    pub callback_url: Option<String>,
    /// Whether that POST is still to be made, was made, or was given up.
    pub webhook_state: Option<WebhookState>,
    /// Deliveries tried so far.
    pub webhook_attempts: i32,
    pub state: JobState,
    /// Higher runs first.
    pub priority: i16,
    /// Claims so far; also the fencing token of the current claim.
    pub attempt: i32,
    pub max_attempts: i32,
    /// Of `attempt`, the runs that ended through no fault of the job (a
    /// storage outage, a worker shutting down); they do not count toward
    /// `max_attempts`.
    pub excused_attempts: i32,
    /// Not claimed before this time.
    pub run_at: DateTime<Utc>,
    pub lease_until: Option<DateTime<Utc>>,
    pub worker_id: Option<String>,
    pub cancel_requested: bool,
    pub idempotency_key: Option<String>,
    pub progress: Option<Progress>,
    /// The last failure: the final one when `failed`, the one being retried when `queued`.
    pub error: Option<JobError>,
    pub plugin: Option<PluginRef>,
    pub usage: Option<UsageReport>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// What an event records.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Entered `queued`: submitted, or back after a retryable failure, an
    /// expired lease or a worker's shutdown (`data.reason`).
    Queued,
    /// Claimed by a worker (`data.worker`).
    Running,
    Progress,
    /// Someone asked to cancel a running job; the worker stops it.
    CancelRequested,
    Succeeded,
    Failed,
    Canceled,
}

impl EventKind {
    pub const ALL: [EventKind; 7] = [
        Self::Queued,
        Self::Running,
        Self::Progress,
        Self::CancelRequested,
        Self::Succeeded,
        Self::Failed,
        Self::Canceled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Running => "running",
            Self::Progress => "progress",
            Self::CancelRequested => "cancel_requested",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Canceled => "canceled",
        }
    }

    /// Whether this event ends the job's stream.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Succeeded | Self::Failed | Self::Canceled)
    }
}

impl FromStr for EventKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownName(s.to_owned()))
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.as_str())
    }
}

/// One stored event. Ids increase; within one job they increase in the
/// order the events happened, so "every event after id N" is a complete
/// replay from N.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobEvent {
    pub id: i64,
    pub job_id: JobId,
    pub kind: EventKind,
    pub attempt: i32,
    pub data: serde_json::Value,
    pub created_at: DateTime<Utc>,
}

/// A file a job produced, as stored.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    pub id: ArtifactId,
    pub job_id: JobId,
    pub organisation_id: OrgId,
    pub session_id: String,
    pub artifact_type: String,
    /// Relative path as the plugin named it, e.g. `report.xlsx`.
    pub path: String,
    pub media_type: String,
    pub size: u64,
    /// Hex sha256 of the content.
    pub sha256: String,
    /// Where the content lives in the blob store.
    pub storage_key: String,
    pub created_at: DateTime<Utc>,
    /// The plugin version that made it.
    pub plugin: Option<PluginRef>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_through_their_string_form() {
        for state in JobState::ALL {
            assert_eq!(state.as_str().parse::<JobState>(), Ok(state));
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
        for kind in EventKind::ALL {
            assert_eq!(kind.as_str().parse::<EventKind>(), Ok(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        assert!("paused".parse::<JobState>().is_err());
        for kind in [
            ErrorKind::InvalidSpec,
            ErrorKind::LimitExceeded,
            ErrorKind::PluginUnavailable,
            ErrorKind::Internal,
        ] {
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
    }

    #[test]
    fn only_infrastructure_failures_are_retried() {
        assert!(ErrorKind::LeaseExpired.is_retryable());
        assert!(ErrorKind::Storage.is_retryable());
        assert!(ErrorKind::Executor.is_retryable() && ErrorKind::Executor.is_infrastructure());
        assert!(!ErrorKind::LimitExceeded.is_retryable());
        assert!(!ErrorKind::InvalidSpec.is_retryable());
        assert!(!ErrorKind::Trap.is_retryable());
    }
}
