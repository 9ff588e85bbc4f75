//! The behaviour every `BlobStore` must have.
//!
//! Each backend module calls `conformance_suite!(factory)` once; the macro
//! turns every check below into a test of that module, so a failure names
//! the backend and the check (`s3::ranges_select_the_bytes_http_would`).

use std::sync::Arc;
use std::time::Duration;

use futures_util::{StreamExt, stream};
use kiln_storage::testsuite::http;
use kiln_storage::{BlobStore, ByteRange, Error, MAX_PRESIGN, attachment};
use tokio::sync::mpsc;

use crate::support::{Tenant, chunks, data, failing_after, put, read, sha256};

/// A store under test and what it promises beyond the common contract.
pub(crate) struct Backend {
    pub(crate) store: Arc<dyn BlobStore>,
    /// `head` and `get` return the media type given at write time.
    pub(crate) keeps_media_type: bool,
    /// `presigned_get` returns URLs (else it must return `None`).
    pub(crate) presigns: bool,
    /// Skips two requests that s3s-fs 0.14.1 answers with a 500 where S3
    /// answers 206 or 404: a suffix range longer than the object (it seeks
    /// before the start of the file), and a key that other keys extend
    /// (`a` when `a/b` exists: it opens the directory it keeps for `a/`).
    pub(crate) s3s_fs_quirks: bool,
    /// Keeps temporary directories and servers alive for the test.
    pub(crate) _guard: Box<dyn Send + Sync>,
}

macro_rules! conformance_suite {
    ($factory:path) => {
        $crate::conformance::conformance_suite!(@each $factory;
            a_file_round_trips_with_its_size_and_sha256,
            a_taken_file_round_trips_with_its_size_and_sha256,
            a_stream_round_trips_with_its_size_and_sha256,
            an_empty_blob_round_trips,
            writing_a_key_again_replaces_it,
            a_failing_upload_stores_nothing_and_keeps_the_previous_blob,
            an_upload_over_its_limit_is_refused_and_stores_nothing,
            an_upload_of_exactly_its_limit_is_stored,
            a_multipart_upload_failing_midway_stores_nothing,
            a_multipart_upload_over_its_limit_stores_nothing,
            a_cancelled_upload_stores_nothing,
            readers_see_the_previous_blob_until_a_write_completes,
            ranges_select_the_bytes_http_would,
            ranges_outside_a_blob_are_refused,
            a_missing_blob_is_not_found_and_has_no_head,
            deleting_is_idempotent,
            deleting_a_prefix_removes_only_that_prefix,
            deleting_a_prefix_of_more_than_a_thousand_blobs_removes_them_all,
            a_large_file_streams_through_in_parts,
            a_presigned_url_serves_the_blob_with_its_content_disposition,
            a_presigned_url_with_a_tampered_signature_or_key_is_refused,
            an_expired_presigned_url_is_refused,
            presigning_for_longer_than_seven_days_is_refused,
            the_readiness_check_passes,
        );
    };
    (@each $factory:path; $($check:ident),* $(,)?) => {
        $(
            #[tokio::test]
            async fn $check() {
                let backend = $factory().await;
                $crate::conformance::$check(&backend).await;
            }
        )*
    };
}
pub(crate) use conformance_suite;

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const MIB: usize = 1024 * 1024;

pub(crate) async fn a_file_round_trips_with_its_size_and_sha256(b: &Backend) {
    let t = Tenant::new();
    let key = t.key("charts/report.xlsx");
    let bytes = data(300 * 1024 + 7, 1);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bytes).unwrap();

    let stored = b.store.put_file(&key, file.path(), XLSX).await.unwrap();
    assert_eq!(stored.size, bytes.len() as u64);
    assert_eq!(stored.sha256, sha256(&bytes));

    assert_eq!(read(&*b.store, &key, None).await, bytes);
    let blob = b.store.get(&key, None).await.unwrap();
    assert_eq!(
        (blob.offset, blob.size, blob.total_size),
        (0, bytes.len() as u64, bytes.len() as u64)
    );
    let meta = b.store.head(&key).await.unwrap().unwrap();
    assert_eq!(meta.size, bytes.len() as u64);
    if b.keeps_media_type {
        assert_eq!(meta.media_type.as_deref(), Some(XLSX));
        assert_eq!(blob.media_type.as_deref(), Some(XLSX));
    } else {
        assert_eq!((meta.media_type, blob.media_type), (None, None));
    }
}

