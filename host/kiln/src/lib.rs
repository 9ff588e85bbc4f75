//! kiln as a library: the `kiln` command line ([`main`]) and, for tests
//! that need no socket, the HTTP API `kiln serve` serves ([`api_router`]).

mod api;
mod config;
mod executor;
mod jobs;
mod keys;
mod limited;
mod plugin;
mod preview;
mod registry;
mod run_job;
mod serve;
mod store;
mod webhooks;
mod worker;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// Threads for blocking work: file writes and their fsyncs, spec schema
/// checks. With tokio's default (512) a busy server starts a thread for
/// nearly every job in flight (222 under the memory bench's 200 clients);
/// beyond a few dozen they only queue for the cores and the disk.
const BLOCKING_THREADS: usize = 32;

/// kiln turns artifact requests (an artifact type and a JSON spec) into files
/// by running generator plugins (WebAssembly components) in a sandbox.
#[derive(Parser)]
#[command(name = "kiln", version, about, long_about = None)]
struct Cli {
    /// A TOML file of settings: the KILN_* names below without the prefix,
    /// in lower case (e.g. `database_url = "..."`). The environment and
    /// flags override it.
    #[arg(long, global = true, env = "KILN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Directory for compiled plugins, so later loads skip compilation
    /// [default: $XDG_CACHE_HOME/kiln or ~/.cache/kiln].
    #[arg(long, global = true, env = "KILN_CACHE_DIR", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    #[command(flatten)]
    state: store::StateArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the HTTP API, running jobs in-process (SQLite, local files and
    /// the built-in plugins unless configured otherwise).
    Serve(Box<serve::ServeArgs>),
    /// Start, check and run generator plugins; install them on a running kiln.
    #[command(subcommand)]
    Plugin(plugin::Command),
    /// Run queued jobs until SIGTERM or Ctrl-C, in this process or each in
    /// a Kubernetes pod (--executor).
    Worker(Box<worker::WorkerCommand>),
    /// Run one job in this process and exit: 0 when it succeeded, 65 when
    /// it failed or was canceled for good, 75 when it is not finished (it
    /// went back to the queue for a retry, is held elsewhere, or the
    /// database or storage is unreachable).
    RunJob(run_job::RunJobArgs),
    /// Submit, list, show and cancel jobs in the configured database.
    #[command(subcommand)]
    Jobs(jobs::Command),
    /// Create API keys for the HTTP API.
    #[command(subcommand)]
    Keys(keys::Command),
    /// Apply database migrations (workers apply them on start unless --no-migrate).
    Migrate,
}

/// Runs the `kiln` command line on this process's arguments.
pub fn main() -> ExitCode {
    // KILN_LOG filters (e.g. `info`, `kiln_executor=debug`); KILN_LOG_FORMAT=json
    // writes one JSON object per line, for log collectors.
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("KILN_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr);
    if std::env::var("KILN_LOG_FORMAT").is_ok_and(|format| format == "json") {
        logs.json().init();
    } else {
        logs.init();
    }
    let args: Vec<_> = std::env::args_os().collect();
    let cli = match config::apply(Cli::command(), &args) {
        Ok(command) => {
            Cli::from_arg_matches(&command.get_matches_from(&args)).unwrap_or_else(|err| err.exit())
        }
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    // Webhook deliveries use rustls with ring, the provider the S3 client builds too.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .max_blocking_threads(BLOCKING_THREADS)
        .build()
        .expect("starting tokio");
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve(args) => serve::run(*args, &cli.state, cache_dir(cli.cache_dir)).await,
            Command::Plugin(command) => plugin::run(command, cache_dir(cli.cache_dir)).await,
            Command::Worker(args) => worker::run(*args, &cli.state, cache_dir(cli.cache_dir)).await,
            Command::RunJob(args) => run_job::run(args, &cli.state, cache_dir(cli.cache_dir)).await,
            Command::Jobs(command) => jobs::run(command, &cli.state).await,
            Command::Keys(command) => keys::run(command, &cli.state).await,
            Command::Migrate => cli.state.migrate().await.map(|()| ExitCode::SUCCESS),
        }
    });
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The router `kiln serve ARGS` would serve, over the state those
/// arguments configure, without a socket, workers or background services:
/// tests send it requests with `tower::ServiceExt::oneshot`, as axum's own
/// examples do. `args` are what follows `kiln serve`.
pub async fn api_router(args: &[&str]) -> anyhow::Result<axum::Router> {
    let argv = ["kiln", "serve"].iter().chain(args);
    let cli = Cli::try_parse_from(argv)?;
    let Command::Serve(serve) = cli.command else { unreachable!("parsed as kiln serve") };
    serve::router(*serve, &cli.state, cache_dir(cli.cache_dir)).await
}

fn cache_dir(given: Option<PathBuf>) -> Option<PathBuf> {
    given.or_else(|| {
        let base = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cache")))?;
        Some(base.join("kiln"))
    })
}
