//! kiln's shared vocabulary.
//!
//! Types every other crate speaks: what a plugin is ([`PluginInfo`]), what is
//! wrong with a spec ([`Violation`]), which sandbox limit stopped a run
//! ([`Limit`]), what a run used ([`UsageReport`]) and logged ([`LogEntry`]),
//! and jobs with their states, events and artifacts ([`Job`]). Light
//! dependencies only: no wasmtime or cloud crates may be added here, and sqlx
//! only behind the `sqlx` feature (the job store's), for the ids' column types.

mod chain;
mod id;
mod job;
mod limit;
mod log;
mod plugin;
mod usage;

pub use chain::ErrorChain;
pub use id::{ArtifactId, AssetId, JobId, OrgId};
pub use job::{
    Artifact, Asset, AssetRef, ErrorKind, EventKind, Job, JobError, JobEvent, JobState, PluginRef,
    UnknownName, WebhookDelivery, WebhookState,
};
pub use limit::{Limit, format_bytes};
pub use log::{LogEntry, LogSource, Progress};
pub use plugin::{Example, PluginInfo, Violation};
pub use usage::UsageReport;

/// The version of the plugin contract (`wit/generator.wit`) this build speaks.
pub const CONTRACT_VERSION: &str = "0.1.0";
