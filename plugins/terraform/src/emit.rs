//! A small HCL writer whose output is what `terraform fmt` produces: two-space
//! indents, `=` aligned across runs of consecutive single-line attributes (a
//! multi-line attribute, a block or a blank line ends a run), one blank line
//! between blocks, and HashiCorp's token spacing inside expressions.

use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::template::{Directive, Element, Template};

use crate::value::Value;

/// An item of a body.
#[derive(Clone, Debug)]
pub(crate) enum Item {
    /// An attribute with its value already rendered at the body's level.
    Attr(String, String),
    Block(Block),
    /// A comment line (`# ...`), kept with the item that follows.
    Comment(String),
    /// An empty line (ends an alignment run).
    Blank,
}

/// A block: type, labels, body.
#[derive(Clone, Debug)]
pub(crate) struct Block {
    pub(crate) kind: String,
    pub(crate) labels: Vec<String>,
    pub(crate) items: Vec<Item>,
}

impl Block {
    pub(crate) fn new(kind: &str, labels: &[&str]) -> Block {
        Block {
            kind: kind.to_owned(),
            labels: labels.iter().map(|s| (*s).to_owned()).collect(),
            items: Vec::new(),
        }
    }
    /// Adds an attribute whose value is rendered at nesting `level` (the
    /// level of this block's body).
    pub(crate) fn attr(&mut self, key: &str, rendered: String) {
        self.items.push(Item::Attr(key.to_owned(), rendered));
    }
    pub(crate) fn block(&mut self, block: Block) {
        self.items.push(Item::Block(block));
    }
    pub(crate) fn blank(&mut self) {
        if !matches!(self.items.last(), None | Some(Item::Blank)) {
            self.items.push(Item::Blank);
        }
    }
}

pub(crate) fn indent(level: usize) -> String {
    "  ".repeat(level)
}

/// Writes top-level blocks separated by one blank line.
pub(crate) fn file(blocks: &[Block], leading_comments: &[Vec<String>]) -> String {
    let mut out = String::new();
    for (i, b) in blocks.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        if let Some(comments) = leading_comments.get(i) {
            for c in comments {
                out.push_str(&comment_line(c));
                out.push('\n');
            }
        }
        write_block(&mut out, b, 0);
    }
    out
}

fn comment_line(text: &str) -> String {
    let t = text.replace(['\n', '\r'], " ");
    if t.trim().is_empty() { "#".to_owned() } else { format!("# {}", t.trim_end()) }
}

pub(crate) fn write_block(out: &mut String, b: &Block, level: usize) {
    out.push_str(&indent(level));
    out.push_str(&b.kind);
    for l in &b.labels {
        out.push(' ');
        out.push_str(&quote(l));
    }
    if b.items.is_empty() {
        out.push_str(" {}\n");
        return;
    }
    out.push_str(" {\n");
    write_items(out, &b.items, level + 1);
    out.push_str(&indent(level));
    out.push_str("}\n");
}

fn write_items(out: &mut String, items: &[Item], level: usize) {
    // Trim blanks at both ends and doubled blanks.
    let mut cleaned: Vec<&Item> = Vec::new();
    for it in items {
        if matches!(it, Item::Blank) && matches!(cleaned.last(), None | Some(Item::Blank)) {
            continue;
        }
        cleaned.push(it);
    }
    while matches!(cleaned.last(), Some(Item::Blank)) {
        cleaned.pop();
    }
    let mut i = 0;
    while i < cleaned.len() {
        match cleaned[i] {
            Item::Attr(..) => {
                // A run of single-line attributes shares one alignment.
                let mut j = i;
                let mut width = 0;
                while j < cleaned.len() {
                    match cleaned[j] {
                        Item::Attr(k, v) if !v.contains('\n') => {
                            width = width.max(k.chars().count());
                            j += 1;
                        }
                        _ => break,
                    }
                }
                if j == i {
                    // A multi-line attribute.
                    if let Item::Attr(k, v) = cleaned[i] {
                        out.push_str(&format!("{}{} = {}\n", indent(level), k, v));
                    }
                    i += 1;
                    continue;
                }
                for it in &cleaned[i..j] {
                    if let Item::Attr(k, v) = it {
                        let pad = width - k.chars().count();
                        out.push_str(&format!(
                            "{}{}{} = {}\n",
                            indent(level),
                            k,
                            " ".repeat(pad),
                            v
                        ));
                    }
                }
                i = j;
            }
            Item::Block(b) => {
                write_block(out, b, level);
                i += 1;
            }
            Item::Comment(c) => {
                out.push_str(&indent(level));
                out.push_str(&comment_line(c));
                out.push('\n');
                i += 1;
            }
            Item::Blank => {
                out.push('\n');
                i += 1;
            }
        }
    }
}

