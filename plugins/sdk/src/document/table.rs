//! Table geometry: where each cell sits once `colspan` and `rowspan` are
//! counted, for validation and for renderers.

use super::Cell;

/// One position of a table row as laid out.
#[derive(Clone, Debug, PartialEq)]
pub enum Slot<'a> {
    /// A cell starts here, spanning `cell.colspan` columns from `column`.
    Cell {
        /// The cell.
        cell: &'a Cell,
        /// Its index within its row of the spec.
        index: usize,
        /// The first grid column it covers.
        column: usize,
    },
    /// A cell from a row above continues here (it has a `rowspan`).
    Continued {
        /// The cell above.
        cell: &'a Cell,
        /// The first grid column it covers.
        column: usize,
        /// Whether this is the last row it covers.
        last: bool,
    },
}

/// A problem with a table's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GridProblem {
    /// A row covers a different number of columns than the first row.
    Width {
        /// The row index.
        row: usize,
        /// Columns the row covers.
        found: usize,
        /// Columns the table has.
        expected: usize,
        /// Columns of the row held by rowspans from above.
        held: usize,
    },
    /// A cell overlaps a cell spanning down from a row above.
    Overlap {
        /// The row index.
        row: usize,
        /// The cell's index in its row.
        index: usize,
        /// The grid column where they meet.
        column: usize,
        /// The row of the cell it overlaps.
        other_row: usize,
    },
    /// A cell's rowspan reaches past the last row.
    RowspanTooLong {
        /// The row index.
        row: usize,
        /// The cell's index in its row.
        index: usize,
        /// Its rowspan.
        rowspan: u32,
        /// Rows available from its row down, itself included.
        available: usize,
    },
}

/// The laid-out table: slots per row, the column count, and any problems.
#[derive(Clone, Debug, PartialEq)]
pub struct Grid<'a> {
    /// For each row, its slots in column order.
    pub rows: Vec<Vec<Slot<'a>>>,
    /// The number of grid columns (of the first row, or the widest).
    pub columns: usize,
    /// Problems found; empty for a well-formed table.
    pub problems: Vec<GridProblem>,
}

/// Lays out rows of cells. Cells are placed left to right, skipping
/// positions held by rowspans from above.
pub fn layout(rows: &[Vec<Cell>]) -> Grid<'_> {
    // held[c] = (row the spanning cell started, rows left below, cell)
    let mut held: Vec<Option<(usize, u32, &Cell, usize)>> = Vec::new();
    let mut out = Vec::with_capacity(rows.len());
    let mut problems = Vec::new();
    let mut expected: Option<usize> = None;
    for (r, row) in rows.iter().enumerate() {
        let mut slots = Vec::with_capacity(row.len());
        let mut column = 0usize;
        let mut held_here = 0usize;
        let mut cells = row.iter().enumerate().peekable();
        loop {
            // Emit continuations at the cursor.
            if let Some(Some((_, left, cell, start))) = held.get(column).copied() {
                if start == column {
                    slots.push(Slot::Continued { cell, column, last: left == 1 });
                    let span = cell.colspan.max(1) as usize;
                    held_here += span;
                    column += span;
                    continue;
                }
                column += 1;
                continue;
            }
            let Some((index, cell)) = cells.next() else {
                break;
            };
            let span = cell.colspan.max(1) as usize;
            for c in column..column + span {
                if let Some(Some((other_row, _, _, _))) = held.get(c) {
                    problems.push(GridProblem::Overlap {
                        row: r,
                        index,
                        column: c,
                        other_row: *other_row,
                    });
                    break;
                }
            }
            slots.push(Slot::Cell { cell, index, column });
            if cell.rowspan > 1 {
                let available = rows.len() - r;
                if cell.rowspan as usize > available {
                    problems.push(GridProblem::RowspanTooLong {
                        row: r,
                        index,
                        rowspan: cell.rowspan,
                        available,
                    });
                }
                if held.len() < column + span {
                    held.resize(column + span, None);
                }
                for slot in &mut held[column..column + span] {
                    if slot.is_none() {
                        *slot = Some((r, cell.rowspan, cell, column));
                    }
                }
            }
            column += span;
        }
        // Columns past the cursor still held from above count too.
        let width = column.max(
            held.iter().rposition(|h| h.is_some_and(|(start, ..)| start != r)).map_or(0, |i| i + 1),
        );
        match expected {
            None => expected = Some(width),
            Some(e) if e != width => problems.push(GridProblem::Width {
                row: r,
                found: width,
                expected: e,
                held: held_here,
            }),
            _ => {}
        }
        // Count down the rowspans: those started in this row have `rowspan - 1`
        // rows to go; the others one fewer than before.
        for h in held.iter_mut() {
            if let Some((start, left, cell, col)) = *h {
                let next = if start == r { cell.rowspan - 1 } else { left - 1 };
                *h = (next > 0).then_some((start, next, cell, col));
            }
        }
        out.push(slots);
    }
    Grid { rows: out, columns: expected.unwrap_or(0), problems }
}
