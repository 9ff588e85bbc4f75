//! The workbook spec: what a job asks for, as parsed from JSON.
//!
//! These types are the plugin's JSON Schema: their doc comments are the
//! descriptions a chat model reads, so each says what a field is, its
//! allowed values, its default and an example. Every struct rejects unknown
//! fields. Shapes with a compact form (a bare cell value, a row as a plain
//! array, a style by name) are parsed, and described, in `de.rs`.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use kiln_plugin_sdk::schemars::JsonSchema;
use serde::Deserialize;

/// An Excel workbook: sheets of rows of typed cells with styles, formulas
/// (with cached results), merged cells, tables, charts and drop-down lists.
/// Cells are addressed in A1 notation (column letters, then the 1-based row
/// number). Unknown fields are rejected.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub struct Spec {
    /// Name of the output file, ending in .xlsx, without folders, e.g.
    /// "q3-sales.xlsx". Default "workbook.xlsx".
    #[schemars(length(min = 6, max = 255))]
    pub(crate) file_name: Option<String>,
    /// Document properties (title, author, ...), shown in Excel under
    /// File > Info.
    #[serde(default)]
    pub(crate) properties: Properties,
    /// Named styles, referred to by name from columns, rows, cells, headers
    /// and merges, e.g. {"money": {"num_format": "$#,##0.00"}, "th":
    /// {"bold": true, "fill_color": "#D9E1F2"}}.
    #[serde(default)]
    pub(crate) styles: BTreeMap<String, Style>,
    /// The worksheets, in tab order (at least one); the first is active
    /// when the file opens.
    #[schemars(length(min = 1))]
    pub(crate) sheets: Vec<Sheet>,
}

/// Document properties, shown in Excel under File > Info. All optional.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Properties {
    /// Document title, e.g. "Q3 Sales Report".
    pub(crate) title: Option<String>,
    /// Subject, e.g. "Regional sales".
    pub(crate) subject: Option<String>,
    /// Author, e.g. "Finance team".
    pub(crate) author: Option<String>,
    /// Manager.
    pub(crate) manager: Option<String>,
    /// Company.
    pub(crate) company: Option<String>,
    /// Category, e.g. "Reports".
    pub(crate) category: Option<String>,
    /// Keywords, as one string or a list (joined with commas), e.g.
    /// ["sales", "2026"].
    pub(crate) keywords: Option<Keywords>,
    /// Comments.
    pub(crate) comments: Option<String>,
    /// Creation date-time in UTC, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, e.g.
    /// "2026-03-31T09:00:00Z". Default 2000-01-01T00:00:00Z, so the same
    /// spec always yields the same file. TODAY() in formulas is this date.
    pub(crate) created: Option<String>,
}

/// Keywords as one string or a list, stored joined with `", "`.
#[derive(Debug)]
pub(crate) struct Keywords(pub(crate) String);

