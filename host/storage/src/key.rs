//! Blob keys: tenant first, validated once, safe as both an S3 key and a
//! relative file path.
//!
//! Keys can only be built through [`BlobKey`]'s constructors, so every key
//! starts with its organisation: deleting a prefix can never reach another
//! tenant, and a lookup by an id from one organisation cannot name another's
//! blob.

use std::fmt;

use kiln_core::{ArtifactId, AssetId, JobId, OrgId};

use crate::{Error, Result};

/// S3's limit on a key, in bytes of UTF-8.
pub const MAX_KEY_LEN: usize = 1024;
/// Longest session id a client may choose.
pub const MAX_SESSION_LEN: usize = 128;
/// Longest path segment; most file systems refuse longer names.
pub const MAX_SEGMENT_LEN: usize = 255;

/// The address of one blob, tenant first:
///
/// ```text
/// orgs/{org}/sessions/{session}/jobs/{job}/{path}   artifacts
/// orgs/{org}/assets/{asset}                         uploaded assets
/// plugins/{sha256}.wasm                              plugin components
/// plugins/compiled/{engine}/{sha256}.cwasm           code compiled from them
/// ```
///
/// Built only by the constructors below, which validate every part.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BlobKey(String);

/// A key prefix that ends on a segment boundary: `delete_prefix` with the
/// prefix of session `s1` never touches session `s10`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyPrefix(String);

impl BlobKey {
    /// A file a job produced: `orgs/{org}/sessions/{session}/jobs/{job}/{path}`.
    ///
    /// `session` is client-chosen: 1 to 128 characters from `A-Z a-z 0-9 . _ : -`,
    /// and neither `.` nor `..`. `path` is relative and `/`-separated, with no
    /// empty, `.` or `..` segment, no backslash and no control character.
    pub fn artifact(org: OrgId, session: &str, job: JobId, path: &str) -> Result<Self> {
        check_session(session)?;
        check_path(path)?;
        Self::checked(format!("{}{path}", job_prefix(org, session, job)))
    }

    /// What kiln made of an artifact (`kind` is `preview.png` or
    /// `preview.error`), among its job's files so that it goes with them,
    /// under the artifact's id, which no plugin can know when it names its
    /// files: `.../jobs/{job}/.kiln/{artifact}.{kind}`.
    pub fn derived(
        org: OrgId,
        session: &str,
        job: JobId,
        artifact: ArtifactId,
        kind: &str,
    ) -> Result<Self> {
        Self::artifact(org, session, job, &format!(".kiln/{artifact}.{kind}"))
    }

    /// An asset a client uploaded: `orgs/{org}/assets/{asset}`.
    pub fn asset(org: OrgId, asset: AssetId) -> Self {
        Self(format!("orgs/{org}/assets/{asset}"))
    }

    /// A registered plugin component, by the hex sha256 of its bytes.
    /// Plugins belong to no organisation: only the registry writes here.
    pub fn plugin(sha256: &str) -> Result<Self> {
        check_hex("plugin sha256", sha256)?;
        Ok(Self(format!("plugins/{sha256}.wasm")))
    }

    /// Code compiled from a plugin for an engine (its compatibility key).
    pub fn compiled_plugin(engine: &str, sha256: &str) -> Result<Self> {
        check_hex("engine key", engine)?;
        check_hex("plugin sha256", sha256)?;
        Ok(Self(format!("plugins/compiled/{engine}/{sha256}.cwasm")))
    }

    /// Every artifact of one job.
    pub fn job_prefix(org: OrgId, session: &str, job: JobId) -> Result<KeyPrefix> {
        check_session(session)?;
        Ok(KeyPrefix(job_prefix(org, session, job)))
    }

    /// Every artifact of every job in one session.
    pub fn session_prefix(org: OrgId, session: &str) -> Result<KeyPrefix> {
        check_session(session)?;
        Ok(KeyPrefix(format!("orgs/{org}/sessions/{session}/")))
    }

    /// Everything an organisation has stored.
    pub fn org_prefix(org: OrgId) -> KeyPrefix {
        KeyPrefix(format!("orgs/{org}/"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn checked(key: String) -> Result<Self> {
        if key.len() > MAX_KEY_LEN {
            return Err(invalid("key", &key, "longer than 1024 bytes"));
        }
        Ok(Self(key))
    }
}

impl KeyPrefix {
    /// The prefix, ending in `/`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether `key` lies under this prefix.
    pub fn contains(&self, key: &BlobKey) -> bool {
        key.0.starts_with(&self.0)
    }
}

fn job_prefix(org: OrgId, session: &str, job: JobId) -> String {
    format!("orgs/{org}/sessions/{session}/jobs/{job}/")
}

fn check_session(session: &str) -> Result<()> {
    let rule = if session.is_empty() {
        "must not be empty"
    } else if session.len() > MAX_SESSION_LEN {
        "longer than 128 characters"
    } else if !session.bytes().all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(&b)) {
        "only A-Z, a-z, 0-9, '.', '_', ':' and '-' are allowed"
    } else if session == "." || session == ".." {
        "'.' and '..' are not allowed"
    } else {
        return Ok(());
    };
    Err(invalid("session id", session, rule))
}

fn check_hex(part: &'static str, value: &str) -> Result<()> {
    let valid = (1..=64).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if valid { Ok(()) } else { Err(invalid(part, value, "must be 1 to 64 lower-case hex digits")) }
}

fn check_path(path: &str) -> Result<()> {
    let rule = if path.is_empty() {
        "must not be empty"
    } else if path.starts_with('/') {
        "must be relative, not start with '/'"
    } else if path.contains('\\') {
        "must use '/' as separator, not '\\'"
    } else if path.chars().any(char::is_control) {
        "must not contain control characters"
    } else if path.split('/').any(str::is_empty) {
        "must not contain empty segments ('//' or a trailing '/')"
    } else if path.split('/').any(|s| s == "." || s == "..") {
        "must not contain '.' or '..' segments"
    } else if path.split('/').any(|s| s.len() > MAX_SEGMENT_LEN) {
        "has a segment longer than 255 bytes"
    } else {
        return Ok(());
    };
    Err(invalid("artifact path", path, rule))
}

fn invalid(part: &'static str, value: &str, rule: &'static str) -> Error {
    const SHOWN: usize = 80;
    let value = match value.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
        None => format!("{value:?}"),
    };
    Error::InvalidKey { part, value, rule }
}

impl fmt::Display for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for KeyPrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl AsRef<str> for BlobKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}
