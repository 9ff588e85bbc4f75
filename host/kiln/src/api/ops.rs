//! Operations: health and readiness probes, Prometheus metrics, the
//! OpenAPI document, and the caller's organisation.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Serialize;
use serde_json::Value;
use tracing::Instrument;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi, ToSchema};
use uuid::Uuid;

use super::extract::Caller;
use super::problem::{ApiError, ApiResult, Problem};
use super::{ApiState, artifacts, assets, events, jobs, plugins, registry, views};

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
    status: u16,
}

/// Figures about HTTP requests, plus the registry `/metrics` encodes (which
/// also holds the worker pool's run metrics).
pub(crate) struct HttpMetrics {
    registry: Mutex<Registry>,
    requests: Family<RouteLabels, Counter>,
    duration: Family<RouteLabels, Histogram, fn() -> Histogram>,
}

impl HttpMetrics {
    pub(crate) fn new(mut registry: Registry) -> Self {
        let requests = Family::<RouteLabels, Counter>::default();
        // 100 µs to about 50 s.
        let duration: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0001, 2.0, 20)));
        registry.register(
            "kiln_http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "kiln_http_request_duration_seconds",
            "Time to answer (headers; bodies stream on)",
            duration.clone(),
        );
        Self { registry: Mutex::new(registry), requests, duration }
    }
}

/// Counts and times every request by its route pattern (never by its raw
/// path, so ids do not explode the label set).
/// Also gives every request an id: in the `x-request-id` header, in every
/// problem body, and on every log line written while answering it.
pub(crate) async fn observe(
    State(state): State<Arc<ApiState>>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |path| path.as_str().to_owned());
    let method = request.method().to_string();
    let id = Uuid::now_v7();
    let span = tracing::info_span!("request", id = %id, method = %method, route = %route);
    let start = Instant::now();
    let mut response = REQUEST_ID.scope(id, next.run(request).instrument(span)).await;
    let labels = RouteLabels { method, route, status: response.status().as_u16() };
    state.metrics.requests.get_or_create(&labels).inc();
    state.metrics.duration.get_or_create(&labels).observe(start.elapsed().as_secs_f64());
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

tokio::task_local! {
    /// The id of the request being answered.
    pub(crate) static REQUEST_ID: Uuid;
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Health {
    status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(get, operation_id = "healthz", path = "/healthz", tag = "ops", responses((status = 200, body = Health)))]
pub(crate) async fn healthz() -> axum::Json<Health> {
    axum::Json(Health { status: "ok" })
}

/// Readiness: the database and the file storage answer.
#[utoipa::path(
    get, operation_id = "readyz", path = "/readyz", tag = "ops",
    responses((status = 200, body = Health), (status = 503, body = Problem, content_type = "application/problem+json"))
)]
pub(crate) async fn readyz(State(state): State<Arc<ApiState>>) -> ApiResult<axum::Json<Health>> {
    if let Err(err) = state.store.ping().await {
        tracing::warn!(error = %kiln_core::ErrorChain(&err), "not ready: the database does not answer");
        return Err(ApiError::Unavailable("the database does not answer".into()));
    }
    if let Err(err) = state.blobs.check().await {
        tracing::warn!(error = %kiln_core::ErrorChain(&err), "not ready: file storage is not usable");
        return Err(ApiError::Unavailable("file storage is not usable".into()));
    }
    Ok(axum::Json(Health { status: "ready" }))
}

