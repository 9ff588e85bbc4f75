//! `kiln worker`: runs queued jobs until told to stop.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use kiln_executor::{PluginSet, WorkerConfig, WorkerPool};
use kiln_runtime::{Runtime, RuntimeConfig};
use kiln_storage::LocalStore;
use tokio_util::sync::CancellationToken;

use crate::plugin::LimitArgs;
use crate::store::StateArgs;

#[derive(Args)]
pub(crate) struct WorkerArgs {
    /// Directory of plugin components (*.wasm), one per artifact type.
    #[arg(long, env = "KILN_PLUGIN_DIR", value_name = "DIR")]
    plugin_dir: PathBuf,
    /// Directory for generated files [default: DATA_DIR/blobs].
    #[arg(long, env = "KILN_STORAGE_DIR", value_name = "DIR")]
    storage_dir: Option<PathBuf>,
    /// Jobs to run at once [default: number of CPUs].
    #[arg(long, env = "KILN_WORKER_CONCURRENCY", value_name = "N")]
    concurrency: Option<usize>,
    /// Seconds a job stays claimed without a heartbeat; a crashed worker's
    /// jobs are retried this long after it died.
    #[arg(long, env = "KILN_LEASE_SECS", value_name = "SECS", default_value_t = 30)]
    lease_secs: u64,
    /// Seconds running jobs get to finish on SIGTERM or Ctrl-C before they
    /// are handed back to the queue.
    #[arg(long, env = "KILN_SHUTDOWN_GRACE_SECS", value_name = "SECS", default_value_t = 30)]
    grace_secs: u64,
    /// Milliseconds between looks for due jobs when no notice arrives.
    #[arg(long, env = "KILN_POLL_MS", value_name = "MS", default_value_t = 1000)]
    poll_ms: u64,
    /// Days finished jobs, their events and files are kept.
    #[arg(long, env = "KILN_RETENTION_DAYS", value_name = "DAYS", default_value_t = 7.0)]
    retention_days: f64,
    #[command(flatten)]
    limits: LimitArgs,
}

pub(crate) async fn run(args: WorkerArgs, state: &StateArgs, cache_dir: Option<PathBuf>) -> anyhow::Result<ExitCode> {
    let data_dir = state.data_dir()?;
    let store = state.job_store().await?;
    let blobs = LocalStore::open(args.storage_dir.clone().unwrap_or_else(|| data_dir.join("blobs")))?;
    let runtime = Arc::new(Runtime::new(RuntimeConfig { cache_dir, ..RuntimeConfig::default() })?);
    let plugins = PluginSet::load_dir(&runtime, &args.plugin_dir).await?;
    if plugins.is_empty() {
        bail!("no plugins (*.wasm) in {}; build them with scripts/build-plugins", args.plugin_dir.display());
    }
    let mut config = WorkerConfig::new(worker_id(), data_dir.join("staging"));
    if let Some(concurrency) = args.concurrency {
        config.concurrency = concurrency.max(1);
    }
    config.lease = Duration::from_secs(args.lease_secs.max(1));
    config.shutdown_grace = Duration::from_secs(args.grace_secs);
    config.poll_interval = Duration::from_millis(args.poll_ms.max(10));
    config.retention = Duration::try_from_secs_f64(args.retention_days * 86_400.0)
        .context("--retention-days must be a positive number")?;
    config.limits = args.limits.limits()?;
    eprintln!(
        "kiln worker {} running {} job(s) at once for: {}",
        config.worker_id,
        config.concurrency,
        plugins.types().collect::<Vec<_>>().join(", ")
    );
    let pool = WorkerPool::new(store, Arc::new(blobs), runtime, Arc::new(plugins), config)?;
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    pool.run(shutdown).await;
    Ok(ExitCode::SUCCESS)
}

/// Cancels `shutdown` on SIGTERM (Kubernetes, systemd) or Ctrl-C.
async fn stop_on_signal(shutdown: CancellationToken) {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = terminate.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    eprintln!("stopping: finishing running jobs (again to stop at once)");
    shutdown.cancel();
    let _ = tokio::signal::ctrl_c().await;
    std::process::exit(130);
}

/// Host name and process id: enough to find the worker in `kiln jobs list`.
fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "kiln".into());
    format!("{host}-{}", std::process::id())
}
