//! Draws laid-out pages with krilla: text (fonts subset and mapped back to
//! Unicode by krilla), shapes, images, links, the outline, metadata, the
//! structure tree, headers and footers with page numbers.

use std::collections::HashMap;
use std::num::NonZeroU16;
use std::sync::Arc;

use krilla::color::rgb;
use krilla::configure::{Accessibility, Archival, ConfigurationBuilder, PdfVersion};
use krilla::destination::XyzDestination;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::{DateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, LineCap, Stroke, StrokeDash};
use krilla::surface::Surface;
use krilla::tagging::{
    Artifact, ArtifactType, ContentTag, Identifier, ListNumbering, Node, SpanTag, TableHeaderScope,
    Tag, TagGroup, TagKind, TagTree,
};
use krilla::{Document, SerializeSettings};
use krilla_svg::{SurfaceExt, SvgSettings};

use crate::document::{self as doc, FieldPart};
use crate::fonts;
use crate::layout::{Laid, Op, Page, SKid, SKind};
use crate::text::{Align, Link, Rgb, Shaper, Span, Style};

/// The PDF standard to conform to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standard {
    Plain,
    A2b,
    Ua1,
}

/// One section's header and footer, with the margins they sit in (points).
pub struct SectionHeaders {
    pub header: Option<doc::HeaderFooter>,
    pub footer: Option<doc::HeaderFooter>,
    pub top: f32,
    pub bottom: f32,
    pub left_right: f32,
}

/// Document-level settings for rendering.
pub struct Settings {
    pub title: Option<String>,
    pub author: Option<String>,
    pub subject: Option<String>,
    pub keywords: Vec<String>,
    pub language: String,
    pub created: DateTime,
    pub standard: Standard,
    pub tagged: bool,
    /// Per section: header and footer.
    pub headers: Vec<SectionHeaders>,
    pub header_style: Style,
}

fn fill(c: Rgb) -> Fill {
    Fill {
        paint: rgb::Color::new(c[0], c[1], c[2]).into(),
        opacity: NormalizedF32::ONE,
        rule: Default::default(),
    }
}

fn rect_path(x: f32, y: f32, w: f32, h: f32) -> Option<krilla::geom::Path> {
    let mut pb = PathBuilder::new();
    pb.push_rect(Rect::from_xywh(x, y, w.max(0.01), h.max(0.01))?);
    pb.finish()
}

/// An image asset, ready to draw.
#[derive(Clone)]
pub enum Picture {
    Raster(Image),
    /// Drawn as vector paths, its text as real (selectable) text.
    Svg(Arc<usvg::Tree>),
}

