//! The examples and the corpus, generated natively and read back by
//! independent tools (tests/check_templates.py): PyYAML with intrinsic tag
//! constructors, cfn-lint, checkov and cairosvg.

use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_plugin_cloudformation::EXAMPLES;

use crate::run;

fn output_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/test-output/cloudformation")
}

fn python() -> String {
    std::env::var("KILN_TEST_PYTHON").unwrap_or_else(|_| {
        panic!(
            "KILN_TEST_PYTHON is not set: point it at a Python with the readers, e.g.\n  python3 -m venv .venv && .venv/bin/pip install cfn-lint==1.58.0 checkov==3.3.30 PyYAML==6.0.4 cairosvg==2.9.1\n  KILN_TEST_PYTHON=$PWD/.venv/bin/python cargo test -p kiln-plugin-cloudformation"
        )
    })
}

/// Writes one case directory: the spec, its files, and a marker for
/// examples (which checkov must pass).
fn write_case(root: &Path, name: &str, spec: &str, example: bool) -> PathBuf {
    let dir = root.join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("spec.json"), spec).unwrap();
    for file in run(spec).files {
        std::fs::write(dir.join(&file.path), &file.bytes).unwrap();
    }
    if example {
        std::fs::write(dir.join("example"), "").unwrap();
    }
    dir
}

fn corpus() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut specs: Vec<(String, String)> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).unwrap(),
            )
        })
        .collect();
    specs.sort();
    specs
}

#[test]
fn the_corpus_has_at_least_twenty_valid_specs() {
    let specs = corpus();
    assert!(specs.len() >= 20, "{}", specs.len());
    for (name, spec) in specs {
        assert_eq!(
            kiln_plugin_sdk::testing::validate::<kiln_plugin_cloudformation::CloudFormation>(&spec),
            [],
            "{name}"
        );
    }
}

#[test]
fn examples_and_corpus_pass_cfn_lint_pyyaml_checkov_and_render() {
    let python = python();
    let root = output_root();
    let mut cases = Vec::new();
    for (i, (_, spec)) in EXAMPLES.iter().enumerate() {
        let name = ["network", "web_app", "serverless_queue", "static_site", "iam_roles"][i];
        cases.push(write_case(&root, &format!("example_{name}"), spec, true));
    }
    for (name, spec) in corpus() {
        cases.push(write_case(&root, &format!("corpus_{name}"), &spec, false));
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/check_templates.py");
    let out = Command::new(&python)
        .arg(&script)
        .args(&cases)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "check_templates.py failed:\n{stdout}\n{stderr}");
    assert!(stdout.contains(&format!("checked {} cases, 0 problems", cases.len())), "{stdout}");
    for case in &cases {
        if case.join("diagram.svg").exists() {
            assert!(case.join("diagram.png").exists(), "{} has no diagram.png", case.display());
        }
    }
}
