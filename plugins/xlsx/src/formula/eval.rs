//! Computing formula results to store as each formula cell's cached value.
//!
//! Readers that do not recalculate (previews, most libraries) show the cached
//! value, so a wrong one is worse than none: anything outside the supported
//! subset, any Excel error (#DIV/0!, #VALUE!, ...), a reference cycle, or a
//! dependency chain deeper than [`MAX_DEPTH`] yields no result at all.

use std::collections::HashMap;

#[path = "library.rs"]
mod library;

use super::parse::{self, Expr};
use crate::a1::{Area, Pos};
use crate::grid::{Content, Grid};

/// How many formulas deep a chain of references may go before evaluation
/// gives up on it (keeps the stack small inside the sandbox).
pub(crate) const MAX_DEPTH: usize = 256;

/// A computed cell value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Num(f64),
    Text(String),
    Bool(bool),
}

impl Val {
    /// The text to store as the cached result, if the cell writer can type it
    /// unambiguously (text that reads as a number or boolean cannot).
    pub(crate) fn cached_text(&self) -> Option<String> {
        match self {
            Val::Num(n) if n.is_finite() => Some(format_number(*n)),
            Val::Num(_) => None,
            Val::Bool(b) => Some(if *b { "TRUE" } else { "FALSE" }.to_string()),
            Val::Text(t) => {
                let ambiguous = t.parse::<f64>().is_ok()
                    || matches!(t.as_str(), "TRUE" | "FALSE")
                    || t.starts_with('#');
                (!ambiguous).then(|| t.clone())
            }
        }
    }
}

pub(crate) fn format_number(n: f64) -> String {
    if n == 0.0 {
        // Avoid "-0".
        return "0".to_string();
    }
    format!("{n}")
}

/// An operand while evaluating: a value, a blank cell, or a range.
#[derive(Debug, Clone)]
pub(super) enum Operand {
    Val(Val),
    Blank,
    Range(usize, Area),
}

/// Why there is no value: something not computed here, or an Excel error
/// value (#DIV/0!, #N/A, #VALUE!, #NUM!, ...), which IFERROR can catch.
/// Either way the cell gets no cached result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Fail {
    Unsupported,
    Error,
}

use Fail::{Error as ExcelError, Unsupported as NoResult};

pub(super) type Eval<T> = Result<T, Fail>;

#[derive(Debug, Clone)]
enum State {
    InProgress,
    Done(Eval<Val>),
}

/// Evaluates formula cells of a [`Grid`], memoising results.
pub(crate) struct Evaluator<'g> {
    grid: &'g Grid<'g>,
    state: HashMap<(usize, Pos), State>,
    depth: usize,
    /// Set when the current top-level evaluation hit [`MAX_DEPTH`].
    too_deep: bool,
    /// The serial date TODAY() returns: the document's date.
    today: f64,
}

impl<'g> Evaluator<'g> {
    pub(crate) fn new(grid: &'g Grid<'g>) -> Self {
        Evaluator {
            grid,
            state: HashMap::new(),
            depth: 0,
            too_deep: false,
            today: 36_526.0, // 2000-01-01, the default document date
        }
    }

    /// Sets the serial date TODAY() returns.
    pub(crate) fn with_today(mut self, serial: f64) -> Self {
        self.today = serial;
        self
    }

    /// The value of the formula cell at `pos`, or `None` when it cannot be
    /// computed (or the cell holds no formula).
    pub(crate) fn result(&mut self, sheet: usize, pos: Pos) -> Option<Val> {
        match self.formula_value(sheet, pos) {
            Ok(Operand::Val(v)) => Some(v),
            // A formula that yields a blank cell shows 0.
            Ok(Operand::Blank) => Some(Val::Num(0.0)),
            _ => None,
        }
    }