/// A quoted HCL string literal with no interpolation (`${` and `%{` escaped).
pub(crate) fn quote(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    push_escaped(&mut o, s, true);
    o.push('"');
    o
}

fn push_escaped(o: &mut String, s: &str, escape_templates: bool) {
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            '$' | '%' if escape_templates && chars.peek() == Some(&'{') => {
                o.push(c);
                o.push(c);
            }
            c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04X}", c as u32)),
            c => o.push(c),
        }
    }
}

/// Whether `s` is an ASCII HCL identifier (usable as a bare object key or
/// name; other keys are quoted, which every HCL reader accepts).
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() || c == '_' => {}
        _ => return false,
    }
    chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

fn key_text(k: &str) -> String {
    // Bare keys that are keywords of values would read as literals.
    if is_identifier(k) && !matches!(k, "true" | "false" | "null") {
        k.to_owned()
    } else {
        quote(k)
    }
}

/// Renders object entries (already rendered values) as a multi-line object
/// whose entries sit at `level + 1`.
pub(crate) fn object(entries: Vec<(String, String)>, level: usize) -> String {
    if entries.is_empty() {
        return "{}".to_owned();
    }
    let items: Vec<Item> = entries.into_iter().map(|(k, v)| Item::Attr(k, v)).collect();
    let mut out = String::from("{\n");
    write_items(&mut out, &items, level + 1);
    out.push_str(&indent(level));
    out.push('}');
    out
}

fn array(elements: Vec<String>, level: usize) -> String {
    if elements.is_empty() {
        return "[]".to_owned();
    }
    if elements.iter().all(|e| !e.contains('\n')) {
        return format!("[{}]", elements.join(", "));
    }
    let mut out = String::from("[\n");
    for e in elements {
        out.push_str(&indent(level + 1));
        out.push_str(&e);
        out.push_str(",\n");
    }
    out.push_str(&indent(level));
    out.push(']');
    out
}

/// Renders a spec value at nesting `level`. Expressions were checked by
/// validation; one that does not parse is written as given.
pub(crate) fn value(v: &Value, level: usize) -> String {
    match v {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string(s, level),
        Value::List(items) => array(items.iter().map(|i| value(i, level + 1)).collect(), level),
        Value::Object(map) => {
            object(map.iter().map(|(k, v)| (key_text(k), value(v, level + 1))).collect(), level)
        }
        Value::Ref(r) | Value::Expr(r) if crate::refs::simple_ref(r).is_some() => {
            r.trim().to_owned()
        }
        Value::Ref(r) | Value::Expr(r) => match r.trim().parse::<Expression>() {
            Ok(e) => expr(&e, level),
            Err(_) => r.trim().to_owned(),
        },
    }
}

/// A spec string: a template when it holds `${` or `%{`, else a literal.
pub(crate) fn string(s: &str, level: usize) -> String {
    if !(s.contains("${") || s.contains("%{")) {
        return quote(s);
    }
    if crate::refs::simple_template(s).is_some() {
        // Interpolations of plain traversals are written as given.
        let mut o = String::from("\"");
        let mut rest = s;
        while let Some(at) = rest.find("${") {
            push_escaped(&mut o, &rest[..at], true);
            let close = rest[at..].find('}').map_or(rest.len(), |c| c + at);
            o.push_str("${");
            o.push_str(rest[at + 2..close].trim());
            o.push('}');
            rest = &rest[(close + 1).min(rest.len())..];
        }
        push_escaped(&mut o, rest, true);
        o.push('"');
        return o;
    }
    match s.parse::<Template>() {
        Ok(t) => {
            let mut o = String::from("\"");
            template(&mut o, &t, level);
            o.push('"');
            o
        }
        Err(_) => quote(s),
    }
}

fn template(o: &mut String, t: &Template, level: usize) {
    for el in t.elements() {
        match el {
            Element::Literal(l) => push_escaped(o, l, true),
            Element::Interpolation(i) => {
                o.push_str("${");
                if i.strip.strip_start() {
                    o.push('~');
                }
                o.push_str(&expr(&i.expr, level));
                if i.strip.strip_end() {
                    o.push('~');
                }
                o.push('}');
            }
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    o.push_str("%{if ");
                    o.push_str(&expr(&d.cond_expr, level));
                    o.push('}');
                    template(o, &d.true_template, level);
                    if let Some(f) = &d.false_template {
                        o.push_str("%{else}");
                        template(o, f, level);
                    }
                    o.push_str("%{endif}");
                }
                Directive::For(d) => {
                    o.push_str("%{for ");
                    if let Some(k) = &d.key_var {
                        o.push_str(k.as_str());
                        o.push_str(", ");
                    }
                    o.push_str(d.value_var.as_str());
                    o.push_str(" in ");
                    o.push_str(&expr(&d.collection_expr, level));
                    o.push('}');
                    template(o, &d.template, level);
                    o.push_str("%{endfor}");
                }
            },
        }
    }
}

