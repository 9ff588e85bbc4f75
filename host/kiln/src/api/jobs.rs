//! `/v1/jobs`: create (validated before anything is queued), read, list,
//! cancel, and a job's log and webhook deliveries.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use kiln_core::{AssetId, AssetRef, Job, JobId, JobState, LogEntry, Violation, WebhookDelivery};
use kiln_queue::{JobFilter, NewJob, Notice, Scope, Submitted};
use kiln_runtime::{Outcome, PluginError};
use kiln_storage::BlobKey;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::extract::{Caller, Json, Path, Query};
use super::problem::{ApiError, ApiResult, Problem};
use super::views::JobView;
use super::{ApiState, assets};

/// Largest asset sent inline (decoded); bigger ones go through `POST /v1/assets`.
const MAX_INLINE_ASSET: usize = 1 << 20;
/// Largest `metadata`, serialised.
const MAX_METADATA: usize = 16 << 10;

/// A request to generate an artifact.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateJob {
    /// The artifact type: one of `GET /v1/plugins` (the server's document
    /// lists them).
    #[serde(rename = "type")]
    #[schema(min_length = 1)]
    artifact_type: String,
    /// What to generate, in the shape the plugin's schema gives
    /// (`GET /v1/plugins/{type}`).
    #[schema(value_type = Object)]
    spec: serde_json::Value,
    /// Groups a conversation's artifacts for listing and bundling:
    /// 1-128 of `A-Z a-z 0-9 . _ : -`.
    #[schema(pattern = "^[A-Za-z0-9._:-]{1,128}$")]
    session_id: String,
    /// Your conversation's id, returned as given: 1-256 characters, no control characters.
    #[serde(default)]
    #[schema(min_length = 1, max_length = 256, pattern = "^[^\\u0000-\\u001F\\u007F-\\u009F]+$")]
    conversation_id: Option<String>,
    /// The name a single-file result is downloaded under (its extension is
    /// added): 1-200 characters, not only spaces, without `/`, `\` or
    /// control characters.
    #[serde(default)]
    #[schema(
        max_length = 200,
        pattern = "^[^/\\\\\\u0000-\\u001F\\u007F-\\u009F]*[^/\\\\\\s\\u0000-\\u001F\\u007F-\\u009F][^/\\\\\\u0000-\\u001F\\u007F-\\u009F]*$"
    )]
    display_name: Option<String>,
    /// Your own data (a JSON object up to 16 KiB), returned as given.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    metadata: Option<serde_json::Map<String, serde_json::Value>>,
    /// POSTed the finished job, signed (see the README). Its host must be
    /// on the server's allow-list.
    #[serde(default)]
    callback_url: Option<String>,
    /// Input files the plugin reads by name.
    #[serde(default)]
    assets: Vec<JobAsset>,
}

impl CreateJob {
    /// A request with only the required fields.
    pub(super) fn new(artifact_type: &str, spec: serde_json::Value, session_id: &str) -> Self {
        Self {
            artifact_type: artifact_type.to_owned(),
            spec,
            session_id: session_id.to_owned(),
            conversation_id: None,
            display_name: None,
            metadata: None,
            callback_url: None,
            assets: Vec::new(),
        }
    }
}

/// An input file: an uploaded asset by id, or small content inline.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct JobAsset {
    /// The name the plugin asks for.
    name: String,
    /// An asset from `POST /v1/assets`.
    #[serde(default)]
    asset_id: Option<Uuid>,
    /// Or the content itself, base64, up to 1 MiB decoded.
    #[serde(default)]
    content_base64: Option<String>,
    /// Media type of inline content [default: application/octet-stream].
    #[serde(default)]
    media_type: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct CreateQuery {
    /// Wait up to this many seconds for the job to finish and answer 200
    /// with the finished job; 202 if it is still running then.
    wait: Option<f64>,
    /// `spec` to have the job's spec in the answer (left out by default:
    /// it can be megabytes).
    include: Option<Include>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct GetQuery {
    /// `spec` to have the job's spec in the answer (left out by default:
    /// it can be megabytes).
    include: Option<Include>,
}

/// Optional parts of a job's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Include {
    /// The spec as submitted.
    Spec,
}

