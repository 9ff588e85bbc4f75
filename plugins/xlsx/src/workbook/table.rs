//! Excel tables (list objects) with optional total rows.

use std::collections::HashMap;

use rust_xlsxwriter::{Format, Table, TableColumn, TableFunction, Worksheet, XlsxError};

use super::Shared;
use crate::a1::{self, Pos};
use crate::spec::{self, TotalFunction};
use crate::tables;

/// Adds a table to sheet `s`. `header_formats` holds the formats of
/// header cells the rows wrote, which `add_table` would otherwise drop.
pub(crate) fn write(
    ws: &mut Worksheet,
    shared: &mut Shared<'_>,
    s: usize,
    spec_table: &spec::Table,
    header_formats: &HashMap<Pos, Format>,
) -> Result<(), XlsxError> {
    let Ok(area) = a1::parse_area(&spec_table.range) else {
        return Ok(());
    };
    let header = spec_table.header_row != Some(false);
    let total = spec_table.total_row == Some(true);
    let names = tables::header_names(&shared.checked.grid, s, spec_table, area);
    let columns: Vec<TableColumn> = names
        .into_iter()
        .enumerate()
        .map(|(c, name)| {
            let mut column = TableColumn::new().set_header(name);
            let pos = Pos { row: area.first.row, col: area.first.col + c as u16 };
            if let (true, Some(format)) = (header, header_formats.get(&pos)) {
                column = column.set_header_format(format.clone());
            }
            if let Some(spec_column) = spec_table.columns.get(c) {
                if let Some(label) = &spec_column.total_label {
                    column = column.set_total_label(label);
                } else if let Some(f) = spec_column.total {
                    column = column.set_total_function(function(f));
                }
            }
            column
        })
        .collect();

    let name = match &spec_table.name {
        Some(name) => name.clone(),
        None => fresh_name(shared),
    };
    let mut table = Table::new()
        .set_name(name)
        .set_header_row(header)
        .set_total_row(total)
        .set_columns(&columns);
    if let Some(style) = spec_table.style.as_deref().and_then(tables::style) {
        table = table.set_style(style);
    }
    if let Some(b) = spec_table.banded_rows {
        table = table.set_banded_rows(b);
    }
    if let Some(b) = spec_table.banded_columns {
        table = table.set_banded_columns(b);
    }
    if let Some(b) = spec_table.first_column {
        table = table.set_first_column(b);
    }
    if let Some(b) = spec_table.last_column {
        table = table.set_last_column(b);
    }
    if let Some(b) = spec_table.autofilter {
        table = table.set_autofilter(b);
    }
    ws.add_table(area.first.row, area.first.col, area.last.row, area.last.col, &table)?;

    // The total row's SUBTOTAL formulas: the grid holds an equivalent A1
    // formula at each total cell, so the evaluator can supply the result.
    if total {
        for (c, spec_column) in spec_table.columns.iter().enumerate() {
            if spec_column.total.is_none() || spec_column.total_label.is_some() {
                continue;
            }
            let pos = Pos { row: area.last.row, col: area.first.col + c as u16 };
            if let Some(text) = shared.evaluator.result(s, pos).and_then(|v| v.cached_text()) {
                ws.set_formula_result(pos.row, pos.col, text);
            }
        }
    }
    Ok(())
}

/// `TableN` for the lowest N not already taken, as Excel would name it.
fn fresh_name(shared: &mut Shared<'_>) -> String {
    loop {
        let name = format!("Table{}", shared.next_table);
        shared.next_table += 1;
        if shared.table_names.insert(name.to_lowercase()) {
            return name;
        }
    }
}

fn function(f: TotalFunction) -> TableFunction {
    match f {
        TotalFunction::Sum => TableFunction::Sum,
        TotalFunction::Average => TableFunction::Average,
        TotalFunction::Count => TableFunction::Count,
        TotalFunction::CountNumbers => TableFunction::CountNumbers,
        TotalFunction::Max => TableFunction::Max,
        TotalFunction::Min => TableFunction::Min,
        TotalFunction::StdDev => TableFunction::StdDev,
        TotalFunction::Var => TableFunction::Var,
    }
}
