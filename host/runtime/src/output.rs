//! The files a run writes: path rules, quotas, and hashing as bytes arrive.
//!
//! Files go straight into the run's output directory, which the caller owns
//! and must treat as staging: on any outcome but success its contents are not
//! an artifact.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::bindings::kiln::generator::types::OutputError;

const MAX_SEGMENT: usize = 255;
const MAX_PATH: usize = 1024;

/// A file the plugin wrote and finished.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// Normalised relative path, `/`-separated.
    pub path: String,
    pub media_type: String,
    pub size: u64,
    /// Hex sha256 of the contents.
    pub sha256: String,
}

/// The guest's handle to one file being written (an index into [`Output::files`]).
#[allow(unreachable_pub)] // named by the generated bindings, which re-export it
pub struct OutputFileHandle(usize);

struct Slot {
    file: OutputFile,
    writer: Option<(BufWriter<File>, Sha256)>,
}

/// Why a write could not proceed: a guest mistake it is told about, a quota
/// that ends the run, or a host I/O failure.
pub(crate) enum WriteError {
    Refused(OutputError),
    BytesQuota(u64),
    FilesQuota(u64),
    Io(std::io::Error),
}

pub(crate) struct Output {
    dir: PathBuf,
    slots: Vec<Slot>,
    paths: HashSet<String>,
    max_bytes: u64,
    max_files: u64,
    bytes: u64,
}

impl Output {
    pub(crate) fn new(dir: &Path, max_bytes: u64, max_files: u64) -> Self {
        Self {
            dir: dir.to_owned(),
            slots: Vec::new(),
            paths: HashSet::new(),
            max_bytes,
            max_files,
            bytes: 0,
        }
    }

    pub(crate) fn create(
        &mut self,
        path: &str,
        media_type: &str,
    ) -> Result<OutputFileHandle, WriteError> {
        let path =
            normalise(path).map_err(|msg| WriteError::Refused(OutputError::InvalidPath(msg)))?;
        if !is_media_type(media_type) {
            return Err(WriteError::Refused(OutputError::InvalidMediaType(format!(
                "`{media_type}` is not of the form type/subtype"
            ))));
        }
        if self.paths.contains(&path) {
            return Err(WriteError::Refused(OutputError::AlreadyExists(path)));
        }
        if self.slots.len() as u64 >= self.max_files {
            return Err(WriteError::FilesQuota(self.max_files));
        }
        let full = self.dir.join(&path);
        if let Some(parent) = full.parent() {
            fs::create_dir_all(parent).map_err(WriteError::Io)?;
        }
        let file = File::create_new(&full).map_err(WriteError::Io)?;
        self.paths.insert(path.clone());
        self.slots.push(Slot {
            file: OutputFile {
                path,
                media_type: media_type.to_owned(),
                size: 0,
                sha256: String::new(),
            },
            writer: Some((BufWriter::with_capacity(64 << 10, file), Sha256::new())),
        });
        Ok(OutputFileHandle(self.slots.len() - 1))
    }

    pub(crate) fn write(
        &mut self,
        handle: &OutputFileHandle,
        chunk: &[u8],
    ) -> Result<(), WriteError> {
        let slot = &mut self.slots[handle.0];
        let Some((writer, hasher)) = slot.writer.as_mut() else {
            return Err(WriteError::Refused(OutputError::Closed));
        };
        if self.bytes + chunk.len() as u64 > self.max_bytes {
            return Err(WriteError::BytesQuota(self.max_bytes));
        }
        writer.write_all(chunk).map_err(WriteError::Io)?;
        hasher.update(chunk);
        slot.file.size += chunk.len() as u64;
        self.bytes += chunk.len() as u64;
        Ok(())
    }

    pub(crate) fn finish(&mut self, handle: &OutputFileHandle) -> Result<(), WriteError> {
        let slot = &mut self.slots[handle.0];
        let Some((writer, hasher)) = slot.writer.take() else {
            return Err(WriteError::Refused(OutputError::Closed));
        };
        writer.into_inner().map_err(|err| WriteError::Io(err.into_error()))?;
        slot.file.sha256 = hex::encode(hasher.finalize());
        Ok(())
    }

    pub(crate) fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Paths of files created but not finished.
    pub(crate) fn unfinished(&self) -> Vec<&str> {
        self.slots.iter().filter(|s| s.writer.is_some()).map(|s| s.file.path.as_str()).collect()
    }

    /// The finished files, in creation order.
    pub(crate) fn into_files(self) -> Vec<OutputFile> {
        self.slots.into_iter().filter(|s| s.writer.is_none()).map(|s| s.file).collect()
    }

    pub(crate) fn finished_count(&self) -> u64 {
        self.slots.iter().filter(|s| s.writer.is_none()).count() as u64
    }
}

/// Checks a plugin-supplied path is a plain relative path and returns it in
/// canonical form. Nothing is rewritten: a path that is not already
/// canonical is refused, so what the plugin named is what gets stored.
pub(crate) fn normalise(path: &str) -> Result<String, String> {
    if path.is_empty() {
        return Err("the path is empty".into());
    }
    if path.len() > MAX_PATH {
        return Err(format!("the path is longer than {MAX_PATH} bytes"));
    }
    if path.starts_with('/') {
        return Err(format!("`{path}` is absolute; use a relative path such as `report.xlsx`"));
    }
    if let Some(c) = path.chars().find(|c| c.is_control() || *c == '\\') {
        return Err(format!("`{}` contains the character {c:?}", path.escape_debug()));
    }
    for segment in path.split('/') {
        match segment {
            "" => return Err(format!("`{path}` has an empty segment")),
            "." | ".." => return Err(format!("`{path}` has a `{segment}` segment")),
            s if s.len() > MAX_SEGMENT => {
                return Err(format!("a segment of the path is longer than {MAX_SEGMENT} bytes"));
            }
            _ => {}
        }
    }
    Ok(path.to_owned())
}

fn is_media_type(s: &str) -> bool {
    let token = |t: &str| {
        !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    };
    let essence = s.split(';').next().unwrap_or_default().trim();
    s.len() <= 255 && essence.split_once('/').is_some_and(|(t, sub)| token(t) && token(sub))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_relative_paths_are_accepted() {
        assert_eq!(normalise("report.xlsx").unwrap(), "report.xlsx");
        assert_eq!(normalise("modules/vpc/main.tf").unwrap(), "modules/vpc/main.tf");
        assert_eq!(normalise("Résumé 2026.docx").unwrap(), "Résumé 2026.docx");
    }

    #[test]
    fn escaping_and_ambiguous_paths_are_refused() {
        for bad in [
            "",
            "/etc/passwd",
            "../up",
            "a/../b",
            "a//b",
            "./a",
            "a/",
            "a\\b",
            "bell\u{7}",
            "nul\0",
        ] {
            assert!(normalise(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(normalise(&"x".repeat(256)).is_err());
        assert!(normalise(&"a/".repeat(600)).is_err());
    }

    #[test]
    fn media_types_need_a_type_and_subtype() {
        assert!(is_media_type("text/plain"));
        assert!(is_media_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"));
        assert!(is_media_type("text/plain; charset=utf-8"));
        assert!(!is_media_type("nonsense"));
        assert!(!is_media_type("text/"));
    }
}
