use kiln_plugin_xlsx::{XLSX_MEDIA_TYPE, bench, generate, info, validate};

#[test]
fn info_describes_the_plugin_and_its_schema() {
    let info = info();
    assert_eq!(info.name, "xlsx");
    assert_eq!(info.artifact_type, "xlsx");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.media_types, [XLSX_MEDIA_TYPE]);
    let schema: serde_json::Value =
        serde_json::from_str(&info.spec_schema).expect("schema is JSON");
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(info.examples.len() >= 3);
    assert!(info.description.contains("## What it cannot express"));
}

#[test]
fn every_example_is_valid_and_generates_a_zip_package() {
    for (title, spec) in info().examples {
        assert_eq!(validate(&spec), [], "{title}");
        let generated =
            generate(&spec, &mut |_, _, _| {}).unwrap_or_else(|e| panic!("{title}: {e}"));
        assert!(generated.file_name.ends_with(".xlsx"), "{title}");
        assert!(generated.bytes.starts_with(b"PK\x03\x04"), "{title}");
    }
}

#[test]
fn the_same_spec_gives_byte_identical_workbooks() {
    let mut specs: Vec<String> = info().examples.into_iter().map(|(_, spec)| spec).collect();
    specs.push(bench::benchmark_spec());
    for spec in specs {
        let first = crate::generate(&spec);
        let second = crate::generate(&spec);
        assert!(first == second, "two runs differ");
    }
}

#[test]
fn progress_counts_up_to_its_total() {
    let spec = &info().examples[2].1;
    let mut seen = Vec::new();
    generate(spec, &mut |done, total, message| {
        seen.push((done, total, message.to_string()))
    })
    .unwrap();
    let (done, total, _) = seen.last().cloned().unwrap();
    assert_eq!(done, total);
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0));
    assert!(
        seen.iter()
            .any(|(_, _, m)| m == "writing sheet Budget 2026")
    );
}

#[test]
fn the_file_name_defaults_to_workbook_xlsx() {
    let generated = generate(&crate::sheet(serde_json::json!({})), &mut |_, _, _| {}).unwrap();
    assert_eq!(generated.file_name, kiln_plugin_xlsx::DEFAULT_FILE_NAME);
}
