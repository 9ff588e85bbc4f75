//! [`JobStore`] on PostgreSQL: claims with `FOR UPDATE SKIP LOCKED`, batches
//! as arrays through `UNNEST`, and live events through LISTEN/NOTIFY (the
//! `job_events` insert trigger notifies once per statement).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kiln_core::{
    Artifact, ArtifactId, Asset, Job, JobEvent, JobId, JobState, LogEntry, OrgId, Progress,
    WebhookDelivery,
};
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::types::Json;
use sqlx::{Executor, Row};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::model::{
    ApiKey, Completion, ExpiredJob, JobFilter, Lease, LeaseStatus, NewJob, Notice, Organisation,
    Scope, Submitted, TypeStats, WebhookNext, lease_expired, new_webhook_secret,
};
use crate::policy::Decision;
use crate::registry::{
    self, ActivePlugin, NewPluginVersion, PluginVersion, Registration, Rollback,
    plugin_version_columns,
};
use crate::row::{self, artifact_columns, asset_columns, impl_columns, job_columns};
use crate::{Error, JobOutcome, JobStore, QueueConfig, Result, redact};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// The NOTIFY channel the `job_events` trigger publishes on.
const CHANNEL: &str = "kiln_job_events";

impl_columns!(PgRow, |row, column| Ok(row.try_get(column)?));

pub struct PostgresStore {
    pool: PgPool,
    config: QueueConfig,
    notices: broadcast::Sender<Notice>,
    listener: JoinHandle<()>,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PostgresStore {
    /// Connects (one of the pool's connections is kept for LISTEN).
    pub async fn connect(url: &str, config: QueueConfig) -> Result<Self> {
        let options: PgConnectOptions =
            url.parse().map_err(|source| Error::Connect { url: redact(url), source })?;
        Self::connect_with(options, config).await.map_err(|err| match err {
            Error::Database(source) => Error::Connect { url: redact(url), source },
            other => other,
        })
    }

    /// Connects with explicit options (tests use them to pick a schema).
    pub async fn connect_with(options: PgConnectOptions, config: QueueConfig) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections.max(2))
            .connect_with(options)
            .await?;
        let (notices, _) = broadcast::channel(4096);
        let listener = tokio::spawn(listen(pool.clone(), notices.clone()));
        Ok(Self { pool, config, notices, listener })
    }

    /// Completes runs; with `expired_only`, only those whose lease has run
    /// out (the rescuer must not take a job whose worker just heartbeat).
    async fn finish(&self, completions: &[Completion], expired_only: bool) -> Result<Vec<bool>> {
        if completions.is_empty() {
            return Ok(Vec::new());
        }
        let mut ids = Vec::new();
        let mut attempts = Vec::new();
        let mut states = Vec::new();
        let mut delays = Vec::new();
        let mut excused = Vec::new();
        let mut events = Vec::new();
        let mut errors = Vec::new();
        let mut plugins = Vec::new();
        let mut usages = Vec::new();
        let mut logs = Vec::new();
        let mut progress = Vec::new();
        let mut artifacts = ArtifactColumns::default();
        for completion in completions {
            let lease = completion.lease;
            let decision = Decision::of(&self.config, completion);
            ids.push(lease.job_id);
            attempts.push(lease.attempt);
            states.push(decision.state.as_str());
            delays.push(decision.retry_in.map(|delay| delay.as_secs_f64()));
            excused.push(decision.excused);
            events.push(Json(decision.event));
            errors.push(completion.error().map(Json));
            plugins.push(completion.plugin.as_ref().map(Json));
            usages.push(completion.usage.as_ref().map(Json));
            // Runs that logged nothing store no log row.
            logs.push((!completion.log.is_empty()).then_some(Json(&completion.log)));
            progress.push(completion.progress.as_ref().map(Json));
            for artifact in completion.artifacts() {
                artifacts.push(lease.job_id, artifact);
            }
        }
        // The decisions are made above; the statement applies them under
        // the guards: the lease is held (and, for the rescuer, expired), and
        // a job someone asked to cancel ends canceled rather than queued.
        let applied: Vec<Uuid> = sqlx::query_scalar(
            "WITH c AS (
                SELECT * FROM UNNEST($1::uuid[], $2::int4[], $3::text[], $4::float8[], $5::jsonb[],
                                     $6::jsonb[], $7::jsonb[], $8::jsonb[], $9::jsonb[], $18::jsonb[],
                                     $19::bool[])
                    AS t(id, attempt, state, delay, event, error, plugin, usage, log, progress, excused)
            ), decided AS (
                SELECT c.*, CASE WHEN c.state = 'queued' AND j.cancel_requested THEN 'canceled' ELSE c.state END AS next
                FROM c JOIN jobs j ON j.id = c.id
                WHERE j.attempt = c.attempt AND j.state = 'running' AND (NOT $17 OR j.lease_until < now())
            ), updated AS (
                UPDATE jobs j SET
                    state = d.next,
                    run_at = CASE WHEN d.next = 'queued' THEN now() + d.delay * interval '1 second' ELSE j.run_at END,
                    lease_until = NULL,
                    finished_at = CASE WHEN d.next = 'queued' THEN NULL ELSE now() END,
                    error = d.error,
                    plugin = coalesce(d.plugin, j.plugin),
                    usage = coalesce(d.usage, j.usage),
                    progress = coalesce(d.progress, j.progress),
                    excused_attempts = j.excused_attempts + CASE WHEN d.excused THEN 1 ELSE 0 END
                FROM decided d WHERE j.id = d.id
                RETURNING j.id, j.state, j.attempt, j.run_at, j.organisation_id, j.session_id, j.artifact_type, j.plugin
            ), events AS (
                INSERT INTO job_events (job_id, kind, attempt, data)
                SELECT u.id, u.state, u.attempt, CASE
                    WHEN u.state = 'queued' THEN d.event || jsonb_build_object('run_at', u.run_at)
                    WHEN u.state = d.state THEN d.event
                    ELSE '{}'::jsonb END
                FROM updated u JOIN decided d ON d.id = u.id
            ), new_artifacts AS (
                INSERT INTO artifacts (id, job_id, organisation_id, session_id, artifact_type, path, media_type, size, sha256, storage_key, plugin)
                SELECT a.id, a.job_id, u.organisation_id, u.session_id, u.artifact_type, a.path, a.media_type, a.size, a.sha256, a.storage_key, u.plugin
                FROM UNNEST($10::uuid[], $11::uuid[], $12::text[], $13::text[], $14::int8[], $15::text[], $16::text[])
                    AS a(id, job_id, path, media_type, size, sha256, storage_key)
                JOIN updated u ON u.id = a.job_id AND u.state = 'succeeded'
            ), logs AS (
                INSERT INTO job_logs (job_id, attempt, entries)
                SELECT d.id, d.attempt, d.log FROM decided d WHERE d.log IS NOT NULL
                ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, entries = excluded.entries
            )
            SELECT id FROM updated",
        )
        .bind(&ids)
        .bind(&attempts)
        .bind(&states)
        .bind(&delays)
        .bind(&events)
        .bind(&errors)
        .bind(&plugins)
        .bind(&usages)
        .bind(&logs)
        .bind(&artifacts.ids)
        .bind(&artifacts.job_ids)
        .bind(&artifacts.paths)
        .bind(&artifacts.media_types)
        .bind(&artifacts.sizes)
        .bind(&artifacts.sha256s)
        .bind(&artifacts.storage_keys)
        .bind(expired_only)
        .bind(&progress)
        .bind(&excused)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.iter().map(|id| applied.contains(id)).collect())
    }
}