/// Creates a job.
#[utoipa::path(
    post, operation_id = "create_job", path = "/v1/jobs", tag = "jobs",
    params(CreateQuery, ("Idempotency-Key" = Option<String>, Header, description = "Repeat a request safely: the same key and body return the first job. 1 to 255 printable ASCII characters", max_length = 255, pattern = "^[ -~]*[!#-~][ -~]*$")),
    request_body = CreateJob,
    responses(
        (status = 202, description = "Queued (or still running after `wait`)", body = JobView, headers(("Location" = String))),
        (status = 200, description = "Finished within `wait`, or an earlier request with this Idempotency-Key", body = JobView),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields or spec, each with its JSON pointer", body = Problem, content_type = "application/problem+json"),
    ),
    security(("api_key" = []))
)]
pub(crate) async fn create(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Query(query): Query<CreateQuery>,
    headers: HeaderMap,
    Json(request): Json<CreateJob>,
) -> ApiResult<Response> {
    let wait = wait(&state, query.wait)?;
    let idempotency_key = idempotency_key(&headers)?;
    let Enqueued { job, replayed, mut notices } =
        enqueue(&state, &caller, request, idempotency_key).await?;
    let location = format!("/v1/jobs/{}", job.id);
    let job = match wait {
        Some(wait) if !job.state.is_terminal() => {
            finished_within(&state, caller.scope(), job, &mut notices, wait).await?
        }
        _ => job,
    };
    let status =
        if job.state.is_terminal() || replayed { StatusCode::OK } else { StatusCode::ACCEPTED };
    let view = view(&state, caller.scope(), job, query.include).await?;
    let mut response = (status, axum::Json(view)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::LOCATION, HeaderValue::from_str(&location).map_err(ApiError::internal)?);
    if replayed {
        headers.insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

/// A job checked and submitted.
pub(super) struct Enqueued {
    pub(super) job: Job,
    /// An earlier request with the same idempotency key made this job.
    pub(super) replayed: bool,
    /// Subscribed before submitting, so the end of a quick job is not missed.
    pub(super) notices: broadcast::Receiver<Notice>,
}

/// Checks a request (see [`check`]), stores its inline assets and submits
/// the job; every way of creating a job goes through here.
pub(super) async fn enqueue(
    state: &ApiState,
    caller: &Caller,
    request: CreateJob,
    idempotency_key: Option<String>,
) -> ApiResult<Enqueued> {
    let (mut new, inline) = check(state, caller, request).await?;
    for Inline { name, media_type, bytes } in inline {
        let body = futures_util::stream::once(async move { Ok(bytes::Bytes::from(bytes)) });
        let asset =
            assets::store(state, caller, None, media_type, Box::pin(body), MAX_INLINE_ASSET as u64)
                .await?;
        new.assets.push(AssetRef { name, asset_id: asset.id });
    }
    new.idempotency_key = idempotency_key;
    let notices = state.store.subscribe();
    // The store commits jobs submitted together in one write.
    let submitted = state.store.submit(vec![new]).await?.pop().ok_or_else(|| {
        ApiError::internal(anyhow::anyhow!("the store returned no result for the job"))
    })?;
    let (job, replayed) = match submitted {
        Submitted::Created(job) => (job, false),
        Submitted::Existing(job) => (job, true),
        Submitted::Conflict { key, existing } => {
            return Err(ApiError::IdempotencyKeyReused { key, existing });
        }
    };
    Ok(Enqueued { job, replayed, notices })
}

fn wait(state: &ApiState, wait: Option<f64>) -> ApiResult<Option<Duration>> {
    let Some(seconds) = wait else { return Ok(None) };
    let max = state.settings.max_wait.as_secs_f64();
    if !(0.0..=max).contains(&seconds) {
        return Err(ApiError::bad_request(format!("wait must be between 0 and {max} seconds")));
    }
    Ok(Some(Duration::from_secs_f64(seconds)))
}

fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    let Some(value) = headers.get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().ok().map(|key| key.trim().trim_matches('"')).unwrap_or("");
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic() || b == b' ')
    {
        return Err(ApiError::bad_request(
            "Idempotency-Key must be 1 to 255 printable ASCII characters",
        ));
    }
    Ok(Some(key.to_owned()))
}

