//! Checking formula syntax the way Excel's formula bar does, so a broken
//! formula is a violation rather than a file Excel refuses to open or
//! repairs.
//!
//! The grammar accepted is all of Excel's A1 syntax (references, ranges,
//! whole rows and columns, 3D and structured references, array constants,
//! error values, the intersection and spill operators), not just what the
//! evaluator computes.

use super::functions;

/// What is wrong with a formula: a syntax error, or an unknown function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub(crate) message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A value: number, text, boolean, error value, array constant.
    Value,
    /// Something that may be a reference: cell, name, structured reference.
    Reference,
    Func(String),
    Op(&'static str),
    LParen,
    RParen,
    Comma,
    Semicolon,
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    /// Character index into the formula (without `=`).
    at: usize,
    /// Whitespace came right before it.
    spaced: bool,
    text: String,
}

const ERRORS: [&str; 16] = [
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
    "#FIELD!",
    "#BLOCKED!",
    "#UNKNOWN!",
    "#BUSY!",
    "#CONNECT!",
    "#EXTERNAL!",
];

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '\\' | '?')
}

/// Where a character index is, for messages: 1-based, counting the `=`.
fn place(chars: &[char], at: usize) -> String {
    if at >= chars.len() {
        return format!("character {} (the end of the formula)", chars.len() + 2);
    }
    let before: String = chars[at.saturating_sub(24)..at].iter().collect();
    let lead = if at > 24 { "…" } else { "=" };
    format!("character {} (after `{lead}{before}`)", at + 2)
}

struct Lexer<'c> {
    chars: &'c [char],
    i: usize,
}

