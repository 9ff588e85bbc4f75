//! Slide parts (`ppt/slides/slideN.xml`) and their relationships.
//!
//! Text placeholders inherit position and style from their layout; runs
//! carry explicit sizes only where fitting changed them. Pictures, tables and
//! charts are placed explicitly.

use crate::deck::{self, Body, Deck, OutSlide, emu};
use crate::geometry::{INSET_X, Rect};
use crate::parts::Rels;
use crate::spec::{Cell, Layout};
use crate::text::{Para, Run};
use crate::xml::{NS_P, push_escaped};

/// Writes one slide; returns its XML and relationships. `number` is the
/// 1-based slide number, `notes` its notes slide number if it has one.
pub(crate) fn write(
    deck: &Deck<'_>,
    slide: &OutSlide<'_>,
    number: usize,
    notes: Option<usize>,
) -> (String, Rels) {
    let mut rels = Rels::default();
    rels.add(
        "slideLayout",
        &format!("../slideLayouts/slideLayout{}.xml", slide.layout.part_number()),
    );
    if let Some(n) = notes {
        rels.add("notesSlide", &format!("../notesSlides/notesSlide{n}.xml"));
    }
    let mut w = SlideWriter { out: String::with_capacity(4096), rels, next_id: 2 };
    w.out.push_str(crate::xml::DECL);
    w.out.push_str("<p:sld ");
    w.out.push_str(NS_P);
    w.out.push_str("><p:cSld><p:spTree><p:nvGrpSpPr><p:cNvPr id=\"1\" name=\"\"/><p:cNvGrpSpPr/><p:nvPr/></p:nvGrpSpPr><p:grpSpPr><a:xfrm><a:off x=\"0\" y=\"0\"/><a:ext cx=\"0\" cy=\"0\"/><a:chOff x=\"0\" y=\"0\"/><a:chExt cx=\"0\" cy=\"0\"/></a:xfrm></p:grpSpPr>");

    if let Some(title) = &slide.title {
        let (ph, base) = match slide.layout {
            Layout::Title => ("type=\"ctrTitle\"", deck::TITLE_SLIDE_SIZE),
            Layout::Section => ("type=\"title\"", deck::SECTION_SIZE),
            _ => ("type=\"title\"", deck::TITLE_SIZE),
        };
        w.text_shape("Title", ph, &[Para::plain(title)], [base; 5], slide.title_scale, false);
    }
    match &slide.body {
        Body::None => {}
        Body::Subtitle(p) => {
            let ph = if slide.layout == Layout::Title {
                "type=\"subTitle\" idx=\"1\""
            } else {
                "type=\"body\" idx=\"1\""
            };
            w.text_shape("Subtitle", ph, p, [deck::SUBTITLE_SIZE; 5], 1.0, false);
        }
        Body::Bullets { paras, scale } => {
            w.text_shape("Content", "idx=\"1\"", paras, deck::BODY_SIZES, *scale, true);
        }
        Body::Columns { left, right, scale } => {
            w.text_shape("Left", "sz=\"half\" idx=\"1\"", left, deck::COLUMN_SIZES, *scale, true);
            w.text_shape("Right", "sz=\"half\" idx=\"2\"", right, deck::COLUMN_SIZES, *scale, true);
        }
        Body::Table { header, rows, widths, size } => w.table(deck, *header, rows, widths, *size),
        Body::Image { media, rect, caption } => {
            let m = &deck.media[*media];
            let rid = w.rels.add("image", &format!("../media/image{}.{}", media + 1, m.extension));
            w.picture(&rid, *rect, &m.asset);
            if let Some(c) = caption {
                w.text_shape(
                    "Caption",
                    "type=\"body\" sz=\"half\" idx=\"2\"",
                    std::slice::from_ref(c),
                    [0.0; 5],
                    1.0,
                    false,
                );
            }
        }
        Body::Quote { quote, attribution, scale } => {
            w.text_shape(
                "Quote",
                "type=\"body\" idx=\"1\"",
                std::slice::from_ref(quote),
                [deck::QUOTE_SIZE; 5],
                *scale,
                false,
            );
            if let Some(a) = attribution {
                w.text_shape(
                    "Attribution",
                    "type=\"body\" idx=\"2\"",
                    std::slice::from_ref(a),
                    [0.0; 5],
                    1.0,
                    false,
                );
            }
        }
        Body::Number { number, caption } => {
            let scale = number_scale(number);
            w.text_shape(
                "Number",
                "type=\"body\" idx=\"1\"",
                &[Para::plain(number)],
                [deck::NUMBER_SIZE; 5],
                scale,
                false,
            );
            if let Some(c) = caption {
                w.text_shape(
                    "Caption",
                    "type=\"body\" idx=\"2\"",
                    std::slice::from_ref(c),
                    [0.0; 5],
                    1.0,
                    false,
                );
            }
        }
        Body::Chart { number, .. } => {
            let rid = w.rels.add("chart", &format!("../charts/chart{number}.xml"));
            w.chart(&rid, deck.geometry.body());
        }
    }
    if deck.slide_numbers && slide.layout != Layout::Title {
        w.slide_number(number);
    }
    w.out.push_str("</p:spTree></p:cSld><p:clrMapOvr><a:masterClrMapping/></p:clrMapOvr></p:sld>");
    (w.out, w.rels)
}

