//! Blobs as files under one directory.
//!
//! Every path is resolved through a [`cap_std::fs::Dir`] opened on the root,
//! so no key and no symlink planted under the root can reach a file outside
//! it: such a path fails as an I/O error (`PermissionDenied`), it is never
//! followed. (Keys are validated anyway; this is the second wall.)
//!
//! Guarantees beyond [`BlobStore`]'s:
//!
//! - A write goes to a temporary file in `{root}/.tmp/`, is flushed to disk
//!   (`fsync`), then renamed onto its key, so readers never see part of it and
//!   a crash leaves at most a stray temporary file. The directories the new
//!   name lives in are synced after the rename, so a stored blob survives a
//!   power cut. `open` removes temporary files older than an hour (younger
//!   ones may belong to another process sharing the root).
//! - [`BlobStore::take_file`] moves a file on the same file system in
//!   (synced, then renamed straight onto its key) instead of copying it.
//! - A file write (`put_file`, `take_file`) runs on one blocking thread from
//!   start to end: if its future is dropped, it still finishes whole.
//! - The media type is not kept: [`BlobMeta::media_type`] and
//!   [`Blob::media_type`] are `None`. Callers keep it in their own records.
//! - [`BlobStore::presigned_get`] returns `None`; the HTTP layer signs its own
//!   URLs for local disk.
//! - `delete_prefix` first renames the prefix's directory away, so its blobs
//!   disappear at once, then removes them.
//! - Keys are paths, so one job cannot hold both `a` and `a/b` (S3 can); the
//!   second write fails with an I/O error.
//!
//! The root is created with mode 0700 if missing; an existing root keeps its
//! mode. Files are created with the process's umask.

use std::io::{self, ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions};
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio_util::io::ReaderStream;
use uuid::Uuid;

use crate::store::Digester;
use crate::{
    Blob, BlobKey, BlobMeta, BlobStore, ByteRange, ByteStream, Error, KeyPrefix, MAX_PRESIGN,
    Result, Stored,
};

/// Where writes are staged before they are renamed onto their key. Keys all
/// start with `orgs/`, so this name cannot collide with one.
const TEMP_DIR: &str = ".tmp";
/// Temporary files older than this are removed when a store is opened.
const STALE_TEMP: Duration = Duration::from_secs(60 * 60);
/// Read and copy buffer.
const CHUNK: usize = 64 * 1024;

/// A [`BlobStore`] on local disk. See the [module docs](self).
#[derive(Clone)]
pub struct LocalStore {
    root: PathBuf,
    dir: Arc<Dir>,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore").field("root", &self.root).finish_non_exhaustive()
    }
}

