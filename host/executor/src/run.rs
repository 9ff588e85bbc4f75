//! One claimed job, start to finish: load its inputs, run its plugin under
//! limits, store its files, and say how it ended.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::TryStreamExt;
use kiln_core::{ErrorKind, Job, JobError, PluginRef, Progress, Violation};
use kiln_queue::{Completion, JobOutcome, JobStore, Lease, NewArtifact};
use kiln_runtime::{
    Asset, GenerateRequest, Limits, Outcome, PluginError, RunReport, Runtime, Stop,
};
use kiln_storage::{BlobKey, BlobStore};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::ActivePlugins;
use crate::staging::StagingDirs;

/// Why a running job is being stopped early. The first reason wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopReason {
    /// A user canceled it: complete it as canceled.
    CancelRequested,
    /// Someone else holds it now: drop it without a word.
    LeaseLost,
    /// This worker is shutting down: hand it back to the queue.
    Shutdown,
}

/// A job being run: its lease, and how whoever holds it stops it.
#[derive(Debug, Clone)]
pub struct InFlight {
    pub lease: Lease,
    cancel: CancellationToken,
    reason: Arc<OnceLock<StopReason>>,
}

impl InFlight {
    pub fn new(lease: Lease) -> Self {
        Self { lease, cancel: CancellationToken::new(), reason: Arc::new(OnceLock::new()) }
    }

    /// Stops the run soon (the sandbox is interrupted within an epoch tick).
    pub fn stop(&self, reason: StopReason) {
        let _ = self.reason.set(reason);
        self.cancel.cancel();
    }

    /// Waits until the run is asked to stop, and says why.
    pub async fn stopped(&self) -> StopReason {
        self.cancel.cancelled().await;
        *self.reason.get().expect("a reason is set before the token is cancelled")
    }
}

/// How a run ended, for its executor to record in the job store.
#[derive(Debug)]
pub enum Finished {
    /// Record it with [`JobLifecycle::complete`](kiln_queue::JobLifecycle::complete).
    Complete(Box<Completion>),
    /// Hand it back with [`JobLifecycle::release`](kiln_queue::JobLifecycle::release) (stopped for a shutdown).
    Release(Lease),
    /// Write nothing: the lease was lost, someone else runs the job now.
    Abandon,
}

/// Runs claimed jobs: the one place that knows how a job turns into files,
/// for every executor (the in-process pool, and a process that runs one
/// job).
pub struct JobRunner {
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    runtime: Arc<Runtime>,
    plugins: Arc<ActivePlugins>,
    settings: RunSettings,
    staging: StagingDirs,
}

/// What every run gets.
#[derive(Debug, Clone)]
pub struct RunSettings {
    /// Sandbox limits.
    pub limits: Limits,
    /// Largest input asset a run may be handed.
    pub max_asset_bytes: u64,
    /// Where runs write their files before they are stored.
    pub staging_dir: PathBuf,
}

impl RunSettings {
    /// Default limits and 32 MiB assets, staging files in `staging_dir`.
    pub fn new(staging_dir: PathBuf) -> Self {
        Self { limits: Limits::default(), max_asset_bytes: 32 << 20, staging_dir }
    }
}

impl Finished {
    /// Whether the run failed because storage did.
    pub(crate) fn is_storage_failure(&self) -> bool {
        matches!(self, Finished::Complete(completion)
            if matches!(&completion.outcome, JobOutcome::Failed(error) if error.kind == ErrorKind::Storage))
    }
}

/// Progress is written at most this often; the plugin may report far more.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

impl JobRunner {
    pub fn new(
        store: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        runtime: Arc<Runtime>,
        plugins: Arc<ActivePlugins>,
        settings: RunSettings,
    ) -> crate::Result<Self> {
        let staging = &settings.staging_dir;
        std::fs::create_dir_all(staging)
            .map_err(|source| crate::Error::Staging { dir: staging.clone(), source })?;
        let staging = StagingDirs::new(staging.clone());
        Ok(Self { store, blobs, runtime, plugins, settings, staging })
    }

