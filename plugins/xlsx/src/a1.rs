//! A1-style cell and range references, Excel's grid limits and sheet-name
//! quoting.

use std::fmt;

/// Rows in an Excel worksheet.
pub(crate) const MAX_ROWS: u64 = 1_048_576;
/// Columns in an Excel worksheet (A to XFD).
pub(crate) const MAX_COLS: u64 = 16_384;

/// A zero-based cell position inside Excel's grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Pos {
    pub(crate) row: u32,
    pub(crate) col: u16,
}

impl Pos {
    /// The position `rows` below and `cols` right of this one, if it is
    /// still inside the grid.
    pub(crate) fn offset(self, rows: u64, cols: u64) -> Result<Pos, A1Error> {
        checked_pos(u64::from(self.row) + rows, u64::from(self.col) + cols)
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", col_name(self.col), u64::from(self.row) + 1)
    }
}

/// A rectangular block of cells, inclusive on both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Area {
    pub(crate) first: Pos,
    pub(crate) last: Pos,
}

impl Area {
    pub(crate) fn cell(pos: Pos) -> Area {
        Area { first: pos, last: pos }
    }

    pub(crate) fn contains(&self, pos: Pos) -> bool {
        (self.first.row..=self.last.row).contains(&pos.row)
            && (self.first.col..=self.last.col).contains(&pos.col)
    }

    pub(crate) fn overlaps(&self, other: &Area) -> bool {
        self.first.row <= other.last.row
            && other.first.row <= self.last.row
            && self.first.col <= other.last.col
            && other.first.col <= self.last.col
    }

    pub(crate) fn rows(&self) -> u32 {
        self.last.row - self.first.row + 1
    }

    pub(crate) fn cols(&self) -> u16 {
        self.last.col - self.first.col + 1
    }

    pub(crate) fn is_single_cell(&self) -> bool {
        self.first == self.last
    }
}

impl fmt::Display for Area {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_single_cell() {
            write!(f, "{}", self.first)
        } else {
            write!(f, "{}:{}", self.first, self.last)
        }
    }
}

/// Why a reference was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum A1Error {
    /// Not of the form `B3`, `$B$3`, `A1:D5`.
    Syntax(String),
    /// Well formed, but past row 1,048,576 or column XFD.
    OutOfBounds(String),
}

impl A1Error {
    /// The reference text the error is about.
    pub(crate) fn text(&self) -> &str {
        match self {
            A1Error::Syntax(t) | A1Error::OutOfBounds(t) => t,
        }
    }
}

impl fmt::Display for A1Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            A1Error::Syntax(text) => {
                write!(f, "`{text}` is not an A1 reference (expected e.g. `B3`, `$B$3` or `A1:D5`)")
            }
            A1Error::OutOfBounds(text) => write!(
                f,
                "`{text}` is outside Excel's grid of {MAX_ROWS} rows by {MAX_COLS} columns (A..XFD)"
            ),
        }
    }
}

fn checked_pos(row: u64, col: u64) -> Result<Pos, A1Error> {
    if row >= MAX_ROWS || col >= MAX_COLS {
        let shown = if col < 1_000_000 {
            format!("{}{}", col_name_wide(col), row + 1)
        } else {
            format!("row {}, column {}", row + 1, col + 1)
        };
        return Err(A1Error::OutOfBounds(shown));
    }
    // Both bounds were just checked, so the conversions cannot truncate.
    Ok(Pos { row: row as u32, col: col as u16 })
}

/// The letters of a zero-based column number: 0 → `A`, 27 → `AB`.
pub(crate) fn col_name(col: u16) -> String {
    col_name_wide(u64::from(col))
}

