//! The xlsx plugin through the sandbox: every example opens in openpyxl with
//! the expected content, and bad specs are refused with pointers.

use std::process::Command;

use kiln_runtime::{GenerateRequest, Outcome, Plugin, PluginError, Runtime};

use crate::support::{component, python, runtime, workspace};

async fn xlsx(runtime: &Runtime) -> Plugin {
    runtime.load_file(&component("kiln_plugin_xlsx.wasm")).await.expect("xlsx plugin loads")
}

#[tokio::test]
async fn every_example_opens_in_openpyxl_with_its_content() {
    let runtime = runtime();
    let plugin = xlsx(&runtime).await;
    let out = tempfile::tempdir().unwrap();
    assert!(plugin.info().examples.len() >= 3);
    for (i, example) in plugin.info().examples.iter().enumerate() {
        assert_eq!(
            runtime.check_spec(&plugin, &example.spec).await.unwrap(),
            Outcome::Succeeded,
            "{}",
            example.title
        );
        let dir = out.path().join(i.to_string());
        std::fs::create_dir(&dir).unwrap();
        let report = runtime
            .generate(&plugin, GenerateRequest::new(example.spec.clone(), &dir))
            .await
            .unwrap();
        assert_eq!(report.outcome, Outcome::Succeeded, "{}: {:?}", example.title, report.log);
        assert_eq!(report.files.len(), 1);
        assert_eq!(
            report.files[0].media_type,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        );
    }
    let script = workspace().join("plugins/xlsx/tests/check_examples.py");
    let output =
        Command::new(python()).arg(&script).arg(out.path()).output().unwrap_or_else(|err| {
            panic!("cannot run {} ({err}): run scripts/test, which installs the readers", python())
        });
    assert!(
        output.status.success(),
        "openpyxl check failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn the_same_spec_gives_the_same_bytes() {
    let runtime = runtime();
    let plugin = xlsx(&runtime).await;
    let spec = plugin.info().examples[0].spec.clone();
    let mut hashes = Vec::new();
    for _ in 0..2 {
        let dir = tempfile::tempdir().unwrap();
        let report = runtime
            .generate(&plugin, GenerateRequest::new(spec.clone(), dir.path()))
            .await
            .unwrap();
        hashes.push(report.files[0].sha256.clone());
    }
    assert_eq!(hashes[0], hashes[1]);
}

async fn violations(runtime: &Runtime, plugin: &Plugin, spec: &str) -> Vec<(String, String)> {
    match runtime.check_spec(plugin, spec).await.unwrap() {
        Outcome::Refused(PluginError::InvalidSpec(v)) => {
            v.into_iter().map(|v| (v.pointer, v.message)).collect()
        }
        other => panic!("expected violations for {spec}, got {other:?}"),
    }
}

#[tokio::test]
async fn malformed_json_is_refused_with_its_position() {
    let runtime = runtime();
    let plugin = xlsx(&runtime).await;
    let v = violations(&runtime, &plugin, r#"{"sheets": [}"#).await;
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].0, "");
    assert!(v[0].1.contains("not valid JSON") && v[0].1.contains("line 1"), "{v:?}");
}

#[tokio::test]
async fn schema_violations_are_listed_with_pointers() {
    let runtime = runtime();
    let plugin = xlsx(&runtime).await;
    let v = violations(&runtime, &plugin, r#"{"sheets": [{"name": 42}], "surprise": true}"#).await;
    let pointers: Vec<&str> = v.iter().map(|(p, _)| p.as_str()).collect();
    assert!(pointers.contains(&"/sheets/0/name"), "{v:?}");
    // An unknown property is reported at its own pointer.
    assert!(
        v.iter().any(|(p, m)| p == "/surprise" && m.starts_with("unknown property `surprise`")),
        "{v:?}"
    );
}

#[tokio::test]
async fn semantic_violations_come_from_the_plugin_validate() {
    let runtime = runtime();
    let plugin = xlsx(&runtime).await;
    let spec = r#"{"sheets": [{"name": "Data"}, {"name": "data"}]}"#;
    let v = violations(&runtime, &plugin, spec).await;
    assert!(v.iter().any(|(p, m)| p == "/sheets/1/name" && m.contains("already used")), "{v:?}");
}