impl Lexer<'_> {
    fn err<T>(&self, at: usize, what: String) -> Result<T, Problem> {
        Err(Problem { message: format!("syntax error at {}: {what}", place(self.chars, at)) })
    }

    fn ident(&mut self) -> String {
        let start = self.i;
        while self.i < self.chars.len() && is_ident_char(self.chars[self.i]) {
            self.i += 1;
        }
        self.chars[start..self.i].iter().collect()
    }

    /// Skips a bracketed group starting at `[` or `{`; false if unclosed.
    fn skip_group(&mut self, open: char, close: char) -> bool {
        let mut depth = 0usize;
        let mut in_text = false;
        while self.i < self.chars.len() {
            let c = self.chars[self.i];
            self.i += 1;
            if c == '"' {
                in_text = !in_text;
            } else if in_text {
                continue;
            } else if c == open {
                depth += 1;
            } else if c == close {
                depth -= 1;
                if depth == 0 {
                    return true;
                }
            }
        }
        false
    }

    /// What follows `Sheet!`: a cell, column, row, name or `#REF!`.
    fn after_sheet(&mut self, sheet_at: usize, sheet: &str) -> Result<String, Problem> {
        if self.chars.get(self.i) == Some(&'#') {
            let start = self.i;
            self.error_literal()?;
            return Ok(self.chars[start..self.i].iter().collect());
        }
        let rest = self.ident();
        if rest.is_empty() {
            return self.err(
                self.i,
                format!(
                    "expected a cell or range after the sheet name `{sheet}!` (started at character {}), e.g. `{sheet}!B2`",
                    sheet_at + 2
                ),
            );
        }
        Ok(rest)
    }

    fn error_literal(&mut self) -> Result<(), Problem> {
        let start = self.i;
        self.i += 1;
        while self.i < self.chars.len()
            && (self.chars[self.i].is_alphanumeric() || matches!(self.chars[self.i], '/' | '_'))
        {
            self.i += 1;
        }
        if matches!(self.chars.get(self.i), Some('!' | '?')) {
            self.i += 1;
        }
        let text: String = self.chars[start..self.i].iter().collect();
        if !ERRORS.iter().any(|e| e.eq_ignore_ascii_case(&text)) {
            return self.err(
                start,
                format!("`{text}` is not an Excel error value (such as #N/A or #DIV/0!)"),
            );
        }
        Ok(())
    }

    fn tokens(&mut self) -> Result<Vec<Tok>, Problem> {
        let mut toks: Vec<Tok> = Vec::new();
        let mut spaced = false;
        while self.i < self.chars.len() {
            let c = self.chars[self.i];
            let at = self.i;
            if c.is_whitespace() {
                self.i += 1;
                spaced = true;
                continue;
            }
            let kind = if c.is_ascii_digit()
                || (c == '.' && self.chars.get(at + 1).is_some_and(char::is_ascii_digit))
            {
                while self.i < self.chars.len()
                    && (self.chars[self.i].is_ascii_digit() || self.chars[self.i] == '.')
                {
                    self.i += 1;
                }
                if matches!(self.chars.get(self.i), Some('e' | 'E')) {
                    let mut j = self.i + 1;
                    if matches!(self.chars.get(j), Some('+' | '-')) {
                        j += 1;
                    }
                    if self.chars.get(j).is_some_and(char::is_ascii_digit) {
                        self.i = j;
                        while self.chars.get(self.i).is_some_and(char::is_ascii_digit) {
                            self.i += 1;
                        }
                    }
                }
                let literal: String = self.chars[at..self.i].iter().collect();
                if literal.parse::<f64>().is_err() {
                    return self.err(at, format!("`{literal}` is not a number"));
                }
                // `1:3` (whole rows) and `2A` are references or errors;
                // the grammar sorts them out.
                if self.chars.get(self.i).is_some_and(|c| c.is_alphabetic()) {
                    let word = self.ident();
                    return self.err(
                        at,
                        format!("`{literal}{word}` is neither a number nor a reference (cell references are column letters then a row number, e.g. B2)"),
                    );
                }
                Kind::Value
            } else if c == '"' {
                self.i += 1;
                loop {
                    match self.chars.get(self.i) {
                        None => {
                            return self.err(
                                at,
                                "this text has no closing `\"` (write a quote inside text as `\"\"`)"
                                    .into(),
                            );
                        }
                        Some('"') if self.chars.get(self.i + 1) == Some(&'"') => self.i += 2,
                        Some('"') => {
                            self.i += 1;
                            break;
                        }
                        Some(_) => self.i += 1,
                    }
                }
                Kind::Value
            } else if c == '\'' {
                self.i += 1;
                let mut sheet = String::new();
                loop {
                    match self.chars.get(self.i) {
                        None => {
                            return self
                                .err(at, "this quoted sheet name has no closing `'`".into());
                        }
                        Some('\'') if self.chars.get(self.i + 1) == Some(&'\'') => {
                            sheet.push('\'');
                            self.i += 2;
                        }
                        Some('\'') => {
                            self.i += 1;
                            break;
                        }
                        Some(&ch) => {
                            sheet.push(ch);
                            self.i += 1;
                        }
                    }
                }
                if self.chars.get(self.i) != Some(&'!') {
                    return self.err(
                        self.i,
                        format!("expected `!` and a cell after the quoted sheet name `'{sheet}'`, e.g. `'{sheet}'!B2` (text goes in double quotes)"),
                    );
                }
                self.i += 1;
                self.after_sheet(at, &format!("'{sheet}'"))?;
                Kind::Reference
            } else if is_ident_char(c) {
                let word = self.ident();
                match self.chars.get(self.i) {
                    Some('!') => {
                        self.i += 1;
                        self.after_sheet(at, &word)?;
                        Kind::Reference
                    }
                    Some('(') => Kind::Func(word),
                    Some('[') => {
                        if !self.skip_group('[', ']') {
                            return self.err(
                                at,
                                format!("the `[` after `{word}` is never closed with `]`"),
                            );
                        }
                        Kind::Reference
                    }
                    _ if word.eq_ignore_ascii_case("TRUE")
                        || word.eq_ignore_ascii_case("FALSE") =>
                    {
                        Kind::Value
                    }
                    _ => Kind::Reference,
                }
            } else if c == '[' {
                if !self.skip_group('[', ']') {
                    return self.err(at, "this `[` is never closed with `]`".into());
                }
                Kind::Reference
            } else if c == '{' {
                if !self.skip_group('{', '}') {
                    return self
                        .err(at, "this array constant's `{` is never closed with `}`".into());
                }
                Kind::Value
            } else if c == '#' {
                let after_operand = !spaced
                    && toks
                        .last()
                        .is_some_and(|t| matches!(t.kind, Kind::Reference | Kind::RParen));
                if after_operand && !self.chars.get(at + 1).is_some_and(|c| c.is_alphanumeric()) {
                    // The spill operator, `A2#`.
                    self.i += 1;
                    spaced = false;
                    continue;
                }
                self.error_literal()?;
                Kind::Value
            } else {
                self.i += 1;
                match c {
                    '(' => Kind::LParen,
                    ')' => Kind::RParen,
                    ',' => Kind::Comma,
                    ';' => Kind::Semicolon,
                    ':' => Kind::Op(":"),
                    '+' => Kind::Op("+"),
                    '@' => Kind::Op("@"),
                    '-' => Kind::Op("-"),
                    '*' => Kind::Op("*"),
                    '/' => Kind::Op("/"),
                    '^' => Kind::Op("^"),
                    '&' => Kind::Op("&"),
                    '%' => Kind::Op("%"),
                    '=' => Kind::Op("="),
                    '<' | '>' => {
                        let next = self.chars.get(self.i).copied();
                        match (c, next) {
                            ('<', Some('=')) => {
                                self.i += 1;
                                Kind::Op("<=")
                            }
                            ('<', Some('>')) => {
                                self.i += 1;
                                Kind::Op("<>")
                            }
                            ('>', Some('=')) => {
                                self.i += 1;
                                Kind::Op(">=")
                            }
                            ('<', _) => Kind::Op("<"),
                            _ => Kind::Op(">"),
                        }
                    }
                    _ => {
                        return self.err(at, format!("unexpected character `{c}`"));
                    }
                }
            };
            let text: String = self.chars[at..self.i].iter().collect();
            toks.push(Tok { kind, at, spaced, text });
            spaced = false;
        }
        Ok(toks)
    }
}

