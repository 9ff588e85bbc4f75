//! Charts over sheet ranges.

use rust_xlsxwriter::{
    Chart, ChartDataLabel, ChartFormat, ChartLegendPosition, ChartLine, ChartSolidFill, ChartType,
    Color, Worksheet, XlsxError,
};

use super::Shared;
use crate::a1::{self, Pos};
use crate::spec::{self, ChartKind, Fill, Legend, RangeRef};
use crate::style::parse_color;

/// Default chart size in pixels (Excel's own default).
const DEFAULT_WIDTH: u32 = 480;
const DEFAULT_HEIGHT: u32 = 288;
/// Default row height in pixels, to stack charts placed automatically.
const ROW_PIXELS: u32 = 20;

/// Inserts every chart of sheet `s`. Charts without `at` go two columns
/// right of the sheet's data, one below the other.
pub(crate) fn write_all(
    ws: &mut Worksheet,
    shared: &Shared<'_>,
    s: usize,
) -> Result<(), XlsxError> {
    let sheet = &shared.checked.spec.sheets[s];
    let extent = shared.checked.layouts[s].extent;
    let mut next_free = match extent {
        Some(area) => Pos { row: area.first.row, col: area.last.col.saturating_add(2).min(16_383) },
        None => Pos { row: 0, col: 0 },
    };
    for spec_chart in &sheet.charts {
        let chart = build(shared, &sheet.name, spec_chart);
        let height = spec_chart.height.unwrap_or(DEFAULT_HEIGHT);
        let pos = match spec_chart.at.as_deref().map(a1::parse_cell) {
            Some(Ok(pos)) => pos,
            _ => {
                let pos = next_free;
                let rows = height.div_ceil(ROW_PIXELS) + 1;
                next_free.row = next_free.row.saturating_add(rows).min(1_048_575);
                pos
            }
        };
        ws.insert_chart(pos.row, pos.col, &chart)?;
    }
    Ok(())
}

fn chart_type(kind: ChartKind) -> ChartType {
    match kind {
        ChartKind::Area => ChartType::Area,
        ChartKind::AreaStacked => ChartType::AreaStacked,
        ChartKind::AreaPercentStacked => ChartType::AreaPercentStacked,
        ChartKind::Bar => ChartType::Bar,
        ChartKind::BarStacked => ChartType::BarStacked,
        ChartKind::BarPercentStacked => ChartType::BarPercentStacked,
        ChartKind::Column => ChartType::Column,
        ChartKind::ColumnStacked => ChartType::ColumnStacked,
        ChartKind::ColumnPercentStacked => ChartType::ColumnPercentStacked,
        ChartKind::Line => ChartType::Line,
        ChartKind::LineStacked => ChartType::LineStacked,
        ChartKind::LinePercentStacked => ChartType::LinePercentStacked,
        ChartKind::Pie => ChartType::Pie,
        ChartKind::Doughnut => ChartType::Doughnut,
        ChartKind::Radar => ChartType::Radar,
        ChartKind::Scatter => ChartType::Scatter,
        ChartKind::ScatterLines => ChartType::ScatterStraightWithMarkers,
        ChartKind::ScatterSmooth => ChartType::ScatterSmoothWithMarkers,
    }
}

/// Lines are coloured by their stroke; everything else by its fill.
fn is_line_like(kind: ChartKind) -> bool {
    matches!(
        kind,
        ChartKind::Line
            | ChartKind::LineStacked
            | ChartKind::LinePercentStacked
            | ChartKind::Radar
            | ChartKind::ScatterLines
            | ChartKind::ScatterSmooth
    )
}

/// `(sheet, first_row, first_col, last_row, last_col)` with the sheet name
/// spelled as declared.
fn range(shared: &Shared<'_>, r: &RangeRef, here: &str) -> Option<(String, u32, u16, u32, u16)> {
    let (sheet, area) = r.resolve(here).ok()?;
    Some((
        shared.canonical_sheet(&sheet),
        area.first.row,
        area.first.col,
        area.last.row,
        area.last.col,
    ))
}

