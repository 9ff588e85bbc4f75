//! Tests of the pptx generator through the SDK's native harness: examples,
//! a corpus read back by python-pptx, LibreOffice rendering, text fitting,
//! validation and determinism.

mod examples;
mod fitting;
mod reader;
mod render;
mod validation;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;

use kiln_plugin_pptx::Pptx;
use kiln_plugin_sdk::testing::{self, Run};

/// The plugin's directory.
pub(crate) fn plugin_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `target/test-output/pptx/<sub>` in the workspace, created empty.
pub(crate) fn output_dir(sub: &str) -> PathBuf {
    let dir = plugin_dir().join("../../target/test-output/pptx").join(sub);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the test output directory");
    dir
}

/// The test assets: (name, media type, bytes).
pub(crate) fn assets() -> Vec<(&'static str, &'static str, Vec<u8>)> {
    let dir = plugin_dir().join("tests/assets");
    [("diagram.png", "image/png"), ("portrait.jpg", "image/jpeg")]
        .into_iter()
        .map(|(name, ty)| (name, ty, std::fs::read(dir.join(name)).expect("read a test asset")))
        .collect()
}

/// Runs a spec that must generate, with the test assets.
pub(crate) fn run(spec: &str) -> Run {
    let owned = assets();
    let assets: Vec<(&str, &str, &[u8])> =
        owned.iter().map(|(n, t, b)| (*n, *t, b.as_slice())).collect();
    testing::run::<Pptx>(spec, &assets).unwrap_or_else(|e| panic!("generation failed: {e}"))
}

/// The one .pptx a run wrote.
pub(crate) fn deck(run: &Run) -> &[u8] {
    assert_eq!(run.files.len(), 1, "one file per deck");
    &run.files[0].bytes
}

/// One part of a package, as text.
pub(crate) fn part(pptx: &[u8], name: &str) -> String {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(pptx)).expect("a zip package");
    let mut file = archive.by_name(name).unwrap_or_else(|_| panic!("no part {name}"));
    let mut text = String::new();
    file.read_to_string(&mut text).expect("UTF-8 part");
    text
}

/// Every spec of the corpus and the examples: (name, path, JSON).
pub(crate) fn all_specs() -> Vec<(String, PathBuf, String)> {
    let mut specs = Vec::new();
    for dir in ["examples", "tests/corpus"] {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(plugin_dir().join(dir))
            .expect("list specs")
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for path in paths {
            let name = path.file_stem().unwrap_or_default().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).expect("read a spec");
            specs.push((name, path, text));
        }
    }
    specs
}

/// The Python with the readers (`KILN_TEST_PYTHON`, else the worktree's
/// `.venv`, else `python3`).
pub(crate) fn python() -> String {
    if let Ok(p) = std::env::var("KILN_TEST_PYTHON") {
        return p;
    }
    let venv = plugin_dir().join("../../.venv/bin/python");
    if venv.exists() {
        return venv.display().to_string();
    }
    "python3".into()
}

/// Runs a checker script; panics with its output unless it succeeds.
pub(crate) fn python_check(script: &str, args: &[&Path]) -> String {
    let python = python();
    let output = Command::new(&python)
        .arg(plugin_dir().join("tests").join(script))
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("could not run {python} ({e}); set KILN_TEST_PYTHON to a Python 3 with `pip install python-pptx==1.0.2 openpyxl==3.1.5 pypdf==7.1.1`")
        });
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script} failed:\n{stdout}\n{stderr}");
    stdout
}
