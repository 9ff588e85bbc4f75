//! `kiln plugin install|list|activate|rollback`: the plugin registry of a
//! running kiln, through its admin API.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::ProgressBar;
use serde_json::Value;

/// Which server, and the admin key to act with.
#[derive(Args)]
pub(crate) struct ServerArgs {
    /// The kiln server's URL.
    #[arg(long, env = "KILN_SERVER", value_name = "URL", default_value = "http://127.0.0.1:8080")]
    server: String,
    /// An admin API key (`kiln keys create --org NAME --admin`).
    #[arg(long, env = "KILN_ADMIN_KEY", value_name = "KEY", hide_env_values = true)]
    key: String,
}

#[derive(Subcommand)]
pub(crate) enum AdminCommand {
    /// Upload a plugin to a running kiln. It is registered only if it passes
    /// every `kiln plugin check` rule, checked there under its limits.
    Install {
        /// The plugin component (.wasm).
        wasm: PathBuf,
        /// Make it serve its artifact type at once.
        #[arg(long)]
        activate: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// List the registered plugin versions, and which serves each type.
    List {
        /// Print the answer as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Make a registered version serve its artifact type: new jobs use it at
    /// once on every server and worker; running jobs finish on theirs.
    Activate {
        /// The plugin's name.
        name: String,
        /// The version to serve.
        version: String,
        #[command(flatten)]
        server: ServerArgs,
    },
    /// Put the version that served an artifact type before the current one
    /// back into service.
    Rollback {
        /// The artifact type.
        #[arg(value_name = "TYPE")]
        artifact_type: String,
        #[command(flatten)]
        server: ServerArgs,
    },
}

pub(crate) async fn run(command: AdminCommand) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::Install { wasm, activate, server } => {
            let body =
                std::fs::read(&wasm).with_context(|| format!("cannot read {}", wasm.display()))?;
            let spinner = ProgressBar::new_spinner()
                .with_message(format!("uploading and checking {}", wasm.display()));
            spinner.enable_steady_tick(Duration::from_millis(100));
            let path = format!("/v1/admin/plugins?activate={activate}");
            let answer = send(&server, reqwest::Method::POST, &path, Some(body)).await;
            spinner.finish_and_clear();
            let answer = answer?;
            let plugin = &answer["plugin"];
            let what = if answer["checks"].as_array().is_some_and(|c| !c.is_empty()) {
                "registered (every check passed)"
            } else {
                "was already registered"
            };
            println!("{} {} ({}) {what}", plugin["name"], plugin["version"], plugin["type"]);
            println!("sha256 {}", text(&plugin["sha256"]));
            if plugin["serving"] == true {
                println!("it serves {} now", text(&plugin["type"]));
            } else {
                println!(
                    "serve it with: kiln plugin activate {} {}",
                    text(&plugin["name"]),
                    text(&plugin["version"])
                );
            }
        }
        AdminCommand::List { json, server } => {
            let answer = send(&server, reqwest::Method::GET, "/v1/admin/plugins", None).await?;
            if json {
                println!("{}", serde_json::to_string_pretty(&answer)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!(
                "{:<16} {:<20} {:<10} {:<12} {:<9} SHA256",
                "TYPE", "NAME", "VERSION", "REGISTERED", "SERVING"
            );
            for version in answer["versions"].as_array().into_iter().flatten() {
                println!(
                    "{:<16} {:<20} {:<10} {:<12} {:<9} {}",
                    text(&version["type"]),
                    text(&version["name"]),
                    text(&version["version"]),
                    if version["builtin"] == true { "built-in" } else { "uploaded" },
                    if version["serving"] == true { "yes" } else { "" },
                    &text(&version["sha256"])[..12.min(text(&version["sha256"]).len())],
                );
            }
        }
        AdminCommand::Activate { name, version, server } => {
            let path = format!("/v1/admin/plugins/{name}/{version}/activate");
            let answer = send(&server, reqwest::Method::POST, &path, None).await?;
            println!(
                "{} {} serves {} now",
                text(&answer["name"]),
                text(&answer["version"]),
                text(&answer["type"])
            );
        }
        AdminCommand::Rollback { artifact_type, server } => {
            let path = format!("/v1/admin/types/{artifact_type}/rollback");
            let answer = send(&server, reqwest::Method::POST, &path, None).await?;
            println!(
                "{} {} serves {} again",
                text(&answer["name"]),
                text(&answer["version"]),
                text(&answer["type"])
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn text(value: &Value) -> String {
    value.as_str().map_or_else(|| value.to_string(), str::to_owned)
}

/// One admin API call; a problem answer becomes an error with its detail.
async fn send(
    server: &ServerArgs,
    method: reqwest::Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> anyhow::Result<Value> {
    let url = format!("{}{path}", server.server.trim_end_matches('/'));
    let mut request = reqwest::Client::new().request(method, &url).bearer_auth(&server.key);
    if let Some(body) = body {
        request = request.header("content-type", "application/wasm").body(body);
    }
    let response = request.send().await.with_context(|| {
        format!("cannot reach kiln at {}; is it running? (set --server)", server.server)
    })?;
    let status = response.status();
    let body = response.bytes().await.unwrap_or_default();
    let answer: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    if !status.is_success() {
        let detail = answer["detail"].as_str().unwrap_or("no detail");
        match answer["rule"].as_str() {
            Some(rule) => bail!("{status}: refused by the `{rule}` rule: {detail}"),
            None => bail!("{status}: {detail}"),
        }
    }
    Ok(answer)
}