/// A cell style. Every field is optional. When a column style, a row style
/// and a cell style all apply to one cell, they are layered in that order
/// and fields set by a later layer win.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Style {
    /// Name of another style in the top-level `styles` map that this style
    /// extends; fields set here override it. E.g. "money".
    pub(crate) base: Option<String>,
    /// Bold font.
    pub(crate) bold: Option<bool>,
    /// Italic font.
    pub(crate) italic: Option<bool>,
    /// Single underline.
    pub(crate) underline: Option<bool>,
    /// Strike-through font.
    pub(crate) strikethrough: Option<bool>,
    /// Font family, e.g. "Calibri" (the default) or "Arial".
    #[schemars(length(min = 1))]
    pub(crate) font_name: Option<String>,
    /// Font size in points, 1 to 409 (default 11).
    pub(crate) font_size: Option<Points>,
    /// Font colour as #RRGGBB, e.g. "#1F4E78".
    pub(crate) font_color: Option<String>,
    /// Solid background fill as #RRGGBB, e.g. "#D9E1F2".
    pub(crate) fill_color: Option<String>,
    /// Border style on all four sides, e.g. "thin".
    pub(crate) border: Option<Border>,
    /// Colour of all borders as #RRGGBB (default black).
    pub(crate) border_color: Option<String>,
    /// Top border style (overrides `border` for that side).
    pub(crate) border_top: Option<Border>,
    /// Bottom border style (overrides `border` for that side).
    pub(crate) border_bottom: Option<Border>,
    /// Left border style (overrides `border` for that side).
    pub(crate) border_left: Option<Border>,
    /// Right border style (overrides `border` for that side).
    pub(crate) border_right: Option<Border>,
    /// Horizontal alignment (default general: text left, numbers right).
    pub(crate) align: Option<HAlign>,
    /// Vertical alignment (Excel's default is bottom).
    pub(crate) valign: Option<VAlign>,
    /// Wrap long text onto several lines within the cell.
    pub(crate) wrap: Option<bool>,
    /// Indentation level of the text, 0 to 15.
    #[schemars(range(max = 15))]
    pub(crate) indent: Option<u8>,
    /// Excel number format code, e.g. "#,##0", "$#,##0.00", "0.0%",
    /// "yyyy-mm-dd", "mmm yyyy", "hh:mm", "@" (text).
    #[schemars(length(min = 1))]
    pub(crate) num_format: Option<String>,
}

/// A size in points; hashed by its bits so styles can key a format cache.
#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Points(pub(crate) f64);

impl PartialEq for Points {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Points {}

impl Hash for Points {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.0.to_bits().hash(state);
    }
}

/// A border line style.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum Border {
    None,
    Thin,
    Medium,
    Thick,
    Dashed,
    Dotted,
    Double,
    Hair,
}

/// Horizontal alignment: `center_across` centres over the empty cells to
/// the right, like a merge without merging.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum HAlign {
    General,
    Left,
    Center,
    Right,
    Fill,
    Justify,
    CenterAcross,
    Distributed,
}

/// Vertical alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum VAlign {
    Top,
    Center,
    Bottom,
    Justify,
    Distributed,
}

/// A style given by name (a key of `styles`) or inline.
#[derive(Debug, Clone)]
pub(crate) enum StyleRef {
    Named(String),
    Inline(Box<Style>),
}

/// One cell: a value and an optional style.
#[derive(Debug)]
pub(crate) struct Cell {
    pub(crate) value: Value,
    pub(crate) style: Option<StyleRef>,
    /// For a formula: the result the spec states, stored when the formula
    /// cannot be computed here.
    pub(crate) cached: Option<Cached>,
}

/// A result given with a formula (`{"formula": ..., "value": ...}`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cached {
    Number(f64),
    Text(String),
    Bool(bool),
}

#[derive(Debug)]
pub(crate) enum Value {
    /// Nothing; written only when the cell has a style.
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    /// Formula text without the leading `=`.
    Formula(String),
    Date(String),
    DateTime(String),
    Time(String),
    Link(Box<Link>),
}

#[derive(Debug)]
pub(crate) struct Link {
    pub(crate) url: String,
    pub(crate) text: Option<String>,
    pub(crate) tip: Option<String>,
}

/// A row of cells, placed left to right.
#[derive(Debug, Default)]
pub(crate) struct Row {
    pub(crate) cells: Vec<Cell>,
    pub(crate) style: Option<StyleRef>,
    pub(crate) height: Option<f64>,
    /// Where this row's first cell goes; later rows follow below it.
    pub(crate) at: Option<String>,
    /// Written as an object (cells under `/cells`) rather than an array.
    pub(crate) object: bool,
}

