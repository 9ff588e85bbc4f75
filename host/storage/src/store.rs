//! The storage interface every backend implements.

use std::fmt;
use std::io;
use std::path::Path;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use futures_util::stream::BoxStream;
use sha2::{Digest, Sha256};

use crate::{BlobKey, ByteRange, KeyPrefix, Result};

/// A blob's bytes, in chunks, read as they are consumed.
pub type ByteStream = BoxStream<'static, io::Result<Bytes>>;

/// Longest a pre-signed URL may stay valid (S3's limit for SigV4).
pub const MAX_PRESIGN: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// What a completed write stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub size: u64,
    /// Hex sha256 of the bytes, computed while they streamed through.
    pub sha256: String,
}

/// What `head` knows about a blob without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobMeta {
    pub size: u64,
    /// The media type given when it was written, where the backend keeps it
    /// (S3 does; local disk does not and returns `None`).
    pub media_type: Option<String>,
}

/// A blob being read: where the body starts, how long it is, and the body.
pub struct Blob {
    /// Offset of the body's first byte in the blob (0 unless a range was asked).
    pub offset: u64,
    /// Bytes the body yields.
    pub size: u64,
    /// Size of the whole blob.
    pub total_size: u64,
    /// As in [`BlobMeta::media_type`].
    pub media_type: Option<String>,
    pub body: ByteStream,
}

impl fmt::Debug for Blob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Blob")
            .field("offset", &self.offset)
            .field("size", &self.size)
            .field("total_size", &self.total_size)
            .field("media_type", &self.media_type)
            .finish_non_exhaustive()
    }
}

/// Where blobs live: local disk ([`crate::LocalStore`]) or S3 (`S3Store`,
/// feature `s3`). Used as `Arc<dyn BlobStore>`.
///
/// Every implementation guarantees:
///
/// - **Atomic writes.** A reader sees either the previous blob or the complete
///   new one. A write that fails or exceeds its limit, and an upload
///   ([`BlobStore::put_stream`]) cancelled (its future dropped) before its
///   body ends, store nothing and leave a previous blob under the key intact.
///   A cancelled file write (`put_file`, `take_file`) may still finish whole.
/// - **Last write wins.** Writing a key again replaces it.
/// - **Streaming.** No call holds a whole blob in memory: local disk moves
///   64 KiB at a time, S3 at most one multipart part (8 MiB).
/// - **Tenant isolation by construction.** Keys come only from
///   [`BlobKey`]'s tenant-first constructors; nothing lists or deletes across
///   organisations unless given [`BlobKey::org_prefix`].
///
/// Storage knows nothing of jobs or artifacts: size, media type and sha256
/// belong in the caller's own records ([`Stored`] gives them at write time).
#[async_trait]
pub trait BlobStore: Send + Sync {
    /// Copies the local file at `path` into the store under `key`.
    ///
    /// The file must not change while it is being copied; the returned size
    /// and sha256 are of the bytes actually stored.
    async fn put_file(&self, key: &BlobKey, path: &Path, media_type: &str) -> Result<Stored>;

    /// Stores the local file at `path` under `key` as [`Self::put_file`]
    /// does, taking the file over: a store on the same file system may
    /// move it in rather than copy it. The caller must not use the file
    /// afterwards, whether this succeeds or not.
    async fn take_file(&self, key: &BlobKey, path: &Path, media_type: &str) -> Result<Stored> {
        self.put_file(key, path, media_type).await
    }

    /// Stores a body of unknown length, such as an HTTP upload, refusing it
    /// with [`crate::Error::TooLarge`] once it passes `limit` bytes and with
    /// [`crate::Error::Upload`] if the stream yields an error; either way
    /// nothing is stored.
    async fn put_stream(
        &self,
        key: &BlobKey,
        body: ByteStream,
        media_type: &str,
        limit: u64,
    ) -> Result<Stored>;

    /// Opens a blob for reading, whole or a range of it. A missing blob is
    /// [`crate::Error::NotFound`]; a range outside it is
    /// [`crate::Error::RangeNotSatisfiable`].
    ///
    /// The body streams from the backend as it is polled: hold it only as long
    /// as the reader needs it (an S3 body holds a connection).
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<Blob>;

    /// Size and media type of a blob, or `None` if there is none.
    async fn head(&self, key: &BlobKey) -> Result<Option<BlobMeta>>;

    /// Removes a blob. Removing a missing blob succeeds.
    async fn delete(&self, key: &BlobKey) -> Result<()>;

    /// Removes every blob under `prefix` and returns how many there were.
    /// Blobs written under the prefix while this runs may survive it.
    async fn delete_prefix(&self, prefix: &KeyPrefix) -> Result<u64>;

    /// A URL that lets anyone holding it GET the blob until `expires_in`
    /// passes (at most [`MAX_PRESIGN`]), answered with the given
    /// `Content-Disposition` (see [`crate::attachment`]).
    ///
    /// `None` when the backend cannot sign URLs itself (local disk): the HTTP
    /// layer then signs its own URLs and serves the blob through [`Self::get`].
    /// The blob's existence is not checked.
    async fn presigned_get(
        &self,
        key: &BlobKey,
        expires_in: Duration,
        content_disposition: &str,
    ) -> Result<Option<String>>;

    /// A cheap readiness probe: the local root is writable, or the bucket is
    /// reachable with the configured credentials. Meant for `/readyz` and for
    /// start-up, so a misconfiguration is reported before the first job.
    async fn check(&self) -> Result<()>;
}

/// Counts and hashes bytes on their way into a store.
#[derive(Default)]
pub(crate) struct Digester {
    hasher: Sha256,
    size: u64,
}

impl Digester {
    pub(crate) fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
        self.size += bytes.len() as u64;
    }

    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    pub(crate) fn finish(self) -> Stored {
        Stored { size: self.size, sha256: hex::encode(self.hasher.finalize()) }
    }
}
