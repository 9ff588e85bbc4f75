//! The kiln plugin SDK: everything a generator plugin needs, and nothing of
//! the host.
//!
//! A plugin is a type implementing [`Generator`]: its spec is a Rust type
//! (serde for parsing, schemars for the JSON Schema a chat model reads), and
//! its logic is plain Rust that writes files through a [`Host`]. Built for
//! `wasm32`, [`export_generator!`] turns it into a `kiln:generator`
//! component; natively, [`testing`] runs the same code in memory for tests
//! and benchmarks.
//!
//! ```ignore
//! use kiln_plugin_sdk::{Example, Generator, Host, Info, Result, schemars};
//!
//! /// A greeting card.
//! #[derive(serde::Deserialize, schemars::JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct Spec {
//!     /// Who the card is for, e.g. "Ada".
//!     name: String,
//! }
//!
//! struct Card;
//!
//! impl Generator for Card {
//!     type Spec = Spec;
//!     fn info() -> Info { /* name, version, summary, examples, ... */ }
//!     fn generate(spec: Spec, host: &mut Host) -> Result<()> {
//!         let mut file = host.create_file("card.txt", "text/plain")?;
//!         std::io::Write::write_all(&mut file, format!("Hello, {}!", spec.name).as_bytes())?;
//!         file.finish()
//!     }
//! }
//!
//! kiln_plugin_sdk::export_generator!(Card);
//! ```

// Lets the macros and the bindings name this crate the same way inside and
// outside it.
extern crate self as kiln_plugin_sdk;

#[cfg(feature = "diagram")]
pub mod diagram;
#[cfg(feature = "document")]
pub mod document;
mod host;
pub mod image;
#[cfg(feature = "ooxml")]
pub mod ooxml;
pub mod pointer;
mod run;
pub mod spec;
pub mod suggest;
pub mod testing;

#[cfg(target_arch = "wasm32")]
#[doc(hidden)]
pub mod component;

pub use host::{AssetInfo, Host, OutputFile};
pub use schemars;
pub use serde;
pub use serde_json;

/// The version of the `kiln:generator` contract this SDK builds plugins for.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The most violations one answer lists; past it, a final violation says
/// how many more there were.
pub const MAX_VIOLATIONS: usize = 200;

/// A generator plugin: one artifact type, its spec, and how to make files
/// from it.
pub trait Generator {
    /// The spec, parsed from the job's JSON. Derive `serde::Deserialize`
    /// (with `#[serde(deny_unknown_fields)]`) and `schemars::JsonSchema`:
    /// its schema is the plugin's spec schema, and its doc comments are the
    /// descriptions a chat model reads, so document every field.
    type Spec: serde::de::DeserializeOwned + schemars::JsonSchema;

    /// Describes the plugin. Called once per load; keep it cheap. The spec
    /// schema is derived from [`Generator::Spec`] and need not be given.
    fn info() -> Info;

    /// Checks what the types cannot: cross-references, sizes, overlaps.
    /// The SDK has already parsed the spec and reported every parse error;
    /// return every further violation, each with its JSON pointer. Runs on
    /// the request path before a job is queued, under a small budget: it
    /// must be fast and must not build the artifact.
    fn validate(spec: &Self::Spec) -> Vec<Violation> {
        let _ = spec;
        Vec::new()
    }

    /// Writes the artifact's files through `host`. Only called with a spec
    /// that parsed and passed [`Generator::validate`]. The same spec and
    /// assets must give the same bytes.
    fn generate(spec: Self::Spec, host: &mut Host) -> Result<()>;
}

/// What a plugin is (the contract's `plugin-info`, less the schema, which
/// the SDK derives from the spec type).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Info {
    /// Machine name, lowercase `[a-z0-9-]+`, e.g. "docx".
    pub name: String,
    /// The plugin's own version (semver); usually `env!("CARGO_PKG_VERSION")`.
    pub version: String,
    /// The artifact type jobs name to reach this plugin.
    pub artifact_type: String,
    /// One sentence for people and for LLM tool descriptions.
    pub summary: String,
    /// Markdown: what the spec can express, and its limits.
    pub description: String,
    /// Media types of the files the plugin writes.
    pub media_types: Vec<String>,
    /// Realistic specs; each must pass validation and generate.
    pub examples: Vec<Example>,
}

/// A realistic spec shown to people and models, and run by `kiln plugin check`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub title: String,
    /// The spec as JSON text.
    pub spec: String,
}

impl Example {
    pub fn new(title: impl Into<String>, spec: impl Into<String>) -> Self {
        Self { title: title.into(), spec: spec.into() }
    }
}

/// A problem with a spec, located by a JSON pointer (RFC 6901) into the
/// spec; the empty pointer means the whole spec. The message says what was
/// expected, what was found, and the closest valid name where there is one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Violation {
    pub pointer: String,
    pub message: String,
}

impl Violation {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self { pointer: pointer.into(), message: message.into() }
    }
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.pointer.is_empty() { "(spec)" } else { &self.pointer };
        write!(f, "{at}: {}", self.message)
    }
}

/// Why `generate` produced no artifact. All are final: the host does not
/// retry a job its plugin refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GenerateError {
    #[error("invalid spec: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    InvalidSpec(Vec<Violation>),
    #[error("unsupported: {0}")]
    Unsupported(String),
    #[error("generation failed: {0}")]
    Failed(String),
}

impl From<std::io::Error> for GenerateError {
    fn from(err: std::io::Error) -> Self {
        GenerateError::Failed(err.to_string())
    }
}

/// Result alias for plugins.
pub type Result<T, E = GenerateError> = std::result::Result<T, E>;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

/// Exports a [`Generator`] as the `kiln:generator` component. Put it once in
/// the plugin's `lib.rs`; it expands to nothing unless built for `wasm32`.
#[macro_export]
macro_rules! export_generator {
    ($generator:ty) => {
        #[cfg(target_arch = "wasm32")]
        #[allow(unsafe_code)]
        const _: () = {
            struct KilnGeneratorComponent;

            impl $crate::component::Guest for KilnGeneratorComponent {
                fn info() -> $crate::component::PluginInfo {
                    $crate::component::info::<$generator>()
                }
                fn validate(
                    spec: ::std::string::String,
                ) -> ::std::vec::Vec<$crate::component::Violation> {
                    $crate::component::validate::<$generator>(&spec)
                }
                fn generate(
                    request: $crate::component::Request,
                ) -> ::std::result::Result<(), $crate::component::GenerateError> {
                    $crate::component::generate::<$generator>(request)
                }
            }

            $crate::component::bindings::export!(
                KilnGeneratorComponent with_types_in $crate::component::bindings
            );
        };
    };
}