/// Renders a parsed HCL expression with HashiCorp's spacing.
pub(crate) fn expr(e: &Expression, level: usize) -> String {
    match e {
        Expression::Null => "null".to_owned(),
        Expression::Bool(b) => b.to_string(),
        Expression::Number(n) => n.to_string(),
        Expression::String(s) => quote(s),
        Expression::Array(items) => {
            array(items.iter().map(|i| expr(i, level + 1)).collect(), level)
        }
        Expression::Object(map) => object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        ObjectKey::Identifier(id) => id.as_str().to_owned(),
                        ObjectKey::Expression(Expression::String(s)) => key_text(s),
                        ObjectKey::Expression(e) => {
                            let t = expr(e, level + 1);
                            if matches!(e, Expression::Parenthesis(_)) {
                                t
                            } else {
                                format!("({t})")
                            }
                        }
                        other => other.to_string(),
                    };
                    (key, expr(v, level + 1))
                })
                .collect(),
            level,
        ),
        Expression::TemplateExpr(t) => match t.as_ref() {
            hcl::expr::TemplateExpr::QuotedString(raw) => format!("\"{raw}\""),
            hcl::expr::TemplateExpr::Heredoc(h) => {
                let strip = matches!(h.strip, hcl::expr::HeredocStripMode::Indent);
                format!(
                    "<<{}{}\n{}{}",
                    if strip { "-" } else { "" },
                    h.delimiter.as_str(),
                    h.template,
                    h.delimiter.as_str()
                )
            }
        },
        Expression::Variable(v) => v.as_str().to_owned(),
        Expression::Traversal(t) => {
            let mut o = expr(&t.expr, level);
            for op in &t.operators {
                match op {
                    TraversalOperator::AttrSplat => o.push_str(".*"),
                    TraversalOperator::FullSplat => o.push_str("[*]"),
                    TraversalOperator::GetAttr(id) => {
                        o.push('.');
                        o.push_str(id.as_str());
                    }
                    TraversalOperator::Index(i) => {
                        o.push('[');
                        o.push_str(&expr(i, level));
                        o.push(']');
                    }
                    TraversalOperator::LegacyIndex(n) => {
                        o.push('.');
                        o.push_str(&n.to_string());
                    }
                }
            }
            o
        }
        Expression::FuncCall(f) => {
            let mut name = String::new();
            for ns in &f.name.namespace {
                name.push_str(ns.as_str());
                name.push_str("::");
            }
            name.push_str(f.name.name.as_str());
            let args: Vec<String> = f.args.iter().map(|a| expr(a, level)).collect();
            format!("{name}({}{})", args.join(", "), if f.expand_final { "..." } else { "" })
        }
        Expression::Parenthesis(inner) => format!("({})", expr(inner, level)),
        Expression::Conditional(c) => format!(
            "{} ? {} : {}",
            expr(&c.cond_expr, level),
            expr(&c.true_expr, level),
            expr(&c.false_expr, level)
        ),
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => {
                format!("{}{}", u.operator.as_str(), expr(&u.expr, level))
            }
            hcl::expr::Operation::Binary(b) => format!(
                "{} {} {}",
                expr(&b.lhs_expr, level),
                b.operator.as_str(),
                expr(&b.rhs_expr, level)
            ),
        },
        Expression::ForExpr(f) => {
            let mut head = String::from("for ");
            if let Some(k) = &f.key_var {
                head.push_str(k.as_str());
                head.push_str(", ");
            }
            head.push_str(f.value_var.as_str());
            head.push_str(" in ");
            head.push_str(&expr(&f.collection_expr, level));
            head.push_str(" : ");
            let cond =
                f.cond_expr.as_ref().map(|c| format!(" if {}", expr(c, level))).unwrap_or_default();
            match &f.key_expr {
                Some(k) => format!(
                    "{{ {head}{} => {}{}{cond} }}",
                    expr(k, level),
                    expr(&f.value_expr, level),
                    if f.grouping { "..." } else { "" }
                ),
                None => format!("[{head}{}{cond}]", expr(&f.value_expr, level)),
            }
        }
        other => hcl::format::to_string(other).unwrap_or_default(),
    }
}
