//! kiln's shared vocabulary.
//!
//! Types every other crate speaks: what a plugin is ([`PluginInfo`]), what is
//! wrong with a spec ([`Violation`]), which sandbox limit stopped a run
//! ([`Limit`]) and what a run used ([`UsageReport`]). Light dependencies only:
//! no wasmtime, database or cloud crates may be added here.

mod limit;
mod plugin;
mod usage;

pub use limit::{Limit, format_bytes};
pub use plugin::{Example, PluginInfo, Violation};
pub use usage::UsageReport;

/// The version of the plugin contract (`wit/generator.wit`) this build speaks.
pub const CONTRACT_VERSION: &str = "0.1.0";