    fn formula_value(&mut self, sheet: usize, pos: Pos) -> Eval<Operand> {
        let grid = self.grid;
        let Some(Content::Formula(text)) = grid.get(sheet, pos).map(|e| &e.content) else {
            return Err(NoResult);
        };
        match self.state.get(&(sheet, pos)) {
            Some(State::Done(v)) => return v.clone().map(Operand::Val),
            Some(State::InProgress) => return Err(NoResult),
            None => {}
        }
        if self.depth >= MAX_DEPTH {
            self.too_deep = true;
            return Err(NoResult);
        }
        self.state.insert((sheet, pos), State::InProgress);
        self.depth += 1;
        let value = parse::parse(text)
            .map_err(|_| NoResult)
            .and_then(|expr| self.eval(&expr, sheet))
            .and_then(|op| self.scalar(op));
        self.depth -= 1;
        let value = match value {
            Ok(Operand::Blank) => Ok(Val::Num(0.0)),
            Ok(Operand::Val(v)) => Ok(v),
            Ok(Operand::Range(..)) => Err(NoResult),
            Err(e) => Err(e),
        };
        if value.is_ok() || !self.too_deep {
            self.state.insert((sheet, pos), State::Done(value.clone()));
        } else {
            // The failure may only be the depth limit: forget it so a later,
            // shallower evaluation can try again.
            self.state.remove(&(sheet, pos));
        }
        if self.depth == 0 {
            self.too_deep = false;
        }
        value.map(Operand::Val)
    }

    /// The value of one cell, evaluating it if it is a formula.
    pub(super) fn cell(&mut self, sheet: usize, pos: Pos) -> Eval<Operand> {
        match self.grid.get(sheet, pos).map(|e| &e.content) {
            None | Some(Content::Blank) => Ok(Operand::Blank),
            Some(Content::Number(n)) => Ok(Operand::Val(Val::Num(*n))),
            Some(Content::Text(t)) => Ok(Operand::Val(Val::Text(t.to_string()))),
            Some(Content::Bool(b)) => Ok(Operand::Val(Val::Bool(*b))),
            Some(Content::Formula(_)) => self.formula_value(sheet, pos),
        }
    }

    /// Reduces a single-cell range to that cell's value; larger ranges
    /// cannot be used as a value.
    pub(super) fn scalar(&mut self, op: Operand) -> Eval<Operand> {
        match op {
            Operand::Range(sheet, area) if area.is_single_cell() => self.cell(sheet, area.first),
            Operand::Range(..) => Err(NoResult),
            other => Ok(other),
        }
    }

    pub(super) fn number(&mut self, expr: &Expr, sheet: usize) -> Eval<f64> {
        let op = self.eval(expr, sheet)?;
        match self.scalar(op)? {
            Operand::Blank => Ok(0.0),
            Operand::Val(Val::Num(n)) => Ok(n),
            Operand::Val(Val::Bool(b)) => Ok(if b { 1.0 } else { 0.0 }),
            // Excel would try to read the text as a number; don't guess.
            _ => Err(NoResult),
        }
    }

    pub(super) fn eval(&mut self, expr: &Expr, sheet: usize) -> Eval<Operand> {
        let num = |n: f64| {
            if n.is_finite() { Ok(Operand::Val(Val::Num(n))) } else { Err(ExcelError) }
        };
        match expr {
            Expr::Num(n) => num(*n),
            Expr::Str(s) => Ok(Operand::Val(Val::Text(s.clone()))),
            Expr::Bool(b) => Ok(Operand::Val(Val::Bool(*b))),
            Expr::Ref { sheet: name, area } => {
                let target = match name {
                    None => sheet,
                    Some(name) => self.grid.sheet_index(name).ok_or(NoResult)?,
                };
                Ok(Operand::Range(target, *area))
            }
            Expr::Neg(inner) => num(-self.number(inner, sheet)?),
            Expr::Percent(inner) => num(self.number(inner, sheet)? / 100.0),
            Expr::Bin(op, left, right) => match *op {
                "+" | "-" | "*" | "/" | "^" => {
                    let a = self.number(left, sheet)?;
                    let b = self.number(right, sheet)?;
                    num(arithmetic(op, a, b)?)
                }
                "&" => {
                    let a = self.text(left, sheet)?;
                    let b = self.text(right, sheet)?;
                    Ok(Operand::Val(Val::Text(a + &b)))
                }
                _ => self.compare(op, left, right, sheet),
            },
            Expr::Call(name, args) => self.call(name, args, sheet),
        }
    }

    pub(super) fn text(&mut self, expr: &Expr, sheet: usize) -> Eval<String> {
        let op = self.eval(expr, sheet)?;
        match self.scalar(op)? {
            Operand::Blank => Ok(String::new()),
            Operand::Val(Val::Text(t)) => Ok(t),
            Operand::Val(Val::Bool(b)) => Ok(if b { "TRUE" } else { "FALSE" }.to_string()),
            // Excel renders numbers as text in "General" style.
            Operand::Val(Val::Num(n)) => library::general_text(n).ok_or(NoResult),
            Operand::Range(..) => Err(NoResult),
        }
    }

