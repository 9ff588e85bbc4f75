//! The spec: what a chat model writes. Every doc comment here becomes a
//! description in the JSON Schema, so it is written for a reader that sees
//! nothing else.

use kiln_plugin_sdk::schemars::{self, JsonSchema};
use serde::Deserialize;

/// A slide deck: an ordered list of slides plus deck-wide settings. Only
/// `slides` is required; everything else has a sensible default.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    /// Output file name, ending in `.pptx`. Default: `presentation.pptx`.
    /// Example: `"q3-review.pptx"`.
    #[serde(default)]
    pub file_name: Option<String>,
    /// The deck's title, stored in the document properties (shown by file
    /// browsers). Default: the first slide's title. Example: `"Q3 Business Review"`.
    #[serde(default)]
    pub title: Option<String>,
    /// The author, stored in the document properties. Example: `"Finance team"`.
    #[serde(default)]
    pub author: Option<String>,
    /// Slide shape: `"16:9"` (widescreen, the default) or `"4:3"` (standard).
    #[serde(default)]
    pub aspect_ratio: AspectRatio,
    /// Whether slides show their number in the bottom-right corner (never on
    /// `title` slides). Default: `true`.
    #[serde(default = "yes")]
    pub slide_numbers: bool,
    /// Colours and fonts of the deck's theme. Default: a neutral blue theme
    /// with Arial.
    #[serde(default)]
    pub theme: Theme,
    /// The slides, in order. At least one. Each slide picks a `layout`
    /// (or gets one inferred from its fields) and fills that layout's fields.
    pub slides: Vec<Slide>,
}

fn yes() -> bool {
    true
}

/// The slide size.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
pub enum AspectRatio {
    /// Widescreen, 13.33 × 7.5 inches (the default).
    #[default]
    #[serde(rename = "16:9")]
    Wide,
    /// Standard, 10 × 7.5 inches.
    #[serde(rename = "4:3")]
    Standard,
}

/// Theme colours and fonts. Colours are hex `"#RRGGBB"` (or `"RRGGBB"`).
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    /// Main accent: title-slide band, table headers, first chart series.
    /// Default `"#1F4E79"`. Example: `"#0B6E4F"`.
    #[serde(default)]
    pub accent: Option<String>,
    /// Further accents, used in order for the 2nd, 3rd, ... chart series and
    /// pie slices (up to 5 are used). Default: a harmonious palette.
    #[serde(default)]
    pub accents: Option<Vec<String>>,
    /// Slide background colour. Default `"#FFFFFF"`.
    #[serde(default)]
    pub background: Option<String>,
    /// Body text colour. Default `"#262626"`.
    #[serde(default)]
    pub text: Option<String>,
    /// Font for titles, e.g. `"Georgia"`. Default `"Arial"`. Text fitting uses
    /// approximate widths; fonts much wider than Arial may fit less well.
    #[serde(default)]
    pub heading_font: Option<String>,
    /// Font for body text, e.g. `"Calibri"`. Default `"Arial"`.
    #[serde(default)]
    pub body_font: Option<String>,
}

