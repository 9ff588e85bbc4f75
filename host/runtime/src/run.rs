//! Loading plugins and running them: one execution path for `info`,
//! `validate` and `generate`, and the classification of how a run ended.

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use kiln_core::{Limit, PluginInfo, Progress, UsageReport, Violation};
use sha2::{Digest, Sha256};
use tokio_util::sync::CancellationToken;
use wasmtime::component::{Linker, ResourceTableError};
use wasmtime::{Engine, Store};

use crate::bindings::kiln::generator::types;
use crate::bindings::{Generator, GeneratorPre};
use crate::cache::{self, CacheStatus, CompileCache};
use crate::engine::{EpochTicker, RuntimeConfig, new_engine};
use crate::output::{Output, OutputFile};
use crate::sandbox::{Sandbox, SandboxSetup};
use crate::spec::{self, SpecSchema};
use crate::{Error, Limits, Result, contract};
use kiln_core::LogEntry;

/// The sandbox host: one engine, one linker, one compile cache.
pub struct Runtime {
    engine: Engine,
    linker: Linker<Sandbox>,
    cache: Option<Arc<CompileCache>>,
    config: RuntimeConfig,
    /// One permit per pooled instance slot: a run waits here rather than
    /// fail to instantiate when all are taken.
    slots: Arc<tokio::sync::Semaphore>,
    _ticker: EpochTicker,
}

/// A loaded plugin, ready to instantiate in microseconds.
pub struct Plugin {
    pre: GeneratorPre<Sandbox>,
    info: PluginInfo,
    schema: Arc<SpecSchema>,
    sha256: String,
    cache_status: CacheStatus,
    load_time: Duration,
}

impl Plugin {
    pub fn info(&self) -> &PluginInfo {
        &self.info
    }
    /// Hex sha256 of the component's bytes.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }
    /// Whether loading compiled the component or found it in the cache.
    pub fn cache_status(&self) -> CacheStatus {
        self.cache_status
    }
    /// Time to compile (or load from cache), check and describe the plugin.
    pub fn load_time(&self) -> Duration {
        self.load_time
    }
    /// The compiled code, for [`Runtime::load_compiled`] on an engine with
    /// the same [`Runtime::engine_key`].
    pub fn compiled(&self) -> Result<Vec<u8>> {
        self.pre
            .instance_pre()
            .component()
            .serialize()
            .map_err(|err| Error::Compile(format!("cannot serialize the compiled code: {err:#}")))
    }
}

/// A named input asset a job provides.
#[derive(Debug, Clone)]
pub struct Asset {
    pub name: String,
    pub media_type: String,
    pub bytes: Bytes,
}

/// One generation: the spec, its inputs, where files go, and how it is bounded.
pub struct GenerateRequest {
    /// The spec, as JSON text. Check it with [`Runtime::check_spec`] first.
    pub spec: String,
    pub assets: Vec<Asset>,
    /// An existing directory the files are written into. Treat it as
    /// staging: only a [`Outcome::Succeeded`] run leaves a complete artifact.
    pub out_dir: PathBuf,
    pub limits: Limits,
    /// Cancelling ends the run within one epoch tick, or at once if the
    /// guest is blocked in a host call.
    pub cancel: CancellationToken,
    /// Called on the run's thread for every `progress` call; must be quick.
    pub on_progress: Option<Box<dyn FnMut(Progress) + Send>>,
    /// Seeds the guest's random sources. By default derived from the spec and
    /// assets, so the same request gives the same bytes.
    pub seed: Option<u64>,
}

impl GenerateRequest {
    pub fn new(spec: impl Into<String>, out_dir: impl Into<PathBuf>) -> Self {
        Self {
            spec: spec.into(),
            assets: Vec::new(),
            out_dir: out_dir.into(),
            limits: Limits::default(),
            cancel: CancellationToken::new(),
            on_progress: None,
            seed: None,
        }
    }

