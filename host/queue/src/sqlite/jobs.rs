//! A job's lifecycle and its reads on SQLite.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kiln_core::{EventKind, Job, JobEvent, JobId, JobState, LogEntry, Progress, WebhookState};
use sqlx::Row;
use sqlx::sqlite::SqliteConnection;
use sqlx::types::Json;
use uuid::Uuid;

use crate::model::{
    Completion, ExpiredJob, JobFilter, Lease, LeaseStatus, NewJob, Notice, Scope, Submitted,
    TypeStats, lease_expired,
};
use crate::policy::Decision;
use crate::row::{self, job_columns};
use crate::{Error, JobLifecycle, JobOutcome, JobReads, Result, reads};

use super::{SqliteStore, Writer, after, from_micros, jobs, micros, now, span};

impl SqliteStore {
    /// Applies one completion inside `tx`; `None` if its lease is not held
    /// (or, with `expired_only`, has not expired).
    async fn finish(
        &self,
        tx: &mut SqliteConnection,
        completion: &Completion,
        expired_only: bool,
    ) -> Result<Option<Notice>> {
        let lease = completion.lease;
        let now = now();
        let Some(current) = sqlx::query(
            "SELECT cancel_requested, lease_until, organisation_id, session_id, artifact_type
             FROM jobs WHERE id = ? AND attempt = ? AND state = 'running'",
        )
        .bind(lease.job_id)
        .bind(lease.attempt)
        .fetch_optional(&mut *tx)
        .await?
        else {
            return Ok(None);
        };
        if expired_only && current.try_get::<i64, _>("lease_until")? >= now {
            return Ok(None);
        }
        let decision = Decision::of(&self.config, completion);
        let (next, mut data) = decision.guarded(current.try_get("cancel_requested")?);
        let retry_at = decision.retry_in.filter(|_| next == JobState::Queued).map(|delay| {
            let at = now.saturating_add(span(delay));
            data["run_at"] = serde_json::json!(from_micros(at, "run_at").ok());
            at
        });
        let error = completion.error().map(Json);
        sqlx::query(
            "UPDATE jobs SET state = ?1,
                run_at = coalesce(?2, run_at),
                lease_until = NULL,
                finished_at = CASE WHEN ?1 = 'queued' THEN NULL ELSE ?3 END,
                error = ?4,
                plugin = coalesce(?5, plugin),
                usage = coalesce(?6, usage),
                progress = coalesce(?8, progress),
                excused_attempts = excused_attempts + ?9
             WHERE id = ?7",
        )
        .bind(next.as_str())
        .bind(retry_at)
        .bind(now)
        .bind(error)
        .bind(completion.plugin.as_ref().map(Json))
        .bind(completion.usage.as_ref().map(Json))
        .bind(lease.job_id)
        .bind(completion.progress.as_ref().map(Json))
        .bind(i32::from(decision.excused))
        .execute(&mut *tx)
        .await?;
        let kind =
            EventKind::from_str(next.as_str()).map_err(|err| Error::Corrupt(err.to_string()))?;
        let notice = insert_event(tx, lease.job_id, kind, lease.attempt, &data).await?;
        if next == JobState::Succeeded {
            for artifact in completion.artifacts() {
                sqlx::query(
                    "INSERT INTO artifacts (id, job_id, organisation_id, session_id, artifact_type, path, media_type,
                                            size, sha256, storage_key, created_at, plugin)
                     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                )
                .bind(Uuid::now_v7())
                .bind(lease.job_id)
                .bind(current.try_get::<Uuid, _>("organisation_id")?)
                .bind(current.try_get::<String, _>("session_id")?)
                .bind(current.try_get::<String, _>("artifact_type")?)
                .bind(&artifact.path)
                .bind(&artifact.media_type)
                .bind(i64::try_from(artifact.size).unwrap_or(i64::MAX))
                .bind(&artifact.sha256)
                .bind(&artifact.storage_key)
                .bind(now)
                .bind(completion.plugin.as_ref().map(Json))
                .execute(&mut *tx)
                .await?;
            }
        }
        if completion.log.is_empty() {
            return Ok(Some(notice));
        }
        sqlx::query(
            "INSERT INTO job_logs (job_id, attempt, entries) VALUES (?, ?, ?)
             ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, entries = excluded.entries",
        )
        .bind(lease.job_id)
        .bind(lease.attempt)
        .bind(Json(&completion.log))
        .execute(&mut *tx)
        .await?;
        Ok(Some(notice))
    }

    async fn finish_all(
        &self,
        completions: &[Completion],
        expired_only: bool,
    ) -> Result<Vec<bool>> {
        let mut tx = self.writer.begin().await?;
        let mut notices = Vec::new();
        let mut applied = Vec::with_capacity(completions.len());
        for completion in completions {
            let notice = self.finish(&mut tx, completion, expired_only).await?;
            applied.push(notice.is_some());
            notices.extend(notice);
        }
        self.writer.commit(tx, notices).await?;
        Ok(applied)
    }
}

