//! The worksheet functions beyond the basic aggregates: financial,
//! conditional aggregates, logic, lookup, text, dates and rounding.
//!
//! Each follows Excel's definition for the argument types a spec normally
//! gives; anything else (arrays as results, text read as numbers, unusual
//! modes) is not computed rather than guessed.

use std::cmp::Ordering;

use super::{Eval, ExcelError, Fail, NoResult, Operand, Val, arithmetic, round_half_away};
use crate::a1::{Area, Pos};
use crate::formula::parse::Expr;

/// The largest range a conditional function walks cell by cell.
const MAX_SCAN: u64 = 200_000;

/// The functions computed here (besides SUM, AVERAGE, MIN, MAX, COUNT,
/// COUNTA, PRODUCT, SUBTOTAL, ROUND, ABS and IF in `eval.rs`).
#[cfg(test)]
pub(crate) const COMPUTED: &[&str] = &[
    "PMT",
    "IPMT",
    "PPMT",
    "FV",
    "PV",
    "NPV",
    "IRR",
    "RATE",
    "SUMIF",
    "SUMIFS",
    "COUNTIF",
    "COUNTIFS",
    "AVERAGEIF",
    "AVERAGEIFS",
    "IFS",
    "AND",
    "OR",
    "NOT",
    "IFERROR",
    "VLOOKUP",
    "HLOOKUP",
    "INDEX",
    "MATCH",
    "XLOOKUP",
    "CONCAT",
    "CONCATENATE",
    "TEXT",
    "LEFT",
    "RIGHT",
    "MID",
    "LEN",
    "UPPER",
    "LOWER",
    "TRIM",
    "DATE",
    "EDATE",
    "EOMONTH",
    "YEAR",
    "MONTH",
    "DAY",
    "NETWORKDAYS",
    "WORKDAY",
    "TODAY",
    "ROUNDUP",
    "ROUNDDOWN",
    "MOD",
    "POWER",
    "SQRT",
    "INT",
];

fn num(n: f64) -> Eval<Operand> {
    if n.is_finite() { Ok(Operand::Val(Val::Num(n))) } else { Err(ExcelError) }
}

fn text(t: String) -> Eval<Operand> {
    Ok(Operand::Val(Val::Text(t)))
}

/// A number as Excel's General format turns it into text: up to 15
/// significant digits, no exponent (None outside the range where that is
/// what Excel does).
pub(crate) fn general_text(n: f64) -> Option<String> {
    if n == 0.0 {
        return Some("0".into());
    }
    if n.fract() == 0.0 && n.abs() < 1e15 {
        return Some(format!("{}", n as i64));
    }
    if !(1e-5..1e15).contains(&n.abs()) {
        return None;
    }
    let digits = n.abs().log10().floor() as i32 + 1;
    let decimals = (15 - digits).clamp(0, 20) as usize;
    let mut s = format!("{n:.decimals$}");
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    Some(s)
}

/// A comparison criterion of SUMIF, COUNTIFS and friends.
#[derive(Debug, Clone)]
struct Criterion {
    op: &'static str,
    target: Target,
}

#[derive(Debug, Clone)]
enum Target {
    Num(f64),
    /// Lower case; may hold `*` and `?` wildcards.
    Text(String),
    Bool(bool),
    Empty,
}

impl Criterion {
    fn parse(value: Operand) -> Eval<Criterion> {
        let (op, target) = match value {
            Operand::Val(Val::Num(n)) => ("=", Target::Num(n)),
            Operand::Val(Val::Bool(b)) => ("=", Target::Bool(b)),
            Operand::Blank => ("=", Target::Num(0.0)),
            Operand::Range(..) => return Err(NoResult),
            Operand::Val(Val::Text(t)) => {
                let (op, rest) = ["<=", ">=", "<>", "<", ">", "="]
                    .iter()
                    .find_map(|op| t.strip_prefix(op).map(|rest| (*op, rest)))
                    .unwrap_or(("=", t.as_str()));
                let target = if rest.is_empty() {
                    Target::Empty
                } else if let Ok(n) = rest.trim().parse::<f64>() {
                    Target::Num(n)
                } else if rest.eq_ignore_ascii_case("TRUE") {
                    Target::Bool(true)
                } else if rest.eq_ignore_ascii_case("FALSE") {
                    Target::Bool(false)
                } else {
                    Target::Text(rest.to_lowercase())
                };
                (op, target)
            }
        };
        Ok(Criterion { op, target })
    }

    /// Whether a blank cell meets it (so ranges must be walked in full).
    fn matches_blank(&self) -> bool {
        self.matches(&Operand::Blank)
    }

    fn matches(&self, cell: &Operand) -> bool {
        let ordering = match (&self.target, cell) {
            (Target::Num(t), Operand::Val(Val::Num(n))) => n.partial_cmp(t),
            (Target::Text(t), Operand::Val(Val::Text(s))) => {
                if matches!(self.op, "=" | "<>") {
                    let equal = wildcard(t, &s.to_lowercase());
                    return equal == (self.op == "=");
                }
                Some(s.to_lowercase().as_str().cmp(t.as_str()))
            }
            (Target::Bool(t), Operand::Val(Val::Bool(b))) => Some(b.cmp(t)),
            (Target::Empty, Operand::Blank) => Some(Ordering::Equal),
            (Target::Empty, Operand::Val(Val::Text(s))) if s.is_empty() => Some(Ordering::Equal),
            (Target::Empty, _) => {
                return self.op == "<>";
            }
            _ => None,
        };
        match ordering {
            None => self.op == "<>",
            Some(o) => match self.op {
                "=" => o == Ordering::Equal,
                "<>" => o != Ordering::Equal,
                "<" => o == Ordering::Less,
                ">" => o == Ordering::Greater,
                "<=" => o != Ordering::Greater,
                ">=" => o != Ordering::Less,
                _ => false,
            },
        }
    }
}

