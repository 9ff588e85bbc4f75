//! Paragraph layout: font selection with fallback, shaping (rustybuzz, with
//! a per-document cache of shaped words), line breaking at Unicode line-break
//! opportunities (UAX #14), alignment and justification.

use std::collections::HashMap;
use std::ops::Range;
use std::rc::Rc;

use krilla::text::{GlyphId, KrillaGlyph};
use unicode_bidi::{BidiInfo, Level};
use unicode_linebreak::BreakOpportunity;

use crate::fonts::{self, FaceId};

/// An RGB colour.
pub type Rgb = [u8; 3];

/// How a span of text looks.
#[derive(Clone, Debug, PartialEq)]
pub struct Style {
    pub family: fonts::Family,
    pub bold: bool,
    pub italic: bool,
    pub size: f32,
    pub color: Rgb,
    pub underline: bool,
    pub strike: bool,
    pub highlight: Option<Rgb>,
    /// Raised (> 0) or lowered (< 0) by this many points (superscript, subscript).
    pub rise: f32,
    pub link: Option<Link>,
    /// A background behind the text (inline code).
    pub code_background: Option<Rgb>,
    /// The footnote this text is the mark of.
    pub note: Option<u32>,
}

/// Where a link goes.
#[derive(Clone, Debug, PartialEq)]
pub enum Link {
    Uri(String),
    /// An anchor inside the document (a heading), by id.
    Anchor(usize),
}

impl Style {
    pub fn new(family: fonts::Family, size: f32) -> Style {
        Style {
            family,
            bold: false,
            italic: false,
            size,
            color: [0, 0, 0],
            underline: false,
            strike: false,
            highlight: None,
            rise: 0.0,
            link: None,
            code_background: None,
            note: None,
        }
    }
}

/// A run of text in one style.
#[derive(Clone, Debug)]
pub struct Span {
    pub text: String,
    pub style: Rc<Style>,
}

/// Horizontal alignment of lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Align {
    Left,
    Center,
    Right,
    Justify,
}

/// A piece of a line: glyphs of one face in one style.
#[derive(Clone, Debug)]
pub struct Piece {
    /// Offset from the line's left edge.
    pub x: f32,
    pub width: f32,
    pub face: FaceId,
    pub style: Rc<Style>,
    pub text: String,
    pub glyphs: Vec<KrillaGlyph>,
}

/// A laid-out line.
#[derive(Clone, Debug)]
pub struct Line {
    pub pieces: Vec<Piece>,
    pub width: f32,
    /// Distance from the line's top to its baseline.
    pub ascent: f32,
    /// Height of the line box.
    pub height: f32,
}

/// A glyph shaped in font units per em.
#[derive(Clone, Copy, Debug)]
struct G {
    id: u16,
    adv: f32,
    xo: f32,
    yo: f32,
    /// Byte offset of its cluster within the shaped text.
    cluster: u32,
}

/// Shaped words by their text.
type ShapedWords = HashMap<String, Rc<[G]>>;

/// Shaping cache and the record of characters no font covers.
#[derive(Default)]
pub struct Shaper {
    /// Shaped text by face and direction (true: right to left), then by
    /// text, so a lookup needs no key of its own.
    cache: HashMap<(FaceId, bool), ShapedWords>,
    /// Characters no bundled font covers, with how often they occurred.
    pub missing: std::collections::BTreeMap<char, usize>,
    /// The patterns words are hyphenated with, when the document asks for it.
    pub hyphenation: Option<hypher::Lang>,
    /// Fonts the document brought as assets, tried in order for characters
    /// the style's own font lacks, before the bundled fallback.
    pub fallbacks: Vec<FaceId>,
}

/// Characters that draw nothing and need no glyph.
fn ignorable(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{034F}')
        || c.is_control()
}