    /// Runs `job`, claimed under `flight`'s lease, until it ends or is
    /// stopped through `flight`. Progress is written to the store as it
    /// comes; the outcome is returned for the caller to record.
    pub async fn run(&self, job: &Job, flight: &InFlight) -> Finished {
        let lease = flight.lease;
        let plugins = self.plugins.current();
        let Some(plugin) = plugins.get(&job.artifact_type).cloned() else {
            let installed = plugins.types().collect::<Vec<_>>().join(", ");
            let message = format!(
                "no plugin generates {:?} on this worker (it has: {installed})",
                job.artifact_type
            );
            return failed(job, JobError::new(ErrorKind::PluginUnavailable, message));
        };
        let plugin_ref = PluginRef {
            name: plugin.info().name.clone(),
            version: plugin.info().version.clone(),
            sha256: plugin.sha256().to_owned(),
        };
        let staging = match self.staging.take() {
            Ok(dir) => dir,
            Err(err) => {
                return failed(
                    job,
                    JobError::new(ErrorKind::Internal, format!("cannot create staging: {err}")),
                );
            }
        };
        let assets =
            match load_assets(self.blobs.as_ref(), job, self.settings.max_asset_bytes).await {
                Ok(assets) => assets,
                Err(error) => return failed(job, error),
            };

        let (progress_tx, progress_rx) = watch::channel(None);
        let written = Arc::new(Mutex::new(None));
        let stop_reporting = CancellationToken::new();
        let reporter = tokio::spawn(report_progress(
            self.store.clone(),
            lease,
            progress_rx.clone(),
            written.clone(),
            stop_reporting.clone(),
        ));
        let mut request = GenerateRequest::new(job.spec.to_string(), staging.path());
        request.assets = assets;
        request.limits = self.settings.limits.clone();
        request.cancel = flight.cancel.clone();
        request.on_progress = Some(Box::new(move |progress| {
            let _ = progress_tx.send(Some(progress));
        }));
        let report = self.runtime.generate(&plugin, request).await;
        // Stop the reporter (a write in flight finishes); the last progress,
        // if it is not written yet, goes with the completion.
        stop_reporting.cancel();
        let _ = reporter.await;
        let last = progress_rx.borrow().clone();
        let progress = last.filter(|last| Some(last) != lock(&written).as_ref());

        let report = match report {
            Ok(report) => report,
            Err(err) => return failed(job, JobError::new(ErrorKind::Internal, err.to_string())),
        };
        let outcome = match (&report.outcome, flight.reason.get()) {
            (Outcome::Stopped(Stop::Canceled), Some(StopReason::Shutdown)) => {
                return Finished::Release(lease);
            }
            (_, Some(StopReason::LeaseLost)) => return Finished::Abandon,
            (Outcome::Succeeded, _) => {
                match store_files(self.blobs.as_ref(), job, &report, staging.path()).await {
                    Ok(artifacts) => JobOutcome::Succeeded { artifacts },
                    Err(error) => JobOutcome::Failed(error),
                }
            }
            (Outcome::Stopped(Stop::Canceled), _) => JobOutcome::Canceled,
            (Outcome::Refused(refusal), _) => JobOutcome::Failed(refused(refusal)),
            (Outcome::Stopped(stop), _) => JobOutcome::Failed(stopped(stop)),
        };
        let RunReport { usage, log, .. } = report;
        let mut completion = Completion::new(job, outcome);
        completion.plugin = Some(plugin_ref);
        completion.usage = Some(usage);
        completion.log = log;
        completion.progress = progress;
        Finished::Complete(Box::new(completion))
    }
}

fn failed(job: &Job, error: JobError) -> Finished {
    Finished::Complete(Box::new(Completion::new(job, JobOutcome::Failed(error))))
}

fn refused(refusal: &PluginError) -> JobError {
    match refusal {
        PluginError::InvalidSpec(violations) => JobError {
            violations: violations.clone(),
            ..JobError::new(ErrorKind::InvalidSpec, refusal.to_string())
        },
        PluginError::Unsupported(_) => JobError::new(ErrorKind::Unsupported, refusal.to_string()),
        PluginError::Failed(_) => JobError::new(ErrorKind::PluginFailed, refusal.to_string()),
    }
}

fn stopped(stop: &Stop) -> JobError {
    match stop {
        Stop::Limit(limit) => JobError {
            limit: Some(*limit),
            ..JobError::new(ErrorKind::LimitExceeded, stop.to_string())
        },
        Stop::Trap(_) | Stop::Canceled => JobError::new(ErrorKind::Trap, stop.to_string()),
    }
}

