//! From spec slides to output slides: layouts resolved, text fitted (shrunk,
//! then continued on "(cont.)" slides), images read and placed.

use crate::fit::{self, TextBox};
use crate::geometry::{EMU_PER_PT, Geometry, INSET_X, INSET_Y, Rect};
use crate::spec::{Cell, Chart, Layout, Presentation, Slide};
use crate::text::{self, Para};

/// Font sizes (points) of the master's text styles.
pub(crate) const TITLE_SIZE: f64 = 32.0;
pub(crate) const TITLE_SLIDE_SIZE: f64 = 44.0;
pub(crate) const SECTION_SIZE: f64 = 40.0;
pub(crate) const SUBTITLE_SIZE: f64 = 24.0;
pub(crate) const BODY_SIZES: [f64; 5] = [24.0, 20.0, 18.0, 16.0, 16.0];
pub(crate) const COLUMN_SIZES: [f64; 5] = [20.0, 18.0, 16.0, 14.0, 14.0];
pub(crate) const SPACE_BEFORE: [f64; 5] = [10.0, 5.0, 5.0, 5.0, 5.0];
/// Left text indent per bullet level, in EMU (the bullet hangs in it).
pub(crate) const INDENT: i64 = 342_900;
pub(crate) const QUOTE_SIZE: f64 = 30.0;
pub(crate) const ATTRIBUTION_SIZE: f64 = 20.0;
pub(crate) const NUMBER_SIZE: f64 = 96.0;
pub(crate) const CAPTION_SIZE: f64 = 20.0;

/// What happened while fitting, for the job log.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Adjustment {
    Shrunk { slide: usize, what: &'static str, percent: u32 },
    Continued { slide: usize, what: &'static str, slides: usize },
    Overflows { slide: usize, what: &'static str },
}

/// One slide of the output.
#[derive(Debug)]
pub(crate) struct OutSlide<'a> {
    pub(crate) layout: Layout,
    pub(crate) title: Option<String>,
    /// Title font scale (1.0 = the layout's size).
    pub(crate) title_scale: f64,
    pub(crate) body: Body<'a>,
    pub(crate) notes: Option<&'a str>,
}

/// The layout-specific content of a slide.
#[derive(Debug)]
pub(crate) enum Body<'a> {
    None,
    Subtitle(Vec<Para>),
    Bullets { paras: Vec<Para>, scale: f64 },
    Columns { left: Vec<Para>, right: Vec<Para>, scale: f64 },
    Table { header: Option<&'a [Cell]>, rows: &'a [Vec<Cell>], widths: Vec<i64>, size: f64 },
    Image { media: usize, rect: Rect, caption: Option<Para> },
    Quote { quote: Para, attribution: Option<Para>, scale: f64 },
    Number { number: &'a str, caption: Option<Para> },
    Chart { chart: &'a Chart, number: usize },
}

/// An image, stored once however many slides show it.
#[derive(Debug)]
pub(crate) struct Media {
    pub(crate) asset: String,
    pub(crate) extension: &'static str,
    pub(crate) bytes: Vec<u8>,
}

/// The planned deck.
#[derive(Debug)]
pub(crate) struct Deck<'a> {
    pub(crate) geometry: Geometry,
    pub(crate) slides: Vec<OutSlide<'a>>,
    pub(crate) media: Vec<Media>,
    pub(crate) charts: usize,
    pub(crate) adjustments: Vec<Adjustment>,
    pub(crate) slide_numbers: bool,
    /// Width factor of the body font (see [`fit::font_factor`]).
    pub(crate) body_font_factor: f64,
}

/// A decoded image: its extension and pixel size.
pub(crate) type ImageInfo = (&'static str, u32, u32);

/// Looks up images by asset name: `Ok((bytes, info))`, or an error message
/// for the violation.
pub(crate) trait Images {
    fn image(&mut self, name: &str) -> Result<(Vec<u8>, ImageInfo), String>;
}

/// Plans the deck. Image errors come back as (pointer, message) pairs.
pub(crate) fn plan<'a>(
    spec: &'a Presentation,
    images: &mut dyn Images,
) -> Result<Deck<'a>, Vec<(String, String)>> {
    let geometry = crate::geometry::Geometry::new(spec.aspect_ratio);
    let fonts = Fonts::of(spec);
    let mut deck = Deck {
        geometry,
        slides: Vec::with_capacity(spec.slides.len()),
        media: Vec::new(),
        charts: 0,
        adjustments: Vec::new(),
        slide_numbers: spec.slide_numbers,
        body_font_factor: fonts.body,
    };
    let mut errors = Vec::new();
    let mut placed: Vec<(String, ImageInfo)> = Vec::new();
    for (index, slide) in spec.slides.iter().enumerate() {
        let layout = slide.resolved_layout(index).unwrap_or(Layout::Bullets);
        let mut planner = Planner { deck: &mut deck, fonts: &fonts, index, slide, layout };
        match layout {
            Layout::Bullets => planner.bullets(),
            Layout::TwoColumns => planner.columns(),
            Layout::Table => planner.table(),
            Layout::Image => {
                let name = slide.image.as_deref().unwrap_or_default();
                let found = match placed.iter().position(|(n, _)| n == name) {
                    Some(i) => Ok((i, placed[i].1)),
                    None => images.image(name).map(|(bytes, info)| {
                        placed.push((name.to_string(), info));
                        planner.deck.media.push(Media {
                            asset: name.to_string(),
                            extension: info.0,
                            bytes,
                        });
                        (placed.len() - 1, info)
                    }),
                };
                match found {
                    Ok((media, (_, w, h))) => planner.image(media, w, h),
                    Err(message) => errors.push((format!("/slides/{index}/image"), message)),
                }
            }
            _ => planner.simple(),
        }
    }
    if errors.is_empty() { Ok(deck) } else { Err(errors) }
}

