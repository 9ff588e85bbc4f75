//! What the HTTP benches share: a `kiln serve` on the embedded default in a
//! temporary directory, with a key, and its resident memory.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `kiln serve` on a free loopback port; killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) base: String,
    pub(crate) key: String,
    pub(crate) client: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Server {
    /// Serves the plugins in `plugins` with no previews (they would run
    /// LibreOffice beside the load), plus the settings in `env`, which
    /// override these.
    pub(crate) async fn start(plugins: &Path, env: &[(&str, &str)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let base = format!("http://127.0.0.1:{port}");
        let mut settings = vec![
            ("KILN_DATA_DIR".to_owned(), dir.path().join("data").display().to_string()),
            ("KILN_PLUGIN_DIR".to_owned(), plugins.display().to_string()),
            ("KILN_LISTEN".to_owned(), format!("127.0.0.1:{port}")),
            ("KILN_NO_PREVIEWS".to_owned(), "true".to_owned()),
        ];
        settings.extend(env.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
        let key = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .args(["keys", "create", "--org", "bench"])
            .envs(settings.clone())
            .output()
            .unwrap()
            .stdout;
        let key = String::from_utf8(key).unwrap().trim().to_owned();
        let child = Command::new(env!("CARGO_BIN_EXE_kiln"))
            .arg("serve")
            .envs(settings)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("serve.log")).unwrap())
            .spawn()
            .unwrap();
        let mut server =
            Self { child, base, key, client: kiln_storage::testsuite::http(), _dir: dir };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            assert!(self.child.try_wait().unwrap().is_none(), "kiln serve exited");
            let ready = self.client.get(format!("{}/readyz", self.base)).send().await;
            if ready.is_ok_and(|reply| reply.status() == 200) {
                return;
            }
            assert!(Instant::now() < deadline, "kiln serve did not become ready");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Resident memory, KiB.
    pub(crate) fn rss_kib(&self) -> u64 {
        self.status("VmRSS:")
    }

    /// Threads the server runs.
    pub(crate) fn threads(&self) -> u64 {
        self.status("Threads:")
    }

    /// CPU time the server has used so far, user and system, in ms
    /// (`/proc/PID/stat`, which counts threads that have exited too). On a
    /// shared machine it moves less than throughput does: a neighbour slows
    /// the work, it does not add to it.
    pub(crate) fn cpu_ms(&self) -> (f64, f64) {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // utime and stime are the 12th and 13th fields after the command
        // name, which is in parentheses.
        let ticks: Vec<f64> = stat
            .rsplit_once(')')
            .unwrap()
            .1
            .split_whitespace()
            .skip(11)
            .take(2)
            .map(|field| field.parse().unwrap())
            .collect();
        let per_second = Command::new("getconf").arg("CLK_TCK").output().unwrap().stdout;
        let tick_ms =
            1000.0 / String::from_utf8(per_second).unwrap().trim().parse::<f64>().unwrap();
        (ticks[0] * tick_ms, ticks[1] * tick_ms)
    }

    /// A number from the server's `/proc/PID/status`, without its unit.
    pub(crate) fn status(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        let value = status.lines().find_map(|line| line.strip_prefix(field)).unwrap();
        value.trim().trim_end_matches(" kB").trim().parse().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// Prints the server's CPU time per job between two [`Server::cpu_ms`]
/// readings.
pub(crate) fn print_cpu_per_job(what: &str, before: (f64, f64), after: (f64, f64), jobs: u64) {
    let (user, system) = ((after.0 - before.0) / jobs as f64, (after.1 - before.1) / jobs as f64);
    println!(
        "    server CPU per {what}: {:.2} ms (user {user:.2}, system {system:.2})",
        user + system
    );
}