/// Big numbers longer than about 6 characters get smaller so that they stay
/// on one line.
fn number_scale(number: &str) -> f64 {
    let n = number.chars().count();
    if n <= 6 { 1.0 } else { (6.0 / n as f64).max(0.4) }
}

struct SlideWriter {
    out: String,
    rels: Rels,
    next_id: u32,
}

impl SlideWriter {
    fn id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A placeholder shape holding paragraphs. Below scale 1, runs get
    /// explicit sizes (`sizes[level] × scale`) and, with `spacing`, the
    /// paragraph spacing shrinks by the same scale.
    fn text_shape(
        &mut self,
        name: &str,
        ph: &str,
        paras: &[Para],
        sizes: [f64; 5],
        scale: f64,
        spacing: bool,
    ) {
        let id = self.id();
        self.out.push_str(&format!(
            "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"{name} {}\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr><p:nvPr><p:ph {ph}/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/>",
            id - 1
        ));
        for p in paras {
            let level = if p.level == usize::MAX { 0 } else { p.level.min(4) };
            let size = (scale < 1.0).then(|| sizes[level] * scale);
            let space = (scale < 1.0 && spacing).then(|| deck::SPACE_BEFORE[level] * scale);
            self.paragraph(p, size, space);
        }
        if paras.is_empty() {
            self.out.push_str("<a:p><a:endParaRPr lang=\"en-US\" dirty=\"0\"/></a:p>");
        }
        self.out.push_str("</p:txBody></p:sp>");
    }

    fn paragraph(&mut self, p: &Para, size: Option<f64>, space: Option<f64>) {
        self.out.push_str("<a:p>");
        let spc = space.map(|s| {
            format!("<a:spcBef><a:spcPts val=\"{}\"/></a:spcBef>", (s * 100.0).round() as i64)
        });
        let spc = spc.as_deref().unwrap_or("");
        if p.level == usize::MAX {
            // A column heading: no bullet, no indent.
            self.out.push_str(&format!("<a:pPr marL=\"0\" indent=\"0\">{spc}<a:buNone/></a:pPr>"));
        } else if p.level > 0 || !spc.is_empty() {
            let lvl = if p.level > 0 { format!(" lvl=\"{}\"", p.level) } else { String::new() };
            if spc.is_empty() {
                self.out.push_str(&format!("<a:pPr{lvl}/>"));
            } else {
                self.out.push_str(&format!("<a:pPr{lvl}>{spc}</a:pPr>"));
            }
        }
        let sz = size.map(|s| format!(" sz=\"{}\"", (s * 100.0).round() as i64));
        let sz = sz.as_deref().unwrap_or("");
        for run in &p.runs {
            self.run(run, sz);
        }
        self.out.push_str(&format!("<a:endParaRPr lang=\"en-US\"{sz} dirty=\"0\"/></a:p>"));
    }

