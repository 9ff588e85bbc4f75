//! Where each cell of a sheet goes, and the [`Grid`] of the whole workbook.
//!
//! Placement rules: the header starts at the sheet's `start` (default `A1`);
//! rows follow one below the other, each starting in the same column as the
//! one before; a row with `at` starts at that cell instead, and later rows
//! continue below it.

use crate::Violation;
use crate::a1::{self, Area, Pos};
use crate::dates;
use crate::de::escape_pointer;
use crate::grid::{Content, Entry, Grid, Source};
use crate::spec::{Cell, Link, Row, Sheet, Spec, StyleRef, TotalFunction, Value};

/// The style layer between column and cell.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Layer<'s> {
    /// A header cell: the sheet's `header_style`, or the default header style.
    Header,
    Row(Option<&'s StyleRef>),
}

/// One placement event, in spec order.
#[derive(Debug)]
pub(crate) enum Step<'s> {
    /// A row starts at `pos`.
    Row { pos: Pos, row: &'s Row },
    /// A cell to write (cells that are `null` and unstyled are skipped).
    Cell { pos: Pos, cell: &'s Cell, layer: Layer<'s>, source: Source },
}

/// Walks the header and rows of a sheet, calling `visit` for each row and
/// cell. Returns the area the header and rows span (`None` if empty) and the
/// placement violations, with pointers under `base` (e.g. `/sheets/0`).
pub(crate) fn walk<'s>(
    sheet: &'s Sheet,
    base: &str,
    visit: &mut dyn FnMut(Step<'s>),
) -> (Option<Area>, Vec<Violation>) {
    let mut violations = Vec::new();
    let start = match sheet.start.as_deref().map(a1::parse_cell) {
        Some(Err(e)) => {
            violations.push(Violation::new(format!("{base}/start"), e.to_string()));
            Pos { row: 0, col: 0 }
        }
        Some(Ok(p)) => p,
        None => Pos { row: 0, col: 0 },
    };
    let mut extent: Option<Area> = None;
    let mut grow = |pos: Pos| {
        let area = extent.get_or_insert(Area::cell(pos));
        area.first.row = area.first.row.min(pos.row);
        area.first.col = area.first.col.min(pos.col);
        area.last.row = area.last.row.max(pos.row);
        area.last.col = area.last.col.max(pos.col);
    };

    let mut cursor = start;
    if let Some(header) = &sheet.header {
        for (i, cell) in header.iter().enumerate() {
            match cursor.offset(0, i as u64) {
                Ok(pos) => {
                    grow(pos);
                    if is_written(cell) {
                        visit(Step::Cell {
                            pos,
                            cell,
                            layer: Layer::Header,
                            source: Source::Header { cell: i },
                        });
                    }
                }
                Err(e) => {
                    violations.push(Violation::new(
                        format!("{base}/header/{i}"),
                        format!(
                            "this header cell would fall outside Excel's grid, at {}",
                            e.text()
                        ),
                    ));
                    break;
                }
            }
        }
        cursor = match cursor.offset(1, 0) {
            Ok(pos) => pos,
            Err(_) => {
                if !sheet.rows.is_empty() {
                    violations.push(Violation::new(
                        format!("{base}/rows"),
                        "the rows would start below Excel's last row (1048576)",
                    ));
                }
                return (extent, violations);
            }
        };
    }

    // `None` once rows run past the last row of the grid (until an `at`).
    let mut next: Option<Pos> = Some(cursor);
    let mut overflow_reported = false;
    for (r, row) in sheet.rows.iter().enumerate() {
        if let Some(at) = &row.at {
            match a1::parse_cell(at) {
                Ok(pos) => {
                    next = Some(pos);
                    overflow_reported = false;
                }
                Err(e) => {
                    violations.push(Violation::new(format!("{base}/rows/{r}/at"), e.to_string()));
                    continue;
                }
            }
        }
        let Some(cursor) = next else {
            if !overflow_reported {
                violations.push(Violation::new(
                    format!("{base}/rows/{r}"),
                    "this row (and any after it) would be below Excel's last row (1048576)",
                ));
                overflow_reported = true;
            }
            continue;
        };
        visit(Step::Row { pos: cursor, row });
        for (c, cell) in row.cells.iter().enumerate() {
            match cursor.offset(0, c as u64) {
                Ok(pos) => {
                    grow(pos);
                    if is_written(cell) {
                        visit(Step::Cell {
                            pos,
                            cell,
                            layer: Layer::Row(row.style.as_ref()),
                            source: Source::Row { row: r, cell: c },
                        });
                    }
                }
                Err(e) => {
                    let pointer = cell_pointer_in(base, row, r, c);
                    violations.push(Violation::new(
                        pointer,
                        format!("this cell would fall outside Excel's grid, at {}", e.text()),
                    ));
                    break;
                }
            }
        }
        next = cursor.offset(1, 0).ok();
    }
    (extent, violations)
}

