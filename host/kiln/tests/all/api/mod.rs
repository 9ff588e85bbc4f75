//! The HTTP API over real HTTP: a `kiln serve` process on a loopback port,
//! on both stacks (SQLite + local disk, PostgreSQL + an S3 server), driven
//! with a plain HTTP client.

mod bad_input;
mod builtin;
mod chat_model;
mod events;
mod files;
mod jobs;
mod mcp;
mod openapi;
mod playground;
mod previews;
mod registry;
mod tenancy;
mod webhooks;

use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kiln_queue::testsuite::TestDatabase;
use kiln_storage::testsuite::{ACCESS_KEY, BUCKET, S3sServer, SECRET_KEY, http};
use serde_json::{Value, json};

use crate::component;

/// Which backends a server runs on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stack {
    /// The embedded default: SQLite and local disk.
    Embedded,
    /// Production's: PostgreSQL and S3 (s3s-fs).
    PostgresS3,
}

/// Runs a check once per stack, as `<check>::embedded` and `<check>::postgres_s3`.
macro_rules! on_both_stacks {
    ($($check:ident),* $(,)?) => {$(
        mod $check {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn embedded() {
                super::$check($crate::api::Stack::Embedded).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_s3() {
                super::$check($crate::api::Stack::PostgresS3).await;
            }
        }
    )*};
}
pub(crate) use on_both_stacks;

/// A running `kiln serve`, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    env: Vec<(String, String)>,
    dir: tempfile::TempDir,
    _database: Option<TestDatabase>,
    _s3: Option<S3sServer>,
}

impl Server {
    pub(crate) async fn start(stack: Stack) -> Self {
        Self::start_with(stack, &[]).await
    }

    /// Starts a server with extra `KILN_*` settings.
    pub(crate) async fn start_with(stack: Stack, settings: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let plugins = dir.path().join("plugins");
        std::fs::create_dir_all(&plugins).unwrap();
        std::fs::copy(component("kiln_plugin_xlsx.wasm"), plugins.join("xlsx.wasm")).unwrap();
        std::fs::copy(component("kiln_testing_plugin.wasm"), plugins.join("testing.wasm")).unwrap();
        std::fs::copy(component("kiln_plugin_hello.wasm"), plugins.join("hello.wasm")).unwrap();
        Self::start_in(stack, dir, &plugins, settings).await
    }

    /// Starts a server with the built-in plugins, as `scripts/run` ships them.
    pub(crate) async fn start_builtin(stack: Stack) -> Self {
        let plugins = kiln_runtime::testing::builtin_plugins();
        Self::start_in(stack, tempfile::tempdir().unwrap(), &plugins, &[]).await
    }

    async fn start_in(
        stack: Stack,
        dir: tempfile::TempDir,
        plugins: &std::path::Path,
        settings: &[(&str, &str)],
    ) -> Self {
        let mut env: Vec<(String, String)> = vec![
            ("KILN_DATA_DIR".into(), dir.path().join("data").display().to_string()),
            ("KILN_PLUGIN_DIR".into(), plugins.display().to_string()),
            (
                "KILN_CACHE_DIR".into(),
                std::env::temp_dir().join("kiln-test-cache").display().to_string(),
            ),
            ("KILN_POLL_MS".into(), "100".into()),
            ("KILN_WORKER_CONCURRENCY".into(), "2".into()),
            ("KILN_LOG".into(), "info".into()),
        ];
        let (database, s3) = match stack {
            Stack::Embedded => (None, None),
            Stack::PostgresS3 => {
                let database = TestDatabase::postgres().await;
                let s3 = S3sServer::start();
                env.extend([
                    ("KILN_DATABASE_URL".into(), database.url.clone()),
                    ("KILN_S3_BUCKET".into(), BUCKET.into()),
                    ("KILN_S3_ENDPOINT".into(), s3.endpoint.clone()),
                    ("KILN_S3_PATH_STYLE".into(), "true".into()),
                    ("KILN_S3_ACCESS_KEY_ID".into(), ACCESS_KEY.into()),
                    ("KILN_S3_SECRET_ACCESS_KEY".into(), SECRET_KEY.into()),
                ]);
                (Some(database), Some(s3))
            }
        };
        env.extend(settings.iter().map(|(name, value)| (name.to_string(), value.to_string())));
        let (child, base) = spawn(&env, &dir.path().join("serve.log")).await;
        Self { child, base, env, dir, _database: database, _s3: s3 }
    }