    fn compare(&mut self, op: &str, left: &Expr, right: &Expr, sheet: usize) -> Eval<Operand> {
        let a = self.eval(left, sheet)?;
        let a = self.scalar(a)?;
        let b = self.eval(right, sheet)?;
        let b = self.scalar(b)?;
        let ordering = match (a, b) {
            (Operand::Val(Val::Num(x)), Operand::Val(Val::Num(y))) => x.partial_cmp(&y),
            (Operand::Val(Val::Num(x)), Operand::Blank) => x.partial_cmp(&0.0),
            (Operand::Blank, Operand::Val(Val::Num(y))) => 0.0f64.partial_cmp(&y),
            (Operand::Blank, Operand::Blank) => Some(std::cmp::Ordering::Equal),
            (Operand::Val(Val::Bool(x)), Operand::Val(Val::Bool(y))) => Some(x.cmp(&y)),
            // Mixed types and text follow rules (locale collation) not
            // reproduced here.
            _ => None,
        }
        .ok_or(NoResult)?;
        use std::cmp::Ordering::*;
        let truth = match op {
            "=" => ordering == Equal,
            "<>" => ordering != Equal,
            "<" => ordering == Less,
            ">" => ordering == Greater,
            "<=" => ordering != Greater,
            ">=" => ordering != Less,
            _ => return Err(NoResult),
        };
        Ok(Operand::Val(Val::Bool(truth)))
    }

    fn call(&mut self, name: &str, args: &[Expr], sheet: usize) -> Eval<Operand> {
        let name = super::functions::canonical(name);
        let name = name.as_str();
        let num = |n: f64| {
            if n.is_finite() { Ok(Operand::Val(Val::Num(n))) } else { Err(ExcelError) }
        };
        match name {
            "SUM" | "AVERAGE" | "MIN" | "MAX" | "COUNT" | "COUNTA" | "PRODUCT" => {
                let agg = Aggregate::from_name(name).ok_or(NoResult)?;
                let values = self.collect(args, sheet, false)?;
                num(agg.apply(&values)?)
            }
            "SUBTOTAL" => {
                let (code, rest) = args.split_first().ok_or(NoResult)?;
                let code = self.number(code, sheet)?;
                let agg = Aggregate::from_subtotal(code).ok_or(NoResult)?;
                if rest.is_empty() {
                    return Err(NoResult);
                }
                let values = self.collect(rest, sheet, true)?;
                num(agg.apply(&values)?)
            }
            "ABS" => match args {
                [x] => num(self.number(x, sheet)?.abs()),
                _ => Err(NoResult),
            },
            "ROUND" => match args {
                [x, digits] => {
                    let x = self.number(x, sheet)?;
                    let digits = self.number(digits, sheet)?.trunc();
                    num(round_half_away(x, digits)?)
                }
                _ => Err(NoResult),
            },
            "IF" => {
                let (cond, then, otherwise) = match args {
                    [c, t] => (c, t, None),
                    [c, t, o] => (c, t, Some(o)),
                    _ => return Err(NoResult),
                };
                let truth = self.number(cond, sheet)? != 0.0;
                let branch = if truth { Some(then) } else { otherwise };
                match branch {
                    Some(expr) => {
                        let op = self.eval(expr, sheet)?;
                        self.scalar(op)
                    }
                    None => Ok(Operand::Val(Val::Bool(false))),
                }
            }
            _ => self.library(name, args, sheet),
        }
    }

    /// Gathers the arguments of an aggregate. Cells inside references count
    /// only when they hold numbers (COUNTA: anything non-blank); values
    /// given directly must be numbers or booleans.
    fn collect(&mut self, args: &[Expr], sheet: usize, skip_subtotals: bool) -> Eval<Vec<Item>> {
        let grid = self.grid;
        let mut items = Vec::new();
        for arg in args {
            match self.eval(arg, sheet)? {
                Operand::Range(target, area) => {
                    for (pos, entry) in grid.sheets[target].range(&area) {
                        if skip_subtotals
                            && matches!(&entry.content, Content::Formula(f)
                                if f.to_ascii_uppercase().contains("SUBTOTAL("))
                        {
                            continue;
                        }
                        match self.cell(target, pos)? {
                            Operand::Val(Val::Num(n)) => items.push(Item::Number(n)),
                            Operand::Val(_) => items.push(Item::Other),
                            Operand::Blank | Operand::Range(..) => {}
                        }
                    }
                }
                Operand::Val(Val::Num(n)) => items.push(Item::Number(n)),
                Operand::Val(Val::Bool(b)) => items.push(Item::Number(if b { 1.0 } else { 0.0 })),
                Operand::Val(Val::Text(_)) => return Err(NoResult),
                Operand::Blank => items.push(Item::Number(0.0)),
            }
        }
        Ok(items)
    }
}

