//! `kiln keys`: API keys for the HTTP API, one organisation each.

use std::process::ExitCode;

use clap::Subcommand;
use kiln_queue::{ApiKey, JobStore, KeyKind};

use crate::store::StateArgs;

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Create a key and print it. It is shown this once: only its hash is kept.
    Create {
        /// The organisation the key acts for (created if new).
        #[arg(long)]
        org: String,
        /// May also administer plugins.
        #[arg(long)]
        admin: bool,
        /// A note saying what the key is for.
        #[arg(long)]
        label: Option<String>,
    },
}

pub(crate) async fn run(command: Command, state: &StateArgs) -> anyhow::Result<ExitCode> {
    let store = state.job_store().await?;
    match command {
        Command::Create { org, admin, label } => {
            let kind = if admin { KeyKind::Admin } else { KeyKind::Standard };
            let (key, secret) = create(store.as_ref(), &org, kind, label).await?;
            eprintln!(
                "{} key {} for organisation {org:?}; store it now, it is not shown again:",
                kind.as_str(),
                key.id
            );
            println!("{secret}");
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Makes a key for `org` (created if new), storing only its hash; returns
/// the record and the key itself, to show once.
pub(crate) async fn create(
    store: &dyn JobStore,
    org: &str,
    kind: KeyKind,
    label: Option<String>,
) -> anyhow::Result<(ApiKey, String)> {
    let organisation = store.organisation(org).await?;
    let (key, secret) = ApiKey::generate(organisation.id, kind, label);
    store.add_api_key(&key, &ApiKey::hash(&secret)).await?;
    Ok((key, secret))
}