/// Draws the document; `images` are the decoded images by index.
pub fn render(
    laid: &Laid,
    settings: &Settings,
    shaper: &mut Shaper,
    images: &[Option<Picture>],
    progress: &mut dyn FnMut(usize, usize),
) -> Result<Vec<u8>, String> {
    let configuration = match settings.standard {
        Standard::Plain => ConfigurationBuilder::new().with_version(PdfVersion::Pdf17).finish(),
        Standard::A2b => {
            ConfigurationBuilder::new().with_archival_validator(Archival::A2_B).finish()
        }
        Standard::Ua1 => {
            ConfigurationBuilder::new().with_accessibility_validator(Accessibility::UA1).finish()
        }
    }
    .map_err(|e| format!("the PDF standard cannot be configured: {e:?}"))?;
    let tagged = settings.tagged || settings.standard == Standard::Ua1;
    let ss =
        SerializeSettings { enable_tagging: tagged, configuration, ..SerializeSettings::default() };
    let mut document = Document::new_with(ss);
    let total = laid.pages.len();
    let mut content_ids: HashMap<u32, Identifier> = HashMap::new();
    let mut annot_ids: HashMap<u32, Identifier> = HashMap::new();
    for (pi, page) in laid.pages.iter().enumerate() {
        let size = Size::from_wh(page.width, page.height).ok_or("bad page size")?;
        let mut p = document.start_page_with(PageSettings::new(size));
        // Links first need the page's annotation list; collect them as drawn.
        let mut links = Vec::new();
        {
            let mut surface = p.surface();
            draw_page(
                &mut surface,
                page,
                laid,
                shaper,
                images,
                &mut content_ids,
                &mut links,
                pi,
                total,
            );
            if let Some(SectionHeaders { header, footer, top, bottom, left_right }) =
                settings.headers.get(page.section).filter(|_| page.furniture)
            {
                let w = page.width - 2.0 * left_right;
                if let Some(h) = header {
                    draw_field_line(
                        &mut surface,
                        shaper,
                        h,
                        &settings.header_style,
                        *left_right,
                        (top / 2.0).max(8.0),
                        w,
                        pi,
                        total,
                        ArtifactType::Header,
                    );
                }
                if let Some(f) = footer {
                    let y = page.height - (bottom / 2.0).max(8.0);
                    draw_field_line(
                        &mut surface,
                        shaper,
                        f,
                        &settings.header_style,
                        *left_right,
                        y,
                        w,
                        pi,
                        total,
                        ArtifactType::Footer,
                    );
                }
            }
            surface.finish();
        }
        for (rect, target, annot) in links {
            let alt = match &target {
                Link::Uri(uri) => format!("Link to {uri}"),
                Link::Anchor(id) => laid
                    .headings
                    .get(*id)
                    .map_or("Link within the document".to_owned(), |h| format!("Go to {}", h.text)),
            };
            let target = match target {
                Link::Uri(uri) => krilla::annotation::Target::Action(krilla::action::Action::Link(
                    krilla::action::LinkAction::new(uri),
                )),
                Link::Anchor(id) => {
                    let Some(&(page_idx, y)) = laid.anchors.get(&id) else { continue };
                    krilla::annotation::Target::Destination(krilla::destination::Destination::Xyz(
                        XyzDestination::new(page_idx, Point::from_xy(0.0, (y - 6.0).max(0.0))),
                    ))
                }
            };
            let annotation = krilla::annotation::Annotation::new_link(
                krilla::annotation::LinkAnnotation::new(rect, target),
                Some(alt),
            );
            match annot {
                Some(a) if tagged => {
                    let id = p.add_tagged_annotation(annotation);
                    annot_ids.insert(a, id);
                }
                _ => p.add_annotation(annotation),
            }
        }
        p.finish();
        progress(pi + 1, total);
    }
    // The outline, from the headings.
    let mut outline = Outline::new();
    let mut stack: Vec<(u8, OutlineNode)> = Vec::new();
    for (i, h) in laid.headings.iter().enumerate() {
        let Some(&(page_idx, y)) = laid.anchors.get(&i) else { continue };
        let node = OutlineNode::new(
            h.text.clone(),
            XyzDestination::new(page_idx, Point::from_xy(0.0, (y - 6.0).max(0.0))),
        );
        while let Some((lvl, _)) = stack.last() {
            if *lvl >= h.level {
                let (_, done) = stack.pop().expect("non-empty");
                match stack.last_mut() {
                    Some((_, parent)) => parent.push_child(done),
                    None => outline.push_child(done),
                }
            } else {
                break;
            }
        }
        stack.push((h.level, node));
    }
    while let Some((_, done)) = stack.pop() {
        match stack.last_mut() {
            Some((_, parent)) => parent.push_child(done),
            None => outline.push_child(done),
        }
    }
    document.set_outline(outline);
    let mut metadata = Metadata::new()
        .language(settings.language.clone())
        .creation_date(settings.created)
        .creator("kiln pdf generator".into())
        .producer("kiln".into());
    if let Some(t) = &settings.title {
        metadata = metadata.title(t.clone());
    }
    if let Some(a) = &settings.author {
        metadata = metadata.authors(vec![a.clone()]);
    }
    if let Some(s) = &settings.subject {
        metadata = metadata.description(s.clone());
    }
    if !settings.keywords.is_empty() {
        metadata = metadata.keywords(settings.keywords.clone());
    }
    document.set_metadata(metadata);
    if tagged {
        let mut tree = TagTree::new().with_lang(Some(settings.language.clone()));
        for kid in &laid.roots {
            if let Some(n) = build_node(laid, *kid, &mut content_ids, &mut annot_ids) {
                tree.push(n);
            }
        }
        document.set_tag_tree(tree);
    }
    document.finish().map_err(|e| describe(&e))
}

fn describe(e: &krilla::error::KrillaError) -> String {
    match e {
        krilla::error::KrillaError::Validation(list) => {
            let items: Vec<String> = list.iter().take(10).map(|(v, _)| format!("{v:?}")).collect();
            format!("the document does not meet the requested PDF standard: {}", items.join("; "))
        }
        other => format!("{other:?}"),
    }
}