/// Excel's wildcard match: `*` any run, `?` one character, `~` escapes.
fn wildcard(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    fn go(p: &[char], t: &[char]) -> bool {
        match p.first() {
            None => t.is_empty(),
            Some('*') => (0..=t.len()).any(|i| go(&p[1..], &t[i..])),
            Some('?') => !t.is_empty() && go(&p[1..], &t[1..]),
            Some('~') if p.len() > 1 => t.first() == Some(&p[1]) && go(&p[2..], &t[1..]),
            Some(c) => t.first() == Some(c) && go(&p[1..], &t[1..]),
        }
    }
    go(&p, &t)
}

/// Lookup equality: numbers exactly, text ignoring case (with wildcards
/// when asked), booleans; blanks match nothing.
fn lookup_eq(cell: &Operand, wanted: &Val, wildcards: bool) -> bool {
    match (cell, wanted) {
        (Operand::Val(Val::Num(a)), Val::Num(b)) => a == b,
        (Operand::Val(Val::Bool(a)), Val::Bool(b)) => a == b,
        (Operand::Val(Val::Text(a)), Val::Text(b)) => {
            if wildcards && b.contains(['*', '?', '~']) {
                wildcard(&b.to_lowercase(), &a.to_lowercase())
            } else {
                a.to_lowercase() == b.to_lowercase()
            }
        }
        _ => false,
    }
}

/// Ordering of a cell against a lookup value of the same type.
fn lookup_cmp(cell: &Operand, wanted: &Val) -> Option<Ordering> {
    match (cell, wanted) {
        (Operand::Val(Val::Num(a)), Val::Num(b)) => a.partial_cmp(b),
        (Operand::Val(Val::Text(a)), Val::Text(b)) => Some(a.to_lowercase().cmp(&b.to_lowercase())),
        (Operand::Val(Val::Bool(a)), Val::Bool(b)) => Some(a.cmp(b)),
        _ => None,
    }
}

// Date serials: day 61 is 1900-03-01; earlier serials carry Excel's
// 1900 leap-year bug and are not computed.
const FIRST_SERIAL: f64 = 61.0;

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

fn epoch() -> i64 {
    days_from_civil(1899, 12, 30)
}

fn serial_of(year: i64, month: i64, day: i64) -> Eval<f64> {
    let serial = (days_from_civil(year, month, day) - epoch()) as f64;
    if (FIRST_SERIAL..=2_958_465.0).contains(&serial) { Ok(serial) } else { Err(NoResult) }
}

fn ymd(serial: f64) -> Eval<(i64, i64, i64)> {
    if !(FIRST_SERIAL..=2_958_465.0).contains(&serial) {
        return Err(NoResult);
    }
    Ok(civil_from_days(serial.trunc() as i64 + epoch()))
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let (y, m) = if month == 12 { (year + 1, 1) } else { (year, month + 1) };
    days_from_civil(y, m, 1) - days_from_civil(year, month, 1)
}

/// Year and month `months` after the given ones.
fn add_months(year: i64, month: i64, months: i64) -> (i64, i64) {
    let total = year * 12 + (month - 1) + months;
    (total.div_euclid(12), total.rem_euclid(12) + 1)
}

/// Mon..Fri are working days. Serial 61 (1900-03-01) was a Thursday.
fn is_weekday(serial: i64) -> bool {
    !matches!((serial - 1).rem_euclid(7), 0 | 6)
}

fn round_with(x: f64, digits: f64, away: bool) -> Eval<f64> {
    if !(-15.0..=15.0).contains(&digits) {
        return Err(NoResult);
    }
    let factor = 10f64.powi(digits.trunc() as i32);
    // Round at 15 significant digits first, as Excel shows the value.
    let scaled: f64 = format!("{:.14e}", x * factor).parse().map_err(|_| NoResult)?;
    let r = if away { scaled.abs().ceil() } else { scaled.abs().floor() };
    Ok(r.copysign(scaled) / factor)
}

/// Future value of an annuity, Excel's sign convention.
fn fv(rate: f64, n: f64, pmt: f64, pv: f64, kind: f64) -> f64 {
    if rate == 0.0 {
        -(pv + pmt * n)
    } else {
        let g = (1.0 + rate).powf(n);
        -(pv * g + pmt * (1.0 + rate * kind) * (g - 1.0) / rate)
    }
}

fn pmt(rate: f64, n: f64, pv: f64, fv: f64, kind: f64) -> f64 {
    if rate == 0.0 {
        -(pv + fv) / n
    } else {
        let g = (1.0 + rate).powf(n);
        -(rate * (pv * g + fv)) / ((1.0 + rate * kind) * (g - 1.0))
    }
}

fn ipmt(rate: f64, per: f64, n: f64, pv: f64, fvalue: f64, kind: f64) -> Eval<f64> {
    if per < 1.0 || per > n {
        return Err(ExcelError);
    }
    let payment = pmt(rate, n, pv, fvalue, kind);
    if kind != 0.0 && per == 1.0 {
        return Ok(0.0);
    }
    let interest = if kind != 0.0 {
        (fv(rate, per - 2.0, payment, pv, 1.0) - payment) * rate
    } else {
        fv(rate, per - 1.0, payment, pv, 0.0) * rate
    };
    Ok(interest)
}

/// Newton's method on `f` from `guess`, as Excel's IRR and RATE do.
fn solve(f: impl Fn(f64) -> f64, guess: f64) -> Eval<f64> {
    let mut x = guess;
    for _ in 0..100 {
        let y = f(x);
        if !y.is_finite() {
            return Err(ExcelError);
        }
        let h = 1e-7 * x.abs().max(1e-3);
        let slope = (f(x + h) - f(x - h)) / (2.0 * h);
        if slope == 0.0 || !slope.is_finite() {
            return Err(ExcelError);
        }
        let next = x - y / slope;
        if (next - x).abs() < 1e-12 * next.abs().max(1.0) {
            return if next.is_finite() && next > -1.0 { Ok(next) } else { Err(ExcelError) };
        }
        x = next;
    }
    Err(ExcelError)
}

