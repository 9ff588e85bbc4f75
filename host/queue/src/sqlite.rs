//! [`JobStore`] on SQLite, the embedded default: WAL mode, one writer
//! connection whose transactions start `BEGIN IMMEDIATE` (so a
//! read-then-write never fails to upgrade), readers alongside, and live
//! events on an in-process channel. Other processes writing the same file
//! wait on the busy timeout; their notices do not cross processes, so
//! workers there find new jobs by polling.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kiln_core::{
    Artifact, ArtifactId, Asset, EventKind, Job, JobEvent, JobId, JobState, LogEntry, OrgId,
    Progress, WebhookDelivery, WebhookState,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteRow, SqliteSynchronous,
};
use sqlx::types::Json;
use sqlx::{Executor, Row, Sqlite, Transaction};
use tokio::sync::broadcast;
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

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

impl_columns!(SqliteRow, |row, column| {
    let micros: Option<i64> = row.try_get(column)?;
    micros.map(|micros| from_micros(micros, column)).transpose()
});

fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

fn from_micros(micros: i64, column: &str) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| Error::Corrupt(format!("{column} out of range: {micros}")))
}

fn now() -> i64 {
    micros(Utc::now())
}

fn span(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

fn after(duration: Duration) -> i64 {
    now().saturating_add(span(duration))
}

pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
    config: QueueConfig,
    notices: broadcast::Sender<Notice>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file a `sqlite://PATH` URL names.
    pub async fn connect(url: &str, config: QueueConfig) -> Result<Self> {
        let connect_error = |source| Error::Connect { url: redact(url), source };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed job survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // Writes are serialised anyway; one connection makes that explicit
        // and keeps writers in this process from contending for the lock.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(connect_error)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        let (notices, _) = broadcast::channel(4096);
        Ok(Self { writer, reader, config, notices })
    }

    async fn begin(&self) -> Result<Transaction<'static, Sqlite>> {
        // A begin cancelled half-way (a caller's future dropped, e.g. an
        // HTTP client going away) would leave the one writer connection
        // inside a transaction nobody owns, and every later begin would
        // fail. In its own task the begin always completes, and a result
        // nobody takes is dropped, which rolls it back.
        let writer = self.writer.clone();
        tokio::spawn(async move { writer.begin_with("BEGIN IMMEDIATE").await })
            .await
            .map_err(|err| Error::Corrupt(format!("beginning a transaction panicked: {err}")))?
            .map_err(Error::from)
    }

    async fn commit(&self, tx: Transaction<'static, Sqlite>, notices: Vec<Notice>) -> Result<()> {
        tx.commit().await?;
        for notice in notices {
            let _ = self.notices.send(notice);
        }
        Ok(())
    }

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
        let mut tx = self.begin().await?;
        let mut notices = Vec::new();
        let mut applied = Vec::with_capacity(completions.len());
        for completion in completions {
            let notice = self.finish(&mut tx, completion, expired_only).await?;
            applied.push(notice.is_some());
            notices.extend(notice);
        }
        self.commit(tx, notices).await?;
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