/// Reads the job's input assets from the blob store, whole (each at most
/// `max_bytes`).
async fn load_assets(
    blobs: &dyn BlobStore,
    job: &Job,
    max_bytes: u64,
) -> Result<Vec<Asset>, JobError> {
    let mut assets = Vec::with_capacity(job.assets.len());
    for (index, asset) in job.assets.iter().enumerate() {
        let key = BlobKey::asset(job.organisation_id, asset.asset_id);
        let blob = match blobs.get(&key, None).await {
            Ok(blob) => blob,
            Err(kiln_storage::Error::NotFound { .. }) => {
                let violation = Violation::new(
                    format!("/assets/{index}"),
                    format!("asset {} no longer exists", asset.asset_id),
                );
                return Err(JobError {
                    violations: vec![violation],
                    ..JobError::new(
                        ErrorKind::InvalidSpec,
                        format!("input asset {:?} no longer exists", asset.name),
                    )
                });
            }
            Err(err) => return Err(storage_error("reading input assets", &err)),
        };
        if blob.size > max_bytes {
            let message = format!(
                "input asset {:?} is {} bytes, over this worker's {max_bytes}-byte limit for assets",
                asset.name, blob.size
            );
            return Err(JobError {
                violations: vec![Violation::new(format!("/assets/{index}"), message.clone())],
                ..JobError::new(ErrorKind::InvalidSpec, message)
            });
        }
        let media_type =
            blob.media_type.clone().unwrap_or_else(|| "application/octet-stream".into());
        let chunks: Vec<bytes::Bytes> = blob
            .body
            .try_collect()
            .await
            .map_err(|err| JobError::new(ErrorKind::Storage, err.to_string()))?;
        assets.push(Asset { name: asset.name.clone(), media_type, bytes: chunks.concat().into() });
    }
    Ok(assets)
}

/// Moves the run's files from staging into the blob store under the job's
/// tenant-first prefix.
async fn store_files(
    blobs: &dyn BlobStore,
    job: &Job,
    report: &RunReport,
    staging: &std::path::Path,
) -> Result<Vec<NewArtifact>, JobError> {
    let mut artifacts = Vec::with_capacity(report.files.len());
    for file in &report.files {
        let key = BlobKey::artifact(job.organisation_id, &job.session_id, job.id, &file.path)
            .map_err(|err| {
                JobError::new(
                    ErrorKind::Internal,
                    format!("cannot name {:?} in storage: {err}", file.path),
                )
            })?;
        let stored = blobs
            .take_file(&key, &staging.join(&file.path), &file.media_type)
            .await
            .map_err(|err| storage_error("storing the generated files", &err))?;
        if stored.sha256 != file.sha256 {
            return Err(JobError::new(
                ErrorKind::Storage,
                format!("{} changed while being stored", file.path),
            ));
        }
        artifacts.push(NewArtifact {
            path: file.path.clone(),
            media_type: file.media_type.clone(),
            size: stored.size,
            sha256: stored.sha256,
            storage_key: key.as_str().to_owned(),
        });
    }
    Ok(artifacts)
}

fn storage_error(doing: &str, err: &kiln_storage::Error) -> JobError {
    tracing::warn!(error = %kiln_core::ErrorChain(err), "storage failed while {doing}");
    JobError::new(
        ErrorKind::Storage,
        format!("storage failed while {doing}; the job will be retried"),
    )
}

/// Writes the latest progress at most every [`PROGRESS_EVERY`], noting in
/// `written` what it wrote last.
async fn report_progress(
    store: Arc<dyn JobStore>,
    lease: Lease,
    mut updates: watch::Receiver<Option<Progress>>,
    written: Arc<Mutex<Option<Progress>>>,
    stop: CancellationToken,
) {
    // Only the waits are cut short by `stop`, never a write. A run shorter
    // than one interval writes no progress itself: its completion does.
    tokio::select! {
        () = tokio::time::sleep(PROGRESS_EVERY) => {}
        () = stop.cancelled() => return,
    }
    loop {
        tokio::select! {
            changed = updates.changed() => if changed.is_err() { return },
            () = stop.cancelled() => return,
        }
        let latest = updates.borrow_and_update().clone();
        if let Some(progress) = &latest {
            match store.progress(lease, progress).await {
                Ok(_) => *lock(&written) = latest,
                Err(err) => {
                    tracing::warn!(job = %lease.job_id, error = %kiln_core::ErrorChain(&err), "could not record progress")
                }
            }
        }
        tokio::select! {
            () = tokio::time::sleep(PROGRESS_EVERY) => {}
            () = stop.cancelled() => return,
        }
    }
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
