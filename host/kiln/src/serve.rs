//! `kiln serve`: the HTTP API, with in-process workers and the webhook
//! sender beside it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use kiln_executor::{Executor, JobRunner, RunMetrics, maintenance};
use kiln_queue::{KeyKind, RetryPolicy};
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::api::views::Links;
use crate::api::{self, ApiState, HttpMetrics, RateLimit, Settings};
use crate::executor::{ExecutorArgs, ExecutorKind};
use crate::preview::Previews;
use crate::store::{StateArgs, StorageArgs};
use crate::webhooks::{self, AllowList, WebhookConfig};
use crate::worker::{self, PoolArgs};

#[derive(Args)]
pub(crate) struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "KILN_LISTEN", value_name = "ADDR", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The URL clients reach this server at, for links and signed URLs
    /// [default: http://LISTEN].
    #[arg(long, env = "KILN_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    /// Serve the API only; jobs run in `kiln worker` processes elsewhere.
    #[arg(long, env = "KILN_NO_WORKERS")]
    no_workers: bool,
    /// Hours uploaded assets are kept.
    #[arg(long, env = "KILN_ASSET_TTL_HOURS", value_name = "HOURS", default_value_t = 24)]
    asset_ttl_hours: u64,
    /// Longest `?wait=` a create may ask for, seconds.
    #[arg(long, env = "KILN_MAX_WAIT_SECS", value_name = "SECS", default_value_t = 60)]
    max_wait_secs: u64,
    /// Seconds between keep-alive comments on an idle event stream (keep it
    /// under your proxies' idle timeout).
    #[arg(long, env = "KILN_SSE_KEEPALIVE_SECS", value_name = "SECS", default_value_t = 15)]
    sse_keepalive_secs: u64,
    /// Requests per second each API key may make (bursts of twice that); 0 is unlimited.
    #[arg(long, env = "KILN_RATE_LIMIT", value_name = "PER_SEC", default_value_t = 0.0)]
    rate_limit: f64,
    /// Origins callback URLs may point at, comma-separated:
    /// `[scheme://]host[:port]`, https by default, `*.domain` for
    /// subdomains. Unset: webhooks are off.
    #[arg(long, env = "KILN_WEBHOOK_ALLOW", value_name = "ORIGINS", value_delimiter = ',')]
    webhook_allow: Vec<String>,
    /// Tries per webhook, the first included.
    #[arg(long, env = "KILN_WEBHOOK_MAX_ATTEMPTS", value_name = "N", default_value_t = 8)]
    webhook_max_attempts: i32,
    /// Seconds before the second webhook try; doubles each time, up to an hour.
    #[arg(long, env = "KILN_WEBHOOK_BACKOFF_SECS", value_name = "SECS", default_value_t = 5.0)]
    webhook_backoff_secs: f64,
    /// Key that signs download URLs for local storage
    /// [default: generated once into DATA_DIR/url-signing.key].
    #[arg(long, env = "KILN_URL_SIGNING_KEY", value_name = "SECRET", hide_env_values = true)]
    url_signing_key: Option<String>,
    /// Largest plugin component (.wasm) an administrator may upload, MiB.
    #[arg(long, env = "KILN_MAX_PLUGIN_MIB", value_name = "MIB", default_value_t = 64)]
    max_plugin_mib: u64,
    /// The previewer component, which renders files' first pages to PNG
    /// and SVG and workbooks to HTML [default: `previewer.wasm` beside the kiln executable, where
    /// scripts/build-plugins puts it; previews are off if it is missing].
    #[arg(long, env = "KILN_PREVIEWER", value_name = "WASM")]
    previewer: Option<PathBuf>,
    /// Make no previews: the preview endpoint answers 503 and artifacts
    /// list none.
    #[arg(long, env = "KILN_NO_PREVIEWS", conflicts_with = "previewer")]
    no_previews: bool,
    /// LibreOffice's `soffice`, which converts files other than PDF for
    /// page previews [default: `soffice` on the PATH, if there is one].
    #[arg(long, env = "KILN_SOFFICE", value_name = "PATH")]
    soffice: Option<PathBuf>,
    /// Create an organisation of this name and print a new API key for it
    /// on start (for trying kiln out).
    #[arg(long, env = "KILN_DEMO_KEY", value_name = "ORG")]
    demo_key: Option<String>,
    #[command(flatten)]
    pool: PoolArgs,
    #[command(flatten)]
    executor: ExecutorArgs,
    #[command(flatten)]
    storage: StorageArgs,
}

