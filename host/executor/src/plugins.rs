//! The plugins a worker runs, one per artifact type.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use kiln_runtime::{Plugin, Runtime};

use crate::{Error, Result};

/// Loaded plugins by artifact type.
#[derive(Default)]
pub struct PluginSet {
    by_type: BTreeMap<String, (Arc<Plugin>, PathBuf)>,
}

impl PluginSet {
    /// Loads every `*.wasm` in `dir` (compiled once, then from the runtime's
    /// cache). Two plugins for one artifact type are refused.
    pub async fn load_dir(runtime: &Runtime, dir: &Path) -> Result<Self> {
        let entries = std::fs::read_dir(dir)
            .map_err(|source| Error::PluginDir { dir: dir.into(), source })?;
        let mut paths = Vec::new();
        for entry in entries {
            let path = entry.map_err(|source| Error::PluginDir { dir: dir.into(), source })?.path();
            if path.extension().is_some_and(|extension| extension == "wasm") {
                paths.push(path);
            }
        }
        paths.sort();
        let mut set = Self::default();
        for path in paths {
            let plugin = runtime
                .load_file(&path)
                .await
                .map_err(|source| Error::Plugin { path: path.clone(), source })?;
            tracing::info!(plugin = %path.display(), version = plugin.info().version, "plugin loaded");
            set.insert(plugin, path)?;
        }
        Ok(set)
    }

    /// Adds a loaded plugin; `path` names it in messages.
    pub fn insert(&mut self, plugin: impl Into<Arc<Plugin>>, path: PathBuf) -> Result<()> {
        let plugin = plugin.into();
        let artifact_type = plugin.info().artifact_type.clone();
        if let Some((_, first)) = self.by_type.get(&artifact_type) {
            return Err(Error::DuplicateType { artifact_type, first: first.clone(), second: path });
        }
        self.by_type.insert(artifact_type, (plugin, path));
        Ok(())
    }

    pub fn get(&self, artifact_type: &str) -> Option<&Arc<Plugin>> {
        self.by_type.get(artifact_type).map(|(plugin, _)| plugin)
    }

    /// Where the plugin for `artifact_type` was loaded from.
    pub fn path(&self, artifact_type: &str) -> Option<&Path> {
        self.by_type.get(artifact_type).map(|(_, path)| path.as_path())
    }

    /// The artifact types, sorted.
    pub fn types(&self) -> impl Iterator<Item = &str> {
        self.by_type.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.by_type.is_empty()
    }
}

/// The plugin set serving now, replaced whole when an activation changes
/// it. A run keeps the [`Plugin`] it started with, so a replacement never
/// changes the version under a job in flight.
pub struct ActivePlugins(RwLock<Arc<PluginSet>>);

impl ActivePlugins {
    pub fn new(set: PluginSet) -> Self {
        Self(RwLock::new(Arc::new(set)))
    }

    /// The set serving now.
    pub fn current(&self) -> Arc<PluginSet> {
        self.0.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Serves `set` from now on.
    pub fn replace(&self, set: PluginSet) {
        *self.0.write().unwrap_or_else(|poisoned| poisoned.into_inner()) = Arc::new(set);
    }
}
