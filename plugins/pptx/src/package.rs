//! The package the parts go into. Parts are handed over whole, one at a
//! time, in the order they are written; nothing else of the deck is kept.

use std::io::{self, Write};

/// Receives the package's parts (names without a leading `/`).
pub(crate) trait PartSink {
    fn part(&mut self, name: &str, body: &[u8]) -> io::Result<()>;
}

/// A minimal deterministic ZIP writer (stored entries, fixed timestamps).
pub(crate) struct Zip<W: Write> {
    out: W,
    offset: u64,
    central: Vec<u8>,
    entries: u16,
}

impl<W: Write> Zip<W> {
    pub(crate) fn new(out: W) -> Self {
        Zip { out, offset: 0, central: Vec::new(), entries: 0 }
    }

    /// Writes the central directory and returns the writer.
    pub(crate) fn finish(mut self) -> io::Result<W> {
        let start = self.offset as u32;
        self.out.write_all(&self.central)?;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0; 4]);
        end.extend_from_slice(&self.entries.to_le_bytes());
        end.extend_from_slice(&self.entries.to_le_bytes());
        end.extend_from_slice(&(self.central.len() as u32).to_le_bytes());
        end.extend_from_slice(&start.to_le_bytes());
        end.extend_from_slice(&[0; 2]);
        self.out.write_all(&end)?;
        Ok(self.out)
    }
}

impl<W: Write> PartSink for Zip<W> {
    fn part(&mut self, name: &str, body: &[u8]) -> io::Result<()> {
        let crc = crc32fast::hash(body);
        let size = body.len() as u32;
        // version, flags, method (stored), time 00:00, date 1980-01-01
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0x21, 0]);
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&size.to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&[0, 0]);
        };
        let mut local = 0x0403_4b50u32.to_le_bytes().to_vec();
        common(&mut local);
        local.extend_from_slice(name.as_bytes());
        self.out.write_all(&local)?;
        self.out.write_all(body)?;
        self.central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        self.central.extend_from_slice(&[20, 0]);
        common(&mut self.central);
        self.central.extend_from_slice(&[0; 10]);
        self.central.extend_from_slice(&(self.offset as u32).to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.offset += (local.len() + body.len()) as u64;
        self.entries += 1;
        Ok(())
    }
}
