//! A job's lifecycle and its reads on SQLite.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kiln_core::{EventKind, Job, JobEvent, JobId, JobState, LogEntry, Progress, WebhookState};
use rusqlite::{Connection, params};
use uuid::Uuid;

use crate::model::{
    Completion, ExpiredJob, JobFilter, Lease, LeaseStatus, NewJob, Notice, Scope, Submitted,
    TypeStats, lease_expired,
};
use crate::policy::Decision;
use crate::row::{self, Columns, job_columns};
use crate::{Error, JobLifecycle, JobOutcome, JobReads, QueueConfig, Result, reads};

use super::{SqliteStore, after, execute, first, from_micros, json, micros, now, rows, span};

/// Applies one completion; `false` if its lease is not held (or, with
/// `expired_only`, has not expired).
fn finish(
    db: &Connection,
    config: &QueueConfig,
    completion: &Completion,
    expired_only: bool,
    notices: &mut Vec<Notice>,
) -> Result<bool> {
    let lease = completion.lease;
    let now = now();
    let Some((cancel_requested, lease_until, organisation_id, session_id, artifact_type)) = first(
        db,
        "SELECT cancel_requested, lease_until, organisation_id, session_id, artifact_type
         FROM jobs WHERE id = ? AND attempt = ? AND state = 'running'",
        params![lease.job_id.0, lease.attempt],
        |row| {
            Ok((
                row.boolean("cancel_requested")?,
                row.int("lease_until")?,
                row.id::<Uuid>("organisation_id")?,
                row.string("session_id")?,
                row.string("artifact_type")?,
            ))
        },
    )?
    else {
        return Ok(false);
    };
    if expired_only && lease_until >= now {
        return Ok(false);
    }
    let decision = Decision::of(config, completion);
    let (next, mut data) = decision.guarded(cancel_requested);
    let retry_at = decision.retry_in.filter(|_| next == JobState::Queued).map(|delay| {
        let at = now.saturating_add(span(delay));
        data["run_at"] = serde_json::json!(from_micros(at, "run_at").ok());
        at
    });
    let plugin = completion.plugin.as_ref().map(json).transpose()?;
    execute(
        db,
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
        params![
            next.as_str(),
            retry_at,
            now,
            completion.error().map(|error| json(&error)).transpose()?,
            plugin,
            completion.usage.as_ref().map(json).transpose()?,
            lease.job_id.0,
            completion.progress.as_ref().map(json).transpose()?,
            i32::from(decision.excused),
        ],
    )?;
    let kind = EventKind::from_str(next.as_str()).map_err(|err| Error::Corrupt(err.to_string()))?;
    notices.push(insert_event(db, lease.job_id, kind, lease.attempt, &data)?);
    if next == JobState::Succeeded {
        for artifact in completion.artifacts() {
            execute(
                db,
                "INSERT INTO artifacts (id, job_id, organisation_id, session_id, artifact_type, path, media_type,
                                        size, sha256, storage_key, created_at, plugin)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                params![
                    Uuid::now_v7(),
                    lease.job_id.0,
                    organisation_id,
                    session_id,
                    artifact_type,
                    artifact.path,
                    artifact.media_type,
                    i64::try_from(artifact.size).unwrap_or(i64::MAX),
                    artifact.sha256,
                    artifact.storage_key,
                    now,
                    plugin,
                ],
            )?;
        }
    }
    if !completion.log.is_empty() {
        execute(
            db,
            "INSERT INTO job_logs (job_id, attempt, entries) VALUES (?, ?, ?)
             ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, entries = excluded.entries",
            params![lease.job_id.0, lease.attempt, json(&completion.log)?],
        )?;
    }
    Ok(true)
}

impl SqliteStore {
    async fn finish_all(
        &self,
        completions: Vec<Completion>,
        expired_only: bool,
    ) -> Result<Vec<bool>> {
        let config = self.config.clone();
        self.writer
            .write(move |db, notices| {
                completions
                    .iter()
                    .map(|completion| finish(db, &config, completion, expired_only, notices))
                    .collect()
            })
            .await
    }
}

fn insert_event(
    db: &Connection,
    job_id: JobId,
    kind: EventKind,
    attempt: i32,
    data: &serde_json::Value,
) -> Result<Notice> {
    let id = first(
        db,
        "INSERT INTO job_events (job_id, kind, attempt, data, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
        params![job_id.0, kind.as_str(), attempt, json(data)?, now()],
        |row| row.int("id"),
    )?
    .ok_or_else(|| Error::Corrupt("an event insert returned no id".into()))?;
    Ok(Notice::Event { id, job_id, kind })
}