fn is_written(cell: &Cell) -> bool {
    !matches!(cell.value, Value::Empty) || cell.style.is_some()
}

fn cell_pointer_in(base: &str, row: &Row, r: usize, c: usize) -> String {
    if row.object { format!("{base}/rows/{r}/cells/{c}") } else { format!("{base}/rows/{r}/{c}") }
}

/// The JSON pointer of the spec value a grid entry came from.
pub(crate) fn source_pointer(spec: &Spec, sheet: usize, source: &Source) -> String {
    let base = format!("/sheets/{sheet}");
    match source {
        Source::Header { cell } => format!("{base}/header/{cell}"),
        Source::Row { row, cell } => {
            cell_pointer_in(&base, &spec.sheets[sheet].rows[*row], *row, *cell)
        }
        Source::Merge { merge } => format!("{base}/merges/{merge}/value"),
        Source::TableTotal { table, column } => format!("{base}/tables/{table}/columns/{column}"),
    }
}

/// What a cell holds as formulas see it; bad date or time text is reported
/// as `Err` with a message.
pub(crate) fn content_of(cell: &Cell) -> Result<Content<'_>, String> {
    Ok(match &cell.value {
        Value::Empty => Content::Blank,
        Value::Text(t) => Content::Text(t.as_str().into()),
        Value::Number(n) => Content::Number(*n),
        Value::Bool(b) => Content::Bool(*b),
        Value::Formula(f) => Content::Formula(f.as_str().into()),
        Value::Date(d) => Content::Number(dates::parse_date(d)?.serial()),
        Value::DateTime(d) => Content::Number(dates::parse_datetime(d)?.serial()),
        Value::Time(t) => {
            let (h, m, s) = dates::parse_time(t)?;
            Content::Number(dates::time_serial(h, m, s))
        }
        Value::Link(link) => Content::Text(link_text(link).into()),
    })
}

/// The text a hyperlink cell shows: its `text`, or the address without a
/// `mailto:`/`internal:` prefix (as `rust_xlsxwriter` does).
pub(crate) fn link_text(link: &Link) -> String {
    if let Some(text) = &link.text {
        return text.clone();
    }
    let url = link.url.as_str();
    url.strip_prefix("mailto:").or_else(|| url.strip_prefix("internal:")).unwrap_or(url).to_string()
}

/// Where a pointer to a cell's value-bearing field goes, for date errors.
fn value_field(cell: &Cell) -> &'static str {
    match cell.value {
        Value::Date(_) => "/date",
        Value::DateTime(_) => "/datetime",
        Value::Time(_) => "/time",
        _ => "",
    }
}

/// Per-sheet facts the writer and validation both need.
#[derive(Debug, Clone)]
pub(crate) struct SheetLayout {
    /// The area spanned by the header and rows.
    pub(crate) extent: Option<Area>,
}

/// The SUBTOTAL code Excel's table total row uses for a function, if the
/// evaluator can compute it.
pub(crate) fn subtotal_code(f: TotalFunction) -> u32 {
    match f {
        TotalFunction::Average => 101,
        TotalFunction::CountNumbers => 102,
        TotalFunction::Count => 103,
        TotalFunction::Max => 104,
        TotalFunction::Min => 105,
        TotalFunction::StdDev => 107,
        TotalFunction::Sum => 109,
        TotalFunction::Var => 110,
    }
}

