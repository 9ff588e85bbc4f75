//! Inline Markdown (bold, italic, code, links) and bullet lists flattened
//! into leveled paragraphs.
//!
//! The inline syntax is deliberately small, so that anything it does not
//! recognise stays literal text: `**bold**` / `__bold__`, `*italic*` /
//! `_italic_`, `` `code` ``, `[text](url)`, and `\` escaping the next
//! character. An opener without a closer is kept as typed.

use crate::spec::Bullet;

/// A run of text with one formatting.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Run {
    pub(crate) text: String,
    pub(crate) bold: bool,
    pub(crate) italic: bool,
    pub(crate) code: bool,
    pub(crate) link: Option<String>,
}

/// A paragraph: runs at an indentation level (0 = top).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Para {
    pub(crate) level: usize,
    pub(crate) runs: Vec<Run>,
}

impl Para {
    pub(crate) fn plain(text: &str) -> Para {
        Para { level: 0, runs: vec![Run { text: text.to_string(), ..Run::default() }] }
    }

    pub(crate) fn text(&self) -> String {
        self.runs.iter().map(|r| r.text.as_str()).collect()
    }
}

/// The deepest bullet level PowerPoint styles (0-based).
pub(crate) const MAX_LEVEL: usize = 4;

/// Flattens bullet items into paragraphs with levels.
pub(crate) fn bullets(items: &[Bullet]) -> Vec<Para> {
    let mut out = Vec::new();
    flatten(items, 0, &mut out);
    out
}

fn flatten(items: &[Bullet], base: usize, out: &mut Vec<Para>) {
    for item in items {
        match item {
            Bullet::Text(s) => {
                let (indent, rest) = split_indent(s);
                let mut para = inline(rest);
                para.level = (base + indent).min(MAX_LEVEL);
                out.push(para);
            }
            Bullet::Nested(children) => flatten(children, base + 1, out),
            Bullet::Item(item) => {
                let (indent, rest) = split_indent(&item.text);
                let mut para = inline(rest);
                para.level = (base + indent).min(MAX_LEVEL);
                out.push(para);
                flatten(&item.bullets, base + indent + 1, out);
            }
        }
    }
}

/// Leading indentation (2 spaces or a tab per level) and a list marker
/// (`- `, `* `, `• `) are layout, not text.
fn split_indent(s: &str) -> (usize, &str) {
    let mut width = 0;
    let mut rest = s;
    loop {
        if let Some(r) = rest.strip_prefix(' ') {
            width += 1;
            rest = r;
        } else if let Some(r) = rest.strip_prefix('\t') {
            width += 2;
            rest = r;
        } else {
            break;
        }
    }
    for marker in ["- ", "* ", "• ", "+ "] {
        if let Some(r) = rest.strip_prefix(marker) {
            rest = r;
            break;
        }
    }
    (width / 2, rest.trim_end())
}

/// Parses inline Markdown into runs.
pub(crate) fn inline(s: &str) -> Para {
    let mut runs = Vec::new();
    parse(s, Style::default(), &mut runs);
    merge(&mut runs);
    Para { level: 0, runs }
}

#[derive(Clone, Default)]
struct Style {
    bold: bool,
    italic: bool,
    link: Option<String>,
}

fn push(runs: &mut Vec<Run>, text: &str, style: &Style, code: bool) {
    if text.is_empty() {
        return;
    }
    runs.push(Run {
        text: text.to_string(),
        bold: style.bold,
        italic: style.italic,
        code,
        link: style.link.clone(),
    });
}

fn parse(s: &str, style: Style, runs: &mut Vec<Run>) {
    let mut plain = String::new();
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        match construct(&s[i..], c, &style, &mut plain, runs) {
            Some(len) => i += len,
            None => {
                plain.push(c);
                i += c.len_utf8();
            }
        }
    }
    push(runs, &plain, &style, false);
}

