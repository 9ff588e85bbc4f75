//! Pagination: turns the document model's blocks into positioned drawing
//! operations on pages, with the structure tree for tagged PDF.
//!
//! Each block is first laid out at its width into *items* (a line of a
//! paragraph, a table row, an image), each with its height and its
//! operations relative to the item's top-left corner. The flow then stacks
//! items into frames (columns of pages): headings keep with the next two
//! lines, paragraphs keep at least two lines together at a break, table
//! rows are never split (a row group joined by row spans moves whole)
//! unless taller than a frame, when they are cut between lines, and a
//! table's header rows are drawn again at the top of every frame it
//! continues on. Page numbers (TOC, "Page N of M") are filled in when the
//! pages are drawn, once the page count is known.

use std::collections::HashMap;
use std::rc::Rc;

use crate::document::{self as doc, Block, Cell, ResolvedSection, Run};
use crate::fonts::{self, Family};
use crate::text::{Align, Line, Link, Rgb, Shaper, Span, Style};

/// Text size of code blocks and inline code relative to the body size.
const CODE_SCALE: f32 = 0.9;
const CELL_PAD_X: f32 = 4.0;
const CELL_PAD_Y: f32 = 3.0;
const COLUMN_GAP: f32 = 18.0;

/// A structure element kind (tagged PDF).
#[derive(Clone, Debug)]
pub enum SKind {
    P,
    H(u8, String),
    L(bool),
    LI,
    Lbl,
    LBody,
    Table,
    THead,
    TBody,
    TR,
    TH,
    TD,
    Figure(Option<String>),
    Caption,
    BlockQuote,
    Code,
    Toc,
    TocItem,
    Link,
    Note,
    Div,
}

/// A child of a structure element.
#[derive(Clone, Copy, Debug)]
pub enum SKid {
    Node(usize),
    /// Marked content, by its content id.
    Content(u32),
    /// A link annotation, by its annotation id.
    Annot(u32),
}

#[derive(Clone, Debug)]
pub struct SNode {
    pub kind: SKind,
    pub kids: Vec<SKid>,
}

/// A drawing operation; coordinates in points from the top-left corner.
#[derive(Clone, Debug)]
pub enum Op {
    /// A line piece of text; `y` is the baseline.
    Text {
        x: f32,
        y: f32,
        piece: Rc<crate::text::Piece>,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Rgb,
    },
    Stroke {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
        color: Rgb,
    },
    /// Many segments stroked as one path (table rules).
    Lines {
        segs: Rc<Vec<[f32; 4]>>,
        dx: f32,
        dy: f32,
        width: f32,
        color: Rgb,
    },
    Image {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        image: usize,
    },
    Link {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        target: Link,
        annot: Option<u32>,
    },
    /// Where a heading starts (for the outline, TOC and internal links).
    Anchor {
        id: usize,
        y: f32,
    },
    /// The page number of an anchor, right-aligned at `x`, baseline `y`.
    PageRef {
        x: f32,
        y: f32,
        anchor: usize,
        style: Rc<Style>,
    },
}

impl Op {
    /// The vertical extent of what cannot be cut: text (from its ascent to
    /// its descent), images and links.
    fn solid_extent(&self) -> Option<Extent> {
        match self {
            Op::Text { y, piece, .. } => {
                let size = piece.style.size;
                Some((y - size, y + size * 0.3))
            }
            Op::PageRef { y, style, .. } => Some((y - style.size, y + style.size * 0.3)),
            Op::Image { y, h, .. } | Op::Link { y, h, .. } => Some((*y, y + h)),
            _ => None,
        }
    }

    /// This operation's parts above and below `cut`: text, images and links
    /// go whole to the side their top is on; rectangles and rules are cut.
    fn split(self, cut: f32) -> (Option<Op>, Option<Op>) {
        match self {
            Op::Rect { x, y, w, h, fill } => {
                let part =
                    |(top, bottom): (f32, f32)| Op::Rect { x, y: top, w, h: bottom - top, fill };
                let (above, below) = cut_range(y, y + h, cut);
                (above.map(part), below.map(part))
            }
            Op::Stroke { x1, y1, x2, y2, width, color } => {
                // Only vertical rules cross a row's cut; others keep their y.
                let part = |(top, bottom)| Op::Stroke { x1, y1: top, x2, y2: bottom, width, color };
                let (above, below) = cut_range(y1.min(y2), y1.max(y2), cut);
                (above.map(part), below.map(part))
            }
            Op::Lines { segs, dx, dy, width, color } => {
                let (mut above, mut below) = (Vec::new(), Vec::new());
                for &[x1, y1, x2, y2] in segs.iter() {
                    let (x1, x2) = (x1 + dx, x2 + dx);
                    let (top, bottom) =
                        cut_range((y1 + dy).min(y2 + dy), (y1 + dy).max(y2 + dy), cut);
                    above.extend(top.map(|(a, b)| [x1, a, x2, b]));
                    below.extend(bottom.map(|(a, b)| [x1, a, x2, b]));
                }
                let lines = |segs: Vec<[f32; 4]>| {
                    (!segs.is_empty()).then(|| Op::Lines {
                        segs: Rc::new(segs),
                        dx: 0.0,
                        dy: 0.0,
                        width,
                        color,
                    })
                };
                (lines(above), lines(below))
            }
            Op::Anchor { y, .. } if y >= cut => (None, Some(self)),
            Op::Anchor { .. } => (Some(self), None),
            op => match op.solid_extent() {
                Some((top, _)) if top >= cut => (None, Some(op)),
                _ => (Some(op), None),
            },
        }
    }

    fn shift(&mut self, dx: f32, dy: f32) {
        match self {
            Op::Text { x, y, .. }
            | Op::Rect { x, y, .. }
            | Op::Image { x, y, .. }
            | Op::Link { x, y, .. }
            | Op::PageRef { x, y, .. } => {
                *x += dx;
                *y += dy;
            }
            Op::Stroke { x1, y1, x2, y2, .. } => {
                *x1 += dx;
                *x2 += dx;
                *y1 += dy;
                *y2 += dy;
            }
            Op::Lines { dx: x, dy: y, .. } => {
                *x += dx;
                *y += dy;
            }
            Op::Anchor { y, .. } => *y += dy,
        }
    }
}

/// A vertical extent: top and bottom.
type Extent = (f32, f32);

/// The parts of the span `top..bottom` above and below `cut`; a span of no
/// height at the cut counts as above it.
fn cut_range(top: f32, bottom: f32, cut: f32) -> (Option<Extent>, Option<Extent>) {
    let above = (top < cut || bottom <= cut).then(|| (top, bottom.min(cut)));
    let below = (bottom > cut).then(|| (top.max(cut), bottom));
    (above, below)
}

/// An item cut at `cut` points from its top, for a table row taller than a
/// frame: the head keeps what lies above the cut, the tail the rest,
/// moved up. The cut moves up to the top of any text or image it would
/// pass through, unless that leaves nothing above it; backgrounds and
/// rules are cut in two.
fn split_item(item: Item, cut: f32) -> (Item, Item) {
    // Extents of what cannot be cut, by top, merged where they overlap: the
    // last block that starts above the cut is the only one it can pass through.
    let mut solid: Vec<(f32, f32)> = item.ops.iter().filter_map(|p| p.op.solid_extent()).collect();
    solid.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut block: Option<(f32, f32)> = None;
    for (top, bottom) in solid.into_iter().take_while(|(top, _)| *top < cut) {
        match &mut block {
            Some((_, end)) if top < *end => *end = end.max(bottom),
            _ => block = Some((top, bottom)),
        }
    }
    let at = match block {
        Some((top, bottom)) if cut < bottom && top > 0.0 => top,
        _ => cut,
    };
    let mut head = Item { height: at, baseline: item.baseline, notes: item.notes, ops: Vec::new() };
    let mut tail = Item { height: (item.height - at).max(0.0), ..Item::default() };
    // Cell borders cut in two are closed by a rule across the cut, on both parts.
    if let Some((left, right, width, color)) = borders_across(&item.ops, at) {
        let rule = |y| Op::Stroke { x1: left, y1: y, x2: right, y2: y, width, color };
        head.ops.push(Placed { op: rule(at), content: None });
        tail.ops.push(Placed { op: rule(0.0), content: None });
    }
    for p in item.ops {
        let (above, below) = p.op.split(at);
        // What is cut in two keeps its tag on the upper part only.
        let content_below = if above.is_some() { None } else { p.content };
        if let Some(op) = above {
            head.ops.push(Placed { op, content: p.content });
        }
        if let Some(mut op) = below {
            op.shift(0.0, -at);
            tail.ops.push(Placed { op, content: content_below });
        }
    }
    (head, tail)
}

