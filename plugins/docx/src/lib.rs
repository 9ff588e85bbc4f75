//! The kiln `docx` generator.

#[path = "../../sdk/src/document/mod.rs"]
pub mod document;

/// A problem with a spec, located by a JSON pointer (mirrors the SDK's).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub pointer: String,
    pub message: String,
}

impl Violation {
    pub fn new(pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Violation {
            pointer: pointer.into(),
            message: message.into(),
        }
    }
}

/// "Did you mean" (mirrors the SDK's `suggest`).
pub mod suggest {
    /// The candidate closest to `word` by edit distance, if close enough.
    pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
        let d = |a: &str, b: &str| {
            let b: Vec<char> = b.chars().collect();
            let mut row: Vec<usize> = (0..=b.len()).collect();
            for (i, ca) in a.chars().enumerate() {
                let mut prev = row[0];
                row[0] = i + 1;
                for (j, cb) in b.iter().enumerate() {
                    let cur = row[j + 1];
                    row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(cur + 1);
                    prev = cur;
                }
            }
            row[b.len()]
        };
        candidates
            .iter()
            .map(|c| (d(&word.to_lowercase(), &c.to_lowercase()), *c))
            .filter(|(dist, c)| *dist <= (c.chars().count().max(3) / 3).max(2))
            .min_by_key(|(dist, _)| *dist)
            .map(|(_, c)| c)
    }
}
