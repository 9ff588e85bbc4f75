//! Host-side spec checks: the spec must be JSON and match the plugin's schema
//! before the plugin's own `validate` sees it.

use kiln_core::Violation;
use serde_json::Value;

/// A plugin's compiled spec schema.
pub(crate) struct SpecSchema(jsonschema::Validator);

impl SpecSchema {
    pub(crate) fn compile(schema: &str) -> Result<Self, String> {
        let schema: Value =
            serde_json::from_str(schema).map_err(|err| format!("the spec schema is not JSON: {err}"))?;
        jsonschema::validator_for(&schema)
            .map(Self)
            .map_err(|err| format!("the spec schema is not a valid JSON Schema: {err}"))
    }

    /// Every place where `spec` breaks the schema.
    pub(crate) fn check(&self, spec: &Value) -> Vec<Violation> {
        self.0
            .iter_errors(spec)
            .map(|err| Violation::new(err.instance_path().as_str(), err.to_string()))
            .collect()
    }
}

/// Parses a spec, or says where the JSON is broken.
pub(crate) fn parse(spec: &str) -> Result<Value, Violation> {
    serde_json::from_str(spec).map_err(|err| {
        Violation::new("", format!("the spec is not valid JSON: {err}"))
    })
}