/// The leftmost and rightmost border that crosses `y`, with the borders'
/// width and colour, when they are apart.
fn borders_across(ops: &[Placed], y: f32) -> Option<(f32, f32, f32, Rgb)> {
    let mut found: Option<(f32, f32, f32, Rgb)> = None;
    for p in ops {
        let Op::Lines { segs, dx, dy, width, color } = &p.op else { continue };
        for &[x1, y1, _, y2] in segs.iter() {
            if y1.min(y2) + dy < y && y < y1.max(y2) + dy {
                let x = x1 + dx;
                let (left, right) = found.map_or((x, x), |(l, r, ..)| (l.min(x), r.max(x)));
                found = Some((left, right, *width, *color));
            }
        }
    }
    found.filter(|(left, right, ..)| right > left)
}

/// An operation with its marked-content id (`None`: an artifact).
#[derive(Clone, Debug)]
pub struct Placed {
    pub op: Op,
    pub content: Option<u32>,
}

/// A vertical piece of a block.
#[derive(Clone, Debug, Default)]
struct Item {
    height: f32,
    ops: Vec<Placed>,
    /// Baseline of the first line, for list labels.
    baseline: Option<f32>,
    /// The footnotes whose marks this item holds: they go to the foot of
    /// the frame it lands in.
    notes: Vec<u32>,
}

impl Item {
    fn shift(&mut self, dx: f32, dy: f32) {
        for p in &mut self.ops {
            p.op.shift(dx, dy);
        }
        if let Some(b) = &mut self.baseline {
            *b += dy;
        }
    }
}

/// A laid-out block: items with the rules for breaking between them.
#[derive(Clone, Debug)]
struct Chunk {
    items: Vec<Item>,
    space_before: f32,
    space_after: f32,
    kind: ChunkKind,
}

#[derive(Clone, Debug)]
enum ChunkKind {
    /// Lines of a paragraph: keep two together at a break.
    Lines {
        keep_with_next: bool,
    },
    /// Any item may end a frame.
    Free,
    /// Table rows; the header items are drawn again on every frame the
    /// table continues on.
    Table {
        header: Vec<Item>,
    },
    PageBreak,
}

/// One output page.
#[derive(Debug)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub section: usize,
    pub ops: Vec<Placed>,
    /// Whether the section's header and footer are drawn (not on a title page).
    pub furniture: bool,
}

/// What a title page shows: the title, then smaller lines centred under it.
#[derive(Clone, Debug)]
pub struct TitlePage {
    pub title: String,
    pub lines: Vec<String>,
}

/// A heading for the outline and the TOC.
#[derive(Clone, Debug)]
pub struct Heading {
    pub level: u8,
    pub text: String,
}

/// An image to embed, decoded lazily by the renderer.
#[derive(Clone, Debug)]
pub struct ImageRef {
    pub asset: String,
    pub alt: Option<String>,
}

/// Everything the renderer needs.
#[derive(Debug, Default)]
pub struct Laid {
    pub pages: Vec<Page>,
    pub nodes: Vec<SNode>,
    /// Children of the tree's root, in reading order.
    pub roots: Vec<SKid>,
    pub headings: Vec<Heading>,
    /// Page index and y of each heading anchor.
    pub anchors: HashMap<usize, (usize, f32)>,
    pub images: Vec<ImageRef>,
    pub annots: u32,
    pub contents: u32,
    /// Things dropped or adjusted, for the job log.
    pub notes: Vec<String>,
}

/// Facts about an image asset the layout needs (pixel size).
pub type ImageSizes = HashMap<String, (u32, u32)>;

/// Settings from the spec's theme and `pdf` options.
#[derive(Clone, Debug)]
pub struct Theme {
    pub body: Family,
    pub heading: Family,
    pub mono: Family,
    pub size: f32,
    pub text: Rgb,
    pub heading_color: Rgb,
    pub accent: Rgb,
    pub link: Rgb,
    pub justify: bool,
    pub line_spacing: f32,
    pub heading_sizes: [f32; 6],
}

pub struct Layouter<'a> {
    pub shaper: &'a mut Shaper,
    theme: Theme,
    out: Laid,
    images: &'a ImageSizes,
    /// TOC levels requested (max over TOC blocks).
    heading_ids: usize,
    footnotes: Vec<(u32, Vec<Block>)>,
    footnote_count: u32,
    /// Inside a list item, table cell or note: headings there are not anchors.
    nested: u32,
}

fn rgb(c: doc::Color) -> Rgb {
    c.0
}

impl<'a> Layouter<'a> {
    pub fn new(shaper: &'a mut Shaper, theme: Theme, images: &'a ImageSizes) -> Self {
        Layouter {
            shaper,
            theme,
            out: Laid::default(),
            images,
            heading_ids: 0,
            footnotes: Vec::new(),
            footnote_count: 0,
            nested: 0,
        }
    }

    fn node(&mut self, parent: Option<usize>, kind: SKind) -> usize {
        let id = self.out.nodes.len();
        self.out.nodes.push(SNode { kind, kids: Vec::new() });
        match parent {
            Some(p) => self.out.nodes[p].kids.push(SKid::Node(id)),
            None => self.out.roots.push(SKid::Node(id)),
        }
        id
    }

    fn content(&mut self, node: usize) -> u32 {
        let id = self.out.contents;
        self.out.contents += 1;
        self.out.nodes[node].kids.push(SKid::Content(id));
        id
    }

    fn base_style(&self) -> Style {
        let mut s = Style::new(self.theme.body, self.theme.size);
        s.color = self.theme.text;
        s
    }

    /// Spans of runs on top of a base style.
    fn spans(&mut self, runs: &[Run], base: &Style) -> Vec<Span> {
        let mut out = Vec::with_capacity(runs.len());
        for r in runs {
            let mut s = base.clone();
            s.bold |= r.bold;
            s.italic |= r.italic;
            s.underline |= r.underline;
            s.strike |= r.strike;
            if let Some(size) = r.size.filter(|s| *s > 0.0 && *s < 1000.0) {
                s.size = size;
            }
            if let Some(f) = r.font.as_deref().and_then(fonts::family) {
                s.family = f;
            }
            if r.code {
                s.family = self.theme.mono;
                s.size *= CODE_SCALE;
                s.code_background = Some([0xF0, 0xF0, 0xF0]);
            }
            if let Some(link) = &r.link {
                s.color = self.theme.link;
                s.underline = true;
                s.link = Some(Link::Uri(link.clone()));
            }
            if let Some(c) = r.color {
                s.color = rgb(c);
            }
            s.highlight = r.highlight.map(rgb);
            if r.superscript || r.subscript {
                let rise = if r.superscript { s.size * 0.33 } else { -s.size * 0.15 };
                s.size *= 0.65;
                s.rise = rise;
            }
            let text = clean(&r.text);
            out.push(Span { text, style: Rc::new(s.clone()) });
            if let Some(note) = &r.footnote {
                self.footnote_count += 1;
                let n = self.footnote_count;
                self.footnotes.push((n, note.clone()));
                let mut m = base.clone();
                m.size *= 0.65;
                m.rise = base.size * 0.33;
                m.note = Some(n);
                out.push(Span { text: n.to_string(), style: Rc::new(m) });
            }
        }
        out
    }

    /// Lines of a paragraph as items, tagged under `node`.
    /// `hyphenate`: body text may hyphenate; headings, code and captions not.
    fn para_items(
        &mut self,
        spans: &[Span],
        width: f32,
        align: Align,
        node: usize,
        hyphenate: bool,
    ) -> Vec<Item> {
        let lines = self.shaper.lines(spans, width, align, self.theme.line_spacing, hyphenate);
        let mut items = Vec::with_capacity(lines.len());
        for line in lines {
            items.push(self.line_item(line, node));
        }
        items
    }

