//! The document model for flowing documents (docx, pdf): properties, a
//! theme, sections with page setup, and blocks of text, lists, tables and
//! images, written either as structured JSON or as Markdown.
//!
//! A spec is read into [`Document`] (serde, forgiving short forms: a
//! paragraph, a run, a list item or a cell may be a bare string). Renderers
//! do not walk the spec as written; they call [`Document::resolved_sections`], which
//! expands Markdown and puts every block in one canonical form (see
//! [`normalize`]), so a Markdown block and the equivalent structured blocks
//! render identically. [`validate`] and [`check_assets`] find what the types
//! cannot, with JSON pointers into the spec as written.

mod blocks;
mod loose;
pub mod markdown;
pub mod normalize;
mod style;
pub mod table;
pub mod text;
mod validate;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Deserialize;

pub use blocks::{
    Align, Block, Borders, Cell, Code, Direction, Flag, Heading, Image, List, ListItem, Paragraph,
    Run, Table, Toc, VAlign,
};
pub use style::{Color, Length};
pub use table::{Grid, GridProblem, Slot};
pub use validate::{MAX_HEADING_LEVEL, asset_names, check_assets, missing_assets, validate};

use blocks::RunsSchema;
use loose::{Item, Loose};

/// The creation time written when a spec sets no `created`, so the same spec
/// always gives the same bytes.
pub const DEFAULT_CREATED: &str = "2000-01-01T00:00:00Z";

/// A flowing document: properties, a theme, page setup, and content as
/// `blocks` (one section) and/or `sections` (each may change the page
/// setup, e.g. a landscape section for a wide table).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Document {
    /// The output file's name, e.g. "q3-report.docx". Default: the plugin's
    /// default name. The plugin adds its extension when it is missing.
    pub file_name: Option<String>,
    /// The document title (file properties; not printed unless a block shows it),
    /// e.g. "Q3 Business Review".
    pub title: Option<String>,
    /// The author (file properties), e.g. "Finance team".
    pub author: Option<String>,
    /// The subject (file properties).
    pub subject: Option<String>,
    /// Keywords (file properties), e.g. ["budget", "2026"].
    pub keywords: Vec<String>,
    /// The main language as a BCP 47 tag, e.g. "en-US", "de-DE", "ar-SA",
    /// "zh-CN". Used for spelling and hyphenation. Default "en-US".
    pub language: Option<String>,
    /// Creation time, ISO 8601, e.g. "2026-03-31" or "2026-03-31T09:00:00Z".
    /// Default: a fixed date (2000-01-01), so output is reproducible.
    pub created: Option<String>,
    /// Fonts, sizes and colours.
    pub theme: Theme,
    /// The page setup of every section that does not set its own: size,
    /// orientation, margins, columns, header and footer.
    pub page: PageSetup,
    /// The content, as the first section (page setup from `page`). Use this
    /// for most documents; add `sections` only to change the page setup
    /// part-way.
    #[serde(deserialize_with = "loose::many")]
    #[schemars(with = "Vec<Item<Block>>")]
    pub blocks: Vec<Block>,
    /// Further sections, each starting on a new page, after `blocks`.
    pub sections: Vec<Section>,
}

/// A part of the document with its own page setup; starts on a new page.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Section {
    /// Page setup for this section; each field left out is taken from the
    /// document's `page`.
    pub page: PageSetup,
    /// The section's content.
    #[serde(deserialize_with = "loose::many")]
    #[schemars(with = "Vec<Item<Block>>")]
    pub blocks: Vec<Block>,
}

/// Page size, orientation, margins, columns, header and footer. Every field
/// is optional; a section's setup falls back to the document's, then to
/// the defaults given here.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PageSetup {
    /// "a4" (the default), "letter", "legal", "a3", "a5", or
    /// `{"custom": {"width": "15cm", "height": "20cm"}}` (portrait sizes).
    pub size: Option<PageSize>,
    /// "portrait" (the default) or "landscape" (width and height swapped).
    pub orientation: Option<Orientation>,
    /// Page margins: one length for all four (e.g. "2cm"), or
    /// `{"top": "2cm", "bottom": "2cm", "left": "2.5cm", "right": "2.5cm"}`.
    /// Default 72 points (1 inch) each.
    #[serde(deserialize_with = "loose::option")]
    #[schemars(with = "Option<Item<Margins>>")]
    pub margins: Option<Margins>,
    /// Number of text columns, 1 (default) to 4.
    #[schemars(range(min = 1, max = 4))]
    pub columns: Option<u8>,
    /// Text at the top of every page. `{page}` is replaced by the page number
    /// and `{pages}` by the page count, e.g. "Quarterly report — page {page}".
    /// "" for none. Default none.
    #[serde(deserialize_with = "loose::option")]
    #[schemars(with = "Option<Item<HeaderFooter>>")]
    pub header: Option<HeaderFooter>,
    /// Text at the bottom of every page, with the same `{page}` and `{pages}`
    /// fields, e.g. "Page {page} of {pages}". "" for none. Default none.
    #[serde(deserialize_with = "loose::option")]
    #[schemars(with = "Option<Item<HeaderFooter>>")]
    pub footer: Option<HeaderFooter>,
}