impl Shaper {
    fn shape(&mut self, face: FaceId, rtl: bool, text: &str) -> Rc<[G]> {
        if let Some(g) = self.cache.get(&(face, rtl)).and_then(|words| words.get(text)) {
            return g.clone();
        }
        let glyphs: Rc<[G]> = match fonts::get(face) {
            Some(f) => {
                let mut buffer = rustybuzz::UnicodeBuffer::new();
                buffer.push_str(text);
                buffer.guess_segment_properties();
                // The bidi level decides the direction, so neutral
                // characters (brackets) in right-to-left text are mirrored.
                buffer.set_direction(if rtl {
                    rustybuzz::Direction::RightToLeft
                } else {
                    rustybuzz::Direction::LeftToRight
                });
                let out = rustybuzz::shape(&f.shaper, &[], buffer);
                let upem = f.units_per_em;
                out.glyph_infos()
                    .iter()
                    .zip(out.glyph_positions())
                    .map(|(i, p)| G {
                        id: i.glyph_id as u16,
                        adv: p.x_advance as f32 / upem,
                        xo: p.x_offset as f32 / upem,
                        yo: p.y_offset as f32 / upem,
                        cluster: i.cluster,
                    })
                    .collect()
            }
            None => Rc::from(Vec::new()),
        };
        if text.len() <= 64 {
            self.cache.entry((face, rtl)).or_default().insert(text.to_owned(), glyphs.clone());
        }
        glyphs
    }

    /// The face to draw a character with: the style's own, else the first
    /// of the document's fonts that has it, else the bundled fallback, else
    /// any other bundled face that has it, else the style's own (its
    /// .notdef box) and the character is recorded as missing.
    fn face_for(&mut self, primary: FaceId, c: char) -> FaceId {
        if ignorable(c) || c == ' ' || fonts::covers(primary, c) {
            return primary;
        }
        let bundled = (0..fonts::FALLBACK).filter(|f| *f != primary);
        let found = self.fallbacks.iter().copied().chain([fonts::FALLBACK]).chain(bundled);
        match found.into_iter().find(|f| fonts::covers(*f, c)) {
            Some(face) => face,
            None => {
                *self.missing.entry(c).or_insert(0) += 1;
                primary
            }
        }
    }

    /// Width of a text in one style (no wrapping), in points.
    pub fn measure(&mut self, text: &str, style: &Style) -> f32 {
        let mut width = 0.0;
        let primary = fonts::face(style.family, style.bold, style.italic);
        for (face, range) in self.face_runs(text, primary) {
            width += self.shape(face, false, &text[range]).iter().map(|g| g.adv).sum::<f32>()
                * style.size;
        }
        width
    }

    fn face_runs(&mut self, text: &str, primary: FaceId) -> Vec<(FaceId, std::ops::Range<usize>)> {
        let mut runs: Vec<(FaceId, std::ops::Range<usize>)> = Vec::new();
        for (i, c) in text.char_indices() {
            let face = self.face_for(primary, c);
            let end = i + c.len_utf8();
            match runs.last_mut() {
                Some((f, r))
                    if *f == face || (c.is_whitespace() && !c.is_control()) || ignorable(c) =>
                {
                    r.end = end
                }
                _ => runs.push((face, i..end)),
            }
        }
        runs
    }

