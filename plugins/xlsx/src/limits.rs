//! Size limits checked before anything is laid out, so that validating a
//! huge spec costs no more than reading it: Excel's grid, and the number of
//! cells that fit in the sandbox's memory.

use kiln_plugin_sdk::Violation;

use crate::a1::{MAX_COLS, MAX_ROWS};
use crate::spec::Spec;

/// The most cells one workbook may hold. What binds is validation, which
/// the host runs on the request path with 64 MiB (generate gets 256 MiB):
/// validate parses the spec and lays out every cell, and measured with
/// `examples/bench_memory.rs` it peaks at about 280 bytes a cell natively
/// (34.7 MB for 125,000 short cells, 18.3 MB of it the parsed spec; less on
/// wasm32, whose pointers are half the size), inside the 48 MiB this plugin
/// allows itself (`tests/validate_memory.rs` checks it); a run peaks near
/// 54 MB. A spec over the limit is refused at the `rows` (or `header`)
/// that crosses it, before any layout.
pub(crate) const MAX_CELLS: u64 = 125_000;

/// Violations of the size limits, if any; `None` when the spec fits.
pub(crate) fn check(spec: &Spec) -> Option<Vec<Violation>> {
    let mut out = Vec::new();
    let mut total: u64 = 0;
    // Where the running total first passes MAX_CELLS.
    let mut crossed: Option<String> = None;
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
            if total > MAX_CELLS && crossed.is_none() {
                crossed = Some(format!("/sheets/{s}/header"));
            }
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
            if total > MAX_CELLS && crossed.is_none() {
                crossed = Some(format!("/sheets/{s}/rows"));
            }
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
    if let Some(at) = crossed {
        out.push(Violation::new(
            at,
            format!(
                "the workbook has {total} cells; at most 125,000 fit in the \
                 validator's memory (roughly 12,500 rows of 10 short columns), and this one \
                 crosses the limit here; split the data across several workbooks"
            ),
        ));
    }
    (!out.is_empty()).then_some(out)
}
