//! [`JobStore`] on SQLite, the embedded default: WAL mode, one writer
//! connection on a thread of its own whose transactions start
//! `BEGIN IMMEDIATE` (so a read-then-write never fails to upgrade), readers
//! alongside, and live events on an in-process channel. Other processes
//! writing the same file wait on the busy timeout; their notices do not
//! cross processes, so workers there find new jobs by polling.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::str::FromStr;
use std::sync::mpsc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, Params, TransactionBehavior};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use tokio::sync::{broadcast, oneshot};
use uuid::Uuid;

use crate::group::GroupCommit;
use crate::model::Notice;
use crate::row::Columns;
use crate::{Error, JobStore, QueueConfig, Result, redact};
use readers::Readers;

mod files;
mod jobs;
mod plugins;
mod readers;
mod tenancy;
mod webhooks;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

/// How long a write waits for another process's write to finish.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

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

/// A value stored as JSON text.
fn json(value: &impl Serialize) -> Result<String> {
    serde_json::to_string(value).map_err(|err| Error::Corrupt(err.to_string()))
}

pub struct SqliteStore {
    writer: Writer,
    reader: Readers,
    /// Where migrations connect (sqlx runs them).
    options: SqliteConnectOptions,
    config: QueueConfig,
    submits: GroupCommit,
}

/// One write: a transaction the writer thread runs and commits.
type Call = Box<dyn FnOnce(&mut Connection) + Send>;

/// The one writer connection, on a thread of its own, and where committed
/// changes are announced. A transaction is one call to that thread, not a
/// round trip per statement, and it runs to its end even if its caller
/// goes away.
#[derive(Clone)]
struct Writer {
    calls: mpsc::Sender<Call>,
    notices: broadcast::Sender<Notice>,
}

impl Writer {
    fn open(path: &std::path::Path) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let connection = Connection::open(path)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        // Room for every statement the store writes with, so none is
        // prepared twice.
        connection.set_prepared_statement_cache_capacity(64);
        // FULL: a committed job survives a power cut, not only a crash.
        connection.execute_batch(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )?;
        let (calls, incoming) = mpsc::channel::<Call>();
        std::thread::Builder::new().name("kiln-sqlite-writer".into()).spawn(move || {
            let mut connection = connection;
            for call in incoming {
                call(&mut connection);
            }
        })?;
        let (notices, _) = broadcast::channel(4096);
        Ok(Self { calls, notices })
    }

    /// Runs `write` in one `BEGIN IMMEDIATE` transaction on the writer
    /// thread, commits it, then announces the notices `write` pushed.
    /// An error or a panic in `write` rolls everything back.
    async fn write<T, W>(&self, write: W) -> Result<T>
    where
        T: Send + 'static,
        W: FnOnce(&Connection, &mut Vec<Notice>) -> Result<T> + Send + 'static,
    {
        let (reply, answer) = oneshot::channel();
        let announce = self.notices.clone();
        let call: Call = Box::new(move |connection| {
            let result = catch_unwind(AssertUnwindSafe(|| {
                let tx = connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let mut notices = Vec::new();
                let value = write(&tx, &mut notices)?;
                tx.commit()?;
                Ok((value, notices))
            }))
            .unwrap_or_else(|_| Err(Error::Corrupt("a write panicked and was rolled back".into())));
            let _ = reply.send(result.map(|(value, notices)| {
                for notice in notices {
                    let _ = announce.send(notice);
                }
                value
            }));
        });
        self.calls.send(call).map_err(|_| Error::WriterStopped)?;
        answer.await.map_err(|_| Error::WriterStopped)?
    }
}