    fn line_item(&mut self, line: Line, node: usize) -> Item {
        let mut ops = Vec::with_capacity(line.pieces.len());
        let base = line.ascent;
        let mut link_node: Option<(usize, Link)> = None;
        for piece in line.pieces {
            let st = piece.style.clone();
            let y = base - st.rise;
            let asc = st.size * 0.9;
            if let Some(bg) = st.code_background.or(st.highlight) {
                ops.push(Placed {
                    op: Op::Rect {
                        x: piece.x,
                        y: y - asc,
                        w: piece.width,
                        h: st.size * 1.15,
                        fill: bg,
                    },
                    content: None,
                });
            }
            let face = fonts::get(piece.face);
            let (upos, uth) =
                face.map_or((-0.1, 0.05), |f| (f.underline_position, f.underline_thickness));
            let visible_w = if piece.text.ends_with(' ') {
                piece.width - piece.glyphs.last().map_or(0.0, |g| g.x_advance * st.size)
            } else {
                piece.width
            };
            if st.underline {
                let uy = y - upos * st.size;
                ops.push(Placed {
                    op: Op::Stroke {
                        x1: piece.x,
                        y1: uy,
                        x2: piece.x + visible_w,
                        y2: uy,
                        width: (uth * st.size).max(0.4),
                        color: st.color,
                    },
                    content: None,
                });
            }
            if st.strike {
                let sy = y - st.size * 0.3;
                ops.push(Placed {
                    op: Op::Stroke {
                        x1: piece.x,
                        y1: sy,
                        x2: piece.x + visible_w,
                        y2: sy,
                        width: (uth * st.size).max(0.4),
                        color: st.color,
                    },
                    content: None,
                });
            }
            // Text inside a link goes into a Link structure element.
            let owner = match &st.link {
                Some(target) => {
                    let reuse = matches!(&link_node, Some((_, t)) if t == target);
                    if !reuse {
                        let n = self.node(Some(node), SKind::Link);
                        link_node = Some((n, target.clone()));
                    }
                    let (n, target) = link_node.clone().unwrap_or((node, target.clone()));
                    let annot = self.out.annots;
                    self.out.annots += 1;
                    let cid = self.content(n);
                    self.out.nodes[n].kids.push(SKid::Annot(annot));
                    ops.push(Placed {
                        op: Op::Link {
                            x: piece.x,
                            y: y - asc,
                            w: piece.width,
                            h: st.size * 1.2,
                            target,
                            annot: Some(annot),
                        },
                        content: None,
                    });
                    ops.push(Placed {
                        op: Op::Text { x: piece.x, y, piece: Rc::new(piece) },
                        content: Some(cid),
                    });
                    continue;
                }
                None => {
                    link_node = None;
                    node
                }
            };
            let cid = self.content(owner);
            ops.push(Placed {
                op: Op::Text { x: piece.x, y, piece: Rc::new(piece) },
                content: Some(cid),
            });
        }
        let notes = ops
            .iter()
            .filter_map(|p| match &p.op {
                Op::Text { piece, .. } => piece.style.note,
                _ => None,
            })
            .collect();
        Item { height: line.height, ops, baseline: Some(base), notes }
    }

    /// Lays out blocks at a width, tagged under `parent`.
    fn blocks(
        &mut self,
        blocks: &[Block],
        width: f32,
        parent: Option<usize>,
        out: &mut Vec<Chunk>,
    ) {
        for b in blocks {
            self.block(b, width, parent, out);
        }
    }

    fn block(&mut self, block: &Block, width: f32, parent: Option<usize>, out: &mut Vec<Chunk>) {
        let size = self.theme.size;
        match block {
            Block::Heading(h) => {
                let level = h.level.clamp(1, 6);
                let mut st = Style::new(
                    self.theme.heading,
                    self.theme.heading_sizes[usize::from(level - 1)],
                );
                st.bold = true;
                st.color = self.theme.heading_color;
                let title = doc::text::plain(&h.text);
                let node = self.node(parent, SKind::H(level, title.clone()));
                let spans = self.spans(&h.text, &st);
                let align = h.align.map_or(Align::Left, align);
                let mut items = self.para_items(&spans, width, align, node, false);
                if self.nested == 0 {
                    let id = self.heading_ids;
                    self.heading_ids += 1;
                    self.out.headings.push(Heading { level, text: title });
                    if let Some(first) = items.first_mut() {
                        first
                            .ops
                            .insert(0, Placed { op: Op::Anchor { id, y: 0.0 }, content: None });
                    }
                }
                out.push(Chunk {
                    items,
                    space_before: st.size * if level <= 2 { 1.0 } else { 0.8 },
                    space_after: st.size * 0.35,
                    kind: ChunkKind::Lines { keep_with_next: true },
                });
            }
            Block::Paragraph(p) => {
                let node = self.node(parent, SKind::P);
                let base = self.base_style();
                let spans = self.spans(&p.text, &base);
                let default = if self.theme.justify { Align::Justify } else { Align::Left };
                let align = p.align.map_or(default, align);
                let items = self.para_items(&spans, width, align, node, true);
                out.push(Chunk {
                    items,
                    space_before: size * 0.3,
                    space_after: size * 0.5,
                    kind: ChunkKind::Lines { keep_with_next: false },
                });
            }
            Block::List(l) => self.list(l, width, parent, out, 0),
            Block::Bullets(items) | Block::Numbered(items) => {
                let l = doc::List {
                    items: items.clone(),
                    ordered: matches!(block, Block::Numbered(_)),
                    start: None,
                };
                self.list(&l, width, parent, out, 0)
            }
            Block::Table(t) => self.table(t, width, parent, out),
            Block::Image(img) => self.image(img, width, parent, out),
            Block::Quote(inner) => {
                let node = self.node(parent, SKind::BlockQuote);
                let indent = size * 1.2;
                let mut inner_chunks = Vec::new();
                let saved = self.theme.text;
                self.theme.text = mix(self.theme.text, [0x55, 0x55, 0x55]);
                self.blocks(inner, width - indent, Some(node), &mut inner_chunks);
                self.theme.text = saved;
                let bar = self.theme.accent;
                let n = inner_chunks.len();
                for (i, mut c) in inner_chunks.into_iter().enumerate() {
                    let gap_after = if i + 1 < n { c.space_after } else { 0.0 };
                    let last = c.items.len().saturating_sub(1);
                    for (j, it) in c.items.iter_mut().enumerate() {
                        it.shift(indent, 0.0);
                        // The bar also spans the gap to the next block.
                        let h = it.height + if j == last { gap_after } else { 0.0 };
                        it.ops.insert(
                            0,
                            Placed {
                                op: Op::Rect { x: 0.0, y: 0.0, w: 2.5, h, fill: bar },
                                content: None,
                            },
                        );
                    }
                    if i > 0 {
                        c.space_before = 0.0;
                    }
                    if i + 1 < n {
                        c.space_after = gap_after;
                    }
                    out.push(c);
                }
            }
            Block::Code(code) => {
                let node = self.node(parent, SKind::Code);
                let mut st = Style::new(self.theme.mono, size * CODE_SCALE);
                st.color = self.theme.text;
                let text = clean(&code.text.replace('\t', "    "));
                let text = text.trim_end_matches('\n');
                let spans = [Span { text: text.to_owned(), style: Rc::new(st) }];
                let pad = 6.0;
                let mut items =
                    self.para_items(&spans, width - 2.0 * pad, Align::Left, node, false);
                let n = items.len();
                for (i, it) in items.iter_mut().enumerate() {
                    let top = if i == 0 { pad } else { 0.0 };
                    let bottom = if i + 1 == n { pad } else { 0.0 };
                    it.shift(pad, top);
                    it.height += top + bottom;
                    it.ops.insert(
                        0,
                        Placed {
                            op: Op::Rect {
                                x: 0.0,
                                y: 0.0,
                                w: width,
                                h: it.height,
                                fill: [0xF3, 0xF4, 0xF6],
                            },
                            content: None,
                        },
                    );
                }
                out.push(Chunk {
                    items,
                    space_before: size * 0.4,
                    space_after: size * 0.7,
                    kind: ChunkKind::Lines { keep_with_next: false },
                });
            }
            Block::Rule(_) => {
                let op = Op::Stroke {
                    x1: 0.0,
                    y1: size * 0.5,
                    x2: width,
                    y2: size * 0.5,
                    width: 0.75,
                    color: [0xA0, 0xA0, 0xA0],
                };
                out.push(Chunk {
                    items: vec![Item {
                        height: size,
                        ops: vec![Placed { op, content: None }],
                        ..Item::default()
                    }],
                    space_before: size * 0.3,
                    space_after: size * 0.3,
                    kind: ChunkKind::Free,
                });
            }
            Block::PageBreak(_) => out.push(Chunk {
                items: Vec::new(),
                space_before: 0.0,
                space_after: 0.0,
                kind: ChunkKind::PageBreak,
            }),
            Block::Toc(toc) => self.toc(toc, width, parent, out),
            Block::Markdown(text) => {
                let parsed = doc::normalize::blocks(&doc::markdown::parse(text));
                self.blocks(&parsed, width, parent, out);
            }
        }
    }

