//! `kiln jobs`: the queue from the command line, for operators. Reads here
//! see every organisation.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressStyle};
use kiln_core::{Job, JobId, JobState, format_bytes};
use kiln_queue::{JobFilter, JobStore, NewJob, Notice, Scope, Submitted};

use crate::store::StateArgs;

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Queue a job.
    Submit {
        /// The artifact type, e.g. xlsx.
        artifact_type: String,
        /// The spec: a JSON file, or `-` for standard input.
        #[arg(long, value_name = "FILE|-")]
        spec: String,
        /// Organisation the job belongs to (created if new).
        #[arg(long, default_value = "default")]
        org: String,
        /// Session the job belongs to.
        #[arg(long, default_value = "cli")]
        session: String,
        /// Higher runs first.
        #[arg(long, default_value_t = 0, allow_negative_numbers = true)]
        priority: i16,
        /// Run no sooner than this many seconds from now.
        #[arg(long, value_name = "SECS")]
        delay_secs: Option<f64>,
        /// Attempts before an infrastructure failure is final.
        #[arg(long, default_value_t = kiln_queue::DEFAULT_MAX_ATTEMPTS)]
        max_attempts: i32,
        /// Submitting the same key again returns the first job.
        #[arg(long, value_name = "KEY")]
        idempotency_key: Option<String>,
        /// Follow the job until it ends (needs a worker running).
        #[arg(long)]
        wait: bool,
    },
    /// List jobs, newest first.
    List {
        #[arg(long)]
        session: Option<String>,
        /// queued, running, succeeded, failed or canceled.
        #[arg(long)]
        state: Option<JobState>,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Only queued and running jobs, oldest first.
        #[arg(long, conflicts_with_all = ["session", "state"])]
        active: bool,
    },
    /// Show a job with its events, artifacts and log.
    Show { id: JobId },
    /// Cancel a job: a queued one at once, a running one through its worker.
    Cancel { id: JobId },
    /// Per artifact type: finished jobs, success rate, run-time percentiles.
    Stats {
        /// The window, hours back from now.
        #[arg(long, default_value_t = 24.0)]
        hours: f64,
    },
}

