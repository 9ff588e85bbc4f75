//! Markdown (CommonMark + GFM tables, task lists, strikethrough and
//! footnotes) parsed with pulldown-cmark into the model's blocks.
//!
//! The result is in the spec's input form; [`super::normalize`] turns it
//! into the canonical form, where it equals the structured blocks a spec
//! would write for the same content. Nothing is dropped: raw HTML and math
//! are kept as text, an image inside a paragraph splits the paragraph, and
//! an image inside a heading contributes its alt text.

use std::collections::HashMap;

use pulldown_cmark::{Alignment, CodeBlockKind, Event, Options, Parser, Tag};

use super::{
    Align, Block, Cell, Code, Flag, Heading, Image, List, ListItem, Paragraph, Run, Table,
};

/// Parses Markdown into blocks (input form).
pub fn parse(text: &str) -> Vec<Block> {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_FOOTNOTES;
    let mut p = P {
        events: Parser::new_ext(text, options).collect(),
        pos: 0,
        notes: HashMap::new(),
        check: None,
    };
    let mut blocks = p.blocks();
    let notes = std::mem::take(&mut p.notes);
    for b in &mut blocks {
        fill_notes(b, &notes, 0);
    }
    blocks
}

/// Marks a footnote reference until the definitions are known.
const NOTE_MARK: &str = "\u{0}footnote:";

struct P<'a> {
    events: Vec<Event<'a>>,
    pos: usize,
    notes: HashMap<String, Vec<Block>>,
    check: Option<bool>,
}

#[derive(Clone, Default)]
struct Fmt {
    bold: bool,
    italic: bool,
    strike: bool,
    link: Option<String>,
}

enum Piece {
    Run(Run),
    Image(Image),
}

