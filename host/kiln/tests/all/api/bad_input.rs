//! Bad requests get a clear problem+json, and nothing is queued or stored.

use serde_json::json;

use super::{Server, Stack, on_both_stacks, raw_http, xlsx_job};

on_both_stacks!(bad_requests_are_refused_with_problem_details_and_change_nothing);

async fn bad_requests_are_refused_with_problem_details_and_change_nothing(stack: Stack) {
    let server = Server::start(stack).await;
    let api_key = server.key("acme");
    let api = server.client(&api_key);
    let raw = |body: &'static str, content_type: &'static str| {
        api.send(
            api.request(reqwest::Method::POST, "/v1/jobs")
                .header("content-type", content_type)
                .body(body),
        )
    };

    let malformed = raw(r#"{"type": "xlsx", "#, "application/json").await.problem(400);
    assert!(malformed["detail"].as_str().unwrap().contains("not valid JSON"), "{malformed}");
    let wrong_type = raw(r#"{"type": "xlsx"}"#, "text/plain").await.problem(415);
    assert!(wrong_type["detail"].as_str().unwrap().contains("application/json"));
    // A body declared larger than the limit is refused from its headers,
    // before it is sent (so a client never has to upload it all).
    let (head, body) =
        raw_http(&server.base, &oversize_head(&server.base, &api_key, ""), b"").await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(head.to_ascii_lowercase().contains("content-type: application/problem+json"), "{head}");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&body).unwrap()["type"],
        "urn:kiln:problem:too-large"
    );

    // One that waits for `100 Continue` gets the 413 instead, and is let go
    // at once rather than waited for (it will send nothing).
    let started = std::time::Instant::now();
    let expect = oversize_head(&server.base, &api_key, "Expect: 100-continue\r\n");
    let (head, _) = raw_http(&server.base, &expect, b"").await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(started.elapsed() < std::time::Duration::from_millis(1500), "{:?}", started.elapsed());
    // One that sends its whole body before it reads (as many clients do) is
    // read to the end rather than cut off, and gets the problem too.
    let head = send_before_reading(&server.base, &oversize_head(&server.base, &api_key, "")).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");

    let mut unknown = xlsx_job("s");
    unknown["type"] = json!("docz");
    assert_eq!(api.post("/v1/jobs", &unknown).await.pointers(), ["/type"]);

    let missing = api.post("/v1/jobs", &json!({"type": "xlsx", "spec": {}})).await;
    assert!(missing.problem(422)["detail"].as_str().unwrap().contains("session_id"));
    let shape = api.post("/v1/jobs", &json!({"type": "xlsx", "session_id": 7, "spec": {}})).await;
    assert_eq!(shape.pointers(), ["/session_id"]);

    // Every violation at once, each with its pointer: the request's fields and the spec's.
    let mut several = xlsx_job("bad session!");
    several["spec"] = json!({"sheets": [{"name": "a/b", "rows": [[1]]}, {"rows": "no"}]});
    several["callback_url"] = json!("http://169.254.169.254/latest");
    several["display_name"] = json!("a/b");
    let pointers = api.post("/v1/jobs", &several).await.pointers();
    for expected in ["/session_id", "/display_name", "/callback_url"] {
        assert!(pointers.contains(&expected.to_owned()), "{pointers:?}");
    }
    assert!(pointers.iter().any(|pointer| pointer.starts_with("/spec/sheets/1")), "{pointers:?}");

    let mut too_much = xlsx_job("s");
    too_much["metadata"] = json!({"notes": "x".repeat(17 << 10)});
    use base64::Engine;
    let big = base64::engine::general_purpose::STANDARD.encode(vec![0u8; (1 << 20) + 1]);
    too_much["assets"] = json!([{"name": "big", "content_base64": big}]);
    assert_eq!(
        api.post("/v1/jobs", &too_much).await.pointers(),
        ["/assets/0/content_base64", "/metadata"]
    );

    let mut missing_asset = xlsx_job("s");
    missing_asset["assets"] = json!([{"name": "logo", "asset_id": uuid::Uuid::now_v7()}, {"name": "x", "content_base64": "@@@"}]);
    assert_eq!(
        api.post("/v1/jobs", &missing_asset).await.pointers(),
        ["/assets/0/asset_id", "/assets/1/content_base64"]
    );

    let bad_key = api
        .request(reqwest::Method::POST, "/v1/jobs")
        .header("content-type", "application/json")
        .header("idempotency-key", "");
    api.send(bad_key.body(serde_json::to_vec(&xlsx_job("s")).unwrap())).await.problem(400);
    api.post("/v1/jobs?wait=9999", &xlsx_job("s")).await.problem(400);
    api.get("/v1/jobs?status=paused").await.problem(400);
    api.get("/v1/jobs/not-a-uuid").await.problem(400);
    api.get("/v1/nothing-here").await.problem(404);
    api.delete("/v1/jobs").await.problem(405);

    // Nothing was queued, and no inline asset was stored (the built-in
    // plugins registered at start are the only blobs).
    assert_eq!(api.get("/v1/jobs").await.json()["jobs"], json!([]));
    let stored = walk(&server.dir().join("data/blobs/orgs"));
    assert!(stored.is_empty(), "files were stored: {stored:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    entries
        .flatten()
        .flat_map(
            |entry| if entry.path().is_dir() { walk(&entry.path()) } else { vec![entry.path()] },
        )
        .filter(|path| {
            !path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.'))
        })
        .collect()
}

/// The head of a job request whose body is over the limit, with `extra`
/// header lines.
fn oversize_head(base: &str, key: &str, extra: &str) -> String {
    let address = base.trim_start_matches("http://");
    format!(
        "POST /v1/jobs HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n",
        OVERSIZE
    )
}

const OVERSIZE: usize = 11 << 20;

/// Sends `head` and, once the server has surely answered, the whole body it
/// declares; then reads the answer's head.
async fn send_before_reading(base: &str, head: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream =
        tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    stream.write_all(&vec![b' '; OVERSIZE]).await.expect("the server reads the body it refused");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.expect("the answer arrives");
    String::from_utf8_lossy(&answer).split("\r\n\r\n").next().unwrap_or_default().to_owned()
}

on_both_stacks!(a_validate_over_its_configured_budget_is_refused_as_such);

/// `--validate-cpu-secs` bounds the plugin's `validate` on the request path,
/// and the answer says the check ran out of budget, not that the spec is wrong.
async fn a_validate_over_its_configured_budget_is_refused_as_such(stack: Stack) {
    let server = Server::start_with(stack, &[("KILN_VALIDATE_CPU_SECS", "0.3")]).await;
    let api = server.client(&server.key("acme"));
    let job = json!({"type": "testing", "session_id": "s", "spec": {"behaviour": "validate-loop"}});
    let started = std::time::Instant::now();
    let answer = api.post("/v1/jobs", &job).await;
    assert!(started.elapsed() < std::time::Duration::from_secs(3), "{:?}", started.elapsed());
    let problem = answer.problem(422);
    let violation = &problem["violations"][0];
    assert_eq!(violation["pointer"], "/spec");
    let message = violation["message"].as_str().unwrap();
    assert!(
        message.contains("could not finish") && message.contains("cpu time (300 ms)"),
        "{message}"
    );
    let listed = api.get("/v1/jobs").await.json();
    assert_eq!(listed["jobs"].as_array().map(Vec::len), Some(0), "nothing was queued: {listed}");
}