impl LocalStore {
    /// Opens (creating it if missing, mode 0700) the store rooted at `root`,
    /// and removes stale temporary files. Blocks briefly on the file system;
    /// meant for start-up.
    pub fn open(root: impl AsRef<Path>) -> Result<Self> {
        use std::os::unix::fs::DirBuilderExt;

        let root = root.as_ref().to_owned();
        let context = || format!("cannot open the storage root {}", root.display());
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&root)
            .map_err(|e| Error::io(context(), e))?;
        let dir = Dir::open_ambient_dir(&root, ambient_authority())
            .map_err(|e| Error::io(context(), e))?;
        dir.create_dir_all(TEMP_DIR).map_err(|e| Error::io(context(), e))?;
        let store = Self { root, dir: Arc::new(dir) };
        store.remove_stale_temps();
        Ok(store)
    }

    /// The directory this store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn remove_stale_temps(&self) {
        let Ok(temp) = self.dir.open_dir(TEMP_DIR) else { return };
        let Ok(entries) = temp.entries() else { return };
        for entry in entries.flatten() {
            let age = entry
                .metadata()
                .and_then(|m| m.modified())
                .map(|t| t.into_std().elapsed().unwrap_or_default());
            if !age.is_ok_and(|age| age > STALE_TEMP) {
                continue;
            }
            let name = entry.file_name();
            let removed = match entry.file_type() {
                Ok(t) if t.is_dir() => temp.remove_dir_all(&name),
                _ => temp.remove_file(&name),
            };
            if let Err(e) = removed {
                tracing::warn!(root = %self.root.display(), file = ?name, error = %e, "could not remove a stale temporary file");
            }
        }
    }

    fn context(&self, action: &str, key: &str) -> String {
        format!("could not {action} {key} under the storage root {}", self.root.display())
    }

    fn store_error(&self, key: &BlobKey, error: io::Error) -> Error {
        Error::io(self.context("store", key.as_str()), error)
    }

    fn copy_error(&self, key: &BlobKey, path: &Path, error: CopyError) -> Error {
        match error {
            CopyError::Reading(e) => {
                Error::io(format!("could not read {} to store it as {key}", path.display()), e)
            }
            CopyError::Writing(e) => Error::io(self.context("write", key.as_str()), e),
        }
    }

    /// Streams `body` into a temporary file, then renames it onto `key`.
    /// A read error from `body` comes back as [`Error::Upload`].
    async fn write(&self, key: &BlobKey, mut body: ByteStream, limit: u64) -> Result<Stored> {
        let context = || self.context("write", key.as_str());
        let dir = self.dir.clone();
        let (temp, file) = blocking(move || TempFile::create(dir)).await.map_err(|e| {
            Error::io(format!("could not create a temporary file under {}", self.root.display()), e)
        })?;
        let mut file = tokio::fs::File::from_std(file);
        let mut digest = Digester::default();
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(Error::Upload)?;
            if digest.size() + chunk.len() as u64 > limit {
                return Err(Error::TooLarge { limit });
            }
            digest.update(&chunk);
            file.write_all(&chunk).await.map_err(|e| Error::io(context(), e))?;
        }
        file.flush().await.map_err(|e| Error::io(context(), e))?;
        file.sync_data().await.map_err(|e| Error::io(context(), e))?;
        let key_path = key.as_str().to_owned();
        blocking(move || temp.commit(&key_path)).await.map_err(|e| self.store_error(key, e))?;
        Ok(digest.finish())
    }

    /// Copies `source` into a temporary file, hashing it on the way, syncs
    /// it and renames it onto `key`, all on the calling thread.
    fn copy_in(dir: Arc<Dir>, source: &Path, key: &str) -> std::result::Result<Stored, CopyError> {
        let mut source = std::fs::File::open(source).map_err(CopyError::Reading)?;
        let (temp, mut file) = TempFile::create(dir).map_err(CopyError::Writing)?;
        let stored = hash_each(&mut source, |chunk| file.write_all(chunk))?;
        file.sync_data().map_err(CopyError::Writing)?;
        temp.commit(key).map_err(CopyError::Writing)?;
        Ok(stored)
    }
}

/// Moves the regular file at `source` onto `key` under `root`, hashing and
/// syncing it first, all on the calling thread. `None` if it cannot be
/// moved (another file system, or not a regular file): copy it.
fn move_in(root: &Dir, source: &Path, key: &str) -> std::result::Result<Option<Stored>, CopyError> {
    let (Some(parent), Some(name)) = (source.parent(), source.file_name()) else {
        return Ok(None);
    };
    let from = Dir::open_ambient_dir(parent, ambient_authority()).map_err(CopyError::Reading)?;
    // Not followed: a link would be moved as a link.
    if !from.symlink_metadata(name).map_err(CopyError::Reading)?.is_file() {
        return Ok(None);
    }
    let mut file = from.open(name).map_err(CopyError::Reading)?.into_std();
    let stored = hash_each(&mut file, |_| Ok(()))?;
    file.sync_data().map_err(CopyError::Writing)?;
    match place(root, &from, Path::new(name), key) {
        Ok(()) => Ok(Some(stored)),
        Err(e) if e.kind() == ErrorKind::CrossesDevices => Ok(None),
        Err(e) => Err(CopyError::Writing(e)),
    }
}

/// Renames `name` under `from` onto `key` under `root`, making the
/// directories it needs, and syncs each directory given a new entry: a new
/// name lasts a power cut only once the directory holding it is synced.
/// Blocks.
fn place(root: &Dir, from: &Dir, name: &Path, key: &str) -> io::Result<()> {
    let key = Path::new(key);
    let parent = key.parent().unwrap_or(Path::new(""));
    let file_name = key.file_name().ok_or_else(|| io::Error::other("a key names a file"))?;
    let attempt = || {
        make_dirs(root, parent)?;
        let target = writable_dir(root, parent)?;
        from.rename(name, &target, file_name)?;
        Ok::<_, io::Error>(target)
    };
    let target = match attempt() {
        // A concurrent delete_prefix may have moved the parent away since
        // it was made; one retry settles it.
        Err(e) if e.kind() == ErrorKind::NotFound => attempt()?,
        other => other?,
    };
    target.into_std_file().sync_all()
}

