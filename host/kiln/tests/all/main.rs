//! The `kiln` binary, driven as a user or an operator would.

mod api;
mod crash;
mod run_job;

use std::path::{Path, PathBuf};

/// The workspace's target directory.
pub(crate) fn target_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
}

/// A plugin component built by scripts/build-plugins.
pub(crate) fn component(file: &str) -> PathBuf {
    let path = target_dir().join("wasm32-wasip2/release").join(file);
    assert!(path.exists(), "{} is missing: run scripts/build-plugins first", path.display());
    path
}