    fn list(
        &mut self,
        l: &doc::List,
        width: f32,
        parent: Option<usize>,
        out: &mut Vec<Chunk>,
        depth: usize,
    ) {
        let size = self.theme.size;
        let node = self.node(parent, SKind::L(l.ordered));
        let indent = size * 1.6;
        let start = l.start.unwrap_or(1);
        for (i, item) in l.items.iter().enumerate() {
            let li = self.node(Some(node), SKind::LI);
            let lbl = self.node(Some(li), SKind::Lbl);
            let body = self.node(Some(li), SKind::LBody);
            let mut label = if l.ordered {
                format!("{}.", u64::from(start) + i as u64)
            } else {
                ["•", "◦", "▪"][depth % 3].to_owned()
            };
            if let Some(checked) = item.checked {
                label = if checked { "☑".into() } else { "☐".into() };
            }
            let mut chunks = Vec::new();
            self.nested += 1;
            // Item text first, then its blocks, then nested items.
            if !item.text.is_empty() {
                let p = self.node(Some(body), SKind::P);
                let base = self.base_style();
                let spans = self.spans(&item.text, &base);
                let items = self.para_items(&spans, width - indent, Align::Left, p, true);
                chunks.push(Chunk {
                    items,
                    space_before: 0.0,
                    space_after: size * 0.2,
                    kind: ChunkKind::Lines { keep_with_next: false },
                });
            }
            for b in &item.blocks {
                match b {
                    Block::List(inner) => {
                        self.list(inner, width - indent, Some(body), &mut chunks, depth + 1)
                    }
                    Block::Bullets(items) | Block::Numbered(items) => {
                        let inner = doc::List {
                            items: items.clone(),
                            ordered: matches!(b, Block::Numbered(_)),
                            start: None,
                        };
                        self.list(&inner, width - indent, Some(body), &mut chunks, depth + 1)
                    }
                    other => self.block(other, width - indent, Some(body), &mut chunks),
                }
            }
            if !item.items.is_empty() {
                let inner =
                    doc::List { items: item.items.clone(), ordered: l.ordered, start: None };
                self.list(&inner, width - indent, Some(body), &mut chunks, depth + 1);
            }
            self.nested -= 1;
            for c in &mut chunks {
                for it in &mut c.items {
                    it.shift(indent, 0.0);
                }
                c.space_before = c.space_before.min(size * 0.2);
                c.space_after = c.space_after.min(size * 0.2);
            }
            // The label, right-aligned before the first line.
            let mut st = self.base_style();
            if label.chars().count() == 1 && !l.ordered {
                st.family = Family::Sans;
            }
            let spans = [Span { text: label, style: Rc::new(st) }];
            let lines = self.shaper.lines(&spans, indent, Align::Left, 1.0, false);
            if let Some(line) = lines.into_iter().next() {
                let lw = line.width;
                let lasc = line.ascent;
                let mut it = self.line_item(line, lbl);
                let first = chunks.iter_mut().find_map(|c| c.items.first_mut());
                if let Some(first) = first {
                    let baseline = first.baseline.unwrap_or(lasc);
                    it.shift(indent - lw - size * 0.4, baseline - lasc);
                    // The label comes first in reading order.
                    first.ops.splice(0..0, it.ops);
                } else {
                    it.shift(indent - lw - size * 0.4, 0.0);
                    chunks.push(Chunk {
                        items: vec![it],
                        space_before: 0.0,
                        space_after: 0.0,
                        kind: ChunkKind::Free,
                    });
                }
            }
            if let Some(c) = chunks.first_mut() {
                c.space_before = if i == 0 && depth == 0 { size * 0.3 } else { size * 0.15 };
            }
            if let Some(c) = chunks.last_mut()
                && i + 1 == l.items.len()
                && depth == 0
            {
                c.space_after = size * 0.6;
            }
            out.extend(chunks);
        }
    }

    fn image(&mut self, img: &doc::Image, width: f32, parent: Option<usize>, out: &mut Vec<Chunk>) {
        let Some(&(pw, ph)) = self.images.get(&img.asset) else {
            self.out.notes.push(format!(
                "image {:?} could not be read as PNG, JPEG or SVG; left out",
                img.asset
            ));
            return;
        };
        let (pw, ph) = (pw.max(1) as f32, ph.max(1) as f32);
        let natural = (pw * 0.75, ph * 0.75);
        let (mut w, mut h) = match (img.width, img.height) {
            (Some(w), Some(h)) => (w.0, h.0),
            (Some(w), None) => (w.0, w.0 * ph / pw),
            (None, Some(h)) => (h.0 * pw / ph, h.0),
            (None, None) => natural,
        };
        if w > width {
            self.out.notes.push(format!(
                "image {:?} is wider than the text ({w:.0} pt > {width:.0} pt); scaled down",
                img.asset
            ));
            h *= width / w;
            w = width;
        }
        let max_h = MAX_IMAGE_HEIGHT.with(|m| *m.borrow());
        if h > max_h {
            self.out.notes.push(format!(
                "image {:?} is taller than the page's text area; scaled down",
                img.asset
            ));
            w *= max_h / h;
            h = max_h;
        }
        // Centred unless the spec says otherwise, as the docx generator does.
        let x = match img.align.unwrap_or(doc::Align::Center) {
            doc::Align::Center => (width - w) / 2.0,
            doc::Align::Right => width - w,
            _ => 0.0,
        };
        let idx = self.out.images.len();
        self.out.images.push(ImageRef {
            asset: img.asset.clone(),
            alt: img.alt.clone().or_else(|| img.caption.clone()),
        });
        let fig = self.node(
            parent,
            SKind::Figure(
                img.alt.clone().or_else(|| img.caption.clone()).or_else(|| Some(img.asset.clone())),
            ),
        );
        let cid = self.content(fig);
        let mut items = vec![Item {
            height: h,
            ops: vec![Placed { op: Op::Image { x, y: 0.0, w, h, image: idx }, content: Some(cid) }],
            ..Item::default()
        }];
        if let Some(caption) = &img.caption {
            let cap = self.node(parent, SKind::Caption);
            let mut st = self.base_style();
            st.italic = true;
            st.size *= 0.9;
            let spans = [Span { text: clean(caption), style: Rc::new(st) }];
            let a = match img.align {
                Some(doc::Align::Right) => Align::Right,
                Some(doc::Align::Left) => Align::Left,
                _ => Align::Center,
            };
            let mut lines = self.para_items(&spans, width, a, cap, false);
            if let Some(first) = lines.first_mut() {
                first.shift(0.0, 4.0);
                first.height += 4.0;
            }
            items.extend(lines);
        }
        out.push(Chunk {
            items,
            space_before: self.theme.size * 0.5,
            space_after: self.theme.size * 0.7,
            kind: ChunkKind::Lines { keep_with_next: false },
        });
    }