/// A paper size.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum PageSize {
    /// ISO A4, 210 × 297 mm.
    A4,
    /// US Letter, 8.5 × 11 in.
    Letter,
    /// US Legal, 8.5 × 14 in.
    Legal,
    /// ISO A3, 297 × 420 mm.
    A3,
    /// ISO A5, 148 × 210 mm.
    A5,
    /// Any size, given in portrait: `{"custom": {"width": "15cm", "height": "20cm"}}`.
    Custom(
        /// The portrait width and height.
        CustomSize,
    ),
}

/// A custom paper size, given in portrait.
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CustomSize {
    /// Page width, e.g. "15cm".
    pub width: Length,
    /// Page height, e.g. "20cm".
    pub height: Length,
}

impl PageSize {
    /// (width, height) in points, portrait.
    pub fn points(&self) -> (f32, f32) {
        let mm = |w: f32, h: f32| (w * 72.0 / 25.4, h * 72.0 / 25.4);
        match self {
            PageSize::A4 => mm(210.0, 297.0),
            PageSize::Letter => (612.0, 792.0),
            PageSize::Legal => (612.0, 1008.0),
            PageSize::A3 => mm(297.0, 420.0),
            PageSize::A5 => mm(148.0, 210.0),
            PageSize::Custom(c) => (c.width.0, c.height.0),
        }
    }
}

/// Page orientation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Orientation {
    /// Taller than wide (the default).
    #[default]
    Portrait,
    /// Wider than tall.
    Landscape,
}

/// Page margins; each left out is 72 points (1 inch).
#[derive(Clone, Copy, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Margins {
    /// Top margin, e.g. "2.5cm".
    pub top: Length,
    /// Bottom margin.
    pub bottom: Length,
    /// Left margin.
    pub left: Length,
    /// Right margin.
    pub right: Length,
}

impl Default for Margins {
    fn default() -> Self {
        Margins::all(Length(72.0))
    }
}

impl Margins {
    /// The same margin on all four sides.
    pub fn all(length: Length) -> Self {
        Margins { top: length, bottom: length, left: length, right: length }
    }
}

impl Loose for Margins {
    const EXPECTING: &'static str = "margins: one length for all sides (e.g. \"2cm\") or an object with top, bottom, left, right";
    fn from_string(text: String) -> Option<Self> {
        Length::parse(&text).ok().map(Margins::all)
    }
    fn from_number(text: String) -> Option<Self> {
        Self::from_string(text)
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![schemars::json_schema!({
            "type": ["number", "string"],
            "description": "One length for all four margins, e.g. \"2cm\" or 54 (points)."
        })]
    }
}

/// A page header or footer: text with `{page}` and `{pages}` fields.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HeaderFooter {
    /// The text: a string or runs. `{page}` is the page number, `{pages}` the
    /// number of pages, e.g. "Page {page} of {pages}".
    #[serde(deserialize_with = "loose::runs")]
    #[schemars(with = "RunsSchema")]
    pub text: Vec<Run>,
    /// Alignment. Default: centre.
    pub align: Option<Align>,
}

impl HeaderFooter {
    /// Whether there is nothing to show.
    pub fn is_empty(&self) -> bool {
        self.text.iter().all(|r| r.text.is_empty())
    }
}

impl Loose for HeaderFooter {
    const EXPECTING: &'static str = "a header or footer: a string like \"Page {page} of {pages}\" or an object with text and align";
    fn from_string(text: String) -> Option<Self> {
        Some(HeaderFooter { text: vec![Run::from(text)], align: None })
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![loose::string_form(
            "The text, centred; {page} and {pages} are the page number and count.",
        )]
    }
}

/// A piece of header or footer text: literal text or a page field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldPart {
    /// Literal text.
    Text(String),
    /// The current page number.
    Page,
    /// The number of pages.
    Pages,
}

/// Splits header or footer text at its `{page}` and `{pages}` fields.
pub fn split_fields(text: &str) -> Vec<FieldPart> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let next = [("{page}", FieldPart::Page), ("{pages}", FieldPart::Pages)]
            .into_iter()
            .filter_map(|(pat, part)| rest.find(pat).map(|i| (i, pat.len(), part)))
            .min_by_key(|(i, _, _)| *i);
        match next {
            Some((i, len, part)) => {
                if i > 0 {
                    parts.push(FieldPart::Text(rest[..i].to_owned()));
                }
                parts.push(part);
                rest = &rest[i + len..];
            }
            None => {
                parts.push(FieldPart::Text(rest.to_owned()));
                rest = "";
            }
        }
    }
    parts
}

