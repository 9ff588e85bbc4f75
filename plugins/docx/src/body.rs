//! Blocks and runs as WordprocessingML (`word/document.xml` and the
//! footnote, header and footer parts).
//!
//! A [`Body`] renders normalised blocks into an XML string; what the blocks
//! refer to (hyperlink targets, images, footnotes, list instances) is
//! collected on the way and written as their own parts afterwards.

use std::fmt::Write as _;

use kiln_plugin_sdk::document::{
    Align, Block, Borders, Cell, Code, Direction, FieldPart, Heading, Image, List, Paragraph, Run,
    Slot, Table, Theme, Toc, VAlign, split_fields, table, text,
};
use kiln_plugin_sdk::ooxml::escape;

use crate::media::Media;
use crate::numbering::{ListKind, Numbering};

/// A heading as the table of contents lists it.
#[derive(Clone, Debug)]
pub(crate) struct TocEntry {
    pub(crate) level: u8,
    pub(crate) text: String,
    /// Its estimated page, shown until the field is updated.
    pub(crate) page: u32,
}

/// Paragraph-level context a block is rendered in.
#[derive(Clone, Copy, Default)]
struct Ctx<'a> {
    /// A paragraph style for plain paragraphs (quotes).
    style: Option<&'a str>,
    /// Alignment for paragraphs that set none (table columns).
    align: Option<Align>,
    /// Bold runs (header rows).
    bold: bool,
    /// Left indent in twips for paragraphs (the text of list items).
    indent: Option<i32>,
    /// The list a block sits in: (kind, numId, depth).
    list: Option<(ListKind, u32, u32)>,
    /// Inside a quote, list, table or footnote: headings there are not
    /// listed in the TOC.
    nested: bool,
}

/// Renders blocks, collecting what they refer to.
pub(crate) struct Body<'a> {
    pub(crate) theme: &'a Theme,
    pub(crate) media: &'a Media,
    pub(crate) numbering: Numbering,
    /// External hyperlink targets, in order; relationship `rIdL{n+1}`.
    pub(crate) links: Vec<String>,
    /// Footnote bodies (`<w:footnote>` elements), ids from 1.
    pub(crate) footnotes: Vec<String>,
    /// The headings the TOC lists, in document order.
    pub(crate) toc: Vec<TocEntry>,
    /// Headings written so far (their bookmarks are `_Toc{n}`).
    headings: usize,
    /// Drawing ids used so far.
    drawings: u32,
    /// Text width in twips of the section being written.
    pub(crate) text_width: i32,
    /// What was adjusted on the way, for the job's log.
    pub(crate) notes: Vec<String>,
    /// Whether the body is inside a footnote (footnotes in footnotes are
    /// written inline as text).
    in_footnote: bool,
}

impl<'a> Body<'a> {
    pub(crate) fn new(theme: &'a Theme, media: &'a Media, toc: Vec<TocEntry>) -> Self {
        Body {
            theme,
            media,
            numbering: Numbering::default(),
            links: Vec::new(),
            footnotes: Vec::new(),
            toc,
            headings: 0,
            drawings: 0,
            text_width: 9026,
            notes: Vec::new(),
            in_footnote: false,
        }
    }

    /// Appends blocks to `out`.
    pub(crate) fn blocks(&mut self, blocks: &[Block], out: &mut String) {
        self.blocks_in(blocks, Ctx::default(), out);
    }

    fn blocks_in(&mut self, blocks: &[Block], ctx: Ctx<'_>, out: &mut String) {
        for block in blocks {
            self.block(block, ctx, out);
        }
    }