/// One worksheet.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Sheet {
    /// Sheet name: 1 to 31 characters, none of [ ] : * ? / \, not starting
    /// or ending with an apostrophe, not "History", unique in the workbook
    /// ignoring case. E.g. "Sales 2026".
    #[schemars(length(min = 1, max = 31))]
    pub(crate) name: String,
    /// Where the header (or, without a header, the first row) starts.
    /// Default "A1".
    pub(crate) start: Option<String>,
    /// Column settings keyed by column letter or span, e.g. {"A": {"width":
    /// 30}, "B:D": {"width": 12, "num_format": "$#,##0"}}. Spans must not
    /// overlap.
    #[serde(default)]
    pub(crate) columns: BTreeMap<String, Column>,
    /// Header cells, placed left to right at `start`; the rows follow below.
    /// Styled with `header_style`. E.g. ["Region", "Q1", "Q2"].
    pub(crate) header: Option<Vec<Cell>>,
    /// Style of the header cells (default: bold on a light blue fill with a
    /// thin bottom border).
    pub(crate) header_style: Option<StyleRef>,
    /// The data rows, one below the other, starting below the header (or at
    /// `start` without a header). E.g. [["North", 120, 135], ["South", 98,
    /// 110]].
    #[serde(default)]
    pub(crate) rows: Vec<Row>,
    /// Merged cell blocks.
    #[serde(default)]
    pub(crate) merges: Vec<Merge>,
    /// Frozen panes: the first cell that scrolls ("B2" freezes row 1 and
    /// column A), or counts ({"rows": 1} freezes the top row).
    pub(crate) freeze: Option<Freeze>,
    /// Filter buttons on a header row: true for the header and rows of this
    /// sheet, or a range such as "A1:F50" whose first row holds the headers.
    /// Not over a table (tables have their own).
    pub(crate) autofilter: Option<AutoFilter>,
    /// Excel tables over blocks of cells; they must not overlap each other
    /// or merges.
    #[serde(default)]
    pub(crate) tables: Vec<Table>,
    /// Charts placed on this sheet.
    #[serde(default)]
    pub(crate) charts: Vec<Chart>,
    /// Drop-down lists restricting what can be typed into cells.
    #[serde(default)]
    pub(crate) validations: Vec<Validation>,
    /// Colour of the sheet's tab as #RRGGBB, e.g. "#70AD47".
    pub(crate) tab_color: Option<String>,
    /// Show the gridlines on screen (default true).
    pub(crate) gridlines: Option<bool>,
    /// Zoom in percent, 10 to 400 (default 100).
    #[schemars(range(min = 10, max = 400))]
    pub(crate) zoom: Option<u16>,
    /// How the sheet prints (and converts to PDF): orientation, paper,
    /// margins, fitting, print area, repeated header rows, header and
    /// footer, page breaks. Default: portrait on Letter paper, all columns
    /// fitted to one page wide, as many pages tall as needed.
    pub(crate) page: Option<PageSetup>,
    /// Hide this sheet's tab (default false). At least one sheet stays
    /// visible; the first visible sheet is the one shown on opening.
    pub(crate) hidden: Option<bool>,
    /// Notes (comments) attached to cells, shown when the mouse is over the
    /// cell, e.g. [{"cell": "B2", "text": "Estimate"}].
    #[serde(default)]
    pub(crate) comments: Vec<Comment>,
    /// Conditional formats: cell rules, formula rules, colour scales and
    /// data bars over ranges.
    #[serde(default)]
    pub(crate) conditional_formats: Vec<ConditionalFormat>,
    /// Pictures from the job's input assets, placed over cells.
    #[serde(default)]
    pub(crate) images: Vec<ImageSpec>,
}

/// A note on one cell.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Comment {
    /// The cell the note belongs to, e.g. "B2".
    pub(crate) cell: String,
    /// The note's text, e.g. "Includes the Q4 bonus".
    pub(crate) text: String,
    /// Who wrote it (default none), e.g. "Finance".
    pub(crate) author: Option<String>,
}

