//! Small builders shared by the test modules.

use std::io;

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use kiln_core::{JobId, OrgId};
use kiln_storage::{BlobKey, BlobStore, ByteRange, ByteStream, KeyPrefix};
use sha2::{Digest, Sha256};

/// A fresh organisation, session and job, so tests sharing a store never
/// touch each other's keys.
#[derive(Debug, Clone)]
pub(crate) struct Tenant {
    pub(crate) org: OrgId,
    pub(crate) session: String,
    pub(crate) job: JobId,
}

impl Tenant {
    pub(crate) fn new() -> Self {
        Self { org: OrgId::now_v7(), session: "s1".into(), job: JobId::now_v7() }
    }

    pub(crate) fn session(&self, session: &str) -> Self {
        Self { session: session.into(), job: JobId::now_v7(), ..self.clone() }
    }

    pub(crate) fn other_job(&self) -> Self {
        Self { job: JobId::now_v7(), ..self.clone() }
    }

    pub(crate) fn key(&self, path: &str) -> BlobKey {
        BlobKey::artifact(self.org, &self.session, self.job, path).unwrap()
    }

    pub(crate) fn job_prefix(&self) -> KeyPrefix {
        BlobKey::job_prefix(self.org, &self.session, self.job).unwrap()
    }

    pub(crate) fn session_prefix(&self) -> KeyPrefix {
        BlobKey::session_prefix(self.org, &self.session).unwrap()
    }
}

/// `len` bytes that differ from position to position (and from `seed` to seed),
/// so a misplaced range or a swapped part shows.
pub(crate) fn data(len: usize, seed: u8) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64 ^ u64::from(seed);
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

pub(crate) fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `bytes` as a stream of `chunk`-sized pieces.
pub(crate) fn chunks(bytes: &[u8], chunk: usize) -> ByteStream {
    let pieces: Vec<io::Result<Bytes>> =
        bytes.chunks(chunk.max(1)).map(|c| Ok(Bytes::copy_from_slice(c))).collect();
    stream::iter(pieces).boxed()
}

/// `bytes`, then an error, as an upload whose client went away would.
pub(crate) fn failing_after(bytes: &[u8]) -> ByteStream {
    chunks(bytes, 64 * 1024)
        .chain(stream::iter([Err(io::Error::new(
            io::ErrorKind::ConnectionReset,
            "client went away",
        ))]))
        .boxed()
}

pub(crate) async fn put(store: &dyn BlobStore, key: &BlobKey, bytes: &[u8]) {
    store
        .put_stream(key, chunks(bytes, 64 * 1024), "application/octet-stream", u64::MAX)
        .await
        .unwrap();
}

/// The whole blob (or range), read through its stream.
pub(crate) async fn read(
    store: &dyn BlobStore,
    key: &BlobKey,
    range: Option<ByteRange>,
) -> Vec<u8> {
    let blob = store.get(key, range).await.unwrap();
    let mut body = blob.body;
    let mut out = Vec::with_capacity(blob.size as usize);
    while let Some(chunk) = body.next().await {
        out.extend_from_slice(&chunk.unwrap());
    }
    assert_eq!(out.len() as u64, blob.size, "the body is as long as the blob says");
    out
}