/// Queues `jobs` in one transaction (the store's group commit calls it).
pub(super) fn insert(
    db: &Connection,
    jobs: &[NewJob],
    notices: &mut Vec<Notice>,
) -> Result<Vec<Submitted>> {
    let mut results = Vec::with_capacity(jobs.len());
    for job in jobs {
        let hash = job.request_hash();
        if let Some(key) = &job.idempotency_key {
            let existing = first(
                db,
                concat!(
                    "SELECT ",
                    job_columns!(),
                    ", request_hash FROM jobs WHERE organisation_id = ? AND idempotency_key = ?"
                ),
                params![job.organisation_id.0, key],
                |row| Ok((row::job(row)?, row.opt_string("request_hash")?)),
            )?;
            if let Some((existing, existing_hash)) = existing {
                results.push(if existing_hash.as_deref() == Some(hash.as_str()) {
                    Submitted::Existing(existing)
                } else {
                    Submitted::Conflict { key: key.clone(), existing: existing.id }
                });
                continue;
            }
        }
        let now = now();
        let run_at = job.run_at.map(micros).unwrap_or(now);
        let created = first(
            db,
            concat!(
                "INSERT INTO jobs (id, organisation_id, session_id, conversation_id, artifact_type, spec, assets,
                                   priority, max_attempts, run_at, idempotency_key, request_hash, created_at,
                                   display_name, metadata, callback_url, webhook_state)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 RETURNING ",
                job_columns!()
            ),
            params![
                Uuid::now_v7(),
                job.organisation_id.0,
                job.session_id,
                job.conversation_id,
                job.artifact_type,
                json(&job.spec)?,
                json(&job.assets)?,
                job.priority,
                job.max_attempts,
                run_at,
                job.idempotency_key,
                hash,
                now,
                job.display_name,
                job.metadata.as_ref().map(json).transpose()?,
                job.callback_url,
                job.callback_url.as_ref().map(|_| WebhookState::Pending.as_str()),
            ],
            |row| row::job(row),
        )?
        .ok_or_else(|| Error::Corrupt("a job insert returned no row".into()))?;
        let data = serde_json::json!({ "reason": "submitted", "run_at": created.run_at });
        notices.push(insert_event(db, created.id, EventKind::Queued, 0, &data)?);
        results.push(Submitted::Created(created));
    }
    Ok(results)
}

/// Stores a `running` event for each of `claimed`.
fn claimed_events(
    db: &Connection,
    worker: &str,
    claimed: &[Job],
    notices: &mut Vec<Notice>,
) -> Result<()> {
    let data = serde_json::json!({ "worker": worker });
    for job in claimed {
        notices.push(insert_event(db, job.id, EventKind::Running, job.attempt, &data)?);
    }
    Ok(())
}

#[async_trait]
impl JobLifecycle for SqliteStore {
    async fn submit(&self, jobs: Vec<NewJob>) -> Result<Vec<Submitted>> {
        self.submits.submit(jobs).await
    }

    async fn claim(&self, worker: &str, max: usize, lease: Duration) -> Result<Vec<Job>> {
        let worker = worker.to_owned();
        self.writer
            .write(move |db, notices| {
                let mut claimed = rows(
                    db,
                    concat!(
                        "UPDATE jobs SET state = 'running', attempt = attempt + 1, worker_id = ?1, lease_until = ?2, started_at = ?3
                         WHERE id IN (SELECT id FROM jobs WHERE state = 'queued' AND run_at <= ?3
                                      ORDER BY priority DESC, run_at, id LIMIT ?4)
                         RETURNING ",
                        job_columns!()
                    ),
                    params![worker, after(lease), now(), i64::try_from(max).unwrap_or(i64::MAX)],
                    |row| row::job(row),
                )?;
                claimed.sort_by(|a, b| {
                    b.priority.cmp(&a.priority).then(a.run_at.cmp(&b.run_at)).then(a.id.cmp(&b.id))
                });
                claimed_events(db, &worker, &claimed, notices)?;
                Ok(claimed)
            })
            .await
    }

    async fn claim_job(&self, worker: &str, id: JobId, lease: Duration) -> Result<Option<Job>> {
        let worker = worker.to_owned();
        self.writer
            .write(move |db, notices| {
                let claimed = first(
                    db,
                    concat!(
                        "UPDATE jobs SET state = 'running', attempt = attempt + 1, worker_id = ?1, lease_until = ?2, started_at = ?3
                         WHERE id = ?4 AND state = 'queued'
                         RETURNING ",
                        job_columns!()
                    ),
                    params![worker, after(lease), now(), id.0],
                    |row| row::job(row),
                )?;
                claimed_events(db, &worker, claimed.as_slice(), notices)?;
                Ok(claimed)
            })
            .await
    }

    async fn heartbeat(&self, leases: &[Lease], lease: Duration) -> Result<Vec<LeaseStatus>> {
        let leases = leases.to_vec();
        self.writer
            .write(move |db, _| {
                leases
                    .iter()
                    .map(|held| {
                        let cancel_requested = first(
                            db,
                            "UPDATE jobs SET lease_until = ? WHERE id = ? AND attempt = ? AND state = 'running'
                             RETURNING cancel_requested",
                            params![after(lease), held.job_id.0, held.attempt],
                            |row| row.boolean("cancel_requested"),
                        )?;
                        Ok(match cancel_requested {
                            Some(true) => LeaseStatus::CancelRequested,
                            Some(false) => LeaseStatus::Held,
                            None => LeaseStatus::Lost,
                        })
                    })
                    .collect()
            })
            .await
    }

