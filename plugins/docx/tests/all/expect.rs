//! What a reader should find in a generated .docx, derived from the spec
//! through the model (not from the writer), as JSON for `check_docx.py`.

use kiln_plugin_sdk::document::{
    Block, Document, FieldPart, Orientation, Run, Slot, split_fields, table, text,
};
use serde_json::{Value, json};

#[derive(Default)]
struct Expect {
    headings: Vec<Value>,
    paragraphs: Vec<String>,
    list_items: Vec<Value>,
    tables: Vec<Value>,
    images: Vec<Value>,
}

fn plain(runs: &[Run]) -> String {
    text::plain(runs)
}

impl Expect {
    /// Blocks at body level (python-docx's `document.paragraphs`).
    fn blocks(&mut self, blocks: &[Block], depth: Option<u32>) {
        for b in blocks {
            match b {
                Block::Heading(h) => {
                    self.headings.push(json!([h.level, plain(&h.text)]));
                    self.paragraphs.push(plain(&h.text));
                }
                Block::Paragraph(p) => self.paragraphs.push(plain(&p.text)),
                Block::Quote(inner) => self.blocks(inner, depth),
                Block::Code(c) => self.paragraphs.push(c.text.clone()),
                Block::List(l) => {
                    let level = depth.map_or(0, |d| d + 1);
                    for item in &l.items {
                        let box_ = match item.checked {
                            Some(true) => "☑ ",
                            Some(false) => "☐ ",
                            None => "",
                        };
                        let mut rest = item.blocks.as_slice();
                        match rest.first() {
                            Some(Block::Paragraph(p)) => {
                                let t = format!("{box_}{}", plain(&p.text));
                                self.list_items.push(json!([level, t]));
                                self.paragraphs.push(t);
                                rest = &rest[1..];
                            }
                            _ => self.list_items.push(json!([level, box_.trim_end()])),
                        }
                        self.blocks(rest, Some(level));
                    }
                }
                Block::Table(t) => {
                    let grid = table::layout(&t.rows);
                    let rows: Vec<Value> = grid
                        .rows
                        .iter()
                        .map(|slots| {
                            let mut cells = Vec::new();
                            for slot in slots {
                                let cell = match slot {
                                    Slot::Cell { cell, .. } | Slot::Continued { cell, .. } => *cell,
                                };
                                let text = cell_text(&cell.blocks);
                                for _ in 0..cell.colspan.max(1) {
                                    cells.push(Value::String(text.clone()));
                                }
                            }
                            Value::Array(cells)
                        })
                        .collect();
                    self.tables.push(Value::Array(rows));
                    for row in &t.rows {
                        for cell in row {
                            self.images_in(&cell.blocks);
                        }
                    }
                }
                Block::Image(i) => {
                    self.images.push(json!(i.alt.clone().unwrap_or_default()));
                    if let Some(c) = &i.caption {
                        self.paragraphs.push(c.clone());
                    }
                }
                _ => {}
            }
        }
    }

    fn images_in(&mut self, blocks: &[Block]) {
        for b in blocks {
            if let Block::Image(i) = b {
                self.images.push(json!(i.alt.clone().unwrap_or_default()));
            }
        }
    }
}

/// A cell's text as python-docx gives it: its paragraphs joined by "\n".
fn cell_text(blocks: &[Block]) -> String {
    let mut parts = Vec::new();
    for b in blocks {
        match b {
            Block::Paragraph(p) => parts.push(plain(&p.text)),
            Block::Heading(h) => parts.push(plain(&h.text)),
            Block::Code(c) => parts.push(c.text.clone()),
            Block::Image(i) => {
                parts.push(String::new());
                if let Some(c) = &i.caption {
                    parts.push(c.clone());
                }
            }
            _ => {}
        }
    }
    parts.join("\n")
}

fn literal(runs: &[Run]) -> Vec<String> {
    runs.iter()
        .flat_map(|r| split_fields(&r.text))
        .filter_map(|p| match p {
            FieldPart::Text(t) if !t.trim().is_empty() => Some(t.trim().to_owned()),
            _ => None,
        })
        .collect()
}

/// The expectation for one spec.
pub(crate) fn of(doc: &Document) -> Value {
    let mut e = Expect::default();
    let mut sections = Vec::new();
    for s in doc.resolved_sections() {
        e.blocks(&s.blocks, None);
        let (w, h) = s.page_points();
        sections.push(json!({
            "orientation": if s.orientation == Orientation::Landscape { "landscape" } else { "portrait" },
            "width_pt": w,
            "height_pt": h,
            "header": s.header.as_ref().map(|h| literal(&h.text)).unwrap_or_default(),
            "footer": s.footer.as_ref().map(|f| literal(&f.text)).unwrap_or_default(),
        }));
    }
    json!({
        "title": doc.title.clone().unwrap_or_default(),
        "author": doc.author.clone().unwrap_or_default(),
        "headings": e.headings,
        "paragraphs": e.paragraphs,
        "list_items": e.list_items,
        "tables": e.tables,
        "images": e.images,
        "sections": sections,
    })
}
