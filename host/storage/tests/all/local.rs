//! Local disk: the conformance suite, and the walls cap-std puts around the root.

use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use kiln_storage::{BlobStore, Error, LocalStore};

use crate::conformance::{Backend, conformance_suite};
use crate::support::{Tenant, chunks, failing_after, put, read};

async fn backend() -> Backend {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("blobs")).unwrap();
    Backend {
        store: Arc::new(store),
        keeps_media_type: false,
        presigns: false,
        s3s_fs_quirks: false,
        _guard: Box::new(dir),
    }
}

conformance_suite!(backend);

/// Files in the root's temporary directory.
fn temp_files(store: &LocalStore) -> Vec<String> {
    let mut names: Vec<_> = std::fs::read_dir(store.root().join(".tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn a_missing_root_is_created_private() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("a/b/blobs");
    LocalStore::open(&root).unwrap();
    assert_eq!(std::fs::metadata(&root).unwrap().permissions().mode() & 0o777, 0o700);
}

#[tokio::test]
async fn failed_and_cancelled_writes_leave_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let key = Tenant::new().key("a.bin");
    store.put_stream(&key, failing_after(&[1; 5000]), "text/plain", u64::MAX).await.unwrap_err();
    store.put_stream(&key, chunks(&[1; 5000], 100), "text/plain", 10).await.unwrap_err();
    let pending = futures_util::StreamExt::boxed(futures_util::stream::pending());
    let cancelled = tokio::time::timeout(
        Duration::from_millis(100),
        store.put_stream(&key, pending, "text/plain", 10),
    );
    assert!(cancelled.await.is_err());
    assert_eq!(temp_files(&store), Vec::<String>::new());
}

#[tokio::test]
async fn stale_temporary_files_are_removed_on_open_and_fresh_ones_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let temp = dir.path().join(".tmp");
    let old = std::fs::File::create(temp.join("old")).unwrap();
    old.set_modified(SystemTime::now() - Duration::from_secs(2 * 60 * 60)).unwrap();
    std::fs::File::create(temp.join("young")).unwrap();
    drop(store);
    let store = LocalStore::open(dir.path()).unwrap();
    assert_eq!(temp_files(&store), ["young"]);
}

#[tokio::test]
async fn a_taken_file_is_moved_in_from_the_same_file_system_and_copied_from_another() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("blobs")).unwrap();
    let tenant = Tenant::new();
    let staged = dir.path().join("out.xlsx");
    std::fs::write(&staged, b"same file system").unwrap();
    let inode = std::fs::metadata(&staged).unwrap().ino();
    let key = tenant.key("moved.xlsx");
    store.take_file(&key, &staged, "text/plain").await.unwrap();
    assert!(!staged.exists(), "moved, not copied");
    let stored = store.root().join(key.as_str());
    assert_eq!(std::fs::metadata(&stored).unwrap().ino(), inode);
    assert_eq!(read(&store, &key, None).await, b"same file system");

    // /dev/shm is a tmpfs: a rename from there fails with EXDEV.
    let elsewhere = tempfile::tempdir_in("/dev/shm").unwrap();
    let staged = elsewhere.path().join("out.xlsx");
    std::fs::write(&staged, b"another file system").unwrap();
    let key = tenant.key("copied.xlsx");
    store.take_file(&key, &staged, "text/plain").await.unwrap();
    assert_eq!(read(&store, &key, None).await, b"another file system");

    // A link is not moved in as a link: its target is read, as put_file does.
    let target = dir.path().join("target.txt");
    std::fs::write(&target, b"linked").unwrap();
    let link = dir.path().join("link.xlsx");
    symlink(&target, &link).unwrap();
    let key = tenant.key("linked.xlsx");
    store.take_file(&key, &link, "text/plain").await.unwrap();
    assert!(std::fs::symlink_metadata(store.root().join(key.as_str())).unwrap().is_file());
    assert_eq!(temp_files(&store), Vec::<String>::new());
}

#[tokio::test]
async fn a_symlink_inside_the_root_pointing_outside_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let outside = dir.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::fs::write(outside.join("secret.txt"), "secret").unwrap();
    let store = LocalStore::open(dir.path().join("root")).unwrap();
    let t = Tenant::new();

    // A file symlink where a blob would be.
    put(&store, &t.key("real.txt"), b"real").await;
    let job_dir = store.root().join(t.key("real.txt").as_str()).parent().unwrap().to_owned();
    symlink(outside.join("secret.txt"), job_dir.join("evil.txt")).unwrap();
    let err = store.get(&t.key("evil.txt"), None).await.unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(store.head(&t.key("evil.txt")).await.is_err());

    // A directory symlink where a job would be: reads and writes through it
    // fail, and nothing outside is read, written or deleted.
    let job = t.other_job();
    symlink(&outside, job_dir.parent().unwrap().join(job.job.to_string())).unwrap();
    assert!(store.get(&job.key("secret.txt"), None).await.is_err());
    assert!(store.head(&job.key("secret.txt")).await.is_err());
    let err = store
        .put_stream(&job.key("x.txt"), chunks(b"leak", 4), "text/plain", 100)
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Io { .. }), "{err:?}");
    assert!(store.delete(&job.key("secret.txt")).await.is_err());
    assert!(store.delete_prefix(&job.job_prefix()).await.is_err());

    let outside_files: Vec<_> =
        std::fs::read_dir(&outside).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(outside_files, ["secret.txt"]);
    assert_eq!(std::fs::read_to_string(outside.join("secret.txt")).unwrap(), "secret");
    assert_eq!(read(&store, &t.key("real.txt"), None).await, b"real");
}