    fn toc(&mut self, toc: &doc::Toc, width: f32, parent: Option<usize>, out: &mut Vec<Chunk>) {
        let levels = toc.levels.clamp(1, 6);
        let node = self.node(parent, SKind::Toc);
        if !toc.title.is_empty() {
            let mut st = Style::new(self.theme.heading, self.theme.heading_sizes[1]);
            st.bold = true;
            st.color = self.theme.heading_color;
            let p = self.node(Some(node), SKind::P);
            let spans = [Span { text: clean(&toc.title), style: Rc::new(st.clone()) }];
            let items = self.para_items(&spans, width, Align::Left, p, false);
            out.push(Chunk {
                items,
                space_before: 0.0,
                space_after: st.size * 0.5,
                kind: ChunkKind::Lines { keep_with_next: true },
            });
        }
        let entries: Vec<(usize, Heading)> = TOC_HEADINGS
            .with(|h| h.borrow().clone())
            .into_iter()
            .enumerate()
            .filter(|(_, h)| h.level <= levels)
            .collect();
        let num_w = self.shaper.measure("0000", &self.base_style());
        for (id, h) in entries {
            let item_node = self.node(Some(node), SKind::TocItem);
            let link = self.node(Some(item_node), SKind::Link);
            let mut st = self.base_style();
            if h.level == 1 {
                st.bold = true;
            }
            st.link = Some(Link::Anchor(id));
            let st = Rc::new(st);
            let indent = f32::from(h.level - 1) * self.theme.size * 1.2;
            let spans = [Span { text: clean(&h.text), style: st.clone() }];
            let lines =
                self.shaper.lines(&spans, width - indent - num_w - 8.0, Align::Left, 1.0, false);
            let n = lines.len();
            let mut items = Vec::new();
            for (i, line) in lines.into_iter().enumerate() {
                let lw = line.width;
                let mut it =
                    Item { height: line.height, baseline: Some(line.ascent), ..Item::default() };
                let base = line.ascent;
                for piece in line.pieces {
                    let cid = self.content(link);
                    it.ops.push(Placed {
                        op: Op::Text { x: piece.x, y: base, piece: Rc::new(piece) },
                        content: Some(cid),
                    });
                }
                if i + 1 == n {
                    // Dot leaders, then the page number.
                    let dots_from = indent + lw + 4.0;
                    let dots_to = width - num_w;
                    if dots_to > dots_from {
                        it.ops.push(Placed {
                            op: Op::Stroke {
                                x1: dots_from,
                                y1: base,
                                x2: dots_to,
                                y2: base,
                                width: -1.0,
                                color: [0x80, 0x80, 0x80],
                            },
                            content: None,
                        });
                    }
                    let cid = self.content(link);
                    it.ops.push(Placed {
                        op: Op::PageRef { x: width, y: base, anchor: id, style: st.clone() },
                        content: Some(cid),
                    });
                }
                let annot = self.out.annots;
                self.out.annots += 1;
                self.out.nodes[link].kids.push(SKid::Annot(annot));
                it.ops.push(Placed {
                    op: Op::Link {
                        x: 0.0,
                        y: 0.0,
                        w: width,
                        h: it.height,
                        target: Link::Anchor(id),
                        annot: Some(annot),
                    },
                    content: None,
                });
                // Text pieces start at the line's left; indent them.
                for p in &mut it.ops {
                    if matches!(p.op, Op::Text { .. }) {
                        p.op.shift(indent, 0.0);
                    }
                }
                items.push(it);
            }
            out.push(Chunk {
                items,
                space_before: if h.level == 1 { 3.0 } else { 0.0 },
                space_after: 1.0,
                kind: ChunkKind::Lines { keep_with_next: false },
            });
        }
    }

    fn table(&mut self, t: &doc::Table, width: f32, parent: Option<usize>, out: &mut Vec<Chunk>) {
        let size = self.theme.size;
        // In canonical form the header is the first of `rows`.
        let mut rows: Vec<Vec<Cell>> = Vec::new();
        if !t.header.is_empty() {
            rows.push(t.header.clone());
        }
        rows.extend(t.rows.iter().cloned());
        let header_rows =
            (t.header_rows as usize + usize::from(!t.header.is_empty())).min(rows.len());
        let grid = doc::table::layout(&rows);
        let ncols = grid.columns.max(1);
        // Column widths: relative weights, else from content.
        let weights: Vec<f32> = if t.widths.len() == ncols && t.widths.iter().all(|w| *w > 0.0) {
            t.widths.clone()
        } else {
            self.auto_widths(&grid, ncols, width)
        };
        let total: f32 = weights.iter().sum::<f32>().max(1e-3);
        let col_w: Vec<f32> = weights.iter().map(|w| w / total * width).collect();
        let mut col_x = vec![0.0; ncols + 1];
        for i in 0..ncols {
            col_x[i + 1] = col_x[i] + col_w[i];
        }
        let table_node = self.node(parent, SKind::Table);
        let head_node =
            if header_rows > 0 { Some(self.node(Some(table_node), SKind::THead)) } else { None };
        let body_node = if rows.len() > header_rows {
            Some(self.node(Some(table_node), SKind::TBody))
        } else {
            None
        };
        let header_fill = t.header_fill.map(rgb).unwrap_or_else(|| tint(self.theme.accent, 0.8));
        let border = [0x9A, 0xA3, 0xAE];
        let borders = t.borders;
        // Lay out every cell's content.
        struct CellBox {
            row: usize,
            col: usize,
            colspan: usize,
            rowspan: usize,
            content: Vec<Item>,
            height: f32,
            fill: Option<Rgb>,
            valign: doc::VAlign,
        }
        let mut boxes: Vec<CellBox> = Vec::new();
        for (ri, slots) in grid.rows.iter().enumerate() {
            let is_head = ri < header_rows;
            let tr = self.node(if is_head { head_node } else { body_node }, SKind::TR);
            for slot in slots {
                let doc::Slot::Cell { cell, column, .. } = slot else { continue };
                let colspan = (cell.colspan.max(1) as usize).min(ncols - column.min(&(ncols - 1)));
                let rowspan = (cell.rowspan.max(1) as usize).min(rows.len() - ri);
                let cw = col_x[(column + colspan).min(ncols)] - col_x[*column] - 2.0 * CELL_PAD_X;
                let cnode = self.node(Some(tr), if is_head { SKind::TH } else { SKind::TD });
                let mut base = self.base_style();
                if is_head {
                    base.bold = true;
                }
                let align_default = t.align.get(*column).copied().map_or(Align::Left, align);
                let a = cell.align.map_or(align_default, align);
                let mut chunks = Vec::new();
                // A cell of one paragraph holds its text directly: an
                // element per cell paragraph would double a table's tags.
                let one_paragraph = matches!(
                    (cell.text.is_empty(), cell.blocks.as_slice()),
                    (false, []) | (true, [Block::Paragraph(_)])
                );
                if !cell.text.is_empty() {
                    let p = if one_paragraph { cnode } else { self.node(Some(cnode), SKind::P) };
                    let spans = self.spans(&cell.text, &base);
                    let items = self.para_items(&spans, cw, a, p, true);
                    chunks.push(Chunk {
                        items,
                        space_before: 0.0,
                        space_after: 0.0,
                        kind: ChunkKind::Free,
                    });
                }
                self.nested += 1;
                for b in &cell.blocks {
                    if let Block::Paragraph(pa) = b {
                        let p =
                            if one_paragraph { cnode } else { self.node(Some(cnode), SKind::P) };
                        let spans = self.spans(&pa.text, &base);
                        let items = self.para_items(&spans, cw, pa.align.map_or(a, align), p, true);
                        chunks.push(Chunk {
                            items,
                            space_before: 2.0,
                            space_after: 2.0,
                            kind: ChunkKind::Free,
                        });
                    } else {
                        self.block(b, cw, Some(cnode), &mut chunks);
                    }
                }
                self.nested -= 1;
                let (content, height) = stack(chunks);
                let zebra = t.striped && !is_head && (ri - header_rows) % 2 == 1;
                let fill = cell.fill.map(rgb).or(if is_head {
                    Some(header_fill)
                } else if zebra {
                    Some([0xF2, 0xF4, 0xF7])
                } else {
                    None
                });
                boxes.push(CellBox {
                    row: ri,
                    col: *column,
                    colspan,
                    rowspan,
                    content,
                    height: height + 2.0 * CELL_PAD_Y,
                    fill,
                    valign: cell.valign.unwrap_or(doc::VAlign::Top),
                });
            }
        }
        // Row heights: single-row cells first, then spans stretch the last row.
        let mut heights = vec![size * 1.2 + 2.0 * CELL_PAD_Y; rows.len()];
        for b in boxes.iter().filter(|b| b.rowspan == 1) {
            heights[b.row] = heights[b.row].max(b.height);
        }
        for b in boxes.iter().filter(|b| b.rowspan > 1) {
            let have: f32 = heights[b.row..b.row + b.rowspan].iter().sum();
            if b.height > have {
                heights[b.row + b.rowspan - 1] += b.height - have;
            }
        }
        // Rows joined by spans form groups that move together.
        let mut group_end: Vec<usize> = (0..rows.len()).collect();
        for b in &boxes {
            let end = b.row + b.rowspan - 1;
            for group in &mut group_end[b.row..=end] {
                *group = (*group).max(end);
            }
        }
        // One item per row group.
        let mut row_top = vec![0.0; rows.len() + 1];
        for i in 0..rows.len() {
            row_top[i + 1] = row_top[i] + heights[i];
        }
        let mut items: Vec<Item> = Vec::new();
        let mut header_items = Vec::new();
        let mut box_at = 0;
        let mut r = 0;
        while r < rows.len() {
            let mut end = group_end[r];
            let mut k = r;
            while k <= end {
                end = end.max(group_end[k]);
                k += 1;
            }
            let top = row_top[r];
            let mut it = Item { height: row_top[end + 1] - top, ..Item::default() };
            let zebra_row =
                |ri: usize| t.striped && ri >= header_rows && (ri - header_rows) % 2 == 1;
            for ri in r..=end {
                if ri < header_rows {
                    it.ops.push(Placed {
                        op: Op::Rect {
                            x: 0.0,
                            y: row_top[ri] - top,
                            w: width,
                            h: heights[ri],
                            fill: header_fill,
                        },
                        content: None,
                    });
                } else if zebra_row(ri) {
                    it.ops.push(Placed {
                        op: Op::Rect {
                            x: 0.0,
                            y: row_top[ri] - top,
                            w: width,
                            h: heights[ri],
                            fill: [0xF2, 0xF4, 0xF7],
                        },
                        content: None,
                    });
                }
            }
            let mut segs: Vec<[f32; 4]> = Vec::new();
            // Boxes are in row order: take those of this group.
            let from = box_at;
            while box_at < boxes.len() && boxes[box_at].row <= end {
                box_at += 1;
            }
            for b in boxes[from..box_at].iter_mut() {
                let x = col_x[b.col];
                let w = col_x[(b.col + b.colspan).min(ncols)] - x;
                let y = row_top[b.row] - top;
                let h = row_top[b.row + b.rowspan] - row_top[b.row];
                if let Some(fill) = b.fill {
                    it.ops.push(Placed { op: Op::Rect { x, y, w, h, fill }, content: None });
                }
                let dy = match b.valign {
                    doc::VAlign::Top => 0.0,
                    doc::VAlign::Middle => (h - b.height) / 2.0,
                    doc::VAlign::Bottom => h - b.height,
                };
                let mut cy = y + CELL_PAD_Y + dy.max(0.0);
                for mut c in std::mem::take(&mut b.content) {
                    let ch = c.height;
                    c.shift(x + CELL_PAD_X, cy);
                    cy += ch;
                    it.ops.extend(c.ops);
                    it.notes.extend(c.notes);
                }
                match borders {
                    doc::Borders::All => {
                        segs.push([x, y, x + w, y]);
                        segs.push([x, y + h, x + w, y + h]);
                        segs.push([x, y, x, y + h]);
                        segs.push([x + w, y, x + w, y + h]);
                    }
                    doc::Borders::Horizontal => {
                        segs.push([x, y, x + w, y]);
                        segs.push([x, y + h, x + w, y + h]);
                    }
                    doc::Borders::Outer | doc::Borders::None => {}
                }
            }
            if !segs.is_empty() {
                it.ops.push(Placed {
                    op: Op::Lines {
                        segs: Rc::new(std::mem::take(&mut segs)),
                        dx: 0.0,
                        dy: 0.0,
                        width: 0.5,
                        color: border,
                    },
                    content: None,
                });
            }
            if matches!(borders, doc::Borders::Outer) {
                let h = it.height;
                let line = |x1: f32, y1: f32, x2: f32, y2: f32| Placed {
                    op: Op::Stroke { x1, y1, x2, y2, width: 0.75, color: border },
                    content: None,
                };
                it.ops.push(line(0.0, 0.0, 0.0, h));
                it.ops.push(line(width, 0.0, width, h));
                if r == 0 {
                    it.ops.push(line(0.0, 0.0, width, 0.0));
                }
                if end + 1 == rows.len() {
                    it.ops.push(line(0.0, h, width, h));
                }
            }
            if r < header_rows {
                header_items.push(it);
            } else {
                items.push(it);
            }
            r = end + 1;
        }
        // Header rows lead the table; copies on later frames are artifacts.
        let repeat: Vec<Item> = header_items
            .iter()
            .map(|it| {
                // The notes of header cells are printed once, with the first.
                let mut c = Item { notes: Vec::new(), ..it.clone() };
                for p in &mut c.ops {
                    p.content = None;
                    if let Op::Link { annot, .. } = &mut p.op {
                        *annot = None;
                    }
                }
                c
            })
            .collect();
        let mut all = header_items;
        let lead = all.len();
        all.extend(items);
        out.push(Chunk {
            items: all,
            space_before: size * 0.5,
            space_after: size * 0.8,
            kind: ChunkKind::Table { header: repeat },
        });
        TABLE_LEAD.with(|l| l.borrow_mut().push(lead));
    }

