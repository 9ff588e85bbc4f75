//! Paragraph layout: font selection with fallback, shaping (rustybuzz, with
//! a per-document cache of shaped words), line breaking at Unicode line-break
//! opportunities (UAX #14), alignment and justification.

use std::collections::HashMap;
use std::rc::Rc;

use krilla::text::{GlyphId, KrillaGlyph};
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

/// Shaping cache and the record of characters no font covers.
#[derive(Default)]
pub struct Shaper {
    cache: HashMap<(FaceId, String), Rc<[G]>>,
    /// Characters no bundled font covers, with how often they occurred.
    pub missing: std::collections::BTreeMap<char, usize>,
}

/// Characters that draw nothing and need no glyph.
fn ignorable(c: char) -> bool {
    matches!(c, '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' | '\u{034F}')
        || c.is_control()
}

impl Shaper {
    fn shape(&mut self, face: FaceId, text: &str) -> Rc<[G]> {
        if let Some(g) = self.cache.get(&(face, text.to_owned())) {
            return g.clone();
        }
        let glyphs: Rc<[G]> = match fonts::get(face) {
            Some(f) => {
                let mut buffer = rustybuzz::UnicodeBuffer::new();
                buffer.push_str(text);
                buffer.guess_segment_properties();
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
            self.cache.insert((face, text.to_owned()), glyphs.clone());
        }
        glyphs
    }

    /// The face to draw a character with: the style's own, else the
    /// fallback, else the style's own (its .notdef box) and the character is
    /// recorded as missing.
    fn face_for(&mut self, primary: FaceId, c: char) -> FaceId {
        if ignorable(c) || c == ' ' || fonts::covers(primary, c) {
            primary
        } else if fonts::covers(fonts::FALLBACK, c) {
            fonts::FALLBACK
        } else {
            *self.missing.entry(c).or_insert(0) += 1;
            primary
        }
    }

    /// Width of a text in one style (no wrapping), in points.
    pub fn measure(&mut self, text: &str, style: &Style) -> f32 {
        let mut width = 0.0;
        let primary = fonts::face(style.family, style.bold, style.italic);
        for (face, range) in self.face_runs(text, primary) {
            width += self.shape(face, &text[range]).iter().map(|g| g.adv).sum::<f32>() * style.size;
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

    /// Lays out spans into lines of at most `width` points.
    pub fn lines(
        &mut self,
        spans: &[Span],
        width: f32,
        align: Align,
        line_spacing: f32,
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
        let mut cur = LineBuilder::default();
        let mut span_idx = 0;
        for (seg_start, seg_end, mandatory) in segments {
            // Pieces of this segment: split at span and face boundaries.
            let mut seg_pieces: Vec<SegPiece> = Vec::new();
            let mut pos = seg_start;
            while pos < seg_end {
                while bounds[span_idx].1 <= pos {
                    span_idx += 1;
                }
                let end = seg_end.min(bounds[span_idx].1);
                let style = &spans[span_idx].style;
                let primary = fonts::face(style.family, style.bold, style.italic);
                let piece_text = &full[pos..end];
                for (face, r) in self.face_runs(piece_text, primary) {
                    let t = &piece_text[r];
                    let (visible, trailing) = split_trailing(t);
                    let glyphs = self.shape(face, visible);
                    let w: f32 = glyphs.iter().map(|g| g.adv).sum::<f32>() * style.size;
                    let tw = if trailing.is_empty() {
                        0.0
                    } else {
                        self.shape(face, trailing).iter().map(|g| g.adv).sum::<f32>() * style.size
                    };
                    seg_pieces.push(SegPiece {
                        face,
                        span: span_idx,
                        visible: visible.to_owned(),
                        trailing: trailing.to_owned(),
                        glyphs,
                        width: w,
                        trailing_width: tw,
                    });
                }
                pos = end;
            }
            // Width up to the last visible glyph, and with trailing spaces.
            let seg_width: f32 = seg_pieces.iter().map(|p| p.width + p.trailing_width).sum();
            let seg_visible = seg_width - seg_pieces.last().map_or(0.0, |p| p.trailing_width);
            if !cur.pieces.is_empty() && cur.width + seg_visible > width {
                lines.push(cur.finish(spans, width, align, false, line_spacing, self));
                cur = LineBuilder::default();
            }
            if seg_visible > width {
                // A word longer than the line: break it between clusters.
                for p in seg_pieces {
                    self.push_split(&mut cur, &mut lines, p, spans, width, align, line_spacing);
                }
            } else {
                for p in seg_pieces {
                    cur.push(p, spans);
                }
            }
            if mandatory {
                lines.push(cur.finish(spans, width, align, true, line_spacing, self));
                cur = LineBuilder::default();
                cur.after_break = true;
            }
        }
        if !cur.pieces.is_empty() || lines.is_empty() {
            lines.push(cur.finish(spans, width, align, true, line_spacing, self));
        }
        lines
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
                    cur.push(p.sub(start_glyph, i), spans);
                }
                lines.push(std::mem::take(cur).finish(
                    spans,
                    width,
                    align,
                    false,
                    line_spacing,
                    self,
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
        cur.push(rest, spans);
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

struct SegPiece {
    face: FaceId,
    span: usize,
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
    after_break: bool,
}

impl LineBuilder {
    fn push(&mut self, p: SegPiece, _spans: &[Span]) {
        self.width += p.width + p.trailing_width;
        self.pieces.push(p);
    }

    fn finish(
        self,
        spans: &[Span],
        max: f32,
        align: Align,
        last: bool,
        line_spacing: f32,
        _shaper: &mut Shaper,
    ) -> Line {
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
            _ => 0.0,
        };
        let mut ascent: f32 = 0.0;
        let mut descent: f32 = 0.0;
        let mut out: Vec<Piece> = Vec::with_capacity(n);
        let mut x = offset;
        for (i, p) in self.pieces.into_iter().enumerate() {
            let style = spans[p.span].style.clone();
            let size = style.size;
            let face = fonts::get(p.face);
            let (asc, desc) = face.map_or((0.9, 0.22), |f| (f.ascender, f.descender));
            ascent = ascent.max(size * asc + style.rise.max(0.0));
            descent = descent.max(size * desc - style.rise.min(0.0));
            let is_last = i + 1 == n;
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
            if !is_last && !p.trailing.is_empty() {
                // Draw the inter-word space as a real space glyph, so text
                // extraction sees the word break; justification widens it.
                let spaces = p.trailing.chars().filter(|c| *c == ' ').count();
                let adv_pts = p.trailing_width + extra_per_space * spaces as f32;
                let space_id = face.and_then(|f| f.shaper.glyph_index(' ')).map_or(3, |g| g.0);
                let start = text.len();
                text.push(' ');
                glyphs.push(KrillaGlyph::new(
                    GlyphId::new(u32::from(space_id)),
                    adv_pts / size,
                    0.0,
                    0.0,
                    0.0,
                    start..start + 1,
                    None,
                ));
                width += adv_pts;
            }
            // Neighbours in the same face and style become one piece, so a
            // line is usually one text object.
            match out.last_mut() {
                Some(last)
                    if last.face == p.face
                        && (Rc::ptr_eq(&last.style, &style) || *last.style == *style) =>
                {
                    let offset = last.text.len();
                    last.text.push_str(&text);
                    last.glyphs.extend(glyphs.into_iter().map(|mut g| {
                        g.text_range = g.text_range.start + offset..g.text_range.end + offset;
                        g
                    }));
                    last.width += width;
                }
                _ => out.push(Piece { x, width, face: p.face, style, text, glyphs }),
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
        let _ = self.after_break;
        Line { pieces: out, width: x - offset, ascent: ascent + lead, height }
    }
}
