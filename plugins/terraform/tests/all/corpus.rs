//! Specs written the way a chat model writes them: short, partial, relying
//! on defaults, with Unicode. Each is valid, generates, reads back and its
//! checkov findings are recorded.

use std::path::{Path, PathBuf};

use kiln_plugin_sdk::testing;
use kiln_plugin_terraform::{EXAMPLES, Terraform};

use crate::{Case, generate_into, hashicorp_check, output_root, python_check};

fn corpus() -> Vec<(String, PathBuf, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut specs: Vec<(String, PathBuf, String)> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| {
            let name = p.file_stem().expect("stem").to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&p).expect("read spec");
            (name, p, text)
        })
        .collect();
    specs.sort();
    specs
}

#[test]
fn corpus_generates_and_reads_back() {
    let specs = corpus();
    assert!(specs.len() >= 20, "the corpus has {} specs", specs.len());
    let dir = output_root().join("corpus");
    let mut cases = Vec::new();
    for (name, path, text) in &specs {
        let problems = crate::violations(text);
        assert!(problems.is_empty(), "{name}: {problems:?}");
        let out = dir.join(name);
        generate_into(text, &out);
        cases.push(Case { name: name.clone(), spec_path: path.clone(), out });
    }
    hashicorp_check(std::slice::from_ref(&dir));
    // The corpus relies on defaults, so checkov findings are expected; they
    // are recorded in target/test-output/terraform/checkov-corpus.json.
    let findings = python_check(&cases, &dir, false, "checkov-corpus.json");
    assert_eq!(
        findings.as_object().map(|o| o.len()),
        Some(specs.len()),
        "checkov reported on every corpus spec"
    );
}

#[test]
fn output_is_deterministic() {
    let mut all: Vec<String> = corpus().into_iter().map(|(_, _, t)| t).collect();
    all.extend(EXAMPLES.iter().map(|(_, _, s)| (*s).to_owned()));
    all.push(kiln_plugin_terraform::bench::benchmark_spec());
    for spec in all {
        let a = testing::run::<Terraform>(&spec, &[]).expect("generates");
        let b = testing::run::<Terraform>(&spec, &[]).expect("generates");
        assert_eq!(a.files.len(), b.files.len());
        for (x, y) in a.files.iter().zip(&b.files) {
            assert_eq!(x.path, y.path);
            assert!(x.bytes == y.bytes, "{} differs between runs", x.path);
        }
    }
}

#[test]
fn unicode_and_escapes_survive() {
    let (_, _, text) =
        corpus().into_iter().find(|(n, _, _)| n.starts_with("05_")).expect("spec 05");
    let run = testing::run::<Terraform>(&text, &[]).expect("generates");
    let main = String::from_utf8(run.file("main.tf").to_vec()).expect("UTF-8");
    assert!(main.contains("\"Équipe\" = \"Données\""), "{main}");
    let svg = String::from_utf8(run.file("diagram.svg").to_vec()).expect("UTF-8");
    assert!(svg.contains("Données clients — Ünïcödé ✓"));
    let (_, _, text) =
        corpus().into_iter().find(|(n, _, _)| n.starts_with("23_")).expect("spec 23");
    let run = testing::run::<Terraform>(&text, &[]).expect("generates");
    let main = String::from_utf8(run.file("main.tf").to_vec()).expect("UTF-8");
    // A literal ${ stays literal; quotes and newlines are escaped.
    assert!(main.contains("echo 'literal $${HOME}'\\n\""), "{main}");
    assert!(main.contains("\"kubernetes.io/role\" = \"node\""));
}