    /// Lays out spans into lines of at most `width` points. `hyphenate`
    /// lets words that overflow a line break at the document language's
    /// hyphenation points (when it has patterns).
    pub fn lines(
        &mut self,
        spans: &[Span],
        width: f32,
        align: Align,
        line_spacing: f32,
        hyphenate: bool,
    ) -> Vec<Line> {
        let width = width.max(1.0);
        // The paragraph's text, with span boundaries.
        let mut full = String::new();
        let mut bounds = Vec::with_capacity(spans.len());
        for s in spans {
            let start = full.len();
            full.push_str(&s.text);
            bounds.push((start, full.len()));
        }
        if full.is_empty() {
            let size = spans.first().map_or(10.0, |s| s.style.size);
            return vec![Line {
                pieces: Vec::new(),
                width: 0.0,
                ascent: size * 0.95 * line_spacing.max(1.0),
                height: size * 1.25 * line_spacing,
            }];
        }
        let bidi = Bidi::of(&full);
        // A paragraph that starts right to left is set flush right.
        let align = if bidi.base_rtl && align == Align::Left { Align::Right } else { align };
        // Segments: text between break opportunities.
        let mut segments: Vec<(usize, usize, bool)> = Vec::new();
        let mut last = 0;
        for (pos, kind) in unicode_linebreak::linebreaks(&full) {
            if pos > last {
                segments.push((last, pos, kind == BreakOpportunity::Mandatory));
            }
            last = pos;
        }
        let mut lines = Vec::new();
        let mut cur = LineBuilder::new(bidi.base_rtl);
        let mut span_idx = 0;
        for (seg_start, seg_end, mandatory) in segments {
            // Pieces of this segment: split at span, face and direction boundaries.
            let mut seg_pieces: Vec<SegPiece> = Vec::new();
            let mut pos = seg_start;
            while pos < seg_end {
                while bounds[span_idx].1 <= pos {
                    span_idx += 1;
                }
                let end = seg_end.min(bounds[span_idx].1);
                let style = &spans[span_idx].style;
                let primary = fonts::face(style.family, style.bold, style.italic);
                for (face, r) in self.face_runs(&full[pos..end], primary) {
                    for (level, lr) in bidi.runs(&full, pos + r.start..pos + r.end) {
                        let (visible, trailing) = split_trailing(&full[lr]);
                        seg_pieces.push(
                            self.seg_piece(face, span_idx, level, visible, trailing, style.size),
                        );
                    }
                }
                pos = end;
            }
            let visible_width = |pieces: &[SegPiece]| {
                pieces.iter().map(|p| p.width + p.trailing_width).sum::<f32>()
                    - pieces.last().map_or(0.0, |p| p.trailing_width)
            };
            if !cur.pieces.is_empty() && cur.width + visible_width(&seg_pieces) > width {
                if hyphenate
                    && let Some((head, tail)) =
                        self.hyphenated(&seg_pieces, width - cur.width, spans)
                {
                    cur.push(head);
                    seg_pieces = vec![tail];
                }
                lines.push(cur.finish(spans, width, align, false, line_spacing));
                cur = LineBuilder::new(bidi.base_rtl);
            }
            if visible_width(&seg_pieces) > width {
                // A word longer than the line: break it between clusters.
                for p in seg_pieces {
                    self.push_split(&mut cur, &mut lines, p, spans, width, align, line_spacing);
                }
            } else {
                for p in seg_pieces {
                    cur.push(p);
                }
            }
            if mandatory {
                lines.push(cur.finish(spans, width, align, true, line_spacing));
                cur = LineBuilder::new(bidi.base_rtl);
            }
        }
        if !cur.pieces.is_empty() || lines.is_empty() {
            lines.push(cur.finish(spans, width, align, true, line_spacing));
        }
        lines
    }

    fn seg_piece(
        &mut self,
        face: FaceId,
        span: usize,
        level: u8,
        visible: &str,
        trailing: &str,
        size: f32,
    ) -> SegPiece {
        let rtl = level % 2 == 1;
        let glyphs = self.shape(face, rtl, visible);
        let width = glyphs.iter().map(|g| g.adv).sum::<f32>() * size;
        let trailing_width = if trailing.is_empty() {
            0.0
        } else {
            self.shape(face, rtl, trailing).iter().map(|g| g.adv).sum::<f32>() * size
        };
        SegPiece {
            face,
            span,
            level,
            visible: visible.to_owned(),
            trailing: trailing.to_owned(),
            glyphs,
            width,
            trailing_width,
        }
    }

    /// Splits a one-piece word at its last hyphenation point that leaves the
    /// head and a hyphen within `room`. The hyphen's text is a soft hyphen
    /// (U+00AD), so extracted text still reads as the unbroken word.
    fn hyphenated(
        &mut self,
        pieces: &[SegPiece],
        room: f32,
        spans: &[Span],
    ) -> Option<(SegPiece, SegPiece)> {
        let lang = self.hyphenation?;
        let [p] = pieces else { return None };
        let word = p.visible.trim_end_matches(|c: char| !c.is_alphabetic());
        if p.level % 2 == 1 || word.len() > 64 || !word.chars().all(char::is_alphabetic) {
            return None;
        }
        let size = spans[p.span].style.size;
        let mut breaks: Vec<usize> = hypher::hyphenate(word, lang)
            .scan(0, |at, syllable| {
                *at += syllable.len();
                Some(*at)
            })
            .collect();
        breaks.pop();
        for at in breaks.into_iter().rev() {
            let head = &p.visible[..at];
            let glyphs = self.hyphen_shaped(p.face, head);
            let width = glyphs.iter().map(|g| g.adv).sum::<f32>() * size;
            if width <= room {
                let head = SegPiece {
                    visible: format!("{head}\u{AD}"),
                    trailing: String::new(),
                    glyphs,
                    width,
                    trailing_width: 0.0,
                    ..p.clone()
                };
                let mut tail = self.seg_piece(p.face, p.span, p.level, &p.visible[at..], "", size);
                tail.trailing = p.trailing.clone();
                tail.trailing_width = p.trailing_width;
                return Some((head, tail));
            }
        }
        None
    }

