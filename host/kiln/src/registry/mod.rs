//! The plugin registry: every plugin version kiln knows (by name, version
//! and sha256), its component and compiled code in the blob store, which
//! version serves each artifact type, and the watch that makes every
//! process serve a new activation within seconds.
//!
//! Uploads are checked and compiled in a limited child process
//! ([`process`]). Compiled code is shared through the blob store, keyed by
//! the engine's compatibility hash and the component's sha256, and loaded
//! only if its bytes hash to what the database recorded when kiln made it:
//! anything else is compiled again, never run.

mod process;

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::TryStreamExt;
use kiln_executor::{ActivePlugins, PluginSet};
use kiln_queue::{
    ActivePlugin, JobStore, NewPluginVersion, Notice, PluginVersion, Registration, Rollback,
};
use kiln_runtime::{Plugin, Runtime};
use kiln_storage::{BlobKey, BlobStore};
use sha2::{Digest, Sha256};
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

use crate::limited::{ProcessLimits, Stopped};

use crate::plugin::check::CheckReport;

/// How often the registry is re-read when no notice says it changed: the
/// fallback for a missed notice, and the only way news reaches a process
/// on another host sharing a SQLite file (which has no notices).
const POLL: Duration = Duration::from_secs(3);

/// Who registered the plugins kiln ships.
const BUILTIN: &str = "builtin";

