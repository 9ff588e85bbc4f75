//! What a running plugin can reach: output files, the log, progress and
//! its input assets. Two backends sit behind [`Host`]: the component host
//! (`component.rs`) and the in-memory one of [`crate::testing`].

use std::io::{self, Write};

use crate::{GenerateError, Level, Result};

/// Bytes handed to the host per write: big enough to amortise the call,
/// small enough that a plugin never holds much of a file.
const CHUNK: usize = 64 * 1024;

/// An input asset the job provides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetInfo {
    /// The name the job gave it, e.g. "logo.png".
    pub name: String,
    pub media_type: String,
    pub size: u64,
}

/// Where a plugin's calls go.
pub(crate) trait Backend {
    fn create_file(&mut self, path: &str, media_type: &str) -> Result<Box<dyn Sink>, String>;
    fn log(&mut self, level: Level, message: &str);
    fn progress(&mut self, done: u64, total: u64, message: &str);
    /// Up to `max_len` bytes of the asset from `offset`; empty at its end;
    /// `None` if there is no such asset.
    fn read_asset(&mut self, name: &str, offset: u64, max_len: u32) -> Option<Vec<u8>>;
}

/// One output file on the backend's side.
pub(crate) trait Sink {
    fn write(&mut self, chunk: &[u8]) -> Result<(), String>;
    fn finish(self: Box<Self>) -> Result<(), String>;
}

/// The running job, as a plugin sees it.
pub struct Host {
    backend: Box<dyn Backend>,
    assets: Vec<AssetInfo>,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host").field("assets", &self.assets).finish_non_exhaustive()
    }
}

impl Host {
    pub(crate) fn new(backend: Box<dyn Backend>, assets: Vec<AssetInfo>) -> Self {
        Self { backend, assets }
    }

    /// Starts an output file at a relative path such as `report.docx` or
    /// `modules/vpc/main.tf`. Write to it (it is a [`std::io::Write`]), then
    /// call [`OutputFile::finish`]; a file not finished fails the run.
    pub fn create_file(&mut self, path: &str, media_type: &str) -> Result<OutputFile> {
        let sink = self
            .backend
            .create_file(path, media_type)
            .map_err(|err| GenerateError::Failed(format!("could not create {path}: {err}")))?;
        Ok(OutputFile {
            path: path.to_owned(),
            sink: Some(sink),
            buffer: Vec::with_capacity(CHUNK),
        })
    }

    /// Appends a line to the job's log (counted against its log limit).
    pub fn log(&mut self, level: Level, message: &str) {
        self.backend.log(level, message);
    }

    /// Reports progress, e.g. `(3, 10, "slide 3")`; `total` may be 0 when unknown.
    pub fn progress(&mut self, done: u64, total: u64, message: &str) {
        self.backend.progress(done, total, message);
    }

    /// The job's input assets, in the order the job listed them.
    pub fn assets(&self) -> &[AssetInfo] {
        &self.assets
    }

    /// The asset called `name`, if the job has one.
    pub fn asset(&self, name: &str) -> Option<&AssetInfo> {
        self.assets.iter().find(|asset| asset.name == name)
    }

    /// Reads a whole asset (the host bounds its size).
    pub fn read_asset(&mut self, name: &str) -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(self.asset(name).map_or(0, |a| a.size as usize));
        self.stream_asset(name, u64::MAX, &mut bytes)?;
        Ok(bytes)
    }

    /// The first `max` bytes of an asset (all of it if shorter): enough to
    /// read an image's header without holding the image.
    pub fn read_asset_prefix(&mut self, name: &str, max: u64) -> Result<Vec<u8>> {
        let mut bytes = Vec::new();
        self.stream_asset(name, max, &mut bytes)?;
        Ok(bytes)
    }

    /// Copies an asset to `out` a chunk at a time, so a plugin embedding a
    /// large asset never holds it whole. Returns the bytes copied.
    pub fn copy_asset(&mut self, name: &str, out: &mut impl Write) -> Result<u64> {
        self.stream_asset(name, u64::MAX, out)
    }

    /// Up to `max` bytes of an asset, written to `out` as they arrive.
    fn stream_asset(&mut self, name: &str, max: u64, out: &mut impl Write) -> Result<u64> {
        const READ: u64 = 1 << 20;
        let mut offset = 0;
        while offset < max {
            let want = READ.min(max - offset) as u32;
            match self.backend.read_asset(name, offset, want) {
                None => {
                    let known: Vec<&str> = self.assets.iter().map(|a| a.name.as_str()).collect();
                    return Err(GenerateError::Failed(format!(
                        "the job has no asset named {name:?} (it has: {})",
                        if known.is_empty() { "none".to_owned() } else { known.join(", ") }
                    )));
                }
                Some(chunk) if chunk.is_empty() => break,
                Some(chunk) => {
                    out.write_all(&chunk)?;
                    offset += chunk.len() as u64;
                }
            }
        }
        Ok(offset)
    }
}

/// A file being written. Bytes go to the host in chunks as they are
/// written, so a plugin never needs to hold a whole file.
pub struct OutputFile {
    path: String,
    sink: Option<Box<dyn Sink>>,
    buffer: Vec<u8>,
}

impl std::fmt::Debug for OutputFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutputFile").field("path", &self.path).finish_non_exhaustive()
    }
}

impl OutputFile {
    /// Writes what is buffered and completes the file.
    pub fn finish(mut self) -> Result<()> {
        self.flush()?;
        let sink = self.sink.take().expect("a file is finished once");
        sink.finish()
            .map_err(|err| GenerateError::Failed(format!("could not finish {}: {err}", self.path)))
    }

    fn send(&mut self, chunk: &[u8]) -> io::Result<()> {
        let sink = self.sink.as_mut().expect("an unfinished file has a sink");
        sink.write(chunk)
            .map_err(|err| io::Error::other(format!("could not write {}: {err}", self.path)))
    }
}

impl Write for OutputFile {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        if self.buffer.is_empty() && bytes.len() >= CHUNK {
            self.send(&bytes[..CHUNK])?;
            return Ok(CHUNK);
        }
        let take = bytes.len().min(CHUNK - self.buffer.len());
        self.buffer.extend_from_slice(&bytes[..take]);
        if self.buffer.len() == CHUNK {
            self.flush()?;
        }
        Ok(take)
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.buffer.is_empty() {
            let buffer = std::mem::take(&mut self.buffer);
            self.send(&buffer)?;
            self.buffer = buffer;
            self.buffer.clear();
        }
        Ok(())
    }
}
