//! `kiln plugin check`: every rule, as a plugin author's CI sees it.

use std::process::Command;

use kiln_runtime::testing::builtin_plugins;
use serde_json::Value;

use crate::component;

/// The report of `kiln plugin check --json`, and whether it exited 0.
fn check(wasm: &std::path::Path) -> (Value, bool) {
    let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["plugin", "check", "--json"])
        .arg(wasm)
        .env("KILN_CACHE_DIR", std::env::temp_dir().join("kiln-test-cache"))
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!("not a JSON report ({err}): {}", String::from_utf8_lossy(&output.stdout))
    });
    assert_eq!(report["passed"].as_bool(), Some(output.status.success()), "{report:#}");
    (report, output.status.success())
}

fn rules(report: &Value) -> Vec<(&str, bool)> {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["rule"].as_str().unwrap(), c["passed"].as_bool().unwrap()))
        .collect()
}

#[test]
fn every_builtin_plugin_passes_every_rule() {
    let mut plugins: Vec<_> =
        std::fs::read_dir(builtin_plugins()).unwrap().map(|e| e.unwrap().path()).collect();
    plugins.push(component("kiln_plugin_hello.wasm"));
    plugins.push(component("kiln_testing_plugin.wasm"));
    plugins.sort();
    for wasm in plugins {
        let (report, passed) = check(&wasm);
        assert!(passed, "{}: {report:#}", wasm.display());
        let rules = rules(&report);
        for rule in ["contract", "schema", "descriptions", "example", "broken-specs"] {
            assert!(
                rules.contains(&(rule, true)),
                "{}: no passed {rule}: {report:#}",
                wasm.display()
            );
        }
        let examples =
            report["checks"].as_array().unwrap().iter().filter(|c| c["rule"] == "example");
        for example in examples {
            let detail = example["detail"].as_str().unwrap();
            assert!(detail.contains("deterministic, contents match their media types"), "{detail}");
        }
        let plugin = &report["plugin"];
        assert_eq!(plugin["contract"], format!("kiln:generator@{}", kiln_core::CONTRACT_VERSION));
        assert_eq!(plugin["sha256"].as_str().unwrap().len(), 64);
    }
}

#[test]
fn a_file_that_is_not_a_component_fails_the_contract_rule_and_nothing_else_runs() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("notes.wasm");
    std::fs::write(&wasm, "these are not WebAssembly bytes").unwrap();
    let (report, passed) = check(&wasm);
    assert!(!passed);
    assert_eq!(rules(&report), [("contract", false)]);
    assert!(report["plugin"].is_null());
    let detail = report["checks"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("not a WebAssembly component"), "{detail}");
}

/// The hello plugin (built against this contract's minor version) as if
/// built against `version`: its interface names rewritten in place.
fn hello_built_against(version: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let mut bytes = std::fs::read(component("kiln_plugin_hello.wasm")).unwrap();
    for interface in ["types", "host", "plugin"] {
        let ours =
            format!("kiln:generator/{interface}@{}", kiln_core::CONTRACT_VERSION).into_bytes();
        let theirs = format!("kiln:generator/{interface}@{version}").into_bytes();
        assert_eq!(ours.len(), theirs.len(), "same length, so the binary stays well-formed");
        let mut i = 0;
        while i + ours.len() <= bytes.len() {
            if bytes[i..i + ours.len()] == ours[..] {
                bytes[i..i + ours.len()].copy_from_slice(&theirs);
            }
            i += 1;
        }
    }
    let path = dir.join(format!("hello-{version}.wasm"));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn a_plugin_on_another_patch_of_the_contract_passes_and_one_on_another_minor_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let (major, minor) = {
        let mut parts = kiln_core::CONTRACT_VERSION.split('.');
        (parts.next().unwrap().to_owned(), parts.next().unwrap().to_owned())
    };
    let patch = hello_built_against(&format!("{major}.{minor}.9"), dir.path());
    let (report, passed) = check(&patch);
    assert!(
        passed,
        "a component on {major}.{minor}.9 runs on {}: {report:#}",
        kiln_core::CONTRACT_VERSION
    );

    let next_minor = format!("{major}.{}.0", minor.parse::<u32>().unwrap() + 1);
    let refused = hello_built_against(&next_minor, dir.path());
    let (report, passed) = check(&refused);
    assert!(!passed);
    assert_eq!(rules(&report), [("contract", false)]);
    let detail = report["checks"][0]["detail"].as_str().unwrap();
    assert!(detail.contains(&next_minor) && detail.contains("rebuild"), "{detail}");
}