/// A picture from an input asset (PNG or JPEG), placed with its top-left
/// corner on a cell.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct ImageSpec {
    /// The name of the job's input asset, e.g. "logo.png".
    pub(crate) asset: String,
    /// Top-left cell, e.g. "A1".
    pub(crate) at: String,
    /// Width in pixels (default: the picture's own; the height follows
    /// unless given).
    #[schemars(range(min = 1, max = 10000))]
    pub(crate) width: Option<u32>,
    /// Height in pixels (default: the picture's own, scaled with `width`).
    #[schemars(range(min = 1, max = 10000))]
    pub(crate) height: Option<u32>,
    /// Text describing the picture for screen readers.
    pub(crate) alt_text: Option<String>,
}

/// A conditional format on a range. Give exactly one rule: `cell`,
/// `formula`, `color_scale` or `data_bar`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct ConditionalFormat {
    /// The cells formatted, e.g. "D2:D50".
    pub(crate) range: String,
    /// Format cells whose value meets a comparison, e.g. {"operator":
    /// "less_than", "value": 0, "style": {"font_color": "#C00000"}}.
    pub(crate) cell: Option<CellRule>,
    /// Format cells where a formula is TRUE, written for the range's
    /// top-left cell, e.g. {"formula": "=$E2=\"Late\"", "style":
    /// {"fill_color": "#FFC7CE"}}.
    pub(crate) formula: Option<FormulaRule>,
    /// Shade cells from one colour (lowest) to another (highest), with an
    /// optional midpoint colour, e.g. {"min_color": "#F8696B", "mid_color":
    /// "#FFEB84", "max_color": "#63BE7B"}.
    pub(crate) color_scale: Option<ColorScale>,
    /// Draw a bar in each cell proportional to its value, e.g. {"color":
    /// "#638EC6"}.
    pub(crate) data_bar: Option<DataBar>,
}

/// A comparison rule of a conditional format.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct CellRule {
    /// The comparison.
    pub(crate) operator: CellOperator,
    /// The number compared with (the lower bound for `between` and
    /// `not_between`).
    pub(crate) value: f64,
    /// The upper bound, only for `between` and `not_between`.
    pub(crate) to: Option<f64>,
    /// The style applied where the rule holds (font, fill, border and
    /// number format), a name from `styles` or inline.
    pub(crate) style: StyleRef,
}

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum CellOperator {
    EqualTo,
    NotEqualTo,
    GreaterThan,
    GreaterThanOrEqualTo,
    LessThan,
    LessThanOrEqualTo,
    Between,
    NotBetween,
}

/// A formula rule of a conditional format.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct FormulaRule {
    /// A formula that is TRUE where the style applies, relative to the
    /// range's top-left cell, e.g. "=$C2>$B2".
    pub(crate) formula: String,
    /// The style applied where the formula is TRUE.
    pub(crate) style: StyleRef,
}

/// A two- or three-colour scale.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct ColorScale {
    /// Colour of the lowest value as #RRGGBB (default "#F8696B", red).
    pub(crate) min_color: Option<String>,
    /// Colour of the 50th percentile as #RRGGBB; without it the scale has
    /// two colours.
    pub(crate) mid_color: Option<String>,
    /// Colour of the highest value as #RRGGBB (default "#63BE7B", green).
    pub(crate) max_color: Option<String>,
}

/// A data bar.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct DataBar {
    /// Bar colour as #RRGGBB (default "#638EC6", blue).
    pub(crate) color: Option<String>,
}

