//! Blocks (headings, paragraphs, lists, tables, ...) and runs of text.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::Deserialize;
use serde::de::SeqAccess;

use super::loose::{self, Item, Loose};
use super::style::{Color, Length};

/// One block of a document. Write it as an object with exactly one key that
/// names the kind, e.g. `{"heading": "Results"}`,
/// `{"paragraph": "Text"}`, `{"list": ["a", "b"]}`,
/// `{"table": {"header": ["A", "B"], "rows": [["1", "2"]]}}`,
/// `{"markdown": "## Notes\n\n- one\n- two"}`. A bare string is a paragraph.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Block {
    /// A heading, level 1 (chapter) to 6. A bare string is a level-1 heading:
    /// `{"heading": "Introduction"}`, or `{"heading": {"text": "Scope", "level": 2}}`.
    Heading(
        /// The heading: a string (level 1) or a heading object.
        #[serde(deserialize_with = "loose::one")]
        #[schemars(with = "Item<Heading>")]
        Heading,
    ),
    /// A paragraph: a string, an array of runs, or an object with `text` and
    /// paragraph options, e.g. `{"paragraph": ["Revenue grew ", {"text": "12%", "bold": true}]}`.
    Paragraph(
        /// The paragraph: a string, an array of runs, or a paragraph object.
        #[serde(deserialize_with = "loose::one")]
        #[schemars(with = "Item<Paragraph>")]
        Paragraph,
    ),
    /// A bulleted or numbered list. An array is a bulleted list of its items:
    /// `{"list": ["Apples", "Pears"]}`; or `{"list": {"ordered": true, "items": [...]}}`.
    List(
        /// The list: an array of items (bullets) or a list object.
        #[serde(deserialize_with = "loose::one")]
        #[schemars(with = "Item<List>")]
        List,
    ),
    /// Shorthand for a bulleted list: `{"bullets": ["one", "two"]}`.
    Bullets(
        /// The items: strings or item objects.
        #[serde(deserialize_with = "loose::many")]
        #[schemars(with = "Vec<Item<ListItem>>")]
        Vec<ListItem>,
    ),
    /// Shorthand for a numbered list (1, 2, 3; nested lists 1.1, 1.1.1):
    /// `{"numbered": ["First step", "Second step"]}`.
    Numbered(
        /// The items: strings or item objects.
        #[serde(deserialize_with = "loose::many")]
        #[schemars(with = "Vec<Item<ListItem>>")]
        Vec<ListItem>,
    ),
    /// A table, e.g. `{"table": {"header": ["Region", "Sales"], "rows": [["North", "1,200"]]}}`.
    Table(
        /// The table: `header`, `rows` and options.
        Table,
    ),
    /// An image from an input asset, by asset name: `{"image": "chart.png"}` or
    /// `{"image": {"asset": "chart.png", "width": "12cm", "caption": "Figure 1"}}`.
    Image(
        /// The image: an asset name or an image object.
        #[serde(deserialize_with = "loose::one")]
        #[schemars(with = "Item<Image>")]
        Image,
    ),
    /// A block quote: a string, or an array of blocks: `{"quote": "Simplicity is prerequisite for reliability."}`.
    Quote(
        /// The quoted text: a string or an array of blocks.
        #[serde(deserialize_with = "loose::blocks")]
        #[schemars(with = "BlocksSchema")]
        Vec<Block>,
    ),
    /// A code block in a monospace font, kept exactly as written (spaces and
    /// line breaks): `{"code": "fn main() {}"}` or `{"code": {"text": "...", "language": "rust"}}`.
    Code(
        /// The code: a string or a code object with `language`.
        #[serde(deserialize_with = "loose::one")]
        #[schemars(with = "Item<Code>")]
        Code,
    ),
    /// A horizontal rule (a thin line across the text width): `{"rule": true}`.
    Rule(
        /// `true`.
        #[serde(deserialize_with = "loose::one")]
        #[schemars(with = "Item<Flag>")]
        Flag,
    ),
    /// Starts a new page: `{"page_break": true}`.
    PageBreak(
        /// `true`.
        #[serde(deserialize_with = "loose::one")]
        #[schemars(with = "Item<Flag>")]
        Flag,
    ),
    /// A table of contents listing the headings: `{"toc": true}` or
    /// `{"toc": {"title": "Contents", "levels": 2}}`.
    Toc(
        /// `true`, or an object with `title` and `levels`.
        #[serde(deserialize_with = "loose::one")]
        #[schemars(with = "Item<Toc>")]
        Toc,
    ),
    /// Markdown (CommonMark with GFM tables, task lists, strikethrough and
    /// footnotes), turned into the same blocks as the structured forms:
    /// `{"markdown": "# Q1\n\nRevenue grew **12%**.\n\n| Region | Sales |\n|---|---:|\n| North | 1,200 |"}`.
    /// Images are `![alt text](asset-name.png "caption")`.
    Markdown(
        /// The Markdown text.
        String,
    ),
}

