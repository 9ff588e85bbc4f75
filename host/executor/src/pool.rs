//! The worker pool: claims as many jobs as it has free slots, has its
//! [`Executor`] run them concurrently, heartbeats their leases, and records
//! how each ended, batching completions that finish together into one
//! write.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kiln_core::{EventKind, Job, JobId, JobState};
use kiln_queue::{Completion, JobStore, Lease, LeaseStatus, Notice, RetryPolicy, Scope};
use kiln_storage::BlobStore;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::Executor;
use crate::metrics::RunMetrics;
use crate::run::{Finished, InFlight, StopReason};

/// How a worker pool behaves.
#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Names this worker in job rows and events.
    pub worker_id: String,
    /// Jobs run at once. In process, each can use up to the sandbox's memory
    /// limit, so the worst case is `concurrency × limits.memory_bytes`.
    pub concurrency: usize,
    /// How long a claim holds a job without a heartbeat. A crashed worker's
    /// jobs are picked up again this long after its last heartbeat, so it
    /// bounds recovery time; heartbeats go out every third of it.
    pub lease: Duration,
    /// Without a notice, look for due jobs this often (delayed jobs, and
    /// jobs submitted by another process on SQLite).
    pub poll_interval: Duration,
    /// On shutdown, how long running jobs may take to finish before they
    /// are stopped and handed back to the queue.
    pub shutdown_grace: Duration,
    /// Figures about the runs, for `/metrics`.
    pub metrics: Arc<RunMetrics>,
}

impl WorkerConfig {
    /// Defaults: four jobs per core (a run spends much of its time waiting
    /// for its files to be stored durably, so one per core leaves the cores
    /// idle: measured by `scripts/bench api`), 30 s leases,
    /// 1 s polling, 30 s grace.
    pub fn new(worker_id: String) -> Self {
        Self {
            worker_id,
            concurrency: 4 * std::thread::available_parallelism().map_or(2, usize::from),
            lease: Duration::from_secs(30),
            poll_interval: Duration::from_secs(1),
            shutdown_grace: Duration::from_secs(30),
            metrics: Arc::default(),
        }
    }
}

/// What the pool's tasks share.
struct Shared {
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    executor: Arc<dyn Executor>,
    config: WorkerConfig,
    in_flight: Mutex<HashMap<JobId, InFlight>>,
    /// Set when a run failed because storage did: claims wait until it
    /// answers again, so queued jobs are not run into an outage.
    storage_down: AtomicBool,
}

impl Shared {
    fn in_flight(&self) -> std::sync::MutexGuard<'_, HashMap<JobId, InFlight>> {
        self.in_flight.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn stop(&self, job_id: JobId, reason: StopReason) {
        if let Some(flight) = self.in_flight().get(&job_id) {
            flight.stop(reason);
        }
    }
}

pub struct WorkerPool {
    shared: Arc<Shared>,
}

impl WorkerPool {
    /// A pool that claims from `store` and runs jobs with `executor`;
    /// `blobs` is checked before claiming again after a storage failure.
    pub fn new(
        store: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        executor: Arc<dyn Executor>,
        config: WorkerConfig,
    ) -> Self {
        Self {
            shared: Arc::new(Shared {
                store,
                blobs,
                executor,
                config,
                in_flight: Mutex::new(HashMap::new()),
                storage_down: AtomicBool::new(false),
            }),
        }
    }

