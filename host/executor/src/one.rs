//! One named job, run in this process start to finish: what `kiln run-job`
//! does, by hand or in a pod of the Kubernetes executor. The lease is
//! heartbeated as the pool does, so a cancel reaches the run and a dead
//! process's job is rescued.

use std::sync::Arc;
use std::time::Duration;

use kiln_core::{Job, JobId, JobState};
use kiln_queue::{JobStore, Lease, LeaseStatus, Scope};
use tokio_util::sync::CancellationToken;

use crate::pool::retry;
use crate::run::{Finished, InFlight, JobRunner, StopReason};

/// How the process comes to hold the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hold {
    /// Claim it: it must be `queued` (due or not).
    Claim,
    /// Take over the claim another process made for this attempt (the
    /// Kubernetes executor claims, then starts a pod to run it).
    Adopt { attempt: i32 },
}

/// Why the job was not run.
#[derive(Debug, thiserror::Error)]
pub enum NotRun {
    #[error("there is no job {0}")]
    NotFound(JobId),
    #[error("job {id} is running on {worker} (attempt {attempt}); it cannot be run twice")]
    Busy { id: JobId, worker: String, attempt: i32 },
    #[error(
        "job {id} is no longer at attempt {expected} (it is {state} at attempt {attempt}); this run is stale"
    )]
    Stale { id: JobId, expected: i32, state: JobState, attempt: i32 },
    #[error(transparent)]
    Queue(#[from] kiln_queue::Error),
}

/// Runs job `id` as `worker` and records how it ended. Returns the job as
/// it stands afterwards; a job that had already finished is returned
/// unchanged, without running.
pub async fn run_one(
    store: &Arc<dyn JobStore>,
    runner: &JobRunner,
    id: JobId,
    hold: Hold,
    worker: &str,
    lease: Duration,
    shutdown: CancellationToken,
) -> Result<Job, NotRun> {
    let job = match hold {
        Hold::Claim => match store.claim_job(worker, id, lease).await? {
            Some(job) => job,
            None => return unrunnable(store.as_ref(), id, None).await,
        },
        Hold::Adopt { attempt } => {
            let job = current(store.as_ref(), id).await?;
            if job.state != JobState::Running || job.attempt != attempt {
                return unrunnable(store.as_ref(), id, Some(attempt)).await;
            }
            job
        }
    };
    let flight = InFlight::new(Lease::of(&job));
    let beats = tokio::spawn(heartbeat(store.clone(), flight.clone(), lease, shutdown));
    let finished = runner.run(&job, &flight).await;
    beats.abort();
    match finished {
        Finished::Complete(completion) => {
            let completion = *completion;
            retry("recording the finished job", || store.complete(vec![completion.clone()])).await
        }
        // Stopped by a signal: a claim of our own goes back to the queue; an
        // adopted one stays with the process that made it, which decides
        // (Kubernetes stops a pod past its deadline, or to move it).
        Finished::Release(lease) if hold == Hold::Claim => {
            retry("handing the job back", || store.release(std::slice::from_ref(&lease))).await
        }
        Finished::Release(_) | Finished::Abandon => {}
    }
    current(store.as_ref(), id).await
}

async fn current(store: &dyn JobStore, id: JobId) -> Result<Job, NotRun> {
    store.get(Scope::Operator, id).await?.ok_or(NotRun::NotFound(id))
}

/// A job that could not be claimed or adopted: finished ones are returned
/// as they are; anything else says why it was not run.
async fn unrunnable(store: &dyn JobStore, id: JobId, adopt: Option<i32>) -> Result<Job, NotRun> {
    let job = current(store, id).await?;
    if job.state.is_terminal() {
        return Ok(job);
    }
    Err(match adopt {
        Some(expected) => NotRun::Stale { id, expected, state: job.state, attempt: job.attempt },
        None => NotRun::Busy {
            id,
            worker: job.worker_id.unwrap_or_else(|| "another worker".into()),
            attempt: job.attempt,
        },
    })
}

/// Extends the lease every third of it until aborted, and stops the run
/// when it is canceled, lost, or this process is told to stop.
async fn heartbeat(
    store: Arc<dyn JobStore>,
    flight: InFlight,
    lease: Duration,
    shutdown: CancellationToken,
) {
    loop {
        tokio::select! {
            () = shutdown.cancelled() => {
                flight.stop(StopReason::Shutdown);
                return;
            }
            () = tokio::time::sleep(lease / 3) => {}
        }
        match store.heartbeat(&[flight.lease], lease).await.as_deref() {
            Ok([LeaseStatus::Held]) => {}
            Ok([LeaseStatus::CancelRequested]) => flight.stop(StopReason::CancelRequested),
            Ok(_) => flight.stop(StopReason::LeaseLost),
            Err(err) => tracing::warn!(
                error = %kiln_core::ErrorChain(err),
                "heartbeat failed; retrying at the next beat"
            ),
        }
    }
}
