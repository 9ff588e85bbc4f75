//! `kiln worker`: runs queued jobs until told to stop. [`PoolArgs`] are the
//! settings `kiln serve` shares for its in-process workers.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Args;
use kiln_executor::maintenance::{self, MaintenanceConfig};
use kiln_executor::{Executor, JobRunner, RunSettings, WorkerConfig, WorkerPool};
use kiln_queue::JobStore;
use kiln_runtime::Runtime;
use kiln_storage::BlobStore;
use tokio_util::sync::CancellationToken;

use crate::executor::{ExecutorArgs, ExecutorKind};
use crate::limited::ProcessLimits;
use crate::plugin::LimitArgs;
use crate::registry::Registry;
use crate::store::{StateArgs, StorageArgs};

/// What running jobs needs: the plugins, limits and storage.
#[derive(Args)]
pub(crate) struct WorkerArgs {
    #[command(flatten)]
    pub(crate) pool: PoolArgs,
    #[command(flatten)]
    pub(crate) storage: StorageArgs,
}

#[derive(Args)]
pub(crate) struct WorkerCommand {
    #[command(flatten)]
    worker: WorkerArgs,
    #[command(flatten)]
    executor: ExecutorArgs,
}

/// The plugins and the worker pool's settings.
#[derive(Args)]
pub(crate) struct PoolArgs {
    /// Directory of plugin components (*.wasm), one per artifact type
    /// [default: the `plugins` directory beside the kiln executable, where
    /// scripts/build-plugins puts the built-in ones].
    #[arg(long, env = "KILN_PLUGIN_DIR", value_name = "DIR")]
    plugin_dir: Option<PathBuf>,
    /// Jobs to run at once [default: 4 × the number of CPUs].
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
    /// Largest input asset, MiB: the API refuses bigger uploads, and workers
    /// refuse to hand a plugin a bigger one.
    #[arg(long, env = "KILN_MAX_ASSET_MIB", value_name = "MIB", default_value_t = 32)]
    max_asset_mib: u64,
    /// Seconds of wall-clock and CPU time the process that checks and
    /// compiles an uploaded plugin may take before it is stopped.
    #[arg(long, env = "KILN_PLUGIN_CHECK_SECS", value_name = "SECS", default_value_t = 120)]
    plugin_check_secs: u64,
    /// MiB of memory the process that checks and compiles an uploaded
    /// plugin may use.
    #[arg(long, env = "KILN_PLUGIN_CHECK_MIB", value_name = "MIB", default_value_t = 2048)]
    plugin_check_mib: u64,
    /// Sandbox slots kept beside the workers' for `validate` calls on the
    /// request path and plugin loads, so validation never waits behind jobs.
    #[arg(long, env = "KILN_VALIDATION_SLOTS", value_name = "N", default_value_t = 16)]
    validation_slots: usize,
    #[command(flatten)]
    limits: LimitArgs,
}

impl PoolArgs {
    /// The plugin registry: the plugin directory's plugins registered as
    /// built-ins, and the versions the registry says serve each type loaded.
    pub(crate) async fn registry(
        &self,
        store: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        runtime: Arc<Runtime>,
    ) -> anyhow::Result<Arc<Registry>> {
        let dir = self.plugin_dir()?;
        let limits = ProcessLimits {
            wall: Duration::from_secs(self.plugin_check_secs.max(1)),
            cpu: Duration::from_secs(self.plugin_check_secs.max(1)),
            memory_bytes: self.plugin_check_mib.saturating_mul(1 << 20),
        };
        let registry = Registry::start(store, blobs, runtime, Some(dir.as_path()), limits).await?;
        if registry.active().current().is_empty() {
            bail!(
                "no plugins (*.wasm) in {}; build them with scripts/build-plugins",
                dir.display()
            );
        }
        Ok(registry)
    }

    fn plugin_dir(&self) -> anyhow::Result<PathBuf> {
        let dir = match &self.plugin_dir {
            Some(dir) => dir.clone(),
            None => std::env::current_exe()
                .context("cannot find the kiln executable; set --plugin-dir")?
                .with_file_name("plugins"),
        };
        if !dir.is_dir() {
            bail!(
                "no plugin directory at {}: build the built-in plugins with scripts/build-plugins, \
                 or point --plugin-dir (KILN_PLUGIN_DIR) at a directory of *.wasm components",
                dir.display()
            );
        }
        Ok(dir)
    }