struct Parser<'t> {
    toks: &'t [Tok],
    chars: &'t [char],
    at: usize,
    /// Unknown function names, with where they are.
    unknown: Vec<(String, usize)>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at)
    }

    fn end(&self) -> usize {
        self.chars.len()
    }

    fn err<T>(&self, at: usize, what: String) -> Result<T, Problem> {
        Err(Problem { message: format!("syntax error at {}: {what}", place(self.chars, at)) })
    }

    /// Complains about the token found where a value was expected.
    fn missing_value<T>(&self, after: Option<&Tok>) -> Result<T, Problem> {
        let after = after.map(|t| format!(" after `{}`", t.text)).unwrap_or_default();
        match self.peek() {
            None => self
                .err(self.end(), format!("expected a value{after}, found the end of the formula")),
            Some(t) => self.err(t.at, format!("expected a value{after}, found `{}`", t.text)),
        }
    }

    fn expression(&mut self) -> Result<(), Problem> {
        loop {
            // `@` is Excel's implicit-intersection prefix.
            while matches!(self.peek().map(|t| &t.kind), Some(Kind::Op("+" | "-" | "@"))) {
                self.at += 1;
            }
            self.operand()?;
            while matches!(self.peek().map(|t| &t.kind), Some(Kind::Op("%"))) {
                self.at += 1;
            }
            let Some(tok) = self.peek() else {
                return Ok(());
            };
            match tok.kind {
                Kind::Op(_) => {
                    let op = tok.clone();
                    self.at += 1;
                    if self.peek().is_none()
                        || matches!(
                            self.peek().map(|t| &t.kind),
                            Some(Kind::RParen | Kind::Comma | Kind::Semicolon)
                        )
                    {
                        return self.missing_value(Some(&op));
                    }
                }
                Kind::Reference | Kind::Func(_) | Kind::LParen | Kind::Value => {
                    let previous = &self.toks[self.at - 1];
                    let intersect = tok.spaced
                        && matches!(previous.kind, Kind::Reference | Kind::RParen)
                        && !matches!(tok.kind, Kind::Value);
                    if !intersect {
                        return self.err(
                            tok.at,
                            format!(
                                "expected an operator (such as + or &) or `,` between `{}` and `{}`",
                                previous.text, tok.text
                            ),
                        );
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn operand(&mut self) -> Result<(), Problem> {
        let Some(tok) = self.peek().cloned() else {
            let before = self.at.checked_sub(1).map(|i| &self.toks[i]);
            return self.missing_value(before);
        };
        match &tok.kind {
            Kind::Value | Kind::Reference => {
                self.at += 1;
                Ok(())
            }
            Kind::Func(name) => {
                if !functions::is_known(name) {
                    self.unknown.push((name.clone(), tok.at));
                }
                self.at += 2; // the name and its `(`
                self.arguments(&tok)
            }
            Kind::LParen => {
                self.at += 1;
                self.expression()?;
                self.close(&tok)
            }
            _ => {
                let before = self.at.checked_sub(1).map(|i| &self.toks[i]);
                self.missing_value(before)
            }
        }
    }

    /// Expects the `)` matching `open`.
    fn close(&mut self, open: &Tok) -> Result<(), Problem> {
        match self.peek() {
            Some(Tok { kind: Kind::RParen, .. }) => {
                self.at += 1;
                Ok(())
            }
            None => self.err(
                self.end(),
                format!(
                    "the `(` opened at character {} is never closed; expected `)`",
                    open.at + 2 + open.text.chars().count().saturating_sub(1)
                ),
            ),
            Some(t) => self.semicolon_or(t.clone(), "expected `)`"),
        }
    }

    fn semicolon_or<T>(&self, t: Tok, expected: &str) -> Result<T, Problem> {
        if t.kind == Kind::Semicolon {
            return self.err(
                t.at,
                "found `;`: Excel's file format separates function arguments with `,` (e.g. SUM(B2,B4)); `;` belongs only inside array constants".into(),
            );
        }
        self.err(t.at, format!("{expected}, found `{}`", t.text))
    }

    fn arguments(&mut self, func: &Tok) -> Result<(), Problem> {
        let name = match &func.kind {
            Kind::Func(name) => name.clone(),
            _ => String::new(),
        };
        let open_at = func.at + name.chars().count();
        loop {
            // An argument may be empty: `IF(A1,,2)`, `PMT(r,n,pv,)`.
            if !matches!(self.peek().map(|t| &t.kind), Some(Kind::Comma | Kind::RParen)) {
                if self.peek().is_none() {
                    return self.err(
                        self.end(),
                        format!(
                            "the `(` of {name} at character {} is never closed; expected `)`",
                            open_at + 2
                        ),
                    );
                }
                self.expression()?;
            }
            match self.peek().cloned() {
                Some(Tok { kind: Kind::Comma, .. }) => self.at += 1,
                Some(Tok { kind: Kind::RParen, .. }) => {
                    self.at += 1;
                    return Ok(());
                }
                None => {
                    return self.err(
                        self.end(),
                        format!(
                            "the `(` of {name} at character {} is never closed; expected `)`",
                            open_at + 2
                        ),
                    );
                }
                Some(t) => {
                    return self
                        .semicolon_or(t, &format!("expected `,` or the `)` closing {name}"));
                }
            }
        }
    }
}

/// Checks formula text (without the leading `=`): the first syntax error,
/// or else every unknown function name, each with a suggestion.
pub(crate) fn check(text: &str) -> Vec<Problem> {
    let chars: Vec<char> = text.chars().collect();
    let toks = match (Lexer { chars: &chars, i: 0 }).tokens() {
        Ok(toks) => toks,
        Err(problem) => return vec![problem],
    };
    let mut parser = Parser { toks: &toks, chars: &chars, at: 0, unknown: Vec::new() };
    if let Err(problem) = parser.expression() {
        return vec![problem];
    }
    if let Some(t) = parser.peek().cloned() {
        let problem = match t.kind {
            Kind::RParen => {
                parser.err::<()>(t.at, "found `)` with no `(` before it to close".into())
            }
            Kind::Comma => parser.err(
                t.at,
                "found `,` outside any function call; commas separate function arguments".into(),
            ),
            _ => parser.semicolon_or(t, "expected the end of the formula"),
        };
        return vec![problem.unwrap_err()];
    }
    parser
        .unknown
        .into_iter()
        .map(|(name, at)| {
            let hint = match functions::closest(&name) {
                Some(known) => format!("; did you mean {known}?"),
                None => "; it is not an Excel worksheet function".to_string(),
            };
            Problem {
                message: format!(
                    "unknown function {} at {}{hint}",
                    name.to_ascii_uppercase(),
                    place(&chars, at)
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        check(text).into_iter().map(|p| p.message).collect()
    }

    #[test]
    fn valid_excel_syntax_is_accepted() {
        for text in [
            "SUM(A1:A3)",
            "-B2^2+50%",
            "SUM(A:A)+SUM(1:3)",
            "'My Sheet'!B2*Sheet2!$C$4",
            "SUM(Sheet1:Sheet3!A1)",
            "SUM(Table1[Qty])*Table1[[#Totals],[Price]]",
            "[@Qty]*[@Price]",
            "IF(A1>=10,\"big \"\"one\"\"\",\"small\")",
            "IF(A1,,2)",
            "SUM({1,2;3,4})",
            "IFERROR(1/0,#N/A)",
            "A1 B1",
            "SORT(A2#)",
            "_xlfn.XLOOKUP(A1,B:B,C:C)",
            "PMT(5%/12,360,-200000)",
            "TRUE+FALSE",
            "LET(x,2,x*3)",
            "1E+3+.5",
            "Rates!Total",
            "A1<>B1",
            "#REF!",
            "Sheet1!#REF!",
            "@A1:A10",
        ] {
            assert_eq!(messages(text), Vec::<String>::new(), "{text}");
        }
    }

    #[test]
    fn broken_formulas_say_what_is_wrong_and_where() {
        let cases = [
            (
                "SUM(A1:A3",
                "character 11 (the end of the formula): the `(` of SUM at character 5 is never closed",
            ),
            ("B2+", "expected a value after `+`, found the end"),
            ("SUM(B2:B4))", "character 12 (after `=SUM(B2:B4)`): found `)` with no `(`"),
            ("SUM(B2;B4)", "character 8 (after `=SUM(B2`): found `;`"),
            ("(1+2", "never closed"),
            ("1+*2", "expected a value after `+`, found `*`"),
            ("\"open", "no closing `\"`"),
            ("A1 2", "expected an operator"),
            ("SUM(1,2", "never closed"),
            ("2A", "neither a number nor a reference"),
            ("#WHAT!", "not an Excel error value"),
            ("Sheet1!", "expected a cell or range after the sheet name"),
            ("'My Sheet'B2", "expected `!`"),
            ("A1,B1", "outside any function call"),
            ("1 ! 2", "unexpected character `!`"),
        ];
        for (text, want) in cases {
            let got = messages(text);
            assert_eq!(got.len(), 1, "{text}: {got:?}");
            assert!(got[0].contains(want), "{text}: {got:?} lacks {want:?}");
        }
    }

    #[test]
    fn unknown_functions_name_the_closest_known_one() {
        assert_eq!(
            messages("SUMM(B2:B4)+VLOKUP(1,A:B,2,0)"),
            [
                "unknown function SUMM at character 2 (after `=`); did you mean SUM?",
                "unknown function VLOKUP at character 14 (after `=SUMM(B2:B4)+`); did you mean VLOOKUP?"
            ]
        );
        assert!(messages("FROBNICATE(1)")[0].contains("not an Excel worksheet function"));
    }
}