/// Inline content to store as an asset once the whole request is valid.
struct Inline {
    name: String,
    media_type: String,
    bytes: Vec<u8>,
}

/// Checks every field and the spec (schema, then the plugin's own
/// `validate`), reporting every violation at once. Nothing is stored yet.
async fn check(
    state: &ApiState,
    caller: &Caller,
    request: CreateJob,
) -> ApiResult<(NewJob, Vec<Inline>)> {
    let org = caller.organisation();
    let mut violations = Vec::new();
    let disabled = state.store.disabled_plugins().await?;
    let plugins = state.plugins();
    let mut plugin = plugins.get(&request.artifact_type);
    if plugin.is_none() {
        let known = plugins.types().collect::<Vec<_>>().join(", ");
        violations.push(Violation::new(
            "/type",
            format!("unknown artifact type {:?}; known: {known}", request.artifact_type),
        ));
    } else if disabled.contains(&request.artifact_type) {
        violations.push(Violation::new(
            "/type",
            format!("{:?} is turned off on this server by an administrator", request.artifact_type),
        ));
        plugin = None;
    }
    if let Err(err) = BlobKey::session_prefix(org, &request.session_id) {
        violations.push(Violation::new("/session_id", err.to_string()));
    }
    if let Some(conversation) = &request.conversation_id
        && (conversation.is_empty()
            || conversation.len() > 256
            || conversation.chars().any(char::is_control))
    {
        violations.push(Violation::new(
            "/conversation_id",
            "must be 1 to 256 characters without control characters",
        ));
    }
    if let Some(name) = &request.display_name
        && (name.trim().is_empty()
            || name.chars().count() > 200
            || name.chars().any(|c| c.is_control() || c == '/' || c == '\\'))
    {
        violations.push(Violation::new(
            "/display_name",
            "must be 1 to 200 characters, without '/', '\\' or control characters",
        ));
    }
    if let Some(metadata) = &request.metadata
        && serde_json::to_vec(metadata).map_or(0, |bytes| bytes.len()) > MAX_METADATA
    {
        violations.push(Violation::new("/metadata", "must be at most 16 KiB as JSON"));
    }
    if let Some(url) = &request.callback_url
        && let Err(message) = state.settings.webhooks.check(url)
    {
        violations.push(Violation::new("/callback_url", message));
    }
    let (assets, inline) = check_assets(state, caller, &request.assets, &mut violations).await?;
    if let Some(plugin) = plugin {
        violations.extend(spec_violations(state, plugin, &request.spec, "/spec").await?);
    }
    refuse_if_any(violations)?;
    let mut new = NewJob::new(org, &request.session_id, &request.artifact_type, request.spec);
    new.conversation_id = request.conversation_id;
    new.display_name = request.display_name;
    new.metadata = request.metadata.map(serde_json::Value::Object);
    new.callback_url = request.callback_url;
    new.assets = assets;
    Ok((new, inline))
}

/// What is wrong with `spec` (its schema, then the plugin's own
/// `validate`), each pointer under `at`.
pub(super) async fn spec_violations(
    state: &ApiState,
    plugin: &kiln_runtime::Plugin,
    spec: &serde_json::Value,
    at: &str,
) -> ApiResult<Vec<Violation>> {
    let found = match state
        .runtime
        .check_spec(plugin, &spec.to_string())
        .await
        .map_err(ApiError::internal)?
    {
        Outcome::Succeeded => Vec::new(),
        Outcome::Refused(PluginError::InvalidSpec(found)) => found
            .into_iter()
            .map(|v| Violation::new(format!("{at}{}", v.pointer), v.message))
            .collect(),
        Outcome::Stopped(stop) => vec![Violation::new(
            at,
            format!(
                "the plugin's validation could not finish checking this spec ({stop}); validation runs under \
                 a small budget, so send a smaller or simpler spec"
            ),
        )],
        other => vec![Violation::new(at, other.to_string())],
    };
    Ok(found)
}

/// A 422 listing `violations` in document order, if there are any.
pub(super) fn refuse_if_any(violations: Vec<Violation>) -> ApiResult<()> {
    let violations = kiln_runtime::merge_violations([violations]);
    let detail = match violations.as_slice() {
        [] => return Ok(()),
        [only] => only.to_string(),
        [first, ..] => format!("{} problems, first {first}", violations.len()),
    };
    Err(ApiError::Invalid { detail, violations })
}

