//! The HTTP API driven in this process with `oneshot`, as axum's own
//! examples do: for what needs no socket, worker or second process.

use std::process::Command;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use serde_json::{Value, json};
use tower::ServiceExt;

use crate::component;

/// The router `kiln serve` would serve over a new data directory with the
/// xlsx plugin, and a key for organisation "acme".
struct Api {
    router: axum::Router,
    key: String,
    _dir: tempfile::TempDir,
}

/// An answer: status, content type and JSON body.
struct Answer {
    status: StatusCode,
    content_type: String,
    body: Value,
}

impl Answer {
    /// The problem details of a refusal with `status`.
    fn problem(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "{}", self.body);
        assert_eq!(self.content_type, "application/problem+json");
        assert_eq!(self.body["status"], status.as_u16());
        assert!(self.body["type"].as_str().unwrap().starts_with("urn:kiln:problem:"));
        assert!(!self.body["detail"].as_str().unwrap().is_empty(), "{}", self.body);
        &self.body
    }

    fn pointers(&self) -> Vec<&str> {
        let problem = self.problem(StatusCode::UNPROCESSABLE_ENTITY);
        problem["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v["pointer"].as_str().unwrap())
            .collect()
    }
}

impl Api {
    async fn start() -> Api {
        let dir = tempfile::tempdir().unwrap();
        let (data, plugins) = (dir.path().join("data"), dir.path().join("plugins"));
        std::fs::create_dir_all(&plugins).unwrap();
        std::fs::copy(component("kiln_plugin_xlsx.wasm"), plugins.join("xlsx.wasm")).unwrap();
        let cache = std::env::temp_dir().join("kiln-test-cache");
        let args = [&data, &plugins, &cache].map(|p| p.display().to_string());
        let router = kiln::api_router(&[
            "--data-dir",
            &args[0],
            "--plugin-dir",
            &args[1],
            "--cache-dir",
            &args[2],
        ])
        .await
        .unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["keys", "create", "--org", "acme", "--data-dir", &args[0]])
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let key = String::from_utf8(output.stdout).unwrap().trim().to_owned();
        Api { router, key, _dir: dir }
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<(&str, &str)>,
        key: Option<&str>,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(key) = key {
            request = request.header("authorization", format!("Bearer {key}"));
        }
        let request = match body {
            Some((content_type, body)) => {
                request.header("content-type", content_type).body(Body::from(body.to_owned()))
            }
            None => request.body(Body::empty()),
        };
        let response = self.router.clone().oneshot(request.unwrap()).await.unwrap();
        let status = response.status();
        let content_type = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let bytes = axum::body::to_bytes(response.into_body(), 64 << 20).await.unwrap();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer { status, content_type, body }
    }

    async fn post(&self, path: &str, body: &Value) -> Answer {
        let body = body.to_string();
        self.send(Method::POST, path, Some(("application/json", &body)), Some(&self.key)).await
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(Method::GET, path, None, Some(&self.key)).await
    }
}