    /// A word's head shaped with a hyphen after it, drawn with the font's
    /// soft-hyphen glyph where it has one: a glyph maps to one text in the
    /// PDF, and the break must read as U+00AD while a real hyphen reads "-".
    fn hyphen_shaped(&mut self, face: FaceId, head: &str) -> Rc<[G]> {
        let mut glyphs = self.shape(face, false, &format!("{head}-")).to_vec();
        let soft = fonts::get(face).and_then(|f| f.shaper.glyph_index('\u{AD}'));
        if let (Some(last), Some(soft)) = (glyphs.last_mut(), soft) {
            last.id = soft.0;
        }
        glyphs.into()
    }

    #[allow(clippy::too_many_arguments)]
    fn push_split(
        &mut self,
        cur: &mut LineBuilder,
        lines: &mut Vec<Line>,
        p: SegPiece,
        spans: &[Span],
        width: f32,
        align: Align,
        line_spacing: f32,
    ) {
        let size = spans[p.span].style.size;
        // Cluster boundaries within the visible text.
        let mut start_glyph = 0;
        let glyphs = p.glyphs.clone();
        let n = glyphs.len();
        let mut acc = 0.0;
        let mut i = 0;
        while i < n {
            let adv = glyphs[i].adv * size;
            if acc + adv + cur.width > width && (i > start_glyph || !cur.pieces.is_empty()) {
                if i > start_glyph {
                    cur.push(p.sub(start_glyph, i));
                }
                let next = LineBuilder::new(cur.rtl);
                lines.push(std::mem::replace(cur, next).finish(
                    spans,
                    width,
                    align,
                    false,
                    line_spacing,
                ));
                start_glyph = i;
                acc = 0.0;
                continue;
            }
            acc += adv;
            i += 1;
        }
        let mut rest = p.sub(start_glyph, n);
        rest.trailing = p.trailing;
        rest.trailing_width = p.trailing_width;
        cur.push(rest);
    }
}

/// Splits trailing spaces off a piece of text.
fn split_trailing(t: &str) -> (&str, &str) {
    let trimmed = t.trim_end_matches(|c: char| {
        c == ' '
            || c == '\u{3000}'
            || c == '\n'
            || c == '\r'
            || c == '\u{2028}'
            || c == '\u{2029}'
            || c == '\t'
    });
    (trimmed, &t[trimmed.len()..])
}

#[derive(Clone)]
struct SegPiece {
    face: FaceId,
    span: usize,
    /// Bidi level: odd is right to left.
    level: u8,
    visible: String,
    trailing: String,
    glyphs: Rc<[G]>,
    width: f32,
    trailing_width: f32,
}

impl SegPiece {
    /// Glyphs `from..to` as a piece of its own (text cut at cluster bounds).
    fn sub(&self, from: usize, to: usize) -> SegPiece {
        let start = self.glyphs.get(from).map_or(self.visible.len(), |g| g.cluster as usize);
        let end = self.glyphs.get(to).map_or(self.visible.len(), |g| g.cluster as usize);
        let (start, end) = (start.min(end), start.max(end));
        let glyphs: Vec<G> = self.glyphs[from..to]
            .iter()
            .map(|g| G { cluster: g.cluster.saturating_sub(start as u32), ..*g })
            .collect();
        let width = glyphs.iter().map(|g| g.adv).sum::<f32>();
        SegPiece {
            face: self.face,
            span: self.span,
            level: self.level,
            visible: self.visible.get(start..end).unwrap_or_default().to_owned(),
            trailing: String::new(),
            width: width * self.width / self.glyphs.iter().map(|g| g.adv).sum::<f32>().max(1e-6),
            glyphs: Rc::from(glyphs),
            trailing_width: 0.0,
        }
    }
}

#[derive(Default)]
struct LineBuilder {
    pieces: Vec<SegPiece>,
    /// Width including trailing spaces of all pieces.
    width: f32,
    /// Whether the paragraph runs right to left.
    rtl: bool,
}