fn tag_of(kind: &SKind) -> TagKind {
    match kind {
        SKind::P => Tag::P.into(),
        SKind::H(level, title) => Tag::Hn(
            NonZeroU16::new(u16::from(*level)).unwrap_or(NonZeroU16::MIN),
            Some(title.clone()),
        )
        .into(),
        SKind::L(ordered) => {
            Tag::L(if *ordered { ListNumbering::Decimal } else { ListNumbering::Disc }).into()
        }
        SKind::LI => Tag::LI.into(),
        SKind::Lbl => Tag::Lbl.into(),
        SKind::LBody => Tag::LBody.into(),
        SKind::Table => Tag::Table.into(),
        SKind::THead => Tag::THead.into(),
        SKind::TBody => Tag::TBody.into(),
        SKind::TR => Tag::TR.into(),
        SKind::TH => Tag::TH(TableHeaderScope::Column).into(),
        SKind::TD => Tag::TD.into(),
        SKind::Figure(alt) => Tag::Figure(alt.clone()).into(),
        SKind::Caption => Tag::Caption.into(),
        SKind::BlockQuote => Tag::BlockQuote.into(),
        SKind::Code => Tag::Code.into(),
        SKind::Toc => Tag::TOC.into(),
        SKind::TocItem => Tag::TOCI.into(),
        SKind::Link => Tag::Link.into(),
        SKind::Note => Tag::Note.into(),
        SKind::Div => Tag::Div.into(),
    }
}

