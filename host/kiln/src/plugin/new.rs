//! `kiln plugin new`: a plugin crate on the SDK that builds for
//! wasm32-wasip2 and passes `kiln plugin check` as written.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Args;

#[derive(Args)]
pub(crate) struct NewArgs {
    /// The crate and plugin name: lower-case letters, digits and `-`,
    /// starting with a letter (e.g. `greeting-cards`).
    name: String,
    /// The artifact type it generates [default: the name].
    #[arg(long = "type", value_name = "ARTIFACT_TYPE")]
    artifact_type: Option<String>,
    /// Where to create the crate (missing or empty) [default: ./NAME].
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The SDK to depend on: a path to its crate, or a crates.io version
    /// [default: the SDK source this kiln was built from, if it is on this
    /// machine; otherwise this kiln's version].
    #[arg(long, value_name = "PATH|VERSION")]
    sdk: Option<String>,
}

/// The files of a new plugin, as (path in the crate, template).
const FILES: [(&str, &str); 5] = [
    ("Cargo.toml", include_str!("template/Cargo.toml.in")),
    ("src/lib.rs", include_str!("template/lib.rs.in")),
    ("README.md", include_str!("template/README.md.in")),
    (".cargo/config.toml", include_str!("template/cargo-config.toml")),
    (".gitignore", include_str!("template/gitignore")),
];

pub(crate) fn scaffold(args: NewArgs) -> anyhow::Result<()> {
    check_name("name", &args.name)?;
    let artifact_type = args.artifact_type.unwrap_or_else(|| args.name.clone());
    check_name("--type", &artifact_type)?;
    let dir = args.dir.unwrap_or_else(|| PathBuf::from(&args.name));
    if std::fs::read_dir(&dir).is_ok_and(|mut entries| entries.next().is_some()) {
        bail!("{} already exists and is not empty; pass another --dir", dir.display());
    }
    let sdk = sdk_dependency(args.sdk.as_deref())?;
    let crate_name = args.name.replace('-', "_");
    let fill = |template: &str| {
        template
            .replace("{{name}}", &args.name)
            .replace("{{crate}}", &crate_name)
            .replace("{{type}}", &artifact_type)
            .replace("{{sdk}}", &sdk)
            .replace("{{contract}}", kiln_core::CONTRACT_VERSION)
    };
    // Written beside the target and renamed into place: a failure leaves
    // no half-made crate.
    let parent = match dir.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent)
        .with_context(|| format!("cannot create {}", parent.display()))?;
    let staging = tempfile::Builder::new()
        .prefix(".kiln-new-")
        .tempdir_in(&parent)
        .with_context(|| format!("cannot write to {}", parent.display()))?;
    for (path, template) in FILES {
        let target = staging.path().join(path);
        std::fs::create_dir_all(target.parent().expect("files are in the crate"))?;
        std::fs::write(&target, fill(template))?;
    }
    if dir.exists() {
        std::fs::remove_dir(&dir).with_context(|| format!("cannot replace {}", dir.display()))?;
    }
    std::fs::rename(staging.keep(), &dir)
        .with_context(|| format!("cannot create {}", dir.display()))?;
    println!("created {} (plugin `{}`, artifact type `{artifact_type}`)", dir.display(), args.name);
    println!("  cd {}", dir.display());
    println!("  cargo test                                     # native tests");
    println!("  cargo build --release --target wasm32-wasip2");
    println!("  kiln plugin check target/wasm32-wasip2/release/{crate_name}.wasm");
    Ok(())
}

fn check_name(what: &str, name: &str) -> anyhow::Result<()> {
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.len() <= 64
        && !name.ends_with('-');
    if !valid {
        bail!(
            "{what} `{name}` is not usable: use 1 to 64 lower-case letters, digits and `-`, starting with a letter (e.g. `greeting-cards`)"
        );
    }
    Ok(())
}

/// The `kiln-plugin-sdk = ...` value of the new crate's Cargo.toml.
fn sdk_dependency(sdk: Option<&str>) -> anyhow::Result<String> {
    let version = |v: &str| format!("{{ version = {} }}", toml_string(v));
    let path = |p: &Path| -> anyhow::Result<String> {
        let p = p
            .canonicalize()
            .with_context(|| format!("--sdk {}: no SDK crate there", p.display()))?;
        if !p.join("Cargo.toml").is_file() {
            bail!("--sdk {}: no Cargo.toml there; pass the SDK crate's directory", p.display());
        }
        Ok(format!("{{ path = {} }}", toml_string(&p.to_string_lossy())))
    };
    match sdk {
        Some(v) if v.starts_with(|c: char| c.is_ascii_digit()) => Ok(version(v)),
        Some(p) => path(Path::new(p)),
        None => {
            let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/sdk");
            if built_from.join("Cargo.toml").is_file() {
                path(&built_from)
            } else {
                Ok(version(env!("CARGO_PKG_VERSION")))
            }
        }
    }
}

/// A TOML basic string: JSON's string escapes are all valid TOML.
fn toml_string(text: &str) -> String {
    serde_json::Value::from(text).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_the_sdk_is_a_path_or_a_version() {
        for good in ["cards", "greeting-cards", "x2"] {
            assert!(check_name("name", good).is_ok(), "{good}");
        }
        for bad in ["", "Cards", "2cards", "cards-", "my_cards", "a b"] {
            let err = check_name("name", bad).unwrap_err().to_string();
            assert!(err.contains("lower-case letters"), "{bad}: {err}");
        }
        assert_eq!(sdk_dependency(Some("0.1.0")).unwrap(), r#"{ version = "0.1.0" }"#);
        let dir = tempfile::tempdir().unwrap();
        let err = sdk_dependency(Some(dir.path().to_str().unwrap())).unwrap_err().to_string();
        assert!(err.contains("no Cargo.toml"), "{err}");
    }
}