pub(crate) async fn a_taken_file_round_trips_with_its_size_and_sha256(b: &Backend) {
    let key = Tenant::new().key("taken/report.xlsx");
    let bytes = data(70 * 1024 + 3, 2);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.xlsx");
    std::fs::write(&path, &bytes).unwrap();

    let stored = b.store.take_file(&key, &path, XLSX).await.unwrap();
    assert_eq!((stored.size, stored.sha256), (bytes.len() as u64, sha256(&bytes)));
    assert_eq!(read(&*b.store, &key, None).await, bytes);
}

pub(crate) async fn a_stream_round_trips_with_its_size_and_sha256(b: &Backend) {
    let t = Tenant::new();
    let key = t.key("upload.bin");
    let bytes = data(200_003, 2);
    let stored =
        b.store.put_stream(&key, chunks(&bytes, 1000), "image/png", 1 << 20).await.unwrap();
    assert_eq!((stored.size, stored.sha256), (bytes.len() as u64, sha256(&bytes)));
    assert_eq!(read(&*b.store, &key, None).await, bytes);
}

pub(crate) async fn an_empty_blob_round_trips(b: &Backend) {
    let key = Tenant::new().key("empty.txt");
    let stored = b.store.put_stream(&key, chunks(&[], 1), "text/plain", 0).await.unwrap();
    assert_eq!((stored.size, stored.sha256.as_str()), (0, sha256(&[]).as_str()));
    assert_eq!(read(&*b.store, &key, None).await, Vec::<u8>::new());
    assert_eq!(b.store.head(&key).await.unwrap().unwrap().size, 0);
}

pub(crate) async fn writing_a_key_again_replaces_it(b: &Backend) {
    let key = Tenant::new().key("report.xlsx");
    put(&*b.store, &key, &data(5000, 1)).await;
    put(&*b.store, &key, &data(300, 2)).await;
    assert_eq!(read(&*b.store, &key, None).await, data(300, 2));
    assert_eq!(b.store.head(&key).await.unwrap().unwrap().size, 300);
}

pub(crate) async fn a_failing_upload_stores_nothing_and_keeps_the_previous_blob(b: &Backend) {
    let t = Tenant::new();
    let fresh = t.key("fresh.bin");
    let err = b
        .store
        .put_stream(&fresh, failing_after(&data(1000, 1)), "text/plain", u64::MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Upload(_)), "{err:?}");
    assert_eq!(b.store.head(&fresh).await.unwrap(), None);

    let existing = t.key("existing.bin");
    put(&*b.store, &existing, b"version one").await;
    let err = b
        .store
        .put_stream(&existing, failing_after(&data(1000, 1)), "text/plain", u64::MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Upload(_)), "{err:?}");
    assert_eq!(read(&*b.store, &existing, None).await, b"version one");
}

pub(crate) async fn an_upload_over_its_limit_is_refused_and_stores_nothing(b: &Backend) {
    let t = Tenant::new();
    let key = t.key("big.bin");
    let err = b
        .store
        .put_stream(&key, chunks(&data(1001, 1), 100), "text/plain", 1000)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 1000 }), "{err:?}");
    assert_eq!(b.store.head(&key).await.unwrap(), None);

    put(&*b.store, &key, b"small").await;
    let err = b
        .store
        .put_stream(&key, chunks(&data(1001, 1), 1001), "text/plain", 1000)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { limit: 1000 }), "{err:?}");
    assert_eq!(read(&*b.store, &key, None).await, b"small");
}

pub(crate) async fn an_upload_of_exactly_its_limit_is_stored(b: &Backend) {
    let key = Tenant::new().key("exact.bin");
    let stored =
        b.store.put_stream(&key, chunks(&data(1000, 1), 300), "text/plain", 1000).await.unwrap();
    assert_eq!(stored.size, 1000);
}