struct Fonts {
    heading: f64,
    body: f64,
}

impl Fonts {
    fn of(spec: &Presentation) -> Fonts {
        let heading = spec.theme.heading_font.as_deref().unwrap_or("Arial");
        let body = spec.theme.body_font.as_deref().unwrap_or("Arial");
        Fonts { heading: fit::font_factor(heading), body: fit::font_factor(body) }
    }
}

struct Planner<'d, 'a> {
    deck: &'d mut Deck<'a>,
    fonts: &'d Fonts,
    index: usize,
    slide: &'a Slide,
    layout: Layout,
}

impl<'a> Planner<'_, 'a> {
    fn text_box(&self, rect: Rect, sizes: [f64; 5], bold: bool, heading: bool) -> TextBox {
        let mut indents = [0.0; 5];
        for (level, indent) in indents.iter_mut().enumerate() {
            *indent = fit::pt(INDENT * (level as i64 + 1));
        }
        TextBox {
            width: fit::pt(rect.w - 2 * INSET_X),
            height: fit::pt(rect.h - 2 * INSET_Y),
            sizes,
            indents,
            space_before: SPACE_BEFORE,
            font_factor: if heading { self.fonts.heading } else { self.fonts.body },
            bold,
        }
    }

    /// The title's box and size for this layout, and the fitted scale.
    fn title_scale(&mut self) -> f64 {
        let Some(title) = &self.slide.title else {
            return 1.0;
        };
        let g = self.deck.geometry;
        let (rect, size) = match self.layout {
            Layout::Title => (g.title_slide().0, TITLE_SLIDE_SIZE),
            Layout::Section => (g.section().0, SECTION_SIZE),
            _ => (g.title(), TITLE_SIZE),
        };
        let mut tb = self.text_box(rect, [size; 5], false, true);
        tb.indents = [0.0; 5];
        let para = [Para::plain(&format!("{title} (cont.)"))];
        match tb.scale_for(&para) {
            Some(1.0) => 1.0,
            Some(scale) => {
                self.deck.adjustments.push(Adjustment::Shrunk {
                    slide: self.index,
                    what: "title",
                    percent: (scale * 100.0).round() as u32,
                });
                scale
            }
            None => {
                self.deck
                    .adjustments
                    .push(Adjustment::Overflows { slide: self.index, what: "title" });
                fit::FLOOR
            }
        }
    }

    fn push(&mut self, part: usize, title_scale: f64, body: Body<'a>) {
        let title = self
            .slide
            .title
            .as_ref()
            .map(|t| if part == 0 { t.clone() } else { format!("{t} (cont.)") });
        self.deck.slides.push(OutSlide {
            layout: self.layout,
            title,
            title_scale,
            body,
            notes: if part == 0 { self.slide.notes.as_deref() } else { None },
        });
    }

    /// Records that content continued on `slides` more slides (none: it is
    /// one block too big for the box, recorded as an overflow instead).
    fn continued(&mut self, what: &'static str, slides: usize) {
        if slides > 0 {
            self.deck.adjustments.push(Adjustment::Continued { slide: self.index, what, slides });
        }
    }

    fn note_scale(&mut self, what: &'static str, scale: f64) {
        if scale < 1.0 {
            self.deck.adjustments.push(Adjustment::Shrunk {
                slide: self.index,
                what,
                percent: (scale * 100.0).round() as u32,
            });
        }
    }

    fn bullets(&mut self) {
        let title_scale = self.title_scale();
        let paras = text::bullets(self.slide.bullets.as_deref().unwrap_or_default());
        let tb = self.text_box(self.deck.geometry.body(), BODY_SIZES, false, false);
        let chunks = self.fit_chunks(&tb, paras, "bullet text");
        for (part, (paras, scale)) in chunks.into_iter().enumerate() {
            self.push(part, title_scale, Body::Bullets { paras, scale });
        }
    }

    /// Fits paragraphs into one box, or into several when they do not fit
    /// at the floor scale; logs what it did.
    fn fit_chunks(
        &mut self,
        tb: &TextBox,
        paras: Vec<Para>,
        what: &'static str,
    ) -> Vec<(Vec<Para>, f64)> {
        if let Some(scale) = tb.scale_for(&paras) {
            self.note_scale(what, scale);
            return vec![(paras, scale)];
        }
        let chunks = tb.split(&paras);
        self.deck.adjustments.push(Adjustment::Shrunk {
            slide: self.index,
            what,
            percent: (fit::FLOOR * 100.0) as u32,
        });
        self.continued(what, chunks.len() - 1);
        chunks
            .into_iter()
            .map(|c| {
                let scale = tb.scale_for(&c);
                if scale.is_none() {
                    self.deck.adjustments.push(Adjustment::Overflows { slide: self.index, what });
                }
                (c, scale.unwrap_or(fit::FLOOR))
            })
            .collect()
    }

    fn columns(&mut self) {
        let title_scale = self.title_scale();
        let side = |items: &Option<Vec<crate::spec::Bullet>>, heading: &Option<String>| {
            let mut paras = Vec::new();
            if let Some(h) = heading {
                let mut p = text::inline(h);
                p.runs.iter_mut().for_each(|r| r.bold = true);
                p.level = usize::MAX;
                paras.push(p);
            }
            paras.extend(text::bullets(items.as_deref().unwrap_or_default()));
            paras
        };
        let left = side(&self.slide.left, &self.slide.left_heading);
        let right = side(&self.slide.right, &self.slide.right_heading);
        let (lr, _) = self.deck.geometry.columns();
        let tb = self.text_box(lr, COLUMN_SIZES, false, false);
        // Headings (level usize::MAX) measure as level 0 without indent.
        let measure = |paras: &[Para]| -> Vec<Para> {
            paras
                .iter()
                .map(|p| Para {
                    level: if p.level == usize::MAX { 0 } else { p.level },
                    runs: p.runs.clone(),
                })
                .collect()
        };
        let lm = measure(&left);
        let rm = measure(&right);
        let fits = |paras: &[Para]| tb.scale_for(paras);
        if let (Some(a), Some(b)) = (fits(&lm), fits(&rm)) {
            let scale = a.min(b);
            self.note_scale("column text", scale);
            self.push(0, title_scale, Body::Columns { left, right, scale });
            return;
        }
        // Continue each column on its own; positions line up by chunk.
        let split = |orig: &[Para], measured: &[Para]| -> Vec<Vec<Para>> {
            let chunks = tb.split(measured);
            let mut at = 0;
            chunks
                .iter()
                .map(|c| {
                    let part = orig[at..at + c.len()].to_vec();
                    at += c.len();
                    part
                })
                .collect()
        };
        let lc = split(&left, &lm);
        let rc = split(&right, &rm);
        let n = lc.len().max(rc.len());
        self.continued("column text", n - 1);
        for part in 0..n {
            let left = lc.get(part).cloned().unwrap_or_default();
            let right = rc.get(part).cloned().unwrap_or_default();
            let (a, b) = (fits(&measure(&left)), fits(&measure(&right)));
            if a.is_none() || b.is_none() {
                self.deck
                    .adjustments
                    .push(Adjustment::Overflows { slide: self.index, what: "column text" });
            }
            let scale = a.unwrap_or(fit::FLOOR).min(b.unwrap_or(fit::FLOOR));
            self.push(part, title_scale, Body::Columns { left, right, scale });
        }
    }

    fn table(&mut self) {
        let title_scale = self.title_scale();
        let Some(table) = &self.slide.table else {
            return self.push(0, title_scale, Body::None);
        };
        let rect = self.deck.geometry.body();
        let columns = table
            .header
            .as_ref()
            .map(Vec::len)
            .or_else(|| table.rows.first().map(Vec::len))
            .unwrap_or(1)
            .max(1);
        let weights: Vec<f64> = match &table.column_widths {
            Some(w) if w.len() == columns && w.iter().all(|x| *x > 0.0) => w.clone(),
            _ => vec![1.0; columns],
        };
        let total: f64 = weights.iter().sum();
        let mut widths: Vec<i64> =
            weights.iter().map(|w| (rect.w as f64 * w / total) as i64).collect();
        let used: i64 = widths.iter().sum();
        if let Some(last) = widths.last_mut() {
            *last += rect.w - used;
        }
        let base = match columns {
            0..=3 => 20.0,
            4 => 18.0,
            5..=6 => 16.0,
            _ => 14.0,
        };
        let factor = self.fonts.body;
        let row_height = |row: &[Cell], size: f64, bold: bool| -> f64 {
            let lines = row
                .iter()
                .zip(&widths)
                .map(|(c, w)| fit::lines(&c.text(), fit::pt(w - 2 * INSET_X), size, factor, bold))
                .max()
                .unwrap_or(1);
            table_row_height(lines, size)
        };
        let height = |rows: &[Vec<Cell>], size: f64| -> f64 {
            let header = table.header.as_deref().map_or(0.0, |h| row_height(h, size, true));
            header + rows.iter().map(|r| row_height(r, size, false)).sum::<f64>()
        };
        let room = fit::pt(rect.h);
        let scales = [1.0, 0.9, 0.8, 0.7, fit::FLOOR];
        let rows = &table.rows[..];
        if let Some(scale) = scales.iter().copied().find(|s| height(rows, base * s) <= room) {
            self.note_scale("table", scale);
            return self.push(
                0,
                title_scale,
                Body::Table { header: table.header.as_deref(), rows, widths, size: base * scale },
            );
        }
        // Split rows at the floor size, the header repeated on each slide.
        let size = base * fit::FLOOR;
        let mut chunks: Vec<&[Vec<Cell>]> = Vec::new();
        let mut start = 0;
        for end in 1..=rows.len() {
            if end - start > 1 && height(&rows[start..end], size) > room {
                chunks.push(&rows[start..end - 1]);
                start = end - 1;
            }
        }
        chunks.push(&rows[start..]);
        // Even chunks read better than full slides and a stub.
        let n = chunks.len();
        let mut balanced: Vec<&[Vec<Cell>]> = Vec::with_capacity(n);
        let mut at = 0;
        for k in 0..n {
            let len = (rows.len() - at) / (n - k);
            balanced.push(&rows[at..at + len]);
            at += len;
        }
        if balanced.iter().all(|c| height(c, size) <= room) {
            chunks = balanced;
        }
        self.deck.adjustments.push(Adjustment::Shrunk {
            slide: self.index,
            what: "table",
            percent: (fit::FLOOR * 100.0) as u32,
        });
        self.continued("table", chunks.len() - 1);
        for (part, chunk) in chunks.into_iter().enumerate() {
            let scale = scales.iter().copied().find(|s| height(chunk, base * s) <= room);
            if scale.is_none() {
                self.deck
                    .adjustments
                    .push(Adjustment::Overflows { slide: self.index, what: "table" });
            }
            let scale = scale.unwrap_or(fit::FLOOR);
            self.push(
                part,
                title_scale,
                Body::Table {
                    header: table.header.as_deref(),
                    rows: chunk,
                    widths: widths.clone(),
                    size: base * scale,
                },
            );
        }
    }

    fn image(&mut self, media: usize, w: u32, h: u32) {
        let title_scale = self.title_scale();
        let (area, _) = self.deck.geometry.picture();
        let caption = self.slide.caption.as_deref().map(text::inline);
        let rect = area.fit(w, h);
        self.push(0, title_scale, Body::Image { media, rect, caption });
    }

    /// Layouts whose content is one or two short texts.
    fn simple(&mut self) {
        let title_scale = self.title_scale();
        let s = self.slide;
        let body = match self.layout {
            Layout::Title | Layout::Section => s.subtitle.as_deref().map_or(Body::None, |t| {
                Body::Subtitle(text::paragraphs(t).iter().map(|l| text::inline(l)).collect())
            }),
            Layout::Quote => {
                let quote = text::inline(&format!("“{}”", s.quote.as_deref().unwrap_or_default()));
                let (rect, _) = self.deck.geometry.quote();
                let mut tb = self.text_box(rect, [QUOTE_SIZE; 5], false, false);
                tb.indents = [0.0; 5];
                let scale = match tb.scale_for(std::slice::from_ref(&quote)) {
                    Some(scale) => {
                        self.note_scale("quote", scale);
                        scale
                    }
                    None => {
                        self.deck
                            .adjustments
                            .push(Adjustment::Overflows { slide: self.index, what: "quote" });
                        fit::FLOOR
                    }
                };
                Body::Quote {
                    quote,
                    attribution: s.attribution.as_deref().map(|a| text::inline(&format!("— {a}"))),
                    scale,
                }
            }
            Layout::BigNumber => Body::Number {
                number: s.number.as_deref().unwrap_or_default(),
                caption: s.caption.as_deref().map(text::inline),
            },
            Layout::Chart => match &s.chart {
                Some(chart) => {
                    self.deck.charts += 1;
                    Body::Chart { chart, number: self.deck.charts }
                }
                None => Body::None,
            },
            _ => Body::None,
        };
        self.push(0, title_scale, body);
    }
}

