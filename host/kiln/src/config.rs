//! The optional config file (`--config FILE` or `KILN_CONFIG`): TOML whose
//! keys are the `KILN_*` settings without the prefix, in lower case, e.g.
//!
//! ```toml
//! database_url = "postgres://kiln@db/kiln"
//! listen = "0.0.0.0:8080"
//! webhook_allow = ["hooks.example.com"]
//! ```
//!
//! A value from the file is the setting's default: the environment and
//! flags override it.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::Command;

/// Applies the config file named on the command line or by `KILN_CONFIG`,
/// if any, to `command`'s defaults.
pub(crate) fn apply(command: Command, args: &[OsString]) -> anyhow::Result<Command> {
    let Some(path) = config_path(args) else { return Ok(command) };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the config file {}", path.display()))?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
        let items = match value {
            toml::Value::Array(items) => items.into_iter().map(scalar).collect::<Option<Vec<_>>>(),
            other => scalar(other).map(|item| vec![item]),
        }
        .with_context(|| {
            format!("{}: {key} must be a string, number, boolean or a list of them", path.display())
        })?;
        values.insert(format!("KILN_{}", key.to_ascii_uppercase().replace('-', "_")), items);
    }
    let mut known = BTreeSet::new();
    let command = set_defaults(command, &values, &mut known);
    let unknown: Vec<_> = values.keys().filter(|env| !known.contains(*env)).collect();
    if !unknown.is_empty() {
        let names = |envs: &mut dyn Iterator<Item = &String>| {
            envs.map(|env| env.trim_start_matches("KILN_").to_ascii_lowercase())
                .collect::<Vec<_>>()
                .join(", ")
        };
        bail!(
            "{}: unknown setting(s) {}; settings are: {}",
            path.display(),
            names(&mut unknown.into_iter()),
            names(&mut known.iter().filter(|env| *env != "KILN_CONFIG"))
        );
    }
    Ok(command)
}

fn config_path(args: &[OsString]) -> Option<PathBuf> {
    let mut args = args.iter().skip(1);
    while let Some(arg) = args.next() {
        let arg = arg.to_string_lossy();
        if arg == "--config" {
            return args.next().map(PathBuf::from);
        }
        if let Some(path) = arg.strip_prefix("--config=") {
            return Some(PathBuf::from(path));
        }
    }
    std::env::var_os("KILN_CONFIG").map(PathBuf::from)
}

fn scalar(value: toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => Some(text),
        toml::Value::Integer(number) => Some(number.to_string()),
        toml::Value::Float(number) => Some(number.to_string()),
        toml::Value::Boolean(flag) => Some(flag.to_string()),
        _ => None,
    }
}

/// Sets the default of every argument whose env var the file sets, in
/// `command` and its subcommands, and collects every env var seen.
fn set_defaults(
    mut command: Command,
    values: &BTreeMap<String, Vec<String>>,
    known: &mut BTreeSet<String>,
) -> Command {
    let args: Vec<_> = command
        .get_arguments()
        .filter_map(|arg| {
            Some((arg.get_id().clone(), arg.get_env()?.to_string_lossy().into_owned()))
        })
        .collect();
    for (id, env) in args {
        if let Some(items) = values.get(&env) {
            // Parsed once per process; leaking gives clap the 'static strs it keeps.
            let items: Vec<&'static str> =
                items.iter().map(|item| &*Box::leak(item.clone().into_boxed_str())).collect();
            command = command.mut_arg(id, |arg| arg.default_values(items));
        }
        known.insert(env);
    }
    let names: Vec<String> =
        command.get_subcommands().map(|sub| sub.get_name().to_owned()).collect();
    for name in names {
        command = command.mut_subcommand(name, |sub| set_defaults(sub, values, known));
    }
    command
}

#[cfg(test)]
mod tests {
    use clap::{CommandFactory, FromArgMatches};

    use super::*;

    #[test]
    fn file_values_are_defaults_that_flags_override() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kiln.toml");
        std::fs::write(&file, "listen = \"127.0.0.1:9999\"\nwebhook_allow = [\"a.example\", \"b.example\"]\nmax_wait_secs = 5\n").unwrap();
        let args: Vec<OsString> =
            ["kiln", "--config", file.to_str().unwrap(), "serve", "--max-wait-secs", "7"]
                .into_iter()
                .map(OsString::from)
                .collect();
        let command = apply(crate::Cli::command(), &args).unwrap();
        let matches = command.try_get_matches_from(&args).unwrap();
        let serve = matches.subcommand_matches("serve").unwrap();
        assert_eq!(serve.get_one::<std::net::SocketAddr>("listen").unwrap().port(), 9999);
        assert_eq!(serve.get_one::<u64>("max_wait_secs"), Some(&7));
        let allow: Vec<&String> = serve.get_many::<String>("webhook_allow").unwrap().collect();
        assert_eq!(allow, ["a.example", "b.example"]);
        crate::Cli::from_arg_matches(&matches).unwrap();
    }

    #[test]
    fn unknown_settings_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("kiln.toml");
        std::fs::write(&file, "lisen = \"x\"\n").unwrap();
        let args: Vec<OsString> = ["kiln", "--config", file.to_str().unwrap(), "serve"]
            .into_iter()
            .map(OsString::from)
            .collect();
        let err = apply(crate::Cli::command(), &args).unwrap_err().to_string();
        assert!(err.contains("unknown setting(s) lisen") && err.contains("listen"), "{err}");
    }
}