    /// Column weights from content: each column's longest word and natural
    /// width, so narrow columns stay narrow.
    fn auto_widths(&mut self, grid: &doc::Grid<'_>, ncols: usize, width: f32) -> Vec<f32> {
        let base = self.base_style();
        let mut min = vec![12.0f32; ncols];
        let mut max = vec![12.0f32; ncols];
        for slots in grid.rows.iter().take(200) {
            for slot in slots {
                let doc::Slot::Cell { cell, column, .. } = slot else { continue };
                if cell.colspan > 1 {
                    continue;
                }
                let mut text = doc::text::plain(&cell.text);
                for b in &cell.blocks {
                    if let Block::Paragraph(p) = b {
                        text.push_str(&doc::text::plain(&p.text));
                        text.push(' ');
                    }
                }
                let text: String = text.chars().take(400).collect();
                let w = self.shaper.measure(&text, &base) + 2.0 * CELL_PAD_X + 2.0;
                let longest = text
                    .split_whitespace()
                    .map(|word| self.shaper.measure(word, &base))
                    .fold(0.0, f32::max)
                    + 2.0 * CELL_PAD_X
                    + 2.0;
                max[*column] = max[*column].max(w);
                min[*column] = min[*column].max(longest.min(width / ncols as f32 * 1.5));
            }
        }
        let total_max: f32 = max.iter().sum();
        if total_max <= width {
            // Everything fits: share the slack in proportion.
            return max;
        }
        let total_min: f32 = min.iter().sum();
        if total_min >= width {
            return min;
        }
        // Between min and max, in proportion to the excess.
        let slack = width - total_min;
        let excess: f32 = (0..ncols).map(|i| max[i] - min[i]).sum::<f32>().max(1e-3);
        (0..ncols).map(|i| min[i] + (max[i] - min[i]) / excess * slack).collect()
    }

    /// A page of its own with the title a third of the way down and the
    /// other lines under it, all centred.
    fn title_page(&mut self, page: &TitlePage, geo: &Geometry) -> Page {
        let width = geo.text_width();
        let node = self.node(None, SKind::Div);
        let mut title = Style::new(self.theme.heading, self.theme.heading_sizes[0] * 1.5);
        title.bold = true;
        title.color = self.theme.heading_color;
        let mut line = self.base_style();
        line.size = self.theme.size * 1.3;
        let entries = std::iter::once((&page.title, title))
            .chain(page.lines.iter().map(|l| (l, line.clone())));
        let mut ops = Vec::new();
        let mut y = geo.top + (geo.bottom - geo.top) * 0.3;
        for (text, style) in entries {
            let p = self.node(Some(node), SKind::P);
            let gap = style.size * 0.8;
            let spans = [Span { text: clean(text), style: Rc::new(style) }];
            for item in self.para_items(&spans, width, Align::Center, p, false) {
                for mut placed in item.ops {
                    placed.op.shift(geo.left, y);
                    ops.push(placed);
                }
                y += item.height;
            }
            y += gap;
        }
        Page { width: geo.width, height: geo.height, section: 0, ops, furniture: false }
    }