/// Page setup for printing. Every field is optional.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct PageSetup {
    /// "portrait" (default) or "landscape" (for wide tables).
    pub(crate) orientation: Option<Orientation>,
    /// Paper size (default "letter").
    pub(crate) paper: Option<Paper>,
    /// Margins in inches.
    pub(crate) margins: Option<Margins>,
    /// Shrink the printout to at most this many pages wide; 0 means no
    /// limit. Default 1 (every column on one page width), unless
    /// `row_breaks` are given (Excel ignores manual breaks when fitting).
    #[schemars(range(max = 32767))]
    pub(crate) fit_width: Option<u16>,
    /// Shrink the printout to at most this many pages tall; 0 (default)
    /// means as many as needed.
    #[schemars(range(max = 32767))]
    pub(crate) fit_height: Option<u16>,
    /// Print only this range, e.g. "A1:F40" (default: everything written).
    pub(crate) print_area: Option<String>,
    /// Rows printed at the top of every page, e.g. "1" (the header row) or
    /// "1:2".
    pub(crate) repeat_rows: Option<String>,
    /// Text at the top of every page.
    pub(crate) header: Option<HeaderFooter>,
    /// Text at the bottom of every page, e.g. {"center": "Page {page} of
    /// {pages}"}.
    pub(crate) footer: Option<HeaderFooter>,
    /// Manual page breaks: each number is a row (1-based) that starts a
    /// new page, e.g. [31, 61].
    #[serde(default)]
    pub(crate) row_breaks: Vec<u32>,
    /// Centre the printout between the left and right margins (default
    /// false).
    pub(crate) center_horizontally: Option<bool>,
}

/// Page orientation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum Orientation {
    Portrait,
    Landscape,
}

/// Paper size: letter (8.5 x 11 in), legal (8.5 x 14 in), tabloid (11 x
/// 17 in), a3, a4, a5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum Paper {
    Letter,
    Legal,
    Tabloid,
    A3,
    A4,
    A5,
}

/// Page margins in inches, each 0 to 10. Unset sides keep Excel's defaults
/// (0.7 left and right, 0.75 top and bottom, 0.3 header and footer).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Margins {
    /// Top margin in inches, e.g. 0.75.
    #[schemars(range(min = 0, max = 10))]
    pub(crate) top: Option<f64>,
    /// Bottom margin in inches.
    #[schemars(range(min = 0, max = 10))]
    pub(crate) bottom: Option<f64>,
    /// Left margin in inches.
    #[schemars(range(min = 0, max = 10))]
    pub(crate) left: Option<f64>,
    /// Right margin in inches.
    #[schemars(range(min = 0, max = 10))]
    pub(crate) right: Option<f64>,
    /// Distance of the header from the top edge, in inches.
    #[schemars(range(min = 0, max = 10))]
    pub(crate) header: Option<f64>,
    /// Distance of the footer from the bottom edge, in inches.
    #[schemars(range(min = 0, max = 10))]
    pub(crate) footer: Option<f64>,
}

/// A page header or footer in three parts. The text may hold the
/// placeholders {page} (page number), {pages} (page count), {sheet} (sheet
/// name), {file} (file name), {date} and {time} (when printed). At most 255
/// characters in all.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct HeaderFooter {
    /// Left-aligned text, e.g. "{sheet}".
    pub(crate) left: Option<String>,
    /// Centred text, e.g. "Page {page} of {pages}".
    pub(crate) center: Option<String>,
    /// Right-aligned text, e.g. "Confidential".
    pub(crate) right: Option<String>,
}

/// Settings for one column or a span of columns.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Column {
    /// Width in characters of the default font, 0 to 255 (Excel's default
    /// is about 8.43), e.g. 14.
    #[schemars(range(min = 0, max = 255))]
    pub(crate) width: Option<f64>,
    /// Style for the whole column: applied to every cell written in it
    /// (under row and cell styles) and to its empty cells.
    pub(crate) style: Option<StyleRef>,
    /// Number format for the column, a shortcut for a style with only
    /// `num_format` (overrides the column style's format), e.g.
    /// "$#,##0.00".
    #[schemars(length(min = 1))]
    pub(crate) num_format: Option<String>,
    /// Hide the column (default false).
    pub(crate) hidden: Option<bool>,
}

/// Frozen panes: the first scrolling cell (`"B2"`), or counts.
#[derive(Debug)]
pub(crate) enum Freeze {
    Cell(String),
    Counts { rows: u32, columns: u32 },
}

