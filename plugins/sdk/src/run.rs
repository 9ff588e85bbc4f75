//! The three exports, written once for the component and the test harness.

use crate::{GenerateError, Generator, Host, Result, Violation, spec};

/// Every violation of a spec: the parse errors, then the plugin's own checks
/// on the parts that parsed, in document order.
pub(crate) fn validate<G: Generator>(text: &str) -> Vec<Violation> {
    let parsed = spec::parse_lenient::<G::Spec>(text);
    let mut violations = parsed.violations;
    if let Some(spec) = &parsed.spec {
        violations.extend(
            G::validate(spec)
                .into_iter()
                .map(|v| Violation::new(parsed.pointers.original(&v.pointer), v.message)),
        );
    }
    spec::finish(violations)
}

/// Parses and checks the spec, then generates.
pub(crate) fn generate<G: Generator>(text: &str, host: &mut Host) -> Result<()> {
    let spec = spec::parse::<G::Spec>(text).map_err(GenerateError::InvalidSpec)?;
    let violations = G::validate(&spec);
    if !violations.is_empty() {
        return Err(GenerateError::InvalidSpec(spec::finish(violations)));
    }
    G::generate(spec, host)
}
