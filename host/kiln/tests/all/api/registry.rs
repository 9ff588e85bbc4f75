//! The plugin registry: an outside author's plugin installed, upgraded and
//! rolled back on a running kiln, with no restart; uploads that must be
//! refused; activation reaching every server; tampered compiled code.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{Client, Server, Stack, raw_http};
use crate::cards::cards;
use crate::component;

/// Settings every registry test's server gets: room for the slow card.
const SETTINGS: &[(&str, &str)] = &[("KILN_CPU_SECS", "60"), ("KILN_WALL_SECS", "120")];

fn card_job(to: &str) -> Value {
    json!({"type": "card", "session_id": "cards", "spec": {"to": to, "lines": ["Hi"]}})
}

/// `kiln plugin <args>` against `server` with `key`; its stdout, or a panic
/// with its stderr.
fn cli(server: &Server, key: &str, args: &[&str]) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .arg("plugin")
        .args(args)
        .env("KILN_SERVER", &server.base)
        .env("KILN_ADMIN_KEY", key)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "kiln plugin {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

async fn upload(admin: &Client, wasm: &Path, activate: bool) -> super::Reply {
    let request = admin
        .request(reqwest::Method::POST, &format!("/v1/admin/plugins?activate={activate}"))
        .header("content-type", "application/wasm")
        .body(std::fs::read(wasm).unwrap());
    admin.send(request).await
}

async fn card_text(api: &Client, job: &Value) -> String {
    let url = job["artifacts"][0]["links"]["content"].as_str().unwrap();
    String::from_utf8(api.get(url).await.body).unwrap()
}

