//! S3 against a real S3-compatible server: the conformance suite, plus
//! configuration errors and what only S3 does (prefix, multipart).

use std::sync::Arc;
use std::task::Poll;
use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::{StreamExt, stream};
use kiln_storage::{BlobStore, Error, S3Config, S3Store};
use tokio::sync::{Notify, mpsc};

use crate::conformance::{Backend, conformance_suite};
use crate::support::{Tenant, data, failing_after, put, read};
use kiln_storage::testsuite::{BUCKET, S3sServer, http};

async fn backend() -> Backend {
    let server = S3sServer::start();
    let store = S3Store::new(server.config()).unwrap();
    Backend {
        store: Arc::new(store),
        keeps_media_type: true,
        presigns: true,
        s3s_fs_quirks: true,
        _guard: Box::new(server),
    }
}

conformance_suite!(backend);

#[tokio::test]
async fn a_missing_bucket_is_reported_by_name() {
    let server = S3sServer::start();
    let store =
        S3Store::new(S3Config { bucket: "no-such-bucket".into(), ..server.config() }).unwrap();
    let err = store.check().await.unwrap_err();
    assert!(
        matches!(&err, Error::NoSuchBucket { bucket } if bucket == "no-such-bucket"),
        "{err:?}"
    );
    assert!(err.to_string().contains("create it"), "{err}");
}

#[tokio::test]
async fn refused_credentials_are_reported_as_such() {
    let server = S3sServer::start();
    for config in [
        S3Config { secret_access_key: Some("wrong".into()), ..server.config() },
        S3Config { access_key_id: Some("unknown".into()), ..server.config() },
    ] {
        let store = S3Store::new(config).unwrap();
        let err = store.check().await.unwrap_err();
        assert!(matches!(err, Error::Denied { .. }), "{err:?}");
        assert!(err.to_string().contains("check the access key id and secret key"), "{err}");
        let err = store.head(&Tenant::new().key("a")).await.unwrap_err();
        assert!(matches!(err, Error::Denied { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn an_unreachable_endpoint_is_reported_as_such() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let config = S3Config {
        bucket: BUCKET.into(),
        region: "us-east-1".into(),
        endpoint_url: Some(format!("http://127.0.0.1:{port}")),
        force_path_style: true,
        access_key_id: Some("k".into()),
        secret_access_key: Some("s".into()),
        prefix: None,
    };
    let err = S3Store::new(config).unwrap().check().await.unwrap_err();
    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
}

#[test]
fn incomplete_configuration_is_refused_before_any_request() {
    let base = S3Config {
        bucket: "b".into(),
        region: "us-east-1".into(),
        access_key_id: Some("k".into()),
        secret_access_key: Some("s".into()),
        ..S3Config::default()
    };
    for config in [
        S3Config { bucket: String::new(), ..base.clone() },
        S3Config { region: String::new(), ..base.clone() },
        S3Config { secret_access_key: None, ..base.clone() },
        S3Config { prefix: Some("a/../b".into()), ..base.clone() },
    ] {
        let err = S3Store::new(config).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
    }
    assert!(!format!("{base:?}").contains("\"s\""), "the secret stays out of Debug output");
}

#[tokio::test]
async fn a_configured_prefix_puts_every_key_under_it() {
    let server = S3sServer::start();
    let store =
        S3Store::new(S3Config { prefix: Some("/kiln/prod/".into()), ..server.config() }).unwrap();
    let t = Tenant::new();
    put(&store, &t.key("a.txt"), b"prefixed").await;
    let on_disk = server.data.path().join(BUCKET).join("kiln/prod").join(t.key("a.txt").as_str());
    assert_eq!(std::fs::read(on_disk).unwrap(), b"prefixed");

    let unprefixed = S3Store::new(server.config()).unwrap();
    assert_eq!(unprefixed.head(&t.key("a.txt")).await.unwrap(), None);
    assert_eq!(store.delete_prefix(&t.job_prefix()).await.unwrap(), 1);
}

#[tokio::test]
async fn uploads_larger_than_a_part_are_sent_in_parts() {
    let server = S3sServer::start();
    let store = S3Store::new(server.config()).unwrap();
    let key = Tenant::new().key("large.bin");
    let bytes = data(kiln_storage::S3_PART_SIZE * 2 + 1, 9);
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), &bytes).unwrap();
    store.put_file(&key, file.path(), "application/octet-stream").await.unwrap();

    // A multipart object's ETag ends in `-{number of parts}`.
    let url =
        store.presigned_get(&key, Duration::from_secs(60), "attachment").await.unwrap().unwrap();
    let response = http().get(url).send().await.unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    assert!(etag.ends_with("-3\""), "{etag}");
    assert_eq!(read(&store, &key, None).await, bytes);
}

/// Multipart uploads in progress on the server (s3s-fs keeps their parts and
/// bookkeeping as `.upload*` files in its data directory).
fn uploads_in_progress(server: &S3sServer) -> usize {
    std::fs::read_dir(server.data.path())
        .unwrap()
        .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(".upload"))
        .count()
}

async fn wait_for(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_interrupted_multipart_upload_is_aborted_on_the_server() {
    let server = S3sServer::start();
    let store = Arc::new(S3Store::new(server.config()).unwrap());
    let key = Tenant::new().key("interrupted.bin");

    // Cancelled: the upload's task is dropped while it waits for more bytes.
    // It asks for bytes past the ninth MiB only once the first 8 MiB part is
    // on the server; cancelling while that part is in flight could leave it
    // behind, as S3 itself warns for parts racing an abort.
    let (tx, mut rx) = mpsc::channel(16);
    let waits_after_first_part = Arc::new(Notify::new());
    let body = stream::poll_fn({
        let (waits, mut delivered) = (waits_after_first_part.clone(), 0);
        move |cx| {
            let next = rx.poll_recv(cx);
            match next {
                Poll::Ready(Some(_)) => delivered += 1,
                Poll::Pending if delivered == 9 => waits.notify_one(),
                _ => {}
            }
            next
        }
    })
    .boxed();
    let upload = tokio::spawn({
        let (store, key) = (store.clone(), key.clone());
        async move { store.put_stream(&key, body, "text/plain", u64::MAX).await }
    });
    for chunk in data(9 << 20, 1).chunks(1 << 20) {
        tx.send(Ok(Bytes::copy_from_slice(chunk))).await.unwrap();
    }
    waits_after_first_part.notified().await;
    assert!(uploads_in_progress(&server) > 0);
    upload.abort();
    assert!(upload.await.unwrap_err().is_cancelled());
    wait_for("the upload to be aborted", || uploads_in_progress(&server) == 0).await;

    // Failed: the body breaks after the first part.
    let err = store
        .put_stream(&key, failing_after(&data(9 << 20, 2)), "text/plain", u64::MAX)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Upload(_)), "{err:?}");
    wait_for("the upload to be aborted", || uploads_in_progress(&server) == 0).await;
    assert_eq!(store.head(&key).await.unwrap(), None);
}