/// Height in points of a table row with `lines` lines at `size`.
pub(crate) fn table_row_height(lines: usize, size: f64) -> f64 {
    lines as f64 * size * fit::LINE_HEIGHT + 2.0 * fit::pt(INSET_Y) + 2.0
}

/// Points to EMU.
pub(crate) fn emu(points: f64) -> i64 {
    (points * EMU_PER_PT as f64).round() as i64
}

impl Adjustment {
    /// The job-log line (slide numbers are 1-based spec positions).
    pub(crate) fn message(&self, spec: &Presentation) -> String {
        let label = |slide: &usize| match spec.slides[*slide].title.as_deref() {
            Some(t) => format!("slide {} (\"{t}\")", slide + 1),
            None => format!("slide {}", slide + 1),
        };
        match self {
            Adjustment::Shrunk { slide, what, percent } => {
                format!("{}: {what} shrunk to {percent}% to fit", label(slide))
            }
            Adjustment::Continued { slide, what, slides } => format!(
                "{}: {what} does not fit even at {}%; continued on {slides} more slide{} titled \"(cont.)\"",
                label(slide),
                (fit::FLOOR * 100.0) as u32,
                if *slides == 1 { "" } else { "s" }
            ),
            Adjustment::Overflows { slide, what } => format!(
                "{}: {what} is too long to fit even at {}% and overflows its box; shorten it",
                label(slide),
                (fit::FLOOR * 100.0) as u32
            ),
        }
    }
}
