//! The SQLite store's readers: connections beside the writer, each used on
//! the thread that reads. In WAL mode a read never waits for the writer,
//! and a read by key takes microseconds, less than handing it to another
//! thread and back would cost.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, OpenFlags, ToSql, params_from_iter};

use super::BUSY_TIMEOUT;
use crate::Result;
use crate::reads::{Param, Reader};

pub(super) struct Readers {
    path: PathBuf,
    idle: Mutex<Vec<Connection>>,
    /// How many idle connections to keep open.
    keep: usize,
}

impl Readers {
    pub(super) fn new(path: &Path, keep: usize) -> Self {
        Self { path: path.to_owned(), idle: Mutex::new(Vec::new()), keep }
    }

    /// Runs `read` on an idle connection, or a new one if none is idle.
    pub(super) fn read<T>(&self, read: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner).pop();
        let connection = match idle {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = read(&connection);
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < self.keep {
            idle.push(connection);
        }
        result
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection = Connection::open_with_flags(&self.path, flags)?;
        connection.busy_timeout(BUSY_TIMEOUT)?;
        connection.set_prepared_statement_cache_capacity(64);
        // A reader never writes, even by mistake.
        connection.pragma_update(None, "query_only", true)?;
        Ok(connection)
    }
}

impl Reader for Readers {
    type Row<'r> = rusqlite::Row<'r>;

    async fn rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        decode: impl for<'r> Fn(&rusqlite::Row<'r>) -> Result<T> + Send,
    ) -> Result<Vec<T>> {
        self.read(|db| super::rows(db, sql, params_from_iter(params), decode))
    }
}

impl ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Param::Id(id) => id.to_sql(),
            Param::Text(text) => text.to_sql(),
            Param::Bytes(bytes) => bytes.to_sql(),
            Param::Int(int) => int.to_sql(),
        }
    }
}
