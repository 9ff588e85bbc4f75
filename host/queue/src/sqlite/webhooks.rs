//! Webhooks owed for finished jobs on SQLite.

use std::time::Duration;

use async_trait::async_trait;
use kiln_core::{Job, JobId, OrgId, WebhookDelivery};
use rusqlite::params;

use crate::model::{Scope, WebhookNext, new_webhook_secret};
use crate::row::{self, Columns, job_columns};
use crate::{Error, Result, WebhookQueue, reads};

use super::{SqliteStore, after, execute, first, micros, now, rows};

#[async_trait]
impl WebhookQueue for SqliteStore {
    async fn webhook_secret(&self, organisation: OrgId) -> Result<String> {
        let select = "SELECT webhook_secret FROM organisations WHERE id = ?";
        let stored = self.reader.read(|db| {
            first(db, select, [organisation.0], |row| row.opt_string("webhook_secret"))
        })?;
        if let Some(Some(secret)) = stored {
            return Ok(secret);
        }
        // Another writer may have set it since; the update keeps theirs.
        let secret = new_webhook_secret();
        let organisation_id = organisation.0;
        let stored = self
            .writer
            .write(move |db, _| {
                execute(
                    db,
                    "UPDATE organisations SET webhook_secret = ? WHERE id = ? AND webhook_secret IS NULL",
                    params![secret, organisation_id],
                )?;
                first(db, select, [organisation_id], |row| row.opt_string("webhook_secret"))
            })
            .await?;
        stored
            .flatten()
            .ok_or_else(|| Error::Corrupt(format!("organisation {organisation} does not exist")))
    }

    async fn claim_webhooks(&self, max: usize, lease: Duration) -> Result<Vec<Job>> {
        // Without INDEXED BY, SQLite sorts by walking jobs_finished: every
        // finished job, once a second, inside the one write transaction
        // (331 ms at 50,000 jobs, and submits waited behind it). The partial
        // index holds only the pending deliveries.
        let mut claimed = self
            .writer
            .write(move |db, _| {
                rows(
                    db,
                    concat!(
                        "UPDATE jobs SET webhook_attempts = webhook_attempts + 1, webhook_next_at = ?1
                         WHERE id IN (SELECT id FROM jobs INDEXED BY jobs_webhooks_due
                                      WHERE webhook_state = 'pending' AND state IN ('succeeded', 'failed', 'canceled')
                                        AND (webhook_next_at IS NULL OR webhook_next_at <= ?2)
                                      ORDER BY finished_at, id LIMIT ?3)
                         RETURNING ",
                        job_columns!()
                    ),
                    params![after(lease), now(), i64::try_from(max).unwrap_or(i64::MAX)],
                    |row| row::job(row),
                )
            })
            .await?;
        claimed.sort_by(|a, b| a.finished_at.cmp(&b.finished_at).then(a.id.cmp(&b.id)));
        Ok(claimed)
    }

    async fn record_delivery(&self, delivery: &WebhookDelivery, next: WebhookNext) -> Result<bool> {
        let delivery = delivery.clone();
        self.writer
            .write(move |db, _| {
                let updated = execute(
                    db,
                    "UPDATE jobs SET webhook_state = ?, webhook_next_at = ?
                     WHERE id = ? AND webhook_state = 'pending' AND webhook_attempts = ?",
                    params![
                        next.state().as_str(),
                        next.retry_at().map(micros),
                        delivery.job_id.0,
                        delivery.attempt
                    ],
                )? == 1;
                if updated {
                    execute(
                        db,
                        "INSERT INTO webhook_deliveries (job_id, attempt, url, status, error, duration_ms, created_at)
                         VALUES (?, ?, ?, ?, ?, ?, ?)",
                        params![
                            delivery.job_id.0,
                            delivery.attempt,
                            delivery.url,
                            delivery.status.map(i32::from),
                            delivery.error,
                            delivery.duration_ms,
                            micros(delivery.created_at)
                        ],
                    )?;
                }
                Ok(updated)
            })
            .await
    }

    async fn deliveries(&self, scope: Scope, job: JobId) -> Result<Vec<WebhookDelivery>> {
        reads::deliveries(&self.reader, scope, job).await
    }
}
