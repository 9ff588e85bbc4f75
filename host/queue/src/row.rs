//! Decoding stored rows, once for both dialects. They differ only in how a
//! timestamp is stored (timestamptz vs integer microseconds), which
//! [`Columns`] hides.

use chrono::{DateTime, Utc};
use kiln_core::{Artifact, Asset, Job, JobEvent, LogEntry, WebhookDelivery};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::{Error, Result};

/// Typed access to a row's columns by name.
pub(crate) trait Columns {
    /// A UUID column as the id type it holds.
    fn id<T: From<Uuid>>(&self, column: &str) -> Result<T>;
    fn string(&self, column: &str) -> Result<String>;
    fn opt_string(&self, column: &str) -> Result<Option<String>>;
    fn opt_int(&self, column: &str) -> Result<Option<i64>>;
    fn float(&self, column: &str) -> Result<f64>;
    fn boolean(&self, column: &str) -> Result<bool>;
    fn opt_json<T: DeserializeOwned>(&self, column: &str) -> Result<Option<T>>;
    fn opt_time(&self, column: &str) -> Result<Option<DateTime<Utc>>>;

    fn int(&self, column: &str) -> Result<i64> {
        self.opt_int(column)?.ok_or_else(|| Error::Corrupt(format!("{column} is null")))
    }

    fn json<T: DeserializeOwned>(&self, column: &str) -> Result<T> {
        self.opt_json(column)?.ok_or_else(|| Error::Corrupt(format!("{column} is null")))
    }

    fn time(&self, column: &str) -> Result<DateTime<Utc>> {
        self.opt_time(column)?.ok_or_else(|| Error::Corrupt(format!("{column} is null")))
    }

    fn parsed<T: std::str::FromStr>(&self, column: &str) -> Result<T>
    where
        T::Err: std::fmt::Display,
    {
        self.opt_parsed(column)?.ok_or_else(|| Error::Corrupt(format!("{column} is null")))
    }

    fn opt_parsed<T: std::str::FromStr>(&self, column: &str) -> Result<Option<T>>
    where
        T::Err: std::fmt::Display,
    {
        let text = self.opt_string(column)?;
        text.map(|text| text.parse().map_err(|err| Error::Corrupt(format!("{column}: {err}"))))
            .transpose()
    }

    fn narrow<T: TryFrom<i64>>(&self, column: &str) -> Result<T> {
        self.opt_narrow(column)?.ok_or_else(|| Error::Corrupt(format!("{column} is null")))
    }

    fn opt_narrow<T: TryFrom<i64>>(&self, column: &str) -> Result<Option<T>> {
        let value = self.opt_int(column)?;
        value
            .map(|value| {
                T::try_from(value)
                    .map_err(|_| Error::Corrupt(format!("{column} out of range: {value}")))
            })
            .transpose()
    }
}

/// The columns [`job`] reads, for `SELECT` lists.
macro_rules! job_columns {
    () => {
        "id, organisation_id, session_id, conversation_id, artifact_type, spec, assets, display_name, metadata, \
         callback_url, webhook_state, webhook_attempts, state, priority, attempt, max_attempts, excused_attempts, run_at, lease_until, \
         worker_id, cancel_requested, idempotency_key, progress, error, plugin, usage, created_at, started_at, \
         finished_at"
    };
}
pub(crate) use job_columns;

pub(crate) fn job(row: &impl Columns) -> Result<Job> {
    Ok(Job {
        id: row.id("id")?,
        organisation_id: row.id("organisation_id")?,
        session_id: row.string("session_id")?,
        conversation_id: row.opt_string("conversation_id")?,
        artifact_type: row.string("artifact_type")?,
        spec: row.json("spec")?,
        assets: row.json("assets")?,
        display_name: row.opt_string("display_name")?,
        metadata: row.opt_json("metadata")?,
        callback_url: row.opt_string("callback_url")?,
        webhook_state: row.opt_parsed("webhook_state")?,
        webhook_attempts: row.narrow("webhook_attempts")?,
        state: row.parsed("state")?,
        priority: row.narrow("priority")?,
        attempt: row.narrow("attempt")?,
        max_attempts: row.narrow("max_attempts")?,
        excused_attempts: row.narrow("excused_attempts")?,
        run_at: row.time("run_at")?,
        lease_until: row.opt_time("lease_until")?,
        worker_id: row.opt_string("worker_id")?,
        cancel_requested: row.boolean("cancel_requested")?,
        idempotency_key: row.opt_string("idempotency_key")?,
        progress: row.opt_json("progress")?,
        error: row.opt_json("error")?,
        plugin: row.opt_json("plugin")?,
        usage: row.opt_json("usage")?,
        created_at: row.time("created_at")?,
        started_at: row.opt_time("started_at")?,
        finished_at: row.opt_time("finished_at")?,
    })
}

pub(crate) fn event(row: &impl Columns) -> Result<JobEvent> {
    Ok(JobEvent {
        id: row.int("id")?,
        job_id: row.id("job_id")?,
        kind: row.parsed("kind")?,
        attempt: row.narrow("attempt")?,
        data: row.json("data")?,
        created_at: row.time("created_at")?,
    })
}