/// Fonts, sizes and colours for the whole document.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Theme {
    /// Font of body text, e.g. "Georgia". Default "Calibri". Name a font that
    /// covers the scripts you use (e.g. "Noto Sans CJK SC" for Chinese);
    /// East Asian, Arabic and Hebrew text fall back to fonts that cover them.
    pub body_font: Option<String>,
    /// Font of headings. Default: the body font.
    pub heading_font: Option<String>,
    /// Font of code. Default "Consolas".
    pub mono_font: Option<String>,
    /// Body text size in points. Default 11. Headings scale from it.
    pub font_size: Option<f32>,
    /// Colour of body text. Default black.
    pub text_color: Option<Color>,
    /// Colour of headings. Default "#1F3864" (dark blue).
    pub heading_color: Option<Color>,
    /// Accent colour: table header shading (as a light tint), rules and
    /// quote bars. Default "#4472C4".
    pub accent_color: Option<Color>,
    /// Colour of links. Default "#0563C1".
    pub link_color: Option<Color>,
}

impl Theme {
    /// The body font.
    pub fn body_font(&self) -> &str {
        self.body_font.as_deref().unwrap_or("Calibri")
    }
    /// The heading font.
    pub fn heading_font(&self) -> &str {
        self.heading_font.as_deref().unwrap_or(self.body_font())
    }
    /// The monospace font.
    pub fn mono_font(&self) -> &str {
        self.mono_font.as_deref().unwrap_or("Consolas")
    }
    /// The body size in points.
    pub fn font_size(&self) -> f32 {
        self.font_size.filter(|s| *s > 0.0).unwrap_or(11.0)
    }
    /// The size of a heading of this level (1–6) in points.
    pub fn heading_size(&self, level: u8) -> f32 {
        let factor = match level {
            1 => 1.8,
            2 => 1.45,
            3 => 1.25,
            4 => 1.1,
            _ => 1.0,
        };
        (self.font_size() * factor * 2.0).round() / 2.0
    }
    /// The body text colour.
    pub fn text_color(&self) -> Color {
        self.text_color.unwrap_or(Color([0, 0, 0]))
    }
    /// The heading colour.
    pub fn heading_color(&self) -> Color {
        self.heading_color.unwrap_or(Color([0x1F, 0x38, 0x64]))
    }
    /// The accent colour.
    pub fn accent_color(&self) -> Color {
        self.accent_color.unwrap_or(Color([0x44, 0x72, 0xC4]))
    }
    /// The link colour.
    pub fn link_color(&self) -> Color {
        self.link_color.unwrap_or(Color([0x05, 0x63, 0xC1]))
    }
}

/// A section ready to render: page setup resolved, blocks normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedSection {
    /// Portrait paper size in points.
    pub size: PageSize,
    /// Orientation; for landscape, swap the paper's width and height.
    pub orientation: Orientation,
    /// Margins.
    pub margins: Margins,
    /// Text columns, 1 to 4.
    pub columns: u8,
    /// The header, if any.
    pub header: Option<HeaderFooter>,
    /// The footer, if any.
    pub footer: Option<HeaderFooter>,
    /// The blocks, in canonical form (see [`normalize`]).
    pub blocks: Vec<Block>,
}

impl ResolvedSection {
    /// (width, height) of the page as laid out, in points.
    pub fn page_points(&self) -> (f32, f32) {
        let (w, h) = self.size.points();
        match self.orientation {
            Orientation::Portrait => (w, h),
            Orientation::Landscape => (h, w),
        }
    }

    /// The width between the margins, in points.
    pub fn text_width(&self) -> f32 {
        (self.page_points().0 - self.margins.left.0 - self.margins.right.0).max(36.0)
    }
}

impl Document {
    /// The sections to render: `blocks` as the first (when not empty, or when
    /// there are no `sections`), then each of `sections`, with page setup
    /// resolved and blocks normalised.
    pub fn resolved_sections(&self) -> Vec<ResolvedSection> {
        let mut out = Vec::new();
        if !self.blocks.is_empty() || self.sections.is_empty() {
            out.push(self.resolve(&PageSetup::default(), &self.blocks));
        }
        for section in &self.sections {
            out.push(self.resolve(&section.page, &section.blocks));
        }
        out
    }

    fn resolve(&self, page: &PageSetup, blocks: &[Block]) -> ResolvedSection {
        let base = &self.page;
        let pick = |own: &Option<HeaderFooter>, base: &Option<HeaderFooter>| {
            own.clone().or_else(|| base.clone()).filter(|h| !h.is_empty())
        };
        ResolvedSection {
            size: page.size.or(base.size).unwrap_or(PageSize::A4),
            orientation: page.orientation.or(base.orientation).unwrap_or_default(),
            margins: page.margins.or(base.margins).unwrap_or_default(),
            columns: page.columns.or(base.columns).unwrap_or(1).clamp(1, 4),
            header: pick(&page.header, &base.header),
            footer: pick(&page.footer, &base.footer),
            blocks: normalize::blocks(blocks),
        }
    }

    /// The creation time to write: `created`, or [`DEFAULT_CREATED`].
    pub fn created(&self) -> &str {
        self.created.as_deref().unwrap_or(DEFAULT_CREATED)
    }

    /// The language tag to write.
    pub fn language(&self) -> &str {
        self.language.as_deref().unwrap_or("en-US")
    }
}
