//! The API describes itself: a valid OpenAPI document that a property-based
//! fuzzer (schemathesis) cannot make answer 5xx; plugins, LLM tools, probes
//! and metrics.

use std::process::Command;

use serde_json::json;

use super::{Server, Stack, python, xlsx_job};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_is_valid_and_fuzzing_finds_no_disagreement_with_the_server() {
    let server = Server::start(Stack::Embedded).await;
    let key = server.key("fuzz");
    let api = server.client(&key);
    api.run(&xlsx_job("fuzz")).await;
    let document = server.anonymous().get("/openapi.json").await;
    assert_eq!(document.status, 200);
    assert!(document.json()["openapi"].as_str().unwrap().starts_with("3.1"));
    let file = server.dir().join("openapi.json");
    std::fs::write(&file, &document.body).unwrap();
    let validate = Command::new(python())
        .args(["-m", "openapi_spec_validator"])
        .arg(&file)
        .output()
        .expect("python with openapi-spec-validator (scripts/test installs it into .venv)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&validate.stdout),
        String::from_utf8_lossy(&validate.stderr)
    );
    assert!(validate.status.success(), "{}", said.chars().take(2000).collect::<String>());

    // Every check: no 5xx, and the document and the server agree on status
    // codes, content types, response schemas and what input is accepted.
    let schemathesis = python().with_file_name("schemathesis");
    let config = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis.toml");
    let fuzz = Command::new(&schemathesis)
        .arg("--config-file")
        .arg(&config)
        .args(["run", &format!("{}/openapi.json", server.base)])
        .args(["--checks", "all", "--max-examples", "25", "--header"])
        .arg(format!("Authorization: Bearer {key}"))
        .args([
            "--exclude-path-regex",
            "/events$",
            "--request-timeout",
            "20",
            "--seed",
            "42",
            "--no-color",
        ])
        .current_dir(server.dir())
        .output()
        .unwrap_or_else(|err| {
            panic!(
                "{} (scripts/test installs schemathesis into .venv): {err}",
                schemathesis.display()
            )
        });
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&fuzz.stdout),
        String::from_utf8_lossy(&fuzz.stderr)
    );
    assert!(
        fuzz.status.success(),
        "schemathesis found problems:\n{report}\n--- server log ---\n{}",
        server.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plugins_tools_probes_and_metrics_describe_the_server() {
    let server = Server::start(Stack::Embedded).await;
    let api = server.client(&server.key("acme"));
    let plugins = api.get("/v1/plugins").await.json();
    let types: Vec<&str> = plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(types, ["hello", "testing", "xlsx"]);
    let xlsx = api.get("/v1/plugins/xlsx").await.json();
    assert_eq!(xlsx["spec_schema"]["type"], "object");
    assert!(!xlsx["examples"].as_array().unwrap().is_empty());
    api.get("/v1/plugins/docz").await.problem(404);

    let openai = api.get("/v1/tools").await.json();
    let tool = openai["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["function"]["name"] == "generate_xlsx")
        .unwrap()
        .clone();
    assert_eq!(tool["type"], "function");
    assert_eq!(tool["function"]["parameters"]["type"], "object");
    assert!(tool["function"]["parameters"].get("$schema").is_none());
    assert!(!tool["function"]["description"].as_str().unwrap().is_empty());
    let anthropic = api.get("/v1/tools?format=anthropic").await.json();
    assert!(
        anthropic["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["name"] == "generate_xlsx" && t["input_schema"]["type"] == "object")
    );

    api.run(&xlsx_job("m")).await;
    let mut failing = xlsx_job("m");
    failing["type"] = json!("testing");
    failing["spec"] = json!({"behaviour": "memory-bomb"});
    assert_eq!(api.run(&failing).await["state"], "failed");
    let anonymous = server.anonymous();
    assert_eq!(anonymous.get("/healthz").await.json()["status"], "ok");
    assert_eq!(anonymous.get("/readyz").await.json()["status"], "ready");
    let metrics = String::from_utf8(anonymous.get("/metrics").await.body).unwrap();
    for expected in [
        "kiln_jobs_finished_total{type=\"xlsx\",outcome=\"succeeded\",error=\"\"} 1",
        "kiln_jobs_finished_total{type=\"testing\",outcome=\"failed\",error=\"limit_exceeded\"} 1",
        "kiln_limit_hits_total{type=\"testing\",limit=\"memory\"} 1",
        "kiln_job_duration_seconds_count{type=\"xlsx\"} 1",
        "kiln_job_queue_wait_seconds_count{type=\"xlsx\"} 1",
        "kiln_plugin_instantiate_seconds_count{type=\"xlsx\"} 1",
        "kiln_jobs_in_flight 0",
        "kiln_http_requests_total{method=\"POST\",route=\"/v1/jobs\",status=\"200\"} 2",
    ] {
        assert!(metrics.contains(expected), "missing {expected} in\n{metrics}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admin_keys_turn_plugins_off_and_on() {
    let server = Server::start(Stack::Embedded).await;
    let admin = server.client(&server.admin_key("ops"));
    let user = server.client(&server.key("acme"));
    user.post("/v1/plugins/xlsx/disable", &json!({})).await.problem(403);
    admin.post("/v1/plugins/docz/disable", &json!({})).await.problem(404);

    let off = admin.post("/v1/plugins/xlsx/disable", &json!({})).await;
    assert_eq!(off.status, 200);
    assert_eq!(off.json()["enabled"], false);
    assert_eq!(user.post("/v1/jobs", &xlsx_job("s")).await.pointers(), ["/type"]);
    let tools = user.get("/v1/tools").await.json();
    assert!(
        !tools["tools"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["function"]["name"] == "generate_xlsx")
    );
    assert_eq!(user.get("/v1/plugins/xlsx").await.json()["enabled"], false);

    assert_eq!(admin.post("/v1/plugins/xlsx/enable", &json!({})).await.json()["enabled"], true);
    assert_eq!(user.run(&xlsx_job("s")).await["state"], "succeeded");
}
