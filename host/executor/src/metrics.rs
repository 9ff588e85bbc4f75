//! Prometheus figures about the runs this process executes: jobs by type
//! and outcome, run time, queue wait, in-flight runs, instantiate time and
//! limit hits. Each process reports its own runs; Prometheus sums them.

use std::sync::atomic::AtomicI64;
use std::time::Duration;

use kiln_core::{Job, Limit};
use kiln_queue::JobOutcome;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

use crate::run::Finished;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Outcome {
    r#type: String,
    outcome: &'static str,
    /// The error kind of a failure, else empty.
    error: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Type {
    r#type: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LimitHit {
    r#type: String,
    limit: &'static str,
}

type Histograms = Family<Type, Histogram, fn() -> Histogram>;

/// The run metrics of one worker pool. Register them with
/// [`RunMetrics::register`] to publish them; unregistered they cost a few
/// atomic adds per run.
#[derive(Debug)]
pub struct RunMetrics {
    finished: Family<Outcome, Counter>,
    duration: Histograms,
    queue_wait: Histograms,
    instantiate: Histograms,
    in_flight: Gauge<i64, AtomicI64>,
    limit_hits: Family<LimitHit, Counter>,
}

impl Default for RunMetrics {
    fn default() -> Self {
        Self {
            finished: Family::default(),
            // 1 ms to about 9 minutes.
            duration: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 2.0, 20))
            }),
            queue_wait: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.001, 2.0, 20))
            }),
            // 1 µs to about 0.5 s.
            instantiate: Family::new_with_constructor(|| {
                Histogram::new(exponential_buckets(0.000_001, 2.0, 20))
            }),
            in_flight: Gauge::default(),
            limit_hits: Family::default(),
        }
    }
}

impl RunMetrics {
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "kiln_jobs_finished",
            "Runs ended, by artifact type and outcome",
            self.finished.clone(),
        );
        registry.register(
            "kiln_job_duration_seconds",
            "Run time of a job attempt",
            self.duration.clone(),
        );
        registry.register(
            "kiln_job_queue_wait_seconds",
            "Time from a job falling due to a worker claiming it",
            self.queue_wait.clone(),
        );
        registry.register(
            "kiln_plugin_instantiate_seconds",
            "Time to instantiate a plugin for one run",
            self.instantiate.clone(),
        );
        registry.register(
            "kiln_jobs_in_flight",
            "Runs executing in this process",
            self.in_flight.clone(),
        );
        registry.register(
            "kiln_limit_hits",
            "Runs stopped by a sandbox limit, by limit",
            self.limit_hits.clone(),
        );
    }

    /// A claimed job starts running.
    pub(crate) fn started(&self, job: &Job) {
        self.in_flight.inc();
        if let Some(started) = job.started_at {
            let wait = (started - job.run_at).to_std().unwrap_or(Duration::ZERO);
            self.queue_wait
                .get_or_create(&Type { r#type: job.artifact_type.clone() })
                .observe(wait.as_secs_f64());
        }
    }

    /// A run ended, after `elapsed`.
    pub(crate) fn finished(&self, job: &Job, finished: &Finished, elapsed: Duration) {
        self.in_flight.dec();
        let by_type = Type { r#type: job.artifact_type.clone() };
        self.duration.get_or_create(&by_type).observe(elapsed.as_secs_f64());
        let (outcome, error) = match finished {
            Finished::Complete(completion) => {
                if let Some(usage) = &completion.usage {
                    self.instantiate
                        .get_or_create(&by_type)
                        .observe(usage.instantiate_us as f64 / 1e6);
                }
                match &completion.outcome {
                    JobOutcome::Succeeded { .. } => ("succeeded", ""),
                    JobOutcome::Canceled => ("canceled", ""),
                    JobOutcome::Failed(error) => {
                        if let Some(limit) = error.limit {
                            let limit = limit_name(limit);
                            self.limit_hits
                                .get_or_create(&LimitHit { r#type: by_type.r#type.clone(), limit })
                                .inc();
                        }
                        ("failed", error.kind.as_str())
                    }
                }
            }
            Finished::Release(_) => ("released", ""),
            Finished::Abandon => ("lease_lost", ""),
        };
        self.finished.get_or_create(&Outcome { r#type: by_type.r#type, outcome, error }).inc();
    }
}

fn limit_name(limit: Limit) -> &'static str {
    match limit {
        Limit::Memory(_) => "memory",
        Limit::CpuTime(_) => "cpu_time",
        Limit::WallClock(_) => "wall_clock",
        Limit::OutputBytes(_) => "output_bytes",
        Limit::OutputFiles(_) => "output_files",
        Limit::LogBytes(_) => "log_bytes",
        Limit::TableElements(_) => "table_elements",
        Limit::Instances(_) => "instances",
        Limit::Resources(_) => "resources",
    }
}
