//! Plugins: what each artifact type is, its spec's JSON Schema and
//! examples, and tool definitions an LLM can call as-is.

use std::sync::Arc;

use axum::extract::State;
use kiln_runtime::Plugin;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ApiState;
use super::extract::{Caller, Json, Path, Query};
use super::jobs;
use super::problem::{ApiError, ApiResult, Problem};

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PluginSummary {
    #[serde(rename = "type")]
    artifact_type: String,
    name: String,
    version: String,
    summary: String,
    /// Media types of the files it makes.
    media_types: Vec<String>,
    /// Hex sha256 of the component.
    sha256: String,
    /// Whether new jobs are accepted; an administrator can turn a type off.
    enabled: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PluginDetail {
    #[serde(flatten)]
    summary: PluginSummary,
    description: String,
    /// JSON Schema (2020-12) of the spec.
    #[schema(value_type = Object)]
    spec_schema: serde_json::Value,
    examples: Vec<PluginExample>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PluginExample {
    title: String,
    #[schema(value_type = Object)]
    spec: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct PluginList {
    plugins: Vec<PluginSummary>,
}

fn summary(plugin: &Plugin, disabled: &[String]) -> PluginSummary {
    let info = plugin.info();
    PluginSummary {
        artifact_type: info.artifact_type.clone(),
        name: info.name.clone(),
        version: info.version.clone(),
        summary: info.summary.clone(),
        media_types: info.media_types.clone(),
        sha256: plugin.sha256().to_owned(),
        enabled: !disabled.contains(&info.artifact_type),
    }
}

fn schema(plugin: &Plugin) -> serde_json::Value {
    serde_json::from_str(&plugin.info().spec_schema).unwrap_or_default()
}

/// Lists the artifact types this server generates.
#[utoipa::path(get, operation_id = "list_plugins", path = "/v1/plugins", tag = "plugins", responses((status = 200, body = PluginList)), security(("api_key" = [])))]
pub(crate) async fn list(
    State(state): State<Arc<ApiState>>,
    _caller: Caller,
) -> ApiResult<axum::Json<PluginList>> {
    let disabled = state.store.disabled_plugins().await?;
    let serving = state.plugins();
    let plugins = serving
        .types()
        .filter_map(|kind| serving.get(kind))
        .map(|plugin| summary(plugin, &disabled))
        .collect();
    Ok(axum::Json(PluginList { plugins }))
}

/// One plugin: its description, spec schema and examples.
#[utoipa::path(
    get, operation_id = "get_plugin", path = "/v1/plugins/{type}", tag = "plugins",
    params(("type" = String, Path, description = "Artifact type")),
    responses((status = 200, body = PluginDetail), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn get(
    State(state): State<Arc<ApiState>>,
    _caller: Caller,
    Path(kind): Path<String>,
) -> ApiResult<axum::Json<PluginDetail>> {
    detail(&state, &kind).await.map(axum::Json)
}

async fn detail(state: &ApiState, kind: &str) -> ApiResult<PluginDetail> {
    let plugin = state
        .plugins()
        .get(kind)
        .cloned()
        .ok_or(ApiError::NotFound("plugin for this artifact type"))?;
    let disabled = state.store.disabled_plugins().await?;
    let info = plugin.info();
    Ok(PluginDetail {
        summary: summary(&plugin, &disabled),
        description: info.description.clone(),
        spec_schema: schema(&plugin),
        examples: info
            .examples
            .iter()
            .map(|example| PluginExample {
                title: example.title.clone(),
                spec: serde_json::from_str(&example.spec).unwrap_or_default(),
            })
            .collect(),
    })
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Validated {
    /// Always true: a spec with problems is a 422 listing them.
    valid: bool,
}

/// Checks a spec as creating a job would (the schema, then the plugin's own
/// `validate`) without creating one. The body is the spec; each problem's
/// pointer is relative to it.
#[utoipa::path(
    post, operation_id = "validate_spec", path = "/v1/plugins/{type}/validate", tag = "plugins",
    params(("type" = String, Path, description = "Artifact type")),
    request_body(content = Object, description = "A spec for this artifact type"),
    responses((status = 200, body = Validated),
              (status = 400, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json"),
              (status = 413, body = Problem, content_type = "application/problem+json"),
              (status = 415, body = Problem, content_type = "application/problem+json"),
              (status = 422, description = "Each problem with its JSON pointer in the spec", body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn validate(
    State(state): State<Arc<ApiState>>,
    _caller: Caller,
    Path(kind): Path<String>,
    Json(spec): Json<serde_json::Value>,
) -> ApiResult<axum::Json<Validated>> {
    let plugin = state
        .plugins()
        .get(&kind)
        .cloned()
        .ok_or(ApiError::NotFound("plugin for this artifact type"))?;
    jobs::refuse_if_any(jobs::spec_violations(&state, &plugin, &spec, "").await?)?;
    Ok(axum::Json(Validated { valid: true }))
}

/// Turns an artifact type off: new jobs for it are refused (queued ones
/// still run). Admin keys only; it applies to every organisation.
#[utoipa::path(
    post, operation_id = "disable_plugin", path = "/v1/plugins/{type}/disable", tag = "plugins",
    params(("type" = String, Path, description = "Artifact type")),
    responses((status = 200, body = PluginDetail), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn disable(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(kind): Path<String>,
) -> ApiResult<axum::Json<PluginDetail>> {
    set_enabled(&state, &caller, &kind, false).await
}

/// Turns an artifact type back on. Admin keys only.
#[utoipa::path(
    post, operation_id = "enable_plugin", path = "/v1/plugins/{type}/enable", tag = "plugins",
    params(("type" = String, Path, description = "Artifact type")),
    responses((status = 200, body = PluginDetail), (status = 403, body = Problem, content_type = "application/problem+json"),
              (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("api_key" = []))
)]
pub(crate) async fn enable(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
    Path(kind): Path<String>,
) -> ApiResult<axum::Json<PluginDetail>> {
    set_enabled(&state, &caller, &kind, true).await
}

async fn set_enabled(
    state: &ApiState,
    caller: &Caller,
    kind: &str,
    enabled: bool,
) -> ApiResult<axum::Json<PluginDetail>> {
    caller.require_admin()?;
    state.plugins().get(kind).ok_or(ApiError::NotFound("plugin for this artifact type"))?;
    state.store.set_plugin_enabled(kind, enabled).await?;
    tracing::info!(artifact_type = kind, enabled, admin_key = %caller.key.id, "plugin availability changed");
    detail(state, kind).await.map(axum::Json)
}

#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ToolFormat {
    /// `{"type": "function", "function": {"name", "description", "parameters"}}`
    #[default]
    Openai,
    /// `{"name", "description", "input_schema"}`
    Anthropic,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ToolsQuery {
    /// The shape of each definition [default: openai].
    format: Option<ToolFormat>,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Tools {
    /// One per plugin, named `generate_<type>`; the arguments an LLM
    /// returns are the job's `spec`.
    #[schema(value_type = Vec<Object>)]
    tools: Vec<serde_json::Value>,
}

/// What a model reads before writing a spec: the plugin's summary and
/// description (without repeating the summary), then the limits every job
/// meets, so it can size a spec before it is refused.
fn tool_description(
    info: &kiln_core::PluginInfo,
    limits: &kiln_runtime::Limits,
    validate: &kiln_runtime::Limits,
) -> String {
    let summary = info.summary.trim();
    let mut body = info.description.trim();
    let normal = |s: &str| s.trim().trim_end_matches('.').to_lowercase();
    if let Some((first, rest)) = body.split_once(['\n', '.'])
        && normal(first) == normal(summary)
    {
        body = rest.trim_start_matches('.').trim();
    }
    let mib = |bytes: u64| bytes >> 20;
    format!(
        "{summary}\n\n{body}\n\nLimits: the whole request (spec and inline assets) is at most {} MiB of JSON. \
         The spec is checked first (schema, then the plugin's own checks, within {} MiB of memory and {} s), and every \
         problem comes back at once with its JSON pointer. Generation runs in a sandbox with {} MiB of memory, {} s of \
         CPU and {} MiB of output; a spec too big for that fails with `limit exceeded`, so split very large data \
         across several jobs.",
        mib(super::MAX_JSON_BODY as u64),
        mib(validate.memory_bytes),
        validate.cpu_time.as_secs(),
        mib(limits.memory_bytes),
        limits.cpu_time.as_secs(),
        mib(limits.output_bytes),
    )
}

/// A plugin as a tool a model can call: the one source of `/v1/tools` and
/// the MCP tool list.
pub(crate) struct ToolDefinition {
    /// `generate_<type>`.
    pub(crate) name: String,
    pub(crate) artifact_type: String,
    pub(crate) description: String,
    /// The spec's JSON Schema, without the meta keys some tool APIs refuse.
    pub(crate) parameters: serde_json::Map<String, serde_json::Value>,
}

/// One tool per active plugin that is not turned off.
pub(crate) async fn tool_definitions(state: &ApiState) -> ApiResult<Vec<ToolDefinition>> {
    let disabled = state.store.disabled_plugins().await?;
    let serving = state.plugins();
    Ok(serving
        .types()
        .filter(|kind| !disabled.iter().any(|off| off == kind))
        .filter_map(|kind| serving.get(kind))
        .map(|plugin| {
            let info = plugin.info();
            let mut parameters = match schema(plugin) {
                serde_json::Value::Object(object) => object,
                _ => serde_json::Map::new(),
            };
            parameters.remove("$schema");
            parameters.remove("$id");
            ToolDefinition {
                name: format!(
                    "generate_{}",
                    info.artifact_type.replace(|c: char| !c.is_ascii_alphanumeric(), "_")
                ),
                artifact_type: info.artifact_type.clone(),
                description: tool_description(
                    info,
                    &state.settings.limits,
                    state.runtime.validate_limits(),
                ),
                parameters,
            }
        })
        .collect())
}

/// Tool definitions for LLMs, one per enabled plugin.
#[utoipa::path(get, operation_id = "list_tools", path = "/v1/tools", tag = "plugins", params(ToolsQuery), responses((status = 200, body = Tools)), security(("api_key" = [])))]
pub(crate) async fn tools(
    State(state): State<Arc<ApiState>>,
    _caller: Caller,
    Query(query): Query<ToolsQuery>,
) -> ApiResult<axum::Json<Tools>> {
    let tools = tool_definitions(&state)
        .await?
        .into_iter()
        .map(|ToolDefinition { name, description, parameters, .. }| match query.format.unwrap_or_default() {
            ToolFormat::Openai => serde_json::json!({
                "type": "function",
                "function": { "name": name, "description": description, "parameters": parameters },
            }),
            ToolFormat::Anthropic => {
                serde_json::json!({ "name": name, "description": description, "input_schema": parameters })
            }
        })
        .collect();
    Ok(axum::Json(Tools { tools }))
}