    /// Lays out the footnotes collected so far. Each that fits in a third
    /// of a frame goes to the foot of the frame its mark lands in (the
    /// map); a taller one is printed after the text, under a short rule.
    fn notes(
        &mut self,
        width: f32,
        frame_height: f32,
        out: &mut Vec<Chunk>,
    ) -> HashMap<u32, FootNote> {
        let mut foot = HashMap::new();
        let mut end = Vec::new();
        // A note may hold notes of its own: lay out until none are left.
        loop {
            let pending = std::mem::take(&mut self.footnotes);
            if pending.is_empty() {
                break;
            }
            for (n, blocks) in pending {
                let chunks = self.note_chunks(n, &blocks, width);
                let (items, height) = stack(chunks.clone());
                if height <= frame_height / 3.0 {
                    foot.insert(n, FootNote { items, height });
                } else {
                    end.extend(chunks);
                }
            }
        }
        if !end.is_empty() {
            let size = self.theme.size;
            out.push(Chunk {
                items: vec![Item {
                    height: size,
                    ops: vec![Placed { op: note_rule(0.0, size * 0.5, width), content: None }],
                    ..Item::default()
                }],
                space_before: size,
                space_after: 0.0,
                kind: ChunkKind::Lines { keep_with_next: true },
            });
            out.extend(end);
        }
        foot
    }

    /// One footnote: its number, then its blocks in a smaller size.
    fn note_chunks(&mut self, n: u32, blocks: &[Block], width: f32) -> Vec<Chunk> {
        let size = self.theme.size;
        let node = self.node(None, SKind::Note);
        self.theme.size = size * 0.85;
        let mut chunks = Vec::new();
        self.nested += 1;
        self.blocks(blocks, width - size * 1.5, Some(node), &mut chunks);
        self.nested -= 1;
        let st = self.base_style();
        self.theme.size = size;
        let spans = [Span { text: format!("{n}."), style: Rc::new(st) }];
        let line = self.shaper.lines(&spans, size * 2.0, Align::Left, 1.0, false).remove(0);
        let lasc = line.ascent;
        let mut lbl = self.line_item(line, node);
        for c in &mut chunks {
            c.space_before = 0.0;
            c.space_after = 2.0;
            for it in &mut c.items {
                it.shift(size * 1.5, 0.0);
            }
        }
        match chunks.iter_mut().find_map(|c| c.items.first_mut()) {
            Some(first) => {
                lbl.shift(0.0, first.baseline.unwrap_or(lasc) - lasc);
                first.ops.splice(0..0, lbl.ops);
            }
            None => chunks.push(Chunk {
                items: vec![lbl],
                space_before: 0.0,
                space_after: 2.0,
                kind: ChunkKind::Lines { keep_with_next: false },
            }),
        }
        chunks
    }
}

/// The short rule above footnotes.
fn note_rule(x: f32, y: f32, width: f32) -> Op {
    Op::Stroke { x1: x, y1: y, x2: x + width * 0.3, y2: y, width: 0.5, color: [0x80, 0x80, 0x80] }
}

/// A footnote laid out for the foot of a frame: items stacked from its
/// top, and its height.
#[derive(Debug)]
struct FootNote {
    items: Vec<Item>,
    height: f32,
}

/// The space above footnotes at the foot of a frame, with the rule in it.
const NOTE_RULE_SPACE: f32 = 10.0;

thread_local! {
    static TOC_HEADINGS: std::cell::RefCell<Vec<Heading>> = const { std::cell::RefCell::new(Vec::new()) };
    static TABLE_LEAD: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
    static MAX_IMAGE_HEIGHT: std::cell::RefCell<f32> = const { std::cell::RefCell::new(700.0) };
}

/// Stacks chunks into one column of items (cell content), with spacing.
fn stack(chunks: Vec<Chunk>) -> (Vec<Item>, f32) {
    let mut items = Vec::new();
    let mut y = 0.0;
    let mut prev_after: Option<f32> = None;
    for c in chunks {
        if matches!(c.kind, ChunkKind::PageBreak) {
            continue;
        }
        if let Some(after) = prev_after {
            y += after.max(c.space_before);
        }
        for mut it in c.items {
            it.shift(0.0, y);
            y += it.height;
            it.height = 0.0;
            items.push(it);
        }
        prev_after = Some(c.space_after);
    }
    (items, y)
}

fn align(a: doc::Align) -> Align {
    match a {
        doc::Align::Left => Align::Left,
        doc::Align::Center => Align::Center,
        doc::Align::Right => Align::Right,
        doc::Align::Justify => Align::Justify,
    }
}

fn tint(c: Rgb, amount: f32) -> Rgb {
    c.map(|v| (f32::from(v) + (255.0 - f32::from(v)) * amount).round() as u8)
}

fn mix(a: Rgb, b: Rgb) -> Rgb {
    [0, 1, 2].map(|i| ((u16::from(a[i]) + u16::from(b[i])) / 2) as u8)
}

/// Text as drawn: tabs as spaces, other control characters (but newlines) dropped.
fn clean(text: &str) -> String {
    if !text.chars().any(|c| c.is_control() && c != '\n') {
        return text.to_owned();
    }
    text.chars()
        .filter_map(|c| match c {
            '\t' => Some(' '),
            '\n' => Some('\n'),
            '\r' => None,
            c if c.is_control() => None,
            c => Some(c),
        })
        .collect()
}

/// Collects the headings of sections (for the TOC, laid out before them).
fn collect_headings(blocks: &[Block], out: &mut Vec<Heading>) {
    for b in blocks {
        match b {
            Block::Heading(h) => {
                out.push(Heading { level: h.level.clamp(1, 6), text: doc::text::plain(&h.text) })
            }
            Block::Markdown(m) => {
                collect_headings(&doc::normalize::blocks(&doc::markdown::parse(m)), out)
            }
            Block::Quote(inner) => collect_headings(inner, out),
            _ => {}
        }
    }
}

/// The frame geometry of a section.
struct Geometry {
    width: f32,
    height: f32,
    left: f32,
    top: f32,
    bottom: f32,
    col_w: f32,
    columns: usize,
}

impl Geometry {
    fn of(s: &ResolvedSection) -> Geometry {
        let (w, h) = s.page_points();
        let (w, h) = (w.clamp(72.0, 14400.0), h.clamp(72.0, 14400.0));
        let m = s.margins;
        let left = m.left.0.clamp(0.0, w / 3.0);
        let right = m.right.0.clamp(0.0, w / 3.0);
        let top = m.top.0.clamp(0.0, h / 3.0);
        let bottom = m.bottom.0.clamp(0.0, h / 3.0);
        let columns = usize::from(s.columns.clamp(1, 4));
        let text_w = (w - left - right).max(36.0);
        let col_w = (text_w - COLUMN_GAP * (columns as f32 - 1.0)) / columns as f32;
        Geometry { width: w, height: h, left, top, bottom: h - bottom, col_w, columns }
    }

    /// The width of all columns with the gaps between them.
    fn text_width(&self) -> f32 {
        self.col_w * self.columns as f32 + COLUMN_GAP * (self.columns as f32 - 1.0)
    }
}

/// The flow of chunks into frames.
struct Flow<'l> {
    pages: &'l mut Vec<Page>,
    geo: Geometry,
    section: usize,
    column: usize,
    y: f32,
    /// Whether nothing has been placed in the current frame yet.
    fresh: bool,
    prev_after: f32,
    /// The section's footnotes that go to the foot of a frame, by number.
    notes: &'l HashMap<u32, FootNote>,
    /// The footnotes of the current frame.
    foot: Vec<u32>,
}

