//! Page setup: how a sheet prints and converts to PDF.

use rust_xlsxwriter::{Worksheet, XlsxError};

use crate::a1;
use crate::spec::{HeaderFooter, Orientation, PageSetup, Paper, Sheet};

/// Excel's paper size codes.
fn paper_code(paper: Paper) -> u8 {
    match paper {
        Paper::Letter => 1,
        Paper::Tabloid => 3,
        Paper::Legal => 5,
        Paper::A3 => 8,
        Paper::A4 => 9,
        Paper::A5 => 11,
    }
}

/// The placeholders of header and footer text and Excel's codes for them.
pub(crate) const PLACEHOLDERS: [(&str, &str); 6] = [
    ("page", "&P"),
    ("pages", "&N"),
    ("sheet", "&A"),
    ("file", "&F"),
    ("date", "&D"),
    ("time", "&T"),
];

/// One part of a header or footer as Excel codes: `&` doubled, each
/// `{placeholder}` replaced. Errors name an unknown placeholder.
pub(crate) fn codes(text: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open].replace('&', "&&"));
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push('{');
            out.push_str(&after.replace('&', "&&"));
            return Ok(out);
        };
        let name = &after[..close];
        match PLACEHOLDERS.iter().find(|(p, _)| p.eq_ignore_ascii_case(name)) {
            Some((_, code)) => out.push_str(code),
            None => {
                let known: Vec<&str> = PLACEHOLDERS.iter().map(|(p, _)| *p).collect();
                let hint = kiln_plugin_sdk::suggest::closest(name, known.iter().copied())
                    .map(|c| format!("did you mean {{{c}}}? "))
                    .unwrap_or_default();
                return Err(format!(
                    "unknown placeholder {{{name}}}; {hint}placeholders are {{page}}, {{pages}}, {{sheet}}, {{file}}, {{date}} and {{time}}"
                ));
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(&rest.replace('&', "&&"));
    Ok(out)
}

/// The whole header or footer string.
pub(crate) fn header_footer(part: &HeaderFooter) -> Result<String, String> {
    let mut out = String::new();
    for (code, text) in [("&L", &part.left), ("&C", &part.center), ("&R", &part.right)] {
        if let Some(text) = text {
            out.push_str(code);
            out.push_str(&codes(text)?);
        }
    }
    Ok(out)
}

/// `"1"` or `"1:2"` (1-based rows) → zero-based first and last row.
pub(crate) fn parse_rows(text: &str) -> Result<(u32, u32), String> {
    let one = |t: &str| -> Result<u32, String> {
        match t.trim().trim_start_matches('$').parse::<u32>() {
            Ok(n) if n >= 1 && u64::from(n) <= a1::MAX_ROWS => Ok(n - 1),
            _ => Err(format!(
                "`{text}` is not a row or row span such as \"1\" or \"1:2\" (rows 1 to 1048576)"
            )),
        }
    };
    match text.split_once(':') {
        None => one(text).map(|r| (r, r)),
        Some((a, b)) => {
            let (a, b) = (one(a)?, one(b)?);
            Ok((a.min(b), a.max(b)))
        }
    }
}

/// Applies the sheet's page setup, or the default (fit to one page wide).
pub(crate) fn apply(ws: &mut Worksheet, sheet: &Sheet) -> Result<(), XlsxError> {
    let default = PageSetup::default();
    let page = sheet.page.as_ref().unwrap_or(&default);
    if page.orientation == Some(Orientation::Landscape) {
        ws.set_landscape();
    }
    if let Some(paper) = page.paper {
        ws.set_paper_size(paper_code(paper));
    }
    if let Some(m) = &page.margins {
        // rust_xlsxwriter keeps its default for a negative value.
        let or = |v: Option<f64>| v.unwrap_or(-1.0);
        ws.set_margins(
            or(m.left),
            or(m.right),
            or(m.top),
            or(m.bottom),
            or(m.header),
            or(m.footer),
        );
    }
    let breaks = !page.row_breaks.is_empty();
    let width = page.fit_width.unwrap_or(if breaks { 0 } else { 1 });
    let height = page.fit_height.unwrap_or(0);
    if width > 0 || height > 0 {
        ws.set_print_fit_to_pages(width, height);
    }
    if let Some(area) = page.print_area.as_deref().and_then(|a| a1::parse_area(a).ok()) {
        ws.set_print_area(area.first.row, area.first.col, area.last.row, area.last.col)?;
    }
    if let Some(Ok((first, last))) = page.repeat_rows.as_deref().map(parse_rows) {
        ws.set_repeat_rows(first, last)?;
    }
    if let Some(Ok(text)) = page.header.as_ref().map(header_footer) {
        ws.set_header(text);
    }
    if let Some(Ok(text)) = page.footer.as_ref().map(header_footer) {
        ws.set_footer(text);
    }
    if breaks {
        let rows: Vec<u32> = page.row_breaks.iter().map(|r| r.saturating_sub(1)).collect();
        ws.set_page_breaks(&rows)?;
    }
    if page.center_horizontally == Some(true) {
        ws.set_print_center_horizontally(true);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_excel_codes_and_ampersands_are_doubled() {
        assert_eq!(codes("Page {page} of {pages}").unwrap(), "Page &P of &N");
        assert_eq!(codes("R&D {sheet}").unwrap(), "R&&D &A");
        assert!(codes("{pgae}").unwrap_err().contains("did you mean {page}?"));
        assert_eq!(parse_rows("1:2"), Ok((0, 1)));
        assert_eq!(parse_rows("3"), Ok((2, 2)));
        assert!(parse_rows("A1").is_err());
    }
}
