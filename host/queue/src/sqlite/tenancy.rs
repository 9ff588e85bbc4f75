//! Organisations and API keys on SQLite.

use async_trait::async_trait;
use sqlx::Row;
use uuid::Uuid;

use crate::model::{ApiKey, Organisation};
use crate::{Result, Tenancy, reads};

use super::{SqliteStore, now};

#[async_trait]
impl Tenancy for SqliteStore {
    async fn organisation(&self, name: &str) -> Result<Organisation> {
        let mut tx = self.writer.begin().await?;
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
        self.writer.commit(tx, Vec::new()).await?;
        Ok(organisation)
    }

    async fn add_api_key(&self, key: &ApiKey, hash: &[u8]) -> Result<()> {
        let mut tx = self.writer.begin().await?;
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
        self.writer.commit(tx, Vec::new()).await
    }

    async fn api_key(&self, hash: &[u8]) -> Result<Option<ApiKey>> {
        reads::api_key(&self.reader, hash).await
    }
}
