use kiln_plugin_pptx::{PPTX_MEDIA_TYPE, Pptx, bench};
use kiln_plugin_sdk::{Generator, testing};

#[test]
fn info_describes_the_plugin() {
    let info = Pptx::info();
    assert_eq!(info.name, "pptx");
    assert_eq!(info.artifact_type, "pptx");
    assert_eq!(info.media_types, [PPTX_MEDIA_TYPE]);
    assert!(info.examples.len() >= 3);
    assert!(info.description.contains("## What it cannot express"));
}

#[test]
fn every_schema_property_has_a_description() {
    testing::assert_documented::<Pptx>();
}

#[test]
fn every_example_validates_and_generates_the_same_bytes_twice() {
    testing::assert_examples_generate::<Pptx>();
}

#[test]
fn the_same_spec_gives_byte_identical_decks() {
    let mut specs: Vec<String> = crate::all_specs().into_iter().map(|(_, _, s)| s).collect();
    specs.push(bench::benchmark_spec());
    for spec in specs {
        let first = crate::run(&spec);
        let second = crate::run(&spec);
        assert!(crate::deck(&first) == crate::deck(&second), "two runs differ");
    }
}

#[test]
fn progress_is_reported_per_slide() {
    let run = crate::run(&bench::benchmark_spec());
    assert_eq!(run.progress.len(), 50);
    assert_eq!(run.progress.last().map(|p| (p.0, p.1)), Some((50, 50)));
    assert!(run.progress.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(run.progress[2].2, "slide 3/50: Slide 3");
}

#[test]
fn the_file_name_defaults_and_can_be_set() {
    let run = crate::run(r#"{"slides":[{"title":"x"}]}"#);
    assert_eq!(run.files[0].path, "presentation.pptx");
    assert_eq!(run.files[0].media_type, PPTX_MEDIA_TYPE);
    let run = crate::run(r#"{"file_name":"q3.pptx","slides":[{"title":"x"}]}"#);
    assert_eq!(run.files[0].path, "q3.pptx");
}

#[test]
fn the_package_has_a_master_nine_layouts_a_theme_and_notes_parts() {
    let run = crate::run(include_str!("../../examples/training_deck.json"));
    let pptx = crate::deck(&run);
    let types = crate::part(pptx, "[Content_Types].xml");
    assert!(types.contains("slideMaster+xml"));
    assert_eq!(types.matches("slideLayout+xml").count(), 9);
    assert_eq!(types.matches("notesSlide+xml").count(), 8);
    assert!(types.contains("/ppt/notesMasters/notesMaster1.xml"));
    let presentation = crate::part(pptx, "ppt/presentation.xml");
    assert!(presentation.contains(r#"<p:sldSz cx="9144000" cy="6858000" type="screen4x3"/>"#));
    let theme = crate::part(pptx, "ppt/theme/theme1.xml");
    assert!(theme.contains(r#"<a:accent1><a:srgbClr val="7A1F5C"/>"#));
    assert!(theme.contains(r#"<a:majorFont><a:latin typeface="Georgia"/>"#));
}
