//! The workbook spec: what a job asks for, as parsed from JSON.
//!
//! Every struct rejects unknown fields, matching `schema.json`, which is the
//! documentation a spec writer sees. Shapes with a compact form (a bare cell
//! value, a row as a plain array, a style by name) are parsed in `de.rs`.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};

use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Spec {
    pub(crate) file_name: Option<String>,
    #[serde(default)]
    pub(crate) properties: Properties,
    #[serde(default)]
    pub(crate) styles: BTreeMap<String, Style>,
    pub(crate) sheets: Vec<Sheet>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Properties {
    pub(crate) title: Option<String>,
    pub(crate) subject: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) manager: Option<String>,
    pub(crate) company: Option<String>,
    pub(crate) category: Option<String>,
    pub(crate) keywords: Option<Keywords>,
    pub(crate) comments: Option<String>,
    /// `YYYY-MM-DD` or `YYYY-MM-DDTHH:MM:SS[Z]`, taken as UTC.
    pub(crate) created: Option<String>,
}

/// Keywords as one string or a list, stored joined with `", "`.
#[derive(Debug)]
pub(crate) struct Keywords(pub(crate) String);

/// A cell style. Every field is optional; when styles are layered (column,
/// then row, then cell) a later layer's set fields win.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Style {
    /// A named style this one extends.
    pub(crate) base: Option<String>,
    pub(crate) bold: Option<bool>,
    pub(crate) italic: Option<bool>,
    pub(crate) underline: Option<bool>,
    pub(crate) strikethrough: Option<bool>,
    pub(crate) font_name: Option<String>,
    pub(crate) font_size: Option<Points>,
    pub(crate) font_color: Option<String>,
    pub(crate) fill_color: Option<String>,
    pub(crate) border: Option<Border>,
    pub(crate) border_color: Option<String>,
    pub(crate) border_top: Option<Border>,
    pub(crate) border_bottom: Option<Border>,
    pub(crate) border_left: Option<Border>,
    pub(crate) border_right: Option<Border>,
    pub(crate) align: Option<HAlign>,
    pub(crate) valign: Option<VAlign>,
    pub(crate) wrap: Option<bool>,
    pub(crate) indent: Option<u8>,
    pub(crate) num_format: Option<String>,
}

/// A size in points; hashed by its bits so styles can key a format cache.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(transparent)]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Sheet {
    pub(crate) name: String,
    /// Top-left cell of the header (or of the first row); default `A1`.
    pub(crate) start: Option<String>,
    /// Column settings keyed by column letter (`"B"`) or span (`"B:D"`).
    #[serde(default)]
    pub(crate) columns: BTreeMap<String, Column>,
    pub(crate) header: Option<Vec<Cell>>,
    pub(crate) header_style: Option<StyleRef>,
    #[serde(default)]
    pub(crate) rows: Vec<Row>,
    #[serde(default)]
    pub(crate) merges: Vec<Merge>,
    pub(crate) freeze: Option<Freeze>,
    pub(crate) autofilter: Option<AutoFilter>,
    #[serde(default)]
    pub(crate) tables: Vec<Table>,
    #[serde(default)]
    pub(crate) charts: Vec<Chart>,
    #[serde(default)]
    pub(crate) validations: Vec<Validation>,
    pub(crate) tab_color: Option<String>,
    pub(crate) gridlines: Option<bool>,
    pub(crate) zoom: Option<u16>,
    pub(crate) landscape: Option<bool>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Column {
    pub(crate) width: Option<f64>,
    pub(crate) style: Option<StyleRef>,
    pub(crate) num_format: Option<String>,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Merge {
    pub(crate) range: String,
    pub(crate) value: Option<Cell>,
    pub(crate) style: Option<StyleRef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Table {
    pub(crate) range: String,
    pub(crate) name: Option<String>,
    pub(crate) style: Option<String>,
    pub(crate) header_row: Option<bool>,
    pub(crate) total_row: Option<bool>,
    pub(crate) banded_rows: Option<bool>,
    pub(crate) banded_columns: Option<bool>,
    pub(crate) first_column: Option<bool>,
    pub(crate) last_column: Option<bool>,
    pub(crate) autofilter: Option<bool>,
    #[serde(default)]
    pub(crate) columns: Vec<TableColumn>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TableColumn {
    pub(crate) header: Option<String>,
    pub(crate) total: Option<TotalFunction>,
    pub(crate) total_label: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Chart {
    #[serde(rename = "type")]
    pub(crate) kind: ChartKind,
    pub(crate) title: Option<String>,
    #[serde(default)]
    pub(crate) series: Vec<Series>,
    /// The axis the categories run along (vertical for `bar` charts,
    /// horizontal otherwise; a scatter chart's X value axis).
    pub(crate) category_axis: Option<Axis>,
    /// The axis the values are measured on (horizontal for `bar` charts,
    /// vertical otherwise).
    pub(crate) value_axis: Option<Axis>,
    pub(crate) at: Option<String>,
    pub(crate) width: Option<u32>,
    pub(crate) height: Option<u32>,
    pub(crate) legend: Option<Legend>,
    pub(crate) style: Option<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
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
        matches!(
            self,
            ChartKind::Bar | ChartKind::BarStacked | ChartKind::BarPercentStacked
        )
    }

    /// Scatter charts plot numbers against numbers: both axes have bounds.
    pub(crate) fn is_scatter(self) -> bool {
        matches!(
            self,
            ChartKind::Scatter | ChartKind::ScatterLines | ChartKind::ScatterSmooth
        )
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Series {
    pub(crate) name: Option<String>,
    pub(crate) categories: Option<RangeRef>,
    pub(crate) values: RangeRef,
    pub(crate) color: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Axis {
    pub(crate) title: Option<String>,
    pub(crate) num_format: Option<String>,
    pub(crate) min: Option<f64>,
    pub(crate) max: Option<f64>,
    pub(crate) gridlines: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
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
    Parts {
        sheet: Option<String>,
        range: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Validation {
    pub(crate) range: String,
    pub(crate) list: Option<Vec<String>>,
    pub(crate) source: Option<RangeRef>,
    pub(crate) input_title: Option<String>,
    pub(crate) input_message: Option<String>,
    pub(crate) error_title: Option<String>,
    pub(crate) error_message: Option<String>,
    pub(crate) ignore_blank: Option<bool>,
    pub(crate) dropdown: Option<bool>,
}
