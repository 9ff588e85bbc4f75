//! A workbook as HTML (calamine): each sheet a table with the column
//! letters and row numbers of a spreadsheet, values shown as their number
//! formats show them, with bold, italic, colours, fills, alignment and
//! merged cells; only the top-left corner of a big sheet.

use std::fmt::Write;
use std::io::Cursor;

use calamine::{
    Data, Dimensions, FontStyle, FontWeight, HorizontalAlignment, Range, Reader, Style, StyleRange,
    UnderlineStyle, Xlsx,
};
use kiln_plugin_sdk::Result;
use kiln_plugin_sdk::diagram::escape;

use crate::{failed, number};

/// A preview shows at most this many sheets, rows and columns: the corner
/// a person glances at, in a few hundred KiB at most.
pub(crate) const MAX_SHEETS: usize = 12;
pub(crate) const MAX_ROWS: u32 = 100;
pub(crate) const MAX_COLUMNS: u32 = 26;

/// No scripts, no external resources: the page is served as it is.
const HEAD: &str = r#"<!DOCTYPE html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Workbook preview</title>
<style>
body{font:13px/1.4 system-ui,sans-serif;margin:12px;color:#111;background:#fff}
h2{font-size:14px;margin:18px 0 6px}
table{border-collapse:collapse}
th,td{border:1px solid #d0d7de;padding:2px 6px;white-space:nowrap;max-width:28em;overflow:hidden;text-overflow:ellipsis}
th{background:#f3f4f6;color:#57606a;font-weight:normal;text-align:center}
td{vertical-align:bottom}
p.note{color:#57606a;font-size:12px;margin:4px 0}
</style></head><body>
"#;

pub(crate) fn html(workbook: &[u8]) -> Result<String> {
    let mut workbook = Xlsx::new(Cursor::new(workbook))
        .map_err(|err| failed(format!("not a workbook calamine can read: {err}")))?;
    let names = workbook.sheet_names();
    let mut out = String::from(HEAD);
    for name in names.iter().take(MAX_SHEETS) {
        let values = workbook
            .worksheet_range(name)
            .map_err(|err| failed(format!("cannot read the sheet {name:?}: {err}")))?;
        // Styles and merges only dress the values: without them, plain.
        let styles = workbook.worksheet_style(name).unwrap_or_else(|_| StyleRange::empty());
        let merges = workbook.merge_cells_by_sheet_name(name).unwrap_or_default();
        sheet(&mut out, name, &values, &styles, &merges);
    }
    if let Some(rest) = names.get(MAX_SHEETS..).filter(|rest| !rest.is_empty()) {
        let rest: Vec<String> = rest.iter().map(|name| escape(name)).collect();
        let _ = writeln!(out, "<p class=\"note\">Not shown: {}.</p>", rest.join(", "));
    }
    if names.is_empty() {
        out.push_str("<p class=\"note\">This workbook has no sheets.</p>\n");
    }
    out.push_str("</body></html>\n");
    Ok(out)
}

fn sheet(
    out: &mut String,
    name: &str,
    values: &Range<Data>,
    styles: &StyleRange,
    merges: &[Dimensions],
) {
    let _ = writeln!(out, "<section><h2>{}</h2>", escape(name));
    let Some((last_row, last_column)) = values.end() else {
        out.push_str("<p class=\"note\">This sheet is empty.</p></section>\n");
        return;
    };
    // From A1, as a spreadsheet shows it, however far in the values start.
    let (rows, columns) = ((last_row + 1).min(MAX_ROWS), (last_column + 1).min(MAX_COLUMNS));
    out.push_str("<table><thead><tr><th></th>");
    for column in 0..columns {
        let _ = write!(out, "<th>{}</th>", column_name(column));
    }
    out.push_str("</tr></thead><tbody>\n");
    for row in 0..rows {
        let _ = write!(out, "<tr><th>{}</th>", row + 1);
        for column in 0..columns {
            let merge = merges.iter().find(|merge| merge.contains(row, column));
            if merge.is_some_and(|merge| merge.start != (row, column)) {
                continue;
            }
            out.push_str("<td");
            if let Some(merge) = merge {
                let down = merge.end.0.min(rows - 1) - row + 1;
                let across = merge.end.1.min(columns - 1) - column + 1;
                if down > 1 {
                    let _ = write!(out, " rowspan=\"{down}\"");
                }
                if across > 1 {
                    let _ = write!(out, " colspan=\"{across}\"");
                }
            }
            let value = values.get_value((row, column)).unwrap_or(&Data::Empty);
            let style = styles.get((row, column));
            let css = css(style, value);
            if !css.is_empty() {
                let _ = write!(out, " style=\"{css}\"");
            }
            let format = style.and_then(|style| style.number_format.as_ref());
            let shown = number::display(value, format.map(|format| format.format_code.as_str()));
            let _ = write!(out, ">{}</td>", escape(&shown));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table>\n");
    if rows <= last_row || columns <= last_column {
        let _ = writeln!(
            out,
            "<p class=\"note\">Showing {rows} of {} rows and {columns} of {} columns.</p>",
            last_row + 1,
            last_column + 1
        );
    }
    out.push_str("</section>\n");
}

/// The cell's look as CSS; numbers and dates stand right, as in a
/// spreadsheet, unless the cell says otherwise.
fn css(style: Option<&Style>, value: &Data) -> String {
    let mut css = String::new();
    let horizontal = style
        .and_then(|style| style.alignment.as_ref())
        .map_or(HorizontalAlignment::General, |alignment| alignment.horizontal);
    let align = match horizontal {
        HorizontalAlignment::Left => "left",
        HorizontalAlignment::Center | HorizontalAlignment::CenterContinuous => "center",
        HorizontalAlignment::Right => "right",
        HorizontalAlignment::Justify | HorizontalAlignment::Distributed => "justify",
        _ => match value {
            Data::Int(_) | Data::Float(_) | Data::DateTime(_) => "right",
            Data::Bool(_) | Data::Error(_) => "center",
            _ => "left",
        },
    };
    if align != "left" {
        let _ = write!(css, "text-align:{align};");
    }
    let Some(style) = style else { return css };
    if let Some(font) = &style.font {
        if font.weight == FontWeight::Bold {
            css.push_str("font-weight:bold;");
        }
        if font.style == FontStyle::Italic {
            css.push_str("font-style:italic;");
        }
        let underline = font.underline != UnderlineStyle::None;
        match (underline, font.strikethrough) {
            (true, true) => css.push_str("text-decoration:underline line-through;"),
            (true, false) => css.push_str("text-decoration:underline;"),
            (false, true) => css.push_str("text-decoration:line-through;"),
            (false, false) => {}
        }
        if let Some(color) = font.color.filter(|color| !color.is_black()) {
            let _ = write!(css, "color:#{:02x}{:02x}{:02x};", color.red, color.green, color.blue);
        }
    }
    if let Some(color) =
        style.fill.as_ref().filter(|fill| fill.is_visible()).and_then(|fill| fill.get_color())
    {
        let _ = write!(css, "background:#{:02x}{:02x}{:02x};", color.red, color.green, color.blue);
    }
    if style.alignment.as_ref().is_some_and(|alignment| alignment.wrap_text) {
        css.push_str("white-space:pre-wrap;");
    }
    css
}

/// A, B, ..., Z, AA, ...
fn column_name(mut column: u32) -> String {
    let mut name = Vec::new();
    loop {
        name.push(b'A' + (column % 26) as u8);
        if column < 26 {
            break;
        }
        column = column / 26 - 1;
    }
    name.reverse();
    String::from_utf8(name).expect("ASCII letters")
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};

    use super::*;

    /// A sales sheet as a chat user might ask for: a merged title, a bold
    /// filled header, currency, percentages, dates; 150 rows, so the
    /// preview is cut; an empty sheet; a name that is not markup.
    fn workbook() -> Vec<u8> {
        let mut workbook = Workbook::new();
        let sales = workbook.add_worksheet().set_name("Q1 Sales").unwrap();
        let title = Format::new().set_bold().set_align(FormatAlign::Center);
        sales.merge_range(0, 0, 0, 3, "Sales by region", &title).unwrap();
        let header = Format::new().set_bold().set_background_color(0xDDEEFF);
        for (column, name) in ["Region", "Revenue", "Growth", "Closed"].into_iter().enumerate() {
            sales.write_with_format(1, column as u16, name, &header).unwrap();
        }
        let money = Format::new().set_num_format("$#,##0.00");
        let percent = Format::new().set_num_format("0.0%");
        let date = Format::new().set_num_format("yyyy-mm-dd");
        for row in 2..152u32 {
            sales.write(row, 0, format!("Region {row}")).unwrap();
            sales.write_with_format(row, 1, 1234.5 * f64::from(row), &money).unwrap();
            sales.write_with_format(row, 2, -0.0437, &percent).unwrap();
            let day = ExcelDateTime::from_ymd(2026, 3, 31).unwrap();
            sales.write_datetime_with_format(row, 3, &day, &date).unwrap();
        }
        workbook.add_worksheet().set_name("Notes").unwrap();
        workbook.add_worksheet().set_name("<b>&co").unwrap().write(0, 0, "<script>").unwrap();
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn a_workbook_is_shown_as_its_sheets_look() {
        let html = html(&workbook()).unwrap();
        assert!(html.contains("<h2>Q1 Sales</h2>"), "{html}");
        assert!(
            html.contains(r#"<td colspan="4" style="text-align:center;font-weight:bold;">Sales by region</td>"#),
            "the merged, centred title"
        );
        assert!(html.contains(r#"<td style="font-weight:bold;background:#ddeeff;">Revenue</td>"#));
        assert!(html.contains(r#"<td style="text-align:right;">$2,469.00</td>"#), "currency");
        assert!(html.contains(r#"<td style="text-align:right;">-4.4%</td>"#), "a percentage");
        assert!(html.contains(r#"<td style="text-align:right;">2026-03-31</td>"#), "a date");
        assert!(html.contains("<th>D</th></tr>"), "columns A to D");
        assert!(html.contains("<tr><th>100</th>") && !html.contains("<tr><th>101</th>"));
        assert!(html.contains("Showing 100 of 152 rows and 4 of 4 columns."));
        assert!(html.contains("<h2>Notes</h2>\n<p class=\"note\">This sheet is empty."));
        assert!(
            html.contains("<h2>&lt;b&gt;&amp;co</h2>") && html.contains("<td>&lt;script&gt;</td>")
        );
        assert!(!html.contains("<script") && !html.contains("<b>"), "text is never markup");
    }

    #[test]
    fn column_names_go_on_past_z() {
        let names: Vec<String> = [0, 25, 26, 51, 52, 701, 702].map(column_name).into();
        assert_eq!(names, ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]);
    }

    #[test]
    fn what_is_not_a_workbook_is_said() {
        let message = html(b"%PDF-1.7 not a workbook").unwrap_err().to_string();
        assert!(message.contains("not a workbook"), "{message}");
    }
}
