//! python-pptx reads every example and corpus deck and compares it with its
//! spec (tests/check_pptx.py).

use std::path::PathBuf;

#[test]
fn python_pptx_reads_every_example_and_corpus_deck_as_specified() {
    let specs = crate::all_specs();
    assert!(specs.len() >= 23, "the corpus has at least 20 specs besides the examples");
    let out = crate::output_dir("decks");
    let mut args: Vec<PathBuf> = vec![crate::plugin_dir().join("tests/assets")];
    for (name, path, spec) in &specs {
        let run = crate::run(spec);
        let file = out.join(format!("{name}.pptx"));
        std::fs::write(&file, crate::deck(&run)).expect("write a deck");
        args.push(path.clone());
        args.push(file);
    }
    let refs: Vec<&std::path::Path> = args.iter().map(PathBuf::as_path).collect();
    let report = crate::python_check("check_pptx.py", &refs);
    assert!(report.contains(&format!("checked {} decks, 0 problems", specs.len())), "{report}");
}
