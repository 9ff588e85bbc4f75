//! Plugin versions, activations and switches on SQLite.

use async_trait::async_trait;
use rusqlite::{Connection, params};

use crate::model::Notice;
use crate::registry::{
    self, ActivePlugin, NewPluginVersion, PluginVersion, Registration, Rollback,
    plugin_version_columns,
};
use crate::row::Columns;
use crate::{Error, PluginState, Result, reads};

use super::{SqliteStore, execute, first, now, rows};

#[async_trait]
impl PluginState for SqliteStore {
    async fn set_plugin_enabled(&self, artifact_type: &str, enabled: bool) -> Result<()> {
        let artifact_type = artifact_type.to_owned();
        self.writer
            .write(move |db, notices| {
                if enabled {
                    execute(db, "DELETE FROM disabled_plugins WHERE artifact_type = ?1", [&artifact_type])?;
                } else {
                    execute(
                        db,
                        "INSERT INTO disabled_plugins (artifact_type, disabled_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                        params![artifact_type, now()],
                    )?;
                }
                notices.push(Notice::Plugins);
                Ok(())
            })
            .await
    }

    async fn disabled_plugins(&self) -> Result<Vec<String>> {
        reads::disabled_plugins(&self.reader).await
    }

    async fn register_plugin(&self, plugin: &NewPluginVersion) -> Result<Registration> {
        let plugin = plugin.clone();
        self.writer
            .write(move |db, _| {
                execute(
                    db,
                    "INSERT INTO plugin_versions
                         (sha256, name, version, artifact_type, size_bytes, builtin, registered_by, registered_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
                    params![
                        plugin.sha256,
                        plugin.name,
                        plugin.version,
                        plugin.artifact_type,
                        i64::try_from(plugin.size_bytes).unwrap_or(i64::MAX),
                        plugin.builtin,
                        plugin.registered_by,
                        now()
                    ],
                )?;
                let stored = first(
                    db,
                    concat!(
                        "SELECT ",
                        plugin_version_columns!(),
                        " FROM plugin_versions v WHERE v.sha256 = ?1 OR (v.name = ?2 AND v.version = ?3 AND NOT v.builtin)
                          ORDER BY v.sha256 = ?1 DESC LIMIT 1"
                    ),
                    params![plugin.sha256, plugin.name, plugin.version],
                    |row| registry::plugin_version(row),
                )?
                .ok_or_else(|| Error::Corrupt(format!("plugin {} was not stored", plugin.sha256)))?;
                Ok(registry::registration(stored, &plugin))
            })
            .await
    }

    async fn plugin_versions(&self) -> Result<Vec<PluginVersion>> {
        reads::plugin_versions(&self.reader).await
    }

    async fn activate_plugin(&self, sha256: &str, by: &str) -> Result<Option<ActivePlugin>> {
        let (sha256, by) = (sha256.to_owned(), by.to_owned());
        self.writer
            .write(move |db, notices| {
                let inserted = execute(
                    db,
                    "INSERT INTO plugin_activations (artifact_type, sha256, activated_by, activated_at)
                     SELECT artifact_type, sha256, ?2, ?3 FROM plugin_versions WHERE sha256 = ?1",
                    params![sha256, by, now()],
                )?;
                if inserted == 0 {
                    return Ok(None);
                }
                let active = activation(db, db.last_insert_rowid())?;
                notices.push(Notice::Plugins);
                Ok(Some(active))
            })
            .await
    }

    async fn roll_back_plugin(&self, artifact_type: &str) -> Result<Rollback> {
        let artifact_type = artifact_type.to_owned();
        self.writer
            .write(move |db, notices| {
                let current = rows(
                    db,
                    "SELECT id FROM plugin_activations WHERE artifact_type = ?1 AND rolled_back_at IS NULL
                     ORDER BY id DESC LIMIT 2",
                    [&artifact_type],
                    |row| row.int("id"),
                )?;
                let [newest, earlier] = current[..] else {
                    return Ok(Rollback::NothingEarlier);
                };
                execute(
                    db,
                    "UPDATE plugin_activations SET rolled_back_at = ?2 WHERE id = ?1",
                    params![newest, now()],
                )?;
                let active = activation(db, earlier)?;
                notices.push(Notice::Plugins);
                Ok(Rollback::RolledBack(active))
            })
            .await
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
        let (engine, sha256, compiled_sha256) =
            (engine.to_owned(), sha256.to_owned(), compiled_sha256.to_owned());
        self.writer
            .write(move |db, _| {
                execute(
                    db,
                    "INSERT INTO compiled_plugins (engine, sha256, compiled_sha256, compiled_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (engine, sha256) DO UPDATE SET compiled_sha256 = excluded.compiled_sha256,
                                                                compiled_at = excluded.compiled_at",
                    params![engine, sha256, compiled_sha256, now()],
                )?;
                Ok(())
            })
            .await
    }

    async fn compiled_plugin(&self, engine: &str, sha256: &str) -> Result<Option<String>> {
        reads::compiled_plugin(&self.reader, engine, sha256).await
    }
}

/// The activation with rowid `id`, with its plugin version.
fn activation(db: &Connection, id: i64) -> Result<ActivePlugin> {
    first(
        db,
        concat!(
            "SELECT ",
            plugin_version_columns!(),
            ", a.activated_by, a.activated_at FROM plugin_activations a
               JOIN plugin_versions v ON v.sha256 = a.sha256 WHERE a.id = ?1"
        ),
        [id],
        |row| registry::active_plugin(row),
    )?
    .ok_or_else(|| Error::Corrupt(format!("activation {id} is missing")))
}