async fn insert_event(
    tx: &mut SqliteConnection,
    job_id: JobId,
    kind: EventKind,
    attempt: i32,
    data: &serde_json::Value,
) -> Result<Notice> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO job_events (job_id, kind, attempt, data, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(job_id)
    .bind(kind.as_str())
    .bind(attempt)
    .bind(Json(data))
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    Ok(Notice::Event { id, job_id, kind })
}

/// Queues `jobs` in one transaction (the store's group commit calls it).
pub(super) async fn insert(writer: &Writer, jobs: &[NewJob]) -> Result<Vec<Submitted>> {
    let mut tx = writer.begin().await?;
    let mut notices = Vec::new();
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let hash = job.request_hash();
        if let Some(key) = &job.idempotency_key {
            let existing = sqlx::query(concat!(
                "SELECT ",
                job_columns!(),
                ", request_hash FROM jobs WHERE organisation_id = ? AND idempotency_key = ?"
            ))
            .bind(job.organisation_id)
            .bind(key)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(row) = existing {
                let existing = row::job(&row)?;
                let same = row.try_get::<Option<String>, _>("request_hash")?.as_deref()
                    == Some(hash.as_str());
                results.push(if same {
                    Submitted::Existing(existing)
                } else {
                    Submitted::Conflict { key: key.clone(), existing: existing.id }
                });
                continue;
            }
        }
        let now = now();
        let run_at = job.run_at.map(micros).unwrap_or(now);
        let row = sqlx::query(concat!(
            "INSERT INTO jobs (id, organisation_id, session_id, conversation_id, artifact_type, spec, assets,
                               priority, max_attempts, run_at, idempotency_key, request_hash, created_at,
                               display_name, metadata, callback_url, webhook_state)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             RETURNING ",
            job_columns!()
        ))
        .bind(JobId::now_v7())
        .bind(job.organisation_id)
        .bind(&job.session_id)
        .bind(&job.conversation_id)
        .bind(&job.artifact_type)
        .bind(Json(&job.spec))
        .bind(Json(&job.assets))
        .bind(job.priority)
        .bind(job.max_attempts)
        .bind(run_at)
        .bind(&job.idempotency_key)
        .bind(&hash)
        .bind(now)
        .bind(&job.display_name)
        .bind(job.metadata.as_ref().map(Json))
        .bind(&job.callback_url)
        .bind(job.callback_url.as_ref().map(|_| WebhookState::Pending.as_str()))
        .fetch_one(&mut *tx)
        .await?;
        let created = row::job(&row)?;
        let data = serde_json::json!({ "reason": "submitted", "run_at": created.run_at });
        notices.push(insert_event(&mut tx, created.id, EventKind::Queued, 0, &data).await?);
        results.push(Submitted::Created(created));
    }
    writer.commit(tx, notices).await?;
    Ok(results)
}

#[async_trait]
impl JobLifecycle for SqliteStore {
    async fn submit(&self, jobs: Vec<NewJob>) -> Result<Vec<Submitted>> {
        self.submits.submit(jobs).await
    }

    async fn claim(&self, worker: &str, max: usize, lease: Duration) -> Result<Vec<Job>> {
        let mut tx = self.writer.begin().await?;
        let rows = sqlx::query(concat!(
            "UPDATE jobs SET state = 'running', attempt = attempt + 1, worker_id = ?1, lease_until = ?2, started_at = ?3
             WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= ?3
                          ORDER BY priority DESC, run_at, id LIMIT ?4)
             RETURNING ",
            job_columns!()
        ))
        .bind(worker)
        .bind(after(lease))
        .bind(now())
        .bind(i64::try_from(max).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = jobs(&rows)?;
        claimed.sort_by(|a, b| {
            b.priority.cmp(&a.priority).then(a.run_at.cmp(&b.run_at)).then(a.id.cmp(&b.id))
        });
        let mut notices = Vec::with_capacity(claimed.len());
        for job in &claimed {
            let data = serde_json::json!({ "worker": worker });
            notices
                .push(insert_event(&mut tx, job.id, EventKind::Running, job.attempt, &data).await?);
        }
        self.writer.commit(tx, notices).await?;
        Ok(claimed)
    }