pub(super) fn arithmetic(op: &str, a: f64, b: f64) -> Eval<f64> {
    match op {
        "+" => Ok(a + b),
        "-" => Ok(a - b),
        "*" => Ok(a * b),
        "/" if b == 0.0 => Err(ExcelError),
        "/" => Ok(a / b),
        "^" if a == 0.0 && b <= 0.0 => Err(ExcelError),
        "^" => Ok(a.powf(b)),
        _ => Err(NoResult),
    }
}

/// Excel's ROUND: half away from zero, on the value as Excel shows it
/// (15 significant digits), so `ROUND(1.005, 2)` is 1.01.
pub(super) fn round_half_away(x: f64, digits: f64) -> Eval<f64> {
    if !(-15.0..=15.0).contains(&digits) {
        return Err(NoResult);
    }
    let factor = 10f64.powi(digits as i32);
    let scaled: f64 = format!("{:.14e}", x * factor).parse().map_err(|_| NoResult)?;
    let rounded = scaled.abs().round().copysign(scaled);
    Ok(rounded / factor)
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Number(f64),
    /// A non-blank, non-number cell (counts for COUNTA only).
    Other,
}

#[derive(Debug, Clone, Copy)]
enum Aggregate {
    Sum,
    Average,
    Min,
    Max,
    Count,
    CountA,
    Product,
}

impl Aggregate {
    fn from_name(name: &str) -> Option<Aggregate> {
        Some(match name {
            "SUM" => Aggregate::Sum,
            "AVERAGE" => Aggregate::Average,
            "MIN" => Aggregate::Min,
            "MAX" => Aggregate::Max,
            "COUNT" => Aggregate::Count,
            "COUNTA" => Aggregate::CountA,
            "PRODUCT" => Aggregate::Product,
            _ => return None,
        })
    }

    /// SUBTOTAL's function codes; 101.. ignore hidden rows, and a new
    /// workbook has none.
    fn from_subtotal(code: f64) -> Option<Aggregate> {
        let code = code.trunc() as i64;
        Some(match code % 100 {
            1 => Aggregate::Average,
            2 => Aggregate::Count,
            3 => Aggregate::CountA,
            4 => Aggregate::Max,
            5 => Aggregate::Min,
            6 => Aggregate::Product,
            9 => Aggregate::Sum,
            _ => return None,
        })
        .filter(|_| (1..=11).contains(&code) || (101..=111).contains(&code))
    }