async fn check_assets(
    state: &ApiState,
    caller: &Caller,
    requested: &[JobAsset],
    violations: &mut Vec<Violation>,
) -> ApiResult<(Vec<AssetRef>, Vec<Inline>)> {
    let mut by_id = Vec::new();
    let mut inline = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (index, asset) in requested.iter().enumerate() {
        let at = |field: &str| format!("/assets/{index}{field}");
        if asset.name.is_empty()
            || asset.name.len() > 255
            || asset.name.chars().any(char::is_control)
        {
            violations.push(Violation::new(
                at("/name"),
                "must be 1 to 255 characters without control characters",
            ));
        } else if !names.insert(asset.name.as_str()) {
            violations
                .push(Violation::new(at("/name"), format!("{:?} is given twice", asset.name)));
        }
        match (&asset.asset_id, &asset.content_base64) {
            (Some(id), None) => {
                by_id.push((index, AssetRef { name: asset.name.clone(), asset_id: AssetId(*id) }))
            }
            (None, Some(content)) => match base64::engine::general_purpose::STANDARD.decode(content)
            {
                Ok(bytes) if bytes.is_empty() => {
                    violations.push(Violation::new(
                        at("/content_base64"),
                        "is empty; an asset needs at least one byte",
                    ));
                }
                Ok(bytes) if bytes.len() > MAX_INLINE_ASSET => violations.push(Violation::new(
                    at("/content_base64"),
                    "larger than 1 MiB; upload it with POST /v1/assets and refer to it by asset_id",
                )),
                Ok(bytes) => {
                    let media_type = asset
                        .media_type
                        .clone()
                        .unwrap_or_else(|| "application/octet-stream".into());
                    inline.push(Inline { name: asset.name.clone(), media_type, bytes });
                }
                Err(err) => violations.push(Violation::new(
                    at("/content_base64"),
                    format!("not valid base64: {err}"),
                )),
            },
            _ => violations
                .push(Violation::new(at(""), "give exactly one of asset_id and content_base64")),
        }
    }
    if !by_id.is_empty() {
        let ids: Vec<AssetId> = by_id.iter().map(|(_, asset)| asset.asset_id).collect();
        let found = state.store.assets(caller.scope(), &ids).await?;
        for (index, asset) in &by_id {
            if !found.iter().any(|known| known.id == asset.asset_id) {
                violations.push(Violation::new(
                    format!("/assets/{index}/asset_id"),
                    "no asset with this id (it may have expired); upload it with POST /v1/assets",
                ));
            }
        }
    }
    Ok((by_id.into_iter().map(|(_, asset)| asset).collect(), inline))
}

/// Waits up to `wait` for the job to finish; returns it as it then is.
async fn finished_within(
    state: &ApiState,
    scope: Scope,
    job: Job,
    notices: &mut broadcast::Receiver<Notice>,
    wait: Duration,
) -> ApiResult<Job> {
    let deadline = tokio::time::Instant::now() + wait;
    let id = job.id;
    loop {
        // Re-read at least every second: a worker in another process on
        // SQLite sends no notices here.
        let tick = tokio::time::sleep(Duration::from_secs(1));
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            notice = notices.recv() => match notice {
                Ok(Notice::Event { job_id, kind, .. }) if job_id == id && kind.is_terminal() => break,
                Ok(Notice::Resync) | Err(RecvError::Lagged(_)) => {}
                Ok(_) => continue,
                Err(RecvError::Closed) => break,
            },
            () = tick => {}
        }
        if state.store.get(scope, id).await?.is_some_and(|job| job.state.is_terminal()) {
            break;
        }
    }
    state.store.get(scope, id).await?.ok_or(ApiError::NotFound("job"))
}

/// The job with its artifacts and links (and its spec if asked for).
pub(crate) async fn view(
    state: &ApiState,
    scope: Scope,
    job: Job,
    include: Option<Include>,
) -> ApiResult<JobView> {
    let artifacts = match job.state {
        JobState::Succeeded => state.store.artifacts(scope, job.id).await?,
        _ => Vec::new(),
    };
    let spec = (include == Some(Include::Spec)).then(|| job.spec.clone());
    let mut view = state.links.job(job, Some(artifacts));
    view.spec = spec;
    Ok(view)
}

