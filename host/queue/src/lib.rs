//! kiln's durable job queue.
//!
//! A job is never lost, never completed twice and always ends in a state a
//! user can see. [`JobStore`] names every operation, one trait per topic
//! (a job's lifecycle, its reads, tenancy, the file index, webhooks, plugin
//! state). [`PostgresStore`] (production: `FOR UPDATE SKIP LOCKED` claims,
//! LISTEN/NOTIFY wake-ups) and [`SqliteStore`] (the embedded default: one
//! writer, an in-process channel) implement it, and both pass one
//! conformance suite (feature `testsuite`).
//! `docs/state-machine.md` draws the states and transitions.
//!
//! Safety rests on three rules every implementation keeps:
//! - a claim sets a lease and increments `attempt` in one statement, and
//!   only `queued` jobs that are due can be claimed;
//! - heartbeats, progress and completion name the attempt they hold (the
//!   fencing token) and change nothing once it is stale;
//! - every change to a job stores its event in the same transaction.

mod group;
mod model;
mod policy;
mod postgres;
mod reads;
mod registry;
mod retry;
mod row;
mod sqlite;
mod store;
#[cfg(feature = "testsuite")]
pub mod testsuite;

use std::sync::Arc;

pub use model::{
    ApiKey, Completion, DEFAULT_MAX_ATTEMPTS, ExpiredJob, JobFilter, JobOutcome, KeyKind, Lease,
    LeaseStatus, NewArtifact, NewJob, Notice, Organisation, Scope, Submitted, TypeStats,
    WebhookNext,
};
pub use postgres::PostgresStore;
pub use registry::{ActivePlugin, NewPluginVersion, PluginVersion, Registration, Rollback};
pub use retry::RetryPolicy;
pub use sqlite::SqliteStore;
pub use store::{FileIndex, JobLifecycle, JobReads, JobStore, PluginState, Tenancy, WebhookQueue};

/// How a store behaves, whichever database it uses.
#[derive(Debug, Clone)]
pub struct QueueConfig {
    pub retry: RetryPolicy,
    /// How many runs of one job may end through no fault of the job (a
    /// storage outage, a worker shutting down) before an outage fails it for
    /// good. They do not count toward the job's `max_attempts`. With the
    /// default backoff (capped at 10 minutes) 100 covers outages of hours.
    pub max_excused_attempts: i32,
    /// Database connections to keep open at most.
    pub max_connections: u32,
}

impl Default for QueueConfig {
    fn default() -> Self {
        Self { retry: RetryPolicy::default(), max_excused_attempts: 100, max_connections: 16 }
    }
}

/// Opens the store a URL names: `postgres://...` or `sqlite://PATH` (the
/// file is created if missing). Does not migrate; call [`JobStore::migrate`].
pub async fn connect(url: &str, config: QueueConfig) -> Result<Arc<dyn JobStore>> {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url, config).await?))
    } else if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, config).await?))
    } else {
        Err(Error::UnsupportedUrl(url.to_owned()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "unsupported database URL {0:?}: use postgres://USER@HOST:PORT/DB or sqlite://PATH (e.g. sqlite://kiln.db)"
    )]
    UnsupportedUrl(String),
    #[error("could not open the database at {url}; check that it is running and the URL is right")]
    Connect { url: String, source: sqlx::Error },
    /// The cause is in the message, not chained, because most callers log
    /// errors with `%err`, which prints no chain.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    #[error("could not open the database at {url} for writing: {source}")]
    OpenWriter { url: String, source: Box<dyn std::error::Error + Send + Sync> },
    /// An error from the SQLite writer.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("could not migrate the database")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("stored row is not valid: {0}")]
    Corrupt(String),
    #[error("the store's job writer has stopped; the process is shutting down")]
    WriterStopped,
}

impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        Self::Database(err)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Where the connection URL's password would be, masked, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..scheme + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_masked_in_urls() {
        assert_eq!(
            super::redact("postgres://kiln:secret@db:5432/kiln"),
            "postgres://kiln:***@db:5432/kiln"
        );
        assert_eq!(super::redact("postgres://kiln@db/kiln"), "postgres://kiln@db/kiln");
        assert_eq!(super::redact("sqlite://kiln.db"), "sqlite://kiln.db");
    }
}