/// Recognises an inline construct at the start of `rest`, emitting the
/// pending plain text and the construct's runs; returns the bytes consumed.
fn construct(
    rest: &str,
    c: char,
    style: &Style,
    plain: &mut String,
    runs: &mut Vec<Run>,
) -> Option<usize> {
    let flush = |runs: &mut Vec<Run>, plain: &mut String| {
        push(runs, plain, style, false);
        plain.clear();
    };
    match c {
        '\\' => {
            let next = rest[1..].chars().next()?;
            plain.push(next);
            Some(1 + next.len_utf8())
        }
        '`' => {
            let end = rest[1..].find('`')?;
            flush(runs, plain);
            push(runs, &rest[1..1 + end], style, true);
            Some(end + 2)
        }
        '[' => {
            let (text, url, len) = link(rest)?;
            flush(runs, plain);
            let inner = Style { link: Some(url.to_string()), ..style.clone() };
            parse(text, inner, runs);
            Some(len)
        }
        '*' | '_' => {
            // `_` inside a word (snake_case) is not emphasis.
            if c == '_' && plain.chars().last().is_some_and(char::is_alphanumeric) {
                return None;
            }
            let double = if c == '*' { "**" } else { "__" };
            if rest.starts_with(double)
                && !style.bold
                && let Some(end) = closing(&rest[2..], double)
            {
                flush(runs, plain);
                let inner = Style { bold: true, ..style.clone() };
                parse(&rest[2..2 + end], inner, runs);
                return Some(end + 4);
            }
            if style.italic {
                return None;
            }
            let end = closing(&rest[1..], &double[..1])?;
            flush(runs, plain);
            let inner = Style { italic: true, ..style.clone() };
            parse(&rest[1..1 + end], inner, runs);
            Some(end + 2)
        }
        _ => None,
    }
}

/// The offset of a closing delimiter: not at the start, not after a space.
fn closing(s: &str, delim: &str) -> Option<usize> {
    if s.starts_with(' ') || s.starts_with(delim) {
        return None;
    }
    let mut from = 1;
    while from <= s.len() {
        let at = from + s.get(from..)?.find(delim)?;
        let before = s[..at].chars().last();
        if before.is_some_and(|b| !b.is_whitespace()) {
            // `**` must not be taken for a closing `*`.
            if delim.len() == 1 && s[at..].starts_with(&delim.repeat(2)) {
                from = at + 2;
                continue;
            }
            return Some(at);
        }
        from = at + delim.len();
    }
    None
}

/// `[text](url)` at the start of `s`: (text, url, length).
fn link(s: &str) -> Option<(&str, &str, usize)> {
    let close = s.find("](")?;
    let text = &s[1..close];
    if text.contains('[') || text.is_empty() {
        return None;
    }
    let end = s[close + 2..].find(')')?;
    let url = s[close + 2..close + 2 + end].trim();
    if url.is_empty() || url.contains(' ') {
        return None;
    }
    Some((text, url, close + 3 + end))
}

/// Adjacent runs with the same formatting become one.
fn merge(runs: &mut Vec<Run>) {
    let mut merged: Vec<Run> = Vec::with_capacity(runs.len());
    for run in runs.drain(..) {
        match merged.last_mut() {
            Some(last)
                if last.bold == run.bold
                    && last.italic == run.italic
                    && last.code == run.code
                    && last.link == run.link =>
            {
                last.text.push_str(&run.text)
            }
            _ => merged.push(run),
        }
    }
    *runs = merged;
}

/// Paragraphs of plain text separated by blank lines (or single newlines).
pub(crate) fn paragraphs(s: &str) -> Vec<String> {
    s.split('\n')
        .map(str::trim_end)
        .filter(|line| !line.trim().is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(s: &str) -> Vec<(String, bool, bool, Option<String>)> {
        inline(s).runs.into_iter().map(|r| (r.text, r.bold, r.italic, r.link)).collect()
    }

    #[test]
    fn bold_italic_and_links_become_runs() {
        assert_eq!(
            shape("a **b** *c* [d](http://x)"),
            vec![
                ("a ".into(), false, false, None),
                ("b".into(), true, false, None),
                (" ".into(), false, false, None),
                ("c".into(), false, true, None),
                (" ".into(), false, false, None),
                ("d".into(), false, false, Some("http://x".into())),
            ]
        );
    }

    #[test]
    fn unclosed_markers_and_snake_case_stay_literal() {
        assert_eq!(inline("2 * 3 = 6").text(), "2 * 3 = 6");
        assert_eq!(inline("snake_case_name").text(), "snake_case_name");
        assert_eq!(inline("**open").text(), "**open");
        assert_eq!(inline(r"\*x\*").text(), "*x*");
    }

    #[test]
    fn indentation_and_nested_arrays_set_levels() {
        let items: Vec<Bullet> = serde_json::from_str(
            r#"["a", "  - b", "    c", ["d", ["e"]], {"text": "f", "bullets": ["g"]}]"#,
        )
        .unwrap();
        let levels: Vec<(usize, String)> =
            bullets(&items).iter().map(|p| (p.level, p.text())).collect();
        assert_eq!(
            levels,
            vec![
                (0, "a".into()),
                (1, "b".into()),
                (2, "c".into()),
                (1, "d".into()),
                (2, "e".into()),
                (0, "f".into()),
                (1, "g".into())
            ]
        );
    }
}
