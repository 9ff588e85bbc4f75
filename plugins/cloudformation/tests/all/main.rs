//! Integration tests: examples, validation, the files written, and the
//! independent readers (cfn-lint, PyYAML, checkov, cairosvg) on the examples
//! and the corpus.

mod examples;
mod output;
mod readers;
mod validation;

use kiln_plugin_cloudformation::CloudFormation;
use kiln_plugin_sdk::testing::{self, Run};
use serde_json::{Value, json};

/// Generates a spec that must be valid.
pub(crate) fn run(spec: &str) -> Run {
    match testing::run::<CloudFormation>(spec, &[]) {
        Ok(run) => run,
        Err(e) => panic!("generation failed: {e}"),
    }
}

/// One generated file as text.
pub(crate) fn text(run: &Run, path: &str) -> String {
    String::from_utf8(run.file(path).to_vec()).expect("UTF-8 file")
}

/// A spec with these resources and nothing else.
pub(crate) fn resources(resources: Value) -> Value {
    json!({ "resources": resources })
}

/// Every violation of a spec.
pub(crate) fn violations(spec: &Value) -> Vec<kiln_plugin_sdk::Violation> {
    testing::validate::<CloudFormation>(&spec.to_string())
}

/// The pointers of a spec's violations, sorted.
pub(crate) fn pointers(spec: &Value) -> Vec<String> {
    let mut p: Vec<String> = violations(spec).into_iter().map(|v| v.pointer).collect();
    p.sort();
    p
}

/// The messages at one pointer.
pub(crate) fn messages_at(spec: &Value, pointer: &str) -> Vec<String> {
    violations(spec).into_iter().filter(|v| v.pointer == pointer).map(|v| v.message).collect()
}

/// The one message at `pointer`, which must contain every part of `parts`.
pub(crate) fn assert_message(spec: &Value, pointer: &str, parts: &[&str]) {
    let all = violations(spec);
    let found: Vec<&String> =
        all.iter().filter(|v| v.pointer == pointer).map(|v| &v.message).collect();
    assert!(!found.is_empty(), "no violation at {pointer}; got {all:#?}");
    assert!(
        found.iter().any(|m| parts.iter().all(|p| m.contains(p))),
        "no message at {pointer} contains {parts:?}: {found:#?}"
    );
}