    /// Another `kiln serve` on the same database, storage and data
    /// directory (its log in a directory of its own); stop it before this one.
    pub(crate) async fn beside(&self) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (child, base) = spawn(&self.env, &dir.path().join("serve.log")).await;
        Self { child, base, env: self.env.clone(), dir, _database: None, _s3: None }
    }

    /// Stops the server and starts it again on the same state.
    pub(crate) async fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let (child, base) = spawn(&self.env, &self.dir.path().join("serve.log")).await;
        (self.child, self.base) = (child, base);
    }

    /// A new API key for `org` (created if new), made as an operator would.
    pub(crate) fn key(&self, org: &str) -> String {
        self.key_with(org, &[])
    }

    pub(crate) fn admin_key(&self, org: &str) -> String {
        self.key_with(org, &["--admin"])
    }

    fn key_with(&self, org: &str, flags: &[&str]) -> String {
        let output = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["keys", "create", "--org", org])
            .args(flags)
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "kiln keys create: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// A client acting with `key`.
    pub(crate) fn client(&self, key: &str) -> Client {
        Client { http: http(), base: self.base.clone(), key: Some(key.to_owned()) }
    }

    pub(crate) fn anonymous(&self) -> Client {
        Client { http: http(), base: self.base.clone(), key: None }
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    pub(crate) fn dir(&self) -> &std::path::Path {
        self.dir.path()
    }
}

/// Starts `kiln serve` with `env` on a free port, logging to `log`.
async fn spawn(env: &[(String, String)], log: &Path) -> (Child, String) {
    // A free port can be taken before kiln binds it: retry then.
    for _ in 0..5 {
        let port =
            TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .arg("serve")
            .env("KILN_LISTEN", format!("127.0.0.1:{port}"))
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::OpenOptions::new().create(true).append(true).open(log).unwrap())
            .spawn()
            .expect("kiln serve starts");
        if ready(&mut child, &base).await {
            return (child, base);
        }
        let _ = child.kill();
        let _ = child.wait();
        let text = std::fs::read_to_string(log).unwrap_or_default();
        assert!(text.contains("cannot listen"), "kiln serve did not start:\n{text}");
    }
    panic!("kiln serve found no free port");
}

/// Sends `head` and `body` as they are over a new connection and returns the
/// answer's head and body. Writes the server cut short (it may answer before
/// reading everything) are not errors: the answer is what is checked.
pub(crate) async fn raw_http(base: &str, head: &str, body: &[u8]) -> (String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut stream =
        tokio::net::TcpStream::connect(base.trim_start_matches("http://")).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    let _ = stream.write_all(body).await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap_or((&answer, ""));
    (head.to_owned(), body.to_owned())
}

/// Waits until the server answers `/readyz`; false if it exits or hangs.
async fn ready(child: &mut Child, base: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if let Ok(response) = http().get(format!("{base}/readyz")).send().await
            && response.status() == 200
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    false
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client with (or without) an API key.
pub(crate) struct Client {
    pub(crate) http: reqwest::Client,
    pub(crate) base: String,
    key: Option<String>,
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Reply {
    pub(crate) status: u16,
    pub(crate) headers: reqwest::header::HeaderMap,
    pub(crate) body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|err| {
            panic!("not JSON ({err}): {}", String::from_utf8_lossy(&self.body))
        })
    }

    pub(crate) fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(|value| value.to_str().unwrap()).unwrap_or("")
    }

    /// Asserts a problem+json answer with `status` and returns it.
    pub(crate) fn problem(&self, status: u16) -> Value {
        assert_eq!(self.status, status, "{}", String::from_utf8_lossy(&self.body));
        assert_eq!(self.header("content-type"), "application/problem+json");
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert!(problem["type"].as_str().unwrap().starts_with("urn:kiln:problem:"), "{problem}");
        assert!(!problem["detail"].as_str().unwrap().is_empty());
        assert_eq!(
            problem["request_id"],
            self.header("x-request-id"),
            "a problem names its request"
        );
        problem
    }

    /// The JSON pointers a 422 problem lists.
    pub(crate) fn pointers(&self) -> Vec<String> {
        self.problem(422)["violations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|violation| violation["pointer"].as_str().unwrap().to_owned())
            .collect()
    }
}