/// A block read from a bare string is a paragraph.
impl Loose for Block {
    const EXPECTING: &'static str = "a block object with one key naming its kind (e.g. {\"heading\": \"Title\"}) or a string (a paragraph)";
    fn from_string(text: String) -> Option<Self> {
        Some(Block::Paragraph(Paragraph::from(text)))
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![loose::string_form("A paragraph of plain text.")]
    }
}

/// Accepts `true`, `null` or `{}`; its presence is the meaning.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flag {}

impl Loose for Flag {
    const EXPECTING: &'static str = "true or {}";
    fn from_flag(_: Option<bool>) -> Option<Self> {
        Some(Flag {})
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![json_schema!({ "type": ["boolean", "null"], "description": "true" })]
    }
}

/// Horizontal alignment of a paragraph, heading, image or table cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Align {
    /// Flush with the start margin (the right margin in right-to-left text).
    Left,
    /// Centred.
    Center,
    /// Flush with the end margin.
    Right,
    /// Both margins (stretched lines, the last line flush left).
    Justify,
}

/// Vertical alignment of a table cell's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VAlign {
    /// At the top of the cell (the default).
    Top,
    /// In the middle.
    Middle,
    /// At the bottom.
    Bottom,
}

/// Writing direction of a paragraph.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Left to right (Latin, Cyrillic, CJK, ...).
    Ltr,
    /// Right to left (Arabic, Hebrew, Persian, Urdu, ...).
    Rtl,
}

/// A heading.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Heading {
    /// The heading text: a string or an array of runs.
    #[serde(deserialize_with = "loose::runs")]
    #[schemars(with = "RunsSchema")]
    pub text: Vec<Run>,
    /// 1 (top level, e.g. a chapter) to 6. Default 1.
    #[schemars(range(min = 1, max = 6))]
    pub level: u8,
    /// Alignment. Default: left (right for right-to-left text).
    pub align: Option<Align>,
    /// Writing direction. Default: detected from the text (right to left
    /// when the first letter is Arabic, Hebrew or another RTL script).
    pub direction: Option<Direction>,
}

impl Default for Heading {
    fn default() -> Self {
        Heading { text: Vec::new(), level: 1, align: None, direction: None }
    }
}

impl Heading {
    /// A heading of the given level with plain text.
    pub fn new(level: u8, text: impl Into<String>) -> Self {
        Heading { text: vec![Run::from(text.into())], level, ..Heading::default() }
    }
}

impl Loose for Heading {
    const EXPECTING: &'static str =
        "a heading: a string (level 1) or an object like {\"text\": \"Scope\", \"level\": 2}";
    fn from_string(text: String) -> Option<Self> {
        Some(Heading::new(1, text))
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![loose::string_form("A level-1 heading with this text.")]
    }
}

/// A paragraph of text.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Paragraph {
    /// The text: a string, or an array of runs (strings or run objects with
    /// formatting). A `\n` in a run's text is a line break.
    #[serde(deserialize_with = "loose::runs")]
    #[schemars(with = "RunsSchema")]
    pub text: Vec<Run>,
    /// Alignment. Default: left (right for right-to-left text).
    pub align: Option<Align>,
    /// Writing direction. Default: detected from the text (right to left
    /// when the first letter is Arabic, Hebrew or another RTL script).
    pub direction: Option<Direction>,
}

impl From<String> for Paragraph {
    fn from(text: String) -> Self {
        Paragraph { text: vec![Run::from(text)], ..Paragraph::default() }
    }
}

impl Paragraph {
    /// A paragraph of these runs.
    pub fn runs(text: Vec<Run>) -> Self {
        Paragraph { text, ..Paragraph::default() }
    }
}