/// Artifacts of a batch of completions, as parallel arrays for `UNNEST`.
#[derive(Default)]
struct ArtifactColumns {
    ids: Vec<Uuid>,
    job_ids: Vec<Uuid>,
    paths: Vec<String>,
    media_types: Vec<String>,
    sizes: Vec<i64>,
    sha256s: Vec<String>,
    storage_keys: Vec<String>,
}

impl ArtifactColumns {
    fn push(&mut self, job_id: JobId, artifact: &crate::NewArtifact) {
        self.ids.push(Uuid::now_v7());
        self.job_ids.push(job_id);
        self.paths.push(artifact.path.clone());
        self.media_types.push(artifact.media_type.clone());
        self.sizes.push(i64::try_from(artifact.size).unwrap_or(i64::MAX));
        self.sha256s.push(artifact.sha256.clone());
        self.storage_keys.push(artifact.storage_key.clone());
    }
}

/// Forwards NOTIFY payloads ("event_id job_id kind" lines) as notices, and
/// a [`Notice::Resync`] whenever the connection was lost and notices may
/// have been missed.
async fn listen(pool: PgPool, notices: broadcast::Sender<Notice>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %kiln_core::ErrorChain(&err), "cannot open a connection to listen for job events; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %kiln_core::ErrorChain(&err), "LISTEN failed; retrying in 1 s");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let _ = notices.send(Notice::Resync);
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    for line in notification.payload().lines() {
                        match parse_notice(line) {
                            Some(notice) => {
                                let _ = notices.send(notice);
                            }
                            None => {
                                tracing::warn!(line, "ignoring a malformed job event notification")
                            }
                        }
                    }
                }
                // The connection dropped; the next call reconnects.
                Ok(None) => {
                    let _ = notices.send(Notice::Resync);
                }
                Err(err) => {
                    tracing::warn!(error = %kiln_core::ErrorChain(&err), "listening for job events failed; reconnecting in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

fn parse_notice(line: &str) -> Option<Notice> {
    if line == "plugins" {
        return Some(Notice::Plugins);
    }
    let mut parts = line.split(' ');
    let id = parts.next()?.parse().ok()?;
    let job_id = parts.next()?.parse().ok()?;
    let kind = parts.next()?.parse().ok()?;
    Some(Notice::Event { id, job_id, kind })
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

fn jobs(rows: &[PgRow]) -> Result<Vec<Job>> {
    rows.iter().map(row::job).collect()
}

#[async_trait]
impl JobStore for PostgresStore {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.pool.execute("SELECT 1").await?;
        Ok(())
    }

    async fn organisation(&self, name: &str) -> Result<Organisation> {
        let row = sqlx::query(
            "WITH inserted AS (
                INSERT INTO organisations (id, name) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING id, name
            )
            SELECT id, name FROM inserted UNION ALL SELECT id, name FROM organisations WHERE name = $2",
        )
        .bind(Uuid::now_v7())
        .bind(name)
        .fetch_one(&self.pool)
        .await?;
        Ok(Organisation { id: row.try_get("id")?, name: row.try_get("name")? })
    }

    async fn add_api_key(&self, key: &ApiKey, hash: &[u8]) -> Result<()> {
        sqlx::query("INSERT INTO api_keys (id, organisation_id, kind, prefix, hash, label) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(key.id)
            .bind(key.organisation_id)
            .bind(key.kind.as_str())
            .bind(&key.prefix)
            .bind(hash)
            .bind(&key.label)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn api_key(&self, hash: &[u8]) -> Result<Option<ApiKey>> {
        let row = sqlx::query(
            "SELECT id, organisation_id, kind, prefix, label FROM api_keys WHERE hash = $1 AND revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row::api_key).transpose()
    }

    async fn submit(&self, jobs: Vec<NewJob>) -> Result<Vec<Submitted>> {
        if jobs.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = jobs.iter().map(|_| Uuid::now_v7()).collect();
        let hashes: Vec<String> = jobs.iter().map(NewJob::request_hash).collect();
        let rows = sqlx::query(concat!(
            "WITH inserted AS (
                INSERT INTO jobs (id, organisation_id, session_id, conversation_id, artifact_type, spec, assets,
                                  priority, max_attempts, run_at, idempotency_key, request_hash,
                                  display_name, metadata, callback_url, webhook_state)
                SELECT id, organisation_id, session_id, conversation_id, artifact_type, spec, assets,
                       priority, max_attempts, coalesce(run_at, now()), idempotency_key, request_hash,
                       display_name, metadata, callback_url, CASE WHEN callback_url IS NOT NULL THEN 'pending' END
                FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::jsonb[],
                            $8::int2[], $9::int4[], $10::timestamptz[], $11::text[], $12::text[],
                            $13::text[], $14::jsonb[], $15::text[])
                    AS t(id, organisation_id, session_id, conversation_id, artifact_type, spec, assets,
                         priority, max_attempts, run_at, idempotency_key, request_hash,
                         display_name, metadata, callback_url)
                ON CONFLICT (organisation_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
                RETURNING *
            ), events AS (
                INSERT INTO job_events (job_id, kind, attempt, data)
                SELECT id, 'queued', 0, jsonb_build_object('reason', 'submitted', 'run_at', run_at) FROM inserted
            )
            SELECT ",
            job_columns!(),
            " FROM inserted"
        ))
        .bind(&ids)
        .bind(jobs.iter().map(|job| job.organisation_id).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.session_id.as_str()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.conversation_id.as_deref()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.artifact_type.as_str()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| Json(&job.spec)).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| Json(&job.assets)).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.priority).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.max_attempts).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.run_at).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.idempotency_key.as_deref()).collect::<Vec<_>>())
        .bind(&hashes)
        .bind(jobs.iter().map(|job| job.display_name.as_deref()).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.metadata.as_ref().map(Json)).collect::<Vec<_>>())
        .bind(jobs.iter().map(|job| job.callback_url.as_deref()).collect::<Vec<_>>())
        .fetch_all(&self.pool)
        .await?;
        let mut created = self::jobs(&rows)?;
        // Jobs not inserted met an idempotency key already taken.
        let mut results = Vec::with_capacity(jobs.len());
        for (index, job) in jobs.iter().enumerate() {
            if let Some(position) = created.iter().position(|row| row.id == ids[index]) {
                results.push(Submitted::Created(created.swap_remove(position)));
                continue;
            }
            let key = job
                .idempotency_key
                .clone()
                .ok_or_else(|| Error::Corrupt("job not inserted".into()))?;
            let row = sqlx::query(concat!(
                "SELECT ",
                job_columns!(),
                ", request_hash FROM jobs WHERE organisation_id = $1 AND idempotency_key = $2"
            ))
            .bind(job.organisation_id)
            .bind(&key)
            .fetch_one(&self.pool)
            .await?;
            let existing = row::job(&row)?;
            let hash: Option<String> = row.try_get("request_hash")?;
            results.push(if hash.as_deref() == Some(hashes[index].as_str()) {
                Submitted::Existing(existing)
            } else {
                Submitted::Conflict { key, existing: existing.id }
            });
        }
        Ok(results)
    }

    async fn claim(&self, worker: &str, max: usize, lease: Duration) -> Result<Vec<Job>> {
        let rows = sqlx::query(concat!(
            "WITH next AS (
                SELECT id FROM jobs WHERE state = 'queued' AND run_at <= now()
                ORDER BY priority DESC, run_at, id
                LIMIT $2 FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE jobs SET state = 'running', attempt = jobs.attempt + 1, worker_id = $1,
                                lease_until = now() + $3 * interval '1 second', started_at = now()
                FROM next WHERE jobs.id = next.id
                RETURNING jobs.*
            ), events AS (
                INSERT INTO job_events (job_id, kind, attempt, data)
                SELECT id, 'running', attempt, jsonb_build_object('worker', worker_id) FROM claimed
            )
            SELECT ",
            job_columns!(),
            " FROM claimed ORDER BY priority DESC, run_at, id"
        ))
        .bind(worker)
        .bind(i64::try_from(max).unwrap_or(i64::MAX))
        .bind(secs(lease))
        .fetch_all(&self.pool)
        .await?;
        jobs(&rows)
    }

    async fn claim_job(&self, worker: &str, id: JobId, lease: Duration) -> Result<Option<Job>> {
        let row = sqlx::query(concat!(
            "WITH claimed AS (
                UPDATE jobs SET state = 'running', attempt = attempt + 1, worker_id = $1,
                                lease_until = now() + $3 * interval '1 second', started_at = now()
                WHERE id = $2 AND state = 'queued'
                RETURNING *
            ), events AS (
                INSERT INTO job_events (job_id, kind, attempt, data)
                SELECT id, 'running', attempt, jsonb_build_object('worker', worker_id) FROM claimed
            )
            SELECT ",
            job_columns!(),
            " FROM claimed"
        ))
        .bind(worker)
        .bind(id)
        .bind(secs(lease))
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row::job).transpose()
    }

    async fn heartbeat(&self, leases: &[Lease], lease: Duration) -> Result<Vec<LeaseStatus>> {
        if leases.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(
            "UPDATE jobs SET lease_until = now() + $3 * interval '1 second'
             FROM UNNEST($1::uuid[], $2::int4[]) AS l(id, attempt)
             WHERE jobs.id = l.id AND jobs.attempt = l.attempt AND jobs.state = 'running'
             RETURNING jobs.id, jobs.cancel_requested",
        )
        .bind(leases.iter().map(|lease| lease.job_id).collect::<Vec<_>>())
        .bind(leases.iter().map(|lease| lease.attempt).collect::<Vec<_>>())
        .bind(secs(lease))
        .fetch_all(&self.pool)
        .await?;
        let mut held = std::collections::HashMap::new();
        for row in rows {
            held.insert(row.try_get::<Uuid, _>("id")?, row.try_get::<bool, _>("cancel_requested")?);
        }
        Ok(leases
            .iter()
            .map(|lease| match held.get(&lease.job_id) {
                Some(true) => LeaseStatus::CancelRequested,
                Some(false) => LeaseStatus::Held,
                None => LeaseStatus::Lost,
            })
            .collect())
    }

    async fn progress(&self, lease: Lease, progress: &Progress) -> Result<bool> {
        let result = sqlx::query(
            "WITH updated AS (
                UPDATE jobs SET progress = $3 WHERE id = $1 AND attempt = $2 AND state = 'running'
                RETURNING id, attempt
            )
            INSERT INTO job_events (job_id, kind, attempt, data) SELECT id, 'progress', attempt, $3 FROM updated",
        )
        .bind(lease.job_id)
        .bind(lease.attempt)
        .bind(Json(progress))
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn complete(&self, completions: Vec<Completion>) -> Result<Vec<bool>> {
        self.finish(&completions, false).await
    }

    async fn release(&self, leases: &[Lease]) -> Result<()> {
        if leases.is_empty() {
            return Ok(());
        }
        sqlx::query(
            "WITH released AS (
                UPDATE jobs SET
                    state = CASE WHEN cancel_requested THEN 'canceled' ELSE 'queued' END,
                    finished_at = CASE WHEN cancel_requested THEN now() END,
                    run_at = now(), lease_until = NULL, excused_attempts = excused_attempts + 1
                FROM UNNEST($1::uuid[], $2::int4[]) AS l(id, attempt)
                WHERE jobs.id = l.id AND jobs.attempt = l.attempt AND jobs.state = 'running'
                RETURNING jobs.id, jobs.state, jobs.attempt
            )
            INSERT INTO job_events (job_id, kind, attempt, data)
            SELECT id, state, attempt, jsonb_build_object('reason', 'released') FROM released",
        )
        .bind(leases.iter().map(|lease| lease.job_id).collect::<Vec<_>>())
        .bind(leases.iter().map(|lease| lease.attempt).collect::<Vec<_>>())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn cancel(&self, scope: Scope, id: JobId) -> Result<Option<Job>> {
        sqlx::query(
            "WITH updated AS (
                UPDATE jobs SET
                    state = CASE state WHEN 'queued' THEN 'canceled' ELSE state END,
                    finished_at = CASE state WHEN 'queued' THEN now() ELSE finished_at END,
                    cancel_requested = true
                WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2)
                  AND (state = 'queued' OR (state = 'running' AND NOT cancel_requested))
                RETURNING id, state, attempt
            )
            INSERT INTO job_events (job_id, kind, attempt, data)
            SELECT id, CASE state WHEN 'canceled' THEN 'canceled' ELSE 'cancel_requested' END, attempt, '{}'
            FROM updated",
        )
        .bind(id)
        .bind(scope.organisation())
        .execute(&self.pool)
        .await?;
        self.get(scope, id).await
    }

    async fn rescue(&self) -> Result<u64> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state = 'running' AND lease_until < now() ORDER BY lease_until LIMIT 1000"
        ))
        .fetch_all(&self.pool)
        .await?;
        let expired = jobs(&rows)?
            .iter()
            .map(|job| Completion::new(job, JobOutcome::Failed(lease_expired())))
            .collect::<Vec<_>>();
        let applied = self.finish(&expired, true).await?;
        Ok(applied.iter().filter(|applied| **applied).count() as u64)
    }

    async fn expired(&self, age: Duration, limit: usize) -> Result<Vec<ExpiredJob>> {
        let rows = sqlx::query(
            "SELECT id, organisation_id, session_id FROM jobs
             WHERE state IN ('succeeded', 'failed', 'canceled') AND finished_at < now() - $1 * interval '1 second'
             ORDER BY finished_at LIMIT $2",
        )
        .bind(secs(age))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row::expired_job).collect()
    }

    async fn delete_finished(&self, ids: &[JobId]) -> Result<u64> {
        let result = sqlx::query(
            "DELETE FROM jobs WHERE id = ANY($1) AND state IN ('succeeded', 'failed', 'canceled')",
        )
        .bind(ids)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected())
    }

    async fn get(&self, scope: Scope, id: JobId) -> Result<Option<Job>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2)"
        ))
        .bind(id)
        .bind(scope.organisation())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row::job).transpose()
    }

    async fn list(&self, scope: Scope, filter: &JobFilter) -> Result<Vec<Job>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs
             WHERE ($1::uuid IS NULL OR organisation_id = $1) AND ($2::text IS NULL OR session_id = $2)
               AND ($3::text IS NULL OR state = $3) AND ($4::uuid IS NULL OR id < $4)
             ORDER BY id DESC LIMIT $5"
        ))
        .bind(scope.organisation())
        .bind(filter.session_id.as_deref())
        .bind(filter.state.map(JobState::as_str))
        .bind(filter.before)
        .bind(filter.limit())
        .fetch_all(&self.pool)
        .await?;
        jobs(&rows)
    }

    async fn events(&self, scope: Scope, id: JobId, after: i64) -> Result<Vec<JobEvent>> {
        let rows = sqlx::query(
            "SELECT e.id, e.job_id, e.kind, e.attempt, e.data, e.created_at
             FROM job_events e JOIN jobs j ON j.id = e.job_id
             WHERE e.job_id = $1 AND ($2::uuid IS NULL OR j.organisation_id = $2) AND e.id > $3
             ORDER BY e.id",
        )
        .bind(id)
        .bind(scope.organisation())
        .bind(after)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row::event).collect()
    }

    async fn artifacts(&self, scope: Scope, job: JobId) -> Result<Vec<Artifact>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            artifact_columns!(),
            " FROM artifacts WHERE job_id = $1 AND ($2::uuid IS NULL OR organisation_id = $2) ORDER BY path"
        ))
        .bind(job)
        .bind(scope.organisation())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row::artifact).collect()
    }

    async fn log(&self, scope: Scope, job: JobId) -> Result<Vec<LogEntry>> {
        let row = sqlx::query(
            "SELECT l.entries FROM job_logs l JOIN jobs j ON j.id = l.job_id
             WHERE l.job_id = $1 AND l.attempt = j.attempt AND ($2::uuid IS NULL OR j.organisation_id = $2)",
        )
        .bind(job)
        .bind(scope.organisation())
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.as_ref().map(row::log).transpose()?.unwrap_or_default())
    }

    async fn active(&self, limit: u32) -> Result<Vec<Job>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await?;
        jobs(&rows)
    }

    async fn stats(&self, window: Duration) -> Result<Vec<TypeStats>> {
        let rows = sqlx::query(
            "SELECT artifact_type,
                    count(*) AS finished,
                    count(*) FILTER (WHERE state = 'succeeded') AS succeeded,
                    count(*) FILTER (WHERE state = 'failed') AS failed,
                    count(*) FILTER (WHERE state = 'canceled') AS canceled,
                    coalesce(percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), 0) AS p50_ms,
                    coalesce(percentile_cont(0.95) WITHIN GROUP (ORDER BY ms), 0) AS p95_ms
             FROM (SELECT artifact_type, state,
                          extract(epoch FROM finished_at - started_at)::float8 * 1000 AS ms
                   FROM jobs
                   WHERE state IN ('succeeded', 'failed', 'canceled')
                     AND finished_at > now() - $1 * interval '1 second') finished
             GROUP BY artifact_type ORDER BY artifact_type",
        )
        .bind(secs(window))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let count = |column: &str| -> Result<u64> {
                    Ok(row.try_get::<i64, _>(column)?.max(0) as u64)
                };
                let finished = count("finished")?;
                let succeeded = count("succeeded")?;
                Ok(TypeStats {
                    artifact_type: row.try_get("artifact_type")?,
                    finished,
                    succeeded,
                    failed: count("failed")?,
                    canceled: count("canceled")?,
                    success_rate: if finished == 0 {
                        0.0
                    } else {
                        succeeded as f64 / finished as f64
                    },
                    p50_ms: row.try_get("p50_ms")?,
                    p95_ms: row.try_get("p95_ms")?,
                })
            })
            .collect()
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        Ok(sqlx::query_scalar("SELECT min(run_at) FROM jobs WHERE state = 'queued'")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            artifact_columns!(),
            " FROM artifacts WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2)"
        ))
        .bind(id)
        .bind(scope.organisation())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row::artifact).transpose()
    }

    async fn session_artifacts(&self, scope: Scope, session: &str) -> Result<Vec<Artifact>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            artifact_columns!(),
            " FROM artifacts WHERE session_id = $1 AND ($2::uuid IS NULL OR organisation_id = $2)
             ORDER BY created_at, id"
        ))
        .bind(session)
        .bind(scope.organisation())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row::artifact).collect()
    }

    async fn delete_artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>> {
        let row = sqlx::query(concat!(
            "DELETE FROM artifacts WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2) RETURNING ",
            artifact_columns!()
        ))
        .bind(id)
        .bind(scope.organisation())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row::artifact).transpose()
    }

    async fn add_asset(&self, asset: &Asset) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO assets (",
            asset_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(asset.id)
        .bind(asset.organisation_id)
        .bind(&asset.filename)
        .bind(&asset.media_type)
        .bind(i64::try_from(asset.size).unwrap_or(i64::MAX))
        .bind(&asset.sha256)
        .bind(&asset.storage_key)
        .bind(asset.created_at)
        .bind(asset.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn assets(&self, scope: Scope, ids: &[Uuid]) -> Result<Vec<Asset>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE id = ANY($1) AND ($2::uuid IS NULL OR organisation_id = $2) AND expires_at > now()"
        ))
        .bind(ids)
        .bind(scope.organisation())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row::asset).collect()
    }

    async fn expired_assets(&self, limit: usize) -> Result<Vec<Asset>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE expires_at <= now() ORDER BY expires_at, id LIMIT $1"
        ))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row::asset).collect()
    }

    async fn delete_assets(&self, ids: &[Uuid]) -> Result<u64> {
        let result = sqlx::query("DELETE FROM assets WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }

    async fn webhook_secret(&self, organisation: OrgId) -> Result<String> {
        let select = || {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT webhook_secret FROM organisations WHERE id = $1",
            )
            .bind(organisation)
            .fetch_optional(&self.pool)
        };
        if let Some(Some(secret)) = select().await? {
            return Ok(secret);
        }
        // Whoever sets it first wins; everyone then reads the same secret.
        sqlx::query(
            "UPDATE organisations SET webhook_secret = $2 WHERE id = $1 AND webhook_secret IS NULL",
        )
        .bind(organisation)
        .bind(new_webhook_secret())
        .execute(&self.pool)
        .await?;
        select()
            .await?
            .flatten()
            .ok_or_else(|| Error::Corrupt(format!("organisation {organisation} does not exist")))
    }

    async fn claim_webhooks(&self, max: usize, lease: Duration) -> Result<Vec<Job>> {
        let rows = sqlx::query(concat!(
            "WITH due AS (
                SELECT id FROM jobs
                WHERE webhook_state = 'pending' AND state IN ('succeeded', 'failed', 'canceled')
                  AND (webhook_next_at IS NULL OR webhook_next_at <= now())
                ORDER BY finished_at, id
                LIMIT $1 FOR UPDATE SKIP LOCKED
            ), claimed AS (
                UPDATE jobs SET webhook_attempts = jobs.webhook_attempts + 1,
                                webhook_next_at = now() + $2 * interval '1 second'
                FROM due WHERE jobs.id = due.id
                RETURNING jobs.*
            )
            SELECT ",
            job_columns!(),
            " FROM claimed ORDER BY finished_at, id"
        ))
        .bind(i64::try_from(max).unwrap_or(i64::MAX))
        .bind(secs(lease))
        .fetch_all(&self.pool)
        .await?;
        jobs(&rows)
    }

    async fn record_delivery(&self, delivery: &WebhookDelivery, next: WebhookNext) -> Result<bool> {
        // One statement: the delivery row is stored only if the fenced update applied.
        let result = sqlx::query(
            "WITH updated AS (
                UPDATE jobs SET webhook_state = $3, webhook_next_at = $4
                WHERE id = $1 AND webhook_state = 'pending' AND webhook_attempts = $2
                RETURNING id
            )
            INSERT INTO webhook_deliveries (job_id, attempt, url, status, error, duration_ms, created_at)
            SELECT id, $2, $5, $6, $7, $8, $9 FROM updated",
        )
        .bind(delivery.job_id)
        .bind(delivery.attempt)
        .bind(next.state().as_str())
        .bind(next.retry_at())
        .bind(&delivery.url)
        .bind(delivery.status.map(i32::from))
        .bind(&delivery.error)
        .bind(delivery.duration_ms)
        .bind(delivery.created_at)
        .execute(&self.pool)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    async fn deliveries(&self, scope: Scope, job: JobId) -> Result<Vec<WebhookDelivery>> {
        let rows = sqlx::query(
            "SELECT d.job_id, d.attempt, d.url, d.status, d.error, d.duration_ms, d.created_at
             FROM webhook_deliveries d JOIN jobs j ON j.id = d.job_id
             WHERE d.job_id = $1 AND ($2::uuid IS NULL OR j.organisation_id = $2)
             ORDER BY d.id",
        )
        .bind(job)
        .bind(scope.organisation())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row::delivery).collect()
    }

    async fn set_plugin_enabled(&self, artifact_type: &str, enabled: bool) -> Result<()> {
        let statement = if enabled {
            "DELETE FROM disabled_plugins WHERE artifact_type = $1"
        } else {
            "INSERT INTO disabled_plugins (artifact_type) VALUES ($1) ON CONFLICT DO NOTHING"
        };
        sqlx::query(statement).bind(artifact_type).execute(&self.pool).await?;
        Ok(())
    }

    async fn disabled_plugins(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT artifact_type FROM disabled_plugins ORDER BY artifact_type")
            .fetch_all(&self.pool)
            .await?)
    }

    async fn register_plugin(&self, plugin: &NewPluginVersion) -> Result<Registration> {
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO plugin_versions
                 (sha256, name, version, artifact_type, size_bytes, builtin, registered_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
        )
        .bind(&plugin.sha256)
        .bind(&plugin.name)
        .bind(&plugin.version)
        .bind(&plugin.artifact_type)
        .bind(i64::try_from(plugin.size_bytes).unwrap_or(i64::MAX))
        .bind(plugin.builtin)
        .bind(&plugin.registered_by)
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(concat!(
            "SELECT ",
            plugin_version_columns!(),
            " FROM plugin_versions v WHERE v.sha256 = $1 OR (v.name = $2 AND v.version = $3 AND NOT v.builtin)
              ORDER BY v.sha256 = $1 DESC LIMIT 1"
        ))
        .bind(&plugin.sha256)
        .bind(&plugin.name)
        .bind(&plugin.version)
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(registry::registration(registry::plugin_version(&row)?, plugin))
    }

    async fn plugin_versions(&self) -> Result<Vec<PluginVersion>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            plugin_version_columns!(),
            " FROM plugin_versions v ORDER BY v.artifact_type, v.registered_at, v.sha256"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(registry::plugin_version).collect()
    }

    async fn activate_plugin(&self, sha256: &str, by: &str) -> Result<Option<ActivePlugin>> {
        let row = sqlx::query(concat!(
            "WITH a AS (
                 INSERT INTO plugin_activations (artifact_type, sha256, activated_by)
                 SELECT artifact_type, sha256, $2 FROM plugin_versions WHERE sha256 = $1
                 RETURNING sha256, activated_by, activated_at)
             SELECT ",
            plugin_version_columns!(),
            ", a.activated_by, a.activated_at FROM a JOIN plugin_versions v ON v.sha256 = a.sha256"
        ))
        .bind(sha256)
        .bind(by)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(registry::active_plugin).transpose()
    }

    async fn roll_back_plugin(&self, artifact_type: &str) -> Result<Rollback> {
        let mut tx = self.pool.begin().await?;
        // Locked, so two rollbacks at once step back one version each.
        let current: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM plugin_activations WHERE artifact_type = $1 AND rolled_back_at IS NULL
             ORDER BY id DESC LIMIT 2 FOR UPDATE",
        )
        .bind(artifact_type)
        .fetch_all(&mut *tx)
        .await?;
        let [newest, earlier] = current[..] else {
            return Ok(Rollback::NothingEarlier);
        };
        sqlx::query("UPDATE plugin_activations SET rolled_back_at = now() WHERE id = $1")
            .bind(newest)
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(concat!(
            "SELECT ",
            plugin_version_columns!(),
            ", a.activated_by, a.activated_at FROM plugin_activations a
               JOIN plugin_versions v ON v.sha256 = a.sha256 WHERE a.id = $1"
        ))
        .bind(earlier)
        .fetch_one(&mut *tx)
        .await?;
        let active = registry::active_plugin(&row)?;
        tx.commit().await?;
        Ok(Rollback::RolledBack(active))
    }

    async fn active_plugins(&self) -> Result<Vec<ActivePlugin>> {
        let rows = sqlx::query(concat!(
            "SELECT DISTINCT ON (a.artifact_type) ",
            plugin_version_columns!(),
            ", a.activated_by, a.activated_at FROM plugin_activations a
               JOIN plugin_versions v ON v.sha256 = a.sha256
              WHERE a.rolled_back_at IS NULL
              ORDER BY a.artifact_type, a.id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(registry::active_plugin).collect()
    }

    async fn record_compiled_plugin(
        &self,
        engine: &str,
        sha256: &str,
        compiled_sha256: &str,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO compiled_plugins (engine, sha256, compiled_sha256) VALUES ($1, $2, $3)
             ON CONFLICT (engine, sha256) DO UPDATE SET compiled_sha256 = excluded.compiled_sha256,
                                                        compiled_at = now()",
        )
        .bind(engine)
        .bind(sha256)
        .bind(compiled_sha256)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn compiled_plugin(&self, engine: &str, sha256: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT compiled_sha256 FROM compiled_plugins WHERE engine = $1 AND sha256 = $2",
        )
        .bind(engine)
        .bind(sha256)
        .fetch_optional(&self.pool)
        .await?)
    }

    fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }
}
