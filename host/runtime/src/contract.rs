//! Refuses, at load, components that do not speak this host's contract, with
//! a message that says what is missing and which version the host speaks.

use wasmtime::Engine;
use wasmtime::component::Component;

use crate::{Error, Result};
use kiln_core::CONTRACT_VERSION;

const PACKAGE: &str = "kiln:generator";
const EXPORT: &str = "kiln:generator/plugin";

/// Tells a WebAssembly component from a core module or something else.
pub(crate) fn check_binary(bytes: &[u8]) -> Result<()> {
    use wasmtime::wasmparser::Parser;
    if Parser::is_component(bytes) {
        return Ok(());
    }
    // The text format is accepted too, which helps when writing test plugins.
    let text = std::str::from_utf8(bytes).ok();
    if text.is_some_and(|t| t.contains("(component")) {
        return Ok(());
    }
    let core = Parser::is_core_wasm(bytes) || text.is_some_and(|t| t.contains("(module"));
    Err(Error::NotAComponent(if core {
        "it is a core WebAssembly module, not a component: build the plugin for the \
         wasm32-wasip2 target, or wrap the module with `wasm-tools component new`"
            .into()
    } else {
        "it is not WebAssembly (no `\\0asm` header)".into()
    }))
}

/// Checks the component exports `kiln:generator/plugin` at a version this
/// host accepts and imports nothing but `kiln:generator` interfaces and WASI 0.2.
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
        if let Some((interface, version)) =
            name.strip_prefix("kiln:generator/").and_then(|n| n.split_once('@'))
        {
            if !compatible(version) {
                return Err(Error::Contract(format!(
                    "the component imports {PACKAGE}/{interface}@{version}, but this host provides \
                     {PACKAGE}@{CONTRACT_VERSION}"
                )));
            }
        } else if !is_linked_wasi(name) {
            return Err(Error::Contract(format!(
                "the component imports `{name}`, which kiln does not provide: plugins may import \
                 only {PACKAGE}@{CONTRACT_VERSION} interfaces and WASI 0.2 interfaces"
            )));
        }
    }
    Ok(())
}

/// The WASI 0.2 packages kiln links (with an empty context). Not, for
/// example, `wasi:http`: a plugin has no business making requests.
fn is_linked_wasi(name: &str) -> bool {
    const PACKAGES: [&str; 6] = [
        "wasi:io/",
        "wasi:clocks/",
        "wasi:cli/",
        "wasi:filesystem/",
        "wasi:random/",
        "wasi:sockets/",
    ];
    PACKAGES.iter().any(|p| name.starts_with(p)) && name.contains("@0.2.")
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

    #[test]
    fn contract_version_is_the_wit_package_version() {
        let wit = include_str!("../../../wit/generator.wit");
        let package = wit.lines().find_map(|line| line.trim().strip_prefix("package "));
        assert_eq!(
            package,
            Some(format!("{PACKAGE}@{CONTRACT_VERSION};").as_str()),
            "kiln_core::CONTRACT_VERSION must match the package line of wit/generator.wit"
        );
    }
}
