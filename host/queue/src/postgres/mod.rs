//! [`JobStore`] on PostgreSQL: claims with `FOR UPDATE SKIP LOCKED`, batches
//! as arrays through `UNNEST`, and live events through LISTEN/NOTIFY (the
//! `job_events` insert trigger notifies once per statement).

use std::time::Duration;

use async_trait::async_trait;
use kiln_core::Job;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPool, PgPoolOptions, PgRow};
use sqlx::{Executor, Row};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::group::GroupCommit;
use crate::model::Notice;
use crate::row::{self, impl_columns};
use crate::{Error, JobStore, QueueConfig, Result, redact};

mod files;
mod jobs;
mod plugins;
mod tenancy;
mod webhooks;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// The NOTIFY channel the `job_events` trigger publishes on.
const CHANNEL: &str = "kiln_job_events";

impl_columns!(PgRow, |row, column| Ok(row.try_get(column)?));

pub struct PostgresStore {
    pool: PgPool,
    config: QueueConfig,
    notices: broadcast::Sender<Notice>,
    listener: JoinHandle<()>,
    submits: GroupCommit,
}

impl Drop for PostgresStore {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl PostgresStore {
    /// Connects (one of the pool's connections is kept for LISTEN).
    pub async fn connect(url: &str, config: QueueConfig) -> Result<Self> {
        let options: PgConnectOptions =
            url.parse().map_err(|source| Error::Connect { url: redact(url), source })?;
        Self::connect_with(options, config).await.map_err(|err| match err {
            Error::Database(source) => Error::Connect { url: redact(url), source },
            other => other,
        })
    }

    /// Connects with explicit options (tests use them to pick a schema).
    pub async fn connect_with(options: PgConnectOptions, config: QueueConfig) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections.max(2))
            .connect_with(options)
            .await?;
        let (notices, _) = broadcast::channel(4096);
        let listener = tokio::spawn(listen(pool.clone(), notices.clone()));
        let submits = GroupCommit::start({
            let pool = pool.clone();
            move |new| {
                let pool = pool.clone();
                async move { jobs::insert(&pool, &new).await }
            }
        });
        Ok(Self { pool, config, notices, listener, submits })
    }
}

/// Forwards NOTIFY payloads ("event_id job_id kind" lines) as notices, and
/// a [`Notice::Resync`] whenever the connection was lost and notices may
/// have been missed.
async fn listen(pool: PgPool, notices: broadcast::Sender<Notice>) {
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(listener) => listener,
            Err(err) => {
                tracing::warn!(error = %kiln_core::ErrorChain(&err), "cannot open a connection to listen for job events; retrying in 1 s");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(error = %kiln_core::ErrorChain(&err), "LISTEN failed; retrying in 1 s");
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        }
        let _ = notices.send(Notice::Resync);
        loop {
            match listener.try_recv().await {
                Ok(Some(notification)) => {
                    for line in notification.payload().lines() {
                        match parse_notice(line) {
                            Some(notice) => {
                                let _ = notices.send(notice);
                            }
                            None => {
                                tracing::warn!(line, "ignoring a malformed job event notification")
                            }
                        }
                    }
                }
                // The connection dropped; the next call reconnects.
                Ok(None) => {
                    let _ = notices.send(Notice::Resync);
                }
                Err(err) => {
                    tracing::warn!(error = %kiln_core::ErrorChain(&err), "listening for job events failed; reconnecting in 1 s");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

fn parse_notice(line: &str) -> Option<Notice> {
    if line == "plugins" {
        return Some(Notice::Plugins);
    }
    let mut parts = line.split(' ');
    let id = parts.next()?.parse().ok()?;
    let job_id = parts.next()?.parse().ok()?;
    let kind = parts.next()?.parse().ok()?;
    Some(Notice::Event { id, job_id, kind })
}

fn secs(duration: Duration) -> f64 {
    duration.as_secs_f64()
}

fn jobs(rows: &[PgRow]) -> Result<Vec<Job>> {
    rows.iter().map(row::job).collect()
}

#[async_trait]
impl JobStore for PostgresStore {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.pool.execute("SELECT 1").await?;
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.notices.subscribe()
    }
}
