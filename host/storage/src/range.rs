//! Byte ranges with HTTP semantics (RFC 9110 §14.1.2).

use crate::{Error, Result};

/// Which bytes of a blob to read, as in an HTTP `Range: bytes=` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ByteRange {
    /// `bytes=start-end`: both ends inclusive. An `end` past the blob is
    /// clamped to its last byte.
    Bounded { start: u64, end: u64 },
    /// `bytes=start-`: from `start` to the end.
    From { start: u64 },
    /// `bytes=-len`: the last `len` bytes (the whole blob if it is shorter).
    Suffix { len: u64 },
}

impl ByteRange {
    /// The `(offset, length)` this range selects in a blob of `size` bytes,
    /// or [`Error::RangeNotSatisfiable`] when it selects nothing: a start at
    /// or past the end, an empty blob, `start > end`, or a zero-length suffix.
    pub fn resolve(self, size: u64) -> Result<(u64, u64)> {
        let unsatisfiable = Err(Error::RangeNotSatisfiable { size });
        match self {
            Self::Bounded { start, end } if start <= end && start < size => {
                Ok((start, end.min(size - 1) - start + 1))
            }
            Self::From { start } if start < size => Ok((start, size - start)),
            Self::Suffix { len } if len > 0 && size > 0 => {
                let len = len.min(size);
                Ok((size - len, len))
            }
            _ => unsatisfiable,
        }
    }

    /// The value of an HTTP `Range` header asking for this range.
    pub fn to_header(self) -> String {
        match self {
            Self::Bounded { start, end } => format!("bytes={start}-{end}"),
            Self::From { start } => format!("bytes={start}-"),
            Self::Suffix { len } => format!("bytes=-{len}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ByteRange::*;
    use super::*;

    #[test]
    fn ranges_resolve_like_http() {
        assert_eq!(Bounded { start: 0, end: 0 }.resolve(10).unwrap(), (0, 1));
        assert_eq!(Bounded { start: 2, end: 5 }.resolve(10).unwrap(), (2, 4));
        assert_eq!(Bounded { start: 8, end: 100 }.resolve(10).unwrap(), (8, 2));
        assert_eq!(From { start: 9 }.resolve(10).unwrap(), (9, 1));
        assert_eq!(Suffix { len: 3 }.resolve(10).unwrap(), (7, 3));
        assert_eq!(Suffix { len: 30 }.resolve(10).unwrap(), (0, 10));
    }

    #[test]
    fn ranges_outside_the_blob_are_unsatisfiable() {
        for range in [
            Bounded { start: 10, end: 12 },
            Bounded { start: 5, end: 4 },
            From { start: 10 },
            Suffix { len: 0 },
        ] {
            assert!(
                matches!(range.resolve(10), Err(Error::RangeNotSatisfiable { size: 10 })),
                "{range:?}"
            );
        }
        assert!(matches!(
            Suffix { len: 1 }.resolve(0),
            Err(Error::RangeNotSatisfiable { size: 0 })
        ));
    }
}
