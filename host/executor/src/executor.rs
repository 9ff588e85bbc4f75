//! The [`Executor`] trait: where a claimed job runs. The worker pool
//! claims jobs, heartbeats their leases and records how they ended; an
//! executor only runs them. [`JobRunner`] runs them in this process; the
//! `kubernetes` executor runs each in a pod of its own.

use async_trait::async_trait;
use kiln_core::Job;
use kiln_queue::Lease;

use crate::run::{Finished, InFlight, JobRunner};

#[async_trait]
pub trait Executor: Send + Sync + 'static {
    /// Runs `job`, claimed under `flight`'s lease, until it ends or is
    /// stopped through `flight`, and says what the pool should record.
    async fn run(&self, job: &Job, flight: &InFlight) -> Finished;

    /// The leases of runs this executor started for this host before the
    /// host restarted and that are still going. The pool runs them again
    /// through [`Executor::run`], which must pick up the run in progress
    /// rather than start a second one.
    async fn running(&self) -> Vec<Lease> {
        Vec::new()
    }
}

/// In this process: the runs end when the process does, so none survives a
/// restart.
#[async_trait]
impl Executor for JobRunner {
    async fn run(&self, job: &Job, flight: &InFlight) -> Finished {
        JobRunner::run(self, job, flight).await
    }
}