    fn default_seed(&self) -> u64 {
        let mut hash = Sha256::new();
        hash.update(self.spec.as_bytes());
        for asset in &self.assets {
            hash.update(asset.name.as_bytes());
            hash.update(&asset.bytes);
        }
        u64::from_le_bytes(hash.finalize()[..8].try_into().expect("8 bytes"))
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The plugin did what was asked (for `generate`: it wrote its files).
    Succeeded,
    /// The plugin said no. Final: the same input gets the same answer.
    Refused(PluginError),
    /// The sandbox stopped the plugin. Final as well.
    Stopped(Stop),
}

/// The plugin's own refusal.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PluginError {
    #[error("invalid spec: {}", list(.0))]
    InvalidSpec(Vec<Violation>),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("generation failed: {0}")]
    Failed(String),
}

/// Why the sandbox stopped a plugin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Stop {
    #[error("limit exceeded: {0}")]
    Limit(Limit),
    #[error("the plugin crashed: {0}")]
    Trap(String),
    #[error("canceled")]
    Canceled,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Succeeded => f.write_str("succeeded"),
            Outcome::Refused(err) => err.fmt(f),
            Outcome::Stopped(stop) => stop.fmt(f),
        }
    }
}

fn list(violations: &[Violation]) -> String {
    violations.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// Everything a `generate` run produced.
#[derive(Debug)]
pub struct RunReport {
    pub outcome: Outcome,
    pub usage: UsageReport,
    pub log: Vec<LogEntry>,
    /// The finished files, in creation order; meaningful only on success.
    pub files: Vec<OutputFile>,
}

enum Call {
    Info,
    Validate(String),
    Generate(types::Request),
}

enum Answer {
    Info(types::PluginInfo),
    Violations(Vec<types::Violation>),
    Generated(Result<(), types::GenerateError>),
}

/// A finished execution, before classification.
struct Execution {
    store: Store<Sandbox>,
    result: Result<Answer, Interrupted>,
    instantiate: Duration,
    cpu: Duration,
    wall_clock: Duration,
}

enum Interrupted {
    Trap(wasmtime::Error),
    WallClock,
    Canceled,
}

impl Runtime {
    pub fn new(config: RuntimeConfig) -> Result<Self> {
        let engine = new_engine(&config)?;
        let mut linker = Linker::new(&engine);
        let engine_err = |err: wasmtime::Error| Error::Engine(format!("{err:#}"));
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(engine_err)?;
        Generator::add_to_linker::<_, wasmtime::component::HasSelf<Sandbox>>(&mut linker, |s| s)
            .map_err(engine_err)?;
        let cache = match &config.cache_dir {
            Some(dir) => Some(Arc::new(CompileCache::open(dir, &engine)?)),
            None => None,
        };
        let ticker = EpochTicker::start(&engine);
        let slots = Arc::new(tokio::sync::Semaphore::new(config.max_concurrent_runs as usize));
        Ok(Self { engine, linker, cache, config, slots, _ticker: ticker })
    }

    /// Compiles (or loads from the cache) a component, checks it speaks the
    /// contract, and asks it to describe itself under default limits.
    pub async fn load(&self, wasm: &[u8]) -> Result<Plugin> {
        let started = Instant::now();
        contract::check_binary(wasm)?;
        let sha256 = hex::encode(Sha256::digest(wasm));
        // Compiling takes seconds of CPU: keep it off the async worker threads.
        let (engine, cache, bytes, sha) =
            (self.engine.clone(), self.cache.clone(), wasm.to_vec(), sha256.clone());
        let (component, cache_status) = tokio::task::spawn_blocking(move || match cache {
            Some(cache) => cache.load(&engine, &bytes, &sha),
            None => cache::compile(&engine, &bytes).map(|c| (c, CacheStatus::Uncached)),
        })
        .await
        .map_err(|err| Error::Host(err.to_string()))??;
        self.describe(component, sha256, cache_status, started).await
    }

    /// Loads a component from code [`Plugin::compiled`] produced for this
    /// engine, without compiling: `compiled` must be bytes kiln itself wrote
    /// (the caller checks them against a recorded hash), as deserializing
    /// runs them as native code.
    pub async fn load_compiled(&self, wasm: &[u8], compiled: &[u8]) -> Result<Plugin> {
        let started = Instant::now();
        contract::check_binary(wasm)?;
        let sha256 = hex::encode(Sha256::digest(wasm));
        // SAFETY: the caller vouches that `compiled` came from
        // `Component::serialize` (see above); wasmtime checks it was made
        // for this engine's configuration.
        #[allow(unsafe_code)]
        let component =
            unsafe { wasmtime::component::Component::deserialize(&self.engine, compiled) }
                .map_err(|err| {
                    Error::Compile(format!("the compiled code does not load: {err:#}"))
                })?;
        self.describe(component, sha256, CacheStatus::Hit, started).await
    }

    /// A stable text key for this engine's compatibility: compiled code is
    /// shared only between engines with the same key.
    pub fn engine_key(&self) -> String {
        cache::engine_key(&self.engine)
    }

    /// Checks a compiled component speaks the contract and asks it to
    /// describe itself under default limits.
    async fn describe(
        &self,
        component: wasmtime::component::Component,
        sha256: String,
        cache_status: CacheStatus,
        started: Instant,
    ) -> Result<Plugin> {
        contract::check(&self.engine, &component)?;
        let pre = self
            .linker
            .instantiate_pre(&component)
            .and_then(GeneratorPre::new)
            .map_err(|err| Error::Contract(format!("{err:#}")))?;

        let limits = Limits::default();
        let exec = self
            .execute(&pre, self.setup(&limits, None, 0), &CancellationToken::new(), Call::Info)
            .await;
        let info = match self.classify(exec)? {
            (Ok(Answer::Info(info)), _) => info,
            (Err(outcome), _) => {
                return Err(Error::Load(format!("`info` did not return: {outcome}")));
            }
            (Ok(_), _) => unreachable!("info answers info"),
        };
        let info = crate::info::bounded_info(info)
            .map_err(|err| Error::Load(format!("the plugin is refused: {err}")))?;
        let schema = Arc::new(SpecSchema::compile(&info.spec_schema).map_err(Error::Load)?);
        Ok(Plugin { pre, info, schema, sha256, cache_status, load_time: started.elapsed() })
    }

    /// The limits `validate` runs under.
    pub fn validate_limits(&self) -> &Limits {
        &self.config.validate_limits
    }

    /// Reads and loads a component file.
    pub async fn load_file(&self, path: &Path) -> Result<Plugin> {
        let wasm = tokio::fs::read(path)
            .await
            .map_err(|err| Error::Load(format!("cannot read {}: {err}", path.display())))?;
        self.load(&wasm).await
    }

    /// Checks a spec: JSON syntax, then the plugin's schema, then its
    /// `validate` export (under [`RuntimeConfig::validate_limits`]), which
    /// runs even when the schema found faults, so one answer lists them
    /// all. [`Outcome::Refused`] with [`PluginError::InvalidSpec`] lists
    /// every violation found; [`Outcome::Stopped`] says the plugin's
    /// validation hit a limit or crashed.
    pub async fn check_spec(&self, plugin: &Plugin, spec: &str) -> Result<Outcome> {
        // The host's checks run on another thread beside the plugin's
        // `validate`: this is the request path, and the two are independent.
        let schema = plugin.schema.clone();
        let text = spec.to_owned();
        let host_checks = tokio::task::spawn_blocking(move || {
            spec::parse(&text).map(|value| schema.check(&value))
        });
        let plugin_outcome = self.validate(plugin, spec).await;
        let schema_violations = match host_checks.await {
            Ok(Ok(violations)) => violations,
            Ok(Err(violation)) => {
                return Ok(Outcome::Refused(PluginError::InvalidSpec(vec![violation])));
            }
            Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
            Err(err) => return Err(Error::Host(format!("the spec check did not finish: {err}"))),
        };
        let plugin_violations = match plugin_outcome? {
            Outcome::Refused(PluginError::InvalidSpec(violations)) => violations,
            Outcome::Succeeded => Vec::new(),
            // Garbage the schema refused may well be what stopped it.
            _ if !schema_violations.is_empty() => Vec::new(),
            other => return Ok(other),
        };
        Ok(verdict(spec::merge([schema_violations, plugin_violations])))
    }

    /// Only the plugin's own `validate` export, without the host's JSON and
    /// schema checks: what a plugin answers on input the schema would have
    /// refused. [`Outcome::Stopped`] if it crashed or hit a limit.
    pub async fn validate(&self, plugin: &Plugin, spec: &str) -> Result<Outcome> {
        let setup = self.setup(&self.config.validate_limits, None, 0);
        let exec = self
            .execute(&plugin.pre, setup, &CancellationToken::new(), Call::Validate(spec.to_owned()))
            .await;
        Ok(match self.classify(exec)?.0 {
            Ok(Answer::Violations(v)) => verdict(violations_from(v)),
            Ok(_) => unreachable!("validate answers violations"),
            Err(outcome) => outcome,
        })
    }

    /// Runs `generate`. `Err` only for host failures; every verdict about
    /// the plugin or its input is in [`RunReport::outcome`].
    pub async fn generate(&self, plugin: &Plugin, request: GenerateRequest) -> Result<RunReport> {
        let seed = request.seed.unwrap_or_else(|| request.default_seed());
        let limits = &request.limits;
        if limits.memory_bytes > self.config.max_memory
            || limits.table_elements > self.config.max_table_elements
        {
            return Err(Error::LimitCeiling(format!(
                "memory {} (ceiling {}), table elements {} (ceiling {})",
                limits.memory_bytes,
                self.config.max_memory,
                limits.table_elements,
                self.config.max_table_elements
            )));
        }
        let wit_request = types::Request {
            spec: request.spec.clone(),
            assets: request
                .assets
                .iter()
                .map(|a| types::AssetInfo {
                    name: a.name.clone(),
                    media_type: a.media_type.clone(),
                    size: a.bytes.len() as u64,
                })
                .collect(),
        };
        let output = Output::new(&request.out_dir, limits.output_bytes, limits.output_files);
        let mut setup = self.setup(limits, Some(output), seed);
        setup.assets = request.assets;
        setup.on_progress = request.on_progress;
        setup.cancel = request.cancel.clone();

        let started = Instant::now();
        let exec =
            self.execute(&plugin.pre, setup, &request.cancel, Call::Generate(wit_request)).await;
        let (instantiate, cpu) = (exec.instantiate, exec.cpu);
        let (result, sandbox) = self.classify(exec)?;
        let peak_memory_bytes = sandbox.limiter.peak_memory();
        let log = sandbox.log.take();
        let log_bytes = sandbox.log.bytes();
        let output = sandbox.output.expect("generate has output");
        let mut outcome = match result {
            Ok(Answer::Generated(Ok(()))) => Outcome::Succeeded,
            Ok(Answer::Generated(Err(err))) => Outcome::Refused(plugin_error(err)),
            Ok(_) => unreachable!("generate answers generated"),
            Err(outcome) => outcome,
        };
        if outcome == Outcome::Succeeded {
            let unfinished = output.unfinished();
            if !unfinished.is_empty() {
                outcome = Outcome::Refused(PluginError::Failed(format!(
                    "the plugin returned without finishing {}",
                    unfinished.iter().map(|p| format!("`{p}`")).collect::<Vec<_>>().join(", ")
                )));
            } else if output.finished_count() == 0 {
                outcome = Outcome::Refused(PluginError::Failed(
                    "the plugin returned without writing a file".into(),
                ));
            }
        }
        let usage = UsageReport {
            wall_time_us: micros(started.elapsed()),
            cpu_time_us: micros(cpu),
            instantiate_us: micros(instantiate),
            peak_memory_bytes,
            output_bytes: output.bytes(),
            files: output.finished_count(),
            log_bytes,
        };
        Ok(RunReport { outcome, usage, log, files: output.into_files() })
    }

    fn setup<'a>(&self, limits: &'a Limits, output: Option<Output>, seed: u64) -> SandboxSetup<'a> {
        SandboxSetup {
            limits,
            output,
            assets: Vec::new(),
            on_progress: None,
            cancel: CancellationToken::new(),
            seed,
        }
    }

    /// Instantiates and calls the plugin once, under the setup's limits.
    async fn execute(
        &self,
        pre: &GeneratorPre<Sandbox>,
        setup: SandboxSetup<'_>,
        cancel: &CancellationToken,
        call: Call,
    ) -> Execution {
        assert!(
            Engine::same(pre.engine(), &self.engine),
            "a Plugin must be run by the Runtime that loaded it"
        );
        let wall_clock = setup.limits.wall_clock;
        // Waiting for a slot is not the plugin's time: the clocks start after.
        let _slot = self.slots.acquire().await.expect("the slot semaphore is never closed");
        let mut store = Sandbox::store(&self.engine, setup);
        let mut instantiate = Duration::ZERO;
        let mut cpu = Duration::ZERO;
        let result = {
            let work = async {
                let started = Instant::now();
                let generator = pre.instantiate_async(&mut store).await?;
                instantiate = started.elapsed();
                let plugin = generator.kiln_generator_plugin();
                Ok(match call {
                    Call::Info => Answer::Info(plugin.call_info(&mut store).await?),
                    Call::Validate(spec) => {
                        Answer::Violations(plugin.call_validate(&mut store, &spec).await?)
                    }
                    Call::Generate(request) => {
                        Answer::Generated(plugin.call_generate(&mut store, &request).await?)
                    }
                })
            };
            tokio::select! {
                result = CpuTimed { inner: Box::pin(work), total: &mut cpu } => result.map_err(Interrupted::Trap),
                () = tokio::time::sleep(wall_clock) => Err(Interrupted::WallClock),
                () = cancel.cancelled() => Err(Interrupted::Canceled),
            }
        };
        Execution { store, result, instantiate, cpu, wall_clock }
    }

    /// Tells apart the plugin's answer, a sandbox stop and a host failure.
    /// Returns the store's state for the caller to read usage from.
    fn classify(&self, exec: Execution) -> Result<(Result<Answer, Outcome>, Sandbox)> {
        let mut sandbox = exec.store.into_data();
        if let Some(err) = sandbox.host_error.take() {
            return Err(Error::Output(err));
        }
        let stopped = sandbox
            .stopped
            .clone()
            .or_else(|| sandbox.limiter.hit.map(Stop::Limit))
            .or_else(|| sandbox.log.exceeded().map(Stop::Limit));
        let result = match (stopped, exec.result) {
            (Some(stop), _) => Err(Outcome::Stopped(stop)),
            (None, Ok(answer)) => Ok(answer),
            (None, Err(Interrupted::WallClock)) => {
                let ms = u64::try_from(exec.wall_clock.as_millis()).unwrap_or(u64::MAX);
                Err(Outcome::Stopped(Stop::Limit(Limit::WallClock(ms))))
            }
            (None, Err(Interrupted::Canceled)) => Err(Outcome::Stopped(Stop::Canceled)),
            (None, Err(Interrupted::Trap(err))) if is_host_capacity(&err) => {
                return Err(Error::Host(format!("no instance slot was free: {err:#}")));
            }
            (None, Err(Interrupted::Trap(err))) => Err(Outcome::Stopped(trap_stop(&err, &sandbox))),
        };
        Ok((result, sandbox))
    }
}