    fn run(&mut self, run: &Run, sz: &str) {
        let link = run.link.as_ref().map(|url| self.rels.add_external("hyperlink", url));
        self.out.push_str("<a:r><a:rPr lang=\"en-US\"");
        self.out.push_str(sz);
        if run.bold {
            self.out.push_str(" b=\"1\"");
        }
        if run.italic {
            self.out.push_str(" i=\"1\"");
        }
        self.out.push_str(" dirty=\"0\">");
        if run.code {
            self.out
                .push_str("<a:latin typeface=\"Courier New\"/><a:cs typeface=\"Courier New\"/>");
        }
        if let Some(rid) = link {
            self.out.push_str(&format!("<a:hlinkClick r:id=\"{rid}\"/>"));
        }
        self.out.push_str("</a:rPr><a:t>");
        push_escaped(&mut self.out, &run.text);
        self.out.push_str("</a:t></a:r>");
    }

    fn slide_number(&mut self, number: usize) {
        let id = self.id();
        self.out.push_str(&format!(
            "<p:sp><p:nvSpPr><p:cNvPr id=\"{id}\" name=\"Slide Number {}\"/><p:cNvSpPr><a:spLocks noGrp=\"1\"/></p:cNvSpPr><p:nvPr><p:ph type=\"sldNum\" sz=\"quarter\" idx=\"12\"/></p:nvPr></p:nvSpPr><p:spPr/><p:txBody><a:bodyPr/><a:lstStyle/><a:p><a:fld id=\"{{B6F15528-21DE-4FAA-801E-634DDDAF4B2B}}\" type=\"slidenum\"><a:rPr lang=\"en-US\"/><a:t>{number}</a:t></a:fld><a:endParaRPr lang=\"en-US\"/></a:p></p:txBody></p:sp>",
            id - 1
        ));
    }

    fn picture(&mut self, rid: &str, rect: Rect, description: &str) {
        let id = self.id();
        self.out.push_str(&format!(
            "<p:pic><p:nvPicPr><p:cNvPr id=\"{id}\" name=\"Picture {}\" descr=\"",
            id - 1
        ));
        push_escaped(&mut self.out, description);
        self.out.push_str(&format!(
            "\"/><p:cNvPicPr><a:picLocks noChangeAspect=\"1\"/></p:cNvPicPr><p:nvPr/></p:nvPicPr><p:blipFill><a:blip r:embed=\"{rid}\"/><a:stretch><a:fillRect/></a:stretch></p:blipFill><p:spPr>{}<a:prstGeom prst=\"rect\"><a:avLst/></a:prstGeom></p:spPr></p:pic>",
            xfrm(rect)
        ));
    }

    fn frame_start(&mut self, kind: &str, rect: Rect) {
        let id = self.id();
        self.out.push_str(&format!(
            "<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id=\"{id}\" name=\"{kind} {}\"/><p:cNvGraphicFramePr><a:graphicFrameLocks noGrp=\"1\"/></p:cNvGraphicFramePr><p:nvPr/></p:nvGraphicFramePr><p:xfrm><a:off x=\"{}\" y=\"{}\"/><a:ext cx=\"{}\" cy=\"{}\"/></p:xfrm><a:graphic>",
            id - 1, rect.x, rect.y, rect.w, rect.h
        ));
    }

    fn chart(&mut self, rid: &str, rect: Rect) {
        self.frame_start("Chart", rect);
        self.out.push_str(&format!(
            "<a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/chart\"><c:chart xmlns:c=\"http://schemas.openxmlformats.org/drawingml/2006/chart\" r:id=\"{rid}\"/></a:graphicData></a:graphic></p:graphicFrame>"
        ));
    }