/// Reads a job.
#[utoipa::path(
    get, operation_id = "get_job", path = "/v1/jobs/{id}", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id"), GetQuery),
    responses((status = 200, body = JobView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn get(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<JobId>,
    Query(query): Query<GetQuery>,
) -> ApiResult<axum::Json<JobView>> {
    let job = state.store.get(caller.scope(), id).await?.ok_or(ApiError::NotFound("job"))?;
    Ok(axum::Json(view(&state, caller.scope(), job, query.include).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ListQuery {
    /// Only this session's jobs.
    session: Option<String>,
    /// Only jobs in this state.
    status: Option<JobState>,
    /// Page size, 1-200 [default: 50].
    #[param(minimum = 1, maximum = 200)]
    limit: Option<u32>,
    /// Only jobs older than this one (the `next` link sets it).
    before: Option<Uuid>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobPage {
    /// Newest first.
    jobs: Vec<JobView>,
    /// The next page, if there may be one.
    next: Option<String>,
}

/// Lists jobs, newest first.
#[utoipa::path(
    get, operation_id = "list_jobs", path = "/v1/jobs", tag = "jobs", params(ListQuery),
    responses((status = 200, body = JobPage), (status = 400, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn list(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Query(query): Query<ListQuery>,
) -> ApiResult<axum::Json<JobPage>> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::bad_request("limit must be between 1 and 200"));
    }
    let filter = JobFilter {
        session_id: query.session.clone(),
        state: query.status,
        before: query.before.map(JobId),
        limit,
    };
    let jobs = state.store.list(caller.scope(), &filter).await?;
    let next = match jobs.last() {
        Some(last) if jobs.len() == limit as usize => {
            let mut params = vec![format!("limit={limit}"), format!("before={}", last.id)];
            if let Some(session) = &query.session {
                params.push(format!("session={session}"));
            }
            if let Some(status) = query.status {
                params.push(format!("status={status}"));
            }
            Some(state.links.url(&format!("/v1/jobs?{}", params.join("&"))))
        }
        _ => None,
    };
    let jobs = jobs.into_iter().map(|job| state.links.job(job, None)).collect();
    Ok(axum::Json(JobPage { jobs, next }))
}

/// Cancels a job: a queued one at once, a running one as soon as its worker
/// stops it (`cancel_requested`); a finished job is returned unchanged.
#[utoipa::path(
    post, operation_id = "cancel_job", path = "/v1/jobs/{id}/cancel", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, body = JobView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn cancel(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<JobId>,
) -> ApiResult<axum::Json<JobView>> {
    let job = state.store.cancel(caller.scope(), id).await?.ok_or(ApiError::NotFound("job"))?;
    Ok(axum::Json(view(&state, caller.scope(), job, None).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct JobLog {
    /// The plugin's log lines and captured output of its last run.
    entries: Vec<LogEntry>,
}

/// The plugin's log of the job's last run.
#[utoipa::path(
    get, operation_id = "get_job_log", path = "/v1/jobs/{id}/log", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, body = JobLog), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn log(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<JobId>,
) -> ApiResult<axum::Json<JobLog>> {
    state.store.get(caller.scope(), id).await?.ok_or(ApiError::NotFound("job"))?;
    Ok(axum::Json(JobLog { entries: state.store.log(caller.scope(), id).await? }))
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Deliveries {
    /// Each try at the job's webhook, oldest first.
    deliveries: Vec<WebhookDelivery>,
}

/// The job's webhook deliveries.
#[utoipa::path(
    get, operation_id = "list_job_deliveries", path = "/v1/jobs/{id}/deliveries", tag = "jobs",
    params(("id" = Uuid, Path, description = "Job id")),
    responses((status = 200, body = Deliveries), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn deliveries(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(id): Path<JobId>,
) -> ApiResult<axum::Json<Deliveries>> {
    state.store.get(caller.scope(), id).await?.ok_or(ApiError::NotFound("job"))?;
    Ok(axum::Json(Deliveries { deliveries: state.store.deliveries(caller.scope(), id).await? }))
}