impl Loose for Paragraph {
    const EXPECTING: &'static str =
        "a paragraph: a string, an array of runs, or an object with \"text\"";
    fn from_string(text: String) -> Option<Self> {
        Some(Paragraph::from(text))
    }
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Option<Result<Self, A::Error>> {
        Some(loose::seq_items::<A, Run>(seq).map(Paragraph::runs))
    }
    fn short_forms(generator: &mut SchemaGenerator) -> Vec<Schema> {
        vec![loose::string_form("Plain text."), loose::array_of::<Item<Run>>(generator)]
    }
}

/// A run: a stretch of text with one formatting. A bare string is plain text.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Run {
    /// The text. `\n` is a line break. May be empty for a footnote mark alone.
    pub text: String,
    /// Bold. Default false.
    pub bold: bool,
    /// Italic. Default false.
    pub italic: bool,
    /// Single underline. Default false.
    pub underline: bool,
    /// Strikethrough. Default false.
    pub strike: bool,
    /// Inline code, in the theme's monospace font. Default false.
    pub code: bool,
    /// Superscript (raised, smaller), e.g. the "2" of "m²". Default false.
    pub superscript: bool,
    /// Subscript (lowered, smaller), e.g. the "2" of "H₂O". Default false.
    pub subscript: bool,
    /// Text colour, e.g. "#C00000" or "red". Default: the theme's text colour
    /// (links: the theme's link colour).
    pub color: Option<Color>,
    /// Background highlight colour, e.g. "yellow" or "#FFF2CC". Default none.
    pub highlight: Option<Color>,
    /// Font size in points, e.g. 14. Default: the surrounding size.
    pub size: Option<f32>,
    /// Font family name, e.g. "Georgia". Default: the theme's body font.
    pub font: Option<String>,
    /// Makes the run a hyperlink to this URL, e.g. "https://example.com" or
    /// "mailto:team@example.com".
    pub link: Option<String>,
    /// A footnote attached after this run: its mark follows the text and its
    /// content (a string or blocks) is shown at the foot of the page, e.g.
    /// `{"text": "Revenue grew 12%", "footnote": "Unaudited figures."}`.
    #[serde(deserialize_with = "loose::option_blocks")]
    #[schemars(with = "Option<BlocksSchema>")]
    pub footnote: Option<Vec<Block>>,
}

impl From<String> for Run {
    fn from(text: String) -> Self {
        Run { text, ..Run::default() }
    }
}

impl From<&str> for Run {
    fn from(text: &str) -> Self {
        Run::from(text.to_owned())
    }
}

impl Run {
    /// Whether two runs look the same (everything but text and footnote),
    /// so that adjacent ones can be merged.
    pub fn same_format(&self, other: &Run) -> bool {
        self.bold == other.bold
            && self.italic == other.italic
            && self.underline == other.underline
            && self.strike == other.strike
            && self.code == other.code
            && self.superscript == other.superscript
            && self.subscript == other.subscript
            && self.color == other.color
            && self.highlight == other.highlight
            && self.size == other.size
            && self.font == other.font
            && self.link == other.link
    }
}

impl Loose for Run {
    const EXPECTING: &'static str =
        "a run: a string or an object like {\"text\": \"12%\", \"bold\": true}";
    fn from_string(text: String) -> Option<Self> {
        Some(Run::from(text))
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![loose::string_form("Plain text.")]
    }
}

/// Text as `loose::runs` reads it: a string, or an array of runs (schema only).
pub(crate) struct RunsSchema;

impl JsonSchema for RunsSchema {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Runs".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        loose::any_of(vec![
            loose::string_form("Plain text."),
            loose::array_of::<Item<Run>>(generator),
        ])
    }
}

/// Blocks, or a string standing for one paragraph (schema only).
pub(crate) struct BlocksSchema;

impl JsonSchema for BlocksSchema {
    fn inline_schema() -> bool {
        true
    }
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Blocks".into()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        loose::any_of(vec![
            loose::string_form("One paragraph of plain text."),
            loose::array_of::<Item<Block>>(generator),
        ])
    }
}

/// A bulleted or numbered list.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct List {
    /// The items, in order: strings, or item objects (with nested `items`).
    #[serde(deserialize_with = "loose::many")]
    #[schemars(with = "Vec<Item<ListItem>>")]
    pub items: Vec<ListItem>,
    /// true for a numbered list (1, 2, 3; nested levels 1.1, 1.1.1), false
    /// for bullets. Default false.
    pub ordered: bool,
    /// The first number of a numbered list. Default 1.
    pub start: Option<u32>,
}