/// Makes `path` and its missing parents under `root`, and syncs the parent
/// of each one it makes. They are synced before anything is put in them, so
/// they last even if what was to go there does not come (a move refused
/// across file systems falls back to a copy, which finds them made).
fn make_dirs(root: &Dir, path: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut at = path;
    while !at.as_os_str().is_empty() && !root.exists(at) {
        missing.push(at);
        at = at.parent().unwrap_or(Path::new(""));
    }
    for dir in missing.into_iter().rev() {
        match root.create_dir(dir) {
            Err(e) if e.kind() != ErrorKind::AlreadyExists => return Err(e),
            _ => writable_dir(root, dir.parent().unwrap_or(Path::new("")))?
                .into_std_file()
                .sync_all()?,
        }
    }
    Ok(())
}

/// A directory under `root` opened for reading, so it can be both renamed
/// into and synced (`open_dir` gives an O_PATH handle, which cannot be
/// synced). The empty path is `root` itself.
fn writable_dir(root: &Dir, path: &Path) -> io::Result<Dir> {
    let path = if path.as_os_str().is_empty() { Path::new(".") } else { path };
    let file = root.open_with(path, OpenOptions::new().read(true))?.into_std();
    Ok(Dir::from_std_file(file))
}

/// Reads `source` to its end, hashing it, and hands each chunk to `sink`.
fn hash_each(
    source: &mut std::fs::File,
    mut sink: impl FnMut(&[u8]) -> io::Result<()>,
) -> std::result::Result<Stored, CopyError> {
    let mut digest = Digester::default();
    let mut buffer = vec![0; CHUNK];
    loop {
        let read = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(CopyError::Reading(e)),
        };
        digest.update(&buffer[..read]);
        sink(&buffer[..read]).map_err(CopyError::Writing)?;
    }
    Ok(digest.finish())
}

/// Which side of a copy failed.
enum CopyError {
    Reading(io::Error),
    Writing(io::Error),
}

/// Runs blocking file-system work off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> io::Result<T> + Send + 'static,
) -> io::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(io::Error::other)?
}

fn is_missing(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory)
}

/// The name of a write in progress: the file is removed on drop unless
/// committed, so an error or a cancelled future leaves nothing behind.
struct TempFile {
    dir: Arc<Dir>,
    name: String,
    committed: bool,
}

impl TempFile {
    /// Creates an empty temporary file under a fresh name, and returns its
    /// guard and its handle for writing. Blocks.
    fn create(dir: Arc<Dir>) -> io::Result<(Self, std::fs::File)> {
        let temp = Self { dir, name: format!("{TEMP_DIR}/{}", Uuid::now_v7()), committed: false };
        let file =
            temp.dir.open_with(&temp.name, OpenOptions::new().write(true).create_new(true))?;
        Ok((temp, file.into_std()))
    }

    /// Renames the file, synced by the caller, onto `key`. Blocks.
    fn commit(mut self, key: &str) -> io::Result<()> {
        place(&self.dir, &self.dir, Path::new(&self.name), key)?;
        self.committed = true;
        Ok(())
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if !self.committed {
            // One unlink; cheap enough to do inline even on an async thread.
            let _ = self.dir.remove_file(&self.name);
        }
    }
}

#[async_trait]
impl BlobStore for LocalStore {
    async fn put_file(&self, key: &BlobKey, path: &Path, _media_type: &str) -> Result<Stored> {
        // One trip to the blocking pool for the whole copy: each trip costs
        // two thread switches, and an artifact is usually a few KiB.
        let (dir, source, key_path) = (self.dir.clone(), path.to_owned(), key.as_str().to_owned());
        tokio::task::spawn_blocking(move || Self::copy_in(dir, &source, &key_path))
            .await
            .map_err(|e| self.store_error(key, io::Error::other(e)))?
            .map_err(|e| self.copy_error(key, path, e))
    }

    /// Moves the file in when it is on the same file system: no copy, and
    /// no file created and another deleted per artifact.
    async fn take_file(&self, key: &BlobKey, path: &Path, media_type: &str) -> Result<Stored> {
        let (dir, source, key_path) = (self.dir.clone(), path.to_owned(), key.as_str().to_owned());
        let moved = tokio::task::spawn_blocking(move || move_in(&dir, &source, &key_path))
            .await
            .map_err(|e| self.store_error(key, io::Error::other(e)))?;
        match moved.map_err(|e| self.copy_error(key, path, e))? {
            Some(stored) => Ok(stored),
            None => self.put_file(key, path, media_type).await,
        }
    }