    /// Runs until `shutdown` is cancelled, then stops claiming, gives
    /// running jobs the grace period, hands back the rest, and returns once
    /// every outcome is recorded.
    pub async fn run(self, shutdown: CancellationToken) {
        let shared = self.shared;
        let config = &shared.config;
        let background = CancellationToken::new();
        let (finished_tx, finished_rx) = mpsc::unbounded_channel();
        let recorder = tokio::spawn(record(shared.store.clone(), finished_rx));
        let heartbeats = tokio::spawn(heartbeat(shared.clone(), background.clone()));
        let mut notices = shared.store.subscribe();
        let mut running = JoinSet::new();
        for job in still_running(&shared).await {
            start(&shared, &mut running, &finished_tx, job);
        }
        tracing::info!(
            worker = config.worker_id,
            concurrency = config.concurrency,
            "worker pool started"
        );

        // Whether a claim may find jobs: false once one came up short,
        // until something is queued or `due` passes. A run ending frees a
        // slot but queues nothing, so it alone is no reason to look.
        let mut look = true;
        let mut due = tokio::time::Instant::now();
        while !shutdown.is_cancelled() {
            // Reap every run that ended, not just the one that woke us, so
            // a claim fills all free slots at once.
            while running.try_join_next().is_some() {}
            if shared.storage_down.load(Ordering::Relaxed) {
                wait_for_storage(&shared, &shutdown).await;
                continue;
            }
            let free = config.concurrency.saturating_sub(running.len());
            if free > 0 && look {
                match shared.store.claim(&config.worker_id, free, config.lease).await {
                    Ok(jobs) => {
                        look = jobs.len() == free;
                        for job in jobs {
                            start(&shared, &mut running, &finished_tx, job);
                        }
                    }
                    Err(err) => {
                        tracing::warn!(error = %kiln_core::ErrorChain(&err), "claiming jobs failed; retrying");
                        look = false;
                    }
                }
                // Every free slot filled: more may be waiting.
                if look {
                    continue;
                }
                let wait = until_due(shared.store.as_ref(), config.poll_interval).await;
                due = tokio::time::Instant::now() + wait.min(Duration::from_secs(3600));
            }
            let timer = tokio::time::sleep_until(due);
            tokio::pin!(timer);
            let has_room = running.len() < config.concurrency;
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => break,
                    () = &mut timer, if has_room => {
                        look = true;
                        break;
                    }
                    Some(_) = running.join_next(), if !running.is_empty() => break,
                    notice = notices.recv() => match notice {
                        Ok(Notice::Event { kind: EventKind::Queued, .. }) | Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => {
                            look = true;
                            if has_room { break }
                        }
                        Ok(Notice::Event { kind: EventKind::CancelRequested, job_id, .. }) => {
                            shared.stop(job_id, StopReason::CancelRequested);
                        }
                        Ok(_) => {}
                        Err(RecvError::Closed) => break,
                    },
                }
            }
        }

        tracing::info!(
            running = running.len(),
            "shutting down: no new claims; waiting for running jobs"
        );
        let grace = tokio::time::sleep(config.shutdown_grace);
        tokio::pin!(grace);
        while !running.is_empty() {
            tokio::select! {
                () = &mut grace => break,
                _ = running.join_next() => {}
            }
        }
        let leftover: Vec<InFlight> = shared.in_flight().values().cloned().collect();
        if !leftover.is_empty() {
            tracing::info!(
                jobs = leftover.len(),
                "grace period over; handing running jobs back to the queue"
            );
        }
        for flight in leftover {
            flight.stop(StopReason::Shutdown);
        }
        while running.join_next().await.is_some() {}
        drop(finished_tx);
        let _ = recorder.await;
        background.cancel();
        let _ = heartbeats.await;
        tracing::info!("worker pool stopped");
    }
}

/// Has the executor run `job` as one of `running`, and sends its outcome
/// to the recorder.
fn start(
    shared: &Arc<Shared>,
    running: &mut JoinSet<()>,
    finished: &mpsc::UnboundedSender<Finished>,
    job: Job,
) {
    let flight = InFlight::new(Lease::of(&job));
    shared.in_flight().insert(job.id, flight.clone());
    let (shared, finished) = (shared.clone(), finished.clone());
    running.spawn(async move {
        tracing::debug!(job = %job.id, attempt = job.attempt, "running");
        let metrics = &shared.config.metrics;
        metrics.started(&job);
        let start = std::time::Instant::now();
        let outcome = shared.executor.run(&job, &flight).await;
        metrics.finished(&job, &outcome, start.elapsed());
        if outcome.is_storage_failure() {
            shared.storage_down.store(true, Ordering::Relaxed);
        }
        shared.in_flight().remove(&job.id);
        let _ = finished.send(outcome);
    });
}

/// The jobs the executor still runs from before this host restarted, as
/// long as the queue agrees they are at that attempt.
async fn still_running(shared: &Shared) -> Vec<Job> {
    let mut jobs = Vec::new();
    for lease in shared.executor.running().await {
        match shared.store.get(Scope::Operator, lease.job_id).await {
            Ok(Some(job)) if job.state == JobState::Running && job.attempt == lease.attempt => {
                tracing::info!(job = %job.id, attempt = job.attempt, "picking up a run started before a restart");
                jobs.push(job);
            }
            // Finished, or rescued and retried since: the executor's run
            // ends on its own and nothing of it is recorded.
            Ok(_) => {}
            Err(err) => tracing::warn!(
                job = %lease.job_id,
                error = %kiln_core::ErrorChain(&err),
                "cannot look up a run started before a restart; its lease will expire and the job be rescued"
            ),
        }
    }
    jobs
}

