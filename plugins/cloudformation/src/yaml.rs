//! A small YAML emitter for templates: block style, two-space indents,
//! CloudFormation's short intrinsic tags (`!Ref`, `!GetAtt A.B`, ...) when
//! asked, and quoting that keeps every string a string for YAML 1.1 and 1.2
//! readers alike (PyYAML, cfn-lint, the CloudFormation service).

use std::borrow::Cow;
use std::io::{self, Write};

use crate::intrinsic::{SHORT_TAGS, call};
use crate::json::Json;
use crate::spec::IntrinsicStyle;

/// Writes `template` (an object) as a YAML document, with a blank line
/// between top-level sections.
pub fn write(template: &Json, style: IntrinsicStyle, out: &mut dyn Write) -> io::Result<()> {
    let mut e = Emitter { out, style };
    match template {
        Json::Object(entries) => {
            for (i, (k, v)) in entries.iter().enumerate() {
                if i > 0 {
                    e.out.write_all(b"\n")?;
                }
                e.entry(k, v, 0, false)?;
            }
            Ok(())
        }
        other => e.after_dash(other, 0),
    }
}

struct Emitter<'a> {
    out: &'a mut dyn Write,
    style: IntrinsicStyle,
}

/// How a value is written after `key:` or `- `.
enum Shape<'v> {
    Scalar(Cow<'v, str>),
    Block(&'v str),
    Map(&'v [(String, Json)]),
    Seq(&'v [Json]),
    Tagged(&'static str, &'v Json),
}

impl Emitter<'_> {
    fn shape<'v>(&self, v: &'v Json) -> Shape<'v> {
        if self.style == IntrinsicStyle::Short
            && let Some((tag, arg)) = self.tag(v)
        {
            return Shape::Tagged(tag, arg);
        }
        match v {
            Json::Null => Shape::Scalar("null".into()),
            Json::Bool(b) => Shape::Scalar(if *b { "true" } else { "false" }.into()),
            Json::Number(n) => Shape::Scalar(number(n).into()),
            Json::String(s) if block_ok(s) => Shape::Block(s),
            Json::String(s) => Shape::Scalar(scalar(s)),
            Json::Array(a) if a.is_empty() => Shape::Scalar("[]".into()),
            Json::Array(a) => Shape::Seq(a),
            Json::Object(o) if o.is_empty() => Shape::Scalar("{}".into()),
            Json::Object(o) => Shape::Map(o),
        }
    }

    /// The short tag for a call, unless its argument is itself written as a
    /// tag (YAML gives a node one tag, so `!Base64 !Sub` is not allowed and
    /// the outer call stays in long form).
    fn tag<'v>(&self, v: &'v Json) -> Option<(&'static str, &'v Json)> {
        let (name, arg) = call(v)?;
        if !SHORT_TAGS.contains(&name) {
            return None;
        }
        if name == "Fn::GetAtt" {
            // Only the dotted scalar form; anything else stays long.
            match arg.as_array() {
                Some([Json::String(_), Json::String(_)]) => {}
                _ => return None,
            }
        }
        if self.tag(arg).is_some() {
            return None;
        }
        Some((name, arg))
    }

    fn indent(&mut self, mut n: usize) -> io::Result<()> {
        const SPACES: &[u8; 64] = &[b' '; 64];
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }

    /// `key: value` with the key at column `col` (already written up to the
    /// key when `inline`).
    fn entry(&mut self, k: &str, v: &Json, col: usize, inline: bool) -> io::Result<()> {
        if !inline {
            self.indent(col)?;
        }
        self.out.write_all(scalar(k).as_bytes())?;
        self.out.write_all(b":")?;
        self.after(v, col)
    }

    /// The value after `key:` or `-`, whose own children go at `col + 2`.
    fn after(&mut self, v: &Json, col: usize) -> io::Result<()> {
        match self.shape(v) {
            Shape::Scalar(s) => {
                self.out.write_all(b" ")?;
                self.out.write_all(s.as_bytes())?;
                self.out.write_all(b"\n")
            }
            Shape::Block(s) => self.block(s, col + 2),
            Shape::Map(entries) => {
                self.out.write_all(b"\n")?;
                self.entries(entries, col + 2, false)
            }
            Shape::Seq(items) => {
                self.out.write_all(b"\n")?;
                self.items(items, col + 2, false)
            }
            Shape::Tagged(name, arg) => {
                let tag = name.strip_prefix("Fn::").unwrap_or(name);
                write!(self.out, " !{tag}")?;
                if name == "Fn::GetAtt"
                    && let Some([Json::String(r), Json::String(a)]) = arg.as_array()
                {
                    return writeln!(self.out, " {}", scalar(&format!("{r}.{a}")));
                }
                self.after(arg, col)
            }
        }
    }

    /// The value after `- ` (the dash at column `col`).
    fn after_dash(&mut self, v: &Json, col: usize) -> io::Result<()> {
        match self.shape(v) {
            Shape::Map(entries) => {
                self.out.write_all(b" ")?;
                self.entries(entries, col + 2, true)
            }
            Shape::Seq(items) => {
                self.out.write_all(b" ")?;
                self.items(items, col + 2, true)
            }
            _ => self.after(v, col),
        }
    }

    fn entries(&mut self, entries: &[(String, Json)], col: usize, inline: bool) -> io::Result<()> {
        for (i, (k, v)) in entries.iter().enumerate() {
            self.entry(k, v, col, inline && i == 0)?;
        }
        Ok(())
    }

    fn items(&mut self, items: &[Json], col: usize, inline: bool) -> io::Result<()> {
        for (i, v) in items.iter().enumerate() {
            if !(inline && i == 0) {
                self.indent(col)?;
            }
            self.out.write_all(b"-")?;
            self.after_dash(v, col)?;
        }
        Ok(())
    }

    /// A literal block scalar (`|`), its lines at column `col`.
    fn block(&mut self, s: &str, col: usize) -> io::Result<()> {
        let body = s.trim_end_matches('\n');
        let trailing = s.len() - body.len();
        let chomp = match trailing {
            0 => "-",
            1 => "",
            _ => "+",
        };
        writeln!(self.out, " |{chomp}")?;
        for line in body.split('\n') {
            if !line.is_empty() {
                self.indent(col)?;
                self.out.write_all(line.as_bytes())?;
            }
            self.out.write_all(b"\n")?;
        }
        for _ in 1..trailing {
            self.out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// Whether a multi-line string can be a literal block: printable, no
/// carriage returns, a first line that does not start with a space (which
/// would need an indentation indicator), and no line that is only spaces
/// (which block folding would not keep).
fn block_ok(s: &str) -> bool {
    s.contains('\n')
        && !s.starts_with([' ', '\n'])
        && s.chars().all(|c| c == '\n' || c == '\t' || printable(c))
        && s.trim_end_matches('\n')
            .split('\n')
            .all(|l| l.is_empty() || !l.trim_start_matches([' ', '\t']).is_empty())
}

/// YAML's printable set, without the characters YAML 1.1 treats as line
/// breaks (NEL, LS, PS) and the byte-order mark.
fn printable(c: char) -> bool {
    matches!(c, '\u{20}'..='\u{7E}' | '\u{A0}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// A string as a YAML scalar: plain when nothing could read it as anything
/// else, single-quoted when printable, double-quoted with escapes otherwise.
pub fn scalar(s: &str) -> Cow<'_, str> {
    if plain_ok(s) {
        return Cow::Borrowed(s);
    }
    if s.chars().all(printable) {
        return Cow::Owned(format!("'{}'", s.replace('\'', "''")));
    }
    let mut q = String::with_capacity(s.len() + 2);
    q.push('"');
    for c in s.chars() {
        match c {
            '"' => q.push_str("\\\""),
            '\\' => q.push_str("\\\\"),
            '\n' => q.push_str("\\n"),
            '\t' => q.push_str("\\t"),
            '\r' => q.push_str("\\r"),
            c if printable(c) => q.push(c),
            c if (c as u32) <= 0xFFFF => q.push_str(&format!("\\u{:04X}", c as u32)),
            c => q.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    q.push('"');
    Cow::Owned(q)
}

/// Words YAML 1.1 or 1.2 resolves to booleans or null.
const RESERVED: &[&str] = &["y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"];

fn plain_ok(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    if RESERVED.iter().any(|w| w.eq_ignore_ascii_case(s)) {
        return false;
    }
    // Numbers, dates, times, .inf/.nan, YAML 1.1 sexagesimals and the like
    // all start with one of these.
    if first.is_ascii_digit() || "+-.".contains(first) {
        return false;
    }
    if "?:,[]{}#&*!|>'\"%@`<=~ \t".contains(first) {
        return false;
    }
    if s.ends_with([' ', '\t', ':']) {
        return false;
    }
    if s.contains(": ") || s.contains(" #") || s.contains(['{', '}', '[', ']', ',', '\t']) {
        return false;
    }
    s.chars().all(printable)
}

/// A number as YAML reads it back as the same number: YAML 1.1 floats need
/// a dot and a signed exponent (`1.0e+20`, not `1e20`).
fn number(n: &serde_json::Number) -> String {
    let s = n.to_string();
    let Some((mantissa, exp)) = s.split_once(['e', 'E']) else {
        return s;
    };
    let mantissa =
        if mantissa.contains('.') { mantissa.to_string() } else { format!("{mantissa}.0") };
    let exp = if exp.starts_with(['+', '-']) { exp.to_string() } else { format!("+{exp}") };
    format!("{mantissa}e{exp}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_that_read_as_other_types_are_quoted() {
        for s in [
            "80",
            "true",
            "No",
            "null",
            "1:20",
            "2026-01-01",
            ".5",
            "-x",
            "",
            "a: b",
            "x #y",
            "@x",
            "~",
        ] {
            assert!(scalar(s).starts_with('\''), "{s} -> {}", scalar(s));
        }
        for s in ["AWS::Region", "arn:aws:s3:::b/*", "s3:GetObject", "Hello world", "Zürich"] {
            assert_eq!(scalar(s), s);
        }
        assert_eq!(scalar("it's"), "it's");
        assert_eq!(scalar("'a'"), "'''a'''");
        assert_eq!(scalar("a\u{1}"), "\"a\\u0001\"");
    }

    #[test]
    fn exponents_keep_a_dot_and_a_sign() {
        let n = serde_json::Number::from_f64(1e300).unwrap();
        assert_eq!(number(&n), "1.0e+300");
    }
}
