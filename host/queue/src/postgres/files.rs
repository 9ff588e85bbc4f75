//! The artifact and asset index on PostgreSQL.

use async_trait::async_trait;
use kiln_core::{Artifact, ArtifactId, Asset, AssetId, JobId};

use crate::model::Scope;
use crate::row::{self, artifact_columns, asset_columns};
use crate::{FileIndex, Result, reads};

use super::PostgresStore;

#[async_trait]
impl FileIndex for PostgresStore {
    async fn artifacts(&self, scope: Scope, job: JobId) -> Result<Vec<Artifact>> {
        reads::artifacts(&self.pool, scope, job).await
    }

    async fn artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>> {
        reads::artifact(&self.pool, scope, id).await
    }

    async fn session_artifacts(&self, scope: Scope, session: &str) -> Result<Vec<Artifact>> {
        reads::session_artifacts(&self.pool, scope, session).await
    }

    async fn delete_artifact(&self, scope: Scope, id: ArtifactId) -> Result<Option<Artifact>> {
        let row = sqlx::query(concat!(
            "DELETE FROM artifacts WHERE id = $1 AND ($2::uuid IS NULL OR organisation_id = $2) RETURNING ",
            artifact_columns!()
        ))
        .bind(id)
        .bind(scope.organisation())
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(row::artifact).transpose()
    }

    async fn claim_previews(&self, id: ArtifactId) -> Result<bool> {
        let claimed = sqlx::query(
            "UPDATE artifacts SET previews_claimed = true WHERE id = $1 AND NOT previews_claimed",
        )
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(claimed.rows_affected() == 1)
    }

    async fn add_asset(&self, asset: &Asset) -> Result<()> {
        sqlx::query(concat!(
            "INSERT INTO assets (",
            asset_columns!(),
            ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        ))
        .bind(asset.id)
        .bind(asset.organisation_id)
        .bind(&asset.filename)
        .bind(&asset.media_type)
        .bind(i64::try_from(asset.size).unwrap_or(i64::MAX))
        .bind(&asset.sha256)
        .bind(&asset.storage_key)
        .bind(asset.created_at)
        .bind(asset.expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn assets(&self, scope: Scope, ids: &[AssetId]) -> Result<Vec<Asset>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE id = ANY($1) AND ($2::uuid IS NULL OR organisation_id = $2) AND expires_at > now()"
        ))
        .bind(ids)
        .bind(scope.organisation())
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row::asset).collect()
    }

    async fn expired_assets(&self, limit: usize) -> Result<Vec<Asset>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            asset_columns!(),
            " FROM assets WHERE expires_at <= now() ORDER BY expires_at, id LIMIT $1"
        ))
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row::asset).collect()
    }

    async fn delete_assets(&self, ids: &[AssetId]) -> Result<u64> {
        let result = sqlx::query("DELETE FROM assets WHERE id = ANY($1)")
            .bind(ids)
            .execute(&self.pool)
            .await?;
        Ok(result.rows_affected())
    }
}