impl Client {
    pub(crate) fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let url =
            if path.starts_with("http") { path.to_owned() } else { format!("{}{path}", self.base) };
        let request = self.http.request(method, url);
        match &self.key {
            Some(key) => request.bearer_auth(key),
            None => request,
        }
    }

    pub(crate) async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        let response = request.send().await.expect("kiln answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.bytes().await.expect("the body arrives").to_vec();
        Reply { status, headers, body }
    }

    pub(crate) async fn get(&self, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::GET, path)).await
    }

    pub(crate) async fn delete(&self, path: &str) -> Reply {
        self.send(self.request(reqwest::Method::DELETE, path)).await
    }

    pub(crate) async fn post(&self, path: &str, body: &Value) -> Reply {
        let request = self
            .request(reqwest::Method::POST, path)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(body).unwrap());
        self.send(request).await
    }

    /// Creates a job and waits for it to finish; returns the finished job.
    pub(crate) async fn run(&self, body: &Value) -> Value {
        let reply = self.post("/v1/jobs?wait=30", body).await;
        assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
        reply.json()
    }

    /// Polls a job until it is finished.
    pub(crate) async fn finished(&self, id: &str) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let job = self.get(&format!("/v1/jobs/{id}")).await.json();
            if ["succeeded", "failed", "canceled"].contains(&job["state"].as_str().unwrap()) {
                return job;
            }
            assert!(Instant::now() < deadline, "job {id} did not finish: {job}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// A small valid spreadsheet request.
pub(crate) fn xlsx_job(session: &str) -> Value {
    json!({
        "type": "xlsx",
        "session_id": session,
        "spec": {"sheets": [{"name": "Q1", "rows": [["Region", "Sales"], ["North", 1200], ["South", 950]]}]},
    })
}

/// Asserts that openpyxl reads back from `file` the sheet [`xlsx_job`] asks for.
pub(crate) fn assert_openpyxl_reads_xlsx_job(file: &Path) {
    let output = std::process::Command::new(python())
        .args(["-c", "import sys, openpyxl; ws = openpyxl.load_workbook(sys.argv[1])['Q1']; print([[c.value for c in r] for r in ws.iter_rows()])"])
        .arg(file)
        .output()
        .expect("python with openpyxl (scripts/test installs it into .venv)");
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "[['Region', 'Sales'], ['North', 1200], ['South', 950]]"
    );
}

/// A job of the testing plugin.
pub(crate) fn testing_job(session: &str, spec: Value) -> Value {
    json!({"type": "testing", "session_id": session, "spec": spec})
}

/// Runs a script from `tests/` with the test Python: whether it succeeded,
/// and all it printed. `needs` says what scripts/test installs for it.
pub(crate) fn run_python(
    script: &str,
    args: &[&dyn AsRef<std::ffi::OsStr>],
    needs: &str,
) -> (bool, String) {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests").join(script);
    let output = Command::new(python())
        .arg(&script)
        .args(args.iter().map(|arg| arg.as_ref()))
        .output()
        .unwrap_or_else(|err| {
            panic!("cannot run {} ({err}): scripts/test installs {needs}", python().display())
        });
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), report)
}

/// The Python with the file readers (scripts/test makes it).
pub(crate) fn python() -> PathBuf {
    std::env::var_os("KILN_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python"))
}
