//! Streaming ZIP bundles of blobs.
//!
//! [`write_zip`] writes an archive to any `AsyncWrite` without seeking and
//! without holding more than one chunk of one blob in memory: blobs are
//! fetched one at a time, each entry's CRC-32 is computed as its bytes pass,
//! and CRC and sizes follow the data in a data descriptor (flag bit 3).
//!
//! Entries are *stored*, not deflated: kiln's artifacts (xlsx, docx, pptx,
//! pdf, png) are already compressed, so deflate would cost CPU for a few
//! percent at best. Storing also makes the archive's length a function of the
//! entries alone, so [`zip_len`] gives an exact `Content-Length` before the
//! first byte is written, and the same entries always give the same bytes.
//!
//! ZIP64 records are written exactly where the classic fields overflow: per
//! entry for sizes of 4 GiB and up (extra field in the local header, 8-byte
//! sizes in the data descriptor) and for local-header offsets past 4 GiB, and
//! a ZIP64 end of central directory when there are 65535 entries or more or
//! the central directory lies or extends past 4 GiB. File names are UTF-8
//! (flag bit 11). Modification times go both in the DOS fields (as UTC) and in
//! an extended-timestamp extra field (exact, UTC).

use std::collections::HashSet;

use chrono::{DateTime, Datelike, Timelike, Utc};
use futures_util::StreamExt;
use tokio::io::{AsyncWrite, AsyncWriteExt, BufWriter};

use crate::{BlobKey, BlobStore, Error, Result};

/// One file of a bundle.
#[derive(Debug, Clone)]
pub struct ZipEntry {
    /// Path inside the archive, `/`-separated, e.g. `xlsx/report.xlsx`.
    pub name: String,
    pub key: BlobKey,
    /// The blob's size. It decides the layout, so it must be right: a blob of
    /// another size fails the bundle with [`Error::SizeMismatch`].
    pub size: u64,
    pub modified: DateTime<Utc>,
}

const LOCAL_HEADER: u32 = 0x0403_4b50;
const DATA_DESCRIPTOR: u32 = 0x0807_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const END: u32 = 0x0605_4b50;

/// Bit 3: CRC and sizes are in the data descriptor. Bit 11: UTF-8 names.
const FLAGS: u16 = 0x0008 | 0x0800;
const VERSION_CLASSIC: u16 = 20;
const VERSION_ZIP64: u16 = 45;
/// Unix, APPNOTE 6.3 (UTF-8 names).
const MADE_BY: u16 = (3 << 8) | 63;
/// `-rw-r--r--` regular file, in the high half as Unix tools expect.
const EXTERNAL_ATTRS: u32 = 0o100_644 << 16;

const EXTRA_ZIP64: u16 = 0x0001;
const EXTRA_TIMESTAMP: u16 = 0x5455;

/// A classic field holding this value means "see the ZIP64 record".
const MAX_U32: u64 = u32::MAX as u64;
const MAX_U16: u64 = u16::MAX as u64;
const BUFFER: usize = 64 * 1024;

/// What the central directory needs to remember about a written entry.
struct Written<'a> {
    entry: &'a ZipEntry,
    crc: u32,
    offset: u64,
}

/// The exact number of bytes [`write_zip`] writes for `entries`.
pub fn zip_len(entries: &[ZipEntry]) -> u64 {
    let mut offset = 0;
    let mut central = 0;
    for entry in entries {
        let zip64 = entry.size >= MAX_U32;
        central += central_header(&Written { entry, crc: 0, offset }).len() as u64;
        offset += local_header(entry).len() as u64 + entry.size + if zip64 { 24 } else { 16 };
    }
    offset + central + end_records(entries.len() as u64, offset, central).len() as u64
}

