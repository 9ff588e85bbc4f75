//! Checks the types cannot make: ranges, table shapes, asset names. Every
//! violation points into the spec as written; problems inside a Markdown
//! block point at that block and say where in the Markdown they are.

use super::table::{self, GridProblem};
use super::{Block, Cell, Document, HeaderFooter, Image, List, ListItem, PageSetup, Run, Table};
use crate::Violation;

/// The deepest heading level.
pub const MAX_HEADING_LEVEL: u8 = 6;

/// Every problem the types cannot catch, in document order.
pub fn validate(doc: &Document) -> Vec<Violation> {
    let mut v = Checker::default();
    if let Some(name) = &doc.file_name
        && (name.trim().is_empty()
            || name.contains(['/', '\\'])
            || name.chars().any(char::is_control))
    {
        v.push(
                "/file_name",
                format!("expected a plain file name like \"report.docx\" (no folders, not empty), found {name:?}"),
            );
    }
    if let Some(created) = &doc.created
        && !is_iso_date(created)
    {
        v.push(
                "/created",
                format!("expected an ISO 8601 date or time like \"2026-03-31\" or \"2026-03-31T09:00:00Z\", found {created:?}"),
            );
    }
    if let Some(size) = doc.theme.font_size {
        v.size("/theme/font_size", size);
    }
    v.page("/page", &doc.page);
    v.blocks("/blocks", &doc.blocks);
    for (i, s) in doc.sections.iter().enumerate() {
        v.page(&format!("/sections/{i}/page"), &s.page);
        v.blocks(&format!("/sections/{i}/blocks"), &s.blocks);
    }
    v.out
}

/// Every image asset the document names, with the pointer of its block
/// (images inside Markdown point at the Markdown block).
pub fn asset_names(doc: &Document) -> Vec<(String, String)> {
    let mut out = Vec::new();
    collect_assets("/blocks", &doc.blocks, &mut out);
    for (i, s) in doc.sections.iter().enumerate() {
        collect_assets(&format!("/sections/{i}/blocks"), &s.blocks, &mut out);
    }
    out
}

/// Violations for images whose asset is not among `available` (the job's
/// asset names), suggesting the closest name.
pub fn check_assets(doc: &Document, available: &[&str]) -> Vec<Violation> {
    missing_assets(asset_names(doc), available)
}

/// Violations for the `(pointer, asset name)` pairs whose asset is not
/// among `available` (the job's asset names), suggesting the closest name.
pub fn missing_assets(
    wanted: impl IntoIterator<Item = (String, String)>,
    available: &[&str],
) -> Vec<Violation> {
    wanted
        .into_iter()
        .filter(|(_, name)| !available.contains(&name.as_str()))
        .map(|(pointer, name)| {
            let hint = match crate::suggest::closest(&name, available.iter().copied()) {
                Some(close) => format!("; did you mean {close:?}?"),
                None if available.is_empty() => "; the job has no assets: upload the file with the job".into(),
                None => format!("; the job's assets are: {}", available.join(", ")),
            };
            Violation::new(pointer, format!("expected the name of an input asset, found {name:?}, which the job does not have{hint}"))
        })
        .collect()
}

fn collect_assets(at: &str, blocks: &[Block], out: &mut Vec<(String, String)>) {
    for (i, b) in blocks.iter().enumerate() {
        let here = format!("{at}/{i}");
        match b {
            Block::Image(img) => out.push((format!("{here}/image/asset"), img.asset.clone())),
            Block::Markdown(text) => {
                let mut inner = Vec::new();
                collect_assets("", &super::markdown::parse(text), &mut inner);
                out.extend(inner.into_iter().map(|(_, name)| (format!("{here}/markdown"), name)));
            }
            Block::Quote(inner) => collect_assets(&format!("{here}/quote"), inner, out),
            Block::List(l) => collect_item_assets(&format!("{here}/list/items"), &l.items, out),
            Block::Bullets(items) => collect_item_assets(&format!("{here}/bullets"), items, out),
            Block::Numbered(items) => collect_item_assets(&format!("{here}/numbered"), items, out),
            Block::Table(t) => {
                for (c, cell) in t.header.iter().enumerate() {
                    collect_assets(&format!("{here}/table/header/{c}/blocks"), &cell.blocks, out);
                }
                for (r, row) in t.rows.iter().enumerate() {
                    for (c, cell) in row.iter().enumerate() {
                        collect_assets(
                            &format!("{here}/table/rows/{r}/{c}/blocks"),
                            &cell.blocks,
                            out,
                        );
                    }
                }
            }
            _ => {}
        }
    }
}

