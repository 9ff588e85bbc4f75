//! Plugin versions, activations and switches on SQLite.

use async_trait::async_trait;

use crate::model::Notice;
use crate::registry::{
    self, ActivePlugin, NewPluginVersion, PluginVersion, Registration, Rollback,
    plugin_version_columns,
};
use crate::{PluginState, Result, reads};

use super::{SqliteStore, now};

#[async_trait]
impl PluginState for SqliteStore {
    async fn set_plugin_enabled(&self, artifact_type: &str, enabled: bool) -> Result<()> {
        let mut tx = self.writer.begin().await?;
        let statement = if enabled {
            "DELETE FROM disabled_plugins WHERE artifact_type = ?1"
        } else {
            "INSERT INTO disabled_plugins (artifact_type, disabled_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING"
        };
        sqlx::query(statement).bind(artifact_type).bind(now()).execute(&mut *tx).await?;
        self.writer.commit(tx, vec![Notice::Plugins]).await
    }

    async fn disabled_plugins(&self) -> Result<Vec<String>> {
        reads::disabled_plugins(&self.reader).await
    }

    async fn register_plugin(&self, plugin: &NewPluginVersion) -> Result<Registration> {
        let mut tx = self.writer.begin().await?;
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
        self.writer.commit(tx, Vec::new()).await?;
        Ok(registry::registration(stored, plugin))
    }

    async fn plugin_versions(&self) -> Result<Vec<PluginVersion>> {
        reads::plugin_versions(&self.reader).await
    }

    async fn activate_plugin(&self, sha256: &str, by: &str) -> Result<Option<ActivePlugin>> {
        let mut tx = self.writer.begin().await?;
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
        self.writer.commit(tx, vec![Notice::Plugins]).await?;
        Ok(Some(active))
    }

    async fn roll_back_plugin(&self, artifact_type: &str) -> Result<Rollback> {
        let mut tx = self.writer.begin().await?;
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
        self.writer.commit(tx, vec![Notice::Plugins]).await?;
        Ok(Rollback::RolledBack(active))
    }

    async fn active_plugins(&self) -> Result<Vec<ActivePlugin>> {
        reads::active_plugins(&self.reader).await
    }

    async fn record_compiled_plugin(
        &self,
        engine: &str,
        sha256: &str,
        compiled_sha256: &str,
    ) -> Result<()> {
        let mut tx = self.writer.begin().await?;
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
        self.writer.commit(tx, Vec::new()).await
    }

    async fn compiled_plugin(&self, engine: &str, sha256: &str) -> Result<Option<String>> {
        reads::compiled_plugin(&self.reader, engine, sha256).await
    }
}
