//! Tests of the terraform plugin: every example and a corpus of specs written
//! the way a chat model writes them are generated natively and read back by
//! HashiCorp's HCL library (parser and formatter), python-hcl2 and checkov;
//! broken specs give the right violations at the right pointers.

mod corpus;
mod examples;
mod validation;

use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_plugin_sdk::testing;
use kiln_plugin_terraform::Terraform;

/// Where generated files and PNG renderings of the diagrams go.
pub(crate) fn output_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/terraform")
}

/// Generates a valid spec in memory and writes its files to `dir`.
pub(crate) fn generate_into(spec: &str, dir: &Path) -> testing::Run {
    let run = match testing::run::<Terraform>(spec, &[]) {
        Ok(run) => run,
        Err(e) => panic!("generation failed for {}: {e:?}", dir.display()),
    };
    let _ = std::fs::remove_dir_all(dir);
    for f in &run.files {
        let path = dir.join(&f.path);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("output dir");
        std::fs::write(&path, &f.bytes).expect("write output");
    }
    run
}

/// Runs HashiCorp's HCL parser and formatter (tests/node/check.mjs) over
/// the dirs; panics with its problems.
pub(crate) fn hashicorp_check(dirs: &[PathBuf]) -> usize {
    let node_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    assert!(
        node_dir.join("node_modules/@cdktf/hcl-tools").exists()
            && node_dir.join("node_modules/@cdktf/hcl2json").exists(),
        "HashiCorp's HCL tools are missing: run `npm ci` in {} (needs Node.js >= 18)",
        node_dir.display()
    );
    let out = Command::new("node")
        .arg("check.mjs")
        .args(dirs)
        .current_dir(&node_dir)
        .output()
        .unwrap_or_else(|e| panic!("could not run node (install Node.js >= 18): {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| {
        panic!("check.mjs gave no report: {}", String::from_utf8_lossy(&out.stderr))
    });
    let problems = report["problems"].as_array().cloned().unwrap_or_default();
    assert!(
        out.status.success() && problems.is_empty(),
        "HashiCorp's HCL library rejected files: {problems:#?}"
    );
    report["files"].as_u64().unwrap_or(0) as usize
}

/// The Python interpreter with python-hcl2 and cairosvg.
fn python() -> String {
    std::env::var("KILN_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "KILN_TEST_PYTHON is not set: point it at a Python with the readers, e.g. \
             python3 -m venv .venv && .venv/bin/pip install python-hcl2==8.1.4 cairosvg==2.9.1, \
             then KILN_TEST_PYTHON=$PWD/.venv/bin/python"
        )
    })
}

/// The checkov executable (kept in its own venv: checkov ships a fork of
/// python-hcl2 under the same module name).
fn checkov() -> String {
    let exe = std::env::var("KILN_TEST_CHECKOV").unwrap_or_else(|_| "checkov".into());
    let ok = Command::new(&exe).arg("--version").output().is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "checkov is missing: python3 -m venv .venv-checkov && .venv-checkov/bin/pip install checkov==3.3.30, \
         then KILN_TEST_CHECKOV=$PWD/.venv-checkov/bin/checkov (tried {exe:?})"
    );
    exe
}

/// One generated configuration to read back.
pub(crate) struct Case {
    pub(crate) name: String,
    pub(crate) spec_path: PathBuf,
    pub(crate) out: PathBuf,
}

/// Runs tests/check_tf.py: python-hcl2 compares each configuration with its
/// spec, the SVG is parsed and rendered to PNG, and checkov scans `dir`
/// (all its configurations must pass when `must_pass`). Returns the report.
pub(crate) fn python_check(
    cases: &[Case],
    dir: &Path,
    must_pass: bool,
    report_name: &str,
) -> serde_json::Value {
    let root = output_root();
    let manifest = serde_json::json!({
        "cases": cases.iter().map(|c| serde_json::json!({"name": c.name, "spec": c.spec_path, "out": c.out})).collect::<Vec<_>>(),
        "png_dir": root.join("png"),
        "checkov": checkov(),
        "checkov_dirs": [{"dir": dir, "must_pass": must_pass}],
        "checkov_report": root.join(report_name),
    });
    let manifest_path = root.join(format!("{report_name}.manifest.json"));
    std::fs::create_dir_all(&root).expect("output root");
    std::fs::write(&manifest_path, manifest.to_string()).expect("manifest");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_tf.py");
    let out = Command::new(python())
        .arg(&script)
        .arg(&manifest_path)
        .output()
        .unwrap_or_else(|e| panic!("could not run KILN_TEST_PYTHON: {e}"));
    let text = String::from_utf8_lossy(&out.stdout);
    let report: serde_json::Value = serde_json::from_str(&text).unwrap_or_else(|_| {
        panic!("check_tf.py failed: {}{}", text, String::from_utf8_lossy(&out.stderr))
    });
    let problems = report["problems"].as_array().cloned().unwrap_or_default();
    assert!(out.status.success() && problems.is_empty(), "read-back found problems: {problems:#?}");
    std::fs::read_to_string(root.join(report_name))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// The violations of a spec as (pointer, message).
pub(crate) fn violations(spec: &str) -> Vec<(String, String)> {
    testing::validate::<Terraform>(spec).into_iter().map(|v| (v.pointer, v.message)).collect()
}

#[test]
fn every_schema_property_is_documented() {
    testing::assert_documented::<Terraform>();
}
