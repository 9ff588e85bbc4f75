//! Writing output files, with output errors turned into `failed` messages.

use crate::bindings::kiln::generator::host::{OutputFile, create_file};
use crate::bindings::kiln::generator::types::{GenerateError, OutputError};

/// Creates a file; a refusal becomes `failed("create <path>: <error>")`.
pub(crate) fn create(path: &str, media_type: &str) -> Result<OutputFile, GenerateError> {
    create_file(path, media_type)
        .map_err(|err| failed(format!("create {path}: {}", describe(&err))))
}

/// Appends a chunk; a refusal becomes `failed("write <path>: <error>")`.
pub(crate) fn write(file: &OutputFile, path: &str, chunk: &[u8]) -> Result<(), GenerateError> {
    file.write(chunk).map_err(|err| failed(format!("write {path}: {}", describe(&err))))
}

/// Finishes a file; a refusal becomes `failed("finish <path>: <error>")`.
pub(crate) fn finish(file: &OutputFile, path: &str) -> Result<(), GenerateError> {
    file.finish().map_err(|err| failed(format!("finish {path}: {}", describe(&err))))
}

/// Writes a whole file as the given chunks and finishes it.
pub(crate) fn write_file(
    path: &str,
    media_type: &str,
    chunks: &[&[u8]],
) -> Result<(), GenerateError> {
    let file = create(path, media_type)?;
    for chunk in chunks {
        write(&file, path, chunk)?;
    }
    finish(&file, path)
}

/// Renders an output error as `<variant>: <message>`, or just `closed`.
pub(crate) fn describe(err: &OutputError) -> String {
    match err {
        OutputError::InvalidPath(message) => format!("invalid-path: {message}"),
        OutputError::AlreadyExists(message) => format!("already-exists: {message}"),
        OutputError::InvalidMediaType(message) => format!("invalid-media-type: {message}"),
        OutputError::Closed => "closed".into(),
    }
}

pub(crate) fn failed(message: String) -> GenerateError {
    GenerateError::Failed(message)
}
