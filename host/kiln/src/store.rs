//! Where kiln keeps its state: the database (jobs) and the blob store
//! (files), and the options that choose them.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use kiln_queue::{JobStore, QueueConfig};
use kiln_storage::{BlobStore, LocalStore, S3Config, S3Store};

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
                .or_else(|| {
                    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/share"))
                })
                .context(
                    "set --data-dir (or KILN_DATA_DIR): there is no HOME to put kiln's data under",
                )?
                .join("kiln"),
        };
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the data directory {}", dir.display()))?;
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

/// Where files go: a local directory (the default) or an S3 bucket.
#[derive(Args, Clone)]
pub(crate) struct StorageArgs {
    /// Directory for generated files and uploaded assets, when no S3 bucket
    /// is set [default: DATA_DIR/blobs].
    #[arg(long, env = "KILN_STORAGE_DIR", value_name = "DIR")]
    storage_dir: Option<PathBuf>,
    /// Keep files in this S3 bucket instead of on local disk.
    #[arg(long, env = "KILN_S3_BUCKET", value_name = "BUCKET")]
    s3_bucket: Option<String>,
    /// S3 region.
    #[arg(long, env = "KILN_S3_REGION", value_name = "REGION", default_value = "us-east-1")]
    s3_region: String,
    /// Endpoint of an S3-compatible server (MinIO, Ceph, ...), e.g.
    /// http://minio:9000 [default: AWS].
    #[arg(long, env = "KILN_S3_ENDPOINT", value_name = "URL")]
    s3_endpoint: Option<String>,
    /// Address buckets as https://host/bucket (most S3-compatible servers
    /// need this).
    #[arg(long, env = "KILN_S3_PATH_STYLE")]
    s3_path_style: bool,
    /// Keep every key under this prefix, to share a bucket.
    #[arg(long, env = "KILN_S3_PREFIX", value_name = "PREFIX")]
    s3_prefix: Option<String>,
    /// S3 access key [default: AWS_ACCESS_KEY_ID].
    #[arg(long, env = "KILN_S3_ACCESS_KEY_ID", value_name = "ID")]
    s3_access_key_id: Option<String>,
    /// S3 secret key [default: AWS_SECRET_ACCESS_KEY].
    #[arg(long, env = "KILN_S3_SECRET_ACCESS_KEY", value_name = "SECRET", hide_env_values = true)]
    s3_secret_access_key: Option<String>,
}

impl StorageArgs {
    /// Opens the blob store and checks it is usable, so a misconfiguration
    /// shows at start-up rather than at the first job.
    pub(crate) async fn blob_store(&self, state: &StateArgs) -> anyhow::Result<Arc<dyn BlobStore>> {
        let store: Arc<dyn BlobStore> = match &self.s3_bucket {
            Some(bucket) => Arc::new(S3Store::new(S3Config {
                bucket: bucket.clone(),
                region: self.s3_region.clone(),
                endpoint_url: self.s3_endpoint.clone(),
                force_path_style: self.s3_path_style,
                access_key_id: self.s3_access_key_id.clone(),
                secret_access_key: self.s3_secret_access_key.clone(),
                prefix: self.s3_prefix.clone(),
            })?),
            None => {
                let dir = match &self.storage_dir {
                    Some(dir) => dir.clone(),
                    None => state.data_dir()?.join("blobs"),
                };
                Arc::new(LocalStore::open(dir)?)
            }
        };
        store.check().await.context("the blob store is not usable")?;
        Ok(store)
    }
}
