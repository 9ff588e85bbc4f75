//! Organisations and API keys on SQLite.

use async_trait::async_trait;
use rusqlite::params;
use uuid::Uuid;

use crate::model::{ApiKey, Organisation};
use crate::row::Columns;
use crate::{Error, Result, Tenancy, reads};

use super::{SqliteStore, execute, first, now};

#[async_trait]
impl Tenancy for SqliteStore {
    async fn organisation(&self, name: &str) -> Result<Organisation> {
        let name = name.to_owned();
        self.writer
            .write(move |db, _| {
                execute(
                    db,
                    "INSERT INTO organisations (id, name, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
                    params![Uuid::now_v7(), name, now()],
                )?;
                first(db, "SELECT id, name FROM organisations WHERE name = ?", [&name], |row| {
                    Ok(Organisation { id: row.id("id")?, name: row.string("name")? })
                })?
                .ok_or_else(|| Error::Corrupt(format!("organisation {name:?} was not stored")))
            })
            .await
    }

    async fn add_api_key(&self, key: &ApiKey, hash: &[u8]) -> Result<()> {
        let (key, hash) = (key.clone(), hash.to_vec());
        self.writer
            .write(move |db, _| {
                execute(
                    db,
                    "INSERT INTO api_keys (id, organisation_id, kind, prefix, hash, label, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    params![
                        key.id,
                        key.organisation_id.0,
                        key.kind.as_str(),
                        key.prefix,
                        hash,
                        key.label,
                        now()
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn api_key(&self, hash: &[u8]) -> Result<Option<ApiKey>> {
        reads::api_key(&self.reader, hash).await
    }
}