    /// A runtime with the on-disk compile cache and a sandbox slot for each
    /// of `concurrency` runs plus the validation slots.
    pub(crate) fn runtime(
        &self,
        cache_dir: Option<PathBuf>,
        concurrency: usize,
    ) -> anyhow::Result<Arc<Runtime>> {
        let slots = u32::try_from(concurrency.saturating_add(self.validation_slots.max(1)))
            .context("--concurrency plus --validation-slots is too large")?;
        Ok(Arc::new(self.limits.runtime(cache_dir, slots)?))
    }

    /// The rescuer's and retention's settings.
    pub(crate) fn maintenance(&self) -> anyhow::Result<MaintenanceConfig> {
        let retention = Duration::try_from_secs_f64(self.retention_days * 86_400.0)
            .context("--retention-days must be a positive number")?;
        Ok(MaintenanceConfig { retention, ..MaintenanceConfig::default() })
    }

    pub(crate) fn max_asset_bytes(&self) -> u64 {
        self.max_asset_mib.saturating_mul(1 << 20)
    }

    pub(crate) fn config(&self) -> WorkerConfig {
        let mut config = WorkerConfig::new(worker_id());
        if let Some(concurrency) = self.concurrency {
            config.concurrency = concurrency.max(1);
        }
        config.lease = Duration::from_secs(self.lease_secs.max(1));
        config.shutdown_grace = Duration::from_secs(self.grace_secs);
        config.poll_interval = Duration::from_millis(self.poll_ms.max(10));
        config
    }

    /// What every run gets; files are staged under `data_dir`.
    pub(crate) fn run_settings(&self, data_dir: &std::path::Path) -> anyhow::Result<RunSettings> {
        let mut settings = RunSettings::new(data_dir.join("staging"));
        settings.limits = self.limits.limits()?;
        settings.max_asset_bytes = self.max_asset_bytes();
        Ok(settings)
    }
}

pub(crate) async fn run(
    args: WorkerCommand,
    state: &StateArgs,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let WorkerCommand { worker: args, executor } = args;
    let store = state.job_store().await?;
    let blobs = args.storage.blob_store(state).await?;
    let mut config = args.pool.config();
    let settings = args.pool.run_settings(&state.data_dir()?)?;
    let shutdown = CancellationToken::new();
    let (executor, what): (Arc<dyn Executor>, String) = match executor.executor {
        ExecutorKind::InProcess => {
            let runtime = args.pool.runtime(cache_dir, config.concurrency)?;
            let registry =
                args.pool.registry(store.clone(), blobs.clone(), runtime.clone()).await?;
            tokio::spawn(registry.clone().watch(shutdown.clone()));
            let types = registry.active().current().types().collect::<Vec<_>>().join(", ");
            let runner =
                JobRunner::new(store.clone(), blobs.clone(), runtime, registry.active(), settings)?;
            (Arc::new(runner), format!("in this process for: {types}"))
        }
        ExecutorKind::Kubernetes => {
            let executor = executor.kubernetes(store.clone(), &settings, &mut config).await?;
            (executor, "in Kubernetes Jobs".to_owned())
        }
    };
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let upkeep = tokio::spawn(maintenance::run(
        store.clone(),
        blobs.clone(),
        args.pool.maintenance()?,
        shutdown.clone(),
    ));
    run_pool(store, blobs, executor, &what, config, shutdown).await;
    let _ = upkeep.await;
    Ok(ExitCode::SUCCESS)
}

/// Runs a worker pool until `shutdown`, saying what it runs (`what`: where
/// and which plugins).
pub(crate) async fn run_pool(
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    executor: Arc<dyn Executor>,
    what: &str,
    config: WorkerConfig,
    shutdown: CancellationToken,
) {
    eprintln!(
        "kiln worker {} running {} job(s) at once {what}",
        config.worker_id, config.concurrency
    );
    WorkerPool::new(store, blobs, executor, config).run(shutdown).await;
}

/// Cancels `shutdown` on SIGTERM (Kubernetes, systemd) or Ctrl-C.
pub(crate) async fn stop_on_signal(shutdown: CancellationToken) {
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
pub(crate) fn worker_id() -> String {
    format!("{}-{}", host_name(), std::process::id())
}

/// This machine's name (a pod's name in Kubernetes).
pub(crate) fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "kiln".into())
}