    fn block(&mut self, block: &Block, ctx: Ctx<'_>, out: &mut String) {
        match block {
            Block::Heading(h) => self.heading(h, !ctx.nested, out),
            Block::Paragraph(p) => self.paragraph(p, ctx, out),
            Block::List(l) => self.list(l, ctx, out),
            Block::Table(t) => self.table(t, out),
            Block::Image(i) => self.image(i, ctx, out),
            Block::Quote(inner) => {
                let quote = Ctx { style: Some("Quote"), nested: true, ..ctx };
                self.blocks_in(inner, quote, out);
            }
            Block::Code(c) => self.code(c, ctx, out),
            Block::Rule(_) => {
                let _ = write!(
                    out,
                    r#"<w:p><w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="1" w:color="{}"/></w:pBdr></w:pPr></w:p>"#,
                    self.theme.accent_color().hex()
                );
            }
            Block::PageBreak(_) => out.push_str(r#"<w:p><w:r><w:br w:type="page"/></w:r></w:p>"#),
            Block::Toc(t) => self.toc(t, out),
            // Normalised blocks have none of these; render them anyway.
            Block::Bullets(_) | Block::Numbered(_) | Block::Markdown(_) => {
                let normal =
                    kiln_plugin_sdk::document::normalize::blocks(std::slice::from_ref(block));
                self.blocks_in(&normal, ctx, out);
            }
        }
    }

    fn heading(&mut self, h: &Heading, listed: bool, out: &mut String) {
        let level = h.level.clamp(1, 6);
        let dir = text::direction(h.direction, &h.text);
        out.push_str("<w:p><w:pPr>");
        let _ = write!(out, r#"<w:pStyle w:val="Heading{level}"/>"#);
        para_tail(out, dir, h.align, None);
        out.push_str("</w:pPr>");
        if listed {
            let id = self.headings;
            self.headings += 1;
            let _ = write!(out, r#"<w:bookmarkStart w:id="{id}" w:name="_Toc{id:06}"/>"#);
            self.runs(&h.text, false, out);
            let _ = write!(out, r#"<w:bookmarkEnd w:id="{id}"/>"#);
        } else {
            self.runs(&h.text, false, out);
        }
        out.push_str("</w:p>");
    }

    fn paragraph(&mut self, p: &Paragraph, ctx: Ctx<'_>, out: &mut String) {
        let dir = text::direction(p.direction, &p.text);
        out.push_str("<w:p><w:pPr>");
        if let Some(style) = ctx.style {
            let _ = write!(out, r#"<w:pStyle w:val="{style}"/>"#);
        }
        para_tail(out, dir, p.align.or(ctx.align), ctx.indent);
        out.push_str("</w:pPr>");
        self.runs(&p.text, ctx.bold, out);
        out.push_str("</w:p>");
    }

    /// The runs of a paragraph.
    fn runs(&mut self, runs: &[Run], bold: bool, out: &mut String) {
        for run in runs {
            match &run.link {
                Some(link) if !link.is_empty() => {
                    if let Some(anchor) = link.strip_prefix('#') {
                        let _ = write!(out, r#"<w:hyperlink w:anchor="{}">"#, escape(anchor));
                    } else {
                        let id = match self.links.iter().position(|l| l == link) {
                            Some(i) => i + 1,
                            None => {
                                self.links.push(link.clone());
                                self.links.len()
                            }
                        };
                        let _ = write!(out, r#"<w:hyperlink r:id="rIdL{id}" w:history="1">"#);
                    }
                    self.run(run, bold, true, out);
                    out.push_str("</w:hyperlink>");
                }
                _ => self.run(run, bold, false, out),
            }
            if let Some(note) = &run.footnote {
                self.footnote(note, out);
            }
        }
    }

    fn run(&mut self, run: &Run, bold: bool, link: bool, out: &mut String) {
        if run.text.is_empty() {
            return;
        }
        let rpr = run_properties(self.theme, run, bold, link);
        write_text(out, &rpr, &run.text);
    }

    fn footnote(&mut self, note: &[Block], out: &mut String) {
        if self.in_footnote {
            // A footnote inside a footnote: Word has none; keep its text.
            let text: String = note.iter().map(block_text).collect::<Vec<_>>().join(" ");
            self.notes
                .push(format!("a footnote inside a footnote was written inline as text: {text:?}"));
            write_text(out, "", &format!(" ({text})"));
            return;
        }
        self.in_footnote = true;
        let id = self.footnotes.len() + 1;
        let mut body = String::new();
        let _ = write!(body, r#"<w:footnote w:id="{id}">"#);
        let mut inner = String::new();
        self.blocks_in(
            note,
            Ctx { style: Some("FootnoteText"), nested: true, ..Ctx::default() },
            &mut inner,
        );
        // The footnote mark goes at the start of its first paragraph.
        let mark = r#"<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteRef/></w:r><w:r><w:t xml:space="preserve"> </w:t></w:r>"#;
        match inner.find("</w:pPr>") {
            Some(at) if inner.starts_with("<w:p>") => {
                inner.insert_str(at + "</w:pPr>".len(), mark);
            }
            _ => {
                inner.insert_str(
                    0,
                    &format!(r#"<w:p><w:pPr><w:pStyle w:val="FootnoteText"/></w:pPr>{mark}</w:p>"#),
                );
            }
        }
        body.push_str(&inner);
        body.push_str("</w:footnote>");
        self.footnotes.push(body);
        self.in_footnote = false;
        let _ = write!(
            out,
            r#"<w:r><w:rPr><w:rStyle w:val="FootnoteReference"/></w:rPr><w:footnoteReference w:id="{id}"/></w:r>"#
        );
    }

    fn list(&mut self, l: &List, ctx: Ctx<'_>, out: &mut String) {
        let kind = if l.ordered { ListKind::Numbered } else { ListKind::Bullet };
        let depth = ctx.list.map_or(0, |(_, _, d)| d + 1).min(8);
        // A nested list of the same kind continues its parent's numbering
        // (1.1 under 1); otherwise it is a new list.
        let num = match ctx.list {
            Some((k, num, _)) if k == kind && l.start.is_none() => num,
            _ => self.numbering.instance(kind, depth, l.start.unwrap_or(1)),
        };
        let indent = crate::numbering::indent(kind, depth).0;
        for item in &l.items {
            let mut first = true;
            for block in &item.blocks {
                match block {
                    Block::Paragraph(p) if first => {
                        first = false;
                        let dir = text::direction(p.direction, &p.text);
                        out.push_str(r#"<w:p><w:pPr><w:pStyle w:val="ListParagraph"/>"#);
                        let _ = write!(
                            out,
                            r#"<w:numPr><w:ilvl w:val="{depth}"/><w:numId w:val="{num}"/></w:numPr>"#
                        );
                        para_tail(out, dir, p.align, None);
                        out.push_str("</w:pPr>");
                        if let Some(checked) = item.checked {
                            write_text(out, "", if checked { "☑ " } else { "☐ " });
                        }
                        self.runs(&p.text, ctx.bold, out);
                        out.push_str("</w:p>");
                    }
                    Block::List(inner) => {
                        first = false;
                        let nested = Ctx {
                            list: Some((kind, num, depth)),
                            indent: None,
                            nested: true,
                            ..ctx
                        };
                        self.list(inner, nested, out);
                    }
                    other => {
                        if first {
                            // An item that starts with no text: give it its number.
                            first = false;
                            let _ = write!(
                                out,
                                r#"<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="{depth}"/><w:numId w:val="{num}"/></w:numPr></w:pPr>"#
                            );
                            if let Some(checked) = item.checked {
                                write_text(out, "", if checked { "☑" } else { "☐" });
                            }
                            out.push_str("</w:p>");
                        }
                        let inner = Ctx {
                            indent: Some(indent),
                            list: Some((kind, num, depth)),
                            nested: true,
                            ..ctx
                        };
                        self.block(other, inner, out);
                    }
                }
            }
            if first {
                let _ = write!(
                    out,
                    r#"<w:p><w:pPr><w:pStyle w:val="ListParagraph"/><w:numPr><w:ilvl w:val="{depth}"/><w:numId w:val="{num}"/></w:numPr></w:pPr></w:p>"#
                );
            }
        }
    }

    fn code(&mut self, c: &Code, ctx: Ctx<'_>, out: &mut String) {
        out.push_str(r#"<w:p><w:pPr><w:pStyle w:val="CodeBlock"/>"#);
        if let Some(indent) = ctx.indent {
            let _ = write!(out, r#"<w:ind w:left="{indent}"/>"#);
        }
        out.push_str("</w:pPr>");
        write_text(out, "", &c.text);
        out.push_str("</w:p>");
    }

    fn image(&mut self, img: &Image, ctx: Ctx<'_>, out: &mut String) {
        let Some(entry) = self.media.get(&img.asset) else {
            // Generation checks every asset first; a missing one cannot get here.
            return;
        };
        self.drawings += 1;
        let id = self.drawings;
        let (w, h, scaled) =
            crate::media::display_size(entry, img.width, img.height, self.text_width);
        if scaled {
            self.notes.push(format!("image {:?} was scaled down to the text width", img.asset));
        }
        let align = match img.align.or(ctx.align).unwrap_or(Align::Center) {
            Align::Left => "left",
            Align::Right => "right",
            Align::Center | Align::Justify => "center",
        };
        let alt = escape(img.alt.as_deref().unwrap_or(""));
        let name = escape(&img.asset);
        let _ = write!(
            out,
            concat!(
                r#"<w:p><w:pPr><w:keepNext/><w:spacing w:before="120" w:after="120"/><w:jc w:val="{align}"/></w:pPr><w:r><w:drawing>"#,
                r#"<wp:inline distT="0" distB="0" distL="0" distR="0"><wp:extent cx="{w}" cy="{h}"/><wp:effectExtent l="0" t="0" r="0" b="0"/>"#,
                r#"<wp:docPr id="{id}" name="Picture {id}" descr="{alt}"/><wp:cNvGraphicFramePr><a:graphicFrameLocks noChangeAspect="1"/></wp:cNvGraphicFramePr>"#,
                r#"<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>"#,
                r#"<pic:nvPicPr><pic:cNvPr id="{id}" name="{name}" descr="{alt}"/><pic:cNvPicPr/></pic:nvPicPr>"#,
                r#"<pic:blipFill><a:blip r:embed="{rel}"/><a:stretch><a:fillRect/></a:stretch></pic:blipFill>"#,
                r#"<pic:spPr><a:xfrm><a:off x="0" y="0"/><a:ext cx="{w}" cy="{h}"/></a:xfrm><a:prstGeom prst="rect"><a:avLst/></a:prstGeom></pic:spPr>"#,
                r#"</pic:pic></a:graphicData></a:graphic></wp:inline></w:drawing></w:r></w:p>"#
            ),
            align = align,
            w = w,
            h = h,
            id = id,
            alt = alt,
            name = name,
            rel = entry.rel_id,
        );
        if let Some(caption) = &img.caption {
            let _ = write!(
                out,
                r#"<w:p><w:pPr><w:pStyle w:val="Caption"/><w:jc w:val="{align}"/></w:pPr>"#
            );
            write_text(out, "", caption);
            out.push_str("</w:p>");
        }
    }

    fn table(&mut self, t: &Table, out: &mut String) {
        let grid = table::layout(&t.rows);
        let columns = grid.columns.max(1);
        let widths = column_widths(&t.widths, columns, self.text_width);
        out.push_str("<w:tbl><w:tblPr>");
        let _ = write!(out, r#"<w:tblW w:w="{}" w:type="dxa"/>"#, widths.iter().sum::<i32>());
        let line = r#"w:val="single" w:sz="4" w:space="0" w:color="A6A6A6""#;
        let none = r#"w:val="nil""#;
        let (outer, inner_h, inner_v) = match t.borders {
            Borders::All => (line, line, line),
            Borders::Horizontal => (line, line, none),
            Borders::Outer => (line, none, none),
            Borders::None => (none, none, none),
        };
        let sides = if t.borders == Borders::Horizontal { none } else { outer };
        let _ = write!(
            out,
            r#"<w:tblBorders><w:top {outer}/><w:left {sides}/><w:bottom {outer}/><w:right {sides}/><w:insideH {inner_h}/><w:insideV {inner_v}/></w:tblBorders>"#
        );
        out.push_str(r#"<w:tblLayout w:type="fixed"/><w:tblCellMar><w:top w:w="40" w:type="dxa"/><w:left w:w="100" w:type="dxa"/><w:bottom w:w="40" w:type="dxa"/><w:right w:w="100" w:type="dxa"/></w:tblCellMar><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>"#);
        for w in &widths {
            let _ = write!(out, r#"<w:gridCol w:w="{w}"/>"#);
        }
        out.push_str("</w:tblGrid>");
        let header_fill = t.header_fill.unwrap_or_else(|| self.theme.accent_color().tint(0.8));
        let stripe = self.theme.accent_color().tint(0.92);
        let saved_width = self.text_width;
        for (r, slots) in grid.rows.iter().enumerate() {
            let header = (r as u32) < t.header_rows;
            out.push_str("<w:tr>");
            if header {
                out.push_str("<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>");
            }
            for slot in slots {
                let (cell, column, merge) = match slot {
                    Slot::Cell { cell, column, .. } => {
                        (*cell, *column, (cell.rowspan > 1).then_some("restart"))
                    }
                    Slot::Continued { cell, column, .. } => (*cell, *column, Some("continue")),
                };
                let span =
                    (cell.colspan.max(1) as usize).min(columns.saturating_sub(column).max(1));
                let width: i32 = widths.iter().skip(column).take(span).sum();
                out.push_str("<w:tc><w:tcPr>");
                let _ = write!(out, r#"<w:tcW w:w="{width}" w:type="dxa"/>"#);
                if span > 1 {
                    let _ = write!(out, r#"<w:gridSpan w:val="{span}"/>"#);
                }
                if let Some(m) = merge {
                    let _ = write!(out, r#"<w:vMerge w:val="{m}"/>"#);
                }
                let body_row = r as u32 - t.header_rows.min(r as u32);
                let fill = cell.fill.or(if header {
                    Some(header_fill)
                } else if t.striped && body_row % 2 == 1 {
                    Some(stripe)
                } else {
                    None
                });
                if let Some(fill) = fill {
                    let _ = write!(
                        out,
                        r#"<w:shd w:val="clear" w:color="auto" w:fill="{}"/>"#,
                        fill.hex()
                    );
                }
                let valign = match cell.valign {
                    Some(VAlign::Middle) => Some("center"),
                    Some(VAlign::Bottom) => Some("bottom"),
                    _ => None,
                };
                if let Some(v) = valign {
                    let _ = write!(out, r#"<w:vAlign w:val="{v}"/>"#);
                }
                out.push_str("</w:tcPr>");
                if matches!(slot, Slot::Continued { .. }) {
                    out.push_str("<w:p/>");
                } else {
                    self.cell(cell, t, column, header, width, out);
                }
                out.push_str("</w:tc>");
            }
            out.push_str("</w:tr>");
        }
        self.text_width = saved_width;
        out.push_str("</w:tbl>");
        // Keeps the next table from joining this one, and spaces them.
        out.push_str(r#"<w:p><w:pPr><w:spacing w:after="0"/></w:pPr></w:p>"#);
    }

    fn cell(
        &mut self,
        cell: &Cell,
        t: &Table,
        column: usize,
        header: bool,
        width: i32,
        out: &mut String,
    ) {
        let ctx = Ctx {
            align: cell.align.or_else(|| t.align.get(column).copied()),
            bold: header,
            style: Some("TableText"),
            nested: true,
            ..Ctx::default()
        };
        self.text_width = (width - 200).max(400);
        let start = out.len();
        self.blocks_in(&cell.blocks, ctx, out);
        // A cell must end with a paragraph.
        if out.len() == start || out.ends_with("</w:tbl>") {
            out.push_str("<w:p/>");
        }
    }

    fn toc(&mut self, toc: &Toc, out: &mut String) {
        out.push_str(r#"<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val="Table of Contents"/><w:docPartUnique/></w:docPartObj></w:sdtPr><w:sdtContent>"#);
        if !toc.title.is_empty() {
            out.push_str(r#"<w:p><w:pPr><w:pStyle w:val="TOCHeading"/></w:pPr>"#);
            write_text(out, "", &toc.title);
            out.push_str("</w:p>");
        }
        let levels = toc.levels.clamp(1, 6);
        let tab = self.text_width;
        let begin = format!(
            r#"<w:r><w:fldChar w:fldCharType="begin" w:dirty="true"/></w:r><w:r><w:instrText xml:space="preserve"> TOC \o "1-{levels}" \h \z \u </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r>"#
        );
        let entries: Vec<(usize, &TocEntry)> =
            self.toc.iter().enumerate().filter(|(_, e)| e.level <= levels).collect();
        if entries.is_empty() {
            let _ = write!(out, "<w:p>{begin}");
            write_text(out, "", "Update this field to list the headings.");
            out.push_str(r#"<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p>"#);
        }
        let last = entries.len().saturating_sub(1);
        for (n, (id, entry)) in entries.iter().enumerate() {
            let _ = write!(
                out,
                r#"<w:p><w:pPr><w:pStyle w:val="TOC{}"/><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="{tab}"/></w:tabs></w:pPr>"#,
                entry.level
            );
            if n == 0 {
                out.push_str(&begin);
            }
            let _ = write!(out, r#"<w:hyperlink w:anchor="_Toc{id:06}" w:history="1">"#);
            write_text(out, "", &entry.text);
            let _ = write!(
                out,
                r#"<w:r><w:tab/></w:r><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText xml:space="preserve"> PAGEREF _Toc{id:06} \h </w:instrText></w:r><w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>{page}</w:t></w:r><w:r><w:fldChar w:fldCharType="end"/></w:r></w:hyperlink>"#,
                page = entry.page
            );
            if n == last {
                out.push_str(r#"<w:r><w:fldChar w:fldCharType="end"/></w:r>"#);
            }
            out.push_str("</w:p>");
        }
        out.push_str("</w:sdtContent></w:sdt>");
    }

    /// A header or footer paragraph: text with PAGE and NUMPAGES fields.
    pub(crate) fn header_footer(
        &mut self,
        runs: &[Run],
        align: Option<Align>,
        style: &str,
        out: &mut String,
    ) {
        let dir = text::direction(None, runs);
        let _ = write!(out, r#"<w:p><w:pPr><w:pStyle w:val="{style}"/>"#);
        para_tail(out, dir, Some(align.unwrap_or(Align::Center)), None);
        out.push_str("</w:pPr>");
        for run in runs {
            let rpr = run_properties(self.theme, run, false, false);
            for part in split_fields(&run.text) {
                match part {
                    FieldPart::Text(t) => write_text(out, &rpr, &t),
                    FieldPart::Page | FieldPart::Pages => {
                        let instr = if part == FieldPart::Page { "PAGE" } else { "NUMPAGES" };
                        let _ = write!(
                            out,
                            r#"<w:r><w:rPr>{rpr}</w:rPr><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:rPr>{rpr}</w:rPr><w:instrText xml:space="preserve"> {instr} </w:instrText></w:r><w:r><w:rPr>{rpr}</w:rPr><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:rPr>{rpr}</w:rPr><w:t>1</w:t></w:r><w:r><w:rPr>{rpr}</w:rPr><w:fldChar w:fldCharType="end"/></w:r>"#
                        );
                    }
                }
            }
        }
        out.push_str("</w:p>");
    }
}

/// The plain text of a block (for footnotes inside footnotes).
fn block_text(block: &Block) -> String {
    match block {
        Block::Paragraph(p) => text::plain(&p.text),
        Block::Heading(h) => text::plain(&h.text),
        Block::Code(c) => c.text.clone(),
        Block::Quote(inner) => inner.iter().map(block_text).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

/// The end of a paragraph's properties: direction, indent, alignment (in
/// the order the schema wants).
fn para_tail(out: &mut String, dir: Direction, align: Option<Align>, indent: Option<i32>) {
    if dir == Direction::Rtl {
        out.push_str("<w:bidi/>");
    }
    if let Some(indent) = indent {
        let _ = write!(out, r#"<w:ind w:left="{indent}"/>"#);
    }
    if let Some(align) = align {
        // In a right-to-left paragraph Word reads left and right as start
        // and end, which is what the model means by them.
        let jc = match align {
            Align::Left => "left",
            Align::Center => "center",
            Align::Right => "right",
            Align::Justify => "both",
        };
        let _ = write!(out, r#"<w:jc w:val="{jc}"/>"#);
    }
}

/// A run's `<w:rPr>` content.
fn run_properties(theme: &Theme, run: &Run, bold: bool, link: bool) -> String {
    let mut p = String::new();
    if link {
        p.push_str(r#"<w:rStyle w:val="Hyperlink"/>"#);
    } else if run.code {
        p.push_str(r#"<w:rStyle w:val="InlineCode"/>"#);
    }
    if let Some(font) = &run.font {
        let f = escape(font);
        let _ = write!(p, r#"<w:rFonts w:ascii="{f}" w:hAnsi="{f}" w:eastAsia="{f}" w:cs="{f}"/>"#);
    }
    if run.bold || bold {
        p.push_str("<w:b/><w:bCs/>");
    }
    if run.italic {
        p.push_str("<w:i/><w:iCs/>");
    }
    if run.strike {
        p.push_str("<w:strike/>");
    }
    if let Some(color) = run.color {
        let _ = write!(p, r#"<w:color w:val="{}"/>"#, color.hex());
    } else if link {
        let _ = write!(p, r#"<w:color w:val="{}"/>"#, theme.link_color().hex());
    }
    if let Some(size) = run.size {
        let half = (size * 2.0).round().clamp(2.0, 3276.0) as u32;
        let _ = write!(p, r#"<w:sz w:val="{half}"/><w:szCs w:val="{half}"/>"#);
    }
    if run.underline {
        p.push_str(r#"<w:u w:val="single"/>"#);
    }
    if let Some(h) = run.highlight {
        let _ = write!(p, r#"<w:shd w:val="clear" w:color="auto" w:fill="{}"/>"#, h.hex());
    }
    if run.superscript {
        p.push_str(r#"<w:vertAlign w:val="superscript"/>"#);
    } else if run.subscript {
        p.push_str(r#"<w:vertAlign w:val="subscript"/>"#);
    }
    if run.text.chars().any(text::is_rtl_char) {
        p.push_str("<w:rtl/>");
    }
    p
}

/// Writes text as runs with these properties: `\n` is a line break, `\t` a
/// tab; spaces are kept.
pub(crate) fn write_text(out: &mut String, rpr: &str, text: &str) {
    out.push_str("<w:r>");
    if !rpr.is_empty() {
        let _ = write!(out, "<w:rPr>{rpr}</w:rPr>");
    }
    let mut first = true;
    for line in text.split('\n') {
        if !first {
            out.push_str("<w:br/>");
        }
        first = false;
        let mut tab = false;
        for piece in line.split('\t') {
            if tab {
                out.push_str("<w:tab/>");
            }
            tab = true;
            if !piece.is_empty() {
                let _ = write!(out, r#"<w:t xml:space="preserve">{}</w:t>"#, escape(piece));
            }
        }
    }
    out.push_str("</w:r>");
}

/// Column widths in twips: relative `widths` (or equal ones) over the text width.
fn column_widths(relative: &[f32], columns: usize, text_width: i32) -> Vec<i32> {
    let weights: Vec<f32> = (0..columns)
        .map(|i| relative.get(i).copied().filter(|w| w.is_finite() && *w > 0.0).unwrap_or(1.0))
        .collect();
    let total: f32 = weights.iter().sum();
    weights.iter().map(|w| ((w / total) * text_width as f32).round().max(200.0) as i32).collect()
}
