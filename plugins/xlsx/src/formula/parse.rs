//! Tokenizing and parsing Excel formulas (A1 style).
//!
//! The tokenizer accepts any text, so validation can find sheet references
//! even in formulas the evaluator does not understand. The parser accepts
//! the subset the evaluator can compute and refuses the rest.

use crate::a1::{self, A1Error, Area};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Num(f64),
    Str(String),
    /// A cell reference, possibly sheet-qualified (`Sales!$B$2`).
    Cell {
        sheet: Option<String>,
        text: String,
    },
    /// A sheet-qualified name that is not a cell (`Sheet1!Total`, `Sheet1!A:A`).
    SheetOther {
        sheet: String,
    },
    Func(String),
    Name(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    Colon,
    /// Anything the evaluator does not handle: structured references, error
    /// literals, array constants, stray characters.
    Other,
}

const OPERATORS: [&str; 13] = ["<=", ">=", "<>", "+", "-", "*", "/", "^", "&", "=", "<", ">", "%"];

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '\\')
}

/// Splits formula text (without the leading `=`) into tokens.
pub(crate) fn tokenize(text: &str) -> Vec<Tok> {
    let chars: Vec<char> = text.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let take_ident = |i: &mut usize| -> String {
        let start = *i;
        while *i < chars.len() && is_ident_char(chars[*i]) {
            *i += 1;
        }
        chars[start..*i].iter().collect()
    };
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            if i < chars.len() && matches!(chars[i], 'e' | 'E') {
                let mut j = i + 1;
                if j < chars.len() && matches!(chars[j], '+' | '-') {
                    j += 1;
                }
                if j < chars.len() && chars[j].is_ascii_digit() {
                    i = j;
                    while i < chars.len() && chars[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let literal: String = chars[start..i].iter().collect();
            toks.push(literal.parse().map_or(Tok::Other, Tok::Num));
        } else if c == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match chars.get(i) {
                    None => {
                        toks.push(Tok::Other);
                        break;
                    }
                    Some('"') if chars.get(i + 1) == Some(&'"') => {
                        s.push('"');
                        i += 2;
                    }
                    Some('"') => {
                        i += 1;
                        toks.push(Tok::Str(std::mem::take(&mut s)));
                        break;
                    }
                    Some(&ch) => {
                        s.push(ch);
                        i += 1;
                    }
                }
            }
        } else if c == '\'' {
            let mut sheet = String::new();
            i += 1;
            let mut closed = false;
            while i < chars.len() {
                if chars[i] == '\'' {
                    if chars.get(i + 1) == Some(&'\'') {
                        sheet.push('\'');
                        i += 2;
                        continue;
                    }
                    i += 1;
                    closed = true;
                    break;
                }
                sheet.push(chars[i]);
                i += 1;
            }
            if closed && chars.get(i) == Some(&'!') {
                i += 1;
                let rest = take_ident(&mut i);
                toks.push(sheet_tok(sheet, rest));
            } else {
                toks.push(Tok::Other);
            }
        } else if is_ident_char(c) {
            let word = take_ident(&mut i);
            match chars.get(i) {
                Some('!') => {
                    i += 1;
                    let rest = take_ident(&mut i);
                    toks.push(sheet_tok(word, rest));
                }
                Some('(') => toks.push(Tok::Func(word.to_ascii_uppercase())),
                Some('[') => {
                    skip_brackets(&chars, &mut i, '[', ']');
                    toks.push(Tok::Other);
                }
                _ if a1::split_cell(&word).is_some() => {
                    toks.push(Tok::Cell { sheet: None, text: word })
                }
                _ => toks.push(Tok::Name(word)),
            }
        } else if c == '[' || c == '{' {
            let close = if c == '[' { ']' } else { '}' };
            skip_brackets(&chars, &mut i, c, close);
            toks.push(Tok::Other);
        } else if c == '#' {
            i += 1;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || matches!(chars[i], '/' | '!' | '?' | '_'))
            {
                i += 1;
            }
            toks.push(Tok::Other);
        } else {
            i += 1;
            let two: String = chars[i - 1..(i + 1).min(chars.len())].iter().collect();
            let tok = match c {
                '(' => Tok::LParen,
                ')' => Tok::RParen,
                ',' => Tok::Comma,
                ':' => Tok::Colon,
                _ => {
                    if let Some(op) = OPERATORS.iter().find(|op| op.len() == 2 && **op == two) {
                        i += 1;
                        Tok::Op(op)
                    } else if let Some(op) =
                        OPERATORS.iter().find(|op| op.len() == 1 && op.starts_with(c))
                    {
                        Tok::Op(op)
                    } else {
                        Tok::Other
                    }
                }
            };
            toks.push(tok);
        }
    }
    toks
}

