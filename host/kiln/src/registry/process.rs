//! Checking and compiling an uploaded component in a child process under
//! limits ([`crate::limited`]), so a hostile upload may stall or exhaust
//! only a process that is killed for it.

use std::ffi::OsString;
use std::path::Path;

use tokio::process::Command;

use crate::limited::{self, ProcessLimits, Stopped};
use crate::plugin::check::CheckReport;

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
    command.args(args).env("KILN_CACHE_DIR", cache.path()).env("KILN_LOG", "warn");
    let output = limited::run(command, limits).await?;
    // `check` exits 1 when a rule fails, with its report on stdout.
    if output.status.success() || (output.status.code() == Some(1) && !output.stdout.is_empty()) {
        return Ok(output.stdout);
    }
    Err(limited::failure(&output))
}
