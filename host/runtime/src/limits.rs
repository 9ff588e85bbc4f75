use std::time::Duration;

/// Per-run sandbox limits. Every run, including the `info` and `validate`
/// calls made at load and before queueing, runs under one of these.
///
/// Hitting any limit ends the run with [`Stop::Limit`](crate::Stop::Limit)
/// naming it, e.g. `limit exceeded: memory (256 MiB)`. The host is never
/// affected: the guest traps, its store is dropped and its pooled slot reused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Linear memory, summed over the plugin's memories. Default 256 MiB.
    ///
    /// Checked when the guest grows a memory (and at instantiation for the
    /// initial size), so it costs nothing in between. A grow past the limit
    /// traps instead of returning -1, so a guest cannot carry on in a
    /// half-allocated state. Must not exceed [`RuntimeConfig::max_memory`].
    ///
    /// [`RuntimeConfig::max_memory`]: crate::RuntimeConfig::max_memory
    pub memory_bytes: u64,
    /// Time spent executing guest code. Default 10 s.
    ///
    /// Counted in epoch ticks that find the guest running, so time the OS
    /// gives other threads while the guest is scheduled out counts too: on
    /// a saturated machine this is closer to "wall time inside the guest".
    ///
    /// Enforced with epoch interruption: a host thread ticks every
    /// [`EPOCH_TICK`](crate::EPOCH_TICK) (10 ms), and each tick that finds
    /// the guest running counts against this budget, so it is accurate to
    /// about one tick. Time the guest spends blocked in a host call (e.g. a
    /// WASI sleep) does not count here; [`Limits::wall_clock`] bounds that.
    /// Costs one load and compare per loop back-edge and function entry
    /// (about half the cost of fuel).
    pub cpu_time: Duration,
    /// Elapsed time of the whole run, instantiation included. Default 30 s.
    ///
    /// Stops guests blocked in host calls, which epochs cannot interrupt.
    /// Costs one timer per run.
    pub wall_clock: Duration,
    /// Bytes written to output files, summed over files. Default 256 MiB.
    ///
    /// Checked on every `output-file.write` before the chunk is written, so
    /// the host never holds or stores more than the quota.
    pub output_bytes: u64,
    /// Output files created. Default 1,000. Checked on every `create-file`.
    pub output_files: u64,
    /// Bytes of log lines, stdout and stderr together. Default 1 MiB.
    ///
    /// The log is kept in memory during the run and stored with the job, so
    /// this bounds the host memory a chatty guest can take.
    pub log_bytes: u64,
    /// Elements of any one table. Default 10,000.
    ///
    /// Checked when a table grows. Tables hold function references, so a
    /// real plugin needs a few hundred to a few thousand.
    pub table_elements: u64,
    /// Core and component instances created by one run. Default 50.
    ///
    /// A Rust plugin needs a handful; the limit stops components built to
    /// instantiate without end. Checked at instantiation.
    pub instances: u64,
    /// Host resources held at once (open output files, WASI streams and
    /// pollables). Default 1,000.
    ///
    /// Each is an entry in the run's resource table; exceeding it traps.
    pub resources: u64,
}

impl Limits {
    /// The budget of `validate`: cheap by contract, so a quarter of the
    /// default memory, 1 s of CPU and 5 s in all; output is not allowed.
    pub fn validation() -> Self {
        Self {
            memory_bytes: 64 << 20,
            cpu_time: Duration::from_secs(1),
            wall_clock: Duration::from_secs(5),
            output_bytes: 0,
            output_files: 0,
            ..Self::default()
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            memory_bytes: 256 << 20,
            cpu_time: Duration::from_secs(10),
            wall_clock: Duration::from_secs(30),
            output_bytes: 256 << 20,
            output_files: 1_000,
            log_bytes: 1 << 20,
            table_elements: 10_000,
            instances: 50,
            resources: 1_000,
        }
    }
}
