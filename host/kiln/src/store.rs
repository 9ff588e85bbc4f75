//! Where kiln keeps its state: the database (jobs) and the blob store
//! (files), and the options that choose them.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use kiln_queue::{JobStore, QueueConfig};

/// Where state lives. With nothing set, everything is under the data
/// directory: a SQLite database and a local blob store.
#[derive(Args, Clone)]
pub(crate) struct StateArgs {
    /// Directory for the embedded database and local files
    /// [default: $XDG_DATA_HOME/kiln or ~/.local/share/kiln].
    #[arg(long, global = true, env = "KILN_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// The job database: postgres://USER@HOST:PORT/DB, or sqlite://PATH
    /// [default: sqlite://DATA_DIR/kiln.db].
    #[arg(long, global = true, env = "KILN_DATABASE_URL", value_name = "URL")]
    database_url: Option<String>,
    /// Do not apply database migrations on start (apply them with `kiln migrate`).
    #[arg(long, global = true, env = "KILN_NO_MIGRATE")]
    no_migrate: bool,
}

impl StateArgs {
    pub(crate) fn data_dir(&self) -> anyhow::Result<PathBuf> {
        let dir = match &self.data_dir {
            Some(dir) => dir.clone(),
            None => std::env::var_os("XDG_DATA_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share")))
                .context("set --data-dir (or KILN_DATA_DIR): there is no HOME to put kiln's data under")?
                .join("kiln"),
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("cannot create the data directory {}", dir.display()))?;
        Ok(dir)
    }

    /// Opens the job database, migrating it unless told not to.
    pub(crate) async fn job_store(&self) -> anyhow::Result<Arc<dyn JobStore>> {
        let url = match &self.database_url {
            Some(url) => url.clone(),
            None => format!("sqlite://{}", self.data_dir()?.join("kiln.db").display()),
        };
        let store = kiln_queue::connect(&url, QueueConfig::default()).await?;
        if !self.no_migrate {
            store.migrate().await?;
        }
        Ok(store)
    }

    /// Opens the job database and applies its migrations.
    pub(crate) async fn migrate(&self) -> anyhow::Result<()> {
        let url = self.database_url.clone();
        let store = Self { no_migrate: true, ..self.clone() }.job_store().await?;
        store.migrate().await?;
        println!("database is up to date ({})", url.as_deref().unwrap_or("embedded SQLite"));
        Ok(())
    }
}