/// Writes a ZIP of `entries`, fetching each blob from `store` in turn, and
/// returns the number of bytes written (always [`zip_len`]`(entries)`).
///
/// Entry names must be non-empty, relative, free of `.`/`..` segments,
/// backslashes and control characters, and unique; this is checked before
/// anything is written. A blob that is missing or of another size than its
/// entry says fails the call part-way, so an HTTP handler has to abort the
/// response (the archive is then visibly truncated, never silently wrong).
/// `out` is flushed, not shut down.
pub async fn write_zip<W>(store: &dyn BlobStore, entries: &[ZipEntry], out: W) -> Result<u64>
where
    W: AsyncWrite + Unpin + Send,
{
    check_names(entries)?;
    let mut out = BufWriter::with_capacity(BUFFER, out);
    let write_err = |e| Error::io("could not write the ZIP bundle", e);
    let mut offset = 0u64;
    let mut written = Vec::with_capacity(entries.len());
    for entry in entries {
        let header = local_header(entry);
        out.write_all(&header).await.map_err(write_err)?;

        let blob = store.get(&entry.key, None).await?;
        let mismatch = |actual| Error::SizeMismatch {
            key: entry.key.to_string(),
            expected: entry.size,
            actual,
        };
        if blob.total_size != entry.size {
            return Err(mismatch(blob.total_size));
        }
        let mut crc = crc32fast::Hasher::new();
        let mut size = 0u64;
        let mut body = blob.body;
        while let Some(chunk) = body.next().await {
            let chunk = chunk.map_err(|e| {
                Error::io(format!("could not read {} for the ZIP bundle", entry.key), e)
            })?;
            size += chunk.len() as u64;
            if size > entry.size {
                return Err(mismatch(size));
            }
            crc.update(&chunk);
            out.write_all(&chunk).await.map_err(write_err)?;
        }
        if size != entry.size {
            return Err(mismatch(size));
        }
        let crc = crc.finalize();
        let descriptor = data_descriptor(crc, size);
        out.write_all(&descriptor).await.map_err(write_err)?;

        written.push(Written { entry, crc, offset });
        offset += header.len() as u64 + size + descriptor.len() as u64;
    }

    let central_start = offset;
    for record in &written {
        let header = central_header(record);
        offset += header.len() as u64;
        out.write_all(&header).await.map_err(write_err)?;
    }
    let end = end_records(written.len() as u64, central_start, offset - central_start);
    out.write_all(&end).await.map_err(write_err)?;
    out.flush().await.map_err(write_err)?;
    Ok(offset + end.len() as u64)
}

fn check_names(entries: &[ZipEntry]) -> Result<()> {
    let mut seen = HashSet::with_capacity(entries.len());
    for entry in entries {
        let name = entry.name.as_str();
        let rule = if name.is_empty() || name.split('/').any(str::is_empty) {
            "must not be empty or contain empty segments"
        } else if name.split('/').any(|s| s == "." || s == "..") {
            "must not contain '.' or '..' segments"
        } else if name.contains('\\') || name.chars().any(char::is_control) {
            "must not contain backslashes or control characters"
        } else if name.len() > usize::from(u16::MAX) {
            "longer than 65535 bytes"
        } else if !seen.insert(name) {
            "appears twice in the bundle"
        } else {
            continue;
        };
        return Err(Error::InvalidKey { part: "ZIP entry name", value: format!("{name:?}"), rule });
    }
    Ok(())
}

fn local_header(entry: &ZipEntry) -> Vec<u8> {
    let zip64 = entry.size >= MAX_U32;
    let (time, date) = dos_time(entry.modified);
    let mut extra = timestamp_extra(entry.modified);
    if zip64 {
        // Sizes are in the data descriptor; the zeros here only announce that
        // the descriptor's sizes are 8 bytes wide.
        extra.put16(EXTRA_ZIP64).put16(16).put64(0).put64(0);
    }
    let mut h = Vec::with_capacity(30 + entry.name.len() + extra.len());
    h.put32(LOCAL_HEADER)
        .put16(if zip64 { VERSION_ZIP64 } else { VERSION_CLASSIC })
        .put16(FLAGS)
        .put16(0) // stored
        .put16(time)
        .put16(date)
        .put32(0) // CRC-32: in the data descriptor
        .put32(if zip64 { u32::MAX } else { 0 })
        .put32(if zip64 { u32::MAX } else { 0 })
        .put16(entry.name.len() as u16)
        .put16(extra.len() as u16);
    h.extend_from_slice(entry.name.as_bytes());
    h.extend_from_slice(&extra);
    h
}

fn data_descriptor(crc: u32, size: u64) -> Vec<u8> {
    let mut d = Vec::with_capacity(24);
    d.put32(DATA_DESCRIPTOR).put32(crc);
    if size >= MAX_U32 {
        d.put64(size).put64(size);
    } else {
        d.put32(size as u32).put32(size as u32);
    }
    d
}

