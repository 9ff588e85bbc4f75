//! The plugin registry's records: plugin versions, which one serves each
//! artifact type, and the compiled code made for them.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::Result;
use crate::row::Columns;

/// A plugin version kiln knows: one component, by its bytes' sha256.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PluginVersion {
    pub sha256: String,
    pub name: String,
    pub version: String,
    pub artifact_type: String,
    pub size_bytes: u64,
    /// Shipped with kiln and registered at start, rather than uploaded.
    pub builtin: bool,
    /// The admin key id that uploaded it, or `builtin`.
    pub registered_by: String,
    pub registered_at: DateTime<Utc>,
}

/// A version to register.
#[derive(Debug, Clone)]
pub struct NewPluginVersion {
    pub sha256: String,
    pub name: String,
    pub version: String,
    pub artifact_type: String,
    pub size_bytes: u64,
    pub builtin: bool,
    pub registered_by: String,
}

/// What registering a version did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registration {
    /// It is new, or these very bytes were registered before.
    Registered(PluginVersion),
    /// `name` `version` is already registered with other bytes.
    VersionTaken(PluginVersion),
}

/// The version serving an artifact type, and who made it so.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ActivePlugin {
    #[serde(flatten)]
    pub plugin: PluginVersion,
    pub activated_by: String,
    pub activated_at: DateTime<Utc>,
}

/// What a rollback did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rollback {
    /// The version active before the current one serves the type again.
    RolledBack(ActivePlugin),
    /// Nothing was active before the current version (or nothing is active).
    NothingEarlier,
}

/// The columns [`plugin_version`] reads, for `SELECT` lists (prefixed `v.`).
macro_rules! plugin_version_columns {
    () => {
        "v.sha256, v.name, v.version, v.artifact_type, v.size_bytes, v.builtin, v.registered_by, v.registered_at"
    };
}
pub(crate) use plugin_version_columns;

pub(crate) fn plugin_version(row: &impl Columns) -> Result<PluginVersion> {
    Ok(PluginVersion {
        sha256: row.string("sha256")?,
        name: row.string("name")?,
        version: row.string("version")?,
        artifact_type: row.string("artifact_type")?,
        size_bytes: row.narrow("size_bytes")?,
        builtin: row.boolean("builtin")?,
        registered_by: row.string("registered_by")?,
        registered_at: row.time("registered_at")?,
    })
}

pub(crate) fn active_plugin(row: &impl Columns) -> Result<ActivePlugin> {
    Ok(ActivePlugin {
        plugin: plugin_version(row)?,
        activated_by: row.string("activated_by")?,
        activated_at: row.time("activated_at")?,
    })
}

/// Whether the stored record for `new`'s sha256 or name and version is `new`.
pub(crate) fn registration(stored: PluginVersion, new: &NewPluginVersion) -> Registration {
    if stored.sha256 == new.sha256 {
        Registration::Registered(stored)
    } else {
        Registration::VersionTaken(stored)
    }
}
