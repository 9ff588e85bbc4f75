//! ZIP bundles, read back by Python's `zipfile` (an independent reader):
//! names, sizes, CRCs, contents, times, and the ZIP64 records for entries of
//! 4 GiB and more, offsets past 4 GiB and more than 65535 entries.

use std::collections::HashMap;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::Path;
use std::pin::Pin;
use std::process::Command;
use std::task::{Context, Poll};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, TimeZone, Utc};
use futures_util::{StreamExt, stream};
use kiln_storage::{
    Blob, BlobKey, BlobMeta, BlobStore, ByteRange, ByteStream, Error, KeyPrefix, LocalStore,
    Stored, ZipEntry, write_zip, zip_len,
};
use serde_json::json;
use tokio::io::AsyncWrite;

use crate::support::{Tenant, data, put, sha256};

/// Checks an archive against a JSON list of expected entries; prints nothing
/// and exits 0 when every check holds.
const CHECK_ENTRIES: &str = r#"
import hashlib, json, sys, zipfile
path, expected = sys.argv[1], json.loads(sys.argv[2])
with zipfile.ZipFile(path) as zf:
    infos = zf.infolist()
    assert [i.filename for i in infos] == [e["name"] for e in expected], [i.filename for i in infos]
    assert zf.testzip() is None, "bad CRC in " + str(zf.testzip())
    for info, e in zip(infos, expected):
        assert info.compress_type == zipfile.ZIP_STORED, info
        assert info.flag_bits & 0x800, "UTF-8 flag missing on " + info.filename
        assert info.flag_bits & 0x08, "data descriptor flag missing on " + info.filename
        assert info.file_size == e["size"], (info.filename, info.file_size)
        assert list(info.date_time) == e["date_time"], (info.filename, info.date_time)
        assert hashlib.sha256(zf.read(info)).hexdigest() == e["sha256"], info.filename
        assert (info.external_attr >> 16) == 0o100644, oct(info.external_attr)
"#;

/// Reads the ZIP64 end records by hand (zipfile does not say whether it used
/// them) and checks them against the arguments: entry count, and whether the
/// central directory must start past 4 GiB.
const CHECK_ZIP64_END: &str = r#"
import struct, sys
path, count = sys.argv[1], int(sys.argv[2])
with open(path, "rb") as f:
    f.seek(-22, 2)
    end = f.read(22)
    assert end[:4] == b"PK\x05\x06", "no end of central directory record"
    f.seek(-22 - 20, 2)
    locator = f.read(20)
    assert locator[:4] == b"PK\x06\x07", "no ZIP64 end locator"
    (zip64_at,) = struct.unpack("<Q", locator[8:16])
    f.seek(zip64_at)
    record = f.read(56)
    assert record[:4] == b"PK\x06\x06", "no ZIP64 end record where the locator points"
    entries, total, cd_size, cd_offset = struct.unpack("<QQQQ", record[24:56])
    assert entries == total == count, (entries, total)
    assert cd_offset + cd_size == zip64_at, (cd_offset, cd_size, zip64_at)
    classic_count = struct.unpack("<H", end[10:12])[0]
    assert classic_count == min(count, 0xFFFF), classic_count
"#;

/// Checks an archive whose first entry is more than 4 GiB of zeros and whose
/// second lies past 4 GiB. Reading the huge entry back would take longer than
/// writing it, so its CRC is checked against zlib's CRC of that many zeros,
/// and its data descriptor (8-byte sizes) is read by hand.
const CHECK_HUGE: &str = r#"
import struct, sys, zipfile, zlib
path, huge_size, small = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode()
with zipfile.ZipFile(path) as zf:
    huge, after = zf.infolist()
    assert huge.file_size == huge_size and huge.compress_size == huge_size, huge
    assert huge.header_offset == 0, huge.header_offset
    assert after.header_offset > 0xFFFFFFFF, after.header_offset
    assert zf.read(after) == small
    with zf.open(huge) as f:
        assert f.read(1 << 20) == bytes(1 << 20)
    zero, crc, left = bytes(1 << 20), 0, huge_size
    while left:
        crc = zlib.crc32(zero[:min(left, len(zero))], crc)
        left -= min(left, len(zero))
    assert huge.CRC == crc, (hex(huge.CRC), hex(crc))
