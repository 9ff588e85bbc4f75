//! The queue's upkeep, a service of its own: the rescuer and retention.
//! Whichever process coordinates runs it (`kiln serve`, with or without
//! workers, and `kiln worker`). Several processes may run it at once; the
//! store's guards make that safe.

use std::sync::Arc;
use std::time::Duration;

use kiln_queue::JobStore;
use kiln_storage::{BlobKey, BlobStore};
use tokio_util::sync::CancellationToken;

/// Jobs deleted per retention round.
const RETENTION_BATCH: usize = 500;

/// How the upkeep runs.
#[derive(Debug, Clone)]
pub struct MaintenanceConfig {
    /// How often to look for expired leases.
    pub rescue_interval: Duration,
    /// Finished jobs, their events and files are deleted after this long.
    pub retention: Duration,
}

impl Default for MaintenanceConfig {
    /// Rescue every 5 s, keep finished jobs 7 days.
    fn default() -> Self {
        Self { rescue_interval: Duration::from_secs(5), retention: Duration::from_secs(7 * 86_400) }
    }
}

/// Runs the rescuer and retention until `stop` is cancelled.
pub async fn run(
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    config: MaintenanceConfig,
    stop: CancellationToken,
) {
    tokio::join!(
        rescue(store.clone(), config.rescue_interval, stop.clone()),
        retain(store, blobs, config.retention, stop),
    );
}

/// Re-queues (or fails) jobs whose worker stopped heartbeating, every `every`.
pub async fn rescue(store: Arc<dyn JobStore>, every: Duration, stop: CancellationToken) {
    loop {
        match store.rescue().await {
            Ok(0) => {}
            Ok(rescued) => tracing::info!(rescued, "rescued jobs whose lease expired"),
            Err(err) => {
                tracing::warn!(error = %kiln_core::ErrorChain(&err), "rescuing expired leases failed")
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
}

/// Deletes finished jobs older than `age` with their files, and uploaded
/// assets past their expiry, every few minutes.
pub async fn retain(
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    age: Duration,
    stop: CancellationToken,
) {
    loop {
        match delete_expired(store.as_ref(), blobs.as_ref(), age).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted finished jobs past retention"),
            Err(err) => {
                tracing::warn!(error = %kiln_core::ErrorChain(&err), "retention failed; trying again next round")
            }
        }
        match delete_expired_assets(store.as_ref(), blobs.as_ref()).await {
            Ok(0) => {}
            Ok(deleted) => tracing::info!(deleted, "deleted expired assets"),
            Err(err) => {
                tracing::warn!(error = %kiln_core::ErrorChain(&err), "deleting expired assets failed; trying again next round")
            }
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(Duration::from_secs(300)) => {}
        }
    }
}

/// One retention pass, in batches: files first, then rows, so a crash in
/// between leaves rows whose files are gone (deleted on the next pass),
/// never files nothing points to.
pub async fn delete_expired(
    store: &dyn JobStore,
    blobs: &dyn BlobStore,
    age: Duration,
) -> crate::Result<u64> {
    let mut deleted = 0;
    loop {
        let expired = store.expired(age, RETENTION_BATCH).await?;
        if expired.is_empty() {
            return Ok(deleted);
        }
        for job in &expired {
            let prefix = BlobKey::job_prefix(job.organisation_id, &job.session_id, job.id)?;
            blobs.delete_prefix(&prefix).await?;
        }
        let ids: Vec<_> = expired.iter().map(|job| job.id).collect();
        deleted += store.delete_finished(&ids).await?;
        if expired.len() < RETENTION_BATCH {
            return Ok(deleted);
        }
    }
}

/// Deletes uploaded assets past their expiry: blobs first, then rows, as
/// for jobs.
pub async fn delete_expired_assets(
    store: &dyn JobStore,
    blobs: &dyn BlobStore,
) -> crate::Result<u64> {
    let mut deleted = 0;
    loop {
        let expired = store.expired_assets(RETENTION_BATCH).await?;
        for asset in &expired {
            blobs.delete(&BlobKey::asset(asset.organisation_id, asset.id)).await?;
        }
        let ids: Vec<_> = expired.iter().map(|asset| asset.id).collect();
        deleted += store.delete_assets(&ids).await?;
        if expired.len() < RETENTION_BATCH {
            return Ok(deleted);
        }
    }
}