impl Flow<'_> {
    fn new_page(&mut self) {
        self.flush_notes();
        self.pages.push(Page {
            width: self.geo.width,
            height: self.geo.height,
            section: self.section,
            ops: Vec::new(),
            furniture: true,
        });
        self.column = 0;
        self.y = self.geo.top;
        self.fresh = true;
        self.prev_after = 0.0;
    }

    fn next_frame(&mut self) {
        if self.column + 1 < self.geo.columns {
            self.flush_notes();
            self.column += 1;
            self.y = self.geo.top;
            self.fresh = true;
            self.prev_after = 0.0;
        } else {
            self.new_page();
        }
    }

    fn x(&self) -> f32 {
        self.geo.left + self.column as f32 * (self.geo.col_w + COLUMN_GAP)
    }

    fn room(&self) -> f32 {
        self.geo.bottom - self.foot_height() - self.y
    }

    /// The height the current frame's footnotes take at its foot, with the
    /// space for the rule above them.
    fn foot_height(&self) -> f32 {
        if self.foot.is_empty() {
            return 0.0;
        }
        NOTE_RULE_SPACE + self.foot.iter().map(|n| self.notes[n].height).sum::<f32>()
    }

    /// The height an item takes in this frame: its own, and that of its
    /// footnotes at the foot.
    fn need(&self, item: &Item) -> f32 {
        let notes: f32 =
            item.notes.iter().filter_map(|n| self.notes.get(n)).map(|n| n.height).sum();
        let rule = if notes > 0.0 && self.foot.is_empty() { NOTE_RULE_SPACE } else { 0.0 };
        item.height + notes + rule
    }

    /// Draws the current frame's footnotes at its foot, under a short rule.
    fn flush_notes(&mut self) {
        if self.foot.is_empty() {
            return;
        }
        let x = self.x();
        let mut y = self.geo.bottom - self.foot_height();
        let page = self.pages.last_mut().expect("a page");
        let rule = note_rule(x, y + NOTE_RULE_SPACE / 2.0, self.geo.col_w);
        page.ops.push(Placed { op: rule, content: None });
        y += NOTE_RULE_SPACE;
        for n in self.foot.drain(..) {
            let note = &self.notes[&n];
            for it in &note.items {
                for p in &it.ops {
                    let mut p = p.clone();
                    p.op.shift(x, y);
                    page.ops.push(p);
                }
            }
            y += note.height;
        }
    }

    fn frame_height(&self) -> f32 {
        self.geo.bottom - self.geo.top
    }

    fn place(&mut self, item: &Item) {
        let (x, y) = (self.x(), self.y);
        let page = self.pages.last_mut().expect("a page");
        for p in &item.ops {
            let mut p = p.clone();
            p.op.shift(x, y);
            page.ops.push(p);
        }
        self.y += item.height;
        self.fresh = false;
        self.foot.extend(item.notes.iter().filter(|n| self.notes.contains_key(n)));
    }

    fn gap(&mut self, before: f32) {
        if !self.fresh {
            self.y += self.prev_after.max(before);
        }
    }

    fn run(&mut self, chunks: &[Chunk]) {
        let mut i = 0;
        while i < chunks.len() {
            let c = &chunks[i];
            match &c.kind {
                ChunkKind::PageBreak => {
                    if !(self.fresh && self.column == 0) {
                        self.new_page();
                    }
                }
                ChunkKind::Lines { keep_with_next } => {
                    let total: f32 = c.items.iter().map(|it| it.height).sum();
                    let gap = if self.fresh { 0.0 } else { self.prev_after.max(c.space_before) };
                    // Keep with next: this chunk and the next chunk's first two items.
                    let mut need = total;
                    if *keep_with_next && let Some(next) = chunks.get(i + 1) {
                        need += next.space_before
                            + next.items.iter().take(2).map(|it| it.height).sum::<f32>();
                    }
                    let n = c.items.len();
                    let orphan_min =
                        if n >= 2 { c.items[0].height + c.items[1].height } else { total };
                    let first_need = if *keep_with_next { need } else { orphan_min.min(need) };
                    if !self.fresh
                        && gap + first_need > self.room()
                        && first_need <= self.frame_height()
                    {
                        self.next_frame();
                    } else {
                        self.gap(c.space_before);
                    }
                    let mut placed = 0;
                    while placed < n {
                        let it = &c.items[placed];
                        if self.need(it) > self.room() && !self.fresh {
                            // Widows: leave at least two lines for the next frame.
                            let left = n - placed;
                            if left == 1 && placed >= 3 {
                                self.undo_last_line(&c.items[placed - 1]);
                                placed -= 1;
                            }
                            self.next_frame();
                            continue;
                        }
                        self.place(it);
                        placed += 1;
                    }
                    self.prev_after = c.space_after;
                }
                ChunkKind::Free => {
                    self.gap(c.space_before);
                    for it in &c.items {
                        if self.need(it) > self.room() && !self.fresh {
                            self.next_frame();
                        }
                        self.place(it);
                    }
                    self.prev_after = c.space_after;
                }
                ChunkKind::Table { header } => {
                    let lead = TABLE_LEAD.with(|l| l.borrow_mut().remove(0));
                    let head_h: f32 = header.iter().map(|it| it.height).sum();
                    let first_row = c.items.get(lead).map_or(0.0, |it| it.height);
                    let gap = if self.fresh { 0.0 } else { self.prev_after.max(c.space_before) };
                    if !self.fresh && gap + head_h + first_row > self.room() {
                        self.next_frame();
                    } else {
                        self.gap(c.space_before);
                    }
                    for (k, it) in c.items.iter().enumerate() {
                        let repeat_header = k >= lead;
                        let head_h = if repeat_header { head_h } else { 0.0 };
                        if head_h + it.height > self.frame_height() {
                            self.place_split(it, header, repeat_header);
                            continue;
                        }
                        if self.need(it) > self.room() && !self.fresh {
                            self.next_table_frame(header, repeat_header);
                        }
                        self.place(it);
                    }
                    self.prev_after = c.space_after;
                }
            }
            i += 1;
        }
    }

    /// Places a table row taller than a frame in parts, each filling a
    /// frame, below the repeated header when `repeat_header`.
    fn place_split(&mut self, row: &Item, header: &[Item], repeat_header: bool) {
        // Start on a new frame rather than with a sliver of the row.
        if !self.fresh && self.room() < self.frame_height() / 4.0 {
            self.next_table_frame(header, repeat_header);
        }
        let mut rest = row.clone();
        while rest.height > self.room() {
            // A header that fills the frame still leaves a quarter of it for the row.
            let room = self.room().max(self.frame_height() / 4.0);
            let (part, tail) = split_item(rest, room);
            self.place(&part);
            rest = tail;
            self.next_table_frame(header, repeat_header);
        }
        self.place(&rest);
    }

    /// Moves a table on to the next frame, drawing its header rows again
    /// when `repeat_header`.
    fn next_table_frame(&mut self, header: &[Item], repeat_header: bool) {
        self.next_frame();
        if repeat_header {
            for h in header {
                self.place(h);
            }
        }
    }

    /// Takes the last placed line back off the page (for widow control).
    fn undo_last_line(&mut self, item: &Item) {
        let page = self.pages.last_mut().expect("a page");
        let n = item.ops.len();
        if page.ops.len() >= n {
            page.ops.truncate(page.ops.len() - n);
            self.y -= item.height;
            for n in &item.notes {
                if let Some(at) = self.foot.iter().rposition(|f| f == n) {
                    self.foot.remove(at);
                }
            }
        }
    }
}

/// Lays out a whole document, after its title page if it has one.
pub fn layout(
    sections: &[ResolvedSection],
    title_page: Option<&TitlePage>,
    theme: Theme,
    shaper: &mut Shaper,
    images: &ImageSizes,
    progress: &mut dyn FnMut(usize),
) -> Laid {
    let mut headings = Vec::new();
    for s in sections {
        collect_headings(&s.blocks, &mut headings);
    }
    TOC_HEADINGS.with(|h| *h.borrow_mut() = headings);
    TABLE_LEAD.with(|l| l.borrow_mut().clear());
    let mut lay = Layouter::new(shaper, theme, images);
    let mut pages = Vec::new();
    if let (Some(title_page), Some(first)) = (title_page, sections.first()) {
        pages.push(lay.title_page(title_page, &Geometry::of(first)));
    }
    for (si, s) in sections.iter().enumerate() {
        let geo = Geometry::of(s);
        MAX_IMAGE_HEIGHT.with(|m| *m.borrow_mut() = (geo.bottom - geo.top - 40.0).max(20.0));
        let mut chunks = Vec::new();
        lay.blocks(&s.blocks, geo.col_w, None, &mut chunks);
        let notes = lay.notes(geo.col_w, geo.bottom - geo.top, &mut chunks);
        let mut flow = Flow {
            pages: &mut pages,
            geo,
            section: si,
            column: 0,
            y: 0.0,
            fresh: true,
            prev_after: 0.0,
            notes: &notes,
            foot: Vec::new(),
        };
        flow.new_page();
        flow.run(&chunks);
        flow.flush_notes();
        progress(pages.len());
    }
    let mut out = lay.out;
    for (pi, page) in pages.iter().enumerate() {
        for p in &page.ops {
            if let Op::Anchor { id, y } = p.op {
                out.anchors.entry(id).or_insert((pi, y));
            }
        }
    }
    out.pages = pages;
    out
}