pub(crate) async fn a_multipart_upload_failing_midway_stores_nothing(b: &Backend) {
    let key = Tenant::new().key("midway.bin");
    let err = b
        .store
        .put_stream(&key, failing_after(&data(9 * MIB, 3)), "text/plain", u64::MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Upload(_)), "{err:?}");
    assert_eq!(b.store.head(&key).await.unwrap(), None);
}

pub(crate) async fn a_multipart_upload_over_its_limit_stores_nothing(b: &Backend) {
    let key = Tenant::new().key("too-big.bin");
    let limit = 9 * MIB as u64;
    let err = b
        .store
        .put_stream(&key, chunks(&data(10 * MIB, 3), MIB), "text/plain", limit)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::TooLarge { .. }), "{err:?}");
    assert_eq!(b.store.head(&key).await.unwrap(), None);
}

pub(crate) async fn a_cancelled_upload_stores_nothing(b: &Backend) {
    let key = Tenant::new().key("cancelled.bin");
    // Some bytes, then a stream that never ends: the upload is dropped by the timeout.
    let body = chunks(&data(9 * MIB, 4), MIB).chain(stream::pending()).boxed();
    let upload = b.store.put_stream(&key, body, "text/plain", u64::MAX);
    assert!(tokio::time::timeout(Duration::from_millis(500), upload).await.is_err());
    assert_eq!(b.store.head(&key).await.unwrap(), None);
}

pub(crate) async fn readers_see_the_previous_blob_until_a_write_completes(b: &Backend) {
    let key = Tenant::new().key("live.bin");
    put(&*b.store, &key, b"old").await;

    let (tx, rx) = mpsc::channel(4);
    let body = channel_stream(rx);
    let store = b.store.clone();
    let writer_key = key.clone();
    let writer =
        tokio::spawn(
            async move { store.put_stream(&writer_key, body, "text/plain", u64::MAX).await },
        );
    tx.send(Ok(bytes::Bytes::from(data(100_000, 5)))).await.unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(read(&*b.store, &key, None).await, b"old");
    assert_eq!(b.store.head(&key).await.unwrap().unwrap().size, 3);

    drop(tx);
    writer.await.unwrap().unwrap();
    assert_eq!(read(&*b.store, &key, None).await, data(100_000, 5));
}

fn channel_stream(
    mut rx: mpsc::Receiver<std::io::Result<bytes::Bytes>>,
) -> kiln_storage::ByteStream {
    stream::poll_fn(move |cx| rx.poll_recv(cx)).boxed()
}

pub(crate) async fn ranges_select_the_bytes_http_would(b: &Backend) {
    let key = Tenant::new().key("ranged.bin");
    let bytes = data(1000, 6);
    put(&*b.store, &key, &bytes).await;

    let cases = [
        (ByteRange::Bounded { start: 0, end: 0 }, 0, 1),
        (ByteRange::Bounded { start: 10, end: 19 }, 10, 10),
        (ByteRange::Bounded { start: 990, end: 5000 }, 990, 10),
        (ByteRange::From { start: 400 }, 400, 600),
        (ByteRange::From { start: 999 }, 999, 1),
        (ByteRange::Suffix { len: 100 }, 900, 100),
    ];
    let long_suffix = (ByteRange::Suffix { len: 5000 }, 0, 1000);
    for (range, offset, size) in cases.into_iter().chain((!b.s3s_fs_quirks).then_some(long_suffix))
    {
        let blob = b.store.get(&key, Some(range)).await.unwrap();
        assert_eq!((blob.offset, blob.size, blob.total_size), (offset, size, 1000), "{range:?}");
        let got = read(&*b.store, &key, Some(range)).await;
        assert_eq!(got, &bytes[offset as usize..(offset + size) as usize], "{range:?}");
    }
}

pub(crate) async fn ranges_outside_a_blob_are_refused(b: &Backend) {
    let t = Tenant::new();
    let key = t.key("ranged.bin");
    put(&*b.store, &key, &data(1000, 6)).await;
    for range in [
        ByteRange::Bounded { start: 1000, end: 1010 },
        ByteRange::From { start: 1000 },
        ByteRange::Bounded { start: 20, end: 10 },
        ByteRange::Suffix { len: 0 },
    ] {
        let err = b.store.get(&key, Some(range)).await.unwrap_err();
        assert!(matches!(err, Error::RangeNotSatisfiable { size: 1000 }), "{range:?}: {err:?}");
    }
    let empty = t.key("empty.bin");
    put(&*b.store, &empty, b"").await;
    let err = b.store.get(&empty, Some(ByteRange::From { start: 0 })).await.unwrap_err();
    assert!(matches!(err, Error::RangeNotSatisfiable { size: 0 }), "{err:?}");
}

