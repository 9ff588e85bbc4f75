//! Organisations and API keys on PostgreSQL.

use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

use crate::model::{ApiKey, Organisation};
use crate::{Result, Tenancy, reads};

use super::PostgresStore;

#[async_trait]
impl Tenancy for PostgresStore {
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
        reads::api_key(&self.pool, hash).await
    }
}