#[derive(Debug)]
pub(crate) enum AutoFilter {
    /// Over the header and rows of the sheet (or nothing when `false`).
    Auto(bool),
    Range(String),
}

/// A merged block of cells showing one value.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Merge {
    /// The cells to merge, at least two, e.g. "A1:E1". Must not overlap
    /// other merges, tables or formula cells written by rows.
    pub(crate) range: String,
    /// The value shown, in any cell form (e.g. "Invoice", 42, {"formula":
    /// "=SUM(B2:B9)"}). If omitted, the value the rows put in the top-left
    /// cell is shown, and other cells in the range must be empty.
    pub(crate) value: Option<Cell>,
    /// Style of the merged block (layered over the value's own style).
    pub(crate) style: Option<StyleRef>,
}

/// An Excel table (a formatted, filterable list) over a block of cells
/// written by the rows. The range includes the header row and, with
/// `total_row`, the total row as its last row.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Table {
    /// The table's cells including its header row (and total row), e.g.
    /// "A1:F6".
    pub(crate) range: String,
    /// Table name used in structured references: starts with a letter or
    /// underscore, then letters, digits, underscores or periods; no spaces;
    /// not a cell reference like "A1" or "R2C3"; unique in the workbook
    /// (ignoring case). Default: Table1, Table2, ...
    pub(crate) name: Option<String>,
    /// Table style: "Light 1" to "Light 21", "Medium 1" to "Medium 28"
    /// (default "Medium 9"), "Dark 1" to "Dark 11", or "None".
    pub(crate) style: Option<String>,
    /// The first row of the range holds column headers (default true).
    /// Header text comes from `columns[].header`, else from the text the
    /// rows put there, else Column1, Column2, ...
    pub(crate) header_row: Option<bool>,
    /// The last row of the range is a total row filled from
    /// `columns[].total`/`total_label` (default false). Leave those cells
    /// empty in the rows.
    pub(crate) total_row: Option<bool>,
    /// Alternate row shading (default true).
    pub(crate) banded_rows: Option<bool>,
    /// Alternate column shading (default false).
    pub(crate) banded_columns: Option<bool>,
    /// Emphasise the first column (default false).
    pub(crate) first_column: Option<bool>,
    /// Emphasise the last column (default false).
    pub(crate) last_column: Option<bool>,
    /// Show filter buttons in the header row (default true).
    pub(crate) autofilter: Option<bool>,
    /// Per-column options, left to right; may be shorter than the table.
    #[serde(default)]
    pub(crate) columns: Vec<TableColumn>,
}

/// Options for one table column.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct TableColumn {
    /// Header text (overrides the text in the header cell). Headers must
    /// differ, ignoring case.
    pub(crate) header: Option<String>,
    /// Function for this column's cell in the total row. Needs `total_row`.
    pub(crate) total: Option<TotalFunction>,
    /// Text for this column's cell in the total row, e.g. "Total". Needs
    /// `total_row`.
    pub(crate) total_label: Option<String>,
}

/// A total-row function: `count` counts non-empty cells, `count_numbers`
/// counts numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum TotalFunction {
    Sum,
    Average,
    Count,
    CountNumbers,
    Max,
    Min,
    StdDev,
    Var,
}

