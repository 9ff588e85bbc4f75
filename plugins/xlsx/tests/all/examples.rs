use kiln_plugin_sdk::{Generator, testing};
use kiln_plugin_xlsx::{DEFAULT_FILE_NAME, XLSX_MEDIA_TYPE, Xlsx, bench};

#[test]
fn info_describes_the_plugin_and_its_schema() {
    let info = Xlsx::info();
    assert_eq!(info.name, "xlsx");
    assert_eq!(info.artifact_type, "xlsx");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.media_types, [XLSX_MEDIA_TYPE]);
    let schema = testing::schema::<Xlsx>();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(info.examples.len() >= 3);
    assert!(info.description.contains("## What it cannot express"));
}

#[test]
fn every_schema_property_is_documented() {
    kiln_plugin_sdk::testing::assert_documented::<Xlsx>();
}

#[test]
fn the_schema_describes_the_compact_forms() {
    let schema = testing::schema::<Xlsx>();
    let defs = &schema["$defs"];
    for name in [
        "Cell",
        "CellObject",
        "Row",
        "RowObject",
        "StyleRef",
        "RangeRef",
        "Freeze",
        "AutoFilter",
        "Keywords",
    ] {
        assert!(defs[name]["description"].is_string(), "{name}: {:#}", defs[name]);
    }
    let cell = defs["Cell"]["anyOf"].as_array().unwrap();
    let types: Vec<&str> = cell.iter().filter_map(|b| b["type"].as_str()).collect();
    assert_eq!(types, ["string", "number", "boolean", "null"]);
    assert_eq!(schema["properties"]["sheets"]["minItems"], 1);
    assert_eq!(schema["additionalProperties"], false);
}

#[test]
fn every_example_is_valid_generates_and_is_deterministic() {
    testing::assert_examples_generate::<Xlsx>();
    for example in Xlsx::info().examples {
        let run = testing::run::<Xlsx>(&example.spec, &[]).unwrap();
        let file = &run.files[0];
        assert!(file.path.ends_with(".xlsx"), "{}", example.title);
        assert_eq!(file.media_type, XLSX_MEDIA_TYPE);
        assert!(file.bytes.starts_with(b"PK\x03\x04"), "{}", example.title);
    }
}

#[test]
fn the_benchmark_workbook_is_deterministic() {
    let spec = bench::benchmark_spec();
    let first = crate::generate(&spec);
    let second = crate::generate(&spec);
    assert!(first == second, "two runs differ");
}

#[test]
fn progress_counts_up_to_its_total() {
    let spec = &Xlsx::info().examples[2].spec;
    let run = testing::run::<Xlsx>(spec, &[]).unwrap();
    let (done, total, _) = run.progress.last().cloned().unwrap();
    assert_eq!(done, total);
    assert!(run.progress.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(run.progress.iter().any(|(_, _, m)| m == "writing sheet Budget 2026"));
}

#[test]
fn the_file_name_defaults_to_workbook_xlsx() {
    let run = testing::run::<Xlsx>(&crate::sheet(serde_json::json!({})), &[]).unwrap();
    assert_eq!(run.files[0].path, DEFAULT_FILE_NAME);
}

#[test]
fn openpyxl_reads_every_example_as_its_spec_says() {
    let dir = crate::test_output("examples");
    for (i, example) in Xlsx::info().examples.iter().enumerate() {
        let run = testing::run::<Xlsx>(&example.spec, &[]).unwrap();
        let out = dir.join(i.to_string());
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(&run.files[0].path), &run.files[0].bytes).unwrap();
    }
    crate::python(&["check_examples.py", dir.to_str().unwrap()]);
}
