//! The artifact and asset index on SQLite.

use async_trait::async_trait;
use kiln_core::{Artifact, ArtifactId, Asset, AssetId, JobId};
use rusqlite::params;

use crate::model::Scope;
use crate::row::{self, artifact_columns, asset_columns};
use crate::{FileIndex, Result, reads};

use super::{SqliteStore, execute, first, micros, now, rows};

#[async_trait]
impl FileIndex for SqliteStore {
    async fn artifacts(&self, scope: Scope, job: JobId) -> Result<Vec<Artifact>> {
        reads::artifacts(&self.reader, scope, job).await
    }

    async fn artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>> {
        reads::artifact(&self.reader, scope, id).await
    }

    async fn session_artifacts(&self, scope: Scope, session: &str) -> Result<Vec<Artifact>> {
        reads::session_artifacts(&self.reader, scope, session).await
    }

    async fn delete_artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>> {
        let organisation = scope.organisation().map(|id| id.0);
        self.writer
            .write(move |db, _| {
                first(
                    db,
                    concat!(
                        "DELETE FROM artifacts WHERE id = ?1 AND (?2 IS NULL OR organisation_id = ?2) RETURNING ",
                        artifact_columns!()
                    ),
                    params![id.0, organisation],
                    |row| row::artifact(row),
                )
            })
            .await
    }

    async fn claim_previews(&self, id: ArtifactId) -> Result<bool> {
        self.writer
            .write(move |db, _| {
                let claimed = execute(
                    db,
                    "UPDATE artifacts SET previews_claimed = 1 WHERE id = ?1 AND previews_claimed = 0",
                    [id.0],
                )?;
                Ok(claimed == 1)
            })
            .await
    }

    async fn add_asset(&self, asset: &Asset) -> Result<()> {
        let asset = asset.clone();
        self.writer
            .write(move |db, _| {
                execute(
                    db,
                    concat!(
                        "INSERT INTO assets (",
                        asset_columns!(),
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    ),
                    params![
                        asset.id.0,
                        asset.organisation_id.0,
                        asset.filename,
                        asset.media_type,
                        i64::try_from(asset.size).unwrap_or(i64::MAX),
                        asset.sha256,
                        asset.storage_key,
                        micros(asset.created_at),
                        micros(asset.expires_at),
                    ],
                )?;
                Ok(())
            })
            .await
    }

    async fn assets(&self, scope: Scope, ids: &[AssetId]) -> Result<Vec<Asset>> {
        let sql = concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE id = ?1 AND (?2 IS NULL OR organisation_id = ?2) AND expires_at > ?3"
        );
        let (now, organisation) = (now(), scope.organisation().map(|id| id.0));
        self.reader.read(|db| {
            let mut assets = Vec::with_capacity(ids.len());
            for id in ids {
                let params = params![id.0, organisation, now];
                assets.extend(first(db, sql, params, |row| row::asset(row))?);
            }
            Ok(assets)
        })
    }

    async fn expired_assets(&self, limit: usize) -> Result<Vec<Asset>> {
        let sql = concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE expires_at <= ? ORDER BY expires_at, id LIMIT ?"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.reader.read(|db| rows(db, sql, [now(), limit], |row| row::asset(row)))
    }

    async fn delete_assets(&self, ids: &[AssetId]) -> Result<u64> {
        self.delete_each("DELETE FROM assets WHERE id = ?", ids).await
    }
}
