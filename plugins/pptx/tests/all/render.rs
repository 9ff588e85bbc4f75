//! LibreOffice renders every example to PDF; pypdf checks the page count and
//! the titles (tests/check_pdf.py). The first page of each is kept as a PNG
//! in target/test-output/pptx/render/.

use std::path::PathBuf;

#[test]
fn libreoffice_renders_every_example_with_a_page_per_slide_and_every_title() {
    let out = crate::output_dir("render");
    let mut args: Vec<PathBuf> = vec![out.clone()];
    let specs = crate::all_specs();
    let chosen = specs.iter().filter(|(name, path, _)| {
        path.parent().is_some_and(|p| p.ends_with("examples"))
            || ["overflow_bullets", "long_table", "image_diagram", "four_three"]
                .contains(&name.as_str())
    });
    for (name, path, spec) in chosen {
        let file = out.join(format!("{name}.pptx"));
        std::fs::write(&file, crate::deck(&crate::run(spec))).expect("write a deck");
        args.push(path.clone());
        args.push(file);
    }
    let refs: Vec<&std::path::Path> = args.iter().map(PathBuf::as_path).collect();
    let report = crate::python_check("check_pdf.py", &refs);
    assert!(report.contains(" 0 problems"), "{report}");
}