/// A chart placed on this sheet, drawing ranges of any sheet.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Chart {
    /// Chart type, e.g. "column".
    #[serde(rename = "type")]
    pub(crate) kind: ChartKind,
    /// Chart title, e.g. "Revenue by region".
    pub(crate) title: Option<String>,
    /// The data series, at least one.
    #[serde(default)]
    pub(crate) series: Vec<Series>,
    /// The axis the categories (`series.categories`) run along: horizontal
    /// for column, line, area and radar charts, vertical for `bar` charts;
    /// for scatter charts the horizontal X value axis. Takes `title`,
    /// `num_format` and `gridlines`; `min`/`max` only on scatter charts. Not
    /// for pie or doughnut. E.g. {"title": "Quarter"}.
    pub(crate) category_axis: Option<Axis>,
    /// The axis the values (`series.values`) are measured on: vertical for
    /// column, line, area and scatter charts, horizontal for `bar` charts.
    /// Takes `title`, `num_format`, `gridlines`, `min` and `max`. Not for
    /// pie or doughnut. E.g. {"title": "Revenue (USD)", "num_format":
    /// "$#,##0", "min": 0}.
    pub(crate) value_axis: Option<Axis>,
    /// Top-left cell where the chart is placed, e.g. "H2". Default: two
    /// columns right of the sheet's data, charts stacked downwards.
    pub(crate) at: Option<String>,
    /// Width in pixels, 1 to 10000 (default 480).
    #[schemars(range(min = 1, max = 10000))]
    pub(crate) width: Option<u32>,
    /// Height in pixels, 1 to 10000 (default 288).
    #[schemars(range(min = 1, max = 10000))]
    pub(crate) height: Option<u32>,
    /// Legend position (default right), or none to hide it.
    pub(crate) legend: Option<Legend>,
    /// Excel chart style number, 1 to 48 (default 2).
    #[schemars(range(min = 1, max = 48))]
    pub(crate) style: Option<u8>,
}

/// Chart type: `column` (vertical bars), `bar` (horizontal bars), `line`,
/// `area`, each optionally `_stacked` or `_percent_stacked`; `pie` and
/// `doughnut` (one series; no axes); `radar`; `scatter` (markers),
/// `scatter_lines`, `scatter_smooth` (numbers against numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum ChartKind {
    Area,
    AreaStacked,
    AreaPercentStacked,
    Bar,
    BarStacked,
    BarPercentStacked,
    Column,
    ColumnStacked,
    ColumnPercentStacked,
    Line,
    LineStacked,
    LinePercentStacked,
    Pie,
    Doughnut,
    Radar,
    Scatter,
    ScatterLines,
    ScatterSmooth,
}

impl ChartKind {
    pub(crate) fn has_axes(self) -> bool {
        !matches!(self, ChartKind::Pie | ChartKind::Doughnut)
    }

    /// Horizontal bars: the category axis is vertical.
    pub(crate) fn is_bar(self) -> bool {
        matches!(self, ChartKind::Bar | ChartKind::BarStacked | ChartKind::BarPercentStacked)
    }

    /// Scatter charts plot numbers against numbers: both axes have bounds.
    pub(crate) fn is_scatter(self) -> bool {
        matches!(self, ChartKind::Scatter | ChartKind::ScatterLines | ChartKind::ScatterSmooth)
    }
}

/// One data series of a chart.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Series {
    /// Series name shown in the legend: literal text, or a cell reference
    /// such as "Sales!$B$1".
    pub(crate) name: Option<String>,
    /// Category labels (the x values of a scatter chart), one row or
    /// column, e.g. "Sales!$A$2:$A$5".
    pub(crate) categories: Option<RangeRef>,
    /// The values, one row or one column, e.g. "Sales!$B$2:$B$5" or
    /// {"sheet": "Sales", "range": "B2:B5"}.
    pub(crate) values: RangeRef,
    /// Series colour as #RRGGBB (line colour for line, radar and scatter
    /// charts; ignored for pie and doughnut, whose slices are coloured
    /// automatically).
    pub(crate) color: Option<String>,
    /// "none" draws the series' bars or areas without fill or border, so
    /// they are invisible: the offset series of a Gantt chart (a stacked
    /// bar chart whose first series is each task's start).
    pub(crate) fill: Option<Fill>,
    /// Labels on the series' points, e.g. {"value": true}.
    pub(crate) data_labels: Option<DataLabels>,
}

/// A series fill: only "none" (invisible).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum Fill {
    None,
}

