//! Running a plugin natively, in memory: for its tests and benchmarks. The
//! same parse, validate and generate path as in the sandbox, with files
//! collected in memory instead of sent to the host.

use std::cell::RefCell;
use std::rc::Rc;

use serde_json::Value;

use crate::host::{Backend, Sink};
use crate::{AssetInfo, GenerateError, Generator, Host, Level, Result, Violation, run, spec};

/// One file a run wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryFile {
    pub path: String,
    pub media_type: String,
    pub bytes: Vec<u8>,
}

/// What a run produced.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Finished files, in creation order.
    pub files: Vec<MemoryFile>,
    pub log: Vec<(Level, String)>,
    pub progress: Vec<(u64, u64, String)>,
    /// The most bytes one `write` to the host carried.
    pub largest_chunk: usize,
}

impl Run {
    /// The bytes of the file at `path`; panics naming the files there are.
    pub fn file(&self, path: &str) -> &[u8] {
        match self.files.iter().find(|f| f.path == path) {
            Some(file) => &file.bytes,
            None => panic!(
                "no file {path}; the run wrote {:?}",
                self.files.iter().map(|f| &f.path).collect::<Vec<_>>()
            ),
        }
    }
}

/// Parses, validates and generates `spec` with the given assets
/// (name, media type, bytes), all in memory.
pub fn run<G: Generator>(spec: &str, assets: &[(&str, &str, &[u8])]) -> Result<Run> {
    let state = Rc::new(RefCell::new(State::default()));
    let backend = Memory {
        state: state.clone(),
        assets: assets
            .iter()
            .map(|(name, media, bytes)| ((*name).to_owned(), (*media).to_owned(), bytes.to_vec()))
            .collect(),
    };
    let infos = assets
        .iter()
        .map(|(name, media, bytes)| AssetInfo {
            name: (*name).to_owned(),
            media_type: (*media).to_owned(),
            size: bytes.len() as u64,
        })
        .collect();
    let mut host = Host::new(Box::new(backend), infos);
    run::generate::<G>(spec, &mut host)?;
    drop(host);
    let state = Rc::try_unwrap(state)
        .map_err(|_| GenerateError::Failed("a file outlived the run".into()))?
        .into_inner();
    if let Some(open) = state.open.first() {
        return Err(GenerateError::Failed(format!("the plugin returned without finishing {open}")));
    }
    Ok(state.run)
}

/// Every violation of `spec`, as the host would get them from `validate`.
pub fn validate<G: Generator>(spec: &str) -> Vec<Violation> {
    run::validate::<G>(spec)
}

/// The plugin's spec schema.
pub fn schema<G: Generator>() -> Value {
    spec::schema::<G::Spec>()
}

/// Panics naming every property of the spec schema without a description.
pub fn assert_documented<G: Generator>() {
    let missing = spec::undocumented(&schema::<G>());
    assert!(
        missing.is_empty(),
        "these schema properties have no description (add a doc comment): {missing:#?}"
    );
}

/// Panics unless every example of the plugin validates and generates, twice
/// to the same bytes.
pub fn assert_examples_generate<G: Generator>() {
    for example in G::info().examples {
        let violations = validate::<G>(&example.spec);
        assert!(violations.is_empty(), "example {:?} is invalid: {violations:#?}", example.title);
        let first = run::<G>(&example.spec, &[])
            .unwrap_or_else(|e| panic!("example {:?}: {e}", example.title));
        let second = run::<G>(&example.spec, &[]).expect("second run");
        assert_eq!(first.files, second.files, "example {:?} is not deterministic", example.title);
    }
}

#[derive(Default)]
struct State {
    run: Run,
    open: Vec<String>,
}

struct Memory {
    state: Rc<RefCell<State>>,
    assets: Vec<(String, String, Vec<u8>)>,
}

impl Backend for Memory {
    fn create_file(&mut self, path: &str, media_type: &str) -> Result<Box<dyn Sink>, String> {
        let mut state = self.state.borrow_mut();
        if state.run.files.iter().any(|f| f.path == path) || state.open.iter().any(|p| p == path) {
            return Err(format!("another file of this run already has the path {path}"));
        }
        if path.is_empty()
            || path.starts_with('/')
            || path.split('/').any(|s| s.is_empty() || s == "." || s == "..")
        {
            return Err(format!("{path:?} is not a normalised relative path"));
        }
        state.open.push(path.to_owned());
        Ok(Box::new(MemorySink {
            state: self.state.clone(),
            file: MemoryFile {
                path: path.to_owned(),
                media_type: media_type.to_owned(),
                bytes: Vec::new(),
            },
        }))
    }

    fn log(&mut self, level: Level, message: &str) {
        self.state.borrow_mut().run.log.push((level, message.to_owned()));
    }

    fn progress(&mut self, done: u64, total: u64, message: &str) {
        self.state.borrow_mut().run.progress.push((done, total, message.to_owned()));
    }

    fn read_asset(&mut self, name: &str, offset: u64, max_len: u32) -> Option<Vec<u8>> {
        let (_, _, bytes) = self.assets.iter().find(|(n, _, _)| n == name)?;
        let start = (offset as usize).min(bytes.len());
        let end = (start + max_len as usize).min(bytes.len());
        Some(bytes[start..end].to_vec())
    }
}

struct MemorySink {
    state: Rc<RefCell<State>>,
    file: MemoryFile,
}

impl Sink for MemorySink {
    fn write(&mut self, chunk: &[u8]) -> Result<(), String> {
        let mut state = self.state.borrow_mut();
        state.run.largest_chunk = state.run.largest_chunk.max(chunk.len());
        self.file.bytes.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), String> {
        let mut state = self.state.borrow_mut();
        state.open.retain(|p| p != &self.file.path);
        state.run.files.push(self.file);
        Ok(())
    }
}
