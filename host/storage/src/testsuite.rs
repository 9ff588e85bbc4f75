//! Test support (feature `testsuite`): an s3s-fs server on a free loopback
//! port, killed when dropped, for tests of anything that stores in S3.
//!
//! The binary comes from `KILN_TEST_S3S_FS` or `<repo>/.tools/bin/s3s-fs`
//! (installed by `scripts/install-s3s-fs`). A missing binary fails the test:
//! the S3 backend is never silently left untested.

use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::S3Config;

pub const ACCESS_KEY: &str = "kiln-test-access-key";
pub const SECRET_KEY: &str = "kiln-test-secret-key";
pub const BUCKET: &str = "kiln-test";

/// A plain HTTP client for tests. reqwest is built with rustls and no
/// default crypto provider (kiln's webhooks choose ring, as the S3 client
/// does), so this installs ring first.
pub fn http() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

pub struct S3sServer {
    child: Option<Child>,
    port: u16,
    pub endpoint: String,
    /// The server's data directory: one subdirectory per bucket.
    pub data: tempfile::TempDir,
}

fn binary() -> PathBuf {
    let path = match std::env::var_os("KILN_TEST_S3S_FS") {
        Some(path) => PathBuf::from(path),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.tools/bin/s3s-fs"),
    };
    assert!(
        path.is_file(),
        "the S3 tests need s3s-fs, not found at {}: run scripts/install-s3s-fs (or set KILN_TEST_S3S_FS)",
        path.display()
    );
    path
}

/// Starts s3s-fs on `port` over `data`; `None` if it exits before it
/// listens (the port was taken).
fn spawn(port: u16, data: &std::path::Path) -> Option<Child> {
    let binary = binary();
    let log =
        std::fs::File::options().create(true).append(true).open(data.join("s3s-fs.log")).unwrap();
    let mut child = Command::new(&binary)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
        .arg(data)
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap_or_else(|e| panic!("could not start {}: {e}", binary.display()));
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Some(child);
        }
        if child.try_wait().unwrap().is_some() || Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

impl S3sServer {
    /// Starts a server with the bucket [`BUCKET`] already there.
    pub fn start() -> Self {
        let data = tempfile::tempdir().unwrap();
        std::fs::create_dir(data.path().join(BUCKET)).unwrap();
        // The port is free when picked; another process could take it before
        // s3s-fs binds it, so a server that exits early is retried.
        for _ in 0..5 {
            let port =
                TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap().local_addr().unwrap().port();
            if let Some(child) = spawn(port, data.path()) {
                let endpoint = format!("http://127.0.0.1:{port}");
                return Self { child: Some(child), port, endpoint, data };
            }
        }
        panic!("s3s-fs did not start listening:\n{}", self::log(data.path()));
    }

    /// Stops the server, keeping its data: an outage.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts a stopped server again, on the same port and data.
    pub fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is running");
        let child = spawn(self.port, self.data.path());
        self.child =
            Some(child.unwrap_or_else(|| {
                panic!("s3s-fs did not listen again:\n{}", log(self.data.path()))
            }));
    }

    pub fn config(&self) -> S3Config {
        S3Config {
            bucket: BUCKET.into(),
            region: "us-east-1".into(),
            endpoint_url: Some(self.endpoint.clone()),
            force_path_style: true,
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(SECRET_KEY.into()),
            prefix: None,
        }
    }
}

fn log(data: &std::path::Path) -> String {
    std::fs::read_to_string(data.join("s3s-fs.log")).unwrap_or_default()
}

impl Drop for S3sServer {
    fn drop(&mut self) {
        self.stop();
    }
}