    async fn progress(&self, lease: Lease, progress: &Progress) -> Result<bool> {
        let data = serde_json::to_value(progress).map_err(|err| Error::Corrupt(err.to_string()))?;
        self.writer
            .write(move |db, notices| {
                let updated = execute(
                    db,
                    "UPDATE jobs SET progress = ? WHERE id = ? AND attempt = ? AND state = 'running'",
                    params![json(&data)?, lease.job_id.0, lease.attempt],
                )? == 1;
                if updated {
                    notices.push(insert_event(
                        db,
                        lease.job_id,
                        EventKind::Progress,
                        lease.attempt,
                        &data,
                    )?);
                }
                Ok(updated)
            })
            .await
    }

    async fn complete(&self, completions: Vec<Completion>) -> Result<Vec<bool>> {
        self.finish_all(completions, false).await
    }

    async fn release(&self, leases: &[Lease]) -> Result<()> {
        let leases = leases.to_vec();
        self.writer
            .write(move |db, notices| {
                let data = serde_json::json!({ "reason": "released" });
                for lease in &leases {
                    let state = first(
                        db,
                        "UPDATE jobs SET
                            state = CASE WHEN cancel_requested THEN 'canceled' ELSE 'queued' END,
                            finished_at = CASE WHEN cancel_requested THEN ?1 END,
                            run_at = ?1, lease_until = NULL, excused_attempts = excused_attempts + 1
                         WHERE id = ?2 AND attempt = ?3 AND state = 'running'
                         RETURNING state",
                        params![now(), lease.job_id.0, lease.attempt],
                        |row| row.parsed::<EventKind>("state"),
                    )?;
                    if let Some(kind) = state {
                        notices.push(insert_event(db, lease.job_id, kind, lease.attempt, &data)?);
                    }
                }
                Ok(())
            })
            .await
    }

    async fn cancel(&self, scope: Scope, id: JobId) -> Result<Option<Job>> {
        let organisation = scope.organisation().map(|id| id.0);
        self.writer
            .write(move |db, notices| {
                let updated = first(
                    db,
                    "UPDATE jobs SET
                        state = CASE state WHEN 'queued' THEN 'canceled' ELSE state END,
                        finished_at = CASE state WHEN 'queued' THEN ?3 ELSE finished_at END,
                        cancel_requested = 1
                     WHERE id = ?1 AND (?2 IS NULL OR organisation_id = ?2)
                       AND (state = 'queued' OR (state = 'running' AND NOT cancel_requested))
                     RETURNING state, attempt",
                    params![id.0, organisation, now()],
                    |row| Ok((row.string("state")?, row.narrow::<i32>("attempt")?)),
                )?;
                if let Some((state, attempt)) = updated {
                    let kind = match state.as_str() {
                        "canceled" => EventKind::Canceled,
                        _ => EventKind::CancelRequested,
                    };
                    notices.push(insert_event(db, id, kind, attempt, &serde_json::json!({}))?);
                }
                Ok(())
            })
            .await?;
        self.get(scope, id).await
    }

    async fn rescue(&self) -> Result<u64> {
        let sql = concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state = 'running' AND lease_until < ? ORDER BY lease_until LIMIT 1000"
        );
        let running = self.reader.read(|db| rows(db, sql, [now()], |row| row::job(row)))?;
        let expired = running
            .iter()
            .map(|job| Completion::new(job, JobOutcome::Failed(lease_expired())))
            .collect::<Vec<_>>();
        let applied = self.finish_all(expired, true).await?;
        Ok(applied.iter().filter(|applied| **applied).count() as u64)
    }

    async fn expired(&self, age: Duration, limit: usize) -> Result<Vec<ExpiredJob>> {
        let cutoff = now().saturating_sub(span(age));
        let sql = "SELECT id, organisation_id, session_id FROM jobs
                   WHERE state IN ('succeeded', 'failed', 'canceled') AND finished_at < ?
                   ORDER BY finished_at LIMIT ?";
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.reader.read(|db| rows(db, sql, [cutoff, limit], |row| row::expired_job(row)))
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
        let sql = "SELECT artifact_type, state, (finished_at - started_at) / 1000.0 AS ms FROM jobs
                   WHERE state IN ('succeeded', 'failed', 'canceled') AND finished_at > ?";
        let finished = self.reader.read(|db| {
            rows(db, sql, [cutoff], |row| {
                let ms: Option<f64> = row.get("ms")?;
                Ok((row.string("artifact_type")?, row.parsed::<JobState>("state")?, ms))
            })
        })?;
        let mut by_type: BTreeMap<String, (Vec<JobState>, Vec<f64>)> = BTreeMap::new();
        for (artifact_type, state, ms) in finished {
            let entry = by_type.entry(artifact_type).or_default();
            entry.0.push(state);
            entry.1.extend(ms);
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