impl<'a> P<'a> {
    fn next(&mut self) -> Option<Event<'a>> {
        let e = self.events.get(self.pos).cloned();
        self.pos += 1;
        e
    }

    /// Blocks until the end of the enclosing container (consumed) or input.
    fn blocks(&mut self) -> Vec<Block> {
        let mut out = Vec::new();
        let mut pending: Vec<Piece> = Vec::new();
        while let Some(event) = self.next() {
            match event {
                Event::End(_) => break,
                Event::Start(Tag::Paragraph) => {
                    flush(&mut pending, &mut out);
                    let pieces = self.inlines(&Fmt::default());
                    pending = pieces;
                    flush(&mut pending, &mut out);
                }
                Event::Start(Tag::Heading { level, .. }) => {
                    flush(&mut pending, &mut out);
                    let pieces = self.inlines(&Fmt::default());
                    let text = pieces
                        .into_iter()
                        .map(|p| match p {
                            Piece::Run(r) => r,
                            Piece::Image(i) => Run::from(i.alt.unwrap_or_default()),
                        })
                        .collect();
                    out.push(Block::Heading(Heading {
                        text,
                        level: level as u8,
                        ..Heading::default()
                    }));
                }
                Event::Start(Tag::BlockQuote(_)) => {
                    flush(&mut pending, &mut out);
                    out.push(Block::Quote(self.blocks()));
                }
                Event::Start(Tag::CodeBlock(kind)) => {
                    flush(&mut pending, &mut out);
                    let language = match kind {
                        CodeBlockKind::Fenced(info) => info
                            .split_whitespace()
                            .next()
                            .map(str::to_owned)
                            .filter(|l| !l.is_empty()),
                        CodeBlockKind::Indented => None,
                    };
                    let mut text = self.raw_text();
                    if text.ends_with('\n') {
                        text.pop();
                    }
                    out.push(Block::Code(Code { text, language }));
                }
                Event::Start(Tag::HtmlBlock) => {
                    flush(&mut pending, &mut out);
                    let text = self.raw_text();
                    let text = text.trim_end_matches('\n');
                    if !text.is_empty() {
                        out.push(Block::Paragraph(Paragraph::from(text.to_owned())));
                    }
                }
                Event::Start(Tag::List(start)) => {
                    flush(&mut pending, &mut out);
                    let mut items = Vec::new();
                    while let Some(e) = self.next() {
                        match e {
                            Event::Start(Tag::Item) => {
                                self.check = None;
                                let blocks = self.blocks();
                                items.push(ListItem {
                                    blocks,
                                    checked: self.check.take(),
                                    ..ListItem::default()
                                });
                            }
                            _ => break,
                        }
                    }
                    out.push(Block::List(List {
                        items,
                        ordered: start.is_some(),
                        start: start.map(|s| s.min(u32::MAX as u64) as u32).filter(|s| *s != 1),
                    }));
                }
                Event::Start(Tag::FootnoteDefinition(label)) => {
                    flush(&mut pending, &mut out);
                    let blocks = self.blocks();
                    self.notes.insert(label.to_string(), blocks);
                }
                Event::Start(Tag::Table(aligns)) => {
                    flush(&mut pending, &mut out);
                    out.push(Block::Table(self.table(&aligns)));
                }
                Event::Start(Tag::MetadataBlock(_)) => {
                    self.raw_text();
                }
                Event::Rule => {
                    flush(&mut pending, &mut out);
                    out.push(Block::Rule(Flag {}));
                }
                Event::TaskListMarker(checked) => self.check = Some(checked),
                other => {
                    // Inline content outside a paragraph: a tight list item.
                    let pieces = self.inline(other, &Fmt::default());
                    pending.extend(pieces);
                }
            }
        }
        flush(&mut pending, &mut out);
        out
    }

    /// The text of a code or HTML block, up to its end (consumed).
    fn raw_text(&mut self) -> String {
        let mut text = String::new();
        while let Some(e) = self.next() {
            match e {
                Event::Text(t) | Event::Html(t) | Event::Code(t) => text.push_str(&t),
                Event::End(_) => break,
                _ => {}
            }
        }
        text
    }

    /// Inline content up to the end of the enclosing tag (consumed).
    fn inlines(&mut self, fmt: &Fmt) -> Vec<Piece> {
        let mut out = Vec::new();
        while let Some(event) = self.next() {
            if let Event::End(_) = event {
                break;
            }
            out.extend(self.inline(event, fmt));
        }
        out
    }

    /// One inline event (with its content, for a start tag).
    fn inline(&mut self, event: Event<'a>, fmt: &Fmt) -> Vec<Piece> {
        let run = |text: &str, fmt: &Fmt| {
            Piece::Run(Run {
                text: text.to_owned(),
                bold: fmt.bold,
                italic: fmt.italic,
                strike: fmt.strike,
                link: fmt.link.clone(),
                ..Run::default()
            })
        };
        match event {
            Event::Text(t) | Event::InlineHtml(t) | Event::Html(t) | Event::InlineMath(t) => {
                vec![run(&t, fmt)]
            }
            Event::DisplayMath(t) => vec![run(&t, fmt)],
            Event::Code(t) => {
                let Piece::Run(mut r) = run(&t, fmt) else {
                    return Vec::new();
                };
                r.code = true;
                vec![Piece::Run(r)]
            }
            Event::SoftBreak => vec![run(" ", fmt)],
            Event::HardBreak => vec![run("\n", fmt)],
            Event::FootnoteReference(label) => vec![Piece::Run(Run {
                footnote: Some(vec![Block::Markdown(format!("{NOTE_MARK}{label}"))]),
                ..Run::default()
            })],
            Event::TaskListMarker(checked) => {
                self.check = Some(checked);
                Vec::new()
            }
            Event::Start(Tag::Emphasis) => self.inlines(&Fmt { italic: true, ..fmt.clone() }),
            Event::Start(Tag::Strong) => self.inlines(&Fmt { bold: true, ..fmt.clone() }),
            Event::Start(Tag::Strikethrough) => self.inlines(&Fmt { strike: true, ..fmt.clone() }),
            Event::Start(Tag::Link { dest_url, .. }) => {
                self.inlines(&Fmt { link: Some(dest_url.to_string()), ..fmt.clone() })
            }
            Event::Start(Tag::Image { dest_url, title, .. }) => {
                let alt: String = self
                    .inlines(fmt)
                    .into_iter()
                    .filter_map(|p| match p {
                        Piece::Run(r) => Some(r.text),
                        Piece::Image(_) => None,
                    })
                    .collect();
                vec![Piece::Image(Image {
                    asset: dest_url.to_string(),
                    alt: Some(alt).filter(|a| !a.is_empty()),
                    caption: Some(title.to_string()).filter(|t| !t.is_empty()),
                    ..Image::default()
                })]
            }
            Event::Start(_) => self.inlines(fmt),
            Event::End(_) | Event::Rule => Vec::new(),
        }
    }

    fn table(&mut self, aligns: &[Alignment]) -> Table {
        let mut rows = Vec::new();
        while let Some(e) = self.next() {
            match e {
                Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                    rows.push(self.cells());
                }
                _ => break,
            }
        }
        let align = if aligns.iter().all(|a| *a == Alignment::None) {
            Vec::new()
        } else {
            aligns
                .iter()
                .map(|a| match a {
                    Alignment::Center => Align::Center,
                    Alignment::Right => Align::Right,
                    Alignment::None | Alignment::Left => Align::Left,
                })
                .collect()
        };
        Table { rows, header_rows: 1, align, ..Table::default() }
    }

    fn cells(&mut self) -> Vec<Cell> {
        let mut cells = Vec::new();
        while let Some(e) = self.next() {
            match e {
                Event::Start(Tag::TableCell) => {
                    let text = self
                        .inlines(&Fmt::default())
                        .into_iter()
                        .map(|p| match p {
                            Piece::Run(r) => r,
                            Piece::Image(i) => Run::from(i.alt.unwrap_or(i.asset)),
                        })
                        .collect();
                    cells.push(Cell { text, ..Cell::default() });
                }
                _ => break,
            }
        }
        cells
    }
}