/// One slide. Set `layout` to one of the layout names (or leave it out to
/// have it inferred), then the fields that layout shows. Fields a layout does
/// not show are reported as errors rather than dropped.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Slide {
    /// The slide layout, one of: `"title"` (title + subtitle, for the
    /// opening slide), `"bullets"` (title + multi-level bullet list),
    /// `"two_columns"` (title + `left` and `right` bullet lists), `"section"`
    /// (section header: title + optional subtitle), `"table"` (title +
    /// `table`), `"image"` (title + `image` + optional `caption`), `"quote"`
    /// (`quote` + optional `attribution`), `"big_number"` (title + `number` +
    /// optional `caption`), `"chart"` (title + `chart`). Default: inferred
    /// from the fields present (`chart` → chart, `table` → table, `image` →
    /// image, `quote` → quote, `number` → big_number, `left`/`right` →
    /// two_columns, `bullets` → bullets; otherwise the first slide is a title
    /// slide and later ones are section headers).
    #[serde(default)]
    pub layout: Option<String>,
    /// The slide title (plain text). Shown by every layout; optional on
    /// `quote` slides. Example: `"Why now"`.
    #[serde(default)]
    pub title: Option<String>,
    /// Subtitle under the title, on `title` and `section` slides.
    /// Example: `"Board meeting, 12 March 2026"`.
    #[serde(default)]
    pub subtitle: Option<String>,
    /// Bullet points of a `bullets` slide, top to bottom. Each item is a
    /// string (inline Markdown: `**bold**`, `*italic*`, `` `code` ``,
    /// `[text](https://url)`); indent a string with 2 spaces per level (or
    /// start it with `- ` after the spaces) to make it a sub-bullet, or give
    /// an array of strings to nest those items under the previous one.
    /// Example: `["Revenue up **18%**", "  Driven by EMEA", "Costs flat"]`.
    /// Text that does not fit is shrunk (down to 60%) and then continued on a
    /// new slide titled "<title> (cont.)".
    #[serde(default)]
    pub bullets: Option<Vec<Bullet>>,
    /// Left column of a `two_columns` slide: bullet items, like `bullets`.
    #[serde(default)]
    pub left: Option<Vec<Bullet>>,
    /// Right column of a `two_columns` slide: bullet items, like `bullets`.
    #[serde(default)]
    pub right: Option<Vec<Bullet>>,
    /// Optional heading above the left column (bold), e.g. `"Before"`.
    #[serde(default)]
    pub left_heading: Option<String>,
    /// Optional heading above the right column (bold), e.g. `"After"`.
    #[serde(default)]
    pub right_heading: Option<String>,
    /// The table of a `table` slide. Rows that do not fit continue on a new
    /// slide with the header repeated.
    #[serde(default)]
    pub table: Option<Table>,
    /// Name of an input asset (a PNG or JPEG image supplied with the job) for
    /// an `image` slide, e.g. `"architecture.png"`. Scaled to fit, keeping its
    /// aspect ratio.
    #[serde(default)]
    pub image: Option<String>,
    /// Caption under the image of an `image` slide, or under the number of a
    /// `big_number` slide. Inline Markdown allowed. Example: `"Net revenue
    /// retention, FY2025"`.
    #[serde(default)]
    pub caption: Option<String>,
    /// The quotation of a `quote` slide, without quote marks (they are
    /// added). Example: `"The best way to predict the future is to invent it."`.
    #[serde(default)]
    pub quote: Option<String>,
    /// Who said the quote, e.g. `"Alan Kay"`; shown after an em dash.
    #[serde(default)]
    pub attribution: Option<String>,
    /// The figure of a `big_number` slide, as it should read, e.g. `"$4.2M"`,
    /// `"37%"`, `"10×"`. Keep it short (up to about 8 characters).
    #[serde(default)]
    pub number: Option<String>,
    /// The chart of a `chart` slide: a native, editable PowerPoint chart.
    #[serde(default)]
    pub chart: Option<Chart>,
    /// Speaker notes for this slide (plain text; each line becomes a
    /// paragraph, blank lines are skipped). Shown in presenter view, not on
    /// the slide. When the slide continues on "(cont.)" slides, the notes
    /// stay on the first.
    #[serde(default)]
    pub notes: Option<String>,
}

/// A bullet item: a string (its leading spaces set its level, 2 per
/// level), an array of items nested one level under the previous item, or
/// an object with `text` and optional sub-`bullets`.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Bullet {
    /// One bullet, inline Markdown, e.g. `"**Bold** start"` or `"  sub-point"`.
    Text(String),
    /// Sub-bullets of the previous item, e.g. `["detail one", "detail two"]`.
    Nested(Vec<Bullet>),
    /// A bullet with its own sub-bullets, e.g.
    /// `{"text": "Growth", "bullets": ["EMEA +20%", "APAC +35%"]}`.
    Item(BulletItem),
}