fn jobs(rows: &[SqliteRow]) -> Result<Vec<Job>> {
    rows.iter().map(row::job).collect()
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.writer).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.reader.execute("SELECT 1").await?;
        Ok(())
    }

    async fn organisation(&self, name: &str) -> Result<Organisation> {
        let mut tx = self.begin().await?;
        sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING")
            .bind(Uuid::now_v7())
            .bind(name)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query("SELECT id, name FROM organisations WHERE name = ?")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        let organisation = Organisation { id: row.try_get("id")?, name: row.try_get("name")? };
        self.commit(tx, Vec::new()).await?;
        Ok(organisation)
    }

    async fn add_api_key(&self, key: &ApiKey, hash: &[u8]) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO api_keys (id, organisation_id, kind, prefix, hash, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(key.id)
        .bind(key.organisation_id)
        .bind(key.kind.as_str())
        .bind(&key.prefix)
        .bind(hash)
        .bind(&key.label)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        self.commit(tx, Vec::new()).await
    }

    async fn api_key(&self, hash: &[u8]) -> Result<Option<ApiKey>> {
        let row = sqlx::query(
            "SELECT id, organisation_id, kind, prefix, label FROM api_keys WHERE hash = ? AND revoked_at IS NULL",
        )
        .bind(hash)
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(row::api_key).transpose()
    }

    async fn submit(&self, jobs: Vec<NewJob>) -> Result<Vec<Submitted>> {
        let mut tx = self.begin().await?;
        let mut notices = Vec::new();
        let mut results = Vec::with_capacity(jobs.len());
        for job in &jobs {
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
            .bind(Uuid::now_v7())
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
        self.commit(tx, notices).await?;
        Ok(results)
    }

    async fn claim(&self, worker: &str, max: usize, lease: Duration) -> Result<Vec<Job>> {
        let mut tx = self.begin().await?;
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
        self.commit(tx, notices).await?;
        Ok(claimed)
    }

    async fn claim_job(&self, worker: &str, id: JobId, lease: Duration) -> Result<Option<Job>> {
        let mut tx = self.begin().await?;
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
        self.commit(tx, vec![notice]).await?;
        Ok(Some(job))
    }

    async fn heartbeat(&self, leases: &[Lease], lease: Duration) -> Result<Vec<LeaseStatus>> {
        let mut tx = self.begin().await?;
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
        self.commit(tx, Vec::new()).await?;
        Ok(statuses)
    }

    async fn progress(&self, lease: Lease, progress: &Progress) -> Result<bool> {
        let mut tx = self.begin().await?;
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
        self.commit(tx, notices).await?;
        Ok(updated)
    }

    async fn complete(&self, completions: Vec<Completion>) -> Result<Vec<bool>> {
        self.finish_all(&completions, false).await
    }

    async fn release(&self, leases: &[Lease]) -> Result<()> {
        let mut tx = self.begin().await?;
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
        self.commit(tx, notices).await
    }

    async fn cancel(&self, scope: Scope, id: JobId) -> Result<Option<Job>> {
        let mut tx = self.begin().await?;
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
        self.commit(tx, notices).await?;
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
        let mut tx = self.begin().await?;
        let mut deleted = 0;
        for id in ids {
            deleted += sqlx::query(
                "DELETE FROM jobs WHERE id = ? AND state IN ('succeeded', 'failed', 'canceled')",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
        self.commit(tx, Vec::new()).await?;
        Ok(deleted)
    }

    async fn get(&self, scope: Scope, id: JobId) -> Result<Option<Job>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE id = ?1 AND (?2 IS NULL OR organisation_id = ?2)"
        ))
        .bind(id)
        .bind(scope.organisation())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(row::job).transpose()
    }

    async fn list(&self, scope: Scope, filter: &JobFilter) -> Result<Vec<Job>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs
             WHERE (?1 IS NULL OR organisation_id = ?1) AND (?2 IS NULL OR session_id = ?2)
               AND (?3 IS NULL OR state = ?3) AND (?4 IS NULL OR id < ?4)
             ORDER BY id DESC LIMIT ?5"
        ))
        .bind(scope.organisation())
        .bind(filter.session_id.as_deref())
        .bind(filter.state.map(JobState::as_str))
        .bind(filter.before)
        .bind(filter.limit())
        .fetch_all(&self.reader)
        .await?;
        jobs(&rows)
    }

    async fn events(&self, scope: Scope, id: JobId, after: i64) -> Result<Vec<JobEvent>> {
        let rows = sqlx::query(
            "SELECT e.id, e.job_id, e.kind, e.attempt, e.data, e.created_at
             FROM job_events e JOIN jobs j ON j.id = e.job_id
             WHERE e.job_id = ?1 AND (?2 IS NULL OR j.organisation_id = ?2) AND e.id > ?3
             ORDER BY e.id",
        )
        .bind(id)
        .bind(scope.organisation())
        .bind(after)
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(row::event).collect()
    }

    async fn artifacts(&self, scope: Scope, job: JobId) -> Result<Vec<Artifact>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            artifact_columns!(),
            " FROM artifacts WHERE job_id = ?1 AND (?2 IS NULL OR organisation_id = ?2) ORDER BY path"
        ))
        .bind(job)
        .bind(scope.organisation())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(row::artifact).collect()
    }

    async fn log(&self, scope: Scope, job: JobId) -> Result<Vec<LogEntry>> {
        let row = sqlx::query(
            "SELECT l.entries FROM job_logs l JOIN jobs j ON j.id = l.job_id
             WHERE l.job_id = ?1 AND l.attempt = j.attempt AND (?2 IS NULL OR j.organisation_id = ?2)",
        )
        .bind(job)
        .bind(scope.organisation())
        .fetch_optional(&self.reader)
        .await?;
        Ok(row.as_ref().map(row::log).transpose()?.unwrap_or_default())
    }

    async fn active(&self, limit: u32) -> Result<Vec<Job>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at LIMIT ?"
        ))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await?;
        jobs(&rows)
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
        let micros: Option<i64> =
            sqlx::query_scalar("SELECT min(run_at) FROM jobs WHERE state = 'queued'")
                .fetch_one(&self.reader)
                .await?;
        micros.map(|micros| from_micros(micros, "run_at")).transpose()
    }

    async fn artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            artifact_columns!(),
            " FROM artifacts WHERE id = ?1 AND (?2 IS NULL OR organisation_id = ?2)"
        ))
        .bind(id)
        .bind(scope.organisation())
        .fetch_optional(&self.reader)
        .await?;
        row.as_ref().map(row::artifact).transpose()
    }

    async fn session_artifacts(&self, scope: Scope, session: &str) -> Result<Vec<Artifact>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            artifact_columns!(),
            " FROM artifacts WHERE session_id = ?1 AND (?2 IS NULL OR organisation_id = ?2) ORDER BY created_at, id"
        ))
        .bind(session)
        .bind(scope.organisation())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(row::artifact).collect()
    }

    async fn delete_artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>> {
        let mut tx = self.begin().await?;
        let row = sqlx::query(concat!(
            "DELETE FROM artifacts WHERE id = ?1 AND (?2 IS NULL OR organisation_id = ?2) RETURNING ",
            artifact_columns!()
        ))
        .bind(id)
        .bind(scope.organisation())
        .fetch_optional(&mut *tx)
        .await?;
        self.commit(tx, Vec::new()).await?;
        row.as_ref().map(row::artifact).transpose()
    }

    async fn add_asset(&self, asset: &Asset) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(concat!(
            "INSERT INTO assets (",
            asset_columns!(),
            ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(asset.id)
        .bind(asset.organisation_id)
        .bind(&asset.filename)
        .bind(&asset.media_type)
        .bind(i64::try_from(asset.size).unwrap_or(i64::MAX))
        .bind(&asset.sha256)
        .bind(&asset.storage_key)
        .bind(micros(asset.created_at))
        .bind(micros(asset.expires_at))
        .execute(&mut *tx)
        .await?;
        self.commit(tx, Vec::new()).await
    }

    async fn assets(&self, scope: Scope, ids: &[Uuid]) -> Result<Vec<Asset>> {
        let now = now();
        let mut assets = Vec::with_capacity(ids.len());
        for id in ids {
            let row = sqlx::query(concat!(
                "SELECT ",
                asset_columns!(),
                " FROM assets WHERE id = ?1 AND (?2 IS NULL OR organisation_id = ?2) AND expires_at > ?3"
            ))
            .bind(id)
            .bind(scope.organisation())
            .bind(now)
            .fetch_optional(&self.reader)
            .await?;
            assets.extend(row.as_ref().map(row::asset).transpose()?);
        }
        Ok(assets)
    }

    async fn expired_assets(&self, limit: usize) -> Result<Vec<Asset>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE expires_at <= ? ORDER BY expires_at, id LIMIT ?"
        ))
        .bind(now())
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(row::asset).collect()
    }

    async fn delete_assets(&self, ids: &[Uuid]) -> Result<u64> {
        let mut tx = self.begin().await?;
        let mut deleted = 0;
        for id in ids {
            deleted += sqlx::query("DELETE FROM assets WHERE id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        self.commit(tx, Vec::new()).await?;
        Ok(deleted)
    }

    async fn webhook_secret(&self, organisation: OrgId) -> Result<String> {
        let select = "SELECT webhook_secret FROM organisations WHERE id = ?";
        let stored: Option<Option<String>> =
            sqlx::query_scalar(select).bind(organisation).fetch_optional(&self.reader).await?;
        if let Some(Some(secret)) = stored {
            return Ok(secret);
        }
        // Another writer may have set it since; the update keeps theirs.
        let mut tx = self.begin().await?;
        sqlx::query(
            "UPDATE organisations SET webhook_secret = ? WHERE id = ? AND webhook_secret IS NULL",
        )
        .bind(new_webhook_secret())
        .bind(organisation)
        .execute(&mut *tx)
        .await?;
        let stored: Option<Option<String>> =
            sqlx::query_scalar(select).bind(organisation).fetch_optional(&mut *tx).await?;
        self.commit(tx, Vec::new()).await?;
        stored
            .flatten()
            .ok_or_else(|| Error::Corrupt(format!("organisation {organisation} does not exist")))
    }

    async fn claim_webhooks(&self, max: usize, lease: Duration) -> Result<Vec<Job>> {
        let mut tx = self.begin().await?;
        let rows = sqlx::query(concat!(
            "UPDATE jobs SET webhook_attempts = webhook_attempts + 1, webhook_next_at = ?1
             WHERE id IN (SELECT id FROM jobs
                          WHERE webhook_state = 'pending' AND state IN ('succeeded', 'failed', 'canceled')
                            AND (webhook_next_at IS NULL OR webhook_next_at <= ?2)
                          ORDER BY finished_at, id LIMIT ?3)
             RETURNING ",
            job_columns!()
        ))
        .bind(after(lease))
        .bind(now())
        .bind(i64::try_from(max).unwrap_or(i64::MAX))
        .fetch_all(&mut *tx)
        .await?;
        self.commit(tx, Vec::new()).await?;
        let mut claimed = jobs(&rows)?;
        claimed.sort_by(|a, b| a.finished_at.cmp(&b.finished_at).then(a.id.cmp(&b.id)));
        Ok(claimed)
    }

    async fn record_delivery(&self, delivery: &WebhookDelivery, next: WebhookNext) -> Result<bool> {
        let mut tx = self.begin().await?;
        let updated = sqlx::query(
            "UPDATE jobs SET webhook_state = ?, webhook_next_at = ?
             WHERE id = ? AND webhook_state = 'pending' AND webhook_attempts = ?",
        )
        .bind(next.state().as_str())
        .bind(next.retry_at().map(micros))
        .bind(delivery.job_id)
        .bind(delivery.attempt)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if updated {
            sqlx::query(
                "INSERT INTO webhook_deliveries (job_id, attempt, url, status, error, duration_ms, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(delivery.job_id)
            .bind(delivery.attempt)
            .bind(&delivery.url)
            .bind(delivery.status.map(i32::from))
            .bind(&delivery.error)
            .bind(delivery.duration_ms)
            .bind(micros(delivery.created_at))
            .execute(&mut *tx)
            .await?;
        }
        self.commit(tx, Vec::new()).await?;
        Ok(updated)
    }

    async fn deliveries(&self, scope: Scope, job: JobId) -> Result<Vec<WebhookDelivery>> {
        let rows = sqlx::query(
            "SELECT d.job_id, d.attempt, d.url, d.status, d.error, d.duration_ms, d.created_at
             FROM webhook_deliveries d JOIN jobs j ON j.id = d.job_id
             WHERE d.job_id = ?1 AND (?2 IS NULL OR j.organisation_id = ?2)
             ORDER BY d.id",
        )
        .bind(job)
        .bind(scope.organisation())
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(row::delivery).collect()
    }

    async fn set_plugin_enabled(&self, artifact_type: &str, enabled: bool) -> Result<()> {
        let mut tx = self.begin().await?;
        let statement = if enabled {
            "DELETE FROM disabled_plugins WHERE artifact_type = ?1"
        } else {
            "INSERT INTO disabled_plugins (artifact_type, disabled_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
        };
        sqlx::query(statement).bind(artifact_type).bind(now()).execute(&mut *tx).await?;
        self.commit(tx, vec![Notice::Plugins]).await
    }

    async fn disabled_plugins(&self) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar("SELECT artifact_type FROM disabled_plugins ORDER BY artifact_type")
            .fetch_all(&self.reader)
            .await?)
    }

    async fn register_plugin(&self, plugin: &NewPluginVersion) -> Result<Registration> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO plugin_versions
                 (sha256, name, version, artifact_type, size_bytes, builtin, registered_by, registered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
        )
        .bind(&plugin.sha256)
        .bind(&plugin.name)
        .bind(&plugin.version)
        .bind(&plugin.artifact_type)
        .bind(i64::try_from(plugin.size_bytes).unwrap_or(i64::MAX))
        .bind(plugin.builtin)
        .bind(&plugin.registered_by)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(concat!(
            "SELECT ",
            plugin_version_columns!(),
            " FROM plugin_versions v WHERE v.sha256 = ?1 OR (v.name = ?2 AND v.version = ?3 AND NOT v.builtin)
              ORDER BY v.sha256 = ?1 DESC LIMIT 1"
        ))
        .bind(&plugin.sha256)
        .bind(&plugin.name)
        .bind(&plugin.version)
        .fetch_one(&mut *tx)
        .await?;
        let stored = registry::plugin_version(&row)?;
        self.commit(tx, Vec::new()).await?;
        Ok(registry::registration(stored, plugin))
    }

    async fn plugin_versions(&self) -> Result<Vec<PluginVersion>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            plugin_version_columns!(),
            " FROM plugin_versions v ORDER BY v.artifact_type, v.registered_at, v.sha256"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(registry::plugin_version).collect()
    }

    async fn activate_plugin(&self, sha256: &str, by: &str) -> Result<Option<ActivePlugin>> {
        let mut tx = self.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO plugin_activations (artifact_type, sha256, activated_by, activated_at)
             SELECT artifact_type, sha256, ?2, ?3 FROM plugin_versions WHERE sha256 = ?1",
        )
        .bind(sha256)
        .bind(by)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Ok(None);
        }
        let row = sqlx::query(concat!(
            "SELECT ",
            plugin_version_columns!(),
            ", a.activated_by, a.activated_at FROM plugin_activations a
               JOIN plugin_versions v ON v.sha256 = a.sha256 WHERE a.id = last_insert_rowid()"
        ))
        .fetch_one(&mut *tx)
        .await?;
        let active = registry::active_plugin(&row)?;
        self.commit(tx, vec![Notice::Plugins]).await?;
        Ok(Some(active))
    }

    async fn roll_back_plugin(&self, artifact_type: &str) -> Result<Rollback> {
        let mut tx = self.begin().await?;
        let current: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM plugin_activations WHERE artifact_type = ?1 AND rolled_back_at IS NULL
             ORDER BY id DESC LIMIT 2",
        )
        .bind(artifact_type)
        .fetch_all(&mut *tx)
        .await?;
        let [newest, earlier] = current[..] else {
            return Ok(Rollback::NothingEarlier);
        };
        sqlx::query("UPDATE plugin_activations SET rolled_back_at = ?2 WHERE id = ?1")
            .bind(newest)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query(concat!(
            "SELECT ",
            plugin_version_columns!(),
            ", a.activated_by, a.activated_at FROM plugin_activations a
               JOIN plugin_versions v ON v.sha256 = a.sha256 WHERE a.id = ?1"
        ))
        .bind(earlier)
        .fetch_one(&mut *tx)
        .await?;
        let active = registry::active_plugin(&row)?;
        self.commit(tx, vec![Notice::Plugins]).await?;
        Ok(Rollback::RolledBack(active))
    }

    async fn active_plugins(&self) -> Result<Vec<ActivePlugin>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            plugin_version_columns!(),
            ", a.activated_by, a.activated_at FROM plugin_activations a
               JOIN plugin_versions v ON v.sha256 = a.sha256
              WHERE a.id IN (SELECT max(id) FROM plugin_activations WHERE rolled_back_at IS NULL
                              GROUP BY artifact_type)
              ORDER BY a.artifact_type"
        ))
        .fetch_all(&self.reader)
        .await?;
        rows.iter().map(registry::active_plugin).collect()
    }

    async fn record_compiled_plugin(
        &self,
        engine: &str,
        sha256: &str,
        compiled_sha256: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        sqlx::query(
            "INSERT INTO compiled_plugins (engine, sha256, compiled_sha256, compiled_at)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (engine, sha256) DO UPDATE SET compiled_sha256 = excluded.compiled_sha256,
                                                        compiled_at = excluded.compiled_at",
        )
        .bind(engine)
        .bind(sha256)
        .bind(compiled_sha256)
        .bind(now())
        .execute(&mut *tx)
        .await?;
        self.commit(tx, Vec::new()).await
    }

    async fn compiled_plugin(&self, engine: &str, sha256: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "SELECT compiled_sha256 FROM compiled_plugins WHERE engine = ?1 AND sha256 = ?2",
        )
        .bind(engine)
        .bind(sha256)
        .fetch_optional(&self.reader)
        .await?)
    }

    fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }
}
