//! The one wasmtime engine a process shares, and the thread that ticks its epoch.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use wasmtime::{Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use crate::{Error, Limits, Result};

/// How often the engine's epoch advances. CPU-time limits and cancellation
/// take effect within about one tick; a shorter tick costs a thread wake-up
/// more often and interrupts running guests more often.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Engine-wide settings, fixed for the life of a [`Runtime`](crate::Runtime).
#[derive(Debug, Clone)]
pub struct RuntimeConfig {
    /// Where compiled components are cached, keyed by the engine's
    /// compatibility hash and the component's sha256. `None` compiles on
    /// every load (a large plugin takes seconds).
    pub cache_dir: Option<PathBuf>,
    /// Runs that can be in flight at once. The pooling allocator reserves
    /// this many instance slots up front (virtual address space only, about
    /// `2 × max_memory` each). A run beyond it waits for a slot to free up:
    /// host capacity is never a verdict on the plugin. Size it to the
    /// worker's concurrency plus room for `validate` calls on the request
    /// path. Default 64.
    pub max_concurrent_runs: u32,
    /// The largest linear memory any one memory of any run may have; the
    /// ceiling for [`Limits::memory_bytes`](crate::Limits::memory_bytes).
    /// Default 4 GiB (the whole 32-bit space).
    pub max_memory: u64,
    /// The ceiling for [`Limits::table_elements`](crate::Limits::table_elements).
    /// Pooled tables are sized to it. Default 100,000.
    pub max_table_elements: u64,
    /// Limits for `validate`, which runs on the request path before a job
    /// is queued. Default [`Limits::validation`]: 64 MiB, 1 s of CPU, 5 s
    /// in all. A validation that hits one is reported as such, never as a
    /// verdict on the spec.
    pub validate_limits: Limits,
}

impl Default for RuntimeConfig {
    fn default() -> Self {
        Self {
            cache_dir: None,
            max_concurrent_runs: 64,
            max_memory: 4 << 30,
            max_table_elements: 100_000,
            validate_limits: Limits::validation(),
        }
    }
}

pub(crate) fn new_engine(config: &RuntimeConfig) -> Result<Engine> {
    // Rust components have one memory and a few tables (the main module's
    // plus the shims wit-component adds); leave room for other toolchains.
    const MEMORIES_PER_RUN: u32 = 2;
    const TABLES_PER_RUN: u32 = 8;
    const CORE_INSTANCES_PER_RUN: u32 = 16;
    // A freed slot keeps up to this much of its memory resident, reset in
    // place, so the next run does not fault it in again. It bounds the
    // pool's idle footprint at `max_concurrent_runs × KEEP_RESIDENT` (1 GiB
    // at the default 64 slots), reached only after that many runs at once.
    const KEEP_RESIDENT: usize = 16 << 20;
    const KEEP_RESIDENT_TABLE: usize = 64 << 10;

    let slots = config.max_concurrent_runs;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(slots)
        .total_core_instances(slots * CORE_INSTANCES_PER_RUN)
        .total_memories(slots * MEMORIES_PER_RUN)
        .total_tables(slots * TABLES_PER_RUN)
        .total_stacks(slots)
        .max_memories_per_component(MEMORIES_PER_RUN)
        .max_tables_per_component(TABLES_PER_RUN)
        .max_memory_size(usize::try_from(config.max_memory).unwrap_or(usize::MAX))
        .table_elements(usize::try_from(config.max_table_elements).unwrap_or(usize::MAX))
        .linear_memory_keep_resident(KEEP_RESIDENT)
        .table_keep_resident(KEEP_RESIDENT_TABLE)
        // Reset only the pages a run touched (Linux 6.7+; ignored where the
        // kernel lacks the ioctl), instead of memset over all of them.
        .pagemap_scan(Enabled::Auto);

    let mut wasm = Config::new();
    // No compiler inlining: it made plugins 5-20% faster but compiling 3.5×
    // slower, with 14× the peak memory (pdf: 2.6 s and 0.25 GB became 9 s
    // and 3.6 GB), on every node's first load of every plugin.
    wasm.epoch_interruption(true)
        .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
        .wasm_component_model(true);
    Engine::new(&wasm).map_err(|err| Error::Engine(format!("{err:#}")))
}

/// Advances the engine's epoch every [`EPOCH_TICK`] until dropped.
pub(crate) struct EpochTicker {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl EpochTicker {
    pub(crate) fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let engine = engine.clone();
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("kiln-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    engine.increment_epoch();
                }
            })
            .expect("spawning the epoch thread");
        Self { stop, thread: Some(thread) }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