fn collect_item_assets(at: &str, items: &[ListItem], out: &mut Vec<(String, String)>) {
    for (i, item) in items.iter().enumerate() {
        collect_assets(&format!("{at}/{i}/blocks"), &item.blocks, out);
        collect_item_assets(&format!("{at}/{i}/items"), &item.items, out);
    }
}

/// "2026-03-31", "2026-03-31T09:00", "2026-03-31T09:00:00Z", "...+02:00".
fn is_iso_date(text: &str) -> bool {
    let b = text.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    let date = b.len() >= 10
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10);
    if !date {
        return false;
    }
    let month: u32 = text[5..7].parse().unwrap_or(0);
    let day: u32 = text[8..10].parse().unwrap_or(0);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return false;
    }
    let rest = &text[10..];
    if rest.is_empty() {
        return true;
    }
    let r = rest.as_bytes();
    if r[0] != b'T' && r[0] != b' ' || r.len() < 6 {
        return false;
    }
    let t = &rest[1..];
    let tb = t.as_bytes();
    let ok_hm = tb.len() >= 5
        && tb[..2].iter().all(u8::is_ascii_digit)
        && tb[2] == b':'
        && tb[3..5].iter().all(u8::is_ascii_digit);
    if !ok_hm {
        return false;
    }
    let mut tail = &t[5..];
    if let Some(s) = tail.strip_prefix(':') {
        let n = s.bytes().take_while(|c| c.is_ascii_digit() || *c == b'.').count();
        if n < 2 {
            return false;
        }
        tail = &s[n..];
    }
    tail.is_empty()
        || tail == "Z"
        || (tail.len() == 6
            && (tail.starts_with('+') || tail.starts_with('-'))
            && tail.as_bytes()[3] == b':')
}

#[derive(Default)]
struct Checker {
    out: Vec<Violation>,
    /// Set inside a Markdown block: every pointer becomes the block's, and
    /// messages say they are about the Markdown.
    markdown: Option<String>,
}

impl Checker {
    fn push(&mut self, pointer: &str, message: String) {
        match &self.markdown {
            Some(at) => {
                self.out.push(Violation::new(at.clone(), format!("in the Markdown: {message}")))
            }
            None => self.out.push(Violation::new(pointer, message)),
        }
    }

    fn size(&mut self, at: &str, size: f32) {
        if !(size.is_finite() && (1.0..=400.0).contains(&size)) {
            self.push(at, format!("expected a font size in points from 1 to 400, found {size}"));
        }
    }

    fn page(&mut self, at: &str, page: &PageSetup) {
        if let Some(columns) = page.columns
            && !(1..=4).contains(&columns)
        {
            self.push(
                &format!("{at}/columns"),
                format!("expected 1 to 4 columns, found {columns}"),
            );
        }
        if let Some(super::PageSize::Custom(c)) = page.size {
            for (name, len) in [("width", c.width), ("height", c.height)] {
                if !(72.0..=1584.0).contains(&len.0) {
                    self.push(
                        &format!("{at}/size/custom/{name}"),
                        format!("expected a page {name} from 1in (72pt) to 22in (1584pt), found {:.1}pt", len.0),
                    );
                }
            }
        }
        if let Some(m) = page.margins {
            for (name, len) in
                [("top", m.top), ("bottom", m.bottom), ("left", m.left), ("right", m.right)]
            {
                if !(0.0..=720.0).contains(&len.0) {
                    self.push(
                        &format!("{at}/margins/{name}"),
                        format!("expected a margin from 0 to 10in (720pt), found {:.1}pt", len.0),
                    );
                }
            }
            let width = page.size.unwrap_or(super::PageSize::A4).points().0;
            if m.left.0 + m.right.0 > width - 72.0 {
                self.push(
                    &format!("{at}/margins"),
                    format!("the left and right margins ({:.1}pt together) leave less than 1in of text width on a {width:.0}pt-wide page", m.left.0 + m.right.0),
                );
            }
        }
        for (name, hf) in [("header", &page.header), ("footer", &page.footer)] {
            if let Some(HeaderFooter { text, .. }) = hf {
                self.runs(&format!("{at}/{name}/text"), text);
            }
        }
    }

