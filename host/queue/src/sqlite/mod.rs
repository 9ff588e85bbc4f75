//! [`JobStore`] on SQLite, the embedded default: WAL mode, one writer
//! connection whose transactions start `BEGIN IMMEDIATE` (so a
//! read-then-write never fails to upgrade), readers alongside, and live
//! events on an in-process channel. Other processes writing the same file
//! wait on the busy timeout; their notices do not cross processes, so
//! workers there find new jobs by polling.

use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use kiln_core::Job;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Executor, Row, Sqlite, Transaction};
use tokio::sync::broadcast;

use crate::group::GroupCommit;
use crate::model::Notice;
use crate::row::{self, impl_columns};
use crate::{Error, JobStore, QueueConfig, Result, redact};

mod files;
mod jobs;
mod plugins;
mod tenancy;
mod webhooks;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

impl_columns!(SqliteRow, |row, column| {
    let micros: Option<i64> = row.try_get(column)?;
    micros.map(|micros| from_micros(micros, column)).transpose()
});

fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

fn from_micros(micros: i64, column: &str) -> Result<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| Error::Corrupt(format!("{column} out of range: {micros}")))
}

fn now() -> i64 {
    micros(Utc::now())
}

fn span(duration: Duration) -> i64 {
    i64::try_from(duration.as_micros()).unwrap_or(i64::MAX)
}

fn after(duration: Duration) -> i64 {
    now().saturating_add(span(duration))
}

pub struct SqliteStore {
    writer: Writer,
    reader: SqlitePool,
    config: QueueConfig,
    submits: GroupCommit,
}

/// The one writer connection, and where committed changes are announced.
#[derive(Clone)]
struct Writer {
    pool: SqlitePool,
    notices: broadcast::Sender<Notice>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database file a `sqlite://PATH` URL names.
    pub async fn connect(url: &str, config: QueueConfig) -> Result<Self> {
        let connect_error = |source| Error::Connect { url: redact(url), source };
        let options = SqliteConnectOptions::from_str(url)
            .map_err(connect_error)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed job survives a power cut, not only a crash.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // Writes are serialised anyway; one connection makes that explicit
        // and keeps writers in this process from contending for the lock.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options.clone())
            .await
            .map_err(connect_error)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(config.max_connections.max(1))
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        let (notices, _) = broadcast::channel(4096);
        let writer = Writer { pool: writer, notices };
        let submits = GroupCommit::start({
            let writer = writer.clone();
            move |new| {
                let writer = writer.clone();
                async move { jobs::insert(&writer, &new).await }
            }
        });
        Ok(Self { writer, reader, config, submits })
    }

    /// Runs `statement`, which deletes by one `?` id, for each of `ids` in
    /// one transaction (SQLite binds no arrays); returns the rows deleted.
    async fn delete_each<Id>(&self, statement: &str, ids: &[Id]) -> Result<u64>
    where
        Id: for<'q> sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Copy + Send + Sync,
    {
        let mut tx = self.writer.begin().await?;
        let mut deleted = 0;
        for id in ids {
            deleted += sqlx::query(statement).bind(*id).execute(&mut *tx).await?.rows_affected();
        }
        self.writer.commit(tx, Vec::new()).await?;
        Ok(deleted)
    }
}

impl Writer {
    async fn begin(&self) -> Result<Transaction<'static, Sqlite>> {
        // A begin cancelled half-way (a caller's future dropped, e.g. an
        // HTTP client going away) would leave the one writer connection
        // inside a transaction nobody owns, and every later begin would
        // fail. In its own task the begin always completes, and a result
        // nobody takes is dropped, which rolls it back.
        let pool = self.pool.clone();
        tokio::spawn(async move { pool.begin_with("BEGIN IMMEDIATE").await })
            .await
            .map_err(|err| Error::Corrupt(format!("beginning a transaction panicked: {err}")))?
            .map_err(Error::from)
    }

    async fn commit(&self, tx: Transaction<'static, Sqlite>, notices: Vec<Notice>) -> Result<()> {
        tx.commit().await?;
        for notice in notices {
            let _ = self.notices.send(notice);
        }
        Ok(())
    }
}

fn jobs(rows: &[SqliteRow]) -> Result<Vec<Job>> {
    rows.iter().map(row::job).collect()
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn migrate(&self) -> Result<()> {
        MIGRATOR.run(&self.writer.pool).await?;
        Ok(())
    }

    async fn ping(&self) -> Result<()> {
        self.reader.execute("SELECT 1").await?;
        Ok(())
    }

    fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.writer.notices.subscribe()
    }
}
