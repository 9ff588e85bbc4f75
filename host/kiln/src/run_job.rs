//! `kiln run-job ID`: runs one job in this process and exits with a code
//! that says how it ended, so whatever started the process (a Kubernetes
//! Job, a shell) can tell success, a retry and a final failure apart.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use kiln_core::{Job, JobId, JobState};
use kiln_executor::{Hold, JobRunner, NotRun, run_one};
use tokio_util::sync::CancellationToken;

use crate::store::StateArgs;
use crate::worker::{WorkerArgs, stop_on_signal, worker_id};

/// The job succeeded (now, or before this run).
pub(crate) const SUCCEEDED: u8 = 0;
/// The job failed or was canceled for good: running it again will not help.
pub(crate) const TERMINAL: u8 = 65;
/// Not finished: the job went back to the queue for a retry, is held by
/// someone else, or the database or storage could not be reached. Try later.
pub(crate) const RETRYABLE: u8 = 75;

#[derive(Args)]
pub(crate) struct RunJobArgs {
    /// The job to run. It must be queued (it runs now even if scheduled
    /// later); a finished job is reported as it is, without running.
    #[arg(value_name = "ID")]
    id: JobId,
    /// Take over the claim already made for this attempt instead of
    /// claiming the job (what the Kubernetes executor's pods do).
    #[arg(long, value_name = "N")]
    attempt: Option<i32>,
    #[command(flatten)]
    worker: WorkerArgs,
}

pub(crate) async fn run(
    args: RunJobArgs,
    state: &StateArgs,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    match run_job(args, state, cache_dir).await {
        Ok(code) => Ok(ExitCode::from(code)),
        // The database, the storage or the plugins could not be reached or
        // loaded: nothing was decided about the job.
        Err(err) => {
            eprintln!("error: {err:#}");
            Ok(ExitCode::from(RETRYABLE))
        }
    }
}

async fn run_job(
    args: RunJobArgs,
    state: &StateArgs,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<u8> {
    let store = state.job_store().await?;
    let blobs = args.worker.storage.blob_store(state).await?;
    let config = args.worker.pool.config();
    let settings = args.worker.pool.run_settings(&state.data_dir()?)?;
    let runtime = args.worker.pool.runtime(cache_dir, 1)?;
    let registry = args.worker.pool.registry(store.clone(), blobs.clone(), runtime.clone()).await?;
    let runner = JobRunner::new(store.clone(), blobs, runtime, registry.active(), settings)?;
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    let hold = args.attempt.map_or(Hold::Claim, |attempt| Hold::Adopt { attempt });
    let worker = worker_id();
    match run_one(&store, &runner, args.id, hold, &worker, config.lease, shutdown).await {
        Ok(job) => Ok(report(&job)),
        Err(NotRun::NotFound(id)) => {
            eprintln!("error: there is no job {id} in this database");
            Ok(TERMINAL)
        }
        Err(err) => Err(err.into()),
    }
}

/// Says how the job stands and picks the exit code for it.
fn report(job: &Job) -> u8 {
    let attempt = format!("attempt {}", job.attempt);
    match job.state {
        JobState::Succeeded => {
            eprintln!("job {} succeeded ({attempt})", job.id);
            SUCCEEDED
        }
        JobState::Failed | JobState::Canceled => {
            let why = job.error.as_ref().map(|error| format!(": {}", error.message));
            eprintln!("job {} {} ({attempt}){}", job.id, job.state, why.unwrap_or_default());
            TERMINAL
        }
        JobState::Queued => {
            let why = job.error.as_ref().map(|error| format!(" after: {}", error.message));
            eprintln!(
                "job {} is queued again, due {} ({attempt}){}",
                job.id,
                job.run_at,
                why.unwrap_or_default()
            );
            RETRYABLE
        }
        JobState::Running => {
            eprintln!("job {} is running elsewhere now ({attempt})", job.id);
            RETRYABLE
        }
    }
}
