//! The reads both dialects share, written once. Their SQL takes `$N`
//! parameters, which PostgreSQL and sqlx's SQLite driver both accept, and
//! casts none: sqlx sends each parameter's type, so `$2 IS NULL` needs no
//! hint. Reads whose SQL differs (time arithmetic, aggregates, batches)
//! stay in the drivers.

use std::future::Future;

use kiln_core::{
    Artifact, ArtifactId, Job, JobEvent, JobId, JobState, LogEntry, OrgId, WebhookDelivery,
};
use sqlx::{Database, Encode, Executor, IntoArguments, Pool, Type};
use uuid::Uuid;

use crate::Result;
use crate::model::{ApiKey, JobFilter, Scope};
use crate::registry::{self, ActivePlugin, PluginVersion, plugin_version_columns};
use crate::row::{self, Columns, artifact_columns, job_columns};

/// A value for one `$N` parameter.
#[derive(Clone, Copy)]
pub(crate) enum Param<'a> {
    Id(Option<Uuid>),
    Text(Option<&'a str>),
    Bytes(&'a [u8]),
    Int(i64),
}

impl From<JobId> for Param<'_> {
    fn from(id: JobId) -> Self {
        Self::Id(Some(id.0))
    }
}

impl From<ArtifactId> for Param<'_> {
    fn from(id: ArtifactId) -> Self {
        Self::Id(Some(id.0))
    }
}

impl From<Option<JobId>> for Param<'_> {
    fn from(id: Option<JobId>) -> Self {
        Self::Id(id.map(|id| id.0))
    }
}

/// A scope's organisation, or NULL for the operator's.
impl From<Option<OrgId>> for Param<'_> {
    fn from(id: Option<OrgId>) -> Self {
        Self::Id(id.map(|id| id.0))
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(text: &'a str) -> Self {
        Self::Text(Some(text))
    }
}

impl<'a> From<Option<&'a str>> for Param<'a> {
    fn from(text: Option<&'a str>) -> Self {
        Self::Text(text)
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(bytes: &'a [u8]) -> Self {
        Self::Bytes(bytes)
    }
}

impl From<i64> for Param<'_> {
    fn from(int: i64) -> Self {
        Self::Int(int)
    }
}

/// A connection pool the shared reads run on: either dialect's.
pub(crate) trait Reader: Sync {
    type Row<'r>: Columns;

    /// The rows `sql` selects with `params` bound to `$1`, `$2`, ...,
    /// each decoded by `decode`.
    fn rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        decode: impl for<'r> Fn(&Self::Row<'r>) -> Result<T> + Send,
    ) -> impl Future<Output = Result<Vec<T>>> + Send;

    /// The first row, decoded (for reads by a unique key).
    fn first<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        decode: impl for<'r> Fn(&Self::Row<'r>) -> Result<T> + Send,
    ) -> impl Future<Output = Result<Option<T>>> + Send {
        async move { Ok(self.rows(sql, params, decode).await?.into_iter().next()) }
    }
}

impl<DB> Reader for Pool<DB>
where
    DB: Database,
    DB::Row: Columns,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> Option<Uuid>: Encode<'q, DB> + Type<DB>,
    for<'q> Option<&'q str>: Encode<'q, DB> + Type<DB>,
    for<'q> &'q [u8]: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
{
    type Row<'r> = DB::Row;

    async fn rows<T: Send>(
        &self,
        sql: &str,
        params: &[Param<'_>],
        decode: impl Fn(&DB::Row) -> Result<T> + Send,
    ) -> Result<Vec<T>> {
        let mut query = sqlx::query(sql);
        for param in params {
            query = match *param {
                Param::Id(id) => query.bind(id),
                Param::Text(text) => query.bind(text),
                Param::Bytes(bytes) => query.bind(bytes),
                Param::Int(int) => query.bind(int),
            };
        }
        query.fetch_all(self).await?.iter().map(decode).collect()
    }
}

pub(crate) async fn job(db: &impl Reader, scope: Scope, id: JobId) -> Result<Option<Job>> {
    let sql = concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE id = $1 AND ($2 IS NULL OR organisation_id = $2)"
    );
    db.first(sql, &[id.into(), scope.organisation().into()], |row| row::job(row)).await
}

pub(crate) async fn jobs(db: &impl Reader, scope: Scope, filter: &JobFilter) -> Result<Vec<Job>> {
    let sql = concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs
         WHERE ($1 IS NULL OR organisation_id = $1) AND ($2 IS NULL OR session_id = $2)
           AND ($3 IS NULL OR state = $3) AND ($4 IS NULL OR id < $4)
         ORDER BY id DESC LIMIT $5"
    );
    let params = [
        scope.organisation().into(),
        filter.session_id.as_deref().into(),
        filter.state.map(JobState::as_str).into(),
        filter.before.into(),
        filter.limit().into(),
    ];
    db.rows(sql, &params, |row| row::job(row)).await
}

pub(crate) async fn events(
    db: &impl Reader,
    scope: Scope,
    id: JobId,
    after: i64,
) -> Result<Vec<JobEvent>> {
    let sql = "SELECT e.id, e.job_id, e.kind, e.attempt, e.data, e.created_at
               FROM job_events e JOIN jobs j ON j.id = e.job_id
               WHERE e.job_id = $1 AND ($2 IS NULL OR j.organisation_id = $2) AND e.id > $3
               ORDER BY e.id";
    db.rows(sql, &[id.into(), scope.organisation().into(), after.into()], |row| row::event(row))
        .await
}