    fn apply(self, items: &[Item]) -> Eval<f64> {
        let numbers = items.iter().filter_map(|i| match i {
            Item::Number(n) => Some(*n),
            Item::Other => None,
        });
        Ok(match self {
            Aggregate::Sum => numbers.sum(),
            Aggregate::Product => {
                let mut any = false;
                let p = numbers.fold(1.0, |acc, n| {
                    any = true;
                    acc * n
                });
                if any { p } else { 0.0 }
            }
            Aggregate::Average => {
                let (sum, count) = numbers.fold((0.0, 0usize), |(s, c), n| (s + n, c + 1));
                if count == 0 {
                    return Err(ExcelError);
                }
                sum / count as f64
            }
            Aggregate::Min => numbers.reduce(f64::min).unwrap_or(0.0),
            Aggregate::Max => numbers.reduce(f64::max).unwrap_or(0.0),
            Aggregate::Count => numbers.count() as f64,
            Aggregate::CountA => items.len() as f64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::a1::parse_cell;
    use crate::grid::{Entry, Source};

    /// A small workbook: sheet name → cells as (A1 ref, content).
    struct Book(Grid<'static>);

    impl Book {
        fn new() -> Self {
            Book(Grid::default())
        }

        fn sheet(mut self, name: &str, cells: &[(&str, Content<'static>)]) -> Self {
            let index = self.0.add_sheet(name);
            for (at, content) in cells {
                let entry =
                    Entry { content: content.clone(), source: Source::Row { row: 0, cell: 0 } };
                self.0.push(index, parse_cell(at).unwrap(), entry);
            }
            self.0.settle(index);
            self
        }

        fn eval(&self, sheet: &str, at: &str) -> Option<Val> {
            let index = self.0.sheet_index(sheet).unwrap();
            Evaluator::new(&self.0).result(index, parse_cell(at).unwrap())
        }
    }

    fn n(x: f64) -> Content<'static> {
        Content::Number(x)
    }

    fn f(text: &str) -> Content<'static> {
        Content::Formula(text.to_string().into())
    }

    fn t(text: &str) -> Content<'static> {
        Content::Text(text.to_string().into())
    }

    fn one(formula: &str) -> Option<Val> {
        Book::new()
            .sheet("S", &[("A1", n(2.0)), ("A2", n(3.0)), ("A3", n(5.0)), ("Z1", f(formula))])
            .eval("S", "Z1")
    }

    #[test]
    fn arithmetic_follows_excel_precedence() {
        assert_eq!(one("1+2*3"), Some(Val::Num(7.0)));
        assert_eq!(one("(1+2)*3"), Some(Val::Num(9.0)));
        assert_eq!(one("2^3^2"), Some(Val::Num(64.0)));
        assert_eq!(one("-2^2"), Some(Val::Num(4.0)));
        assert_eq!(one("10-4-3"), Some(Val::Num(3.0)));
        assert_eq!(one("50%*A2"), Some(Val::Num(1.5)));
        assert_eq!(one("A1*$A$2+A3/5"), Some(Val::Num(7.0)));
    }

    #[test]
    fn aggregates_cover_ranges_and_direct_values() {
        assert_eq!(one("SUM(A1:A3)"), Some(Val::Num(10.0)));
        assert_eq!(one("SUM(A1:A3, 10, TRUE)"), Some(Val::Num(21.0)));
        assert_eq!(one("AVERAGE(A1:A3)"), Some(Val::Num(10.0 / 3.0)));
        assert_eq!(one("MIN(A1:A3)"), Some(Val::Num(2.0)));
        assert_eq!(one("MAX(A1:A3,7)"), Some(Val::Num(7.0)));
        assert_eq!(one("COUNT(A1:A9)"), Some(Val::Num(3.0)));
        assert_eq!(one("PRODUCT(A1:A3)"), Some(Val::Num(30.0)));
        assert_eq!(one("sum(a1:a3)"), Some(Val::Num(10.0)));
        assert_eq!(one("SUBTOTAL(109,A1:A3)"), Some(Val::Num(10.0)));
    }

    #[test]
    fn ranges_skip_text_and_blanks_but_count_them_where_excel_does() {
        let book = Book::new().sheet(
            "S",
            &[
                ("A1", t("label")),
                ("A2", n(4.0)),
                ("A3", Content::Blank),
                ("A4", Content::Bool(true)),
                ("B1", f("SUM(A1:A4)")),
                ("B2", f("COUNT(A1:A4)")),
                ("B3", f("COUNTA(A1:A4)")),
                ("B4", f("AVERAGE(A1:A4)")),
            ],
        );
        assert_eq!(book.eval("S", "B1"), Some(Val::Num(4.0)));
        assert_eq!(book.eval("S", "B2"), Some(Val::Num(1.0)));
        assert_eq!(book.eval("S", "B3"), Some(Val::Num(3.0)));
        assert_eq!(book.eval("S", "B4"), Some(Val::Num(4.0)));
    }

    #[test]
    fn formulas_see_other_sheets_and_other_formulas() {
        let book = Book::new()
            .sheet("Data", &[("B2", n(100.0)), ("B3", n(250.0)), ("B4", f("SUM(B2:B3)"))])
            .sheet(
                "My Sheet",
                &[
                    ("A1", f("Data!B4*2")),
                    ("A2", f("'My Sheet'!A1+data!$B$2")),
                    ("A3", f("SUM(Data!B2:B4)")),
                ],
            );
        assert_eq!(book.eval("My Sheet", "A1"), Some(Val::Num(700.0)));
        assert_eq!(book.eval("My Sheet", "A2"), Some(Val::Num(800.0)));
        assert_eq!(book.eval("My Sheet", "A3"), Some(Val::Num(700.0)));
    }

    #[test]
    fn cycles_have_no_result() {
        let book = Book::new().sheet(
            "S",
            &[("A1", f("A2+1")), ("A2", f("A3+1")), ("A3", f("A1+1")), ("B1", f("SUM(B1:B2)"))],
        );
        assert_eq!(book.eval("S", "A1"), None);
        assert_eq!(book.eval("S", "B1"), None);
    }

    #[test]
    fn excel_errors_and_unknown_functions_have_no_result() {
        assert_eq!(one("1/0"), None);
        assert_eq!(one("AVERAGE(C1:C5)"), None);
        assert_eq!(one("0^0"), None);
        assert_eq!(one("(-8)^0.5"), None);
        assert_eq!(one("VLOOKUP(1,A1:A3,1)"), None);
        assert_eq!(one("Nowhere!A1"), None);
        assert_eq!(one("A1:A3"), None);
        assert_eq!(one("\"x\"+1"), None);
        assert_eq!(one("SUM(\"x\")"), None);
    }

    #[test]
    fn text_results_and_blank_references() {
        let book = Book::new().sheet(
            "S",
            &[
                ("A1", t("Total")),
                ("B1", f("A1")),
                ("B2", f("A1&\": \"&7")),
                ("B3", f("C9")),
                ("B4", f("C9+1")),
            ],
        );
        assert_eq!(book.eval("S", "B1"), Some(Val::Text("Total".into())));
        assert_eq!(book.eval("S", "B2"), Some(Val::Text("Total: 7".into())));
        assert_eq!(book.eval("S", "B3"), Some(Val::Num(0.0)));
        assert_eq!(book.eval("S", "B4"), Some(Val::Num(1.0)));
    }

    #[test]
    fn if_round_and_abs_match_excel() {
        assert_eq!(one("IF(A1>A2, 1, 2)"), Some(Val::Num(2.0)));
        assert_eq!(one("IF(A3>=5, \"big\")"), Some(Val::Text("big".into())));
        assert_eq!(one("IF(A1=3, 1)"), Some(Val::Bool(false)));
        assert_eq!(one("ROUND(1.005, 2)"), Some(Val::Num(1.01)));
        assert_eq!(one("ROUND(-2.5, 0)"), Some(Val::Num(-3.0)));
        assert_eq!(one("ROUND(1234.5, -2)"), Some(Val::Num(1200.0)));
        assert_eq!(one("ABS(-A3)"), Some(Val::Num(5.0)));
    }

    #[test]
    fn long_chains_are_evaluated_in_order() {
        let mut cells = vec![("A1".to_string(), n(1.0))];
        for row in 2..=2000 {
            cells.push((format!("A{row}"), f(&format!("A{}+1", row - 1))));
        }
        let cells: Vec<(&str, Content<'static>)> =
            cells.iter().map(|(a, c)| (a.as_str(), c.clone())).collect();
        let book = Book::new().sheet("S", &cells);
        let mut evaluator = Evaluator::new(&book.0);
        // In sheet order each step is one level deep.
        for row in 2..=2000u32 {
            let got = evaluator.result(0, Pos { row: row - 1, col: 0 });
            assert_eq!(got, Some(Val::Num(f64::from(row))));
        }
    }

    #[test]
    fn a_chain_deeper_than_the_limit_has_no_result_rather_than_overflowing() {
        let mut cells = vec![("A1".to_string(), n(1.0))];
        for row in 2..=(MAX_DEPTH as u32 + 10) {
            cells.push((format!("A{row}"), f(&format!("A{}+1", row - 1))));
        }
        let last = format!("A{}", MAX_DEPTH as u32 + 10);
        let cells: Vec<(&str, Content<'static>)> =
            cells.iter().map(|(a, c)| (a.as_str(), c.clone())).collect();
        let book = Book::new().sheet("S", &cells);
        assert_eq!(book.eval("S", &last), None);
    }

    #[test]
    fn cached_text_refuses_values_the_writer_would_mistype() {
        assert_eq!(Val::Num(1.5).cached_text().as_deref(), Some("1.5"));
        assert_eq!(Val::Num(-0.0).cached_text().as_deref(), Some("0"));
        assert_eq!(Val::Num(1e20).cached_text().as_deref(), Some("100000000000000000000"));
        assert_eq!(Val::Bool(true).cached_text().as_deref(), Some("TRUE"));
        assert_eq!(Val::Text("12".into()).cached_text(), None);
        assert_eq!(Val::Text("#N/A".into()).cached_text(), None);
        assert_eq!(Val::Text("ok".into()).cached_text().as_deref(), Some("ok"));
    }
}
