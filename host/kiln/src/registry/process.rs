//! Checking and compiling an uploaded component in a child process under
//! limits: wasmtime does not treat a denial of service during compilation
//! as a security boundary, so a hostile upload may stall or exhaust only a
//! process that is killed for it.

use std::ffi::OsString;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::Command;

use crate::plugin::check::CheckReport;

/// What a checking or compiling process may use.
#[derive(Debug, Clone)]
pub(crate) struct ProcessLimits {
    /// Wall-clock time, after which the process is killed.
    pub(crate) wall: Duration,
    /// CPU time (the kernel's RLIMIT_CPU), across all its threads.
    pub(crate) cpu: Duration,
    /// Writable memory it may map (the kernel's RLIMIT_DATA): the
    /// compiler's heap and the sandboxes' memories, not address space that
    /// is merely reserved.
    pub(crate) memory_bytes: u64,
}

/// Why a process gave no answer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Stopped {
    #[error("it took longer than {0:?} and was stopped")]
    WallClock(Duration),
    #[error("it used more than {0:?} of CPU time and was stopped")]
    Cpu(Duration),
    #[error("it needed more than {} MiB of memory and was stopped", .0 >> 20)]
    Memory(u64),
    #[error("it failed: {0}")]
    Failed(String),
}

/// Runs `kiln plugin check` on `wasm`, writing the compiled code to
/// `compiled`; the report says which rules passed.
pub(crate) async fn check(
    wasm: &Path,
    compiled: &Path,
    limits: &ProcessLimits,
) -> Result<CheckReport, Stopped> {
    let mut args = vec!["plugin".into(), "check".into(), "--json".into(), "--compiled-out".into()];
    args.extend([compiled.into(), wasm.into()]);
    let stdout = run(args, limits).await?;
    serde_json::from_slice(&stdout)
        .map_err(|err| Stopped::Failed(format!("its report is not readable: {err}")))
}

/// Runs `kiln plugin compile` on `wasm`, writing the compiled code to `compiled`.
pub(crate) async fn compile(
    wasm: &Path,
    compiled: &Path,
    limits: &ProcessLimits,
) -> Result<(), Stopped> {
    run(vec!["plugin".into(), "compile".into(), wasm.into(), compiled.into()], limits)
        .await
        .map(drop)
}

/// The signal the kernel sends at RLIMIT_CPU.
const SIGXCPU: i32 = 24;

/// Runs this kiln executable with `args` under `limits`, returning its
/// standard output.
async fn run(args: Vec<OsString>, limits: &ProcessLimits) -> Result<Vec<u8>, Stopped> {
    let exe = std::env::current_exe()
        .map_err(|err| Stopped::Failed(format!("cannot find the kiln executable: {err}")))?;
    // A compile cache of its own, removed after: nothing it writes is read
    // by anyone else.
    let cache = tempfile::Builder::new()
        .prefix("kiln-check-")
        .tempdir()
        .map_err(|err| Stopped::Failed(format!("cannot make its cache directory: {err}")))?;
    let mut command = Command::new(exe);
    command
        .args(args)
        .env("KILN_CACHE_DIR", cache.path())
        .env("KILN_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let (cpu, memory) = (limits.cpu.as_secs().max(1), limits.memory_bytes);
    // SAFETY: between fork and exec the closure only calls setrlimit, which
    // is async-signal-safe and allocates nothing.
    #[allow(unsafe_code)]
    unsafe {
        command.pre_exec(move || {
            use rustix::process::{Resource, Rlimit, setrlimit};
            // The soft CPU limit sends SIGXCPU (named in the answer); the
            // hard one, a second later, SIGKILL for a process that ignores it.
            setrlimit(Resource::Cpu, Rlimit { current: Some(cpu), maximum: Some(cpu + 1) })?;
            setrlimit(Resource::Data, Rlimit { current: Some(memory), maximum: Some(memory) })?;
            Ok(())
        });
    }
    let child =
        command.spawn().map_err(|err| Stopped::Failed(format!("cannot start it: {err}")))?;
    let output = match tokio::time::timeout(limits.wall, child.wait_with_output()).await {
        // Dropping the future kills the child.
        Err(_) => return Err(Stopped::WallClock(limits.wall)),
        Ok(Err(err)) => return Err(Stopped::Failed(err.to_string())),
        Ok(Ok(output)) => output,
    };
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.signal() == Some(SIGXCPU) {
        return Err(Stopped::Cpu(limits.cpu));
    }
    if stderr.contains("memory allocation of") || stderr.contains("Cannot allocate memory") {
        return Err(Stopped::Memory(limits.memory_bytes));
    }
    // `check` exits 1 when a rule fails, with its report on stdout.
    if output.status.success() || (output.status.code() == Some(1) && !output.stdout.is_empty()) {
        return Ok(output.stdout);
    }
    let last = stderr.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("no message");
    Err(Stopped::Failed(format!("{} ({last})", output.status)))
}
