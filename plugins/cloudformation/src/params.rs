//! parameters.json: the parameter values in the form the AWS CLI reads with
//! `--parameters file://parameters.json`.

use std::io::{self, Write};

use crate::json::Json;
use crate::spec::Spec;

/// The parameters that have neither a `value` nor a `default`, written as
/// empty placeholders.
pub fn placeholders(spec: &Spec) -> Vec<&str> {
    spec.parameters
        .iter()
        .filter(|(_, p)| p.value.is_none() && p.default.is_none())
        .map(|(k, _)| k)
        .collect()
}

/// Writes `[{"ParameterKey": ..., "ParameterValue": ...}, ...]`, one entry
/// per parameter in spec order; values are strings, as the CLI expects.
pub fn write(spec: &Spec, out: &mut dyn Write) -> io::Result<()> {
    let entries: Vec<Json> = spec
        .parameters
        .iter()
        .map(|(k, p)| {
            let value = match p.value.as_ref().or(p.default.as_ref()) {
                Some(Json::String(s)) => s.clone(),
                Some(Json::Number(n)) => n.to_string(),
                Some(Json::Bool(b)) => b.to_string(),
                _ => String::new(),
            };
            Json::Object(vec![
                ("ParameterKey".into(), Json::str(k)),
                ("ParameterValue".into(), Json::String(value)),
            ])
        })
        .collect();
    serde_json::to_writer_pretty(&mut *out, &Json::Array(entries))?;
    out.write_all(b"\n")
}
