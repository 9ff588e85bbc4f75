use kiln_plugin_cloudformation::{CloudFormation, EXAMPLES, YAML_MEDIA_TYPE, bench};
use kiln_plugin_sdk::{Generator, Level, testing};

use crate::{run, text};

#[test]
fn info_names_the_plugin_and_documents_every_schema_property() {
    let info = CloudFormation::info();
    assert_eq!(info.name, "cloudformation");
    assert_eq!(info.artifact_type, "cloudformation");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert!(info.media_types.contains(&YAML_MEDIA_TYPE.to_string()));
    assert!(info.examples.len() >= 5);
    assert!(info.description.contains("## What it cannot express"));
    // The SDK's check walks every object of the schema, so the schema of a
    // field that is itself named `properties` (Resource.properties) reads as
    // a `properties` keyword whose entries `description` and `default` are
    // reported. Those two are the field schema's own keywords, not fields.
    let schema = testing::schema::<CloudFormation>();
    let missing: Vec<String> = kiln_plugin_sdk::spec::undocumented(&schema)
        .into_iter()
        .filter(|p| {
            !(p.starts_with("/$defs/Resource/properties/properties/")
                && (p.ends_with("/description") || p.ends_with("/default")))
        })
        .collect();
    assert_eq!(missing, Vec::<String>::new(), "properties without a description");
    let resource = &schema["$defs"]["Resource"]["properties"]["properties"];
    assert!(resource["description"].as_str().is_some_and(|d| d.contains("PascalCase")));
}

#[test]
fn every_example_is_valid_and_writes_its_files() {
    for (title, spec) in EXAMPLES {
        assert_eq!(testing::validate::<CloudFormation>(spec), [], "{title}");
        let run = run(spec);
        let paths: Vec<&str> = run.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            ["template.yaml", "parameters.json", "README.md", "diagram.svg"],
            "{title}"
        );
        assert!(
            text(&run, "template.yaml").starts_with("AWSTemplateFormatVersion: '2010-09-09'\n")
        );
    }
}

#[test]
fn the_same_spec_gives_byte_identical_files() {
    let mut specs: Vec<String> = EXAMPLES.iter().map(|(_, s)| s.to_string()).collect();
    specs.push(bench::benchmark_spec());
    for spec in specs {
        let (a, b) = (run(&spec), run(&spec));
        assert_eq!(a.files, b.files);
    }
}

#[test]
fn progress_counts_every_file_up_to_its_total() {
    let run = run(EXAMPLES[0].1);
    let (done, total, _) = run.progress.last().cloned().unwrap();
    assert_eq!((done, total), (4, 4));
    assert!(run.progress.iter().any(|(_, _, m)| m == "writing diagram.svg"));
}

#[test]
fn parameters_without_value_or_default_are_logged_as_placeholders() {
    let spec = r#"{"parameters": {"Name": {}}, "resources": {"T": {"type": "AWS::SNS::Topic", "properties": {"TopicName": {"Ref": "Name"}}}}}"#;
    let run = run(spec);
    assert!(run.log.iter().any(|(l, m)| *l == Level::Warn && m.contains("Name")), "{:?}", run.log);
    assert!(text(&run, "parameters.json").contains(r#""ParameterValue": """#));
}

#[test]
fn the_benchmark_template_has_450_resources_and_is_valid() {
    let spec = bench::benchmark_spec();
    let parsed: serde_json::Value = serde_json::from_str(&spec).unwrap();
    assert_eq!(parsed["resources"].as_object().unwrap().len(), 450);
    assert_eq!(testing::validate::<CloudFormation>(&spec), []);
}
