//! Runs queued jobs.
//!
//! [`WorkerPool`] is what `kiln worker` and `kiln serve` run: it claims
//! jobs from a [`kiln_queue::JobStore`] and hands each to an [`Executor`].
//! [`JobRunner`] runs the job's plugin in this process through one shared
//! [`kiln_runtime::Runtime`] and writes the files to a
//! [`kiln_storage::BlobStore`]; with the `kubernetes` feature,
//! [`kubernetes::KubernetesExecutor`] runs each job in a pod of its own.
//! The pool then records how each job ended. The
//! rescuer (re-queues jobs whose worker died) and retention (deletes old
//! finished jobs with their files) are a service apart, [`maintenance`].
//! [`run_one`] runs one named job in this process (`kiln run-job`).

mod executor;
#[cfg(feature = "kubernetes")]
pub mod kubernetes;
pub mod maintenance;
mod metrics;
mod one;
mod plugins;
mod pool;
mod run;
mod staging;

pub use executor::Executor;
pub use metrics::RunMetrics;
pub use one::{Hold, NotRun, run_one};
pub use plugins::{ActivePlugins, PluginSet};
pub use pool::{WorkerConfig, WorkerPool};
pub use run::{Finished, InFlight, JobRunner, RunSettings, StopReason};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read the plugin directory {dir}")]
    PluginDir { dir: std::path::PathBuf, source: std::io::Error },
    #[error("cannot load plugin {path}")]
    Plugin { path: std::path::PathBuf, source: kiln_runtime::Error },
    #[error(
        "{first} and {second} both generate {artifact_type:?}; keep one of them in the plugin directory"
    )]
    DuplicateType { artifact_type: String, first: std::path::PathBuf, second: std::path::PathBuf },
    #[error("cannot create the staging directory {dir}")]
    Staging { dir: std::path::PathBuf, source: std::io::Error },
    #[cfg(feature = "kubernetes")]
    #[error(
        "cannot reach the Kubernetes API; run kiln in a pod whose service account may manage Jobs, or point KUBECONFIG at a cluster"
    )]
    Kubernetes(#[source] kube::Error),
    #[error(transparent)]
    Queue(#[from] kiln_queue::Error),
    #[error(transparent)]
    Storage(#[from] kiln_storage::Error),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
