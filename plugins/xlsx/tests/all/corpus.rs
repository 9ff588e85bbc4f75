//! The corpus: specs written the way a chat model writes them, each
//! generated, read back by openpyxl and compared with the spec, and its
//! cached results compared with LibreOffice's recalculation.

use std::path::PathBuf;

use crate::{generate, python, test_output, validate};

fn corpus() -> Vec<(String, PathBuf)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut specs: Vec<(String, PathBuf)> = std::fs::read_dir(&dir)
        .expect("tests/corpus")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| (p.file_stem().unwrap().to_string_lossy().into_owned(), p))
        .collect();
    specs.sort();
    specs
}

#[test]
fn the_corpus_has_at_least_twenty_specs() {
    assert!(corpus().len() >= 20, "{} specs", corpus().len());
}

#[test]
fn every_corpus_spec_is_read_back_as_written_with_libreoffices_results() {
    let mut pairs = Vec::new();
    let mut files = Vec::new();
    std::fs::create_dir_all(test_output("corpus")).unwrap();
    for (name, path) in corpus() {
        let spec = std::fs::read_to_string(&path).unwrap();
        assert_eq!(validate(&spec), [], "{name}");
        let out = test_output(&format!("corpus/{name}.xlsx"));
        std::fs::write(&out, generate(&spec)).unwrap();
        pairs.push(format!("{}={}", path.display(), out.display()));
        files.push(out.display().to_string());
    }
    let mut args = vec!["check_corpus.py"];
    args.extend(pairs.iter().map(String::as_str));
    python(&args);
    let mut args = vec!["check_recalc.py"];
    args.extend(files.iter().map(String::as_str));
    python(&args);
}
