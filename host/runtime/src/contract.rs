//! Refuses, at load, components that do not speak this host's contract, with
//! a message that says what is missing and which version the host speaks.

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::{Error, Result};
use kiln_core::CONTRACT_VERSION;

const PACKAGE: &str = "kiln:generator";
const EXPORT: &str = "kiln:generator/plugin";
const HOST_IMPORT: &str = "kiln:generator/host";

/// Tells a WebAssembly component from a core module or something else.
pub(crate) fn check_binary(bytes: &[u8]) -> Result<()> {
    use wasmtime::wasmparser::Parser;
    if Parser::is_component(bytes) {
        return Ok(());
    }
    let text = std::str::from_utf8(bytes).is_ok_and(|s| s.trim_start().starts_with("(component"));
    if text {
        return Ok(());
    }
    Err(Error::NotAComponent(if Parser::is_core_wasm(bytes) {
        "it is a core WebAssembly module, not a component: build the plugin for the \
         wasm32-wasip2 target, or wrap the module with `wasm-tools component new`"
            .into()
    } else {
        "it is not WebAssembly (no `\\0asm` header)".into()
    }))
}

/// Checks the component exports `kiln:generator/plugin` at a version this
/// host accepts and imports nothing but `kiln:generator/host` and WASI 0.2.
pub(crate) fn check(engine: &Engine, component: &Component) -> Result<()> {
    let ty = component.component_type();
    let exports: Vec<&str> = ty.exports(engine).map(|(name, _)| name).collect();
    match exports.iter().find_map(|name| versioned(name, EXPORT)) {
        None => {
            let found = if exports.is_empty() { "nothing".to_owned() } else { exports.join(", ") };
            return Err(Error::Contract(format!(
                "the component does not export `{EXPORT}@{CONTRACT_VERSION}`, so it is not a kiln \
                 generator (it exports {found}); build it against wit/generator.wit \
                 ({PACKAGE}@{CONTRACT_VERSION})"
            )));
        }
        Some(version) if !compatible(version) => {
            return Err(Error::Contract(format!(
                "the component implements {PACKAGE}@{version}, but this host speaks \
                 {PACKAGE}@{CONTRACT_VERSION}; rebuild the plugin against that version of wit/generator.wit"
            )));
        }
        Some(_) => {}
    }
    for (name, _) in ty.imports(engine) {
        if let Some(version) = versioned(name, HOST_IMPORT) {
            if !compatible(version) {
                return Err(Error::Contract(format!(
                    "the component imports {HOST_IMPORT}@{version}, but this host provides \
                     {HOST_IMPORT}@{CONTRACT_VERSION}"
                )));
            }
        } else if !(name.starts_with("wasi:") && name.contains("@0.2.")) {
            return Err(Error::Contract(format!(
                "the component imports `{name}`, which kiln does not provide: plugins may import \
                 only {HOST_IMPORT}@{CONTRACT_VERSION} and WASI 0.2 interfaces"
            )));
        }
    }
    Ok(())
}

/// `Some(version)` if `name` is `interface@version`.
fn versioned<'a>(name: &'a str, interface: &str) -> Option<&'a str> {
    name.strip_prefix(interface)?.strip_prefix('@')
}

/// Semver compatibility with [`CONTRACT_VERSION`]: same major version, or for
/// 0.x the same minor version.
fn compatible(version: &str) -> bool {
    fn major_minor(v: &str) -> Option<(u64, u64)> {
        let mut parts = v.split(['.', '-', '+']);
        Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
    }
    match (major_minor(version), major_minor(CONTRACT_VERSION)) {
        (Some((0, minor)), Some((0, ours))) => minor == ours,
        (Some((major, _)), Some((ours, _))) => major == ours,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_compatible_within_a_zero_minor() {
        assert!(compatible("0.1.0"));
        assert!(compatible("0.1.7"));
        assert!(!compatible("0.2.0"));
        assert!(!compatible("1.1.0"));
        assert!(!compatible("garbage"));
    }
}
