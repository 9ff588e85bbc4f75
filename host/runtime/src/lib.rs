//! Runs kiln generator plugins in a wasmtime sandbox.
//!
//! A small surface over wasmtime: [`Runtime::load`] a component (compiled
//! once, cached on disk, checked against the contract), then
//! [`Runtime::check_spec`] and [`Runtime::generate`] under [`Limits`]. Every
//! generation returns a [`RunReport`] whose [`Outcome`] tells apart the three
//! ways a run can end badly:
//!
//! - the plugin said no ([`Outcome::Refused`]): invalid spec, unsupported, failed;
//! - the sandbox stopped it ([`Outcome::Stopped`]): a limit, a trap, a cancel;
//! - the host failed ([`Error`]): I/O and the like, worth retrying.
//!
//! The first two are verdicts about the plugin and its input; retrying them
//! gives the same answer.

mod bindings;
mod cache;
mod contract;
mod engine;
mod info;
mod limiter;
mod limits;
mod log;
mod output;
mod run;
mod sandbox;
mod spec;
#[cfg(feature = "testing")]
pub mod testing;

use std::path::PathBuf;

pub use cache::CacheStatus;
pub use engine::{EPOCH_TICK, RuntimeConfig};
pub use kiln_core::{LogEntry, LogSource, Progress};
pub use limits::Limits;
pub use output::OutputFile;
pub use run::{Asset, GenerateRequest, Outcome, PluginError, RunReport, Stop};
pub use run::{Plugin, Runtime};
pub use spec::{MAX_VIOLATIONS, merge as merge_violations};

/// A host-side failure: the plugin is not to blame, and retrying may succeed
/// (except for the load errors, which say what to fix).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("could not start the WebAssembly engine: {0}")]
    Engine(String),
    #[error("the file is not a WebAssembly component: {0}")]
    NotAComponent(String),
    #[error("could not compile the component: {0}")]
    Compile(String),
    #[error("the plugin does not implement the kiln contract: {0}")]
    Contract(String),
    #[error("the plugin failed while loading: {0}")]
    Load(String),
    #[error("compile cache at {dir} is not usable")]
    Cache { dir: PathBuf, source: std::io::Error },
    #[error(
        "compile cache at {0} is owned by another user or writable by others; \
         kiln only loads compiled code from a directory only it can write"
    )]
    UntrustedCache(PathBuf),
    #[error("limits exceed the runtime's ceiling: {0}")]
    LimitCeiling(String),
    #[error("writing output failed")]
    Output(#[source] std::io::Error),
    #[error("the host failed while running the plugin: {0}")]
    Host(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