pub(crate) async fn run(command: Command, state: &StateArgs) -> anyhow::Result<ExitCode> {
    let store = state.job_store().await?;
    let store = store.as_ref();
    match command {
        Command::Submit {
            artifact_type,
            spec,
            org,
            session,
            priority,
            delay_secs,
            max_attempts,
            idempotency_key,
            wait,
        } => {
            let spec = read_spec(&spec)?;
            let organisation = store.organisation(&org).await?;
            let mut new = NewJob::new(organisation.id, &session, &artifact_type, spec)
                .with_priority(priority)
                .with_max_attempts(max_attempts.max(1));
            if let Some(secs) = delay_secs {
                let delay = chrono::Duration::from_std(Duration::try_from_secs_f64(secs)?)?;
                new = new.with_run_at(chrono::Utc::now() + delay);
            }
            if let Some(key) = &idempotency_key {
                new = new.with_idempotency_key(key);
            }
            let job = match store
                .submit(vec![new])
                .await?
                .pop()
                .context("the store returned no result")?
            {
                Submitted::Created(job) => job,
                Submitted::Existing(job) => {
                    eprintln!(
                        "idempotency key already used for the same request: returning the first job"
                    );
                    job
                }
                Submitted::Conflict { key, existing } => {
                    bail!(
                        "idempotency key {key:?} was already used for a different request (job {existing})"
                    )
                }
            };
            println!("{}", job.id);
            if wait {
                return follow(store, job.id).await;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::List { session, state, limit, active } => {
            let jobs = if active {
                store.active(limit).await?
            } else {
                store
                    .list(
                        Scope::Operator,
                        &JobFilter { session_id: session, state, before: None, limit },
                    )
                    .await?
            };
            println!(
                "{:<36}  {:<10}  {:<14}  {:>7}  {:<20}  PROGRESS",
                "ID", "STATE", "TYPE", "ATTEMPT", "CREATED"
            );
            for job in jobs {
                println!(
                    "{:<36}  {:<10}  {:<14}  {:>3}/{:<3}  {:<20}  {}",
                    job.id,
                    job.state,
                    job.artifact_type,
                    job.attempt - job.excused_attempts,
                    job.max_attempts,
                    job.created_at.format("%Y-%m-%d %H:%M:%S"),
                    job.progress
                        .map(|p| format!("{}/{} {}", p.done, p.total, p.message))
                        .unwrap_or_default()
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id } => {
            let job =
                store.get(Scope::Operator, id).await?.with_context(|| format!("no job {id}"))?;
            show(store, &job).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Cancel { id } => {
            let job =
                store.cancel(Scope::Operator, id).await?.with_context(|| format!("no job {id}"))?;
            match job.state {
                JobState::Canceled => println!("{id} canceled"),
                JobState::Running => println!("{id} is running: its worker will stop it"),
                state => println!("{id} already {state}; nothing to cancel"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stats { hours } => {
            let window =
                Duration::try_from_secs_f64(hours * 3600.0).context("--hours must be positive")?;
            println!(
                "{:<14}  {:>8}  {:>9}  {:>6}  {:>8}  {:>9}  {:>9}",
                "TYPE", "FINISHED", "SUCCEEDED", "FAILED", "CANCELED", "P50 MS", "P95 MS"
            );
            for stats in store.stats(window).await? {
                println!(
                    "{:<14}  {:>8}  {:>8.1}%  {:>6}  {:>8}  {:>9.1}  {:>9.1}",
                    stats.artifact_type,
                    stats.finished,
                    stats.success_rate * 100.0,
                    stats.failed,
                    stats.canceled,
                    stats.p50_ms,
                    stats.p95_ms
                );
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn read_spec(path: &str) -> anyhow::Result<serde_json::Value> {
    let text = if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .context("cannot read the spec from standard input")?;
        text
    } else {
        std::fs::read_to_string(path).with_context(|| format!("cannot read the spec {path}"))?
    };
    serde_json::from_str(&text).with_context(|| format!("the spec {path} is not valid JSON"))
}

async fn show(store: &dyn JobStore, job: &Job) -> anyhow::Result<()> {
    println!("job        {}", job.id);
    println!(
        "state      {}{}",
        job.state,
        if job.cancel_requested && !job.state.is_terminal() { " (cancel requested)" } else { "" }
    );
    println!("type       {}", job.artifact_type);
    println!("session    {}", job.session_id);
    // Runs that were not the job's fault (outages, shutdowns) do not count.
    let counted = job.attempt - job.excused_attempts;
    match job.excused_attempts {
        0 => println!("attempt    {counted} of {}", job.max_attempts),
        excused => println!(
            "attempt    {counted} of {} (and {excused} not counted: storage outages or worker shutdowns)",
            job.max_attempts
        ),
    }
    println!("created    {}", job.created_at);
    if let Some(worker) = &job.worker_id {
        println!("worker     {worker}");
    }
    if let Some(plugin) = &job.plugin {
        println!(
            "plugin     {} {} (sha256 {})",
            plugin.name,
            plugin.version,
            &plugin.sha256[..plugin.sha256.len().min(16)]
        );
    }
    if let Some(error) = &job.error {
        println!("error      {} ({:?})", error.message, error.kind);
        for violation in &error.violations {
            println!("           {violation}");
        }
    }
    if let Some(usage) = &job.usage {
        println!(
            "usage      wall {:.1} ms, cpu {:.1} ms, peak memory {}, output {} in {} file(s)",
            usage.wall_time_us as f64 / 1000.0,
            usage.cpu_time_us as f64 / 1000.0,
            format_bytes(usage.peak_memory_bytes),
            format_bytes(usage.output_bytes),
            usage.files
        );
    }
    let artifacts = store.artifacts(Scope::Operator, job.id).await?;
    if !artifacts.is_empty() {
        println!("artifacts");
        for artifact in artifacts {
            println!(
                "  {}  {}  {}  {}",
                artifact.path,
                artifact.media_type,
                format_bytes(artifact.size),
                artifact.storage_key
            );
        }
    }
    println!("events");
    for event in store.events(Scope::Operator, job.id, 0).await? {
        let data = if event.data.as_object().is_some_and(|data| data.is_empty()) {
            String::new()
        } else {
            event.data.to_string()
        };
        println!(
            "  {:>6}  {}  {:<16}  attempt {}  {data}",
            event.id,
            event.created_at.format("%H:%M:%S%.3f"),
            event.kind,
            event.attempt
        );
    }
    let log = store.log(Scope::Operator, job.id).await?;
    if !log.is_empty() {
        println!("log");
        for entry in log {
            println!("  {:?}: {}", entry.source, entry.message);
        }
    }
    Ok(())
}

/// Shows the job's progress until it ends; exits non-zero unless it succeeded.
async fn follow(store: &dyn JobStore, id: JobId) -> anyhow::Result<ExitCode> {
    let mut notices = store.subscribe();
    let bar = ProgressBar::new(0).with_style(
        ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(100));
    loop {
        let job = store
            .get(Scope::Operator, id)
            .await?
            .with_context(|| format!("job {id} disappeared"))?;
        if let Some(progress) = &job.progress {
            bar.set_length(progress.total.max(progress.done));
            bar.set_position(progress.done);
        }
        bar.set_message(format!(
            "{} {}",
            job.state,
            job.progress.as_ref().map(|p| p.message.as_str()).unwrap_or("")
        ));
        if job.state.is_terminal() {
            bar.finish_and_clear();
            show(store, &job).await?;
            return Ok(if job.state == JobState::Succeeded {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        // Notices arrive live from PostgreSQL and from this process on
        // SQLite; the timeout covers a worker in another process on SQLite.
        let _ = tokio::time::timeout(Duration::from_millis(500), async {
            loop {
                match notices.recv().await {
                    Ok(Notice::Event { job_id, .. }) if job_id == id => return,
                    Ok(Notice::Event { .. } | Notice::Plugins) => {}
                    _ => return,
                }
            }
        })
        .await;
    }
}