impl ServeArgs {
    /// Previews, unless no previewer is installed where none was asked for.
    async fn previews(
        &self,
        store: Arc<dyn kiln_queue::JobStore>,
        blobs: Arc<dyn kiln_storage::BlobStore>,
        runtime: Arc<kiln_runtime::Runtime>,
    ) -> anyhow::Result<Option<Arc<Previews>>> {
        if self.no_previews {
            return Ok(None);
        }
        let path = match &self.previewer {
            Some(path) => path.clone(),
            None => {
                let path = std::env::current_exe()?.with_file_name("previewer.wasm");
                if !path.is_file() {
                    tracing::warn!(previewer = %path.display(), "no previewer: previews are off (scripts/build-plugins builds it)");
                    return Ok(None);
                }
                path
            }
        };
        let soffice = self.soffice.clone().or_else(|| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join("soffice"))
                    .find(|path| path.is_file())
            })
        });
        if soffice.is_none() {
            tracing::warn!("no LibreOffice (soffice): only PDFs get page previews");
        }
        Ok(Some(Arc::new(Previews::load(runtime, store, blobs, &path, soffice).await?)))
    }
}

/// What `kiln serve` builds from its settings before it starts anything.
struct Parts {
    api: Arc<ApiState>,
    store: Arc<dyn kiln_queue::JobStore>,
    blobs: Arc<dyn kiln_storage::BlobStore>,
    runtime: Arc<kiln_runtime::Runtime>,
    registry: Arc<crate::registry::Registry>,
    links: Links,
    allow: AllowList,
    settings: kiln_executor::RunSettings,
    config: kiln_executor::WorkerConfig,
}

async fn parts(
    args: &ServeArgs,
    state: &StateArgs,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<Parts> {
    let data_dir = state.data_dir()?;
    let store = state.job_store().await?;
    let blobs = args.storage.blob_store(state).await?;
    let mut config = args.pool.config();
    let settings = args.pool.run_settings(&data_dir)?;
    let runtime = args.pool.runtime(cache_dir, config.concurrency)?;
    let registry = args.pool.registry(store.clone(), blobs.clone(), runtime.clone()).await?;
    let previews = args.previews(store.clone(), blobs.clone(), runtime.clone()).await?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.listen));
    let links = Links::new(&public_url, previews.is_some());
    let allow = AllowList::parse(&args.webhook_allow)?;

    let mut metrics = Registry::default();
    let run_metrics = Arc::new(RunMetrics::default());
    run_metrics.register(&mut metrics);
    config.metrics = run_metrics;

    let signing_key = match &args.url_signing_key {
        Some(key) => key.as_bytes().to_vec(),
        None => signing_key(&data_dir.join("url-signing.key"))?,
    };
    let api = Arc::new(ApiState {
        store: store.clone(),
        blobs: blobs.clone(),
        runtime: runtime.clone(),
        registry: registry.clone(),
        links: links.clone(),
        signer: api::signing::UrlSigner::new(signing_key),
        rate_limit: RateLimit::new(args.rate_limit),
        metrics: Arc::new(HttpMetrics::new(metrics)),
        previews,
        shutdown: CancellationToken::new(),
        settings: Settings {
            max_asset_bytes: args.pool.max_asset_bytes(),
            asset_ttl: Duration::from_secs(args.asset_ttl_hours.max(1) * 3600),
            max_wait: Duration::from_secs(args.max_wait_secs),
            webhooks: allow.clone(),
            keep_alive: Duration::from_secs(args.sse_keepalive_secs.max(1)),
            max_plugin_bytes: args.max_plugin_mib.saturating_mul(1 << 20),
            limits: settings.limits.clone(),
        },
    });
    Ok(Parts { api, store, blobs, runtime, registry, links, allow, settings, config })
}

