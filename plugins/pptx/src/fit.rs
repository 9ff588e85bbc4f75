//! Estimating how much room text takes, so that text which does not fit its
//! placeholder is shrunk or continued instead of overflowing.
//!
//! The method: each character gets an advance width in em from a table of
//! Arial's metrics (Liberation Sans, which LibreOffice uses for Arial, has
//! the same widths); East Asian wide characters and emoji count 1 em. A font
//! other than Arial scales those widths by a per-font factor (Calibri 0.90,
//! Georgia 1.08, Verdana 1.15, ...; unknown fonts 1.0), bold adds 7%. Lines
//! wrap greedily at spaces (a word longer than a line breaks anywhere), a
//! line is 1.2 × the font size tall, and paragraph spacing is added. The
//! estimate errs a little on the large side, so fitted text has some slack
//! in both PowerPoint and LibreOffice.

use crate::text::Para;

/// The smallest scale text is shrunk to before it continues on a new slide.
pub(crate) const FLOOR: f64 = 0.6;
/// Scales tried, largest first.
const SCALES: [f64; 9] = [1.0, 0.95, 0.9, 0.85, 0.8, 0.75, 0.7, 0.65, FLOOR];
/// Line height as a multiple of the font size.
pub(crate) const LINE_HEIGHT: f64 = 1.2;

/// Advance width of a character in em, for Arial regular.
fn advance(c: char) -> f64 {
    let units = match c {
        ' ' | '!' | ',' | '.' | '/' | ':' | ';' | 'I' | '[' | '\\' | ']' | 'f' | 't' => 278,
        '\'' => 191,
        '"' => 355,
        '#' | '$' | '0'..='9' | '?' | '_' => 556,
        '%' => 889,
        '&' => 667,
        '(' | ')' | '-' | '`' | 'r' => 333,
        '*' => 389,
        '+' | '<' | '=' | '>' | '~' => 584,
        '@' => 1015,
        'A' | 'B' | 'E' | 'K' | 'P' | 'S' | 'V' | 'X' | 'Y' => 667,
        'C' | 'D' | 'H' | 'N' | 'R' | 'U' | 'w' => 722,
        'F' | 'T' | 'Z' => 611,
        'G' | 'O' | 'Q' => 778,
        'J' | 'c' | 'k' | 's' | 'v' | 'x' | 'y' | 'z' => 500,
        'L' => 556,
        'M' | 'm' => 833,
        'W' => 944,
        'i' | 'j' | 'l' | '|' => 222,
        '{' | '}' => 334,
        '^' => 469,
        'a' | 'b' | 'd' | 'e' | 'g' | 'h' | 'n' | 'o' | 'p' | 'q' | 'u' => 556,
        '—' => 1000,
        '–' | '•' => 556,
        c if is_wide(c) => 1000,
        c if c.is_uppercase() => 690,
        _ => 556,
    };
    f64::from(units) / 1000.0
}

/// East Asian wide and fullwidth characters, and emoji.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x1F300..=0x1FAFF
        | 0x20000..=0x3FFFD)
}

/// How much wider a font's glyphs are than Arial's, on average.
pub(crate) fn font_factor(font: &str) -> f64 {
    let f = font.to_ascii_lowercase();
    let table: [(&str, f64); 14] = [
        ("arial narrow", 0.82),
        ("arial", 1.0),
        ("helvetica", 1.0),
        ("liberation sans", 1.0),
        ("calibri", 0.90),
        ("aptos", 0.95),
        ("segoe", 1.0),
        ("georgia", 1.08),
        ("times", 0.90),
        ("garamond", 0.88),
        ("verdana", 1.15),
        ("tahoma", 1.02),
        ("trebuchet", 1.0),
        ("courier", 1.08),
    ];
    table.iter().find(|(name, _)| f.starts_with(name)).map_or(1.0, |(_, factor)| *factor)
}

/// Width of `text` in points at `size` points.
pub(crate) fn text_width(text: &str, size: f64, factor: f64, bold: bool) -> f64 {
    let em: f64 = text.chars().map(advance).sum();
    em * size * factor * if bold { 1.07 } else { 1.0 }
}

/// Lines `text` wraps to in `width` points.
pub(crate) fn lines(text: &str, width: f64, size: f64, factor: f64, bold: bool) -> usize {
    if width <= 0.0 {
        return 1;
    }
    let space = text_width(" ", size, factor, bold);
    let mut count = 1;
    let mut line = 0.0;
    for word in text.split(' ') {
        let w = text_width(word, size, factor, bold);
        let needed = if line > 0.0 { line + space + w } else { w };
        if needed <= width {
            line = needed;
        } else if w <= width {
            count += 1;
            line = w;
        } else {
            // A word longer than a line breaks anywhere.
            if line > 0.0 {
                count += 1;
            }
            let extra = (w / width).ceil() as usize;
            count += extra - 1;
            line = w - (extra - 1) as f64 * width;
        }
    }
    count
}