impl LineBuilder {
    fn new(rtl: bool) -> LineBuilder {
        LineBuilder { rtl, ..LineBuilder::default() }
    }

    fn push(&mut self, p: SegPiece) {
        self.width += p.width + p.trailing_width;
        self.pieces.push(p);
    }

    fn finish(self, spans: &[Span], max: f32, align: Align, last: bool, line_spacing: f32) -> Line {
        // Drop the trailing spaces of the line.
        let trailing = self.pieces.last().map_or(0.0, |p| p.trailing_width);
        let natural = self.width - trailing;
        let n = self.pieces.len();
        // Space glyphs that can stretch (inter-word, not the line's trailing ones).
        let stretch_count: usize = self
            .pieces
            .iter()
            .enumerate()
            .filter(|(i, _)| *i + 1 < n)
            .map(|(_, p)| p.trailing.chars().filter(|c| *c == ' ').count())
            .sum();
        let extra_per_space = if align == Align::Justify && !last && stretch_count > 0 {
            ((max - natural) / stretch_count as f32).clamp(0.0, max)
        } else {
            0.0
        };
        let offset = match align {
            Align::Center => ((max - natural) / 2.0).max(0.0),
            Align::Right => (max - natural).max(0.0),
            // The last line of a justified right-to-left paragraph is flush right.
            Align::Justify if last && self.rtl => (max - natural).max(0.0),
            _ => 0.0,
        };
        let mut ascent: f32 = 0.0;
        let mut descent: f32 = 0.0;
        // Each piece's glyphs and bidi level, in logical order.
        let mut drawn: Vec<Option<Piece>> = Vec::with_capacity(n);
        let mut levels: Vec<Level> = Vec::with_capacity(n);
        for (i, p) in self.pieces.into_iter().enumerate() {
            let style = spans[p.span].style.clone();
            let size = style.size;
            let face = fonts::get(p.face);
            let (asc, desc) = face.map_or((0.9, 0.22), |f| (f.ascender, f.descender));
            ascent = ascent.max(size * asc + style.rise.max(0.0));
            descent = descent.max(size * desc - style.rise.min(0.0));
            let mut text = p.visible;
            let mut glyphs: Vec<KrillaGlyph> = Vec::with_capacity(p.glyphs.len() + 1);
            let vis_len = text.len();
            let clusters: Vec<usize> = p.glyphs.iter().map(|g| g.cluster as usize).collect();
            for (gi, g) in p.glyphs.iter().enumerate() {
                let start = clusters[gi];
                // The cluster ends where the next different cluster begins.
                let end = clusters.iter().copied().filter(|c| *c > start).min().unwrap_or(vis_len);
                glyphs.push(KrillaGlyph::new(
                    GlyphId::new(u32::from(g.id)),
                    g.adv,
                    g.xo,
                    g.yo,
                    0.0,
                    start..end.max(start),
                    None,
                ));
            }
            let mut width = p.width;
            if i + 1 < n && !p.trailing.is_empty() {
                // Draw the inter-word space as a real space glyph, so text
                // extraction sees the word break; justification widens it.
                let spaces = p.trailing.chars().filter(|c| *c == ' ').count();
                let adv_pts = p.trailing_width + extra_per_space * spaces as f32;
                let space_id = face.and_then(|f| f.shaper.glyph_index(' ')).map_or(3, |g| g.0);
                let start = text.len();
                text.push(' ');
                let space = KrillaGlyph::new(
                    GlyphId::new(u32::from(space_id)),
                    adv_pts / size,
                    0.0,
                    0.0,
                    0.0,
                    start..start + 1,
                    None,
                );
                // A right-to-left word's following space lies to its left.
                if p.level % 2 == 1 {
                    glyphs.insert(0, space);
                } else {
                    glyphs.push(space);
                }
                width += adv_pts;
            }
            levels.push(Level::new(p.level).unwrap_or_else(|_| Level::ltr()));
            drawn.push(Some(Piece { x: 0.0, width, face: p.face, style, text, glyphs }));
        }
        let mut out: Vec<Piece> = Vec::with_capacity(n);
        let mut x = offset;
        // Display order (UAX #9 rule L2).
        for i in BidiInfo::reorder_visual(&levels) {
            let Some(piece) = drawn[i].take() else { continue };
            let width = piece.width;
            // Neighbours in the same face and style become one piece, so a
            // line is usually one text object.
            match out.last_mut() {
                Some(last)
                    if last.face == piece.face
                        && (Rc::ptr_eq(&last.style, &piece.style)
                            || *last.style == *piece.style) =>
                {
                    let offset = last.text.len();
                    last.text.push_str(&piece.text);
                    last.glyphs.extend(piece.glyphs.into_iter().map(|mut g| {
                        g.text_range = g.text_range.start + offset..g.text_range.end + offset;
                        g
                    }));
                    last.width += width;
                }
                _ => out.push(Piece { x, ..piece }),
            }
            x += width;
        }
        if out.is_empty() {
            let size = spans.first().map_or(10.0, |s| s.style.size);
            ascent = size * 0.9;
            descent = size * 0.22;
        }
        let natural_height = ascent + descent;
        let height = natural_height * 1.12 * line_spacing;
        let lead = (height - natural_height) / 2.0;
        Line { pieces: out, width: x - offset, ascent: ascent + lead, height }
    }
}

