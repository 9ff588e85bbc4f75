//! Staging directories for runs, reused from one run to the next. Making
//! and removing a directory per job cost more than the rest of storing a
//! small artifact on a file system with many recent deletions (a new inode
//! is found by stepping over recently freed ones), and the files a run
//! writes are moved into local storage, so its directory is usually left
//! empty anyway.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use tempfile::TempDir;

use crate::run::lock;

/// The free staging directories under one root.
#[derive(Debug)]
pub(crate) struct StagingDirs {
    root: PathBuf,
    free: Mutex<Vec<TempDir>>,
}

/// An empty directory lent to one run; given back, emptied, on drop.
pub(crate) struct Staging<'a> {
    dirs: &'a StagingDirs,
    dir: Option<TempDir>,
}

impl StagingDirs {
    pub(crate) fn new(root: PathBuf) -> Self {
        Self { root, free: Mutex::new(Vec::new()) }
    }

    /// An empty directory: a free one, or a new one.
    pub(crate) fn take(&self) -> io::Result<Staging<'_>> {
        let free = lock(&self.free).pop();
        let dir = match free {
            Some(dir) => dir,
            None => tempfile::Builder::new().prefix("run-").tempdir_in(&self.root)?,
        };
        Ok(Staging { dirs: self, dir: Some(dir) })
    }
}

impl Staging<'_> {
    pub(crate) fn path(&self) -> &Path {
        self.dir.as_ref().expect("held until drop").path()
    }
}

impl Drop for Staging<'_> {
    fn drop(&mut self) {
        let dir = self.dir.take().expect("held until drop");
        // A directory that cannot be emptied is removed (by `TempDir`), so
        // no run ever sees another's files.
        if empty(dir.path()).is_ok() {
            lock(&self.dirs.free).push(dir);
        }
    }
}

/// Removes everything in `dir`, leaving `dir`. Usually it is empty already.
fn empty(dir: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            std::fs::remove_dir_all(entry.path())?;
        } else {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_is_reused_only_once_emptied() {
        let root = tempfile::tempdir().unwrap();
        let dirs = StagingDirs::new(root.path().to_owned());
        let first = dirs.take().unwrap();
        let path = first.path().to_owned();
        std::fs::create_dir(path.join("sub")).unwrap();
        std::fs::write(path.join("sub/out.xlsx"), b"left behind").unwrap();
        std::fs::write(path.join("log.txt"), b"left behind").unwrap();
        let second = dirs.take().unwrap();
        assert_ne!(second.path(), path, "a lent directory is not lent twice");
        drop(first);

        let again = dirs.take().unwrap();
        assert_eq!(again.path(), path);
        assert_eq!(std::fs::read_dir(&path).unwrap().count(), 0, "nothing of the last run remains");
        drop((again, second));
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 2);
        drop(dirs);
        assert_eq!(std::fs::read_dir(root.path()).unwrap().count(), 0, "dropped with the runner");
    }
}
