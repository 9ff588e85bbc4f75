//! The job log: the plugin's `log` calls and its captured stdout and stderr,
//! under one byte limit.

use std::sync::{Arc, Mutex, MutexGuard};

use bytes::Bytes;
use kiln_core::{Limit, LogEntry, LogSource};
use wasmtime_wasi::cli::{IsTerminal, StdoutStream};
use wasmtime_wasi::p2::{OutputStream, Pollable, StreamError, StreamResult};

/// Shared between the host functions and the WASI stdio streams of one run.
#[derive(Clone)]
pub(crate) struct JobLog(Arc<Mutex<Inner>>);

struct Inner {
    entries: Vec<LogEntry>,
    bytes: u64,
    limit: u64,
    exceeded: bool,
    /// Unterminated trailing text of stdout and stderr.
    partial: [Vec<u8>; 2],
}

impl JobLog {
    pub(crate) fn new(limit: u64) -> Self {
        Self(Arc::new(Mutex::new(Inner {
            entries: Vec::new(),
            bytes: 0,
            limit,
            exceeded: false,
            partial: [Vec::new(), Vec::new()],
        })))
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Appends a `log` call's message; `Err` once the limit is exceeded.
    pub(crate) fn log(&self, source: LogSource, message: String) -> Result<(), Limit> {
        let mut log = self.lock();
        log.charge(message.len())?;
        log.entries.push(LogEntry { source, message });
        Ok(())
    }

    fn write_stdio(&self, source: LogSource, bytes: &[u8]) -> Result<(), Limit> {
        let mut log = self.lock();
        log.charge(bytes.len())?;
        let slot = usize::from(source == LogSource::Stderr);
        log.partial[slot].extend_from_slice(bytes);
        while let Some(end) = log.partial[slot].iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = log.partial[slot].drain(..=end).collect();
            let message = String::from_utf8_lossy(&line[..end]).into_owned();
            log.entries.push(LogEntry { source, message });
        }
        Ok(())
    }

    /// The limit, if the run exceeded it.
    pub(crate) fn exceeded(&self) -> Option<Limit> {
        let log = self.lock();
        log.exceeded.then_some(Limit::LogBytes(log.limit))
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.lock().bytes
    }

    /// The entries, with unterminated stdout/stderr text as final lines.
    pub(crate) fn take(&self) -> Vec<LogEntry> {
        let mut log = self.lock();
        for (slot, source) in [LogSource::Stdout, LogSource::Stderr].into_iter().enumerate() {
            let rest = std::mem::take(&mut log.partial[slot]);
            if !rest.is_empty() {
                let message = String::from_utf8_lossy(&rest).into_owned();
                log.entries.push(LogEntry { source, message });
            }
        }
        std::mem::take(&mut log.entries)
    }

    pub(crate) fn stdout(&self) -> Stdio {
        Stdio { log: self.clone(), source: LogSource::Stdout }
    }

    pub(crate) fn stderr(&self) -> Stdio {
        Stdio { log: self.clone(), source: LogSource::Stderr }
    }
}

impl Inner {
    fn charge(&mut self, len: usize) -> Result<(), Limit> {
        if self.exceeded || self.bytes + len as u64 > self.limit {
            self.exceeded = true;
            return Err(Limit::LogBytes(self.limit));
        }
        self.bytes += len as u64;
        Ok(())
    }
}

/// A guest's stdout or stderr, appended to the job log as lines.
#[derive(Clone)]
pub(crate) struct Stdio {
    log: JobLog,
    source: LogSource,
}

impl IsTerminal for Stdio {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl StdoutStream for Stdio {
    fn p2_stream(&self) -> Box<dyn OutputStream> {
        Box::new(self.clone())
    }

    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        // kiln links WASI 0.2 only; the 0.3 stream is never asked for.
        Box::new(tokio::io::sink())
    }
}

#[wasmtime_wasi::async_trait]
impl Pollable for Stdio {
    async fn ready(&mut self) {}
}

impl OutputStream for Stdio {
    fn write(&mut self, bytes: Bytes) -> StreamResult<()> {
        self.log
            .write_stdio(self.source, &bytes)
            .map_err(|limit| StreamError::trap(&format!("limit exceeded: {limit}")))
    }

    fn flush(&mut self) -> StreamResult<()> {
        Ok(())
    }

    fn check_write(&mut self) -> StreamResult<usize> {
        Ok(64 << 10)
    }
}