with open(path, "rb") as f:
    header = f.read(30)
    assert header[:4] == b"PK\x03\x04"
    flags, = struct.unpack("<H", header[6:8])
    assert flags & 0x08, "no data descriptor flag"
    sizes = struct.unpack("<II", header[18:26])
    assert sizes == (0xFFFFFFFF, 0xFFFFFFFF), sizes
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    f.read(name_len)
    extra = f.read(extra_len)
    ids = []
    while extra:
        tag, size = struct.unpack("<HH", extra[:4])
        ids.append(tag)
        extra = extra[4 + size:]
    assert 0x0001 in ids, "no ZIP64 extra field in the local header"
    f.seek(30 + name_len + extra_len + huge_size)
    descriptor = f.read(24)
    assert descriptor[:4] == b"PK\x07\x08", descriptor[:4]
    assert struct.unpack("<IQQ", descriptor[4:]) == (crc, huge_size, huge_size)
"#;

fn python(script: &str, args: &[&str]) {
    let python = std::env::var("KILN_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let output =
        Command::new(&python).arg("-c").arg(script).args(args).output().unwrap_or_else(|e| {
            panic!("could not run {python} (set KILN_TEST_PYTHON to a Python 3 interpreter): {e}")
        });
    assert!(
        output.status.success(),
        "zipfile refused the archive:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn at(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).unwrap()
}

fn entry(name: &str, key: &BlobKey, size: u64) -> ZipEntry {
    ZipEntry { name: name.into(), key: key.clone(), size, modified: at(1_714_979_289) } // 2024-05-06T07:08:09Z
}

#[tokio::test]
async fn a_bundle_of_stored_blobs_reads_back_with_names_times_and_crcs() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("blobs")).unwrap();
    let t = Tenant::new();
    let files: [(&str, Vec<u8>); 5] = [
        ("xlsx/report.xlsx", data(300_001, 1)),
        ("xlsx/charts/a.png", data(70_000, 2)),
        ("docx/Überblick – 2024.docx", data(1234, 3)),
        ("pdf/empty.pdf", Vec::new()),
        ("pdf/one.txt", b"1".to_vec()),
    ];
    let mut entries = Vec::new();
    for (i, (name, bytes)) in files.iter().enumerate() {
        let key = t.key(&format!("blob-{i}"));
        put(&store, &key, bytes).await;
        entries.push(entry(name, &key, bytes.len() as u64));
    }
    entries[4].modified = at(0); // before 1980: DOS time clamps to 1980-01-01

    let mut out = Vec::new();
    let written = write_zip(&store, &entries, &mut out).await.unwrap();
    assert_eq!(written, out.len() as u64);
    assert_eq!(zip_len(&entries), written, "the length is known before writing");

    let mut again = Vec::new();
    write_zip(&store, &entries, &mut again).await.unwrap();
    assert_eq!(again, out, "the same entries give the same bytes");

    let path = dir.path().join("bundle.zip");
    std::fs::write(&path, &out).unwrap();
    let expected: Vec<_> = files
        .iter()
        .enumerate()
        .map(|(i, (name, bytes))| {
            let date_time = if i == 4 { [1980, 1, 1, 0, 0, 0] } else { [2024, 5, 6, 7, 8, 8] };
            json!({ "name": name, "size": bytes.len(), "sha256": sha256(bytes), "date_time": date_time })
        })
        .collect();
    python(CHECK_ENTRIES, &[path.to_str().unwrap(), &serde_json::to_string(&expected).unwrap()]);
}

