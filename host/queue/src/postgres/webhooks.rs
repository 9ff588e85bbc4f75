//! Webhooks owed for finished jobs on PostgreSQL.

use std::time::Duration;

use async_trait::async_trait;
use kiln_core::{Job, JobId, OrgId, WebhookDelivery};

use crate::model::{Scope, WebhookNext, new_webhook_secret};
use crate::row::job_columns;
use crate::{Error, Result, WebhookQueue, reads};

use super::{PostgresStore, jobs, secs};

#[async_trait]
impl WebhookQueue for PostgresStore {
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
        reads::deliveries(&self.pool, scope, job).await
    }
}
