//! The plugin registry for administrators: upload a plugin, list versions,
//! activate one for its artifact type, roll back. Admin keys only; what
//! they change applies to every organisation.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use kiln_queue::{ActivePlugin, PluginVersion};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use utoipa::{IntoParams, ToSchema};

use super::ApiState;
use super::extract::{Caller, Path, Query, refuse_declared_over};
use super::problem::{ApiError, ApiResult, Problem};
use crate::registry::RegistryError;

/// A registered plugin version.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct RegisteredPlugin {
    name: String,
    version: String,
    #[serde(rename = "type")]
    artifact_type: String,
    /// Hex sha256 of the component: what identifies it.
    sha256: String,
    size_bytes: u64,
    /// Shipped with kiln rather than uploaded.
    builtin: bool,
    /// The admin key id that uploaded it, or `builtin`.
    registered_by: String,
    registered_at: DateTime<Utc>,
    /// Whether it serves its artifact type now.
    serving: bool,
}

/// The version serving an artifact type.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ServingPlugin {
    #[serde(rename = "type")]
    artifact_type: String,
    name: String,
    version: String,
    sha256: String,
    /// The admin key id that activated it, or `builtin`.
    activated_by: String,
    activated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Registered {
    /// The version serving each artifact type, by type.
    serving: Vec<ServingPlugin>,
    /// Every registered version, by type, oldest first.
    versions: Vec<RegisteredPlugin>,
}

/// One `kiln plugin check` rule's verdict.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CheckView {
    rule: String,
    passed: bool,
    detail: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Uploaded {
    plugin: RegisteredPlugin,
    /// The rules it passed (empty if these bytes were registered before).
    checks: Vec<CheckView>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct UploadQuery {
    /// Make it serve its artifact type at once [default: false].
    activate: Option<bool>,
}

fn registered(version: PluginVersion, serving: &[ActivePlugin]) -> RegisteredPlugin {
    let is_serving = serving.iter().any(|a| a.plugin.sha256 == version.sha256);
    RegisteredPlugin {
        name: version.name,
        version: version.version,
        artifact_type: version.artifact_type,
        sha256: version.sha256,
        size_bytes: version.size_bytes,
        builtin: version.builtin,
        registered_by: version.registered_by,
        registered_at: version.registered_at,
        serving: is_serving,
    }
}

fn serving(active: ActivePlugin) -> ServingPlugin {
    ServingPlugin {
        artifact_type: active.plugin.artifact_type,
        name: active.plugin.name,
        version: active.plugin.version,
        sha256: active.plugin.sha256,
        activated_by: active.activated_by,
        activated_at: active.activated_at,
    }
}

impl From<RegistryError> for ApiError {
    fn from(err: RegistryError) -> Self {
        let detail = err.to_string();
        match err {
            RegistryError::Check { rule, .. } => Self::PluginRefused { rule, detail },
            RegistryError::Stopped(_) => Self::PluginRefused {
                rule: "limits".into(),
                detail: format!("{detail}; nothing was registered"),
            },
            RegistryError::VersionTaken { .. }
            | RegistryError::NothingEarlier(_)
            | RegistryError::Unusable { .. } => Self::Conflict(detail),
            RegistryError::UnknownVersion(_) => Self::NotFound("registered plugin version"),
            RegistryError::Store(err) => err.into(),
            RegistryError::Storage(err) => err.into(),
            RegistryError::Runtime(_) | RegistryError::Io(_) => Self::internal(err),
        }
    }
}

/// Uploads a plugin component (the `.wasm` as the body). It is registered
/// only if it passes every `kiln plugin check` rule; otherwise the problem
/// names the rule it failed. Admin keys only.
#[utoipa::path(
    post, operation_id = "upload_plugin", path = "/v1/admin/plugins", tag = "registry",
    params(UploadQuery),
    request_body(content = Vec<u8>, content_type = "application/octet-stream", description = "The component's .wasm bytes"),
    responses((status = 201, body = Uploaded), (status = 200, body = Uploaded, description = "These bytes were registered before"),
              (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn upload(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Query(query): Query<UploadQuery>,
    request: Request,
) -> ApiResult<(StatusCode, axum::Json<Uploaded>)> {
    caller.require_admin()?;
    let limit = state.settings.max_plugin_bytes;
    refuse_declared_over(request.headers(), limit)?;
    let dir = tempfile::tempdir().map_err(ApiError::internal)?;
    let path = dir.path().join("upload.wasm");
    receive(request.into_body(), &path, limit).await?;
    let key = caller.key.id.to_string();
    let installed = state.registry.install(&path, &key).await?;
    let new = installed.report.is_some();
    if query.activate.unwrap_or(false) {
        let plugin = &installed.plugin;
        state.registry.activate(&plugin.name, &plugin.version, &key).await?;
    }
    tracing::info!(name = installed.plugin.name, version = installed.plugin.version, sha256 = installed.plugin.sha256, admin_key = %caller.key.id, new, "plugin uploaded");
    let active = state.registry.serving().await?;
    let checks = installed.report.map_or_else(Vec::new, |report| {
        report
            .checks
            .into_iter()
            .map(|c| CheckView { rule: c.rule, passed: c.passed, detail: c.detail })
            .collect()
    });
    let status = if new { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, axum::Json(Uploaded { plugin: registered(installed.plugin, &active), checks })))
}

/// Streams a body into `path`, refusing it past `limit` bytes.
async fn receive(body: Body, path: &std::path::Path, limit: u64) -> ApiResult<()> {
    let mut file = tokio::fs::File::create(path).await.map_err(ApiError::internal)?;
    let mut stream = body.into_data_stream();
    let mut size = 0u64;
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|err| ApiError::bad_request(format!("the upload broke off: {err}")))?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(ApiError::TooLarge(limit));
        }
        file.write_all(&chunk).await.map_err(ApiError::internal)?;
    }
    if size == 0 {
        return Err(ApiError::bad_request(
            "the body is empty; send the plugin's .wasm as the body",
        ));
    }
    file.flush().await.map_err(ApiError::internal)?;
    Ok(())
}

