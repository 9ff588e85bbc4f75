//! The state of one run's store and the host functions the plugin imports.

use std::time::Duration;

use kiln_core::{Limit, LogSource, Progress};
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio_util::sync::CancellationToken;
use wasmtime::component::{Resource, ResourceTable};
use wasmtime::{Engine, Store, UpdateDeadline};
use wasmtime_wasi::clocks::{HostMonotonicClock, HostWallClock};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::kiln::generator::host::{self, HostOutputFile};
use crate::bindings::kiln::generator::types::{self, Level, OutputError};
use crate::limiter::Limiter;
use crate::log::JobLog;
use crate::output::{Output, OutputFileHandle, WriteError};
use crate::run::{Asset, Stop};
use crate::{EPOCH_TICK, Limits};

/// The largest chunk `read-asset` returns in one call.
const MAX_ASSET_READ: u32 = 1 << 20;

/// What the guest sees as the time: 2000-01-01T00:00:00Z, always, so that
/// documents stamped with "now" are still reproducible.
const FIXED_WALL_CLOCK: Duration = Duration::from_secs(946_684_800);

pub(crate) type ProgressFn = Box<dyn FnMut(Progress) + Send>;

pub(crate) struct Sandbox {
    wasi: WasiCtx,
    table: ResourceTable,
    pub(crate) limiter: Limiter,
    pub(crate) log: JobLog,
    /// `None` outside `generate`: `info` and `validate` may not write files.
    pub(crate) output: Option<Output>,
    assets: Vec<Asset>,
    on_progress: Option<ProgressFn>,
    cancel: CancellationToken,
    cpu_ticks_left: u64,
    /// Why the host stopped the guest, when it did so from a host call or an epoch tick.
    pub(crate) stopped: Option<Stop>,
    /// A host-side failure during the run (e.g. a full disk).
    pub(crate) host_error: Option<std::io::Error>,
}

/// Everything a run needs besides the plugin.
pub(crate) struct SandboxSetup<'a> {
    pub(crate) limits: &'a Limits,
    pub(crate) output: Option<Output>,
    pub(crate) assets: Vec<Asset>,
    pub(crate) on_progress: Option<ProgressFn>,
    pub(crate) cancel: CancellationToken,
    pub(crate) seed: u64,
}

impl Sandbox {
    pub(crate) fn store(engine: &Engine, setup: SandboxSetup<'_>) -> Store<Sandbox> {
        let limits = setup.limits;
        let log = JobLog::new(limits.log_bytes);
        // No preopened directories, environment, arguments or network: the
        // builder starts empty and only stdio, clocks and randomness are set.
        let wasi = WasiCtx::builder()
            .stdout(log.stdout())
            .stderr(log.stderr())
            .wall_clock(FixedClock)
            .monotonic_clock(FixedClock)
            .secure_random(StdRng::seed_from_u64(setup.seed))
            .insecure_random(StdRng::seed_from_u64(setup.seed.rotate_left(32)))
            .insecure_random_seed(u128::from(setup.seed))
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        let mut table = ResourceTable::new();
        table.set_max_capacity(usize::try_from(limits.resources).unwrap_or(usize::MAX));
        let ticks = limits.cpu_time.as_nanos().div_ceil(EPOCH_TICK.as_nanos());
        let sandbox = Sandbox {
            wasi,
            table,
            limiter: Limiter::new(limits),
            log,
            output: setup.output,
            assets: setup.assets,
            on_progress: setup.on_progress,
            cancel: setup.cancel,
            cpu_ticks_left: u64::try_from(ticks).unwrap_or(u64::MAX),
            stopped: None,
            host_error: None,
        };
        let cpu_limit =
            Limit::CpuTime(u64::try_from(limits.cpu_time.as_millis()).unwrap_or(u64::MAX));
        let mut store = Store::new(engine, sandbox);
        store.limiter(|sandbox| &mut sandbox.limiter);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut ctx| ctx.data_mut().on_tick(cpu_limit));
        store
    }

    /// Runs on every epoch tick that finds the guest executing.
    fn on_tick(&mut self, cpu_limit: Limit) -> wasmtime::Result<UpdateDeadline> {
        if self.cancel.is_cancelled() {
            return Err(self.stop(Stop::Canceled));
        }
        if let Some(limit) = self.log.exceeded() {
            return Err(self.stop(Stop::Limit(limit)));
        }
        self.cpu_ticks_left = self.cpu_ticks_left.saturating_sub(1);
        if self.cpu_ticks_left == 0 {
            return Err(self.stop(Stop::Limit(cpu_limit)));
        }
        // Yielding lets the executor run other tasks (and the wall-clock
        // timer) between slices of a long computation.
        Ok(UpdateDeadline::Yield(1))
    }

    /// Records why the run is ending and returns the trap that ends it.
    fn stop(&mut self, stop: Stop) -> wasmtime::Error {
        let err = wasmtime::format_err!("{stop}");
        self.stopped.get_or_insert(stop);
        err
    }

    pub(crate) fn resource_capacity(&self) -> u64 {
        self.table.max_capacity() as u64
    }

    fn output(&mut self) -> wasmtime::Result<&mut Output> {
        self.output.as_mut().ok_or_else(|| {
            wasmtime::format_err!("output files can only be written during `generate`")
        })
    }

    /// Maps an output failure to what the guest sees: an error value, or a trap.
    fn refuse<T>(&mut self, err: WriteError) -> wasmtime::Result<Result<T, OutputError>> {
        match err {
            WriteError::Refused(err) => Ok(Err(err)),
            WriteError::BytesQuota(max) => Err(self.stop(Stop::Limit(Limit::OutputBytes(max)))),
            WriteError::FilesQuota(max) => Err(self.stop(Stop::Limit(Limit::OutputFiles(max)))),
            WriteError::Io(err) => {
                let trap = wasmtime::format_err!("writing output failed: {err}");
                self.host_error = Some(err);
                Err(trap)
            }
        }
    }

    fn with_file(
        &mut self,
        file: &Resource<OutputFileHandle>,
        op: impl FnOnce(&mut Output, &OutputFileHandle) -> Result<(), WriteError>,
    ) -> wasmtime::Result<Result<(), OutputError>> {
        let handle = self.table.get(file)?;
        let output = self.output.as_mut().expect("handles exist only during generate");
        match op(output, handle) {
            Ok(()) => Ok(Ok(())),
            Err(err) => self.refuse(err),
        }
    }
}