/// The columns [`artifact`] reads.
macro_rules! artifact_columns {
    () => {
        "id, job_id, organisation_id, session_id, artifact_type, path, media_type, size, sha256, storage_key, created_at, plugin"
    };
}
pub(crate) use artifact_columns;

pub(crate) fn artifact(row: &impl Columns) -> Result<Artifact> {
    Ok(Artifact {
        id: row.id("id")?,
        job_id: row.id("job_id")?,
        organisation_id: row.id("organisation_id")?,
        session_id: row.string("session_id")?,
        artifact_type: row.string("artifact_type")?,
        path: row.string("path")?,
        media_type: row.string("media_type")?,
        size: row.narrow("size")?,
        sha256: row.string("sha256")?,
        storage_key: row.string("storage_key")?,
        created_at: row.time("created_at")?,
        plugin: row.opt_json("plugin")?,
    })
}

/// The columns [`asset`] reads.
macro_rules! asset_columns {
    () => {
        "id, organisation_id, filename, media_type, size, sha256, storage_key, created_at, expires_at"
    };
}
pub(crate) use asset_columns;

pub(crate) fn asset(row: &impl Columns) -> Result<Asset> {
    Ok(Asset {
        id: row.id("id")?,
        organisation_id: row.id("organisation_id")?,
        filename: row.opt_string("filename")?,
        media_type: row.string("media_type")?,
        size: row.narrow("size")?,
        sha256: row.string("sha256")?,
        storage_key: row.string("storage_key")?,
        created_at: row.time("created_at")?,
        expires_at: row.time("expires_at")?,
    })
}

pub(crate) fn delivery(row: &impl Columns) -> Result<WebhookDelivery> {
    Ok(WebhookDelivery {
        job_id: row.id("job_id")?,
        attempt: row.narrow("attempt")?,
        url: row.string("url")?,
        status: row.opt_narrow("status")?,
        error: row.opt_string("error")?,
        duration_ms: row.float("duration_ms")?,
        created_at: row.time("created_at")?,
    })
}

pub(crate) fn api_key(row: &impl Columns) -> Result<crate::ApiKey> {
    Ok(crate::ApiKey {
        id: row.id("id")?,
        organisation_id: row.id("organisation_id")?,
        kind: match row.string("kind")?.as_str() {
            "admin" => crate::KeyKind::Admin,
            "standard" => crate::KeyKind::Standard,
            other => return Err(Error::Corrupt(format!("unknown key kind {other:?}"))),
        },
        prefix: row.string("prefix")?,
        label: row.opt_string("label")?,
    })
}

pub(crate) fn expired_job(row: &impl Columns) -> Result<crate::ExpiredJob> {
    Ok(crate::ExpiredJob {
        id: row.id("id")?,
        organisation_id: row.id("organisation_id")?,
        session_id: row.string("session_id")?,
    })
}

pub(crate) fn log(row: &impl Columns) -> Result<Vec<LogEntry>> {
    row.json("entries")
}

/// Implements [`Columns`] for a dialect's row type; `$time` decodes an
/// optional timestamp column.
macro_rules! impl_columns {
    ($row:ty, $time:expr) => {
        impl crate::row::Columns for $row {
            fn id<T: From<uuid::Uuid>>(&self, column: &str) -> crate::Result<T> {
                Ok(T::from(sqlx::Row::try_get::<uuid::Uuid, _>(self, column)?))
            }
            fn string(&self, column: &str) -> crate::Result<String> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn opt_string(&self, column: &str) -> crate::Result<Option<String>> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn opt_int(&self, column: &str) -> crate::Result<Option<i64>> {
                // PostgreSQL's smallint and integer columns decode only as
                // their own widths.
                use sqlx::{Row, TypeInfo, ValueRef};
                let raw = self.try_get_raw(column)?;
                if raw.is_null() {
                    return Ok(None);
                }
                Ok(Some(match raw.type_info().name() {
                    "INT2" => i64::from(self.try_get::<i16, _>(column)?),
                    "INT4" => i64::from(self.try_get::<i32, _>(column)?),
                    _ => self.try_get::<i64, _>(column)?,
                }))
            }
            fn float(&self, column: &str) -> crate::Result<f64> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn boolean(&self, column: &str) -> crate::Result<bool> {
                Ok(sqlx::Row::try_get(self, column)?)
            }
            fn opt_json<T: serde::de::DeserializeOwned>(
                &self,
                column: &str,
            ) -> crate::Result<Option<T>> {
                let value: Option<sqlx::types::Json<T>> = sqlx::Row::try_get(self, column)?;
                Ok(value.map(|json| json.0))
            }
            fn opt_time(
                &self,
                column: &str,
            ) -> crate::Result<Option<chrono::DateTime<chrono::Utc>>> {
                let time: fn(&$row, &str) -> crate::Result<Option<chrono::DateTime<chrono::Utc>>> =
                    $time;
                time(self, column)
            }
        }
    };
}
pub(crate) use impl_columns;