/// The pooling allocator ran out of something the host sized (slots,
/// memories, stacks): the host's shortfall, worth retrying.
fn is_host_capacity(err: &wasmtime::Error) -> bool {
    err.chain().any(|cause| cause.to_string().contains("maximum concurrent"))
}

/// Names the limit behind a trap raised outside kiln's own checks (WASI's
/// resource table, wasmtime's instance count), or describes the crash.
fn trap_stop(err: &wasmtime::Error, sandbox: &Sandbox) -> Stop {
    if err.chain().any(|cause| {
        cause
            .downcast_ref::<ResourceTableError>()
            .is_some_and(|e| matches!(e, ResourceTableError::Full))
    }) {
        return Stop::Limit(Limit::Resources(sandbox.resource_capacity()));
    }
    if err.chain().any(|cause| cause.to_string().contains("instance count too high")) {
        return Stop::Limit(Limit::Instances(sandbox.limiter.instance_limit));
    }
    let message = match err.downcast_ref::<wasmtime::Trap>() {
        Some(wasmtime::Trap::UnreachableCodeReached) => {
            "it executed `unreachable` (a Rust panic or abort); its stderr in the log says why"
                .to_owned()
        }
        Some(trap) => trap.to_string(),
        None => err.root_cause().to_string(),
    };
    Stop::Trap(message)
}