/// Places every cell of the workbook: rows, merge values and table totals.
/// Returns the grid, each sheet's layout, and placement violations (bad
/// positions, cells written twice, bad dates).
pub(crate) fn build(spec: &Spec) -> (Grid<'_>, Vec<SheetLayout>, Vec<Violation>) {
    let mut grid = Grid::default();
    let mut layouts = Vec::new();
    let mut violations = Vec::new();
    for (s, sheet) in spec.sheets.iter().enumerate() {
        let index = grid.add_sheet(&sheet.name);
        let base = format!("/sheets/{s}");
        let (extent, walk_violations) = walk(sheet, &base, &mut |step| {
            if let Step::Cell { pos, cell, source, .. } = step {
                let content = content_of(cell).unwrap_or_else(|message| {
                    let pointer = source_pointer(spec, s, &source) + value_field(cell);
                    violations.push(Violation::new(pointer, message));
                    Content::Blank
                });
                grid.push(index, pos, Entry { content, source });
            }
        });
        violations.extend(walk_violations);
        for clash in grid.settle(index) {
            let here = source_pointer(spec, s, &clash.dropped.source);
            let there = source_pointer(spec, s, &clash.kept);
            violations.push(Violation::new(
                here,
                format!("cell {} is also written by {there}", clash.pos),
            ));
        }

        for (m, merge) in sheet.merges.iter().enumerate() {
            let (Ok(area), Some(cell)) = (a1::parse_area(&merge.range), &merge.value) else {
                continue;
            };
            let source = Source::Merge { merge: m };
            let content = match content_of(cell) {
                Ok(c) => c,
                Err(message) => {
                    let pointer = format!("{base}/merges/{m}/value{}", value_field(cell));
                    violations.push(Violation::new(pointer, message));
                    Content::Blank
                }
            };
            let taken: Vec<String> = grid.sheets[index]
                .range(&area)
                .map(|(pos, e)| format!("{pos} ({})", source_pointer(spec, s, &e.source)))
                .collect();
            if !taken.is_empty() {
                violations.push(Violation::new(
                    format!("{base}/merges/{m}"),
                    format!(
                        "merged range {area} has a value, but other cells inside it are also written: {}; \
                         drop the merge's value or those cells",
                        taken.join(", ")
                    ),
                ));
                continue;
            }
            if let Err(previous) = grid.insert(index, area.first, Entry { content, source }) {
                let there = source_pointer(spec, s, &previous.source);
                violations.push(Violation::new(
                    format!("{base}/merges/{m}"),
                    format!(
                        "merged range {area} starts at {}, which is also written by {there}",
                        area.first
                    ),
                ));
            }
        }

        for (t, table) in sheet.tables.iter().enumerate() {
            if table.total_row != Some(true) {
                continue;
            }
            let Ok(area) = a1::parse_area(&table.range) else {
                continue;
            };
            let header = u32::from(table.header_row != Some(false));
            let first_data = area.first.row + header;
            if first_data >= area.last.row {
                continue;
            }
            for (c, column) in table.columns.iter().enumerate().take(usize::from(area.cols())) {
                let col = area.first.col + c as u16;
                let content = if let Some(label) = &column.total_label {
                    Content::Text(label.as_str().into())
                } else if let Some(f) = column.total {
                    let data = Area {
                        first: Pos { row: first_data, col },
                        last: Pos { row: area.last.row - 1, col },
                    };
                    Content::Formula(format!("SUBTOTAL({},{data})", subtotal_code(f)).into())
                } else {
                    continue;
                };
                let pos = Pos { row: area.last.row, col };
                let source = Source::TableTotal { table: t, column: c };
                if let Err(previous) = grid.insert(index, pos, Entry { content, source }) {
                    violations.push(Violation::new(
                        format!("{base}/tables/{t}/columns/{c}"),
                        format!(
                            "the table's total row fills {pos}, which is also written by {}",
                            source_pointer(spec, s, &previous.source)
                        ),
                    ));
                }
            }
        }
        layouts.push(SheetLayout { extent });
    }
    (grid, layouts, violations)
}

/// The pointer of a named style in `styles`.
pub(crate) fn style_pointer(name: &str) -> String {
    format!("/styles/{}", escape_pointer(name))
}