impl WasiView for Sandbox {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl types::Host for Sandbox {}

impl host::Host for Sandbox {
    fn log(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let source = match level {
            Level::Trace => LogSource::Trace,
            Level::Debug => LogSource::Debug,
            Level::Info => LogSource::Info,
            Level::Warn => LogSource::Warn,
            Level::Error => LogSource::Error,
        };
        self.log.log(source, message).map_err(|limit| self.stop(Stop::Limit(limit)))
    }

    fn progress(&mut self, done: u64, total: u64, message: String) -> wasmtime::Result<()> {
        if let Some(on_progress) = self.on_progress.as_mut() {
            on_progress(Progress { done, total, message });
        }
        Ok(())
    }

    fn read_asset(
        &mut self,
        name: String,
        offset: u64,
        max_len: u32,
    ) -> wasmtime::Result<Option<Vec<u8>>> {
        let Some(asset) = self.assets.iter().find(|a| a.name == name) else {
            return Ok(None);
        };
        let start = usize::try_from(offset).unwrap_or(usize::MAX).min(asset.bytes.len());
        let len = max_len.min(MAX_ASSET_READ) as usize;
        let end = start.saturating_add(len).min(asset.bytes.len());
        Ok(Some(asset.bytes[start..end].to_vec()))
    }

    fn create_file(
        &mut self,
        path: String,
        media_type: String,
    ) -> wasmtime::Result<Result<Resource<OutputFileHandle>, OutputError>> {
        let handle = match self.output()?.create(&path, &media_type) {
            Ok(handle) => handle,
            Err(err) => return self.refuse(err),
        };
        match self.table.push(handle) {
            Ok(resource) => Ok(Ok(resource)),
            Err(_) => {
                let capacity = self.table.max_capacity() as u64;
                Err(self.stop(Stop::Limit(Limit::Resources(capacity))))
            }
        }
    }
}

impl HostOutputFile for Sandbox {
    fn write(
        &mut self,
        file: Resource<OutputFileHandle>,
        chunk: Vec<u8>,
    ) -> wasmtime::Result<Result<(), OutputError>> {
        self.with_file(&file, |output, handle| output.write(handle, &chunk))
    }

    fn finish(
        &mut self,
        file: Resource<OutputFileHandle>,
    ) -> wasmtime::Result<Result<(), OutputError>> {
        self.with_file(&file, |output, handle| output.finish(handle))
    }

    fn drop(&mut self, file: Resource<OutputFileHandle>) -> wasmtime::Result<()> {
        // An unfinished file stays unfinished; the run fails when `generate` returns.
        self.table.delete(file)?;
        Ok(())
    }
}

/// The guest's wall and monotonic clocks: fixed, so runs are reproducible.
struct FixedClock;

impl HostWallClock for FixedClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        FIXED_WALL_CLOCK
    }
}

impl HostMonotonicClock for FixedClock {
    fn resolution(&self) -> u64 {
        1_000_000_000
    }
    fn now(&self) -> u64 {
        0
    }
}
