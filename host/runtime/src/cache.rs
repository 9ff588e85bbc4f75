//! On-disk cache of compiled components.
//!
//! Compiling a plugin with Cranelift takes seconds; loading a compiled one
//! takes milliseconds. Entries live at `{dir}/{engine}/{sha256}.cwasm`, where
//! `engine` hashes wasmtime's precompile compatibility key (its version and
//! every setting that changes generated code) and `sha256` is the component's.
//!
//! Deserializing compiled code is only safe for files this process family
//! wrote: a crafted `.cwasm` is native code. So kiln creates the directory
//! itself with mode 0700, writes entries atomically (temp file + rename), and
//! refuses to read from a directory another user owns or others can write.

use std::fs;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::Engine;
use wasmtime::component::Component;

use crate::{Error, Result};

pub(crate) struct CompileCache {
    dir: PathBuf,
}

/// Whether a load found its compiled code in the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// Compiled now and written to the cache.
    Compiled,
    /// Loaded from the cache; nothing was compiled.
    Hit,
    /// Compiled now; no cache is configured.
    Uncached,
}

impl CompileCache {
    /// Opens (creating if needed) the cache for this engine under `root`.
    pub(crate) fn open(root: &Path, engine: &Engine) -> Result<Self> {
        let dir = root.join(engine_key(engine));
        let cache_err = |source| Error::Cache { dir: dir.clone(), source };
        fs::DirBuilder::new().recursive(true).mode(0o700).create(&dir).map_err(cache_err)?;
        for dir in [root, dir.as_path()] {
            let meta = fs::metadata(dir).map_err(cache_err)?;
            let untrusted = meta.uid() != rustix::process::getuid().as_raw()
                || meta.permissions().mode() & 0o022 != 0;
            if untrusted {
                return Err(Error::UntrustedCache(dir.to_owned()));
            }
        }
        Ok(Self { dir })
    }

    /// Returns the compiled component for `wasm`, compiling and storing it on a miss.
    pub(crate) fn load(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &str,
    ) -> Result<(Component, CacheStatus)> {
        let path = self.dir.join(format!("{sha256}.cwasm"));
        if path.exists() {
            // SAFETY: the file is in a directory only this user can write, and
            // kiln writes entries there only from `Component::serialize` of the
            // same engine configuration (the directory name pins it).
            #[allow(unsafe_code)]
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(component) => return Ok((component, CacheStatus::Hit)),
                Err(err) => {
                    tracing::warn!(path = %path.display(), "recompiling unreadable cache entry: {err:#}")
                }
            }
        }
        let component = compile(engine, wasm)?;
        let write = || -> std::io::Result<()> {
            let compiled = component.serialize().map_err(std::io::Error::other)?;
            let mut tmp = tempfile::NamedTempFile::new_in(&self.dir)?;
            tmp.write_all(&compiled)?;
            tmp.persist(&path)?;
            Ok(())
        };
        if let Err(err) = write() {
            // A cache that cannot be written costs time on the next load, not correctness.
            tracing::warn!(dir = %self.dir.display(), "could not cache compiled component: {err}");
        }
        Ok((component, CacheStatus::Compiled))
    }
}

pub(crate) fn compile(engine: &Engine, wasm: &[u8]) -> Result<Component> {
    Component::new(engine, wasm).map_err(|err| Error::Compile(format!("{err:#}")))
}

/// A stable text key for the engine's precompile compatibility hash.
pub(crate) fn engine_key(engine: &Engine) -> String {
    struct Sha(Sha256);
    impl Hasher for Sha {
        fn write(&mut self, bytes: &[u8]) {
            self.0.update(bytes);
        }
        fn finish(&self) -> u64 {
            unreachable!("only the digest is read")
        }
    }
    let mut hasher = Sha(Sha256::new());
    engine.precompile_compatibility_hash().hash(&mut hasher);
    hex::encode(&hasher.0.finalize()[..16])
}