/// The version of `artifact_type` `/v1/plugins` lists, if any.
async fn listed_version(api: &Client, artifact_type: &str) -> Option<String> {
    let plugins = api.get("/v1/plugins").await.json();
    plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["type"] == artifact_type)
        .map(|p| p["version"].as_str().unwrap().to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plugin_is_installed_upgraded_under_a_running_job_and_rolled_back_without_a_restart() {
    let cards = tokio::task::spawn_blocking(cards).await.unwrap();
    let server = Server::start_with(Stack::Embedded, SETTINGS).await;
    let admin_key = server.admin_key("ops");
    let api = server.client(&server.key("acme"));
    assert_eq!(listed_version(&api, "card").await, None);

    let said = cli(&server, &admin_key, &["install", cards.v1.to_str().unwrap(), "--activate"]);
    assert!(
        said.contains("registered (every check passed)") && said.contains("serves card now"),
        "{said}"
    );
    let first = api.run(&card_job("Ada")).await;
    assert_eq!(first["state"], "succeeded", "{first}");
    assert_eq!(first["plugin"]["name"], "greeting-cards");
    assert_eq!(first["plugin"]["version"], "0.1.0");
    assert!(card_text(&api, &first).await.contains("With warm wishes"));

    // A slow job starts on 0.1.0; 0.2.0 is activated while it runs.
    let slow = api.post("/v1/jobs", &card_job("slow")).await.json();
    let slow_id = slow["id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while api.get(&format!("/v1/jobs/{slow_id}")).await.json()["progress"].is_null() {
        assert!(Instant::now() < deadline, "the slow job never reported progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let admin = server.client(&admin_key);
    let uploaded = upload(&admin, &cards.v2, true).await;
    assert_eq!(uploaded.status, 201, "{}", String::from_utf8_lossy(&uploaded.body));
    let uploaded = uploaded.json();
    assert_eq!(uploaded["plugin"]["version"], "0.2.0");
    assert_eq!(uploaded["plugin"]["serving"], true);
    let rules: Vec<&str> = uploaded["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"broken-specs") && rules.contains(&"example"), "{rules:?}");

    let second = api.run(&card_job("Grace")).await;
    assert_eq!(second["plugin"]["version"], "0.2.0", "{second}");
    assert!(card_text(&api, &second).await.contains("Warmest wishes"));
    let running = api.get(&format!("/v1/jobs/{slow_id}")).await.json();
    assert_eq!(running["state"], "running", "the slow job is still in flight: {running}");
    let slow = api.finished(&slow_id).await;
    assert_eq!(slow["state"], "succeeded", "{slow}");
    assert_eq!(slow["plugin"]["version"], "0.1.0", "the job in flight finished on its version");
    assert_eq!(slow["artifacts"][0]["plugin"], slow["plugin"], "its file records the version too");
    assert_eq!(second["artifacts"][0]["plugin"], second["plugin"]);
    assert!(card_text(&api, &slow).await.contains("With warm wishes"));

    let said = cli(&server, &admin_key, &["rollback", "card"]);
    assert!(said.contains("greeting-cards 0.1.0 serves card again"), "{said}");
    let third = api.run(&card_job("Edsger")).await;
    assert_eq!(third["plugin"]["version"], "0.1.0");
    assert_eq!(third["plugin"]["sha256"], first["plugin"]["sha256"]);

    let listed: Value =
        serde_json::from_str(&cli(&server, &admin_key, &["list", "--json"])).unwrap();
    let cards_listed: Vec<(String, bool)> = listed["versions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["type"] == "card")
        .map(|v| (v["version"].as_str().unwrap().to_owned(), v["serving"] == true))
        .collect();
    assert_eq!(cards_listed, [("0.1.0".to_owned(), true), ("0.2.0".to_owned(), false)]);
    let builtin =
        listed["versions"].as_array().unwrap().iter().find(|v| v["type"] == "xlsx").unwrap();
    assert_eq!(
        (builtin["builtin"].as_bool(), builtin["serving"].as_bool()),
        (Some(true), Some(true))
    );
    let said = cli(&server, &admin_key, &["activate", "greeting-cards", "0.2.0"]);
    assert!(said.contains("greeting-cards 0.2.0 serves card now"), "{said}");
    assert_eq!(listed_version(&api, "card").await.as_deref(), Some("0.2.0"));

    // Only admin keys reach the registry.
    let refused = api.get("/v1/admin/plugins").await;
    assert!(refused.problem(403)["detail"].as_str().unwrap().contains("admin key"));
    // (A small body: the 403 comes before the body is read.)
    let refused = api.request(reqwest::Method::POST, "/v1/admin/plugins").body("\0asm");
    api.send(refused).await.problem(403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_uploads_are_refused_at_their_rule_in_bounded_time_with_the_server_responsive() {
    let cards = tokio::task::spawn_blocking(cards).await.unwrap();
    let settings =
        [SETTINGS, &[("KILN_MAX_PLUGIN_MIB", "8"), ("KILN_PLUGIN_CHECK_SECS", "20")]].concat();
    let server = Server::start_with(Stack::Embedded, &settings).await;
    let admin_key = server.admin_key("ops");
    let admin = server.client(&admin_key);
    let before = admin.get("/v1/admin/plugins").await.json()["versions"].as_array().unwrap().len();

    // A loop of health checks runs beside the uploads.
    let done = Arc::new(AtomicBool::new(false));
    let probe = {
        let (base, done) = (server.base.clone(), done.clone());
        tokio::spawn(async move {
            let http = kiln_storage::testsuite::http();
            let mut slowest = Duration::ZERO;
            while !done.load(Ordering::Relaxed) {
                let started = Instant::now();
                let answer = http.get(format!("{base}/healthz")).send().await.unwrap();
                assert_eq!(answer.status(), 200);
                slowest = slowest.max(started.elapsed());
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            slowest
        })
    };

    let dir = tempfile::tempdir().unwrap();
    let not_wasm = dir.path().join("notes.wasm");
    std::fs::write(&not_wasm, "these are not WebAssembly bytes").unwrap();
    // The hello plugin, claiming a contract version this kiln does not speak.
    let other_contract = dir.path().join("other-contract.wasm");
    let mut hello = std::fs::read(component("kiln_plugin_hello.wasm")).unwrap();
    for interface in ["types", "host", "plugin"] {
        let ours = format!("kiln:generator/{interface}@{}", kiln_core::CONTRACT_VERSION);
        let theirs = format!("kiln:generator/{interface}@9.0.0");
        assert_eq!(ours.len(), theirs.len(), "same length, so the binary stays well-formed");
        hello = replace_all(&hello, ours.as_bytes(), theirs.as_bytes());
    }
    assert!(hello.windows(6).any(|w| w == b"@9.0.0"), "the hello plugin names its contract");
    std::fs::write(&other_contract, hello).unwrap();

    for (wasm, status, rule, says) in [
        (&not_wasm, 422, Some("contract"), "not a WebAssembly component"),
        (&other_contract, 422, Some("contract"), "9.0.0"),
        (&cards.broken_example, 422, Some("example"), "/lines"),
        (&cards.looping_info, 422, None, "info"),
    ] {
        let started = Instant::now();
        let reply = upload(&admin, wasm, true).await;
        let took = started.elapsed();
        let problem = reply.problem(status);
        let detail = problem["detail"].as_str().unwrap();
        let name = wasm.file_name().unwrap().to_string_lossy();
        if let Some(rule) = rule {
            assert_eq!(problem["rule"], rule, "{name}: {problem}");
        }
        if status == 422 {
            assert_eq!(problem["type"], "urn:kiln:problem:plugin-refused", "{name}: {problem}");
        }
        assert!(detail.contains(says), "{name}: {detail}");
        assert!(took < Duration::from_secs(25), "{name} took {took:?}");
        eprintln!("{name}: refused in {took:?}: {detail}");
    }
    // Too big: refused from its Content-Length before it is sent, or once
    // a body of unstated length passes the limit.
    let address = server.base.trim_start_matches("http://");
    let key = &admin_key;
    let post = |framing: &str| {
        format!(
            "POST /v1/admin/plugins HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {key}\r\n\
             Content-Type: application/wasm\r\n{framing}\r\nConnection: close\r\n\r\n"
        )
    };
    let (head, body) =
        raw_http(&server.base, &post(&format!("Content-Length: {}", 9 << 20)), b"").await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(body.contains("larger than the limit of 8 MiB"), "{body}");
    let size = (8 << 20) + 1;
    let mut chunked = format!("{size:x}\r\n").into_bytes();
    chunked.extend(std::iter::repeat_n(0u8, size));
    chunked.extend(b"\r\n0\r\n\r\n");
    let (head, body) = raw_http(&server.base, &post("Transfer-Encoding: chunked"), &chunked).await;
    assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    assert!(body.contains("larger than the limit of 8 MiB"), "{body}");

    done.store(true, Ordering::Relaxed);
    let slowest = probe.await.unwrap();
    assert!(slowest < Duration::from_secs(1), "a health check took {slowest:?} during the uploads");
    eprintln!("slowest health check during the uploads: {slowest:?}");
    let after = admin.get("/v1/admin/plugins").await.json()["versions"].as_array().unwrap().len();
    assert_eq!(after, before, "nothing was registered");
    assert_eq!(listed_version(&admin, "card").await, None);
}

fn replace_all(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = haystack.to_vec();
    let mut i = 0;
    while i + from.len() <= out.len() {
        if &out[i..i + from.len()] == from {
            out[i..i + from.len()].copy_from_slice(to);
            i += from.len();
        } else {
            i += 1;
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_postgres_serve_an_activation_within_five_seconds() {
    let cards = tokio::task::spawn_blocking(cards).await.unwrap();
    let first = Server::start_with(Stack::PostgresS3, SETTINGS).await;
    let second = first.beside().await;
    let admin = first.client(&first.admin_key("ops"));
    let api = second.client(&first.key("acme"));

    for (wasm, version) in [(&cards.v1, "0.1.0"), (&cards.v2, "0.2.0")] {
        let started = Instant::now();
        let reply = upload(&admin, wasm, true).await;
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
        let activated = Instant::now();
        while listed_version(&api, "card").await.as_deref() != Some(version) {
            assert!(
                activated.elapsed() < Duration::from_secs(5),
                "the second server still serves the old version"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!(
            "{version}: uploaded and checked in {:?}; the second server served it {:?} after activation",
            activated - started,
            activated.elapsed()
        );
    }
    // It runs there from the code the first server compiled.
    let job = api.run(&card_job("Barbara")).await;
    assert_eq!(job["plugin"]["version"], "0.2.0", "{job}");
    drop(second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tampered_compiled_code_in_the_blob_store_is_refused_and_compiled_again() {
    let cards = tokio::task::spawn_blocking(cards).await.unwrap();
    let mut server = Server::start_with(Stack::Embedded, SETTINGS).await;
    let admin_key = server.admin_key("ops");
    let admin = server.client(&admin_key);
    let uploaded = upload(&admin, &cards.v1, false).await.json();
    let sha256 = uploaded["plugin"]["sha256"].as_str().unwrap().to_owned();

    let compiled_dir = server.dir().join("data/blobs/plugins/compiled");
    let engine = std::fs::read_dir(&compiled_dir).unwrap().next().unwrap().unwrap().path();
    let compiled = engine.join(format!("{sha256}.cwasm"));
    let mut bytes = std::fs::read(&compiled).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    // A fresh process, so nothing is loaded yet, with its code tampered with.
    server.restart().await;
    std::fs::write(&compiled, &bytes).unwrap();

    let admin = server.client(&admin_key);
    let activated = admin.post("/v1/admin/plugins/greeting-cards/0.1.0/activate", &json!({})).await;
    assert_eq!(activated.status, 200, "{}", String::from_utf8_lossy(&activated.body));
    assert!(server.log().contains("does not match the hash kiln recorded"), "{}", server.log());
    let api = server.client(&server.key("acme"));
    let job = api.run(&card_job("Ada")).await;
    assert_eq!(job["state"], "succeeded", "{job}");
    assert_ne!(std::fs::read(&compiled).unwrap(), bytes, "the compiled code was written again");
}

/// A component that takes Cranelift seconds of CPU to compile: many
/// functions of long arithmetic over locals, each returning its result so
/// none of it is dead code.
fn slow_to_compile() -> Vec<u8> {
    const FUNCTIONS: usize = 200;
    const STEPS: usize = 4_000;
    const LOCALS: usize = 64;
    let locals = "i64 ".repeat(LOCALS);
    let mut module = String::new();
    for f in 0..FUNCTIONS {
        let mut body = String::with_capacity(STEPS * 60);
        for i in 0..STEPS {
            let (to, a, b) = (i % LOCALS, (i * 7 + f) % LOCALS, (i * 13 + 5) % LOCALS);
            body.push_str(&format!("(local.set {to} (i64.mul (local.get {a}) (i64.add (local.get {b}) (i64.const {i}))))"));
        }
        body.push_str("(local.get 0)");
        for i in 1..LOCALS {
            body.push_str(&format!("(i64.xor (local.get {i}))"));
        }
        module.push_str(&format!(r#"(func (export "f{f}") (result i64) (local {locals}) {body})"#));
    }
    let wat = format!("(component (core module $m {module}) (core instance (instantiate $m)))");
    wat::parse_str(wat).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_component_slow_or_hungry_to_compile_is_stopped_at_the_check_limits() {
    let dir = tempfile::tempdir().unwrap();
    let slow = dir.path().join("slow.wasm");
    std::fs::write(&slow, slow_to_compile()).unwrap();
    eprintln!("slow.wasm: {} bytes", std::fs::metadata(&slow).unwrap().len());
    for (settings, says) in [
        // Compiling takes seconds of CPU on two threads: the CPU limit
        // stops it first, the wall clock otherwise.
        (&[("KILN_PLUGIN_CHECK_SECS", "1")][..], "1s"),
        (&[("KILN_PLUGIN_CHECK_MIB", "48")][..], "more than 48 MiB of memory"),
    ] {
        let server = Server::start_with(Stack::Embedded, settings).await;
        let admin = server.client(&server.admin_key("ops"));
        let started = Instant::now();
        let reply = upload(&admin, &slow, true).await;
        let took = started.elapsed();
        eprintln!("{settings:?}: answered in {took:?}: {}", String::from_utf8_lossy(&reply.body));
        let problem = reply.problem(422);
        assert_eq!(problem["rule"], "limits", "{problem}");
        let detail = problem["detail"].as_str().unwrap();
        assert!(detail.contains("was stopped") && detail.contains(says), "{problem}");
        assert!(took < Duration::from_secs(5), "refused in {took:?}");
        assert!(
            admin.get("/v1/admin/plugins").await.json()["versions"]
                .as_array()
                .unwrap()
                .iter()
                .all(|v| v["type"] != "card")
        );
    }
}
