//! Text helpers shared by renderers: writing direction and scripts.

use super::{Direction, Run};

/// Whether a character belongs to a right-to-left script (Hebrew, Arabic,
/// Syriac, Thaana, N'Ko, and their presentation forms).
pub fn is_rtl_char(c: char) -> bool {
    matches!(c as u32,
        0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF | 0x10800..=0x10FFF | 0x1E800..=0x1EFFF)
}

/// Whether a character has a strong left-to-right direction (letters of
/// other scripts); digits and punctuation are neutral.
fn is_ltr_char(c: char) -> bool {
    c.is_alphabetic() && !is_rtl_char(c)
}

/// The direction of text by its first strong character (the Unicode
/// bidirectional algorithm's rule P2); `None` when it has none.
pub fn detect(text: &str) -> Option<Direction> {
    text.chars().find_map(|c| {
        if is_rtl_char(c) {
            Some(Direction::Rtl)
        } else if is_ltr_char(c) {
            Some(Direction::Ltr)
        } else {
            None
        }
    })
}

/// The direction of a paragraph: the one it sets, else the detected one,
/// else left to right.
pub fn direction(set: Option<Direction>, runs: &[Run]) -> Direction {
    set.or_else(|| runs.iter().find_map(|r| detect(&r.text))).unwrap_or(Direction::Ltr)
}

/// Whether a character is CJK (Han, kana, Hangul, CJK punctuation, full-width
/// forms), for renderers that pick an East Asian font.
pub fn is_cjk_char(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FDF | 0x3000..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA960..=0xA97F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
}

/// The plain text of runs, concatenated.
pub fn plain(runs: &[Run]) -> String {
    runs.iter().map(|r| r.text.as_str()).collect()
}
