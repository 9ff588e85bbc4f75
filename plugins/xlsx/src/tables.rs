//! Excel tables: naming rules, styles and header names.

use rust_xlsxwriter::TableStyle;

use crate::a1::{self, Area, Pos};
use crate::grid::{Content, Grid};
use crate::spec::Table;

/// Excel's rules for table (and defined) names.
pub(crate) fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let Some(first) = chars.next() else {
        return Err("a table name cannot be empty".into());
    };
    if name.chars().count() > 255 {
        return Err("table names are limited to 255 characters".into());
    }
    if !(first.is_alphabetic() || first == '_' || first == '\\') {
        return Err(format!("table name `{name}` must start with a letter, `_` or `\\`"));
    }
    if let Some(bad) = chars.find(|c| !(c.is_alphanumeric() || matches!(c, '_' | '.' | '\\'))) {
        return Err(format!(
            "table name `{name}` contains `{bad}`; use letters, digits, `_` and `.` (no spaces)"
        ));
    }
    if name.chars().count() == 2 && first == '\\' {
        return Err(format!("table name `{name}` (a backslash and one letter) is reserved"));
    }
    let upper = name.to_uppercase();
    if reads_as_reference(&upper) {
        return Err(format!("table name `{name}` reads as a cell reference"));
    }
    if matches!(upper.as_str(), "TRUE" | "FALSE") {
        return Err(format!("table name `{name}` is reserved"));
    }
    Ok(())
}

/// A1 references (`B3`), R1C1 prefixes (`R2x`, `C7`, `RC3`) and the bare
/// `R`, `C` and `RC`, as Excel refuses them for names.
fn reads_as_reference(upper: &str) -> bool {
    if a1::parse_cell(upper).is_ok() || matches!(upper, "R" | "C" | "RC") {
        return true;
    }
    let Some(digits_at) = upper.find(|c: char| c.is_ascii_digit()) else {
        return false;
    };
    let (letters, rest) = upper.split_at(digits_at);
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let n: u64 = digits.parse().unwrap_or(0);
    match letters {
        "R" => (1..=a1::MAX_ROWS).contains(&n),
        "C" | "RC" => (1..=a1::MAX_COLS).contains(&n),
        _ => false,
    }
}

const LIGHT: [TableStyle; 21] = [
    TableStyle::Light1,
    TableStyle::Light2,
    TableStyle::Light3,
    TableStyle::Light4,
    TableStyle::Light5,
    TableStyle::Light6,
    TableStyle::Light7,
    TableStyle::Light8,
    TableStyle::Light9,
    TableStyle::Light10,
    TableStyle::Light11,
    TableStyle::Light12,
    TableStyle::Light13,
    TableStyle::Light14,
    TableStyle::Light15,
    TableStyle::Light16,
    TableStyle::Light17,
    TableStyle::Light18,
    TableStyle::Light19,
    TableStyle::Light20,
    TableStyle::Light21,
];

const MEDIUM: [TableStyle; 28] = [
    TableStyle::Medium1,
    TableStyle::Medium2,
    TableStyle::Medium3,
    TableStyle::Medium4,
    TableStyle::Medium5,
    TableStyle::Medium6,
    TableStyle::Medium7,
    TableStyle::Medium8,
    TableStyle::Medium9,
    TableStyle::Medium10,
    TableStyle::Medium11,
    TableStyle::Medium12,
    TableStyle::Medium13,
    TableStyle::Medium14,
    TableStyle::Medium15,
    TableStyle::Medium16,
    TableStyle::Medium17,
    TableStyle::Medium18,
    TableStyle::Medium19,
    TableStyle::Medium20,
    TableStyle::Medium21,
    TableStyle::Medium22,
    TableStyle::Medium23,
    TableStyle::Medium24,
    TableStyle::Medium25,
    TableStyle::Medium26,
    TableStyle::Medium27,
    TableStyle::Medium28,
];

const DARK: [TableStyle; 11] = [
    TableStyle::Dark1,
    TableStyle::Dark2,
    TableStyle::Dark3,
    TableStyle::Dark4,
    TableStyle::Dark5,
    TableStyle::Dark6,
    TableStyle::Dark7,
    TableStyle::Dark8,
    TableStyle::Dark9,
    TableStyle::Dark10,
    TableStyle::Dark11,
];

/// A table style by name: "Medium 9", "medium9", "TableStyleMedium9" or
/// "None".
pub(crate) fn style(name: &str) -> Option<TableStyle> {
    let key: String =
        name.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    let key = key.strip_prefix("tablestyle").unwrap_or(&key);
    if key == "none" {
        return Some(TableStyle::None);
    }
    let (family, number): (&[TableStyle], &str) = if let Some(n) = key.strip_prefix("light") {
        (&LIGHT, n)
    } else if let Some(n) = key.strip_prefix("medium") {
        (&MEDIUM, n)
    } else if let Some(n) = key.strip_prefix("dark") {
        (&DARK, n)
    } else {
        return None;
    };
    let n: usize = number.parse().ok()?;
    family.get(n.checked_sub(1)?).copied()
}

/// The header text of each column of a table: the spec's `columns[i].header`,
/// else the value already in the header cell as text, else Excel's default
/// `ColumnN` (for empty and formula cells).
pub(crate) fn header_names(grid: &Grid, sheet: usize, table: &Table, area: Area) -> Vec<String> {
    (0..area.cols())
        .map(|c| {
            let given = table.columns.get(usize::from(c)).and_then(|col| col.header.clone());
            given.unwrap_or_else(|| {
                let pos = Pos { row: area.first.row, col: area.first.col + c };
                match grid.get(sheet, pos).map(|e| &e.content) {
                    Some(Content::Text(t)) => t.to_string(),
                    // Headers are text; a number shows as it would in the cell.
                    Some(Content::Number(n)) if n.fract() == 0.0 && n.abs() < 1e15 => {
                        format!("{}", *n as i64)
                    }
                    Some(Content::Number(n)) => n.to_string(),
                    Some(Content::Bool(b)) => if *b { "TRUE" } else { "FALSE" }.to_string(),
                    _ => format!("Column{}", c + 1),
                }
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_follow_excel_rules() {
        for good in ["Sales", "_t1", "Sales.2026", "Budget_Q1", "Sales2026", "Rates"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in
            ["", "1st", "My Table", "A1", "tax2026", "R1C1", "R2x", "RC", "true", "Sales-2026"]
        {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn table_styles_are_found_by_loose_names() {
        assert!(style("Medium 9") == Some(TableStyle::Medium9));
        assert!(style("TableStyleLight15") == Some(TableStyle::Light15));
        assert!(style("dark11") == Some(TableStyle::Dark11));
        assert!(style("none") == Some(TableStyle::None));
        assert!(style("Medium 29").is_none());
        assert!(style("Medium 0").is_none());
        assert!(style("Fancy").is_none());
    }
}