fn build(shared: &Shared<'_>, here: &str, spec_chart: &spec::Chart) -> Chart {
    let kind = spec_chart.kind;
    let mut chart = Chart::new(chart_type(kind));
    for s in &spec_chart.series {
        let series = chart.add_series();
        if let Some((sheet, r1, c1, r2, c2)) = range(shared, &s.values, here) {
            series.set_values((sheet.as_str(), r1, c1, r2, c2));
        }
        if let Some((sheet, r1, c1, r2, c2)) =
            s.categories.as_ref().and_then(|c| range(shared, c, here))
        {
            series.set_categories((sheet.as_str(), r1, c1, r2, c2));
        }
        if let Some(name) = &s.name {
            match a1::split_sheet(name).map(|(sheet, r)| (sheet, a1::parse_cell(r))) {
                // A reference to the cell holding the name.
                Ok((Some(sheet), Ok(pos))) => {
                    let sheet = shared.canonical_sheet(&sheet);
                    series.set_name((sheet.as_str(), pos.row, pos.col));
                }
                _ => {
                    series.set_name(name.as_str());
                }
            }
        }
        // Pie slices take automatic colours; one colour for the whole
        // series would make them indistinguishable.
        if s.fill == Some(Fill::None) {
            let mut format = ChartFormat::new();
            format.set_no_fill().set_no_border();
            if is_line_like(kind) {
                format.set_no_line();
            }
            series.set_format(&mut format);
        } else if let (Some(color), true) =
            (s.color.as_deref().and_then(parse_color), kind.has_axes())
        {
            let mut format = ChartFormat::new();
            if is_line_like(kind) {
                format.set_line(ChartLine::new().set_color(Color::RGB(color)));
            } else {
                format.set_solid_fill(ChartSolidFill::new().set_color(Color::RGB(color)));
            }
            series.set_format(&mut format);
        }
        if let Some(labels) = &s.data_labels {
            let mut label = ChartDataLabel::new();
            if labels.value == Some(true) {
                label.show_value();
            }
            if labels.percent == Some(true) {
                label.show_percentage();
            }
            if labels.category == Some(true) {
                label.show_category_name();
            }
            series.set_data_label(&label);
        }
    }
    if let Some(title) = &spec_chart.title {
        chart.title().set_name(title.as_str());
    }
    if kind.has_axes() {
        // rust_xlsxwriter's x axis is the horizontal one, which for bar
        // charts is the value axis.
        let (category, value) = if kind.is_bar() {
            (&spec_chart.value_axis, &spec_chart.category_axis)
        } else {
            (&spec_chart.category_axis, &spec_chart.value_axis)
        };
        if let Some(axis) = category {
            apply_axis(chart.x_axis(), axis);
        }
        if let Some(axis) = value {
            apply_axis(chart.y_axis(), axis);
        }
    }
    match spec_chart.legend {
        Some(Legend::None) => {
            chart.legend().set_hidden();
        }
        Some(position) => {
            chart.legend().set_position(match position {
                Legend::Left => ChartLegendPosition::Left,
                Legend::Top => ChartLegendPosition::Top,
                Legend::Bottom => ChartLegendPosition::Bottom,
                _ => ChartLegendPosition::Right,
            });
        }
        None => {}
    }
    chart.set_width(spec_chart.width.unwrap_or(DEFAULT_WIDTH));
    chart.set_height(spec_chart.height.unwrap_or(DEFAULT_HEIGHT));
    if let Some(style) = spec_chart.style {
        chart.set_style(style);
    }
    chart
}

fn apply_axis(target: &mut rust_xlsxwriter::ChartAxis, axis: &spec::Axis) {
    if let Some(title) = &axis.title {
        target.set_name(title.as_str());
    }
    if let Some(n) = &axis.num_format {
        target.set_num_format(n);
    }
    if let Some(min) = axis.min {
        target.set_min(min);
    }
    if let Some(max) = axis.max {
        target.set_max(max);
    }
    if let Some(g) = axis.gridlines {
        target.set_major_gridlines(g);
    }
    if axis.reverse == Some(true) {
        target.set_reverse();
    }
}
