//! `kiln plugin new`: the scaffold builds, its tests pass, and the component
//! it builds passes `kiln plugin check` unchanged.

use std::process::{Command, Output};

use crate::cards::{cards, cargo, scaffold, workspace};

fn kiln(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kiln")).args(args).output().unwrap()
}

#[test]
fn a_new_plugin_builds_passes_its_tests_and_passes_check_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let crate_dir = dir.path().join("cards");
    scaffold(&crate_dir);

    // By default it depends on the SDK this kiln was built from.
    let manifest = std::fs::read_to_string(crate_dir.join("Cargo.toml")).unwrap();
    let sdk = workspace().join("plugins/sdk");
    assert!(manifest.contains(&format!("path = \"{}\"", sdk.display())), "{manifest}");
    let readme = std::fs::read_to_string(crate_dir.join("README.md")).unwrap();
    assert!(readme.contains(&format!("kiln:generator@{}", kiln_core::CONTRACT_VERSION)));
    cargo(&crate_dir, &["test", "--release", "--quiet"]);

    let wasm = &cards().scaffolded;
    let check = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["plugin", "check", "--json"])
        .arg(wasm)
        .env("KILN_CACHE_DIR", std::env::temp_dir().join("kiln-test-cache"))
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&check.stdout).unwrap();
    assert!(check.status.success(), "{report:#}");
    assert_eq!(report["plugin"]["name"], "greeting-cards");
    assert_eq!(report["plugin"]["artifact_type"], "card");
    let rules: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["passed"] == true)
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    for rule in ["contract", "schema", "descriptions", "example", "broken-specs"] {
        assert!(rules.contains(&rule), "{rule} did not pass: {report:#}");
    }
}

#[test]
fn a_new_plugin_is_refused_a_bad_name_or_a_directory_in_use_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("x");
    let bad = kiln(&["plugin", "new", "Greeting_Cards", "--dir", target.to_str().unwrap()]);
    assert!(!bad.status.success());
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(said.contains("lower-case letters, digits and `-`"), "{said}");
    assert!(!target.exists());

    std::fs::create_dir(&target).unwrap();
    std::fs::write(target.join("notes.txt"), "mine").unwrap();
    let in_use = kiln(&["plugin", "new", "cards", "--dir", target.to_str().unwrap()]);
    assert!(!in_use.status.success());
    let said = String::from_utf8_lossy(&in_use.stderr);
    assert!(said.contains("already exists and is not empty"), "{said}");
    let left: Vec<_> =
        std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(left, ["x"], "no staging directory is left behind");
    assert_eq!(std::fs::read_dir(&target).unwrap().count(), 1);
}