impl super::Evaluator<'_> {
    /// A scalar argument: the value of an expression, a single cell read.
    fn value(&mut self, expr: &Expr, sheet: usize) -> Eval<Operand> {
        let op = self.eval(expr, sheet)?;
        self.scalar(op)
    }

    fn val(&mut self, expr: &Expr, sheet: usize) -> Eval<Val> {
        match self.value(expr, sheet)? {
            Operand::Val(v) => Ok(v),
            Operand::Blank => Ok(Val::Num(0.0)),
            Operand::Range(..) => Err(NoResult),
        }
    }

    fn opt_number(&mut self, args: &[Expr], i: usize, default: f64, sheet: usize) -> Eval<f64> {
        match args.get(i) {
            Some(expr) => self.number(expr, sheet),
            None => Ok(default),
        }
    }

    fn truth(&mut self, expr: &Expr, sheet: usize) -> Eval<bool> {
        match self.value(expr, sheet)? {
            Operand::Val(Val::Bool(b)) => Ok(b),
            Operand::Val(Val::Num(n)) => Ok(n != 0.0),
            Operand::Blank => Ok(false),
            Operand::Val(Val::Text(t)) if t.eq_ignore_ascii_case("TRUE") => Ok(true),
            Operand::Val(Val::Text(t)) if t.eq_ignore_ascii_case("FALSE") => Ok(false),
            _ => Err(ExcelError),
        }
    }

    fn area(&mut self, expr: &Expr, sheet: usize) -> Eval<(usize, Area)> {
        match self.eval(expr, sheet)? {
            Operand::Range(s, area) => Ok((s, area)),
            _ => Err(NoResult),
        }
    }

    /// The cells of an area in row-major order, blanks included.
    fn cells(&mut self, target: usize, area: Area) -> Eval<Vec<Operand>> {
        if u64::from(area.rows()) * u64::from(area.cols()) > MAX_SCAN {
            return Err(NoResult);
        }
        let mut out = Vec::with_capacity(area.rows() as usize * area.cols() as usize);
        for row in area.first.row..=area.last.row {
            for col in area.first.col..=area.last.col {
                out.push(self.cell(target, Pos { row, col })?);
            }
        }
        Ok(out)
    }

    /// The numbers of ranges and values, as NPV counts them.
    fn numbers(&mut self, args: &[Expr], sheet: usize) -> Eval<Vec<f64>> {
        let grid = self.grid;
        let mut out = Vec::new();
        for arg in args {
            match self.eval(arg, sheet)? {
                Operand::Range(target, area) => {
                    for (pos, _) in grid.sheets[target].range(&area) {
                        if let Operand::Val(Val::Num(n)) = self.cell(target, pos)? {
                            out.push(n);
                        }
                    }
                }
                Operand::Val(Val::Num(n)) => out.push(n),
                Operand::Val(Val::Bool(b)) => out.push(f64::from(u8::from(b))),
                Operand::Blank => {}
                Operand::Val(Val::Text(_)) => return Err(NoResult),
            }
        }
        Ok(out)
    }

    /// Which cells of same-shaped areas meet all (range, criterion) pairs:
    /// the offsets (row, col) inside the areas.
    fn matching(&mut self, pairs: &[(usize, Area, Criterion)]) -> Eval<Vec<(u32, u16)>> {
        let Some((_, first, _)) = pairs.first() else {
            return Err(NoResult);
        };
        let (rows, cols) = (first.rows(), first.cols());
        if pairs.iter().any(|(_, a, _)| a.rows() != rows || a.cols() != cols) {
            return Err(ExcelError);
        }
        let grid = self.grid;
        let full = pairs.iter().any(|(_, _, c)| c.matches_blank());
        let mut offsets = Vec::new();
        if full {
            let (t, area, _) = &pairs[0];
            for (i, cell) in self.cells(*t, *area)?.into_iter().enumerate() {
                let (r, c) =
                    ((i as u64 / u64::from(cols)) as u32, (i as u64 % u64::from(cols)) as u16);
                if pairs[0].2.matches(&cell) {
                    offsets.push((r, c));
                }
            }
        } else {
            let (t, area, criterion) = &pairs[0];
            for (pos, _) in grid.sheets[*t].range(area) {
                let cell = self.cell(*t, pos)?;
                if criterion.matches(&cell) {
                    offsets.push((pos.row - area.first.row, pos.col - area.first.col));
                }
            }
        }
        let mut kept = Vec::with_capacity(offsets.len());
        'next: for (r, c) in offsets {
            for (t, area, criterion) in &pairs[1..] {
                let pos = Pos { row: area.first.row + r, col: area.first.col + c };
                let cell = self.cell(*t, pos)?;
                if !criterion.matches(&cell) {
                    continue 'next;
                }
            }
            kept.push((r, c));
        }
        Ok(kept)
    }

    /// The numbers at the given offsets of `area` (text and blanks skipped).
    fn numbers_at(&mut self, target: usize, area: Area, offsets: &[(u32, u16)]) -> Eval<Vec<f64>> {
        let mut out = Vec::new();
        for (r, c) in offsets {
            let pos = Pos { row: area.first.row + r, col: area.first.col + c };
            if let Operand::Val(Val::Num(n)) = self.cell(target, pos)? {
                out.push(n);
            }
        }
        Ok(out)
    }

    fn criteria_pairs(
        &mut self,
        args: &[Expr],
        sheet: usize,
    ) -> Eval<Vec<(usize, Area, Criterion)>> {
        if args.is_empty() || !args.len().is_multiple_of(2) {
            return Err(NoResult);
        }
        let mut pairs = Vec::new();
        for pair in args.chunks(2) {
            let (t, area) = self.area(&pair[0], sheet)?;
            let criterion = Criterion::parse(self.value(&pair[1], sheet)?)?;
            pairs.push((t, area, criterion));
        }
        Ok(pairs)
    }

    /// SUMIF/AVERAGEIF's optional sum range: same shape as the criteria
    /// range, starting at its own top-left cell.
    fn shaped(
        &mut self,
        expr: Option<&Expr>,
        like: (usize, Area),
        sheet: usize,
    ) -> Eval<(usize, Area)> {
        match expr {
            None => Ok(like),
            Some(expr) => {
                let (t, area) = self.area(expr, sheet)?;
                let last = Pos {
                    row: area.first.row + (like.1.rows() - 1),
                    col: area.first.col + (like.1.cols() - 1),
                };
                if last.row >= crate::a1::MAX_ROWS as u32
                    || u64::from(last.col) >= crate::a1::MAX_COLS
                {
                    return Err(NoResult);
                }
                Ok((t, Area { first: area.first, last }))
            }
        }
    }

    fn date_arg(&mut self, expr: &Expr, sheet: usize) -> Eval<f64> {
        let n = self.number(expr, sheet)?;
        if n < 0.0 {
            return Err(ExcelError);
        }
        Ok(n.trunc())
    }

    /// Holiday serials from an optional argument.
    fn holidays(&mut self, expr: Option<&Expr>, sheet: usize) -> Eval<Vec<i64>> {
        match expr {
            None => Ok(Vec::new()),
            Some(expr) => Ok(self
                .numbers(std::slice::from_ref(expr), sheet)?
                .into_iter()
                .map(|n| n.trunc() as i64)
                .collect()),
        }
    }

    fn string(&mut self, expr: &Expr, sheet: usize) -> Eval<String> {
        self.text(expr, sheet)
    }

    /// The evaluated function `name` (upper case, without prefixes).
    pub(super) fn library(&mut self, name: &str, args: &[Expr], sheet: usize) -> Eval<Operand> {
        match (name, args) {
            // Financial.
            ("PMT", [r, n, pv, ..]) if args.len() <= 5 => {
                let (r, n, pv) =
                    (self.number(r, sheet)?, self.number(n, sheet)?, self.number(pv, sheet)?);
                let f = self.opt_number(args, 3, 0.0, sheet)?;
                let k = self.opt_number(args, 4, 0.0, sheet)?;
                if n == 0.0 {
                    return Err(ExcelError);
                }
                num(pmt(r, n, pv, f, if k != 0.0 { 1.0 } else { 0.0 }))
            }
            ("IPMT" | "PPMT", [r, per, n, pv, ..]) if args.len() <= 6 => {
                let r = self.number(r, sheet)?;
                let per = self.number(per, sheet)?;
                let n = self.number(n, sheet)?;
                let pv = self.number(pv, sheet)?;
                let f = self.opt_number(args, 4, 0.0, sheet)?;
                let k = if self.opt_number(args, 5, 0.0, sheet)? != 0.0 { 1.0 } else { 0.0 };
                let interest = ipmt(r, per, n, pv, f, k)?;
                if name == "IPMT" { num(interest) } else { num(pmt(r, n, pv, f, k) - interest) }
            }
            ("FV", [r, n, p, ..]) if args.len() <= 5 => {
                let (r, n, p) =
                    (self.number(r, sheet)?, self.number(n, sheet)?, self.number(p, sheet)?);
                let pv = self.opt_number(args, 3, 0.0, sheet)?;
                let k = if self.opt_number(args, 4, 0.0, sheet)? != 0.0 { 1.0 } else { 0.0 };
                num(fv(r, n, p, pv, k))
            }
            ("PV", [r, n, p, ..]) if args.len() <= 5 => {
                let (r, n, p) =
                    (self.number(r, sheet)?, self.number(n, sheet)?, self.number(p, sheet)?);
                let f = self.opt_number(args, 3, 0.0, sheet)?;
                let k = if self.opt_number(args, 4, 0.0, sheet)? != 0.0 { 1.0 } else { 0.0 };
                if r == 0.0 {
                    return num(-(f + p * n));
                }
                let g = (1.0 + r).powf(n);
                num(-(f + p * (1.0 + r * k) * (g - 1.0) / r) / g)
            }
            ("NPV", [r, rest @ ..]) if !rest.is_empty() => {
                let r = self.number(r, sheet)?;
                let values = self.numbers(rest, sheet)?;
                let mut total = 0.0;
                for (i, v) in values.iter().enumerate() {
                    total += v / (1.0 + r).powi(i as i32 + 1);
                }
                num(total)
            }
            ("IRR", [values, ..]) if args.len() <= 2 => {
                let flows = self.numbers(std::slice::from_ref(values), sheet)?;
                let guess = self.opt_number(args, 1, 0.1, sheet)?;
                if !flows.iter().any(|v| *v > 0.0) || !flows.iter().any(|v| *v < 0.0) {
                    return Err(ExcelError);
                }
                let npv = |r: f64| {
                    flows.iter().enumerate().map(|(i, v)| v / (1.0 + r).powi(i as i32)).sum::<f64>()
                };
                num(solve(npv, guess)?)
            }
            ("RATE", [n, p, pv, ..]) if args.len() <= 6 => {
                let (n, p, pv) =
                    (self.number(n, sheet)?, self.number(p, sheet)?, self.number(pv, sheet)?);
                let f = self.opt_number(args, 3, 0.0, sheet)?;
                let k = if self.opt_number(args, 4, 0.0, sheet)? != 0.0 { 1.0 } else { 0.0 };
                let guess = self.opt_number(args, 5, 0.1, sheet)?;
                let balance = |r: f64| {
                    if r.abs() < 1e-12 {
                        pv + p * n + f
                    } else {
                        let g = (1.0 + r).powf(n);
                        pv * g + p * (1.0 + r * k) * (g - 1.0) / r + f
                    }
                };
                num(solve(balance, guess)?)
            }

            // Conditional aggregates.
            ("SUMIF" | "AVERAGEIF", [range, criterion, ..]) if args.len() <= 3 => {
                let (t, area) = self.area(range, sheet)?;
                let criterion = Criterion::parse(self.value(criterion, sheet)?)?;
                let offsets = self.matching(&[(t, area, criterion)])?;
                let (st, sarea) = self.shaped(args.get(2), (t, area), sheet)?;
                let values = self.numbers_at(st, sarea, &offsets)?;
                self.sum_or_average(name == "SUMIF", &values)
            }
            ("SUMIFS" | "AVERAGEIFS", [target, rest @ ..]) => {
                let (st, sarea) = self.area(target, sheet)?;
                let pairs = self.criteria_pairs(rest, sheet)?;
                if pairs
                    .iter()
                    .any(|(_, a, _)| a.rows() != sarea.rows() || a.cols() != sarea.cols())
                {
                    return Err(ExcelError);
                }
                let offsets = self.matching(&pairs)?;
                let values = self.numbers_at(st, sarea, &offsets)?;
                self.sum_or_average(name == "SUMIFS", &values)
            }
            ("COUNTIF", [range, criterion]) => {
                let (t, area) = self.area(range, sheet)?;
                let criterion = Criterion::parse(self.value(criterion, sheet)?)?;
                num(self.matching(&[(t, area, criterion)])?.len() as f64)
            }
            ("COUNTIFS", _) => {
                let pairs = self.criteria_pairs(args, sheet)?;
                num(self.matching(&pairs)?.len() as f64)
            }

            // Logic.
            ("IFS", _) if !args.is_empty() && args.len().is_multiple_of(2) => {
                for pair in args.chunks(2) {
                    if self.truth(&pair[0], sheet)? {
                        return self.value(&pair[1], sheet);
                    }
                }
                Err(ExcelError)
            }
            ("AND" | "OR", _) if !args.is_empty() => {
                let grid = self.grid;
                let mut seen = Vec::new();
                for arg in args {
                    match self.eval(arg, sheet)? {
                        Operand::Range(t, area) => {
                            for (pos, _) in grid.sheets[t].range(&area) {
                                match self.cell(t, pos)? {
                                    Operand::Val(Val::Bool(b)) => seen.push(b),
                                    Operand::Val(Val::Num(n)) => seen.push(n != 0.0),
                                    _ => {}
                                }
                            }
                        }
                        Operand::Val(Val::Bool(b)) => seen.push(b),
                        Operand::Val(Val::Num(n)) => seen.push(n != 0.0),
                        Operand::Blank => {}
                        Operand::Val(Val::Text(_)) => return Err(ExcelError),
                    }
                }
                if seen.is_empty() {
                    return Err(ExcelError);
                }
                let result =
                    if name == "AND" { seen.iter().all(|b| *b) } else { seen.iter().any(|b| *b) };
                Ok(Operand::Val(Val::Bool(result)))
            }
            ("NOT", [x]) => Ok(Operand::Val(Val::Bool(!self.truth(x, sheet)?))),
            ("IFERROR", [x, fallback]) => match self.value(x, sheet) {
                Err(Fail::Error) => self.value(fallback, sheet),
                other => other,
            },

            // Lookup.
            ("VLOOKUP" | "HLOOKUP", [wanted, table, index, ..]) if args.len() <= 4 => {
                let wanted = self.val(wanted, sheet)?;
                let (t, area) = self.area(table, sheet)?;
                let index = self.number(index, sheet)?.trunc();
                let approximate = match args.get(3) {
                    Some(expr) => self.truth(expr, sheet)?,
                    None => true,
                };
                let vertical = name == "VLOOKUP";
                let span = if vertical { area.cols() } else { area.rows() as u16 };
                if index < 1.0 {
                    return Err(ExcelError);
                }
                if index > f64::from(span) {
                    return Err(ExcelError);
                }
                let key_area = if vertical {
                    Area {
                        first: area.first,
                        last: Pos { row: area.last.row, col: area.first.col },
                    }
                } else {
                    Area {
                        first: area.first,
                        last: Pos { row: area.first.row, col: area.last.col },
                    }
                };
                let keys = self.cells(t, key_area)?;
                let found = if approximate {
                    approximate_position(&keys, &wanted, 1)
                } else {
                    keys.iter().position(|k| lookup_eq(k, &wanted, true))
                }
                .ok_or(ExcelError)?;
                let pos = if vertical {
                    Pos {
                        row: area.first.row + found as u32,
                        col: area.first.col + index as u16 - 1,
                    }
                } else {
                    Pos {
                        row: area.first.row + index as u32 - 1,
                        col: area.first.col + found as u16,
                    }
                };
                self.cell(t, pos)
            }
            ("INDEX", [range, row, ..]) if args.len() <= 3 => {
                let (t, area) = self.area(range, sheet)?;
                let r = self.number(row, sheet)?.trunc();
                let c = self.opt_number(args, 2, 0.0, sheet)?.trunc();
                // One index into a single row counts columns.
                let (r, c) = if args.len() == 2 && area.rows() == 1 {
                    (1.0, r)
                } else if args.len() == 2 && area.cols() == 1 {
                    (r, 1.0)
                } else {
                    (r, c)
                };
                if r < 1.0 || c < 1.0 {
                    return Err(NoResult);
                }
                if r > f64::from(area.rows()) || c > f64::from(area.cols()) {
                    return Err(ExcelError);
                }
                let pos =
                    Pos { row: area.first.row + r as u32 - 1, col: area.first.col + c as u16 - 1 };
                Ok(Operand::Range(t, Area::cell(pos)))
            }
            ("MATCH", [wanted, range, ..]) if args.len() <= 3 => {
                let wanted = self.val(wanted, sheet)?;
                let (t, area) = self.area(range, sheet)?;
                if area.rows() > 1 && area.cols() > 1 {
                    return Err(ExcelError);
                }
                let mode = self.opt_number(args, 2, 1.0, sheet)?;
                let keys = self.cells(t, area)?;
                let found = if mode == 0.0 {
                    keys.iter().position(|k| lookup_eq(k, &wanted, true))
                } else {
                    approximate_position(&keys, &wanted, if mode > 0.0 { 1 } else { -1 })
                };
                num(found.ok_or(ExcelError)? as f64 + 1.0)
            }
            ("XLOOKUP", [wanted, lookup, result, ..]) if args.len() <= 6 => {
                let wanted = self.val(wanted, sheet)?;
                let (lt, larea) = self.area(lookup, sheet)?;
                let (rt, rarea) = self.area(result, sheet)?;
                let match_mode = self.opt_number(args, 4, 0.0, sheet)?;
                let search_mode = self.opt_number(args, 5, 1.0, sheet)?;
                if larea.rows() > 1 && larea.cols() > 1 {
                    return Err(ExcelError);
                }
                let vertical = larea.cols() == 1 && larea.rows() > 1
                    || (larea.rows() == 1 && larea.cols() == 1 && rarea.cols() == 1);
                if vertical && (rarea.cols() != 1 || rarea.rows() != larea.rows())
                    || !vertical && (rarea.rows() != 1 || rarea.cols() != larea.cols())
                {
                    return Err(NoResult);
                }
                let wild = match match_mode {
                    0.0 => false,
                    2.0 => true,
                    _ => return Err(NoResult),
                };
                let keys = self.cells(lt, larea)?;
                let found = match search_mode {
                    1.0 => keys.iter().position(|k| lookup_eq(k, &wanted, wild)),
                    -1.0 => keys.iter().rposition(|k| lookup_eq(k, &wanted, wild)),
                    _ => return Err(NoResult),
                };
                match found {
                    Some(i) => {
                        let pos = if vertical {
                            Pos { row: rarea.first.row + i as u32, col: rarea.first.col }
                        } else {
                            Pos { row: rarea.first.row, col: rarea.first.col + i as u16 }
                        };
                        self.cell(rt, pos)
                    }
                    None => match args.get(3) {
                        Some(fallback) => self.value(fallback, sheet),
                        None => Err(ExcelError),
                    },
                }
            }

            // Text.
            ("CONCAT" | "CONCATENATE", _) if !args.is_empty() => {
                let mut out = String::new();
                for arg in args {
                    match self.eval(arg, sheet)? {
                        Operand::Range(t, area) if name == "CONCAT" => {
                            for cell in self.cells(t, area)? {
                                out.push_str(&self.operand_text(cell)?);
                            }
                        }
                        op => {
                            let op = self.scalar(op)?;
                            out.push_str(&self.operand_text(op)?);
                        }
                    }
                }
                text(out)
            }
            ("TEXT", [value, format]) => {
                let value = self.val(value, sheet)?;
                let format = self.string(format, sheet)?;
                match value {
                    Val::Num(n) => text(format_text(n, &format).ok_or(NoResult)?),
                    Val::Text(t) => text(t),
                    Val::Bool(_) => Err(NoResult),
                }
            }
            ("LEFT" | "RIGHT", [s, ..]) if args.len() <= 2 => {
                let s: Vec<char> = self.string(s, sheet)?.chars().collect();
                let n = self.opt_number(args, 1, 1.0, sheet)?.trunc();
                if n < 0.0 {
                    return Err(ExcelError);
                }
                let n = (n as usize).min(s.len());
                let part = if name == "LEFT" { &s[..n] } else { &s[s.len() - n..] };
                text(part.iter().collect())
            }
            ("MID", [s, start, n]) => {
                let s: Vec<char> = self.string(s, sheet)?.chars().collect();
                let start = self.number(start, sheet)?.trunc();
                let n = self.number(n, sheet)?.trunc();
                if start < 1.0 || n < 0.0 {
                    return Err(ExcelError);
                }
                let from = (start as usize - 1).min(s.len());
                let to = from.saturating_add(n as usize).min(s.len());
                text(s[from..to].iter().collect())
            }
            ("LEN", [s]) => num(self.string(s, sheet)?.encode_utf16().count() as f64),
            ("UPPER" | "LOWER", [s]) => {
                let s = self.string(s, sheet)?;
                let mut out = String::with_capacity(s.len());
                for c in s.chars() {
                    // Spreadsheets differ where a letter's case has no
                    // one-letter equivalent (ß, ŉ, ...): leave those alone.
                    let mut mapped: Vec<char> = if name == "UPPER" {
                        c.to_uppercase().collect()
                    } else {
                        c.to_lowercase().collect()
                    };
                    if mapped.len() != 1 {
                        return Err(NoResult);
                    }
                    out.push(mapped.remove(0));
                }
                text(out)
            }
            ("TRIM", [s]) => {
                let s = self.string(s, sheet)?;
                text(s.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" "))
            }

            // Dates.
            ("DATE", [y, m, d]) => {
                let y = self.number(y, sheet)?.trunc() as i64;
                let m = self.number(m, sheet)?.trunc() as i64;
                let d = self.number(d, sheet)?.trunc() as i64;
                let y = if (0..1900).contains(&y) { y + 1900 } else { y };
                let (y, m) = add_months(y, 1, m - 1);
                let first = serial_of(y, m, 1)?;
                let serial = first + (d - 1) as f64;
                if serial < FIRST_SERIAL {
                    return Err(NoResult);
                }
                num(serial)
            }
            ("EDATE" | "EOMONTH", [start, months]) => {
                let start = self.date_arg(start, sheet)?;
                let months = self.number(months, sheet)?.trunc() as i64;
                let (y, m, d) = ymd(start)?;
                let (y, m) = add_months(y, m, months);
                let last = days_in_month(y, m);
                let day = if name == "EOMONTH" { last } else { d.min(last) };
                num(serial_of(y, m, day)?)
            }
            ("YEAR" | "MONTH" | "DAY", [date]) => {
                let (y, m, d) = ymd(self.date_arg(date, sheet)?)?;
                num(match name {
                    "YEAR" => y,
                    "MONTH" => m,
                    _ => d,
                } as f64)
            }
            ("NETWORKDAYS", [start, end, ..]) if args.len() <= 3 => {
                let a = self.date_arg(start, sheet)? as i64;
                let b = self.date_arg(end, sheet)? as i64;
                let holidays = self.holidays(args.get(2), sheet)?;
                let (lo, hi, sign) = if a <= b { (a, b, 1.0) } else { (b, a, -1.0) };
                if hi - lo > 200_000 {
                    return Err(NoResult);
                }
                let count = (lo..=hi).filter(|d| is_weekday(*d) && !holidays.contains(d)).count();
                num(sign * count as f64)
            }
            ("WORKDAY", [start, days, ..]) if args.len() <= 3 => {
                let mut day = self.date_arg(start, sheet)? as i64;
                let n = self.number(days, sheet)?.trunc() as i64;
                let holidays = self.holidays(args.get(2), sheet)?;
                if n.abs() > 100_000 {
                    return Err(NoResult);
                }
                let step = if n >= 0 { 1 } else { -1 };
                let mut left = n.abs();
                while left > 0 {
                    day += step;
                    if is_weekday(day) && !holidays.contains(&day) {
                        left -= 1;
                    }
                }
                num(day as f64)
            }
            ("TODAY", []) => num(self.today.trunc()),

            // Rounding and arithmetic.
            ("ROUNDUP" | "ROUNDDOWN", [x, digits]) => {
                let x = self.number(x, sheet)?;
                let digits = self.number(digits, sheet)?.trunc();
                num(round_with(x, digits, name == "ROUNDUP")?)
            }
            ("MOD", [a, b]) => {
                let (a, b) = (self.number(a, sheet)?, self.number(b, sheet)?);
                if b == 0.0 {
                    return Err(ExcelError);
                }
                num(a - b * (a / b).floor())
            }
            ("POWER", [a, b]) => {
                let (a, b) = (self.number(a, sheet)?, self.number(b, sheet)?);
                num(arithmetic("^", a, b)?)
            }
            ("SQRT", [x]) => {
                let x = self.number(x, sheet)?;
                if x < 0.0 {
                    return Err(ExcelError);
                }
                num(x.sqrt())
            }
            ("INT", [x]) => num(self.number(x, sheet)?.floor()),
            _ => Err(NoResult),
        }
    }

    fn operand_text(&mut self, op: Operand) -> Eval<String> {
        match op {
            Operand::Blank => Ok(String::new()),
            Operand::Val(Val::Text(t)) => Ok(t),
            Operand::Val(Val::Bool(b)) => Ok(if b { "TRUE" } else { "FALSE" }.into()),
            Operand::Val(Val::Num(n)) => general_text(n).ok_or(NoResult),
            Operand::Range(..) => Err(NoResult),
        }
    }

    fn sum_or_average(&self, sum: bool, values: &[f64]) -> Eval<Operand> {
        if sum {
            return num(values.iter().sum());
        }
        if values.is_empty() {
            return Err(ExcelError);
        }
        num(values.iter().sum::<f64>() / values.len() as f64)
    }
}

