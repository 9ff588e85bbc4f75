//! Every built-in plugin, as `scripts/run` ships it, through `kiln serve`:
//! its examples and its corpus of specs written the way a chat model writes
//! them succeed, and every file delivered opens in the format's reader.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{Server, Stack, on_both_stacks, run_python};

on_both_stacks!(every_builtin_plugin_turns_its_examples_and_corpus_into_files_readers_open);

use kiln_runtime::testing::workspace;

/// The corpus specs of a plugin: `plugins/<type>/tests/corpus/*.json`.
fn corpus(kind: &str) -> Vec<(String, Value)> {
    let dir = workspace().join("plugins").join(kind).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "json"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            let spec = serde_json::from_str(&text)
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            (path.file_stem().unwrap().to_string_lossy().into_owned(), spec)
        })
        .collect()
}

/// The test assets of a plugin (`plugins/<type>/tests/assets/*`), inline,
/// so corpus specs that show images have them.
pub(super) fn assets(kind: &str) -> Value {
    use base64::Engine;
    let dir = workspace().join("plugins").join(kind).join("tests/assets");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).map(|e| e.map(|e| e.unwrap().path()).collect()).unwrap_or_default();
    files.sort();
    let assets: Vec<Value> = files
        .iter()
        .map(|path| {
            let media_type = match path.extension().and_then(|e| e.to_str()) {
                Some("png") => "image/png",
                Some("jpg" | "jpeg") => "image/jpeg",
                _ => "application/octet-stream",
            };
            json!({
                "name": path.file_name().unwrap().to_string_lossy(),
                "media_type": media_type,
                "content_base64": base64::engine::general_purpose::STANDARD.encode(std::fs::read(path).unwrap()),
            })
        })
        .collect();
    Value::Array(assets)
}

async fn every_builtin_plugin_turns_its_examples_and_corpus_into_files_readers_open(stack: Stack) {
    let server = Server::start_builtin(stack).await;
    let api = server.client(&server.key("acme"));
    let plugins = api.get("/v1/plugins").await.json();
    let kinds: Vec<String> = plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap().to_owned())
        .collect();
    assert!(kinds.contains(&"xlsx".to_owned()), "{kinds:?}");
    let out = server.dir().join("delivered");
    let mut jobs = 0;
    for kind in &kinds {
        let detail = api.get(&format!("/v1/plugins/{kind}")).await.json();
        let mut specs: Vec<(String, Value)> = detail["examples"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
            .map(|(i, e)| {
                // The detail endpoint gives each example's spec as JSON (or as its text).
                let spec = match &e["spec"] {
                    Value::String(text) => serde_json::from_str(text).unwrap(),
                    spec => spec.clone(),
                };
                (format!("example-{i}"), spec)
            })
            .collect();
        specs.extend(corpus(kind));
        let assets = assets(kind);
        for (name, spec) in specs {
            let job = api
                .run(&json!({"type": kind, "session_id": "corpus", "spec": spec, "assets": assets}))
                .await;
            assert_eq!(job["state"], "succeeded", "{kind} {name}: {job}");
            for artifact in job["artifacts"].as_array().unwrap() {
                let body = api.get(artifact["links"]["content"].as_str().unwrap()).await;
                assert_eq!(body.status, 200);
                let path = out.join(kind).join(&name).join(artifact["path"].as_str().unwrap());
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, &body.body).unwrap();
            }
            jobs += 1;
        }
    }
    assert!(jobs >= kinds.len() * 3, "only {jobs} jobs");
    open_all(&out);
}

fn open_all(dir: &Path) {
    let (succeeded, report) = run_python("open_artifacts.py", &[&dir], "the readers");
    assert!(succeeded, "a reader refused a delivered file:\n{report}");
}