/// A bullet written as an object.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BulletItem {
    /// The bullet's text, inline Markdown, e.g. `"Revenue up **18%**"`.
    pub text: String,
    /// Sub-bullets shown one level below this one (strings, arrays or
    /// objects, like `bullets`).
    #[serde(default)]
    pub bullets: Vec<Bullet>,
}

/// A table: an optional header row plus body rows of equal width.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Table {
    /// Column headings (bold, on the accent colour). Optional; when given, its
    /// length sets the number of columns. Example: `["Region", "Q1", "Q2"]`.
    #[serde(default)]
    pub header: Option<Vec<Cell>>,
    /// Body rows; every row has the same number of cells as the header (or as
    /// the first row when there is no header). Example: `[["EMEA", 1.2, 1.4]]`.
    pub rows: Vec<Vec<Cell>>,
    /// Relative column widths, one per column, e.g. `[2, 1, 1]`. Default:
    /// equal widths.
    #[serde(default)]
    pub column_widths: Option<Vec<f64>>,
}

/// A table cell: a string (shown as is), a number (shown as written in JSON,
/// right-aligned), a boolean, or null (empty).
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Cell {
    /// Text, e.g. `"EMEA"`.
    Text(String),
    /// A number, e.g. `1250.5`; right-aligned.
    Number(serde_json::Number),
    /// `true` or `false`, shown as "Yes" / "No".
    Bool(bool),
    /// An empty cell.
    Empty(()),
}

/// A native chart with its data. Every series has one value per category.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Chart {
    /// Chart type: `"column"` (vertical bars, the default), `"bar"`
    /// (horizontal bars), `"line"`, or `"pie"` (exactly one series).
    #[serde(default, rename = "type")]
    pub kind: ChartKind,
    /// Category labels along the axis (or pie slice names), e.g.
    /// `["Q1", "Q2", "Q3", "Q4"]`.
    pub categories: Vec<String>,
    /// The data series; each has one value per category (null for a gap).
    pub series: Vec<Series>,
    /// Optional title shown above the plot, e.g. `"Revenue by quarter ($M)"`.
    #[serde(default)]
    pub title: Option<String>,
    /// Whether to show a legend (below the plot). Default: `true` when there
    /// are several series or the chart is a pie, otherwise `false`.
    #[serde(default)]
    pub legend: Option<bool>,
    /// Whether to print each value on its bar, point or slice. Default `false`.
    #[serde(default)]
    pub data_labels: bool,
    /// Excel number format for axis and labels, e.g. `"0%"`, `"#,##0"`,
    /// `"$#,##0.0"`. Default `"General"`.
    #[serde(default)]
    pub number_format: Option<String>,
}

/// The kind of chart.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChartKind {
    /// Vertical bars (clustered), the default.
    #[default]
    Column,
    /// Horizontal bars (clustered).
    Bar,
    /// Lines with markers.
    Line,
    /// A pie; takes exactly one series.
    Pie,
}

/// One data series of a chart.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Series {
    /// Series name shown in the legend, e.g. `"2025"`.
    pub name: String,
    /// One number per category, in category order; `null` leaves a gap.
    /// Example: `[1.2, 1.5, null, 2.1]`.
    pub values: Vec<Option<f64>>,
}

/// The layouts a slide can use, as spec names and as the names PowerPoint
/// shows in its layout gallery.
pub const LAYOUTS: [(&str, &str); 9] = [
    ("title", "Title Slide"),
    ("bullets", "Title and Content"),
    ("two_columns", "Two Content"),
    ("section", "Section Header"),
    ("table", "Title and Table"),
    ("image", "Picture with Caption"),
    ("quote", "Quote"),
    ("big_number", "Big Number"),
    ("chart", "Title and Chart"),
];