/// Waits until the blob store passes its readiness check (or shutdown).
async fn wait_for_storage(shared: &Shared, shutdown: &CancellationToken) {
    const BACKOFF: RetryPolicy =
        RetryPolicy { base: Duration::from_millis(250), max: Duration::from_secs(5) };
    for check in 1.. {
        match shared.blobs.check().await {
            Ok(()) => {
                if check > 1 {
                    tracing::info!("storage answers again; claiming jobs");
                }
                shared.storage_down.store(false, Ordering::Relaxed);
                return;
            }
            Err(err) if check == 1 => tracing::warn!(
                error = %kiln_core::ErrorChain(&err),
                "storage is not usable; claiming no jobs until it answers again"
            ),
            Err(_) => {}
        }
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = tokio::time::sleep(BACKOFF.delay(check)) => {}
        }
    }
}

/// How long an idle pool waits: until the next delayed job is due, at most
/// the poll interval.
async fn until_due(store: &dyn JobStore, poll_interval: Duration) -> Duration {
    match store.next_due().await {
        Ok(Some(due)) => {
            (due - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO).min(poll_interval)
        }
        _ => poll_interval,
    }
}

/// Records outcomes: everything that finished while the previous write was
/// in flight goes in the next one. A failed write is retried; while the
/// database is away, leases run out and the rescuer takes over.
async fn record(store: Arc<dyn JobStore>, mut finished: mpsc::UnboundedReceiver<Finished>) {
    const BATCH: usize = 256;
    let mut batch = Vec::new();
    while finished.recv_many(&mut batch, BATCH).await > 0 {
        let mut completions: Vec<Completion> = Vec::new();
        let mut releases = Vec::new();
        for outcome in batch.drain(..) {
            match outcome {
                Finished::Complete(completion) => completions.push(*completion),
                Finished::Release(lease) => releases.push(lease),
                Finished::Abandon => {}
            }
        }
        if !completions.is_empty() {
            retry("recording finished jobs", || store.complete(completions.clone())).await;
        }
        if !releases.is_empty() {
            retry("handing jobs back", || store.release(&releases)).await;
        }
    }
}

/// Retries a store write with backoff for about a minute, then gives up
/// (the leases expire and the jobs are rescued).
pub(crate) async fn retry<T, F, Fut>(what: &str, mut write: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = kiln_queue::Result<T>>,
{
    const BACKOFF: RetryPolicy =
        RetryPolicy { base: Duration::from_millis(100), max: Duration::from_secs(10) };
    for attempt in 1..=10 {
        match write().await {
            Ok(_) => return,
            Err(err) => {
                let delay = BACKOFF.delay(attempt);
                tracing::warn!(error = %kiln_core::ErrorChain(&err), attempt, "{what} failed; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
            }
        }
    }
    tracing::error!(
        "{what} kept failing; the affected jobs will be rescued when their leases expire"
    );
}

/// Extends the leases of running jobs every third of the lease, and stops
/// jobs that were canceled or lost.
async fn heartbeat(shared: Arc<Shared>, stop: CancellationToken) {
    let every = shared.config.lease / 3;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
        let flights: Vec<InFlight> = shared.in_flight().values().cloned().collect();
        if flights.is_empty() {
            continue;
        }
        let leases: Vec<Lease> = flights.iter().map(|flight| flight.lease).collect();
        match shared.store.heartbeat(&leases, shared.config.lease).await {
            Ok(statuses) => {
                for (flight, status) in flights.iter().zip(statuses) {
                    match status {
                        LeaseStatus::Held => {}
                        LeaseStatus::CancelRequested => flight.stop(StopReason::CancelRequested),
                        LeaseStatus::Lost => {
                            tracing::warn!(job = %flight.lease.job_id, "lease lost; stopping the run");
                            flight.stop(StopReason::LeaseLost);
                        }
                    }
                }
            }
            Err(err) => {
                tracing::warn!(error = %kiln_core::ErrorChain(&err), "heartbeat failed; retrying at the next beat")
            }
        }
    }
}