fn sheet_tok(sheet: String, rest: String) -> Tok {
    if a1::split_cell(&rest).is_some() {
        Tok::Cell { sheet: Some(sheet), text: rest }
    } else {
        Tok::SheetOther { sheet }
    }
}

fn skip_brackets(chars: &[char], i: &mut usize, open: char, close: char) {
    let mut depth = 0usize;
    while *i < chars.len() {
        let c = chars[*i];
        *i += 1;
        if c == open {
            depth += 1;
        } else if c == close {
            depth = depth.saturating_sub(1);
            if depth == 0 {
                return;
            }
        }
    }
}

/// A sheet or cell reference found in a formula, for validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FoundRef {
    pub(crate) sheet: Option<String>,
    /// The cell text, or `None` for a sheet-qualified name or column range.
    pub(crate) cell: Option<String>,
}

/// Every reference in the formula, whether or not it can be evaluated.
pub(crate) fn references(text: &str) -> Vec<FoundRef> {
    tokenize(text)
        .into_iter()
        .filter_map(|tok| match tok {
            Tok::Cell { sheet, text } => Some(FoundRef { sheet, cell: Some(text) }),
            Tok::SheetOther { sheet } => Some(FoundRef { sheet: Some(sheet), cell: None }),
            _ => None,
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Expr {
    Num(f64),
    Str(String),
    Bool(bool),
    /// A cell or a range; `sheet` is `None` for the formula's own sheet.
    Ref {
        sheet: Option<String>,
        area: Area,
    },
    Neg(Box<Expr>),
    Percent(Box<Expr>),
    Bin(&'static str, Box<Expr>, Box<Expr>),
    Call(String, Vec<Expr>),
}

/// Why a formula cannot be evaluated. Not an error in the spec: Excel may
/// well understand it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unsupported;

/// Parses formula text (without the leading `=`).
pub(crate) fn parse(text: &str) -> Result<Expr, Unsupported> {
    let toks = tokenize(text);
    let mut p = Parser { toks: &toks, at: 0 };
    let expr = p.comparison()?;
    if p.at != toks.len() {
        return Err(Unsupported);
    }
    Ok(expr)
}

struct Parser<'t> {
    toks: &'t [Tok],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn next(&mut self) -> Option<&Tok> {
        let tok = self.toks.get(self.at);
        self.at += 1;
        tok
    }

    fn eat_op(&mut self, ops: &[&'static str]) -> Option<&'static str> {
        if let Some(Tok::Op(op)) = self.peek()
            && ops.contains(op)
        {
            let op = *op;
            self.at += 1;
            return Some(op);
        }
        None
    }

    fn binary(
        &mut self,
        ops: &[&'static str],
        next: fn(&mut Self) -> Result<Expr, Unsupported>,
    ) -> Result<Expr, Unsupported> {
        let mut left = next(self)?;
        while let Some(op) = self.eat_op(ops) {
            let right = next(self)?;
            left = Expr::Bin(op, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn comparison(&mut self) -> Result<Expr, Unsupported> {
        self.binary(&["=", "<>", "<", ">", "<=", ">="], Self::concat)
    }

    fn concat(&mut self) -> Result<Expr, Unsupported> {
        self.binary(&["&"], Self::additive)
    }

    fn additive(&mut self) -> Result<Expr, Unsupported> {
        self.binary(&["+", "-"], Self::multiplicative)
    }

    fn multiplicative(&mut self) -> Result<Expr, Unsupported> {
        self.binary(&["*", "/"], Self::power)
    }

    fn power(&mut self) -> Result<Expr, Unsupported> {
        self.binary(&["^"], Self::unary)
    }

    // Excel binds negation tighter than `^`: `=-2^2` is 4.
    fn unary(&mut self) -> Result<Expr, Unsupported> {
        match self.eat_op(&["-", "+"]) {
            Some("-") => Ok(Expr::Neg(Box::new(self.unary()?))),
            Some(_) => self.unary(),
            None => self.postfix(),
        }
    }

    fn postfix(&mut self) -> Result<Expr, Unsupported> {
        let mut expr = self.primary()?;
        while self.eat_op(&["%"]).is_some() {
            expr = Expr::Percent(Box::new(expr));
        }
        Ok(expr)
    }

    fn primary(&mut self) -> Result<Expr, Unsupported> {
        match self.next().cloned() {
            Some(Tok::Num(n)) => Ok(Expr::Num(n)),
            Some(Tok::Str(s)) => Ok(Expr::Str(s)),
            Some(Tok::Name(name)) if name.eq_ignore_ascii_case("TRUE") => Ok(Expr::Bool(true)),
            Some(Tok::Name(name)) if name.eq_ignore_ascii_case("FALSE") => Ok(Expr::Bool(false)),
            Some(Tok::Cell { sheet, text }) => {
                let first = a1::parse_cell(&text).map_err(|_: A1Error| Unsupported)?;
                let mut area = Area::cell(first);
                if self.peek() == Some(&Tok::Colon) {
                    self.at += 1;
                    match self.next() {
                        Some(Tok::Cell { sheet: None, text }) => {
                            let second = a1::parse_cell(text).map_err(|_| Unsupported)?;
                            area = a1::parse_area(&format!("{first}:{second}"))
                                .map_err(|_| Unsupported)?;
                        }
                        _ => return Err(Unsupported),
                    }
                }
                Ok(Expr::Ref { sheet, area })
            }
            Some(Tok::Func(name)) => {
                if self.next() != Some(&Tok::LParen) {
                    return Err(Unsupported);
                }
                let mut args = Vec::new();
                if self.peek() == Some(&Tok::RParen) {
                    self.at += 1;
                    return Ok(Expr::Call(name, args));
                }
                loop {
                    args.push(self.comparison()?);
                    match self.next() {
                        Some(Tok::Comma) => continue,
                        Some(Tok::RParen) => break,
                        _ => return Err(Unsupported),
                    }
                }
                Ok(Expr::Call(name, args))
            }
            Some(Tok::LParen) => {
                let inner = self.comparison()?;
                if self.next() != Some(&Tok::RParen) {
                    return Err(Unsupported);
                }
                Ok(inner)
            }
            _ => Err(Unsupported),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(sheet: Option<&str>, text: &str) -> FoundRef {
        FoundRef { sheet: sheet.map(str::to_string), cell: Some(text.to_string()) }
    }

    #[test]
    fn references_are_found_in_formulas_the_parser_refuses() {
        let refs = references("VLOOKUP(A2,'Price List'!$A$1:$B$9,2,FALSE)+Rates!Total+Table1[Qty]");
        assert_eq!(
            refs,
            [
                cell(None, "A2"),
                cell(Some("Price List"), "$A$1"),
                cell(None, "$B$9"),
                FoundRef { sheet: Some("Rates".into()), cell: None },
            ]
        );
    }

    #[test]
    fn strings_do_not_hide_or_invent_references() {
        assert!(references(r#""Sheet9!A1 ""quoted"" ""&"x""#).is_empty());
    }

    #[test]
    fn precedence_follows_excel() {
        let e = parse("1+2*3^2").unwrap();
        assert_eq!(
            e,
            Expr::Bin(
                "+",
                Box::new(Expr::Num(1.0)),
                Box::new(Expr::Bin(
                    "*",
                    Box::new(Expr::Num(2.0)),
                    Box::new(Expr::Bin("^", Box::new(Expr::Num(3.0)), Box::new(Expr::Num(2.0))))
                ))
            )
        );
        assert_eq!(
            parse("-2^2").unwrap(),
            Expr::Bin("^", Box::new(Expr::Neg(Box::new(Expr::Num(2.0)))), Box::new(Expr::Num(2.0)))
        );
    }

    #[test]
    fn ranges_keep_their_sheet() {
        let e = parse("SUM('My Sheet'!B2:$B$4)").unwrap();
        let Expr::Call(name, args) = e else { panic!() };
        assert_eq!(name, "SUM");
        assert_eq!(
            args[0],
            Expr::Ref { sheet: Some("My Sheet".into()), area: a1::parse_area("B2:B4").unwrap() }
        );
    }

    #[test]
    fn unsupported_syntax_is_refused() {
        for text in
            ["A:A", "SUM(Table1[Qty])", "#N/A", "{1,2}", "A1 B1", "SUM(1,", "Sheet1:Sheet3!A1"]
        {
            assert_eq!(parse(text), Err(Unsupported), "{text}");
        }
    }
}