/// What each point's label shows; at least one.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct DataLabels {
    /// The point's value (default false).
    pub(crate) value: Option<bool>,
    /// The point's share of the whole, only for pie and doughnut charts
    /// (default false).
    pub(crate) percent: Option<bool>,
    /// The point's category (default false).
    pub(crate) category: Option<bool>,
}

/// A chart axis.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Axis {
    /// Axis title, e.g. "Quarter".
    pub(crate) title: Option<String>,
    /// Number format of the axis labels, e.g. "$#,##0" or "mmm yyyy".
    pub(crate) num_format: Option<String>,
    /// Lowest value shown, e.g. 0. Only on `value_axis`, or on
    /// `category_axis` of a scatter chart; default automatic.
    pub(crate) min: Option<f64>,
    /// Highest value shown (above `min`). Only on `value_axis`, or on
    /// `category_axis` of a scatter chart; default automatic.
    pub(crate) max: Option<f64>,
    /// Show major gridlines (default: on the value axis only).
    pub(crate) gridlines: Option<bool>,
    /// Run the axis the other way (default false). On a bar chart's
    /// `category_axis` this lists the first category at the top, as a
    /// Gantt chart does.
    pub(crate) reverse: Option<bool>,
}

/// Legend position.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) enum Legend {
    Right,
    Left,
    Top,
    Bottom,
    None,
}

/// A range, possibly on another sheet: `"Sales!$B$2:$B$5"`, `"B2:B5"` (the
/// sheet holding the chart or validation), or `{ "sheet", "range" }`.
#[derive(Debug, Clone)]
pub(crate) enum RangeRef {
    Text(String),
    Parts { sheet: Option<String>, range: String },
}

/// A data validation rule on a range of cells: a drop-down list (`list` or
/// `source`), or limits on numbers (`number`) or dates (`date`). Give
/// exactly one of `list`, `source`, `number` or `date`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct Validation {
    /// The cells that get the drop-down, e.g. "H2:H50".
    pub(crate) range: String,
    /// The allowed values, e.g. ["Draft", "Approved"]. No commas inside
    /// values; at most 255 characters in all (use `source` for longer
    /// lists).
    pub(crate) list: Option<Vec<String>>,
    /// A single row or column of cells holding the allowed values, e.g.
    /// "Lists!$A$2:$A$20".
    pub(crate) source: Option<RangeRef>,
    /// Only numbers within limits, e.g. {"min": 0, "max": 100, "whole":
    /// true}.
    pub(crate) number: Option<NumberRule>,
    /// Only dates within limits, e.g. {"min": "2026-01-01"}.
    pub(crate) date: Option<DateRule>,
    /// Title of the hint shown when a cell is selected (up to 32
    /// characters).
    pub(crate) input_title: Option<String>,
    /// Hint shown when a cell is selected (up to 255 characters).
    pub(crate) input_message: Option<String>,
    /// Title of the error shown for a value not in the list (up to 32
    /// characters).
    pub(crate) error_title: Option<String>,
    /// Error shown for a value not in the list (up to 255 characters).
    pub(crate) error_message: Option<String>,
    /// Allow empty cells (default true).
    pub(crate) ignore_blank: Option<bool>,
    /// Show the in-cell drop-down arrow (default true).
    pub(crate) dropdown: Option<bool>,
}

/// Limits on a number; give `min`, `max` or both.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct NumberRule {
    /// The smallest value allowed, e.g. 0.
    pub(crate) min: Option<f64>,
    /// The largest value allowed, e.g. 100.
    pub(crate) max: Option<f64>,
    /// Only whole numbers (default false: decimals allowed).
    pub(crate) whole: Option<bool>,
}

/// Limits on a date, as YYYY-MM-DD; give `min`, `max` or both.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(crate = "kiln_plugin_sdk::schemars")]
pub(crate) struct DateRule {
    /// The earliest date allowed, e.g. "2026-01-01".
    pub(crate) min: Option<String>,
    /// The latest date allowed, e.g. "2026-12-31".
    pub(crate) max: Option<String>,
}