    async fn claim_job(&self, worker: &str, id: JobId, lease: Duration) -> Result<Option<Job>> {
        let mut tx = self.writer.begin().await?;
        let row = sqlx::query(concat!(
            "UPDATE jobs SET state = 'running', attempt = attempt + 1, worker_id = ?1, lease_until = ?2, started_at = ?3
             WHERE id = ?4 AND state = 'queued'
             RETURNING ",
            job_columns!()
        ))
        .bind(worker)
        .bind(after(lease))
        .bind(now())
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let job = row::job(&row)?;
        let data = serde_json::json!({ "worker": worker });
        let notice = insert_event(&mut tx, job.id, EventKind::Running, job.attempt, &data).await?;
        self.writer.commit(tx, vec![notice]).await?;
        Ok(Some(job))
    }

    async fn heartbeat(&self, leases: &[Lease], lease: Duration) -> Result<Vec<LeaseStatus>> {
        let mut tx = self.writer.begin().await?;
        let mut statuses = Vec::with_capacity(leases.len());
        for held in leases {
            let cancel_requested: Option<bool> = sqlx::query_scalar(
                "UPDATE jobs SET lease_until = ? WHERE id = ? AND attempt = ? AND state = 'running'
                 RETURNING cancel_requested",
            )
            .bind(after(lease))
            .bind(held.job_id)
            .bind(held.attempt)
            .fetch_optional(&mut *tx)
            .await?;
            statuses.push(match cancel_requested {
                Some(true) => LeaseStatus::CancelRequested,
                Some(false) => LeaseStatus::Held,
                None => LeaseStatus::Lost,
            });
        }
        self.writer.commit(tx, Vec::new()).await?;
        Ok(statuses)
    }

    async fn progress(&self, lease: Lease, progress: &Progress) -> Result<bool> {
        let mut tx = self.writer.begin().await?;
        let updated = sqlx::query(
            "UPDATE jobs SET progress = ? WHERE id = ? AND attempt = ? AND state = 'running'",
        )
        .bind(Json(progress))
        .bind(lease.job_id)
        .bind(lease.attempt)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let mut notices = Vec::new();
        if updated {
            let data =
                serde_json::to_value(progress).map_err(|err| Error::Corrupt(err.to_string()))?;
            notices.push(
                insert_event(&mut tx, lease.job_id, EventKind::Progress, lease.attempt, &data)
                    .await?,
            );
        }
        self.writer.commit(tx, notices).await?;
        Ok(updated)
    }

    async fn complete(&self, completions: Vec<Completion>) -> Result<Vec<bool>> {
        self.finish_all(&completions, false).await
    }

    async fn release(&self, leases: &[Lease]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let mut notices = Vec::new();
        for lease in leases {
            let state: Option<String> = sqlx::query_scalar(
                "UPDATE jobs SET
                    state = CASE WHEN cancel_requested THEN 'canceled' ELSE 'queued' END,
                    finished_at = CASE WHEN cancel_requested THEN ?1 END,
                    run_at = ?1, lease_until = NULL, excused_attempts = excused_attempts + 1
                 WHERE id = ?2 AND attempt = ?3 AND state = 'running'
                 RETURNING state",
            )
            .bind(now())
            .bind(lease.job_id)
            .bind(lease.attempt)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(state) = state {
                let kind =
                    EventKind::from_str(&state).map_err(|err| Error::Corrupt(err.to_string()))?;
                let data = serde_json::json!({ "reason": "released" });
                notices
                    .push(insert_event(&mut tx, lease.job_id, kind, lease.attempt, &data).await?);
            }
        }
        self.writer.commit(tx, notices).await
    }