fn build_node(
    laid: &Laid,
    kid: SKid,
    contents: &mut HashMap<u32, Identifier>,
    annots: &mut HashMap<u32, Identifier>,
) -> Option<Node> {
    match kid {
        SKid::Content(c) => contents.remove(&c).map(Node::from),
        SKid::Annot(a) => annots.remove(&a).map(Node::from),
        SKid::Node(n) => {
            // Iterative over deep children is not needed: nesting follows the spec's depth.
            let node = laid.nodes.get(n)?;
            let mut group = TagGroup::new(tag_of(&node.kind));
            let mut any = false;
            for k in &node.kids {
                if let Some(child) = build_node(laid, *k, contents, annots) {
                    group.push(child);
                    any = true;
                }
            }
            any.then(|| Node::from(group))
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn draw_page(
    surface: &mut Surface<'_>,
    page: &Page,
    laid: &Laid,
    shaper: &mut Shaper,
    images: &[Option<Picture>],
    content_ids: &mut HashMap<u32, Identifier>,
    links: &mut Vec<(Rect, Link, Option<u32>)>,
    page_idx: usize,
    _total: usize,
) {
    let mut in_artifact = false;
    for placed in &page.ops {
        let is_content = placed.content.is_some();
        let draws = !matches!(placed.op, Op::Anchor { .. } | Op::Link { .. });
        if !draws {
            if let Op::Link { x, y, w, h, target, annot } = &placed.op
                && let Some(r) = Rect::from_xywh(*x, *y, w.max(1.0), h.max(1.0))
            {
                links.push((r, target.clone(), *annot));
            }
            continue;
        }
        if is_content && in_artifact {
            surface.end_tagged();
            in_artifact = false;
        }
        if !is_content && !in_artifact {
            surface.start_tagged(ContentTag::Artifact(Artifact::new(ArtifactType::Layout, None)));
            in_artifact = true;
        }
        if let Some(cid) = placed.content {
            let id = surface.start_tagged(ContentTag::Span(SpanTag::empty()));
            content_ids.insert(cid, id);
        }
        match &placed.op {
            Op::Text { x, y, piece } => {
                let Some(face) = fonts::get(piece.face) else { continue };
                surface.set_fill(Some(fill(piece.style.color)));
                surface.set_stroke(None);
                surface.draw_glyphs(
                    Point::from_xy(*x, *y),
                    &piece.glyphs,
                    face.pdf.clone(),
                    &piece.text,
                    piece.style.size,
                    false,
                );
            }
            Op::Rect { x, y, w, h, fill: c } => {
                if let Some(path) = rect_path(*x, *y, *w, *h) {
                    surface.set_stroke(None);
                    surface.set_fill(Some(fill(*c)));
                    surface.draw_path(&path);
                }
            }
            Op::Stroke { x1, y1, x2, y2, width, color } => {
                let mut pb = PathBuilder::new();
                pb.move_to(*x1, *y1);
                pb.line_to(*x2, *y2);
                if let Some(path) = pb.finish() {
                    surface.set_fill(None);
                    let dotted = *width < 0.0;
                    surface.set_stroke(Some(Stroke {
                        paint: rgb::Color::new(color[0], color[1], color[2]).into(),
                        width: if dotted { 0.8 } else { *width },
                        line_cap: if dotted { LineCap::Round } else { LineCap::Butt },
                        dash: dotted.then(|| StrokeDash { array: vec![0.0, 3.0], offset: 0.0 }),
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                    surface.set_stroke(None);
                }
            }
            Op::Lines { segs, dx, dy, width, color } => {
                let mut pb = PathBuilder::new();
                for [x1, y1, x2, y2] in segs.iter() {
                    pb.move_to(x1 + dx, y1 + dy);
                    pb.line_to(x2 + dx, y2 + dy);
                }
                if let Some(path) = pb.finish() {
                    surface.set_fill(None);
                    surface.set_stroke(Some(Stroke {
                        paint: rgb::Color::new(color[0], color[1], color[2]).into(),
                        width: *width,
                        ..Stroke::default()
                    }));
                    surface.draw_path(&path);
                    surface.set_stroke(None);
                }
            }
            Op::Image { x, y, w, h, image } => {
                if let (Some(Some(picture)), Some(size)) =
                    (images.get(*image), Size::from_wh(w.max(0.1), h.max(0.1)))
                {
                    surface.push_transform(&Transform::from_translate(*x, *y));
                    match picture {
                        Picture::Raster(img) => surface.draw_image(img.clone(), size),
                        Picture::Svg(tree) => {
                            surface.draw_svg(tree, size, SvgSettings::default());
                        }
                    }
                    surface.pop();
                }
            }
            Op::PageRef { x, y, anchor, style } => {
                let text =
                    laid.anchors.get(anchor).map_or("?".to_owned(), |(p, _)| (p + 1).to_string());
                let spans = [Span { text, style: style.clone() }];
                let lines = shaper.lines(&spans, 1000.0, Align::Left, 1.0, false);
                if let Some(line) = lines.first() {
                    for piece in &line.pieces {
                        let Some(face) = fonts::get(piece.face) else { continue };
                        surface.set_fill(Some(fill(style.color)));
                        surface.draw_glyphs(
                            Point::from_xy(x - line.width + piece.x, *y),
                            &piece.glyphs,
                            face.pdf.clone(),
                            &piece.text,
                            style.size,
                            false,
                        );
                    }
                }
            }
            Op::Anchor { .. } | Op::Link { .. } => {}
        }
        if placed.content.is_some() {
            surface.end_tagged();
        }
    }
    if in_artifact {
        surface.end_tagged();
    }
    let _ = page_idx;
}

/// A header or footer line with its page fields filled in.
#[allow(clippy::too_many_arguments)]
fn draw_field_line(
    surface: &mut Surface<'_>,
    shaper: &mut Shaper,
    hf: &doc::HeaderFooter,
    style: &Style,
    left: f32,
    center_y: f32,
    width: f32,
    page_idx: usize,
    total: usize,
    kind: ArtifactType,
) {
    let mut spans = Vec::new();
    for run in &hf.text {
        let mut st = style.clone();
        st.bold |= run.bold;
        st.italic |= run.italic;
        if let Some(c) = run.color {
            st.color = c.0;
        }
        let st = std::rc::Rc::new(st);
        let mut text = String::new();
        for part in doc::split_fields(&run.text) {
            match part {
                FieldPart::Text(t) => text.push_str(&t),
                FieldPart::Page => text.push_str(&(page_idx + 1).to_string()),
                FieldPart::Pages => text.push_str(&total.to_string()),
            }
        }
        spans.push(Span { text: text.replace(['\n', '\r', '\t'], " "), style: st });
    }
    let align = match hf.align {
        Some(doc::Align::Left) => Align::Left,
        Some(doc::Align::Right) => Align::Right,
        _ => Align::Center,
    };
    let lines = shaper.lines(&spans, width, align, 1.0, false);
    let Some(line) = lines.first() else { return };
    // Artifacts of kind Header/Footer need PDF 2.0 subtypes; older versions get plain pagination artifacts.
    let _ = kind;
    surface.start_tagged(ContentTag::Artifact(Artifact::new(ArtifactType::PaginationOther, None)));
    let baseline = center_y + line.ascent / 2.0 - 1.0;
    for piece in &line.pieces {
        let Some(face) = fonts::get(piece.face) else { continue };
        surface.set_fill(Some(fill(piece.style.color)));
        surface.draw_glyphs(
            Point::from_xy(left + piece.x, baseline),
            &piece.glyphs,
            face.pdf.clone(),
            &piece.text,
            piece.style.size,
            false,
        );
    }
    surface.end_tagged();
}