/// MATCH type 1 (largest value <= wanted in ascending data) or -1 (smallest
/// value >= wanted in descending data), scanning as Excel's binary search
/// does on sorted data.
fn approximate_position(keys: &[Operand], wanted: &Val, direction: i32) -> Option<usize> {
    let mut found = None;
    for (i, key) in keys.iter().enumerate() {
        match lookup_cmp(key, wanted) {
            Some(Ordering::Equal) => found = Some(i),
            Some(Ordering::Less) if direction > 0 => found = Some(i),
            Some(Ordering::Greater) if direction < 0 => found = Some(i),
            Some(_) => break,
            None => {}
        }
    }
    found
}

/// TEXT's number formats for the common cases: `0`, `0.00`, `#,##0.00`,
/// `0%`, `0.0%`, with literal text or a currency sign around them, and the
/// date codes `yyyy yy mmmm mmm mm m dddd ddd dd d` with separators.
fn format_text(n: f64, format: &str) -> Option<String> {
    let lower = format.to_ascii_lowercase();
    if lower.contains(['y', 'd']) || (lower.contains('m') && !lower.contains(['0', '#'])) {
        return format_date(n, &lower);
    }
    let start = format.find(['0', '#'])?;
    let end = format.rfind(['0', '#', '%'])? + 1;
    let (prefix, body, suffix) = (&format[..start], &format[start..end], &format[end..]);
    if prefix.contains(['0', '#', '.', ',']) || suffix.contains(['0', '#', '.', ',', '%']) {
        return None;
    }
    let percent = body.ends_with('%');
    let body = body.trim_end_matches('%');
    if body.contains(['%', ';', '?', 'e', 'E', '/']) {
        return None;
    }
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if !frac_part.chars().all(|c| c == '0') {
        return None;
    }
    let grouping = int_part.contains(',');
    if int_part.ends_with(',') {
        return None; // scaling by thousands
    }
    let min_int = int_part.chars().filter(|c| *c == '0').count();
    let value = if percent { n * 100.0 } else { n };
    let decimals = frac_part.len();
    let rounded = round_half_away(value, decimals as f64).ok()?;
    let negative = rounded < 0.0;
    let digits = format!("{:.decimals$}", rounded.abs());
    let (whole, frac) = digits.split_once('.').unwrap_or((&digits, ""));
    let mut whole = whole.trim_start_matches('0').to_string();
    while whole.len() < min_int {
        whole.insert(0, '0');
    }
    if grouping {
        let bytes: Vec<char> = whole.chars().collect();
        let mut grouped = String::new();
        for (i, c) in bytes.iter().enumerate() {
            if i > 0 && (bytes.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(*c);
        }
        whole = grouped;
    }
    let mut out = String::new();
    if negative {
        out.push('-');
    }
    out.push_str(&prefix.replace(['"', '\\'], ""));
    out.push_str(&whole);
    if decimals > 0 {
        out.push('.');
        out.push_str(frac);
    }
    if percent {
        out.push('%');
    }
    out.push_str(&suffix.replace(['"', '\\'], ""));
    Some(out)
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DAYS: [&str; 7] =
    ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

fn format_date(n: f64, lower: &str) -> Option<String> {
    if lower.contains(['h', 's', '0', '#', '"', '[']) {
        return None;
    }
    let (y, m, d) = ymd(n.trunc()).ok()?;
    let weekday = (n.trunc() as i64 - 1).rem_euclid(7) as usize;
    let chars: Vec<char> = lower.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|x| **x == c).count();
        match c {
            'y' => {
                out.push_str(&if run <= 2 { format!("{:02}", y % 100) } else { format!("{y:04}") })
            }
            'm' => out.push_str(&match run {
                1 => m.to_string(),
                2 => format!("{m:02}"),
                3 => MONTHS[m as usize - 1][..3].to_string(),
                _ => MONTHS[m as usize - 1].to_string(),
            }),
            'd' => out.push_str(&match run {
                1 => d.to_string(),
                2 => format!("{d:02}"),
                3 => DAYS[weekday][..3].to_string(),
                _ => DAYS[weekday].to_string(),
            }),
            ' ' | '-' | '/' | ',' | '.' => out.extend(std::iter::repeat_n(c, run)),
            _ => return None,
        }
        i += run;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_description_lists_every_computed_function() {
        let description = include_str!("../description.md");
        for name in COMPUTED {
            assert!(description.contains(&format!("`{name}`")), "{name}");
        }
    }

    #[test]
    fn general_text_matches_excel() {
        assert_eq!(general_text(1.5).as_deref(), Some("1.5"));
        assert_eq!(general_text(0.1 + 0.2).as_deref(), Some("0.3"));
        assert_eq!(general_text(-42.0).as_deref(), Some("-42"));
        assert_eq!(general_text(1e-9), None);
    }

    #[test]
    fn text_formats() {
        assert_eq!(format_text(1234.567, "#,##0.00").as_deref(), Some("1,234.57"));
        assert_eq!(format_text(0.256, "0.0%").as_deref(), Some("25.6%"));
        assert_eq!(format_text(5.0, "$0.00").as_deref(), Some("$5.00"));
        assert_eq!(format_text(46096.0, "yyyy-mm-dd").as_deref(), Some("2026-03-15"));
        assert_eq!(format_text(46096.0, "mmm d, yyyy").as_deref(), Some("Mar 15, 2026"));
        assert_eq!(format_text(46096.0, "dddd").as_deref(), Some("Sunday"));
        assert_eq!(format_text(1.0, "0.0E+00"), None);
    }

    #[test]
    fn dates_round_trip() {
        assert_eq!(serial_of(2026, 3, 15), Ok(46096.0));
        assert_eq!(ymd(46096.0), Ok((2026, 3, 15)));
        assert!(!is_weekday(46096)); // a Sunday
    }

    #[test]
    fn upper_leaves_letters_without_a_single_capital_uncomputed() {
        assert_eq!(one("UPPER(\"straße\")"), None);
        assert_eq!(one("UPPER(\"café\")"), Some(Val::Text("CAFÉ".into())));
    }

    #[test]
    fn xlookup_finds_exact_matches_with_a_fallback() {
        assert_eq!(one("XLOOKUP(\"b\",C1:C3,A1:A3)"), Some(Val::Num(3.0)));
        assert_eq!(one("XLOOKUP(\"z\",C1:C3,A1:A3,\"none\")"), Some(Val::Text("none".into())));
        assert_eq!(one("XLOOKUP(\"z\",C1:C3,A1:A3)"), None);
        assert_eq!(one("XLOOKUP(\"?\",C1:C3,A1:A3,\"none\",2)"), Some(Val::Num(2.0)));
        assert_eq!(one("XLOOKUP(\"b\",C1:C3,A1:A3,\"none\",0,-1)"), Some(Val::Num(3.0)));
    }

    fn one(formula: &str) -> Option<Val> {
        use crate::a1::parse_cell;
        use crate::grid::{Content, Entry, Grid, Source};
        let mut grid = Grid::default();
        let s = grid.add_sheet("S");
        let cells = [
            ("A1", Content::Number(2.0)),
            ("A2", Content::Number(3.0)),
            ("A3", Content::Number(5.0)),
            ("C1", Content::Text("a".into())),
            ("C2", Content::Text("b".into())),
            ("C3", Content::Text("c".into())),
            ("Z1", Content::Formula(formula.into())),
        ];
        for (at, content) in cells {
            grid.push(
                s,
                parse_cell(at).unwrap(),
                Entry { content, source: Source::Row { row: 0, cell: 0 } },
            );
        }
        grid.settle(s);
        super::super::Evaluator::new(&grid).result(s, parse_cell("Z1").unwrap())
    }

    #[test]
    fn wildcards() {
        assert!(wildcard("n*", "north"));
        assert!(wildcard("?ast", "east"));
        assert!(!wildcard("?ast", "feast"));
    }
}