/// A text box's room and the sizes of its paragraph levels, in points.
#[derive(Debug, Clone)]
pub(crate) struct TextBox {
    /// Usable width (box minus insets).
    pub(crate) width: f64,
    /// Usable height.
    pub(crate) height: f64,
    /// Font size per level at scale 1.
    pub(crate) sizes: [f64; 5],
    /// Left indent per level (text start, bullet hangs left of it).
    pub(crate) indents: [f64; 5],
    /// Space before each paragraph after the first, per level, in points
    /// (not scaled, as PowerPoint's `spcPts`).
    pub(crate) space_before: [f64; 5],
    pub(crate) font_factor: f64,
    pub(crate) bold: bool,
}

impl TextBox {
    /// Height in points the paragraphs take at `scale`.
    pub(crate) fn height_of(&self, paras: &[Para], scale: f64) -> f64 {
        paras
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let level = p.level.min(4);
                let size = self.sizes[level] * scale;
                let bold = self.bold || p.runs.iter().all(|r| r.bold);
                let n = lines(
                    &p.text(),
                    self.width - self.indents[level],
                    size,
                    self.font_factor,
                    bold,
                );
                let before = if i == 0 { 0.0 } else { self.space_before[level] * scale };
                before + n as f64 * size * LINE_HEIGHT
            })
            .sum()
    }

    /// The largest scale (1.0 down to [`FLOOR`]) at which the paragraphs fit,
    /// or `None` when they do not fit even at the floor.
    pub(crate) fn scale_for(&self, paras: &[Para]) -> Option<f64> {
        SCALES.iter().copied().find(|&s| self.height_of(paras, s) <= self.height)
    }

    /// Splits paragraphs into as few chunks as fit at the floor scale, as
    /// evenly as possible (so continuation slides are not one full slide
    /// and a stub). A single paragraph too tall for the box is a chunk of
    /// its own.
    pub(crate) fn split(&self, paras: &[Para]) -> Vec<Vec<Para>> {
        let greedy = self.split_greedy(paras);
        let n = greedy.len();
        let mut balanced = Vec::with_capacity(n);
        let mut at = 0;
        for k in 0..n {
            let len = (paras.len() - at) / (n - k);
            balanced.push(paras[at..at + len].to_vec());
            at += len;
        }
        if balanced.iter().all(|c| self.scale_for(c).is_some()) { balanced } else { greedy }
    }

    fn split_greedy(&self, paras: &[Para]) -> Vec<Vec<Para>> {
        let mut chunks = Vec::new();
        let mut current: Vec<Para> = Vec::new();
        for p in paras {
            current.push(p.clone());
            if current.len() > 1 && self.height_of(&current, FLOOR) > self.height {
                current.pop();
                chunks.push(std::mem::take(&mut current));
                current.push(p.clone());
            }
        }
        if !current.is_empty() {
            chunks.push(current);
        }
        chunks
    }
}

/// Converts EMU to points.
pub(crate) fn pt(emu: i64) -> f64 {
    emu as f64 / crate::geometry::EMU_PER_PT as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> TextBox {
        TextBox {
            width: 400.0,
            height: 200.0,
            sizes: [24.0, 20.0, 18.0, 16.0, 16.0],
            indents: [27.0, 54.0, 81.0, 108.0, 135.0],
            space_before: [10.0, 5.0, 5.0, 5.0, 5.0],
            font_factor: 1.0,
            bold: false,
        }
    }

    #[test]
    fn long_text_wraps_to_more_lines() {
        assert_eq!(lines("short", 400.0, 24.0, 1.0, false), 1);
        let long = "word ".repeat(60);
        assert!(lines(&long, 400.0, 24.0, 1.0, false) >= 7);
        // Wide characters take about twice the room of Latin letters.
        assert!(text_width("東京", 10.0, 1.0, false) > text_width("ab", 10.0, 1.0, false) * 1.7);
    }

    #[test]
    fn few_bullets_fit_at_full_size_and_many_need_a_split() {
        let few: Vec<Para> = (0..3).map(|i| Para::plain(&format!("Point {i}"))).collect();
        assert_eq!(body().scale_for(&few), Some(1.0));
        let many: Vec<Para> = (0..40).map(|i| Para::plain(&format!("Point {i}"))).collect();
        assert_eq!(body().scale_for(&many), None);
        let chunks = body().split(&many);
        assert!(chunks.len() >= 2);
        assert!(chunks.iter().all(|c| body().scale_for(c).is_some()));
        assert_eq!(chunks.iter().map(Vec::len).sum::<usize>(), 40);
    }
}