    async fn put_stream(
        &self,
        key: &BlobKey,
        body: ByteStream,
        _media_type: &str,
        limit: u64,
    ) -> Result<Stored> {
        self.write(key, body, limit).await
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<Blob> {
        let dir = self.dir.clone();
        let path = key.as_str().to_owned();
        let opened = blocking(move || {
            let file = dir.open(&path)?;
            let meta = file.metadata()?;
            Ok(meta.is_file().then(|| (file.into_std(), meta.len())))
        })
        .await;
        let (file, total_size) = match opened {
            Ok(Some(found)) => found,
            Ok(None) => return Err(Error::NotFound { key: key.to_string() }),
            Err(e) if is_missing(&e) => return Err(Error::NotFound { key: key.to_string() }),
            Err(e) => return Err(Error::io(self.context("read", key.as_str()), e)),
        };
        let (offset, size) = match range {
            Some(range) => range.resolve(total_size)?,
            None => (0, total_size),
        };
        let mut file = tokio::fs::File::from_std(file);
        if offset > 0 {
            file.seek(io::SeekFrom::Start(offset))
                .await
                .map_err(|e| Error::io(self.context("read", key.as_str()), e))?;
        }
        let body = ReaderStream::with_capacity(file.take(size), CHUNK).boxed();
        Ok(Blob { offset, size, total_size, media_type: None, body })
    }

    async fn head(&self, key: &BlobKey) -> Result<Option<BlobMeta>> {
        let dir = self.dir.clone();
        let path = key.as_str().to_owned();
        match blocking(move || dir.metadata(&path)).await {
            Ok(meta) if meta.is_file() => Ok(Some(BlobMeta { size: meta.len(), media_type: None })),
            Ok(_) => Ok(None),
            Err(e) if is_missing(&e) => Ok(None),
            Err(e) => Err(Error::io(self.context("look up", key.as_str()), e)),
        }
    }

    async fn delete(&self, key: &BlobKey) -> Result<()> {
        let dir = self.dir.clone();
        let path = key.as_str().to_owned();
        match blocking(move || dir.remove_file(&path)).await {
            Ok(()) => Ok(()),
            // A directory at the key is not a blob, so there is nothing to delete.
            Err(e) if is_missing(&e) || e.kind() == ErrorKind::IsADirectory => Ok(()),
            Err(e) => Err(Error::io(self.context("delete", key.as_str()), e)),
        }
    }

    async fn delete_prefix(&self, prefix: &KeyPrefix) -> Result<u64> {
        let dir = self.dir.clone();
        let path = prefix.as_str().trim_end_matches('/').to_owned();
        let trash = format!("{TEMP_DIR}/deleting-{}", Uuid::now_v7());
        blocking(move || {
            match dir.rename(&path, &dir, &trash) {
                Ok(()) => {}
                Err(e) if is_missing(&e) => return Ok(0),
                Err(e) => return Err(e),
            }
            let count = count_files(&dir.open_dir(&trash)?)?;
            dir.remove_dir_all(&trash)?;
            Ok(count)
        })
        .await
        .map_err(|e| Error::io(self.context("delete everything under", prefix.as_str()), e))
    }

    async fn presigned_get(
        &self,
        _key: &BlobKey,
        expires_in: Duration,
        _disposition: &str,
    ) -> Result<Option<String>> {
        if expires_in > MAX_PRESIGN {
            return Err(Error::Expiry { secs: expires_in.as_secs() });
        }
        Ok(None)
    }

    async fn check(&self) -> Result<()> {
        let dir = self.dir.clone();
        let probe = format!("{TEMP_DIR}/probe-{}", Uuid::now_v7());
        blocking(move || {
            let written = dir.write(&probe, b"ok");
            let _ = dir.remove_file(&probe);
            written
        })
        .await
        .map_err(|e| {
            Error::io(format!("the storage root {} is not writable", self.root.display()), e)
        })
    }
}

/// Regular files (and anything else that is not a directory) under `dir`.
fn count_files(dir: &Dir) -> io::Result<u64> {
    let mut count = 0;
    for entry in dir.entries()? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            count += count_files(&entry.open_dir()?)?;
        } else {
            count += 1;
        }
    }
    Ok(count)
}
