//! Memory, table and instance limits, recording which one a guest hit.

use kiln_core::Limit;
use wasmtime::ResourceLimiter;

use crate::Limits;

pub(crate) struct Limiter {
    memory_limit: u64,
    table_limit: u64,
    pub(crate) instance_limit: u64,
    memory_in_use: u64,
    peak_memory: u64,
    /// The limit a grow ran into, if any; read when the run is classified.
    pub(crate) hit: Option<Limit>,
}

impl Limiter {
    pub(crate) fn new(limits: &Limits) -> Self {
        Self {
            memory_limit: limits.memory_bytes,
            table_limit: limits.table_elements,
            instance_limit: limits.instances,
            memory_in_use: 0,
            peak_memory: 0,
            hit: None,
        }
    }

    pub(crate) fn peak_memory(&self) -> u64 {
        self.peak_memory
    }

    fn refuse(&mut self, limit: Limit) -> wasmtime::Result<bool> {
        self.hit = Some(limit);
        // An error (not `Ok(false)`) traps the guest instead of letting
        // `memory.grow` return -1 for it to carry on from.
        Err(wasmtime::format_err!("limit exceeded: {limit}"))
    }
}

impl ResourceLimiter for Limiter {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // Linear memories never shrink, so the running total is also the peak.
        let in_use = self.memory_in_use + (desired - current) as u64;
        if in_use > self.memory_limit {
            return self.refuse(Limit::Memory(self.memory_limit));
        }
        self.memory_in_use = in_use;
        self.peak_memory = self.peak_memory.max(in_use);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.table_limit {
            return self.refuse(Limit::TableElements(self.table_limit));
        }
        Ok(true)
    }

    fn instances(&self) -> usize {
        usize::try_from(self.instance_limit).unwrap_or(usize::MAX)
    }

    fn tables(&self) -> usize {
        usize::MAX // bounded by the pool's per-component table count
    }

    fn memories(&self) -> usize {
        usize::MAX // bounded by the pool's per-component memory count
    }
}
