//! A job's lifecycle and its reads on PostgreSQL.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kiln_core::{ArtifactId, Job, JobEvent, JobId, LogEntry, Progress};
use sqlx::Row;
use sqlx::postgres::PgPool;
use sqlx::types::Json;

use crate::model::{
    Completion, ExpiredJob, JobFilter, Lease, LeaseStatus, NewJob, Scope, Submitted, TypeStats,
    lease_expired,
};
use crate::policy::Decision;
use crate::row::{self, job_columns};
use crate::{Error, JobLifecycle, JobOutcome, JobReads, Result, reads};

use super::{PostgresStore, jobs, secs};

impl PostgresStore {
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
        let applied: Vec<JobId> = sqlx::query_scalar(
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
    ids: Vec<ArtifactId>,
    job_ids: Vec<JobId>,
    paths: Vec<String>,
    media_types: Vec<String>,
    sizes: Vec<i64>,
    sha256s: Vec<String>,
    storage_keys: Vec<String>,
}

impl ArtifactColumns {
    fn push(&mut self, job_id: JobId, artifact: &crate::NewArtifact) {
        self.ids.push(ArtifactId::now_v7());
        self.job_ids.push(job_id);
        self.paths.push(artifact.path.clone());
        self.media_types.push(artifact.media_type.clone());
        self.sizes.push(i64::try_from(artifact.size).unwrap_or(i64::MAX));
        self.sha256s.push(artifact.sha256.clone());
        self.storage_keys.push(artifact.storage_key.clone());
    }
}

/// Queues `jobs` in one statement (the store's group commit calls it).
pub(super) async fn insert(pool: &PgPool, jobs: &[NewJob]) -> Result<Vec<Submitted>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<JobId> = jobs.iter().map(|_| JobId::now_v7()).collect();
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
    .fetch_all(pool)
    .await?;
    let mut created = self::jobs(&rows)?;
    // Jobs not inserted met an idempotency key already taken.
    let mut results = Vec::with_capacity(jobs.len());
    for (index, job) in jobs.iter().enumerate() {
        if let Some(position) = created.iter().position(|row| row.id == ids[index]) {
            results.push(Submitted::Created(created.swap_remove(position)));
            continue;
        }
        let key =
            job.idempotency_key.clone().ok_or_else(|| Error::Corrupt("job not inserted".into()))?;
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            ", request_hash FROM jobs WHERE organisation_id = $1 AND idempotency_key = $2"
        ))
        .bind(job.organisation_id)
        .bind(&key)
        .fetch_one(pool)
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

#[async_trait]
impl JobLifecycle for PostgresStore {
    async fn submit(&self, jobs: Vec<NewJob>) -> Result<Vec<Submitted>> {
        self.submits.submit(jobs).await
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
            held.insert(
                row.try_get::<JobId, _>("id")?,
                row.try_get::<bool, _>("cancel_requested")?,
            );
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
}

#[async_trait]
impl JobReads for PostgresStore {
    async fn get(&self, scope: Scope, id: JobId) -> Result<Option<Job>> {
        reads::job(&self.pool, scope, id).await
    }

    async fn list(&self, scope: Scope, filter: &JobFilter) -> Result<Vec<Job>> {
        reads::jobs(&self.pool, scope, filter).await
    }

    async fn events(&self, scope: Scope, id: JobId, after: i64) -> Result<Vec<JobEvent>> {
        reads::events(&self.pool, scope, id, after).await
    }

    async fn log(&self, scope: Scope, job: JobId) -> Result<Vec<LogEntry>> {
        reads::log(&self.pool, scope, job).await
    }

    async fn active(&self, limit: u32) -> Result<Vec<Job>> {
        reads::active(&self.pool, limit).await
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
        reads::next_due(&self.pool).await
    }
}
