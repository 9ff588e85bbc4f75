//! The HTTP API (`/v1`): chat backends create jobs, follow them, and fetch
//! their files, each within its own organisation.
//!
//! [`router`] builds the whole service from an [`ApiState`], so tests can
//! drive it without a socket. Handlers live by concern: jobs, events (SSE),
//! artifacts (downloads, bundles, signed URLs), assets (uploads), plugins
//! (info and LLM tool definitions) and ops (health, metrics, OpenAPI);
//! `/mcp` serves the plugins as Model Context Protocol tools, and `/ui` a
//! playground page.

mod artifacts;
mod assets;
mod drain;
mod events;
mod extract;
mod jobs;
mod mcp;
mod ops;
mod plugins;
pub(crate) mod problem;
mod rate_limit;
mod registry;
pub(crate) mod signing;
mod ui;
pub(crate) mod views;

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use kiln_queue::JobStore;
use kiln_runtime::Runtime;
use kiln_storage::BlobStore;

pub(crate) use ops::HttpMetrics;
pub(crate) use rate_limit::RateLimit;
use signing::UrlSigner;
use views::Links;

use crate::registry::Registry;
use crate::webhooks::AllowList;

/// Largest JSON body accepted (inline assets included).
pub(crate) const MAX_JSON_BODY: usize = 10 << 20;

/// What every handler shares.
pub(crate) struct ApiState {
    pub(crate) store: Arc<dyn JobStore>,
    pub(crate) blobs: Arc<dyn BlobStore>,
    pub(crate) runtime: Arc<Runtime>,
    /// The plugin registry; `registry.active()` serves each artifact type.
    pub(crate) registry: Arc<Registry>,
    pub(crate) links: Links,
    pub(crate) signer: UrlSigner,
    pub(crate) rate_limit: RateLimit,
    pub(crate) metrics: Arc<HttpMetrics>,
    pub(crate) settings: Settings,
    /// Renders files' first pages; `None` when no previewer is installed.
    pub(crate) previews: Option<Arc<crate::preview::Previews>>,
    /// Cancelled when the server stops: streams that would stay open end.
    pub(crate) shutdown: tokio_util::sync::CancellationToken,
}

impl ApiState {
    /// The plugins serving each artifact type now.
    pub(crate) fn plugins(&self) -> Arc<kiln_executor::PluginSet> {
        self.registry.active().current()
    }
}

/// The API's tunable limits.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Largest asset upload.
    pub(crate) max_asset_bytes: u64,
    /// How long uploaded assets are kept.
    pub(crate) asset_ttl: Duration,
    /// Longest `?wait=` a create may ask for.
    pub(crate) max_wait: Duration,
    /// Hosts callback URLs may point at.
    pub(crate) webhooks: AllowList,
    /// How often an idle event stream sends a keep-alive comment.
    pub(crate) keep_alive: Duration,
    /// Largest plugin component an administrator may upload.
    pub(crate) max_plugin_bytes: u64,
    /// The sandbox limits jobs run under (stated in tool descriptions).
    pub(crate) limits: kiln_runtime::Limits,
}

/// The whole HTTP service.
pub(crate) fn router(state: Arc<ApiState>) -> Router {
    let v1 = Router::new()
        .route("/jobs", post(jobs::create).get(jobs::list))
        .route("/jobs/{id}", get(jobs::get))
        .route("/jobs/{id}/log", get(jobs::log))
        .route("/jobs/{id}/cancel", post(jobs::cancel))
        .route("/jobs/{id}/deliveries", get(jobs::deliveries))
        .route("/jobs/{id}/events", get(events::stream))
        .route("/assets", post(assets::upload).layer(DefaultBodyLimit::disable()))
        .route("/assets/{id}", get(assets::get))
        .route("/sessions/{id}/artifacts", get(artifacts::session))
        .route("/sessions/{id}/bundle", get(artifacts::bundle))
        .route("/artifacts/{id}", get(artifacts::get).delete(artifacts::delete))
        .route("/artifacts/{id}/content", get(artifacts::content))
        .route("/artifacts/{id}/preview", get(artifacts::preview))
        .route("/artifacts/{id}/url", post(artifacts::sign))
        .route("/plugins", get(plugins::list))
        .route("/plugins/{type}", get(plugins::get))
        .route("/plugins/{type}/disable", post(plugins::disable))
        .route("/plugins/{type}/enable", post(plugins::enable))
        .route("/plugins/{type}/validate", post(plugins::validate))
        .route("/tools", get(plugins::tools))
        .route(
            "/admin/plugins",
            post(registry::upload).layer(DefaultBodyLimit::disable()).get(registry::list),
        )
        .route("/admin/plugins/{name}/{version}/activate", post(registry::activate))
        .route("/admin/types/{type}/rollback", post(registry::roll_back))
        .route("/organisation", get(ops::organisation));
    let mcp = Router::new()
        .route_service("/mcp", mcp::service(state.clone()))
        .layer(axum::middleware::from_fn_with_state(state.clone(), mcp::authenticate));
    Router::new()
        .nest("/v1", v1)
        .merge(mcp)
        .route("/files/{id}", get(artifacts::signed_content))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route("/openapi.json", get(ops::openapi))
        .route("/ui", get(ui::redirect))
        .route("/ui/", get(ui::index))
        .route("/ui/{*path}", get(ui::file))
        .fallback(problem::no_route)
        .method_not_allowed_fallback(problem::method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_JSON_BODY))
        .layer(axum::middleware::from_fn(drain::unread_body))
        .layer(axum::middleware::from_fn_with_state(state.clone(), ops::observe))
        .with_state(state)
}