fn plugin_error(err: types::GenerateError) -> PluginError {
    match err {
        types::GenerateError::InvalidSpec(v) => PluginError::InvalidSpec(violations_from(v)),
        types::GenerateError::Unsupported(msg) => {
            PluginError::Unsupported(bounded(msg, MAX_MESSAGE))
        }
        types::GenerateError::Failed(msg) => PluginError::Failed(bounded(msg, MAX_MESSAGE)),
    }
}

/// A guest's violations, bounded before anything stores or sends them: at
/// most [`spec::MAX_VIOLATIONS`], each pointer and message cut to a size a
/// person can read.
fn verdict(violations: Vec<Violation>) -> Outcome {
    if violations.is_empty() {
        Outcome::Succeeded
    } else {
        Outcome::Refused(PluginError::InvalidSpec(violations))
    }
}

fn violations_from(violations: Vec<types::Violation>) -> Vec<Violation> {
    let total = violations.len();
    let mut out: Vec<Violation> = violations
        .into_iter()
        .take(spec::MAX_VIOLATIONS)
        .map(|v| Violation {
            pointer: bounded(v.pointer, MAX_POINTER),
            message: bounded(v.message, MAX_MESSAGE),
        })
        .collect();
    if total > out.len() {
        out.push(Violation::new(
            "",
            format!("... and {} more violations the plugin reported", total - out.len()),
        ));
    }
    out
}

/// The longest violation message kept from a guest, in bytes.
const MAX_MESSAGE: usize = 2 << 10;
/// The longest pointer kept from a guest, in bytes.
const MAX_POINTER: usize = 1 << 10;

/// `text` cut to at most `max` bytes (on a character boundary), with a
/// marker saying how much was cut.
pub(crate) fn bounded(text: String, max: usize) -> String {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [{} more bytes cut]", &text[..end], text.len() - end)
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Adds up the CPU time of the threads that poll a future: the guest runs on
/// a fiber inside `poll`, so this is its CPU time plus host calls.
struct CpuTimed<'a, F> {
    inner: Pin<Box<F>>,
    total: &'a mut Duration,
}

impl<F: Future> Future for CpuTimed<'_, F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let start = thread_cpu_time();
        let poll = self.inner.as_mut().poll(cx);
        *self.total += thread_cpu_time().saturating_sub(start);
        poll
    }
}

fn thread_cpu_time() -> Duration {
    let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}
