//! Work kiln does not trust to its own process, run in a child under
//! limits: checking and compiling uploaded plugins (wasmtime does not treat
//! a denial of service during compilation as a security boundary) and
//! converting generated files with LibreOffice for previews.

use std::os::unix::process::ExitStatusExt;
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::process::Command;

/// What a child process may use.
#[derive(Debug, Clone)]
pub(crate) struct ProcessLimits {
    /// Wall-clock time, after which the process and its children are killed.
    pub(crate) wall: Duration,
    /// CPU time (the kernel's RLIMIT_CPU), across all its threads.
    pub(crate) cpu: Duration,
    /// Writable memory it may map (the kernel's RLIMIT_DATA): its heap,
    /// not address space that is merely reserved.
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

/// The signal the kernel sends at RLIMIT_CPU.
const SIGXCPU: i32 = 24;

/// Runs `command` under `limits`, in a process group of its own so that
/// the children it starts are killed with it. Its output is returned
/// whatever its exit status; only a limit it hit is an error.
pub(crate) async fn run(mut command: Command, limits: &ProcessLimits) -> Result<Output, Stopped> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
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
    let group = child.id().and_then(|id| rustix::process::Pid::from_raw(id as i32));
    let output = match tokio::time::timeout(limits.wall, child.wait_with_output()).await {
        Err(_) => {
            if let Some(group) = group {
                let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
            }
            return Err(Stopped::WallClock(limits.wall));
        }
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
    Ok(output)
}

/// The last line a failed process wrote to stderr, with its status.
pub(crate) fn failure(output: &Output) -> Stopped {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let last = stderr.lines().rev().find(|line| !line.trim().is_empty()).unwrap_or("no message");
    Stopped::Failed(format!("{} ({last})", output.status))
}