/// The API's router over the state `args` configure, with nothing started
/// beside it.
pub(crate) async fn router(
    args: ServeArgs,
    state: &StateArgs,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<axum::Router> {
    Ok(api::router(parts(&args, state, cache_dir).await?.api))
}

pub(crate) async fn run(
    args: ServeArgs,
    state: &StateArgs,
    cache_dir: Option<PathBuf>,
) -> anyhow::Result<ExitCode> {
    let Parts {
        api: api_state,
        store,
        blobs,
        runtime,
        registry,
        links,
        allow,
        settings,
        mut config,
    } = parts(&args, state, cache_dir).await?;
    let public_url = args.public_url.clone().unwrap_or_else(|| format!("http://{}", args.listen));

    let listener = tokio::net::TcpListener::bind(args.listen).await.with_context(|| {
        format!("cannot listen on {}; is another server using it? (set --listen)", args.listen)
    })?;
    let shutdown = api_state.shutdown.clone();
    tokio::spawn(worker::stop_on_signal(shutdown.clone()));

    let background = CancellationToken::new();
    let webhook_config = WebhookConfig {
        allow,
        max_attempts: args.webhook_max_attempts.max(1),
        backoff: RetryPolicy {
            base: Duration::try_from_secs_f64(args.webhook_backoff_secs)
                .context("--webhook-backoff-secs must be positive")?,
            max: Duration::from_secs(3600),
        },
        timeout: Duration::from_secs(10),
    };
    let watch = tokio::spawn(registry.clone().watch(background.clone()));
    let previews =
        api_state.previews.clone().map(|previews| tokio::spawn(previews.run(background.clone())));
    let sender =
        tokio::spawn(webhooks::run(store.clone(), links, webhook_config, background.clone()));
    // The upkeep runs here with or without workers: an API-only server still
    // rescues the jobs of workers that died and deletes what has expired.
    let upkeep = tokio::spawn(maintenance::run(
        store.clone(),
        blobs.clone(),
        args.pool.maintenance()?,
        background.clone(),
    ));
    let pool = if args.no_workers {
        None
    } else {
        let (executor, what): (Arc<dyn Executor>, String) = match args.executor.executor {
            ExecutorKind::InProcess => {
                let runner = JobRunner::new(
                    store.clone(),
                    blobs.clone(),
                    runtime,
                    registry.active(),
                    settings,
                )?;
                (Arc::new(runner), "in this process".to_owned())
            }
            ExecutorKind::Kubernetes => {
                let executor =
                    args.executor.kubernetes(store.clone(), &settings, &mut config).await?;
                (executor, "in Kubernetes Jobs".to_owned())
            }
        };
        let (store, shutdown) = (store.clone(), shutdown.clone());
        Some(tokio::spawn(async move {
            worker::run_pool(store, blobs, executor, &what, config, shutdown).await
        }))
    };

    eprintln!(
        "kiln {} serving {public_url} ({})",
        env!("CARGO_PKG_VERSION"),
        registry.active().current().types().collect::<Vec<_>>().join(", ")
    );
    let demo_key = match &args.demo_key {
        Some(org) => {
            let label = Some("kiln serve --demo-key".into());
            let (_, secret) =
                crate::keys::create(store.as_ref(), org, KeyKind::Standard, label).await?;
            eprintln!("API key for organisation {org:?} (shown once): {secret}");
            secret
        }
        None => {
            eprintln!("create an API key with: kiln keys create --org <name>");
            "$KILN_KEY".to_owned()
        }
    };
    eprintln!(
        "try:\n  curl -s {public_url}/v1/plugins -H 'Authorization: Bearer {demo_key}'\n  \
         curl -s '{public_url}/v1/jobs?wait=10' -H 'Authorization: Bearer {demo_key}' -H 'Content-Type: application/json' \\\n    \
         -d '{{\"type\": \"xlsx\", \"session_id\": \"demo\", \"spec\": {{\"sheets\": [{{\"name\": \"Q1\", \"rows\": [[\"Region\", \"Sales\"], [\"North\", 1200]]}}]}}}}'\n  \
         API reference: {public_url}/openapi.json"
    );

    let app = api::router(api_state);
    let stopping = shutdown.clone();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stopping.cancelled().await })
        .await
        .context("the HTTP server failed")?;
    if let Some(pool) = pool {
        pool.await.context("the worker pool panicked")?;
    }
    background.cancel();
    let _ = tokio::join!(sender, upkeep, watch);
    if let Some(previews) = previews {
        let _ = previews.await;
    }
    Ok(ExitCode::SUCCESS)
}

/// The local URL-signing key: read, or made once (readable by the owner
/// only). It is written to a temporary file and linked into place, so a
/// server starting at the same moment reads a whole key, never half of one.
fn signing_key(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Ok(key) = std::fs::read(path) {
        return Ok(key);
    }
    use rand::RngExt;
    let key = hex::encode(rand::rng().random::<[u8; 32]>()).into_bytes();
    let context = || format!("cannot create the URL-signing key {}", path.display());
    let temp = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temp)
        .with_context(context)?;
    file.write_all(&key).and_then(|()| file.sync_all()).with_context(context)?;
    let linked = std::fs::hard_link(&temp, path);
    let _ = std::fs::remove_file(&temp);
    match linked {
        Ok(()) => Ok(key),
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            Ok(std::fs::read(path).with_context(context)?)
        }
        Err(err) => Err(err).with_context(context),
    }
}
