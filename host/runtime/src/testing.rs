//! Where tests and benchmarks find what scripts/build-plugins built
//! (feature `testing`).

use std::path::PathBuf;

/// The workspace root.
pub fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The workspace's target directory (`CARGO_TARGET_DIR` if set).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"))
}

/// A built component, such as `kiln_testing_plugin.wasm`, or a panic that
/// says how to build it.
pub fn component(file: &str) -> PathBuf {
    let path = target_dir().join("wasm32-wasip2/release").join(file);
    assert!(path.exists(), "{} is missing: run scripts/build-plugins first", path.display());
    path
}

/// The plugin directory scripts/build-plugins fills with the built-in
/// plugins, one `<type>.wasm` each.
pub fn builtin_plugins() -> PathBuf {
    let dir = target_dir().join("release/plugins");
    assert!(dir.is_dir(), "{} is missing: run scripts/build-plugins first", dir.display());
    dir
}