fn col_name_wide(col: u64) -> String {
    let mut letters = Vec::new();
    let mut n = col + 1;
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// Parses column letters (`A`, `xfd`) into a zero-based column number, which
/// may be past Excel's limit.
fn parse_col_letters(letters: &str) -> Option<u64> {
    if letters.is_empty() || letters.len() > 7 {
        return None;
    }
    let mut n: u64 = 0;
    for b in letters.bytes() {
        if !b.is_ascii_alphabetic() {
            return None;
        }
        n = n * 26 + u64::from(b.to_ascii_uppercase() - b'A') + 1;
    }
    Some(n - 1)
}

/// Splits `$B$3` into its column letters and row digits, both without `$`.
pub(crate) fn split_cell(text: &str) -> Option<(&str, &str)> {
    let rest = text.strip_prefix('$').unwrap_or(text);
    let letters_end = rest.find(|c: char| !c.is_ascii_alphabetic()).unwrap_or(rest.len());
    let (letters, rest) = rest.split_at(letters_end);
    let digits = rest.strip_prefix('$').unwrap_or(rest);
    if letters.is_empty()
        || digits.is_empty()
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0')
    {
        return None;
    }
    Some((letters, digits))
}

/// Parses one cell reference such as `B3` or `$B$3`.
pub(crate) fn parse_cell(text: &str) -> Result<Pos, A1Error> {
    let syntax = || A1Error::Syntax(text.to_string());
    let (letters, digits) = split_cell(text.trim()).ok_or_else(syntax)?;
    let col = parse_col_letters(letters).ok_or_else(syntax)?;
    // More than 12 digits is certainly out of range; avoid overflow.
    let row: u64 =
        if digits.len() > 12 { u64::MAX / 2 } else { digits.parse().map_err(|_| syntax())? };
    checked_pos(row - 1, col).map_err(|_| A1Error::OutOfBounds(text.to_string()))
}

/// Parses `A1:D5` (either corner order) or a single cell `C7`.
pub(crate) fn parse_area(text: &str) -> Result<Area, A1Error> {
    let text = text.trim();
    match text.split_once(':') {
        None => parse_cell(text).map(Area::cell),
        Some((a, b)) => {
            let map = |e: A1Error| match e {
                A1Error::Syntax(_) => A1Error::Syntax(text.to_string()),
                A1Error::OutOfBounds(_) => A1Error::OutOfBounds(text.to_string()),
            };
            let a = parse_cell(a).map_err(map)?;
            let b = parse_cell(b).map_err(map)?;
            Ok(Area {
                first: Pos { row: a.row.min(b.row), col: a.col.min(b.col) },
                last: Pos { row: a.row.max(b.row), col: a.col.max(b.col) },
            })
        }
    }
}

/// Splits `Sales!$B$2:$B$5` or `'My Sheet'!B2` into the sheet name (unquoted)
/// and the reference. `None` for the sheet when there is no `!`.
pub(crate) fn split_sheet(text: &str) -> Result<(Option<String>, &str), A1Error> {
    let text = text.trim();
    let text = text.strip_prefix('=').unwrap_or(text);
    let Some(bang) = text.rfind('!') else {
        return Ok((None, text));
    };
    let (sheet, reference) = (&text[..bang], &text[bang + 1..]);
    let sheet = if let Some(inner) = sheet.strip_prefix('\'') {
        let inner = inner.strip_suffix('\'').ok_or_else(|| A1Error::Syntax(text.to_string()))?;
        inner.replace("''", "'")
    } else {
        sheet.to_string()
    };
    if sheet.is_empty() {
        return Err(A1Error::Syntax(text.to_string()));
    }
    Ok((Some(sheet), reference))
}

/// The sheet name as it must appear in a formula: quoted unless it is a
/// plain identifier that cannot be mistaken for a cell reference.
pub(crate) fn quote_sheet(name: &str) -> String {
    let plain = name.chars().all(|c| c.is_alphanumeric() || c == '_' || c == '.')
        && !name.starts_with(|c: char| c.is_ascii_digit() || c == '.')
        && split_cell(name).is_none()
        && !name.eq_ignore_ascii_case("true")
        && !name.eq_ignore_ascii_case("false");
    if plain { name.to_string() } else { format!("'{}'", name.replace('\'', "''")) }
}

/// `$A$1:$D$5` (or `$A$1` for a single cell), for formulas and charts.
pub(crate) fn absolute(area: &Area) -> String {
    let cell = |p: Pos| format!("${}${}", col_name(p.col), u64::from(p.row) + 1);
    if area.is_single_cell() {
        cell(area.first)
    } else {
        format!("{}:{}", cell(area.first), cell(area.last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_names_round_trip_through_letters() {
        for (n, name) in [(0, "A"), (25, "Z"), (26, "AA"), (701, "ZZ"), (16_383, "XFD")] {
            assert_eq!(col_name(n), name);
            assert_eq!(parse_col_letters(name), Some(u64::from(n)));
        }
    }

    #[test]
    fn cells_parse_with_and_without_dollars() {
        assert_eq!(parse_cell("B3").unwrap(), Pos { row: 2, col: 1 });
        assert_eq!(parse_cell("$b$3").unwrap(), Pos { row: 2, col: 1 });
        assert_eq!(parse_cell("XFD1048576").unwrap().to_string(), "XFD1048576");
        assert!(matches!(parse_cell("B0"), Err(A1Error::Syntax(_))));
        assert!(matches!(parse_cell("3B"), Err(A1Error::Syntax(_))));
        assert!(matches!(parse_cell("XFE1"), Err(A1Error::OutOfBounds(_))));
        assert!(matches!(parse_cell("A1048577"), Err(A1Error::OutOfBounds(_))));
        assert!(matches!(parse_cell("A99999999999999999999"), Err(A1Error::OutOfBounds(_))));
    }

    #[test]
    fn areas_normalise_corner_order() {
        let area = parse_area("D5:A1").unwrap();
        assert_eq!(area.to_string(), "A1:D5");
        assert_eq!((area.rows(), area.cols()), (5, 4));
        assert!(parse_area("A1:").is_err());
    }

    #[test]
    fn sheet_prefixes_are_split_and_unquoted() {
        assert_eq!(
            split_sheet("Sales!$B$2:$B$5").unwrap(),
            (Some("Sales".to_string()), "$B$2:$B$5")
        );
        assert_eq!(split_sheet("'It''s mine'!A1").unwrap(), (Some("It's mine".to_string()), "A1"));
        assert_eq!(split_sheet("B2:B4").unwrap(), (None, "B2:B4"));
    }

    #[test]
    fn sheet_names_are_quoted_only_when_needed() {
        assert_eq!(quote_sheet("Sales"), "Sales");
        assert_eq!(quote_sheet("My Sheet"), "'My Sheet'");
        assert_eq!(quote_sheet("Q1"), "'Q1'");
        assert_eq!(quote_sheet("It's"), "'It''s'");
    }
}