/// A layout, resolved from a slide's `layout` field or its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Title,
    Bullets,
    TwoColumns,
    Section,
    Table,
    Image,
    Quote,
    BigNumber,
    Chart,
}

impl Layout {
    pub const ALL: [Layout; 9] = [
        Layout::Title,
        Layout::Bullets,
        Layout::TwoColumns,
        Layout::Section,
        Layout::Table,
        Layout::Image,
        Layout::Quote,
        Layout::BigNumber,
        Layout::Chart,
    ];

    pub fn from_name(name: &str) -> Option<Layout> {
        let i = LAYOUTS.iter().position(|(n, _)| *n == name)?;
        Some(Layout::ALL[i])
    }

    fn index(self) -> usize {
        Layout::ALL.iter().position(|l| *l == self).unwrap_or(0)
    }

    /// The spec name, e.g. `two_columns`.
    pub fn name(self) -> &'static str {
        LAYOUTS[self.index()].0
    }

    /// The name PowerPoint shows, e.g. `Two Content`.
    pub fn display_name(self) -> &'static str {
        LAYOUTS[self.index()].1
    }

    /// 1-based number of the layout part (`slideLayoutN.xml`).
    pub fn part_number(self) -> usize {
        self.index() + 1
    }

    /// The spec fields (besides `layout`, `title` and `notes`) this layout
    /// shows.
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            Layout::Title | Layout::Section => &["subtitle"],
            Layout::Bullets => &["bullets"],
            Layout::TwoColumns => &["left", "right", "left_heading", "right_heading"],
            Layout::Table => &["table"],
            Layout::Image => &["image", "caption"],
            Layout::Quote => &["quote", "attribution"],
            Layout::BigNumber => &["number", "caption"],
            Layout::Chart => &["chart"],
        }
    }
}

impl Slide {
    /// The layout this slide uses: its `layout` field when that names one,
    /// else inferred from its fields (`index` is the slide's position).
    pub fn resolved_layout(&self, index: usize) -> Option<Layout> {
        match &self.layout {
            Some(name) => Layout::from_name(name),
            None => Some(self.inferred_layout(index)),
        }
    }

    fn inferred_layout(&self, index: usize) -> Layout {
        if self.chart.is_some() {
            Layout::Chart
        } else if self.table.is_some() {
            Layout::Table
        } else if self.image.is_some() {
            Layout::Image
        } else if self.quote.is_some() {
            Layout::Quote
        } else if self.number.is_some() {
            Layout::BigNumber
        } else if self.left.is_some() || self.right.is_some() {
            Layout::TwoColumns
        } else if self.bullets.is_some() {
            Layout::Bullets
        } else if index == 0 {
            Layout::Title
        } else {
            Layout::Section
        }
    }

    /// The names of the optional fields that are set (for the
    /// shown-by-layout check).
    pub fn present_fields(&self) -> Vec<&'static str> {
        let mut present = Vec::new();
        let mut add = |name, set: bool| {
            if set {
                present.push(name);
            }
        };
        add("subtitle", self.subtitle.is_some());
        add("bullets", self.bullets.is_some());
        add("left", self.left.is_some());
        add("right", self.right.is_some());
        add("left_heading", self.left_heading.is_some());
        add("right_heading", self.right_heading.is_some());
        add("table", self.table.is_some());
        add("image", self.image.is_some());
        add("caption", self.caption.is_some());
        add("quote", self.quote.is_some());
        add("attribution", self.attribution.is_some());
        add("number", self.number.is_some());
        add("chart", self.chart.is_some());
        present
    }
}

impl Cell {
    /// The cell as displayed.
    pub fn text(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Number(n) => n.to_string(),
            Cell::Bool(true) => "Yes".into(),
            Cell::Bool(false) => "No".into(),
            Cell::Empty(()) => String::new(),
        }
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Cell::Number(_))
    }
}