    fn table(
        &mut self,
        deck: &Deck<'_>,
        header: Option<&[Cell]>,
        rows: &[Vec<Cell>],
        widths: &[i64],
        size: f64,
    ) {
        let body = deck.geometry.body();
        let sz = (size * 100.0).round() as i64;
        let line_height = |row: &[Cell], bold: bool| {
            let lines = row
                .iter()
                .zip(widths)
                .map(|(c, w)| {
                    crate::fit::lines(
                        &c.text(),
                        crate::fit::pt(w - 2 * INSET_X),
                        size,
                        deck.body_font_factor,
                        bold,
                    )
                })
                .max()
                .unwrap_or(1);
            emu(deck::table_row_height(lines, size))
        };
        let heights: Vec<i64> = header
            .iter()
            .map(|h| line_height(h, true))
            .chain(rows.iter().map(|r| line_height(r, false)))
            .collect();
        let total: i64 = heights.iter().sum();
        self.frame_start("Table", Rect::new(body.x, body.y, body.w, total));
        self.out.push_str("<a:graphicData uri=\"http://schemas.openxmlformats.org/drawingml/2006/table\"><a:tbl><a:tblPr firstRow=\"1\" bandRow=\"1\"/><a:tblGrid>");
        for w in widths {
            self.out.push_str(&format!("<a:gridCol w=\"{w}\"/>"));
        }
        self.out.push_str("</a:tblGrid>");
        let mut heights = heights.into_iter();
        // A column of numbers is right-aligned, its heading too.
        let numeric: Vec<bool> = (0..widths.len())
            .map(|c| {
                rows.iter().any(|r| r.get(c).is_some_and(Cell::is_number))
                    && rows.iter().all(|r| {
                        r.get(c).is_none_or(|x| x.is_number() || matches!(x, Cell::Empty(())))
                    })
            })
            .collect();
        if let Some(h) = header {
            let height = heights.next().unwrap_or(0);
            self.row(h, &numeric, height, sz, RowKind::Header);
        }
        for (i, row) in rows.iter().enumerate() {
            let height = heights.next().unwrap_or(0);
            let kind = if i % 2 == 0 { RowKind::Odd } else { RowKind::Even };
            self.row(row, &numeric, height, sz, kind);
        }
        self.out.push_str("</a:tbl></a:graphicData></a:graphic></p:graphicFrame>");
    }

    fn row(&mut self, cells: &[Cell], numeric: &[bool], height: i64, sz: i64, kind: RowKind) {
        self.out.push_str(&format!("<a:tr h=\"{height}\">"));
        let empty = Cell::Empty(());
        for (i, numeric) in numeric.iter().enumerate() {
            let cell = cells.get(i).unwrap_or(&empty);
            let align = if *numeric || cell.is_number() { " algn=\"r\"" } else { "" };
            let (bold, color) = match kind {
                RowKind::Header => (" b=\"1\"", "bg1"),
                _ => ("", "tx1"),
            };
            self.out.push_str(&format!(
                "<a:tc><a:txBody><a:bodyPr/><a:lstStyle/><a:p><a:pPr{align}/><a:r><a:rPr lang=\"en-US\" sz=\"{sz}\"{bold} dirty=\"0\"><a:solidFill><a:schemeClr val=\"{color}\"/></a:solidFill></a:rPr><a:t>"
            ));
            push_escaped(&mut self.out, &cell.text());
            let fill = match kind {
                RowKind::Header => "<a:solidFill><a:schemeClr val=\"accent1\"/></a:solidFill>",
                RowKind::Odd => {
                    "<a:solidFill><a:schemeClr val=\"accent1\"><a:lumMod val=\"20000\"/><a:lumOff val=\"80000\"/></a:schemeClr></a:solidFill>"
                }
                RowKind::Even => "<a:solidFill><a:schemeClr val=\"bg1\"/></a:solidFill>",
            };
            let line = "<a:solidFill><a:schemeClr val=\"bg1\"/></a:solidFill>";
            self.out.push_str(&format!(
                "</a:t></a:r></a:p></a:txBody><a:tcPr anchor=\"ctr\"><a:lnL w=\"12700\">{line}</a:lnL><a:lnR w=\"12700\">{line}</a:lnR><a:lnT w=\"12700\">{line}</a:lnT><a:lnB w=\"12700\">{line}</a:lnB>{fill}</a:tcPr></a:tc>"
            ));
        }
        self.out.push_str("</a:tr>");
    }
}

#[derive(Clone, Copy)]
enum RowKind {
    Header,
    Odd,
    Even,
}

fn xfrm(r: Rect) -> String {
    format!(
        "<a:xfrm><a:off x=\"{}\" y=\"{}\"/><a:ext cx=\"{}\" cy=\"{}\"/></a:xfrm>",
        r.x, r.y, r.w, r.h
    )
}