impl Loose for List {
    const EXPECTING: &'static str =
        "a list: an array of items (bullets) or an object with \"items\" and \"ordered\"";
    fn from_seq<'de, A: SeqAccess<'de>>(seq: A) -> Option<Result<Self, A::Error>> {
        Some(loose::seq_items::<A, ListItem>(seq).map(|items| List { items, ..List::default() }))
    }
    fn short_forms(generator: &mut SchemaGenerator) -> Vec<Schema> {
        vec![loose::array_of::<Item<ListItem>>(generator)]
    }
}

/// One list item. A bare string is an item of plain text.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ListItem {
    /// The item's text: a string or an array of runs.
    #[serde(deserialize_with = "loose::runs")]
    #[schemars(with = "RunsSchema")]
    pub text: Vec<Run>,
    /// Further blocks of the item after its text (paragraphs, code, tables, ...).
    #[serde(deserialize_with = "loose::many")]
    #[schemars(with = "Vec<Item<Block>>")]
    pub blocks: Vec<Block>,
    /// A nested list under this item, of the same kind (bullets or numbers)
    /// as this list: `{"text": "Fruit", "items": ["Apple", "Pear"]}`.
    #[serde(deserialize_with = "loose::many")]
    #[schemars(with = "Vec<Item<ListItem>>")]
    pub items: Vec<ListItem>,
    /// Makes the item a task: true shows a ticked box (☑), false an empty
    /// box (☐). Default: no box.
    pub checked: Option<bool>,
}

impl Loose for ListItem {
    const EXPECTING: &'static str =
        "a list item: a string or an object like {\"text\": \"Fruit\", \"items\": [\"Apple\"]}";
    fn from_string(text: String) -> Option<Self> {
        Some(ListItem { text: vec![Run::from(text)], ..ListItem::default() })
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![loose::string_form("An item of plain text.")]
    }
}

/// Which lines a table draws.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Borders {
    /// Every cell boxed (the default).
    #[default]
    All,
    /// Lines between rows only, none between columns.
    Horizontal,
    /// The outer frame only.
    Outer,
    /// No lines.
    None,
}

/// A table: an optional header row, then rows of cells.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Table {
    /// The header row (bold, shaded, repeated at the top of every page the
    /// table spans), e.g. `["Region", "Q1", "Q2"]`. Optional.
    #[serde(deserialize_with = "loose::many")]
    #[schemars(with = "Vec<Item<Cell>>")]
    pub header: Vec<Cell>,
    /// The rows, each an array of cells (strings, numbers or cell objects).
    /// Every row must cover the same number of columns, counting `colspan`
    /// and the cells that `rowspan`s from rows above reach into.
    #[schemars(with = "Vec<Vec<Item<Cell>>>")]
    #[serde(deserialize_with = "loose::rows")]
    pub rows: Vec<Vec<Cell>>,
    /// How many of the first `rows` are header rows too (besides `header`).
    /// Default 0.
    pub header_rows: u32,
    /// Relative column widths, one per column, e.g. `[3, 1, 1]` (the first
    /// column three times as wide). Default: equal widths.
    pub widths: Vec<f32>,
    /// Alignment of each column's cells, e.g. `["left", "right", "right"]`.
    /// A cell's own `align` wins. Default: left.
    pub align: Vec<Align>,
    /// Which lines to draw: "all" (default), "horizontal", "outer" or "none".
    pub borders: Borders,
    /// Background colour of the header rows. Default: a light tint of the
    /// theme's accent colour.
    pub header_fill: Option<Color>,
    /// Shades every other body row lightly. Default false.
    pub striped: bool,
}

