//! Size limits checked before anything is laid out, so that validating a
//! huge spec costs no more than reading it: Excel's grid, and the number of
//! cells that fit in the sandbox's memory.

use kiln_plugin_sdk::Violation;

use crate::a1::{MAX_COLS, MAX_ROWS};
use crate::spec::Spec;

/// The most cells one workbook may hold. Generation keeps every cell in
/// memory (the spec, the layout and rust_xlsxwriter's worksheet) and then
/// the package; measured with `examples/bench_memory.rs`, a run peaks at
/// about 435 bytes a cell natively (218 MB for 500,000 short cells; less
/// on wasm32, whose pointers are half the size), so this keeps a run inside
/// the sandbox's 256 MiB.
pub(crate) const MAX_CELLS: u64 = 500_000;

/// Violations of the size limits, if any; `None` when the spec fits.
pub(crate) fn check(spec: &Spec) -> Option<Vec<Violation>> {
    let mut out = Vec::new();
    let mut total: u64 = 0;
    for (s, sheet) in spec.sheets.iter().enumerate() {
        let header = u64::from(sheet.header.is_some());
        let rows = sheet.rows.len() as u64 + header;
        if rows > MAX_ROWS {
            out.push(Violation::new(
                format!("/sheets/{s}/rows"),
                format!(
                    "this sheet has {rows} rows{}; an Excel sheet holds at most {MAX_ROWS} (1,048,576); \
                     split the data across sheets",
                    if header == 1 { " with its header" } else { "" }
                ),
            ));
        }
        if let Some(header) = &sheet.header {
            total += header.len() as u64;
            if header.len() as u64 > MAX_COLS {
                out.push(Violation::new(
                    format!("/sheets/{s}/header"),
                    format!(
                        "the header has {} cells; an Excel sheet has at most {MAX_COLS} (16,384) columns",
                        header.len()
                    ),
                ));
            }
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let cells = row.cells.len() as u64;
            total += cells;
            if cells > MAX_COLS {
                let at = if row.object {
                    format!("/sheets/{s}/rows/{r}/cells")
                } else {
                    format!("/sheets/{s}/rows/{r}")
                };
                out.push(Violation::new(
                    at,
                    format!(
                        "this row has {cells} cells; an Excel sheet has at most {MAX_COLS} (16,384) columns"
                    ),
                ));
            }
        }
    }
    if total > MAX_CELLS {
        out.push(Violation::new(
            "/sheets",
            format!(
                "the workbook has {total} cells; at most {MAX_CELLS} fit in the generator's memory \
                 (256 MiB); split it into several workbooks"
            ),
        ));
    }
    (!out.is_empty()).then_some(out)
}
