//! Integration tests: every example and corpus spec is generated natively and
//! read back by independent readers (pypdf, pdftotext, pdffonts, qpdf),
//! which compare what they read with the spec.

mod corpus;
mod examples;
mod footnotes;
mod typography;
mod validation;

use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_plugin_pdf::Pdf;
use kiln_plugin_sdk::testing;

/// The crate's folder.
pub(crate) fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// target/test-output/pdf, where PDFs and PNG renderings are kept.
pub(crate) fn out_dir() -> PathBuf {
    let dir = crate_dir().join("../../target/test-output/pdf");
    std::fs::create_dir_all(&dir).expect("output folder");
    dir
}

/// Generates a valid spec; returns the PDF bytes.
pub(crate) fn generate(spec: &str, assets: &[(&str, &str, &[u8])]) -> Vec<u8> {
    match testing::run::<Pdf>(spec, assets) {
        Ok(run) => {
            assert_eq!(run.files.len(), 1, "one file");
            assert!(!run.progress.is_empty(), "progress is reported");
            run.files[0].bytes.clone()
        }
        Err(e) => panic!("generation failed: {e}"),
    }
}

/// The interpreter with pypdf (KILN_TEST_PYTHON, else the worktree's .venv).
pub(crate) fn python() -> String {
    if let Ok(p) = std::env::var("KILN_TEST_PYTHON") {
        return p;
    }
    let venv = crate_dir().join("../../.venv/bin/python");
    assert!(
        venv.exists(),
        "no Python with pypdf: set KILN_TEST_PYTHON to an interpreter that has `pip install pypdf==7.1.1`"
    );
    venv.to_string_lossy().into_owned()
}

fn tool(name: &str) -> Command {
    let probe = Command::new(name).arg("-v").output();
    assert!(
        probe.is_ok(),
        "{name} is missing: install it with `apt-get install poppler-utils qpdf`"
    );
    Command::new(name)
}

/// `qpdf --check` finds no errors.
pub(crate) fn qpdf_check(path: &Path) {
    let out = tool("qpdf").arg("--check").arg(path).output().expect("qpdf runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("No syntax or stream encoding errors"),
        "qpdf --check {}: {text}",
        path.display()
    );
}

/// Writes the PDF, checks it with qpdf and the Python checker (extra flags
/// passed on), renders its first pages to PNG at 50 dpi.
pub(crate) fn check(name: &str, spec_path: &Path, pdf: &[u8], flags: &[&str]) -> serde_json::Value {
    let path = out_dir().join(format!("{name}.pdf"));
    std::fs::write(&path, pdf).expect("write pdf");
    qpdf_check(&path);
    let out = Command::new(python())
        .arg(crate_dir().join("tests/check_pdf.py"))
        .arg(spec_path)
        .arg(&path)
        .args(flags)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{name}: the readers disagree with the spec: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let png = out_dir().join(name);
    let status = tool("pdftoppm")
        .args(["-r", "50", "-png", "-l", "3"])
        .arg(&path)
        .arg(&png)
        .status()
        .expect("pdftoppm runs");
    assert!(status.success(), "pdftoppm failed on {name}");
    serde_json::from_str(stdout.lines().last().unwrap_or("{}")).expect("checker JSON")
}