    fn blocks(&mut self, at: &str, blocks: &[Block]) {
        for (i, b) in blocks.iter().enumerate() {
            self.block(&format!("{at}/{i}"), b);
        }
    }

    fn block(&mut self, at: &str, block: &Block) {
        match block {
            Block::Heading(h) => {
                if !(1..=MAX_HEADING_LEVEL).contains(&h.level) {
                    self.push(
                        &format!("{at}/heading/level"),
                        format!(
                            "expected a heading level from 1 to {MAX_HEADING_LEVEL}, found {}",
                            h.level
                        ),
                    );
                }
                self.runs(&format!("{at}/heading/text"), &h.text);
            }
            Block::Paragraph(p) => self.runs(&format!("{at}/paragraph/text"), &p.text),
            Block::List(l) => self.list(&format!("{at}/list"), l),
            Block::Bullets(items) => self.items(&format!("{at}/bullets"), items),
            Block::Numbered(items) => self.items(&format!("{at}/numbered"), items),
            Block::Table(t) => self.table(&format!("{at}/table"), t),
            Block::Image(img) => self.image(&format!("{at}/image"), img),
            Block::Quote(inner) => self.blocks(&format!("{at}/quote"), inner),
            Block::Toc(toc) => {
                if !(1..=MAX_HEADING_LEVEL).contains(&toc.levels) {
                    self.push(
                        &format!("{at}/toc/levels"),
                        format!(
                            "expected the deepest level listed, 1 to {MAX_HEADING_LEVEL}, found {}",
                            toc.levels
                        ),
                    );
                }
            }
            Block::Markdown(text) => {
                if self.markdown.is_some() {
                    return;
                }
                let blocks = super::markdown::parse(text);
                self.markdown = Some(format!("{at}/markdown"));
                self.blocks("", &blocks);
                self.markdown = None;
            }
            Block::Code(_) | Block::Rule(_) | Block::PageBreak(_) => {}
        }
    }

    fn runs(&mut self, at: &str, runs: &[Run]) {
        for (i, r) in runs.iter().enumerate() {
            let here = format!("{at}/{i}");
            if let Some(size) = r.size {
                self.size(&format!("{here}/size"), size);
            }
            if r.superscript && r.subscript {
                self.push(
                    &format!("{here}/subscript"),
                    "expected superscript or subscript, found both set".into(),
                );
            }
            if let Some(link) = &r.link
                && link.trim().is_empty()
            {
                self.push(
                    &format!("{here}/link"),
                    "expected a URL like \"https://example.com\", found an empty string".into(),
                );
            }
            if let Some(note) = &r.footnote {
                self.blocks(&format!("{here}/footnote"), note);
            }
        }
    }

    fn list(&mut self, at: &str, l: &List) {
        self.items(&format!("{at}/items"), &l.items);
    }

    fn items(&mut self, at: &str, items: &[ListItem]) {
        for (i, item) in items.iter().enumerate() {
            let here = format!("{at}/{i}");
            self.runs(&format!("{here}/text"), &item.text);
            self.blocks(&format!("{here}/blocks"), &item.blocks);
            self.items(&format!("{here}/items"), &item.items);
        }
    }

