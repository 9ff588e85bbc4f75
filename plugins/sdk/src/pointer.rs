//! JSON pointers (RFC 6901): escaping, building from serde paths, and the
//! order violations are listed in.

use std::cmp::Ordering;

/// Escapes one pointer segment: `~` becomes `~0`, `/` becomes `~1`.
pub fn escape(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Undoes [`escape`].
pub fn unescape(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// The segments of a pointer, unescaped; the empty pointer has none.
pub fn segments(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer.strip_prefix('/').unwrap_or(pointer).split('/').map(unescape).collect()
}

/// Joins segments into a pointer.
pub fn join<S: AsRef<str>>(segments: &[S]) -> String {
    segments.iter().map(|s| format!("/{}", escape(s.as_ref()))).collect()
}

/// Document order: segment by segment, array indices as numbers, so
/// `/rows/2` comes before `/rows/10` and a parent before its children.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a, b) = (segments(a), segments(b));
    for (x, y) in a.iter().zip(&b) {
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    a.len().cmp(&b.len())
}

pub(crate) fn of_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut pointer = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => {
                pointer.push('/');
                pointer.push_str(&index.to_string());
            }
            Segment::Map { key } => {
                pointer.push('/');
                pointer.push_str(&escape(key));
            }
            Segment::Enum { .. } | Segment::Unknown => {}
        }
    }
    pointer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_round_trip_through_escaping() {
        let pointer = join(&["a/b", "c~d", "0"]);
        assert_eq!(pointer, "/a~1b/c~0d/0");
        assert_eq!(segments(&pointer), ["a/b", "c~d", "0"]);
        assert!(segments("").is_empty());
    }

    #[test]
    fn indices_compare_as_numbers_and_parents_come_first() {
        let mut pointers = vec!["/rows/10", "/rows/2/0", "/rows/2", "", "/name"];
        pointers.sort_by(|a, b| compare(a, b));
        assert_eq!(pointers, ["", "/name", "/rows/2", "/rows/2/0", "/rows/10"]);
    }
}