/// One table cell. A bare string or number is a cell of plain text.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Cell {
    /// The cell's text: a string or an array of runs.
    #[serde(deserialize_with = "loose::runs")]
    #[schemars(with = "RunsSchema")]
    pub text: Vec<Run>,
    /// Further blocks in the cell after its text (paragraphs, lists, ...).
    #[serde(deserialize_with = "loose::many")]
    #[schemars(with = "Vec<Item<Block>>")]
    pub blocks: Vec<Block>,
    /// How many columns the cell spans. Default 1.
    #[schemars(range(min = 1))]
    pub colspan: u32,
    /// How many rows the cell spans (the rows below leave out a cell at
    /// this position). Default 1.
    #[schemars(range(min = 1))]
    pub rowspan: u32,
    /// Horizontal alignment. Default: the column's `align`, else left.
    pub align: Option<Align>,
    /// Vertical alignment: "top" (default), "middle" or "bottom".
    pub valign: Option<VAlign>,
    /// Background colour, e.g. "#E2EFDA". Default none (header rows: the
    /// table's `header_fill`).
    pub fill: Option<Color>,
}

impl Default for Cell {
    fn default() -> Self {
        Cell {
            text: Vec::new(),
            blocks: Vec::new(),
            colspan: 1,
            rowspan: 1,
            align: None,
            valign: None,
            fill: None,
        }
    }
}

impl Cell {
    /// A cell of plain text.
    pub fn text(text: impl Into<String>) -> Self {
        Cell { text: vec![Run::from(text.into())], ..Cell::default() }
    }
}

impl Loose for Cell {
    const EXPECTING: &'static str =
        "a table cell: a string, a number, or an object like {\"text\": \"Total\", \"colspan\": 2}";
    fn from_string(text: String) -> Option<Self> {
        Some(Cell::text(text))
    }
    fn from_flag(flag: Option<bool>) -> Option<Self> {
        Some(match flag {
            Some(b) => Cell::text(b.to_string()),
            None => Cell::default(),
        })
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![json_schema!({
            "type": ["string", "number", "boolean", "null"],
            "description": "A cell of plain text (numbers are shown as written; null is an empty cell)."
        })]
    }
}

/// An image from an input asset: PNG or JPEG, or SVG when generating a PDF
/// (drawn as vectors, its text selectable).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Image {
    /// The name of the job's input asset, e.g. "logo.png".
    pub asset: String,
    /// Displayed width: points (a number) or a length such as "8cm", "3in",
    /// "60mm", "400px". Default: from the image's pixel size (96 pixels per
    /// inch; keeping the aspect ratio when only `height` is given), never
    /// wider than the text.
    pub width: Option<Length>,
    /// Displayed height, as for `width`. Default: keeps the aspect ratio.
    pub height: Option<Length>,
    /// Alternative text for screen readers, e.g. "Bar chart of sales by region".
    pub alt: Option<String>,
    /// A caption shown under the image, e.g. "Figure 1: Sales by region".
    pub caption: Option<String>,
    /// Alignment: "left", "center" (default) or "right".
    pub align: Option<Align>,
}

impl Loose for Image {
    const EXPECTING: &'static str =
        "an image: an asset name or an object like {\"asset\": \"chart.png\", \"width\": \"12cm\"}";
    fn from_string(asset: String) -> Option<Self> {
        Some(Image { asset, ..Image::default() })
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![loose::string_form("The asset name of the image.")]
    }
}

/// A code block.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Code {
    /// The code, with its line breaks and indentation.
    pub text: String,
    /// The language, e.g. "python" (shown to readers as a label; no colouring).
    pub language: Option<String>,
}

impl Loose for Code {
    const EXPECTING: &'static str =
        "a code block: a string or an object like {\"text\": \"...\", \"language\": \"sql\"}";
    fn from_string(text: String) -> Option<Self> {
        Some(Code { text, language: None })
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![loose::string_form("The code.")]
    }
}

/// A table of contents.
#[derive(Clone, Debug, PartialEq, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Toc {
    /// The title above it. Default "Contents"; "" for none.
    pub title: String,
    /// The deepest heading level listed, 1 to 6. Default 3.
    #[schemars(range(min = 1, max = 6))]
    pub levels: u8,
}

impl Default for Toc {
    fn default() -> Self {
        Toc { title: "Contents".into(), levels: 3 }
    }
}

impl Loose for Toc {
    const EXPECTING: &'static str =
        "true or an object like {\"title\": \"Contents\", \"levels\": 2}";
    fn from_flag(_: Option<bool>) -> Option<Self> {
        Some(Toc::default())
    }
    fn short_forms(_: &mut SchemaGenerator) -> Vec<Schema> {
        vec![
            json_schema!({ "type": ["boolean", "null"], "description": "true: the default table of contents." }),
        ]
    }
}