pub(crate) async fn a_missing_blob_is_not_found_and_has_no_head(b: &Backend) {
    let t = Tenant::new();
    put(&*b.store, &t.key("dir/present.txt"), b"here").await;
    let mut missing =
        vec![t.key("absent.txt"), t.key("dir/absent.txt"), t.key("dir/present.txt/below")];
    if !b.s3s_fs_quirks {
        missing.push(t.key("dir"));
    }
    for key in missing {
        let err = b.store.get(&key, None).await.unwrap_err();
        assert!(
            matches!(&err, Error::NotFound { key: k } if *k == key.to_string()),
            "{key}: {err:?}"
        );
        let err = b.store.get(&key, Some(ByteRange::From { start: 0 })).await.unwrap_err();
        assert!(matches!(err, Error::NotFound { .. }), "{key}: {err:?}");
        assert_eq!(b.store.head(&key).await.unwrap(), None, "{key}");
    }
}

pub(crate) async fn deleting_is_idempotent(b: &Backend) {
    let key = Tenant::new().key("doomed.txt");
    b.store.delete(&key).await.unwrap();
    put(&*b.store, &key, b"x").await;
    b.store.delete(&key).await.unwrap();
    assert_eq!(b.store.head(&key).await.unwrap(), None);
    b.store.delete(&key).await.unwrap();
}

pub(crate) async fn deleting_a_prefix_removes_only_that_prefix(b: &Backend) {
    let job = Tenant::new();
    let sibling_job = job.other_job();
    let sibling_session = job.session("s10"); // `s1` is a string prefix of `s10`
    let other_org = Tenant { org: kiln_core::OrgId::now_v7(), ..job.clone() };
    let doomed = [job.key("a.txt"), job.key("charts/b.png"), job.key("charts/deep/c.png")];
    let survivors =
        [sibling_job.key("a.txt"), sibling_session.key("a.txt"), other_org.key("a.txt")];
    for key in doomed.iter().chain(&survivors) {
        put(&*b.store, key, key.as_str().as_bytes()).await;
    }

    assert_eq!(b.store.delete_prefix(&job.job_prefix()).await.unwrap(), 3);
    for key in &doomed {
        assert_eq!(b.store.head(key).await.unwrap(), None, "{key}");
    }
    for key in &survivors {
        assert_eq!(read(&*b.store, key, None).await, key.as_str().as_bytes(), "{key}");
    }
    assert_eq!(b.store.delete_prefix(&job.job_prefix()).await.unwrap(), 0);

    // A session prefix takes every job of the session, and only that session.
    assert_eq!(b.store.delete_prefix(&job.session_prefix()).await.unwrap(), 1);
    assert_eq!(b.store.head(&sibling_job.key("a.txt")).await.unwrap(), None);
    assert!(b.store.head(&sibling_session.key("a.txt")).await.unwrap().is_some());
    assert!(b.store.head(&other_org.key("a.txt")).await.unwrap().is_some());
}

pub(crate) async fn deleting_a_prefix_of_more_than_a_thousand_blobs_removes_them_all(b: &Backend) {
    let t = Tenant::new();
    let keys: Vec<_> = (0..1003).map(|i| t.key(&format!("many/{i:04}.txt"))).collect();
    stream::iter(&keys)
        .for_each_concurrent(16, |key| async move { put(&*b.store, key, b"x").await })
        .await;
    assert_eq!(b.store.delete_prefix(&t.job_prefix()).await.unwrap(), 1003);
    assert_eq!(b.store.head(&keys[0]).await.unwrap(), None);
    assert_eq!(b.store.head(&keys[1002]).await.unwrap(), None);
}