    fn image(&mut self, at: &str, img: &Image) {
        if img.asset.trim().is_empty() {
            self.push(
                &format!("{at}/asset"),
                "expected the name of an input asset like \"chart.png\", found an empty string"
                    .into(),
            );
        }
        for (name, len) in [("width", img.width), ("height", img.height)] {
            if let Some(len) = len
                && !(len.0 > 0.0 && len.0 <= 1584.0)
            {
                self.push(
                    &format!("{at}/{name}"),
                    format!(
                        "expected an image {name} above 0 and at most 22in (1584pt), found {:.1}pt",
                        len.0
                    ),
                );
            }
        }
    }

    fn table(&mut self, at: &str, t: &Table) {
        // The pointer of the spec row behind grid row `r`.
        let has_header = !t.header.is_empty();
        let row_at = |r: usize| {
            if has_header {
                if r == 0 { format!("{at}/header") } else { format!("{at}/rows/{}", r - 1) }
            } else {
                format!("{at}/rows/{r}")
            }
        };
        let mut rows: Vec<Vec<Cell>> = Vec::with_capacity(t.rows.len() + 1);
        if has_header {
            rows.push(t.header.clone());
        }
        rows.extend(t.rows.iter().cloned());
        if rows.is_empty() {
            self.push(
                &format!("{at}/rows"),
                "expected at least one row (or a header), found none".into(),
            );
            return;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let here = format!("{}/{c}", row_at(r));
                if cell.colspan == 0 {
                    self.push(
                        &format!("{here}/colspan"),
                        "expected a colspan of 1 or more, found 0".into(),
                    );
                }
                if cell.rowspan == 0 {
                    self.push(
                        &format!("{here}/rowspan"),
                        "expected a rowspan of 1 or more, found 0".into(),
                    );
                }
                self.runs(&format!("{here}/text"), &cell.text);
                self.blocks(&format!("{here}/blocks"), &cell.blocks);
            }
        }
        let grid = table::layout(&rows);
        for problem in &grid.problems {
            match *problem {
                GridProblem::Width { row, found, expected, held } => {
                    let held = if held > 0 {
                        format!(", {held} of them held by rowspans from rows above")
                    } else {
                        String::new()
                    };
                    self.push(
                        &row_at(row),
                        format!("expected the row to cover {expected} columns like the first row (counting colspans), found {found}{held}"),
                    );
                }
                GridProblem::Overlap { row, index, column, other_row } => self.push(
                    &format!("{}/{index}", row_at(row)),
                    format!("the cell overlaps, at column {}, the cell that spans down from {} (rowspan); leave that position out of this row", column + 1, row_at(other_row)),
                ),
                GridProblem::RowspanTooLong { row, index, rowspan, available } => self.push(
                    &format!("{}/{index}/rowspan", row_at(row)),
                    format!("expected a rowspan of at most {available} (the rows from here to the end of the table), found {rowspan}"),
                ),
            }
        }
        if !t.widths.is_empty() {
            if t.widths.len() != grid.columns {
                self.push(
                    &format!("{at}/widths"),
                    format!(
                        "expected {} widths (one per column), found {}",
                        grid.columns,
                        t.widths.len()
                    ),
                );
            }
            for (i, w) in t.widths.iter().enumerate() {
                if !(w.is_finite() && *w > 0.0) {
                    self.push(
                        &format!("{at}/widths/{i}"),
                        format!("expected a relative width above 0, found {w}"),
                    );
                }
            }
        }
        if t.align.len() > grid.columns {
            self.push(
                &format!("{at}/align"),
                format!(
                    "expected at most {} alignments (one per column), found {}",
                    grid.columns,
                    t.align.len()
                ),
            );
        }
        let body = rows.len() - usize::from(has_header);
        if t.header_rows as usize > body {
            self.push(
                &format!("{at}/header_rows"),
                format!(
                    "expected at most {body} header rows (the number of rows), found {}",
                    t.header_rows
                ),
            );
        }
    }
}