/// The bidi embedding levels of a paragraph's bytes (UAX #9). Text with no
/// right-to-left character skips the analysis and is all level 0.
struct Bidi {
    levels: Vec<u8>,
    base_rtl: bool,
}

impl Bidi {
    fn of(text: &str) -> Bidi {
        use unicode_bidi::BidiClass::{AL, R};
        let rtl =
            text.chars().any(|c| c >= '\u{0590}' && matches!(unicode_bidi::bidi_class(c), R | AL));
        if !rtl {
            return Bidi { levels: Vec::new(), base_rtl: false };
        }
        let info = BidiInfo::new(text, None);
        Bidi {
            levels: info.levels.iter().map(|l| l.number()).collect(),
            base_rtl: info.paragraphs.first().is_some_and(|p| p.level.is_rtl()),
        }
    }

    /// Splits a byte range of `text` (the paragraph) into runs of one
    /// level; whitespace stays with the run before it, as its trailing,
    /// stretchable space.
    fn runs(&self, text: &str, range: Range<usize>) -> Vec<(u8, Range<usize>)> {
        if self.levels.is_empty() {
            return vec![(0, range)];
        }
        let mut runs: Vec<(u8, Range<usize>)> = Vec::new();
        for (i, c) in text[range.clone()].char_indices() {
            let at = range.start + i;
            let level = self.levels[at];
            let end = at + c.len_utf8();
            match runs.last_mut() {
                Some((l, r)) if *l == level || c.is_whitespace() => r.end = end,
                _ => runs.push((level, at..end)),
            }
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(text: &str) -> Vec<Span> {
        vec![Span { text: text.into(), style: Rc::new(Style::new(fonts::Family::Serif, 10.0)) }]
    }

    fn text_of(line: &Line) -> String {
        line.pieces.iter().map(|p| p.text.as_str()).collect()
    }

    /// The paragraph as read back from its lines: a line ending in a soft
    /// hyphen runs on into the next, other lines are joined by a space.
    fn read_back(lines: &[Line]) -> String {
        let mut out = String::new();
        for line in lines {
            let text = text_of(line);
            if !out.is_empty() && !out.ends_with('\u{AD}') {
                out.push(' ');
            }
            out.push_str(&text);
        }
        out.replace('\u{AD}', "")
    }

    const LONG_WORDS: &str = "The committee weighed the internationalization of responsibilities, \
        characteristically incomprehensible recommendations and extraordinarily \
        uncharacteristic disproportionalities.";

    #[test]
    fn a_word_that_overflows_is_hyphenated_within_the_width_and_reads_back_whole() {
        let width = 110.0;
        let mut shaper = Shaper { hyphenation: Some(hypher::Lang::English), ..Shaper::default() };
        let lines = shaper.lines(&spans(LONG_WORDS), width, Align::Justify, 1.0, true);
        let broken: Vec<String> =
            lines.iter().map(text_of).filter(|t| t.ends_with('\u{AD}')).collect();
        assert!(
            broken.len() >= 2,
            "words are hyphenated: {:?}",
            lines.iter().map(text_of).collect::<Vec<_>>()
        );
        for line in &lines {
            assert!(line.width <= width + 0.01, "{:?} is {} wide", text_of(line), line.width);
        }
        // Each break lies on a point of the English patterns.
        for head in &broken {
            let word = head.trim_end_matches('\u{AD}').rsplit(' ').next().unwrap_or_default();
            let whole = LONG_WORDS
                .split(|c: char| !c.is_alphabetic())
                .find(|w| w.starts_with(word) && w.len() > word.len())
                .unwrap_or_else(|| panic!("{word:?} begins a word of the text"));
            let points: Vec<usize> = hypher::hyphenate(whole, hypher::Lang::English)
                .scan(0, |at, s| {
                    *at += s.len();
                    Some(*at)
                })
                .collect();
            assert!(points.contains(&word.len()), "{whole:?} is not hyphenated after {word:?}");
        }
        assert_eq!(read_back(&lines), LONG_WORDS);
    }

    #[test]
    fn a_break_hyphen_is_drawn_with_another_glyph_than_a_real_hyphen() {
        // A PDF maps each glyph to one text: a shared glyph would make real
        // hyphens read as soft ones, or breaks as real ones.
        let mut shaper = Shaper { hyphenation: Some(hypher::Lang::English), ..Shaper::default() };
        let text = format!("Part-time work: {LONG_WORDS}");
        let lines = shaper.lines(&spans(&text), 110.0, Align::Justify, 1.0, true);
        let glyphs_for = |wanted: &str| -> Vec<u32> {
            let pieces = lines.iter().flat_map(|l| &l.pieces);
            pieces
                .flat_map(|p| p.glyphs.iter().filter(|g| &p.text[g.text_range.clone()] == wanted))
                .map(|g| g.glyph_id.to_u32())
                .collect()
        };
        let (real, soft) = (glyphs_for("-"), glyphs_for("\u{AD}"));
        assert!(!real.is_empty() && !soft.is_empty(), "{real:?} {soft:?}");
        assert!(real.iter().all(|g| !soft.contains(g)), "{real:?} {soft:?}");
    }

    #[test]
    fn without_hyphenation_words_move_whole_to_the_next_line() {
        let mut shaper = Shaper { hyphenation: Some(hypher::Lang::English), ..Shaper::default() };
        let lines = shaper.lines(&spans(LONG_WORDS), 110.0, Align::Justify, 1.0, false);
        assert!(lines.iter().all(|l| !text_of(l).contains('\u{AD}')));
        assert_eq!(read_back(&lines), LONG_WORDS);
    }

    /// The index, in drawing order, of the glyph that draws `c`.
    fn drawn_at(line: &Line, c: char) -> usize {
        let mut i = 0;
        for p in &line.pieces {
            for g in &p.glyphs {
                if p.text[g.text_range.clone()].starts_with(c) {
                    return i;
                }
                i += 1;
            }
        }
        panic!("{c:?} is not drawn");
    }

    #[test]
    fn a_right_to_left_paragraph_is_drawn_right_to_left_and_set_flush_right() {
        let mut shaper = Shaper::default();
        // "Hello world" in Hebrew: the first word is drawn to the right of the second.
        let lines = shaper.lines(&spans("שלום עולם"), 300.0, Align::Left, 1.0, false);
        let line = &lines[0];
        assert!(drawn_at(line, 'ש') > drawn_at(line, 'ע'), "{:?}", text_of(line));
        assert!(line.pieces[0].x > 200.0, "flush right: starts at {}", line.pieces[0].x);
        assert!(shaper.missing.is_empty(), "a bundled font covers Hebrew: {:?}", shaper.missing);
    }

    #[test]
    fn a_right_to_left_phrase_inside_left_to_right_text_is_reversed_in_place() {
        let mut shaper = Shaper::default();
        let lines = shaper.lines(&spans("Say שלום עולם to all"), 300.0, Align::Left, 1.0, false);
        let line = &lines[0];
        assert!(drawn_at(line, 'S') < drawn_at(line, 'ע'));
        assert!(drawn_at(line, 'ע') < drawn_at(line, 'ש'));
        assert!(drawn_at(line, 'ש') < drawn_at(line, 't'));
        assert_eq!(line.pieces[0].x, 0.0, "a left-to-right paragraph stays flush left");
    }
}