#[tokio::test]
async fn an_empty_bundle_is_a_valid_zip() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let mut out = Vec::new();
    assert_eq!(write_zip(&store, &[], &mut out).await.unwrap(), 22);
    let path = dir.path().join("empty.zip");
    std::fs::write(&path, &out).unwrap();
    python(CHECK_ENTRIES, &[path.to_str().unwrap(), "[]"]);
}

#[tokio::test]
async fn more_than_65535_entries_get_a_zip64_end_record() {
    const COUNT: usize = 70_000;
    let t = Tenant::new();
    let mut store = MemStore::default();
    let mut entries = Vec::with_capacity(COUNT);
    for i in 0..COUNT {
        let key = t.key(&format!("f{i}"));
        store.blobs.insert(key.clone(), Source::Bytes(Bytes::from(format!("{i}\n"))));
        entries.push(entry(&format!("files/{i}.txt"), &key, format!("{i}\n").len() as u64));
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("many.zip");
    let file = tokio::fs::File::create(&path).await.unwrap();
    let written = write_zip(&store, &entries, file).await.unwrap();
    assert_eq!((written, zip_len(&entries)), (std::fs::metadata(&path).unwrap().len(), written));

    let expected: Vec<_> = (0..COUNT)
        .map(|i| {
            let bytes = format!("{i}\n");
            json!({ "name": format!("files/{i}.txt"), "size": bytes.len(), "sha256": sha256(bytes.as_bytes()),
                    "date_time": [2024, 5, 6, 7, 8, 8] })
        })
        .collect();
    let expected_path = dir.path().join("expected.json");
    std::fs::write(&expected_path, serde_json::to_string(&expected).unwrap()).unwrap();
    // The expected list is too long for a command line; the script reads it from a file.
    let script = CHECK_ENTRIES.replace("json.loads(sys.argv[2])", "json.load(open(sys.argv[2]))");
    python(&script, &[path.to_str().unwrap(), expected_path.to_str().unwrap()]);
    python(CHECK_ZIP64_END, &[path.to_str().unwrap(), &COUNT.to_string()]);
}

#[tokio::test]
async fn an_entry_over_4_gib_gets_zip64_sizes_and_the_next_a_zip64_offset() {
    let huge_size: u64 = (4 << 30) + 3; // past u32::MAX, and not a multiple of the chunk size
    let t = Tenant::new();
    let (huge, small) = (t.key("huge"), t.key("small"));
    let mut store = MemStore::default();
    store.blobs.insert(huge.clone(), Source::Zeros(huge_size));
    store.blobs.insert(small.clone(), Source::Bytes(Bytes::from_static(b"after the huge one")));
    let entries = [entry("huge.bin", &huge, huge_size), entry("after.txt", &small, 18)];

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.zip");
    let started = std::time::Instant::now();
    let written = write_zip(&store, &entries, SparseFile::create(&path)).await.unwrap();
    assert_eq!(written, zip_len(&entries));
    assert_eq!(written, std::fs::metadata(&path).unwrap().len());
    assert!(started.elapsed() < Duration::from_secs(60), "writing took {:?}", started.elapsed());

    python(CHECK_HUGE, &[path.to_str().unwrap(), &huge_size.to_string(), "after the huge one"]);
    python(CHECK_ZIP64_END, &[path.to_str().unwrap(), "2"]);
}

#[tokio::test]
async fn a_blob_of_another_size_than_its_entry_fails_the_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    let key = Tenant::new().key("a.txt");
    put(&store, &key, b"12345").await;
    for declared in [4, 6] {
        let err = write_zip(&store, &[entry("a.txt", &key, declared)], &mut Vec::new())
            .await
            .unwrap_err();
        assert!(
            matches!(err, Error::SizeMismatch { expected, actual: 5, .. } if expected == declared),
            "{err:?}"
        );
    }
    let err = write_zip(&store, &[entry("a.txt", &Tenant::new().key("gone"), 1)], &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }), "{err:?}");
}