/// Why an upload, an activation or a rollback was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RegistryError {
    /// A `kiln plugin check` rule failed; nothing was registered.
    #[error("the plugin failed the `{rule}` check: {detail}")]
    Check { rule: String, detail: String, report: Box<CheckReport> },
    /// The checking or compiling process was stopped or failed.
    #[error("checking the plugin stopped: {0}")]
    Stopped(#[from] Stopped),
    #[error(
        "{name} {version} is already registered with other bytes (sha256 {sha256}); give the new build a new version"
    )]
    VersionTaken { name: String, version: String, sha256: String },
    #[error("no plugin {0} is registered; see the list of registered versions")]
    UnknownVersion(String),
    #[error(
        "nothing served artifact type {0:?} before its current version, so there is nothing to roll back to"
    )]
    NothingEarlier(String),
    #[error("the stored plugin {sha256} cannot be used: {reason}")]
    Unusable { sha256: String, reason: String },
    #[error(transparent)]
    Store(#[from] kiln_queue::Error),
    #[error(transparent)]
    Storage(#[from] kiln_storage::Error),
    #[error(transparent)]
    Runtime(#[from] kiln_runtime::Error),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

type Result<T, E = RegistryError> = std::result::Result<T, E>;

/// What an upload registered.
#[derive(Debug)]
pub(crate) struct Installed {
    pub(crate) plugin: PluginVersion,
    /// The rules it passed; `None` if these bytes were registered before.
    pub(crate) report: Option<CheckReport>,
}

pub(crate) struct Registry {
    store: Arc<dyn JobStore>,
    blobs: Arc<dyn BlobStore>,
    runtime: Arc<Runtime>,
    active: Arc<ActivePlugins>,
    /// Loaded plugins by sha256, kept so a rollback is instant.
    loaded: Mutex<HashMap<String, Arc<Plugin>>>,
    /// Held while a refresh reads the registry and replaces the set, so a
    /// refresh that read older state never replaces a newer one.
    refreshing: tokio::sync::Mutex<()>,
    limits: ProcessLimits,
    engine: String,
}

impl Registry {
    /// Registers the plugins in `builtin_dir` (activating each for its
    /// artifact type unless an administrator chose another version), then
    /// loads what the registry says serves each type.
    pub(crate) async fn start(
        store: Arc<dyn JobStore>,
        blobs: Arc<dyn BlobStore>,
        runtime: Arc<Runtime>,
        builtin_dir: Option<&Path>,
        limits: ProcessLimits,
    ) -> anyhow::Result<Arc<Self>> {
        let engine = runtime.engine_key();
        let registry = Arc::new(Self {
            store,
            blobs,
            runtime,
            active: Arc::new(ActivePlugins::new(PluginSet::default())),
            loaded: Mutex::new(HashMap::new()),
            refreshing: tokio::sync::Mutex::new(()),
            limits,
            engine,
        });
        if let Some(dir) = builtin_dir {
            registry.register_builtins(dir).await?;
        }
        registry.refresh().await?;
        Ok(registry)
    }

    /// The plugins serving now, for the API and the job runner.
    pub(crate) fn active(&self) -> Arc<ActivePlugins> {
        self.active.clone()
    }

    async fn register_builtins(&self, dir: &Path) -> anyhow::Result<()> {
        let known: Vec<String> =
            self.store.plugin_versions().await?.into_iter().map(|v| v.sha256).collect();
        let active: BTreeMap<String, ActivePlugin> = self
            .store
            .active_plugins()
            .await?
            .into_iter()
            .map(|a| (a.plugin.artifact_type.clone(), a))
            .collect();
        let builtins = PluginSet::load_dir(&self.runtime, dir).await?;
        for artifact_type in builtins.types() {
            let plugin = builtins.get(artifact_type).expect("listed types are loaded").clone();
            let sha256 = plugin.sha256().to_owned();
            let key = BlobKey::plugin(&sha256)?;
            let size_bytes = match self.blobs.head(&key).await? {
                Some(meta) => meta.size,
                None => {
                    let path = builtins.path(artifact_type).expect("listed types have a path");
                    self.blobs.put_file(&key, path, "application/wasm").await?.size
                }
            };
            let info = plugin.info();
            let new = NewPluginVersion {
                sha256: sha256.clone(),
                name: info.name.clone(),
                version: info.version.clone(),
                artifact_type: info.artifact_type.clone(),
                size_bytes,
                builtin: true,
                registered_by: BUILTIN.into(),
            };
            // Always registered: only uploads are held to one build per version.
            self.store.register_plugin(&new).await?;
            // A kiln upgrade brings new built-ins into service; a version
            // an administrator chose (or rolled back to) stays.
            let serving = active.get(artifact_type);
            let replace = match serving {
                None => true,
                Some(current) => current.plugin.builtin && !known.contains(&sha256),
            };
            if replace {
                self.store.activate_plugin(&sha256, BUILTIN).await?;
            }
            self.loaded.lock().expect("not poisoned").insert(sha256, plugin);
        }
        Ok(())
    }

    /// Re-reads which version serves each artifact type and serves those,
    /// loading any not loaded yet. A version that cannot be loaded leaves
    /// its type on the version serving before, and is logged.
    pub(crate) async fn refresh(&self) -> Result<()> {
        let _one_at_a_time = self.refreshing.lock().await;
        let wanted = self.store.active_plugins().await?;
        let current = self.active.current();
        let unchanged = wanted.len() == current.types().count()
            && wanted.iter().all(|a| {
                current.get(&a.plugin.artifact_type).is_some_and(|p| p.sha256() == a.plugin.sha256)
            });
        if unchanged {
            return Ok(());
        }
        let mut set = PluginSet::default();
        for active in &wanted {
            let version = &active.plugin;
            let plugin = match self.plugin(version).await {
                Ok(plugin) => plugin,
                Err(err) => {
                    tracing::error!(
                        name = version.name,
                        version = version.version,
                        sha256 = version.sha256,
                        "cannot load the activated plugin; its artifact type keeps the version it had: {err}"
                    );
                    match current.get(&version.artifact_type) {
                        Some(previous) => previous.clone(),
                        None => continue,
                    }
                }
            };
            if current.get(&version.artifact_type).is_none_or(|p| p.sha256() != plugin.sha256()) {
                tracing::info!(
                    artifact_type = version.artifact_type,
                    name = plugin.info().name,
                    version = plugin.info().version,
                    sha256 = plugin.sha256(),
                    "plugin serving"
                );
            }
            let label = PathBuf::from(format!("{} {}", version.name, version.version));
            set.insert(plugin, label).map_err(|err| RegistryError::Unusable {
                sha256: version.sha256.clone(),
                reason: err.to_string(),
            })?;
        }
        self.active.replace(set);
        Ok(())
    }

    /// Follows registry changes until `stop`: at once on a notice, and
    /// every [`POLL`] in case one was missed.
    pub(crate) async fn watch(self: Arc<Self>, stop: CancellationToken) {
        let mut notices = self.store.subscribe();
        let mut poll = tokio::time::interval(POLL);
        poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                notice = notices.recv() => match notice {
                    Ok(Notice::Plugins | Notice::Resync) | Err(RecvError::Lagged(_)) => {}
                    Ok(Notice::Event { .. }) => continue,
                    Err(RecvError::Closed) => {
                        notices = self.store.subscribe();
                        continue;
                    }
                },
                _ = poll.tick() => {}
            }
            if let Err(err) = self.refresh().await {
                tracing::warn!("cannot re-read the plugin registry; retrying in {POLL:?}: {err}");
            }
        }
    }

    /// Every registered version.
    pub(crate) async fn versions(&self) -> Result<Vec<PluginVersion>> {
        Ok(self.store.plugin_versions().await?)
    }

    /// The version serving each artifact type.
    pub(crate) async fn serving(&self) -> Result<Vec<ActivePlugin>> {
        Ok(self.store.active_plugins().await?)
    }

    /// Checks and registers the component in `wasm` (a file the caller
    /// owns). Nothing is registered unless every check passes.
    pub(crate) async fn install(&self, wasm: &Path, by: &str) -> Result<Installed> {
        let bytes = tokio::fs::read(wasm).await?;
        let sha256 = hex::encode(Sha256::digest(&bytes));
        if let Some(known) = self.versions().await?.into_iter().find(|v| v.sha256 == sha256) {
            return Ok(Installed { plugin: known, report: None });
        }
        let dir = tempfile::tempdir()?;
        let compiled_path = dir.path().join("compiled.cwasm");
        let report = process::check(wasm, &compiled_path, &self.limits).await?;
        if let Some(failed) = report.checks.iter().find(|c| !c.passed) {
            return Err(RegistryError::Check {
                rule: failed.rule.clone(),
                detail: failed.detail.clone(),
                report: Box::new(report),
            });
        }
        let Some(checked) = &report.plugin else {
            return Err(Stopped::Failed("its report names no plugin".into()).into());
        };
        if let Some(other) = self
            .versions()
            .await?
            .into_iter()
            .find(|v| v.name == checked.name && v.version == checked.version)
        {
            return Err(RegistryError::VersionTaken {
                name: other.name,
                version: other.version,
                sha256: other.sha256,
            });
        }
        // It loads here from the code the check compiled, or is refused.
        let compiled = tokio::fs::read(&compiled_path).await?;
        let plugin = Arc::new(self.runtime.load_compiled(&bytes, &compiled).await?);
        let key = BlobKey::plugin(&sha256)?;
        let stored = self.blobs.put_file(&key, wasm, "application/wasm").await?;
        let new = NewPluginVersion {
            sha256: sha256.clone(),
            name: plugin.info().name.clone(),
            version: plugin.info().version.clone(),
            artifact_type: plugin.info().artifact_type.clone(),
            size_bytes: stored.size,
            builtin: false,
            registered_by: by.into(),
        };
        let registered = match self.store.register_plugin(&new).await? {
            Registration::Registered(version) => version,
            Registration::VersionTaken(other) => {
                return Err(RegistryError::VersionTaken {
                    name: other.name,
                    version: other.version,
                    sha256: other.sha256,
                });
            }
        };
        self.share_compiled(&sha256, &compiled_path).await?;
        self.loaded.lock().expect("not poisoned").insert(sha256, plugin);
        Ok(Installed { plugin: registered, report: Some(report) })
    }

    /// Makes `name` `version` serve its artifact type, once it loads here.
    pub(crate) async fn activate(
        &self,
        name: &str,
        version: &str,
        by: &str,
    ) -> Result<ActivePlugin> {
        // The newest registration: a rebuilt built-in may share its version.
        let target = self
            .versions()
            .await?
            .into_iter()
            .rev()
            .find(|v| v.name == name && v.version == version)
            .ok_or_else(|| RegistryError::UnknownVersion(format!("{name} {version}")))?;
        self.plugin(&target).await?;
        let active = self
            .store
            .activate_plugin(&target.sha256, by)
            .await?
            .ok_or_else(|| RegistryError::UnknownVersion(format!("{name} {version}")))?;
        self.refresh().await?;
        Ok(active)
    }

    /// Puts the version that served `artifact_type` before the current one
    /// back into service.
    pub(crate) async fn roll_back(&self, artifact_type: &str) -> Result<ActivePlugin> {
        match self.store.roll_back_plugin(artifact_type).await? {
            Rollback::RolledBack(active) => {
                self.refresh().await?;
                Ok(active)
            }
            Rollback::NothingEarlier => Err(RegistryError::NothingEarlier(artifact_type.into())),
        }
    }

    /// A registered version, loaded: from memory, else from the compiled
    /// code in the blob store if it hashes to the recorded sha256, else
    /// compiled again in a limited process.
    async fn plugin(&self, version: &PluginVersion) -> Result<Arc<Plugin>> {
        if let Some(plugin) = self.loaded.lock().expect("not poisoned").get(&version.sha256) {
            return Ok(plugin.clone());
        }
        let unusable =
            |reason: String| RegistryError::Unusable { sha256: version.sha256.clone(), reason };
        let wasm = self.read(&BlobKey::plugin(&version.sha256)?).await?;
        if hex::encode(Sha256::digest(&wasm)) != version.sha256 {
            return Err(unusable(
                "its component in the blob store does not match its sha256; upload it again".into(),
            ));
        }
        let plugin = match self.shared_compiled(&version.sha256).await? {
            Some(compiled) => self.runtime.load_compiled(&wasm, &compiled).await?,
            None => {
                let dir = tempfile::tempdir()?;
                let (wasm_path, compiled_path) =
                    (dir.path().join("plugin.wasm"), dir.path().join("compiled.cwasm"));
                tokio::fs::write(&wasm_path, &wasm).await?;
                process::compile(&wasm_path, &compiled_path, &self.limits).await?;
                let compiled = tokio::fs::read(&compiled_path).await?;
                let plugin = self.runtime.load_compiled(&wasm, &compiled).await?;
                self.share_compiled(&version.sha256, &compiled_path).await?;
                plugin
            }
        };
        if plugin.sha256() != version.sha256 {
            return Err(unusable("it loaded as another component".into()));
        }
        let plugin = Arc::new(plugin);
        self.loaded.lock().expect("not poisoned").insert(version.sha256.clone(), plugin.clone());
        Ok(plugin)
    }

    /// Compiled code for `sha256` from the blob store, if kiln recorded
    /// making it and the bytes hash to the record.
    async fn shared_compiled(&self, sha256: &str) -> Result<Option<Vec<u8>>> {
        let Some(recorded) = self.store.compiled_plugin(&self.engine, sha256).await? else {
            return Ok(None);
        };
        let key = BlobKey::compiled_plugin(&self.engine, sha256)?;
        let compiled = match self.read(&key).await {
            Ok(bytes) => bytes,
            Err(RegistryError::Storage(kiln_storage::Error::NotFound { .. })) => return Ok(None),
            Err(err) => return Err(err),
        };
        if hex::encode(Sha256::digest(&compiled)) != recorded {
            tracing::warn!(
                key = key.as_str(),
                "compiled plugin code in the blob store does not match the hash kiln recorded; it is not loaded, and is compiled again"
            );
            return Ok(None);
        }
        Ok(Some(compiled))
    }

    /// Stores compiled code for other processes and records its hash.
    async fn share_compiled(&self, sha256: &str, compiled: &Path) -> Result<()> {
        let key = BlobKey::compiled_plugin(&self.engine, sha256)?;
        let stored = self.blobs.put_file(&key, compiled, "application/octet-stream").await?;
        self.store.record_compiled_plugin(&self.engine, sha256, &stored.sha256).await?;
        Ok(())
    }

    async fn read(&self, key: &BlobKey) -> Result<Vec<u8>> {
        let blob = self.blobs.get(key, None).await?;
        let chunks: Vec<Bytes> = blob.body.try_collect().await?;
        Ok(chunks.concat())
    }
}