pub(crate) async fn a_large_file_streams_through_in_parts(b: &Backend) {
    let key = Tenant::new().key("large.bin");
    let bytes = data(20 * MIB + 123, 7);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bytes).unwrap();

    let stored = b.store.put_file(&key, file.path(), "application/octet-stream").await.unwrap();
    assert_eq!(
        (stored.size, stored.sha256.as_str()),
        (bytes.len() as u64, sha256(&bytes).as_str())
    );

    let blob = b.store.get(&key, None).await.unwrap();
    let mut body = blob.body;
    let (mut hasher, mut size, mut largest) = (sha2::Sha256::default(), 0, 0);
    while let Some(chunk) = body.next().await {
        let chunk = chunk.unwrap();
        sha2::Digest::update(&mut hasher, &chunk);
        size += chunk.len();
        largest = largest.max(chunk.len());
    }
    assert_eq!(size, bytes.len());
    assert_eq!(hex::encode(sha2::Digest::finalize(hasher)), stored.sha256);
    assert!(largest <= 8 * MIB, "the body streams in chunks, not as one buffer ({largest} bytes)");

    let tail = read(&*b.store, &key, Some(ByteRange::Suffix { len: 10 })).await;
    assert_eq!(tail, &bytes[bytes.len() - 10..]);
}

pub(crate) async fn a_presigned_url_serves_the_blob_with_its_content_disposition(b: &Backend) {
    let key = Tenant::new().key("report.xlsx");
    put(&*b.store, &key, b"spreadsheet bytes").await;
    let disposition = attachment("Q1 report – ä.xlsx");
    let url = b.store.presigned_get(&key, Duration::from_secs(600), &disposition).await.unwrap();
    if !b.presigns {
        assert_eq!(url, None);
        return;
    }
    let response = http().get(url.unwrap()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-disposition"].to_str().unwrap(), disposition);
    assert_eq!(response.bytes().await.unwrap(), &b"spreadsheet bytes"[..]);
}

pub(crate) async fn a_presigned_url_with_a_tampered_signature_or_key_is_refused(b: &Backend) {
    let t = Tenant::new();
    let (key, neighbour) = (t.key("a.txt"), t.key("b.txt"));
    put(&*b.store, &key, b"mine").await;
    put(&*b.store, &neighbour, b"not yours").await;
    let Some(url) =
        b.store.presigned_get(&key, Duration::from_secs(600), "attachment").await.unwrap()
    else {
        assert!(!b.presigns);
        return;
    };
    assert_eq!(http().get(&url).send().await.unwrap().status(), 200, "the untampered URL works");

    let sig_at = url.find("X-Amz-Signature=").expect("a SigV4 URL") + "X-Amz-Signature=".len();
    let mut bad_signature = url.clone().into_bytes();
    bad_signature[sig_at] = if bad_signature[sig_at] == b'0' { b'1' } else { b'0' };
    let bad_signature = String::from_utf8(bad_signature).unwrap();
    let other_key = url.replacen("/a.txt?", "/b.txt?", 1);
    assert_ne!(other_key, url);
    for tampered in [bad_signature, other_key] {
        let response = http().get(&tampered).send().await.unwrap();
        assert_eq!(response.status(), 403, "{tampered}");
        assert_ne!(response.bytes().await.unwrap(), &b"not yours"[..]);
    }
}

pub(crate) async fn an_expired_presigned_url_is_refused(b: &Backend) {
    let key = Tenant::new().key("a.txt");
    put(&*b.store, &key, b"brief").await;
    let Some(url) =
        b.store.presigned_get(&key, Duration::from_secs(1), "attachment").await.unwrap()
    else {
        assert!(!b.presigns);
        return;
    };
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(http().get(&url).send().await.unwrap().status(), 403);
}

pub(crate) async fn presigning_for_longer_than_seven_days_is_refused(b: &Backend) {
    let key = Tenant::new().key("a.txt");
    let err = b
        .store
        .presigned_get(&key, MAX_PRESIGN + Duration::from_secs(1), "attachment")
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Expiry { .. }), "{err:?}");
    let url = b.store.presigned_get(&key, MAX_PRESIGN, "attachment").await.unwrap();
    assert_eq!(url.is_some(), b.presigns);
}

pub(crate) async fn the_readiness_check_passes(b: &Backend) {
    b.store.check().await.unwrap();
}
