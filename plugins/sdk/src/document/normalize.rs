//! The canonical form of blocks, which renderers consume and which makes a
//! Markdown block equal to the structured blocks it stands for.
//!
//! In canonical form:
//! - `markdown` blocks are replaced by the blocks they parse to;
//! - `bullets` and `numbered` are `list` blocks;
//! - runs: adjacent runs with the same formatting and no footnote are
//!   merged, empty runs without a footnote dropped, footnotes normalised;
//! - a list item's `text` is its first paragraph and its `items` a nested
//!   list of the parent's kind, both moved into `blocks`;
//! - a table's `header` is its first row (counted in `header_rows`), and a
//!   cell's `text` is its first paragraph in `blocks`.

use super::{Block, Cell, Heading, List, ListItem, Paragraph, Run, Table, markdown};

/// Normalises a sequence of blocks (see the module documentation).
pub fn blocks(input: &[Block]) -> Vec<Block> {
    let mut out = Vec::with_capacity(input.len());
    for block in input {
        push(block, &mut out);
    }
    out
}

fn push(block: &Block, out: &mut Vec<Block>) {
    match block {
        Block::Markdown(text) => out.extend(blocks(&markdown::parse(text))),
        Block::Heading(h) => out.push(Block::Heading(Heading { text: runs(&h.text), ..h.clone() })),
        Block::Paragraph(p) => out.push(Block::Paragraph(paragraph(p))),
        Block::List(l) => out.push(Block::List(list(l))),
        Block::Bullets(items) => {
            out.push(Block::List(list(&List { items: items.clone(), ordered: false, start: None })))
        }
        Block::Numbered(items) => {
            out.push(Block::List(list(&List { items: items.clone(), ordered: true, start: None })))
        }
        Block::Table(t) => out.push(Block::Table(table(t))),
        Block::Quote(inner) => out.push(Block::Quote(blocks(inner))),
        other => out.push(other.clone()),
    }
}

fn paragraph(p: &Paragraph) -> Paragraph {
    Paragraph { text: runs(&p.text), ..p.clone() }
}

/// Normalises runs: merges neighbours of the same format, drops empty ones.
pub fn runs(input: &[Run]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::with_capacity(input.len());
    for run in input {
        if run.text.is_empty() && run.footnote.is_none() {
            continue;
        }
        let mut run = run.clone();
        if let Some(note) = &run.footnote {
            run.footnote = Some(blocks(note));
        }
        match out.last_mut() {
            Some(last) if last.footnote.is_none() && last.same_format(&run) => {
                last.text.push_str(&run.text);
                last.footnote = run.footnote;
            }
            _ => out.push(run),
        }
    }
    out
}

fn list(l: &List) -> List {
    List {
        items: l.items.iter().map(|i| item(i, l.ordered)).collect(),
        ordered: l.ordered,
        start: l.start.filter(|s| *s != 1),
    }
}

fn item(i: &ListItem, ordered: bool) -> ListItem {
    let mut content = Vec::new();
    if !i.text.is_empty() {
        content.push(Block::Paragraph(Paragraph::runs(i.text.clone())));
    }
    content.extend(i.blocks.iter().cloned());
    if !i.items.is_empty() {
        content.push(Block::List(List { items: i.items.clone(), ordered, start: None }));
    }
    ListItem { text: Vec::new(), blocks: blocks(&content), items: Vec::new(), checked: i.checked }
}

fn table(t: &Table) -> Table {
    let mut rows = Vec::with_capacity(t.rows.len() + 1);
    let mut header_rows = t.header_rows;
    if !t.header.is_empty() {
        rows.push(t.header.iter().map(cell).collect());
        header_rows += 1;
    }
    rows.extend(t.rows.iter().map(|r| r.iter().map(cell).collect::<Vec<_>>()));
    Table { header: Vec::new(), rows, header_rows, ..t.clone() }
}

fn cell(c: &Cell) -> Cell {
    let mut content = Vec::new();
    if !c.text.is_empty() {
        content.push(Block::Paragraph(Paragraph::runs(c.text.clone())));
    }
    content.extend(c.blocks.iter().cloned());
    Cell {
        text: Vec::new(),
        blocks: blocks(&content),
        colspan: c.colspan.max(1),
        rowspan: c.rowspan.max(1),
        ..c.clone()
    }
}
