//! [`JobStore`] on PostgreSQL: claims with `FOR UPDATE SKIP LOCKED`, batches
//! as arrays through `UNNEST`, and live events through LISTEN/NOTIFY
//! (published after each change commits; see `notices`).

use std::time::Duration;

use async_trait::async_trait;
use kiln_core::Job;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{Executor, Row};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::group::GroupCommit;
use crate::model::Notice;
use crate::row::{self, impl_columns};
use crate::{Error, JobStore, QueueConfig, Result, redact};
use notices::Publisher;

mod files;
mod jobs;
mod notices;
mod plugins;
mod tenancy;
mod webhooks;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

impl_columns!(PgRow, |row, column| Ok(row.try_get(column)?));

pub struct PostgresStore {
    pool: PgPool,
    config: QueueConfig,
    notices: broadcast::Sender<Notice>,
    listener: JoinHandle<()>,
    events: Publisher,
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
        let listener = tokio::spawn(notices::listen(pool.clone(), notices.clone()));
        let events = Publisher::start(pool.clone(), notices.clone());
        let submits = GroupCommit::start({
            let pool = pool.clone();
            let events = events.clone();
            move |new| {
                let (pool, events) = (pool.clone(), events.clone());
                async move { jobs::insert(&pool, &events, &new).await }
            }
        });
        Ok(Self { pool, config, notices, listener, events, submits })
    }
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