#[tokio::test]
async fn unsafe_or_duplicate_entry_names_are_refused_before_writing() {
    let store = MemStore::default();
    let key = Tenant::new().key("a");
    for names in
        [&["../evil"][..], &["/abs"], &["a//b"], &["a\\b"], &["a\nb"], &[""], &["same", "same"]]
    {
        let entries: Vec<_> = names.iter().map(|n| entry(n, &key, 0)).collect();
        let mut out = Vec::new();
        let err = write_zip(&store, &entries, &mut out).await.unwrap_err();
        assert!(
            matches!(err, Error::InvalidKey { part: "ZIP entry name", .. }),
            "{names:?}: {err:?}"
        );
        assert!(out.is_empty(), "{names:?}");
    }
}

/// Blobs that cost no memory: zeros of any length, or small byte strings.
/// Only `get` is used by `write_zip`.
#[derive(Default)]
struct MemStore {
    blobs: HashMap<BlobKey, Source>,
}

enum Source {
    Zeros(u64),
    Bytes(Bytes),
}

static ZEROS: [u8; 1 << 20] = [0; 1 << 20];

#[async_trait]
impl BlobStore for MemStore {
    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> kiln_storage::Result<Blob> {
        assert_eq!(range, None);
        let (size, body): (u64, ByteStream) = match self.blobs.get(key) {
            Some(Source::Bytes(bytes)) => {
                (bytes.len() as u64, stream::iter([Ok(bytes.clone())]).boxed())
            }
            Some(&Source::Zeros(size)) => {
                let chunk = ZEROS.len() as u64;
                let body = stream::iter((0..size.div_ceil(chunk)).map(move |i| {
                    let len = chunk.min(size - i * chunk) as usize;
                    Ok(Bytes::from_static(&ZEROS[..len]))
                }));
                (size, body.boxed())
            }
            None => return Err(Error::NotFound { key: key.to_string() }),
        };
        Ok(Blob { offset: 0, size, total_size: size, media_type: None, body })
    }

    async fn put_file(&self, _: &BlobKey, _: &Path, _: &str) -> kiln_storage::Result<Stored> {
        unimplemented!("not used by write_zip")
    }
    async fn put_stream(
        &self,
        _: &BlobKey,
        _: ByteStream,
        _: &str,
        _: u64,
    ) -> kiln_storage::Result<Stored> {
        unimplemented!("not used by write_zip")
    }
    async fn head(&self, _: &BlobKey) -> kiln_storage::Result<Option<BlobMeta>> {
        unimplemented!("not used by write_zip")
    }
    async fn delete(&self, _: &BlobKey) -> kiln_storage::Result<()> {
        unimplemented!("not used by write_zip")
    }
    async fn delete_prefix(&self, _: &KeyPrefix) -> kiln_storage::Result<u64> {
        unimplemented!("not used by write_zip")
    }
    async fn presigned_get(
        &self,
        _: &BlobKey,
        _: Duration,
        _: &str,
    ) -> kiln_storage::Result<Option<String>> {
        unimplemented!("not used by write_zip")
    }
    async fn check(&self) -> kiln_storage::Result<()> {
        unimplemented!("not used by write_zip")
    }
}

/// A file written with holes where the data is all zeros, so a 4 GiB archive
/// costs a few kilobytes of disk.
struct SparseFile(std::fs::File);

impl SparseFile {
    fn create(path: &Path) -> Self {
        Self(std::fs::File::create(path).unwrap())
    }
}

impl AsyncWrite for SparseFile {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let file = &mut self.get_mut().0;
        let zeros = buf.chunks(4096).all(|c| c.iter().fold(0, |acc, b| acc | b) == 0);
        let result = if zeros {
            file.seek(SeekFrom::Current(buf.len() as i64)).map(|_| ())
        } else {
            file.write_all(buf)
        };
        Poll::Ready(result.map(|()| buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}