    async fn cancel(&self, scope: Scope, id: JobId) -> Result<Option<Job>> {
        let mut tx = self.writer.begin().await?;
        let updated = sqlx::query(
            "UPDATE jobs SET
                state = CASE state WHEN 'queued' THEN 'canceled' ELSE state END,
                finished_at = CASE state WHEN 'queued' THEN ?3 ELSE finished_at END,
                cancel_requested = 1
             WHERE id = ?1 AND (?2 IS NULL OR organisation_id = ?2)
               AND (state = 'queued' OR (state = 'running' AND NOT cancel_requested))
             RETURNING state, attempt",
        )
        .bind(id)
        .bind(scope.organisation())
        .bind(now())
        .fetch_optional(&mut *tx)
        .await?;
        let mut notices = Vec::new();
        if let Some(row) = updated {
            let kind = match row.try_get::<String, _>("state")?.as_str() {
                "canceled" => EventKind::Canceled,
                _ => EventKind::CancelRequested,
            };
            let attempt: i32 = row.try_get("attempt")?;
            notices.push(insert_event(&mut tx, id, kind, attempt, &serde_json::json!({})).await?);
        }
        self.writer.commit(tx, notices).await?;
        self.get(scope, id).await
    }

    async fn rescue(&self) -> Result<u64> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state = 'running' AND lease_until < ? ORDER BY lease_until LIMIT 1000"
        ))
        .bind(now())
        .fetch_all(&self.reader)
        .await?;
        let expired = jobs(&rows)?
            .iter()
            .map(|job| Completion::new(job, JobOutcome::Failed(lease_expired())))
            .collect::<Vec<_>>();
        let applied = self.finish_all(&expired, true).await?;
        Ok(applied.iter().filter(|applied| **applied).count() as u64)
    }

    async fn expired(&self, age: Duration, limit: usize) -> Result<Vec<ExpiredJob>> {
        let cutoff = now().saturating_sub(span(age));
        let rows = sqlx::query(
            "SELECT id, organisation_id, session_id FROM jobs
             WHERE state IN ('succeeded', 'failed', 'canceled') AND finished_at < ?
             ORDER BY finished_at LIMIT ?",
        )
        .bind(cutoff)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(row::expired_job).collect()
    }

    async fn delete_finished(&self, ids: &[JobId]) -> Result<u64> {
        let finished =
            "DELETE FROM jobs WHERE id = ? AND state IN ('succeeded', 'failed', 'canceled')";
        self.delete_each(finished, ids).await
    }
}

#[async_trait]
impl JobReads for SqliteStore {
    async fn get(&self, scope: Scope, id: JobId) -> Result<Option<Job>> {
        reads::job(&self.reader, scope, id).await
    }

    async fn list(&self, scope: Scope, filter: &JobFilter) -> Result<Vec<Job>> {
        reads::jobs(&self.reader, scope, filter).await
    }

    async fn events(&self, scope: Scope, id: JobId, after: i64) -> Result<Vec<JobEvent>> {
        reads::events(&self.reader, scope, id, after).await
    }

    async fn log(&self, scope: Scope, job: JobId) -> Result<Vec<LogEntry>> {
        reads::log(&self.reader, scope, job).await
    }

    async fn active(&self, limit: u32) -> Result<Vec<Job>> {
        reads::active(&self.reader, limit).await
    }

    async fn stats(&self, window: Duration) -> Result<Vec<TypeStats>> {
        let cutoff = now().saturating_sub(span(window));
        let rows = sqlx::query(
            "SELECT artifact_type, state, (finished_at - started_at) / 1000.0 AS ms FROM jobs
             WHERE state IN ('succeeded', 'failed', 'canceled') AND finished_at > ?",
        )
        .bind(cutoff)
        .fetch_all(&self.reader)
        .await?;
        let mut by_type: BTreeMap<String, (Vec<JobState>, Vec<f64>)> = BTreeMap::new();
        for row in &rows {
            let entry = by_type.entry(row.try_get("artifact_type")?).or_default();
            entry.0.push(row::Columns::parsed(row, "state")?);
            if let Some(ms) = row.try_get::<Option<f64>, _>("ms")? {
                entry.1.push(ms);
            }
        }
        Ok(by_type
            .into_iter()
            .map(|(artifact_type, (states, mut durations))| {
                durations.sort_by(f64::total_cmp);
                TypeStats::from_finished(artifact_type, &states, &durations)
            })
            .collect())
    }

    async fn next_due(&self) -> Result<Option<DateTime<Utc>>> {
        reads::next_due(&self.reader).await
    }
}