/// Lists the registered plugin versions and which serves each artifact
/// type. Admin keys only.
#[utoipa::path(
    get, operation_id = "list_registered_plugins", path = "/v1/admin/plugins", tag = "registry",
    responses((status = 200, body = Registered), (status = 403, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn list(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
) -> ApiResult<axum::Json<Registered>> {
    caller.require_admin()?;
    let active = state.registry.serving().await?;
    let versions =
        state.registry.versions().await?.into_iter().map(|v| registered(v, &active)).collect();
    Ok(axum::Json(Registered { serving: active.into_iter().map(serving).collect(), versions }))
}

/// Makes a registered version serve its artifact type: new jobs use it at
/// once, on every server and worker; jobs already running finish on the
/// version they started with. Admin keys only.
#[utoipa::path(
    post, operation_id = "activate_plugin", path = "/v1/admin/plugins/{name}/{version}/activate", tag = "registry",
    params(("name" = String, Path, description = "Plugin name"), ("version" = String, Path, description = "Plugin version")),
    responses((status = 200, body = ServingPlugin), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn activate(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path((name, version)): Path<(String, String)>,
) -> ApiResult<axum::Json<ServingPlugin>> {
    caller.require_admin()?;
    let active = state.registry.activate(&name, &version, &caller.key.id.to_string()).await?;
    tracing::info!(name, version, admin_key = %caller.key.id, "plugin activated");
    Ok(axum::Json(serving(active)))
}

/// Puts the version that served an artifact type before the current one
/// back into service. Admin keys only.
#[utoipa::path(
    post, operation_id = "roll_back_plugin", path = "/v1/admin/types/{type}/rollback", tag = "registry",
    params(("type" = String, Path, description = "Artifact type")),
    responses((status = 200, body = ServingPlugin), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn roll_back(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(artifact_type): Path<String>,
) -> ApiResult<axum::Json<ServingPlugin>> {
    caller.require_admin()?;
    let active = state.registry.roll_back(&artifact_type).await?;
    tracing::info!(artifact_type, version = active.plugin.version, admin_key = %caller.key.id, "plugin rolled back");
    Ok(axum::Json(serving(active)))
}
