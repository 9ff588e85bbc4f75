use serde::{Deserialize, Serialize};

/// A problem with a spec, located by a JSON pointer (RFC 6901), e.g. `/sheets/0/name`.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
        let pointer = if self.pointer.is_empty() { "(spec)" } else { &self.pointer };
        write!(f, "{pointer}: {}", self.message)
    }
}

/// A realistic example spec a plugin ships.
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Example {
    pub title: String,
    /// The spec as JSON text.
    pub spec: String,
}

/// What a plugin says about itself (the contract's `plugin-info`).
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    pub name: String,
    pub version: String,
    pub artifact_type: String,
    pub summary: String,
    pub description: String,
    pub media_types: Vec<String>,
    /// JSON Schema (2020-12) of the spec, as JSON text.
    pub spec_schema: String,
    pub examples: Vec<Example>,
}