fn central_header(record: &Written<'_>) -> Vec<u8> {
    let entry = record.entry;
    let big_size = entry.size >= MAX_U32;
    let big_offset = record.offset >= MAX_U32;
    let (time, date) = dos_time(entry.modified);
    let mut extra = timestamp_extra(entry.modified);
    if big_size || big_offset {
        let fields = if big_size { 2 } else { 0 } + u16::from(big_offset);
        extra.put16(EXTRA_ZIP64).put16(8 * fields);
        if big_size {
            extra.put64(entry.size).put64(entry.size);
        }
        if big_offset {
            extra.put64(record.offset);
        }
    }
    let size = if big_size { u32::MAX } else { entry.size as u32 };
    let mut h = Vec::with_capacity(46 + entry.name.len() + extra.len());
    h.put32(CENTRAL_HEADER)
        .put16(MADE_BY)
        .put16(if big_size || big_offset { VERSION_ZIP64 } else { VERSION_CLASSIC })
        .put16(FLAGS)
        .put16(0)
        .put16(time)
        .put16(date)
        .put32(record.crc)
        .put32(size)
        .put32(size)
        .put16(entry.name.len() as u16)
        .put16(extra.len() as u16)
        .put16(0) // comment length
        .put16(0) // disk number
        .put16(0) // internal attributes
        .put32(EXTERNAL_ATTRS)
        .put32(if big_offset { u32::MAX } else { record.offset as u32 });
    h.extend_from_slice(entry.name.as_bytes());
    h.extend_from_slice(&extra);
    h
}

/// The end of central directory record, preceded by the ZIP64 end record and
/// its locator when a classic field would overflow.
fn end_records(count: u64, central_start: u64, central_len: u64) -> Vec<u8> {
    let mut e = Vec::with_capacity(98);
    let zip64 = count >= MAX_U16 || central_start >= MAX_U32 || central_len >= MAX_U32;
    if zip64 {
        let zip64_end_at = central_start + central_len;
        e.put32(ZIP64_END)
            .put64(44) // size of the rest of this record
            .put16(MADE_BY)
            .put16(VERSION_ZIP64)
            .put32(0) // this disk
            .put32(0) // disk where the central directory starts
            .put64(count)
            .put64(count)
            .put64(central_len)
            .put64(central_start);
        e.put32(ZIP64_LOCATOR).put32(0).put64(zip64_end_at).put32(1);
    }
    let count16 = count.min(MAX_U16) as u16;
    e.put32(END)
        .put16(0)
        .put16(0)
        .put16(count16)
        .put16(count16)
        .put32(central_len.min(MAX_U32) as u32)
        .put32(central_start.min(MAX_U32) as u32)
        .put16(0); // comment length
    e
}

/// Info-ZIP extended timestamp: modification time only, Unix seconds (UTC),
/// read as unsigned, so it covers 1970 to 2106.
fn timestamp_extra(modified: DateTime<Utc>) -> Vec<u8> {
    let secs = modified.timestamp().clamp(0, i64::from(u32::MAX)) as u32;
    let mut x = Vec::with_capacity(9 + 20);
    x.put16(EXTRA_TIMESTAMP).put16(5).put8(1).put32(secs);
    x
}

/// MS-DOS time and date (2-second resolution, years 1980 to 2107), in UTC.
fn dos_time(t: DateTime<Utc>) -> (u16, u16) {
    if t.year() < 1980 {
        return (0, 1 << 5 | 1);
    }
    if t.year() > 2107 {
        return (23 << 11 | 59 << 5 | 29, 127 << 9 | 12 << 5 | 31);
    }
    let time = (t.hour() << 11 | t.minute() << 5 | (t.second() / 2)) as u16;
    let date = ((t.year() as u32 - 1980) << 9 | t.month() << 5 | t.day()) as u16;
    (time, date)
}

/// Little-endian appends, chained.
trait Put {
    fn put8(&mut self, v: u8) -> &mut Self;
    fn put16(&mut self, v: u16) -> &mut Self;
    fn put32(&mut self, v: u32) -> &mut Self;
    fn put64(&mut self, v: u64) -> &mut Self;
}

impl Put for Vec<u8> {
    fn put8(&mut self, v: u8) -> &mut Self {
        self.push(v);
        self
    }
    fn put16(&mut self, v: u16) -> &mut Self {
        self.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn put32(&mut self, v: u32) -> &mut Self {
        self.extend_from_slice(&v.to_le_bytes());
        self
    }
    fn put64(&mut self, v: u64) -> &mut Self {
        self.extend_from_slice(&v.to_le_bytes());
        self
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn dos_times_round_down_to_two_seconds_and_clamp_to_their_range() {
        let t = Utc.with_ymd_and_hms(2024, 2, 29, 13, 45, 59).unwrap();
        assert_eq!(dos_time(t), (13 << 11 | 45 << 5 | 29, 44 << 9 | 2 << 5 | 29));
        assert_eq!(dos_time(Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).unwrap()), (0, 1 << 5 | 1));
    }

    #[test]
    fn the_end_record_switches_to_zip64_only_when_a_field_overflows() {
        assert_eq!(end_records(65_534, 10, 10).len(), 22);
        assert_eq!(end_records(65_535, 10, 10).len(), 22 + 56 + 20);
        assert_eq!(end_records(1, MAX_U32, 10).len(), 22 + 56 + 20);
    }
}