pub(crate) async fn log(db: &impl Reader, scope: Scope, job: JobId) -> Result<Vec<LogEntry>> {
    let sql = "SELECT l.entries FROM job_logs l JOIN jobs j ON j.id = l.job_id
               WHERE l.job_id = $1 AND l.attempt = j.attempt AND ($2 IS NULL OR j.organisation_id = $2)";
    let params = [job.into(), scope.organisation().into()];
    Ok(db.first(sql, &params, |row| row::log(row)).await?.unwrap_or_default())
}

pub(crate) async fn active(db: &impl Reader, limit: u32) -> Result<Vec<Job>> {
    let sql = concat!(
        "SELECT ",
        job_columns!(),
        " FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at LIMIT $1"
    );
    db.rows(sql, &[i64::from(limit).into()], |row| row::job(row)).await
}

pub(crate) async fn next_due(db: &impl Reader) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    let sql = "SELECT min(run_at) AS due FROM jobs WHERE state = 'queued'";
    Ok(db.first(sql, &[], |row| row.opt_time("due")).await?.flatten())
}

pub(crate) async fn artifacts(db: &impl Reader, scope: Scope, job: JobId) -> Result<Vec<Artifact>> {
    let sql = concat!(
        "SELECT ",
        artifact_columns!(),
        " FROM artifacts WHERE job_id = $1 AND ($2 IS NULL OR organisation_id = $2) ORDER BY path"
    );
    db.rows(sql, &[job.into(), scope.organisation().into()], |row| row::artifact(row)).await
}

pub(crate) async fn artifact(
    db: &impl Reader,
    scope: Scope,
    id: ArtifactId,
) -> Result<Option<Artifact>> {
    let sql = concat!(
        "SELECT ",
        artifact_columns!(),
        " FROM artifacts WHERE id = $1 AND ($2 IS NULL OR organisation_id = $2)"
    );
    db.first(sql, &[id.into(), scope.organisation().into()], |row| row::artifact(row)).await
}

pub(crate) async fn session_artifacts(
    db: &impl Reader,
    scope: Scope,
    session: &str,
) -> Result<Vec<Artifact>> {
    let sql = concat!(
        "SELECT ",
        artifact_columns!(),
        " FROM artifacts WHERE session_id = $1 AND ($2 IS NULL OR organisation_id = $2)
          ORDER BY created_at, id"
    );
    db.rows(sql, &[session.into(), scope.organisation().into()], |row| row::artifact(row)).await
}

pub(crate) async fn deliveries(
    db: &impl Reader,
    scope: Scope,
    job: JobId,
) -> Result<Vec<WebhookDelivery>> {
    let sql = "SELECT d.job_id, d.attempt, d.url, d.status, d.error, d.duration_ms, d.created_at
               FROM webhook_deliveries d JOIN jobs j ON j.id = d.job_id
               WHERE d.job_id = $1 AND ($2 IS NULL OR j.organisation_id = $2)
               ORDER BY d.id";
    db.rows(sql, &[job.into(), scope.organisation().into()], |row| row::delivery(row)).await
}

pub(crate) async fn api_key(db: &impl Reader, hash: &[u8]) -> Result<Option<ApiKey>> {
    let sql = "SELECT id, organisation_id, kind, prefix, label FROM api_keys
               WHERE hash = $1 AND revoked_at IS NULL";
    db.first(sql, &[hash.into()], |row| row::api_key(row)).await
}

pub(crate) async fn disabled_plugins(db: &impl Reader) -> Result<Vec<String>> {
    let sql = "SELECT artifact_type FROM disabled_plugins ORDER BY artifact_type";
    db.rows(sql, &[], |row| row.string("artifact_type")).await
}

pub(crate) async fn plugin_versions(db: &impl Reader) -> Result<Vec<PluginVersion>> {
    let sql = concat!(
        "SELECT ",
        plugin_version_columns!(),
        " FROM plugin_versions v ORDER BY v.artifact_type, v.registered_at, v.sha256"
    );
    db.rows(sql, &[], |row| registry::plugin_version(row)).await
}

pub(crate) async fn active_plugins(db: &impl Reader) -> Result<Vec<ActivePlugin>> {
    let sql = concat!(
        "SELECT ",
        plugin_version_columns!(),
        ", a.activated_by, a.activated_at FROM plugin_activations a
           JOIN plugin_versions v ON v.sha256 = a.sha256
          WHERE a.id IN (SELECT max(id) FROM plugin_activations WHERE rolled_back_at IS NULL
                          GROUP BY artifact_type)
          ORDER BY a.artifact_type"
    );
    db.rows(sql, &[], |row| registry::active_plugin(row)).await
}

pub(crate) async fn compiled_plugin(
    db: &impl Reader,
    engine: &str,
    sha256: &str,
) -> Result<Option<String>> {
    let sql = "SELECT compiled_sha256 FROM compiled_plugins WHERE engine = $1 AND sha256 = $2";
    db.first(sql, &[engine.into(), sha256.into()], |row| row.string("compiled_sha256")).await
}