/// Runs `sql` (kept prepared) and decodes every row it returns.
fn rows<T>(
    db: &Connection,
    sql: &str,
    params: impl Params,
    decode: impl Fn(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Vec<T>> {
    let mut statement = db.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    let mut decoded = Vec::new();
    while let Some(row) = rows.next()? {
        decoded.push(decode(row)?);
    }
    Ok(decoded)
}

/// Runs `sql` (kept prepared) and decodes the first row it returns, if any.
/// SQLite makes all of a statement's changes on its first step, so a
/// `RETURNING` statement is complete even if later rows go unread.
fn first<T>(
    db: &Connection,
    sql: &str,
    params: impl Params,
    decode: impl FnOnce(&rusqlite::Row<'_>) -> Result<T>,
) -> Result<Option<T>> {
    let mut statement = db.prepare_cached(sql)?;
    let mut rows = statement.query(params)?;
    rows.next()?.map(decode).transpose()
}

/// Runs `sql` (kept prepared); returns the number of rows it changed.
fn execute(db: &Connection, sql: &str, params: impl Params) -> Result<u64> {
    Ok(db.prepare_cached(sql)?.execute(params)? as u64)
}

impl Columns for rusqlite::Row<'_> {
    fn id<T: From<Uuid>>(&self, column: &str) -> Result<T> {
        let bytes: Vec<u8> = self.get(column)?;
        Uuid::from_slice(&bytes)
            .map(T::from)
            .map_err(|err| Error::Corrupt(format!("{column}: {err}")))
    }

    fn string(&self, column: &str) -> Result<String> {
        Ok(self.get(column)?)
    }

    fn opt_string(&self, column: &str) -> Result<Option<String>> {
        Ok(self.get(column)?)
    }

    fn opt_int(&self, column: &str) -> Result<Option<i64>> {
        Ok(self.get(column)?)
    }

    fn float(&self, column: &str) -> Result<f64> {
        Ok(self.get(column)?)
    }

    fn boolean(&self, column: &str) -> Result<bool> {
        Ok(self.get(column)?)
    }

    fn opt_json<T: serde::de::DeserializeOwned>(&self, column: &str) -> Result<Option<T>> {
        let bytes = match self.get_ref(column)? {
            ValueRef::Null => return Ok(None),
            ValueRef::Text(bytes) | ValueRef::Blob(bytes) => bytes,
            other => {
                return Err(Error::Corrupt(format!(
                    "{column}: {:?} is not JSON",
                    other.data_type()
                )));
            }
        };
        serde_json::from_slice(bytes)
            .map(Some)
            .map_err(|err| Error::Corrupt(format!("{column}: {err}")))
    }

    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>> {
        let micros: Option<i64> = self.get(column)?;
        micros.map(|micros| from_micros(micros, column)).transpose()
    }
}

impl SqliteStore {
    /// Opens (creating if missing) the database file a `sqlite://PATH` URL names.
    pub async fn connect(url: &str, config: QueueConfig) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|source| Error::Connect { url: redact(url), source })?
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // The writer creates the file and switches it to WAL before any
        // reader opens it.
        let writer = Writer::open(options.get_filename())
            .map_err(|source| Error::OpenWriter { url: redact(url), source })?;
        let reader = Readers::new(options.get_filename(), config.max_connections.max(1) as usize);
        let submits = GroupCommit::start({
            let writer = writer.clone();
            move |new| {
                let writer = writer.clone();
                async move { writer.write(move |db, notices| jobs::insert(db, &new, notices)).await }
            }
        });
        Ok(Self { writer, reader, options, config, submits })
    }

    /// Runs `statement`, which deletes by one `?` id, for each of `ids` in
    /// one transaction (SQLite binds no arrays); returns the rows deleted.
    async fn delete_each<Id>(&self, statement: &'static str, ids: &[Id]) -> Result<u64>
    where
        Id: Into<Uuid> + Copy,
    {
        let ids: Vec<Uuid> = ids.iter().map(|id| (*id).into()).collect();
        self.writer
            .write(move |db, _| {
                ids.iter().try_fold(0, |deleted, id| Ok(deleted + execute(db, statement, [id])?))
            })
            .await
    }
}

#[async_trait]
impl JobStore for SqliteStore {
    async fn migrate(&self) -> Result<()> {
        let pool =
            SqlitePoolOptions::new().max_connections(1).connect_with(self.options.clone()).await?;
        let migrated = MIGRATOR.run(&pool).await;
        pool.close().await;
        Ok(migrated?)
    }

    async fn ping(&self) -> Result<()> {
        self.reader.read(|db| Ok(db.query_row("SELECT 1", [], |_| Ok(()))?))
    }

    fn subscribe(&self) -> broadcast::Receiver<Notice> {
        self.writer.notices.subscribe()
    }
}
