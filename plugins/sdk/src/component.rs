//! The `kiln:generator` component side: wit-bindgen's bindings, generated
//! once here, and the adapter [`crate::export_generator!`] wires a
//! [`Generator`] to. Only built for `wasm32`.

#![allow(unsafe_code, unreachable_pub)]

/// The bindings of `wit/generator.wit`.
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "generator",
        pub_export_macro: true,
        default_bindings_module: "kiln_plugin_sdk::component::bindings",
        runtime_path: "kiln_plugin_sdk::component::wit_bindgen::rt",
    });
}

pub use wit_bindgen;

pub use bindings::exports::kiln::generator::plugin::Guest;
use bindings::kiln::generator::host;
use bindings::kiln::generator::types;
pub use types::{GenerateError, PluginInfo, Request, Violation};

use crate::host::{Backend, Sink};
use crate::{AssetInfo, Generator, Host, Level, run};

pub fn info<G: Generator>() -> PluginInfo {
    let info = G::info();
    PluginInfo {
        name: info.name,
        version: info.version,
        artifact_type: info.artifact_type,
        summary: info.summary,
        description: info.description,
        media_types: info.media_types,
        spec_schema: crate::spec::schema::<G::Spec>().to_string(),
        examples: info
            .examples
            .into_iter()
            .map(|e| types::Example { title: e.title, spec: e.spec })
            .collect(),
    }
}

pub fn validate<G: Generator>(spec: &str) -> Vec<Violation> {
    run::validate::<G>(spec).into_iter().map(violation).collect()
}

pub fn generate<G: Generator>(request: Request) -> Result<(), GenerateError> {
    let assets = request
        .assets
        .into_iter()
        .map(|a| AssetInfo { name: a.name, media_type: a.media_type, size: a.size })
        .collect();
    let mut host = Host::new(Box::new(ComponentHost), assets);
    run::generate::<G>(&request.spec, &mut host).map_err(|err| match err {
        crate::GenerateError::InvalidSpec(list) => {
            GenerateError::InvalidSpec(list.into_iter().map(violation).collect())
        }
        crate::GenerateError::Unsupported(message) => GenerateError::Unsupported(message),
        crate::GenerateError::Failed(message) => GenerateError::Failed(message),
    })
}

fn violation(v: crate::Violation) -> Violation {
    Violation { pointer: v.pointer, message: v.message }
}

struct ComponentHost;

impl Backend for ComponentHost {
    fn create_file(&mut self, path: &str, media_type: &str) -> Result<Box<dyn Sink>, String> {
        host::create_file(path, media_type)
            .map(|file| Box::new(ComponentFile(file)) as Box<dyn Sink>)
            .map_err(describe)
    }

    fn log(&mut self, level: Level, message: &str) {
        let level = match level {
            Level::Trace => types::Level::Trace,
            Level::Debug => types::Level::Debug,
            Level::Info => types::Level::Info,
            Level::Warn => types::Level::Warn,
            Level::Error => types::Level::Error,
        };
        host::log(level, message);
    }

    fn progress(&mut self, done: u64, total: u64, message: &str) {
        host::progress(done, total, message);
    }

    fn read_asset(&mut self, name: &str, offset: u64, max_len: u32) -> Option<Vec<u8>> {
        host::read_asset(name, offset, max_len)
    }
}

struct ComponentFile(host::OutputFile);

impl Sink for ComponentFile {
    fn write(&mut self, chunk: &[u8]) -> Result<(), String> {
        self.0.write(chunk).map_err(describe)
    }

    fn finish(self: Box<Self>) -> Result<(), String> {
        self.0.finish().map_err(describe)
    }
}

fn describe(err: types::OutputError) -> String {
    match err {
        types::OutputError::InvalidPath(why) => format!("invalid path: {why}"),
        types::OutputError::AlreadyExists(path) => format!("{path} was already written"),
        types::OutputError::InvalidMediaType(why) => format!("invalid media type: {why}"),
        types::OutputError::Closed => "the file was already finished".into(),
    }
}
