//! kiln's shared vocabulary.
//!
//! Types every other crate speaks: what a plugin is ([`PluginInfo`]), what is
//! wrong with a spec ([`Violation`]), which sandbox limit stopped a run
//! ([`Limit`]), what a run used ([`UsageReport`]) and logged ([`LogEntry`]),
//! and jobs with their states, events and artifacts ([`Job`]). Light
//! dependencies only: no wasmtime, database or cloud crates may be added here.

mod chain;
mod job;
mod limit;
mod log;
mod plugin;
mod usage;

pub use chain::ErrorChain;
pub use job::{
    Artifact, ArtifactId, Asset, AssetRef, ErrorKind, EventKind, Job, JobError, JobEvent, JobId,
    JobState, OrgId, PluginRef, UnknownName, WebhookDelivery, WebhookState,
};
pub use limit::{Limit, format_bytes};
pub use log::{LogEntry, LogSource, Progress};
pub use plugin::{Example, PluginInfo, Violation};
pub use usage::UsageReport;

/// The version of the plugin contract (`wit/generator.wit`) this build speaks.
pub const CONTRACT_VERSION: &str = "0.1.0";
