//! A plugin as an outside author makes one: scaffolded with `kiln plugin
//! new` and built for wasm32-wasip2, as it is and in variants the registry
//! tests upload (a new version, a slow one, broken ones). Built once per
//! test run, in a target dir of their own that is kept between runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

pub(crate) struct Cards {
    /// `kiln plugin new` as written (0.1.0).
    pub(crate) scaffolded: PathBuf,
    /// 0.1.0, with a spec `"to": "slow"` spinning for seconds, reporting progress.
    pub(crate) v1: PathBuf,
    /// 0.2.0: the same, signing off "Warmest wishes".
    pub(crate) v2: PathBuf,
    /// 0.3.0, whose own example fails its `validate`.
    pub(crate) broken_example: PathBuf,
    /// 0.4.0, whose `info` never returns.
    pub(crate) looping_info: PathBuf,
}

pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

fn target() -> PathBuf {
    workspace().join("target/scaffold")
}

/// Cargo in `crate_dir`, with the scaffolds' target dir (this test's cargo
/// holds the workspace's).
pub(crate) fn cargo(crate_dir: &Path, args: &[&str]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(args)
        .current_dir(crate_dir)
        .env("CARGO_TARGET_DIR", target())
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Runs `kiln plugin new greeting-cards --type card` into `dir`, with the
/// workspace's lock file so it builds with versions known to work.
pub(crate) fn scaffold(dir: &Path) {
    let created = Command::new(env!("CARGO_BIN_EXE_kiln"))
        .args(["plugin", "new", "greeting-cards", "--type", "card", "--dir"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
}

/// The built variants.
pub(crate) fn cards() -> &'static Cards {
    static CARDS: OnceLock<Cards> = OnceLock::new();
    CARDS.get_or_init(build)
}

fn build() -> Cards {
    let dir = target().join("crates/greeting-cards");
    let _ = std::fs::remove_dir_all(&dir);
    scaffold(&dir);
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    let source = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    let variant = |name: &str, version: &str, edits: &[(&str, &str)]| -> PathBuf {
        let mut lib = source.clone();
        for (from, to) in edits {
            assert!(lib.contains(from), "the scaffold no longer has {from:?}");
            lib = lib.replacen(from, to, 1);
        }
        std::fs::write(dir.join("src/lib.rs"), lib).unwrap();
        let manifest =
            manifest.replacen("version = \"0.1.0\"", &format!("version = \"{version}\""), 1);
        std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
        cargo(&dir, &["build", "--release", "--target", "wasm32-wasip2", "--quiet"]);
        let built = target().join("wasm32-wasip2/release/greeting_cards.wasm");
        let kept = target().join(format!("greeting-cards-{name}.wasm"));
        std::fs::copy(built, &kept).unwrap();
        kept
    };
    const GENERATE: &str = "let mut file = host.create_file(\"card.md\", \"text/markdown\")?;";
    const SLOW: &str = "if spec.to == \"slow\" {
            let mut x = 0u64;
            for round in 0..40 {
                for i in 0..50_000_000u64 {
                    x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(i));
                }
                host.progress(round + 1, 40, \"spinning\");
            }
            host.log(Level::Debug, &format!(\"spun to {x}\"));
        }
        let mut file = host.create_file(\"card.md\", \"text/markdown\")?;";
    let scaffolded = variant("scaffolded", "0.1.0", &[]);
    let v1 = variant("v1", "0.1.0", &[(GENERATE, SLOW)]);
    let v2 = variant(
        "v2",
        "0.2.0",
        &[(GENERATE, SLOW), ("=> \"With warm wishes\"", "=> \"Warmest wishes\"")],
    );
    let broken_example = variant(
        "broken-example",
        "0.3.0",
        &[(r#""lines": ["Happy birthday!", "Here's to the next engine."]"#, r#""lines": []"#)],
    );
    let looping_info = variant(
        "looping-info",
        "0.4.0",
        &[(
            "fn info() -> Info {",
            "fn info() -> Info {\n        while std::hint::black_box(true) {}",
        )],
    );
    Cards { scaffolded, v1, v2, broken_example, looping_info }
}
