//! Estimated page numbers for the table of contents.
//!
//! A TOC field carries its entries as a cached result. Word recomputes it
//! when the file opens (`updateFields`), but LibreOffice and most viewers
//! show the cache as it is, so it holds page numbers from a rough layout:
//! line counts from an average character width, the styles' sizes and
//! spacing, rows of tables, image heights, page breaks and section starts.
//! It is usually right or one page off on long documents.

use kiln_plugin_sdk::document::{Block, ResolvedSection, Run, Theme, text};

struct Pager<'a> {
    theme: &'a Theme,
    /// Usable height of a page (points) and the width of a text column.
    page_height: f32,
    width: f32,
    columns: f32,
    used: f32,
    page: u32,
    headings: Vec<u32>,
}

/// The average advance of a character of `size` points.
fn char_width(c: char, size: f32) -> f32 {
    if text::is_cjk_char(c) { size } else { size * 0.5 }
}

fn lines(runs: &[Run], size: f32, width: f32) -> f32 {
    let mut lines = 1.0f32;
    let mut x = 0.0f32;
    for run in runs {
        let s = run.size.unwrap_or(size);
        for c in run.text.chars() {
            if c == '\n' {
                lines += 1.0;
                x = 0.0;
                continue;
            }
            x += char_width(c, s);
            if x > width {
                lines += 1.0;
                x = char_width(c, s);
            }
        }
    }
    lines
}

impl Pager<'_> {
    fn add(&mut self, height: f32) {
        // Columns share a page: a page holds `columns` times the height.
        if self.used + height > self.page_height * self.columns && self.used > 0.0 {
            self.page += 1;
            self.used = 0.0;
        }
        self.used += height;
    }

    fn new_page(&mut self) {
        if self.used > 0.0 {
            self.page += 1;
            self.used = 0.0;
        }
    }

    fn line_height(&self, size: f32) -> f32 {
        size * 1.2 * 1.1
    }

    fn blocks(&mut self, blocks: &[Block], width: f32, top: bool) {
        let size = self.theme.font_size();
        for block in blocks {
            match block {
                Block::Heading(h) => {
                    let s = self.theme.heading_size(h.level);
                    let before =
                        [18.0, 14.0, 12.0, 10.0, 8.0, 8.0][h.level.clamp(1, 6) as usize - 1];
                    // Kept with the next paragraph: move on if little room is left.
                    let needed = before + self.line_height(s) * lines(&h.text, s, width) + 4.0;
                    if self.used + needed + 3.0 * self.line_height(size)
                        > self.page_height * self.columns
                    {
                        self.new_page();
                    }
                    self.add(needed);
                    if top {
                        self.headings.push(self.page);
                    }
                }
                Block::Paragraph(p) => {
                    let h = self.line_height(size) * lines(&p.text, size, width) + 6.0;
                    self.add(h);
                }
                Block::List(l) => {
                    for item in &l.items {
                        self.blocks(&item.blocks, width - 36.0, false);
                    }
                }
                Block::Quote(inner) => self.blocks(inner, width - 57.0, false),
                Block::Code(c) => {
                    let n = c.text.lines().count().max(1) as f32;
                    self.add(n * size * 0.9 * 1.2 + 18.0);
                }
                Block::Table(t) => {
                    let columns = t
                        .rows
                        .first()
                        .map_or(1, |r| r.iter().map(|c| c.colspan.max(1)).sum::<u32>())
                        .max(1);
                    let cell_width = (width / columns as f32 - 10.0).max(20.0);
                    for row in &t.rows {
                        let tallest = row
                            .iter()
                            .map(|cell| {
                                cell.blocks
                                    .iter()
                                    .map(|b| match b {
                                        Block::Paragraph(p) => lines(
                                            &p.text,
                                            size,
                                            cell_width * cell.colspan.max(1) as f32,
                                        ),
                                        _ => 1.0,
                                    })
                                    .sum::<f32>()
                                    .max(1.0)
                            })
                            .fold(1.0f32, f32::max);
                        self.add(tallest * size * 1.2 + 4.0);
                    }
                    self.add(size);
                }
                Block::Image(i) => {
                    let h = i.height.map_or(150.0, |h| h.0)
                        + if i.caption.is_some() { 24.0 } else { 12.0 };
                    self.add(h);
                }
                Block::Rule(_) => self.add(10.0),
                Block::PageBreak(_) => self.new_page(),
                Block::Toc(toc) => {
                    self.add(
                        self.line_height(self.theme.heading_size(1))
                            + 18.0 * f32::from(!toc.title.is_empty()),
                    );
                }
                Block::Bullets(_) | Block::Numbered(_) | Block::Markdown(_) => {}
            }
        }
    }
}

/// The estimated page of every top-level heading, in document order.
pub(crate) fn heading_pages(theme: &Theme, sections: &[ResolvedSection]) -> Vec<u32> {
    let mut pager = Pager {
        theme,
        page_height: 0.0,
        width: 0.0,
        columns: 1.0,
        used: 0.0,
        page: 1,
        headings: Vec::new(),
    };
    for (i, s) in sections.iter().enumerate() {
        if i > 0 {
            pager.new_page();
        }
        let (_, h) = s.page_points();
        pager.page_height = (h - s.margins.top.0 - s.margins.bottom.0).max(72.0);
        pager.columns = f32::from(s.columns.max(1));
        pager.width = (s.text_width() - 36.0 * (pager.columns - 1.0)) / pager.columns;
        let width = pager.width;
        pager.blocks(&s.blocks, width, true);
    }
    pager.headings
}