/// Turns pending inline pieces into paragraphs and image blocks.
fn flush(pending: &mut Vec<Piece>, out: &mut Vec<Block>) {
    let mut runs = Vec::new();
    for piece in pending.drain(..) {
        match piece {
            Piece::Run(r) => runs.push(r),
            Piece::Image(i) => {
                if has_text(&runs) {
                    out.push(Block::Paragraph(Paragraph::runs(std::mem::take(&mut runs))));
                }
                runs.clear();
                out.push(Block::Image(i));
            }
        }
    }
    if has_text(&runs) {
        out.push(Block::Paragraph(Paragraph::runs(runs)));
    }
}

fn has_text(runs: &[Run]) -> bool {
    runs.iter().any(|r| !r.text.trim().is_empty() || r.footnote.is_some())
}

/// Replaces footnote marks with their definitions' blocks.
fn fill_notes(block: &mut Block, notes: &HashMap<String, Vec<Block>>, depth: usize) {
    // Footnotes may cite footnotes, even themselves; stop after a few levels.
    if depth > 3 {
        return;
    }
    let fill_runs = |runs: &mut Vec<Run>| {
        for run in runs.iter_mut() {
            let label = match run.footnote.as_deref() {
                Some([Block::Markdown(mark)]) => mark.strip_prefix(NOTE_MARK).map(str::to_owned),
                _ => None,
            };
            if let Some(label) = label {
                match notes.get(&label) {
                    Some(content) => {
                        let mut content = content.clone();
                        for b in &mut content {
                            fill_notes(b, notes, depth + 1);
                        }
                        run.footnote = Some(content);
                    }
                    None => {
                        run.footnote = None;
                        run.text = format!("[^{label}]");
                    }
                }
            }
        }
    };
    match block {
        Block::Paragraph(p) => fill_runs(&mut p.text),
        Block::Heading(h) => fill_runs(&mut h.text),
        Block::Quote(inner) => inner.iter_mut().for_each(|b| fill_notes(b, notes, depth)),
        Block::List(l) => {
            for item in &mut l.items {
                item.blocks.iter_mut().for_each(|b| fill_notes(b, notes, depth));
            }
        }
        Block::Table(t) => {
            for row in &mut t.rows {
                for cell in row {
                    fill_runs(&mut cell.text);
                }
            }
        }
        _ => {}
    }
}