#[tokio::test]
async fn requests_without_a_valid_key_are_refused_before_anything_is_read() {
    let api = Api::start().await;
    let anonymous = api.send(Method::GET, "/v1/jobs", None, None).await;
    assert!(
        anonymous.problem(StatusCode::UNAUTHORIZED)["detail"].as_str().unwrap().contains("Bearer")
    );
    let wrong = api.send(Method::GET, "/v1/jobs", None, Some("kiln_not-a-key")).await;
    wrong.problem(StatusCode::UNAUTHORIZED);
    let initialize = r#"{"jsonrpc": "2.0", "id": 1, "method": "tools/list"}"#;
    let mcp = api.send(Method::POST, "/mcp", Some(("application/json", initialize)), None).await;
    mcp.problem(StatusCode::UNAUTHORIZED);
    let user = api.get("/v1/admin/plugins").await;
    user.problem(StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn bad_requests_get_problem_details_with_the_pointer_of_each_bad_field() {
    let api = Api::start().await;
    let malformed = api
        .send(Method::POST, "/v1/jobs", Some(("application/json", r#"{"type": "#)), Some(&api.key))
        .await;
    assert!(
        malformed.problem(StatusCode::BAD_REQUEST)["detail"]
            .as_str()
            .unwrap()
            .contains("not valid JSON")
    );
    let plain =
        api.send(Method::POST, "/v1/jobs", Some(("text/plain", "{}")), Some(&api.key)).await;
    plain.problem(StatusCode::UNSUPPORTED_MEDIA_TYPE);

    let job = |kind: &str, session: Value, spec: Value| json!({"type": kind, "session_id": session, "spec": spec});
    let unknown = api.post("/v1/jobs", &job("docz", json!("s"), json!({}))).await;
    assert_eq!(unknown.pointers(), ["/type"]);
    assert!(
        unknown.body["violations"][0]["message"].as_str().unwrap().contains("xlsx"),
        "{}",
        unknown.body
    );
    let session = api.post("/v1/jobs", &job("xlsx", json!(7), json!({}))).await;
    assert_eq!(session.pointers(), ["/session_id"]);
    let spec = json!({"sheets": [{"name": "a/b", "rows": [[1]]}, {"rows": "no"}]});
    let several = api.post("/v1/jobs", &job("xlsx", json!("bad session!"), spec)).await;
    let pointers = several.pointers();
    assert!(pointers.contains(&"/session_id"), "{pointers:?}");
    assert!(pointers.iter().any(|p| p.starts_with("/spec/sheets/0")), "{pointers:?}");
    assert!(pointers.iter().any(|p| p.starts_with("/spec/sheets/1")), "{pointers:?}");

    api.post("/v1/jobs?wait=9999", &job("xlsx", json!("s"), json!({})))
        .await
        .problem(StatusCode::BAD_REQUEST);
    api.get("/v1/jobs?status=paused").await.problem(StatusCode::BAD_REQUEST);
    api.get("/v1/jobs/not-a-uuid").await.problem(StatusCode::BAD_REQUEST);
    api.get("/v1/nothing-here").await.problem(StatusCode::NOT_FOUND);
    // Nothing was queued by any of them.
    let list = api.get("/v1/jobs").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(list.body["jobs"], json!([]), "{}", list.body);
}

#[tokio::test]
async fn the_tool_catalogue_describes_each_plugin_for_a_chat_model() {
    let api = Api::start().await;
    let tools = api.get("/v1/tools").await;
    assert_eq!(tools.status, StatusCode::OK, "{}", tools.body);
    let text = tools.body.to_string();
    assert!(text.contains("xlsx") && text.contains("sheets"), "{text}");
    let openapi = api.send(Method::GET, "/openapi.json", None, None).await;
    assert_eq!(openapi.status, StatusCode::OK);
    assert!(openapi.body["paths"]["/v1/jobs"].is_object(), "{}", openapi.body);
}

#[tokio::test]
async fn a_spec_is_validated_without_making_a_job() {
    let api = Api::start().await;
    let good = json!({"sheets": [{"name": "Q1", "rows": [["Region"], ["North"]]}]});
    let answer = api.post("/v1/plugins/xlsx/validate", &good).await;
    assert_eq!((answer.status, &answer.body), (StatusCode::OK, &json!({"valid": true})));
    // The schema's problems and the plugin's own (a repeated sheet name), at
    // pointers into the spec itself.
    let bad = json!({"sheets": [{"name": "Q1", "rows": "none"}, {"name": "q1", "rows": []}]});
    let answer = api.post("/v1/plugins/xlsx/validate", &bad).await;
    assert_eq!(answer.pointers(), ["/sheets/0/rows", "/sheets/1/name"]);
    api.post("/v1/plugins/nope/validate", &good).await.problem(StatusCode::NOT_FOUND);
    let jobs = api.get("/v1/jobs").await;
    assert_eq!(jobs.body["jobs"], json!([]), "validating made a job");
}

#[tokio::test]
async fn the_playground_is_served_from_the_binary_with_a_strict_policy() {
    let api = Api::start().await;
    let request = |path: &str| Request::get(path).body(Body::empty()).unwrap();
    let page = api.router.clone().oneshot(request("/ui/")).await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let policy = page.headers()["content-security-policy"].to_str().unwrap();
    assert!(policy.contains("default-src 'self'") && policy.contains("frame-ancestors 'none'"));
    let html = axum::body::to_bytes(page.into_body(), 1 << 20).await.unwrap();
    assert!(String::from_utf8_lossy(&html).contains("<script src=\"app.js\""));
    for (path, media_type) in [
        ("/ui/app.js", "text/javascript; charset=utf-8"),
        ("/ui/vendor/ajv2020.min.js", "text/javascript; charset=utf-8"),
        ("/ui/style.css", "text/css; charset=utf-8"),
    ] {
        let answer = api.router.clone().oneshot(request(path)).await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK, "{path}");
        assert_eq!(answer.headers()["content-type"], media_type, "{path}");
    }
    let redirect = api.router.clone().oneshot(request("/ui")).await.unwrap();
    assert_eq!(redirect.headers()["location"], "/ui/");
    api.send(Method::GET, "/ui/../v1/jobs", None, None).await.problem(StatusCode::NOT_FOUND);
    api.send(Method::GET, "/ui/secret.js", None, None).await.problem(StatusCode::NOT_FOUND);
}