/// Prometheus metrics.
#[utoipa::path(get, operation_id = "metrics", path = "/metrics", tag = "ops", responses((status = 200, description = "OpenMetrics text", body = String, content_type = "application/openmetrics-text")))]
pub(crate) async fn metrics(State(state): State<Arc<ApiState>>) -> ApiResult<Response> {
    let mut text = String::new();
    let registry = state.metrics.registry.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    prometheus_client::encoding::text::encode(&mut text, &registry).map_err(ApiError::internal)?;
    drop(registry);
    let content_type =
        HeaderValue::from_static("application/openmetrics-text; version=1.0.0; charset=utf-8");
    Ok(([(header::CONTENT_TYPE, content_type)], text).into_response())
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct OrganisationView {
    id: Uuid,
    /// Verifies webhook deliveries' `Kiln-Signature` (see the README).
    webhook_secret: String,
}

/// The caller's organisation, with its webhook signing secret.
#[utoipa::path(get, operation_id = "get_organisation", path = "/v1/organisation", tag = "ops", responses((status = 200, body = OrganisationView)), security(("api_key" = [])))]
pub(crate) async fn organisation(
    State(state): State<Arc<ApiState>>,
    caller: Caller,
) -> ApiResult<axum::Json<OrganisationView>> {
    let webhook_secret = state.store.webhook_secret(caller.organisation()).await?;
    Ok(axum::Json(OrganisationView { id: caller.organisation().into(), webhook_secret }))
}

#[derive(OpenApi)]
#[openapi(
    info(title = "kiln", description = "Turns artifact requests (a type and a JSON spec) into files made by sandboxed generator plugins."),
    paths(
        jobs::create, jobs::list, jobs::get, jobs::cancel, jobs::log, jobs::deliveries, events::stream,
        assets::upload, assets::get,
        artifacts::session, artifacts::bundle, artifacts::get, artifacts::content, artifacts::preview, artifacts::sign, artifacts::delete,
        artifacts::signed_content,
        plugins::list, plugins::get, plugins::disable, plugins::enable, plugins::validate, plugins::tools,
        registry::upload, registry::list, registry::activate, registry::roll_back,
        organisation, healthz, readyz, metrics,
    ),
    components(schemas(Problem, views::JobView, views::ArtifactView, plugins::ToolFormat, jobs::Include)),
    modifiers(&BearerAuth, &CommonProblems),
    tags(
        (name = "jobs", description = "Create jobs and follow them"),
        (name = "artifacts", description = "Download what jobs made"),
        (name = "assets", description = "Upload input files"),
        (name = "plugins", description = "What can be generated"),
        (name = "registry", description = "Install, activate and roll back plugins (admin keys)"),
        (name = "ops", description = "Probes, metrics and the organisation"),
    )
)]
struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.description = Some("An API key from `kiln keys create`".into());
        components.add_security_scheme("api_key", SecurityScheme::Http(scheme));
    }
}

/// Declares on every operation the problems any request can meet, so the
/// document lists every status the server sends: 400 (a bad path, query or
/// header), 401 and 429 where a key is needed, 404 where the path names an
/// object, 422 where a body is read.
struct CommonProblems;

impl Modify for CommonProblems {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let problem = |description: &str| {
            let content =
                ContentBuilder::new().schema(Some(Ref::from_schema_name("Problem"))).build();
            ResponseBuilder::new()
                .description(description)
                .content("application/problem+json", content)
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations =
                [&mut item.get, &mut item.post, &mut item.put, &mut item.delete, &mut item.patch];
            for operation in operations.into_iter().flatten() {
                let keyed = operation.security.as_ref().is_some_and(|s| !s.is_empty());
                let mut add = |status: &str, description: &str| {
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| problem(description).into());
                };
                add("400", "A malformed path, query or header");
                if keyed {
                    add("401", "No API key, or one the server does not know");
                    add("429", "Over the key's rate limit; retry after `Retry-After` seconds");
                }
                if path.contains('{') {
                    add("404", "No such object in the caller's organisation");
                }
                if operation.request_body.is_some() {
                    add("422", "Fields are invalid; each is listed with its JSON pointer");
                }
            }
        }
    }
}

/// The OpenAPI 3.1 document, with the artifact types this server has.
pub(crate) async fn openapi(State(state): State<Arc<ApiState>>) -> Response {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    let mut doc = serde_json::to_value(doc).expect("the document serialises");
    let plugins = state.plugins();
    let types: Vec<&str> = plugins.types().collect();
    if let Some(kind) = doc.pointer_mut("/components/schemas/CreateJob/properties/type") {
        kind["enum"] = serde_json::json!(types);
    }
    // `wait` is bounded by this server's setting.
    let max_wait = state.settings.max_wait.as_secs_f64();
    if let Some(Value::Array(parameters)) = doc.pointer_mut("/paths/~1v1~1jobs/post/parameters") {
        for parameter in parameters.iter_mut().filter(|p| p["name"] == "wait") {
            parameter["schema"]["minimum"] = serde_json::json!(0);
            parameter["schema"]["maximum"] = serde_json::json!(max_wait);
        }
    }
    axum::Json(doc).into_response()
}
