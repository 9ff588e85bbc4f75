//! Finds the references in values by parsing them with an HCL parser.

use std::borrow::Cow;

use hcl::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::template::{Directive, Element, Template};

use crate::value::Value;

/// A reference found in a value: its leading attribute names
/// (`["aws_vpc", "main", "id"]`), where it was, and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ref {
    pub(crate) parts: Vec<String>,
    pub(crate) pointer: String,
}

/// A value that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ParseProblem {
    pub(crate) pointer: String,
    pub(crate) message: String,
}

/// Collects every reference in `v` into `out`. `pointer` makes the JSON
/// pointer of `v`; it is called only for a value that can hold references,
/// as most values are literals.
pub(crate) fn collect(
    v: &Value,
    pointer: impl FnOnce() -> String,
    out: &mut Vec<Ref>,
    problems: &mut Vec<ParseProblem>,
) {
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
        Value::String(s) if !s.contains("${") && !s.contains("%{") => {}
        _ => collect_at(v, &mut pointer(), out, problems),
    }
}

/// `collect` with one pointer buffer for the whole value; a leaf may leave
/// its suffix (`/ref`, `/expr`) on it.
fn collect_at(v: &Value, p: &mut String, out: &mut Vec<Ref>, problems: &mut Vec<ParseProblem>) {
    let pointer: &str = p.as_str();
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
        Value::String(s) => {
            if s.contains("${") || s.contains("%{") {
                if let Some(found) = simple_template(s) {
                    out.extend(refs_at(pointer, found));
                    return;
                }
                match s.parse::<Template>() {
                    Ok(t) => {
                        let mut found = Vec::new();
                        template_refs(&t, &mut Vec::new(), &mut found);
                        out.extend(refs_at(pointer, found));
                    }
                    Err(e) => problems.push(ParseProblem {
                        pointer: pointer.to_owned(),
                        message: format!(
                            "expected a string whose ${{...}} interpolations are valid HCL (write $${{ for a literal ${{), found {s:?}: {}",
                            one_line(&e.to_string())
                        ),
                    }),
                }
            }
        }
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                collect_child(item, &i.to_string(), p, out, problems);
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter() {
                collect_child(item, &escape(k), p, out, problems);
            }
        }
        Value::Ref(r) => {
            p.push_str("/ref");
            let pointer = p.as_str();
            if let Some(parts) = simple_ref(r) {
                out.push(Ref { parts, pointer: pointer.to_owned() });
                return;
            }
            match r.trim().parse::<Expression>() {
                Ok(e) if is_traversal(&e) => {
                    let mut found = Vec::new();
                    expr_refs(&e, &mut Vec::new(), &mut found);
                    out.extend(refs_at(pointer, found));
                }
                Ok(_) => problems.push(ParseProblem {
                    pointer: pointer.to_owned(),
                    message: format!(
                        "expected a reference such as \"aws_vpc.main.id\" or \"var.cidr\", found the expression {r:?}; write it as {{\"expr\": {r:?}}}"
                    ),
                }),
                Err(e) => problems.push(ParseProblem {
                    pointer: pointer.to_owned(),
                    message: format!(
                        "expected a reference such as \"aws_vpc.main.id\", found {r:?}, which is not valid HCL: {}",
                        one_line(&e.to_string())
                    ),
                }),
            }
        }
        Value::Expr(x) => {
            p.push_str("/expr");
            let pointer = p.as_str();
            match x.trim().parse::<Expression>() {
                Ok(e) => {
                    let mut found = Vec::new();
                    expr_refs(&e, &mut Vec::new(), &mut found);
                    out.extend(refs_at(pointer, found));
                }
                Err(e) => problems.push(ParseProblem {
                    pointer: pointer.to_owned(),
                    message: format!(
                        "expected an HCL expression, found {x:?}: {}",
                        one_line(&e.to_string())
                    ),
                }),
            }
        }
    }
}

/// `collect_at` for the child of the value at `p` at `segment`; literals
/// hold no references and are skipped.
fn collect_child(
    item: &Value,
    segment: &str,
    p: &mut String,
    out: &mut Vec<Ref>,
    problems: &mut Vec<ParseProblem>,
) {
    if matches!(item, Value::Null | Value::Bool(_) | Value::Number(_)) {
        return;
    }
    let len = p.len();
    p.push('/');
    p.push_str(segment);
    collect_at(item, p, out, problems);
    p.truncate(len);
}

/// The references found in the value at `pointer`.
fn refs_at(pointer: &str, found: Vec<Vec<String>>) -> impl Iterator<Item = Ref> + '_ {
    found.into_iter().map(move |parts| Ref { parts, pointer: pointer.to_owned() })
}

/// The leading attribute names of a plain traversal such as
/// `aws_subnet.private[0].id` or `var.m["k"]`, without running the parser;
/// `None` when the text is anything else (then the HCL parser decides).
pub(crate) fn simple_ref(s: &str) -> Option<Vec<String>> {
    let s = s.trim();
    let bytes = s.as_bytes();
    let ident_start = |b: u8| b.is_ascii_alphabetic() || b == b'_';
    let ident_char = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-';
    if bytes.is_empty() || !ident_start(bytes[0]) {
        return None;
    }
    let mut parts = Vec::new();
    let mut i = 0;
    let mut collecting = true;
    let mut first = true;
    loop {
        // An identifier.
        let start = i;
        if i >= bytes.len() || !ident_start(bytes[i]) {
            return None;
        }
        while i < bytes.len() && ident_char(bytes[i]) {
            i += 1;
        }
        if collecting {
            parts.push(s[start..i].to_owned());
        }
        if first && matches!(&s[start..i], "true" | "false" | "null" | "for" | "if" | "in") {
            return None;
        }
        first = false;
        // Index operators.
        while i < bytes.len() && bytes[i] == b'[' {
            let close = s[i..].find(']')? + i;
            let inner = &s[i + 1..close];
            let ok = inner == "*"
                || (!inner.is_empty() && inner.bytes().all(|b| b.is_ascii_digit()))
                || (inner.len() >= 2
                    && inner.starts_with('"')
                    && inner.ends_with('"')
                    && !inner[1..inner.len() - 1].contains(['"', '\\', '$', '%']));
            if !ok {
                return None;
            }
            collecting = false;
            i = close + 1;
        }
        if i == bytes.len() {
            return Some(parts);
        }
        if bytes[i] != b'.' {
            return None;
        }
        i += 1;
        if i < bytes.len() && bytes[i] == b'*' {
            collecting = false;
            i += 1;
            if i == bytes.len() {
                return Some(parts);
            }
            if bytes[i] != b'.' {
                return None;
            }
            i += 1;
        } else if i < bytes.len() && bytes[i].is_ascii_digit() {
            return None;
        }
    }
}

/// The interpolations of a string whose every `${...}` holds a plain
/// traversal (and that has no `%{` directive); `None` otherwise.
pub(crate) fn simple_template(s: &str) -> Option<Vec<Vec<String>>> {
    if s.contains("%{") {
        return None;
    }
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(at) = rest.find("${") {
        if at > 0 && rest[..at].ends_with('$') {
            // $${ is a literal; let the parser handle the subtleties.
            return None;
        }
        let inner_start = at + 2;
        let close = rest[inner_start..].find('}')? + inner_start;
        let inner = &rest[inner_start..close];
        if inner.contains(['{', '"', '~']) {
            return None;
        }
        out.push(simple_ref(inner)?);
        rest = &rest[close + 1..];
    }
    Some(out)
}

/// Parses expression source (conditions, type constraints).
pub(crate) fn parse_expr(src: &str) -> Result<Expression, String> {
    src.trim().parse::<Expression>().map_err(|e| one_line(&e.to_string()))
}

/// The references of a parsed expression.
pub(crate) fn refs_of(e: &Expression) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    expr_refs(e, &mut Vec::new(), &mut out);
    out
}

fn is_traversal(e: &Expression) -> bool {
    match e {
        Expression::Variable(_) => true,
        Expression::Traversal(t) => is_traversal(&t.expr),
        _ => false,
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

pub(crate) fn escape(segment: &str) -> Cow<'_, str> {
    if segment.contains(['~', '/']) {
        Cow::Owned(segment.replace('~', "~0").replace('/', "~1"))
    } else {
        Cow::Borrowed(segment)
    }
}

fn template_refs(t: &Template, bound: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    for el in t.elements() {
        match el {
            Element::Literal(_) => {}
            Element::Interpolation(i) => expr_refs(&i.expr, bound, out),
            Element::Directive(d) => match d.as_ref() {
                Directive::If(d) => {
                    expr_refs(&d.cond_expr, bound, out);
                    template_refs(&d.true_template, bound, out);
                    if let Some(f) = &d.false_template {
                        template_refs(f, bound, out);
                    }
                }
                Directive::For(d) => {
                    expr_refs(&d.collection_expr, bound, out);
                    let n = bound.len();
                    if let Some(k) = &d.key_var {
                        bound.push(k.as_str().to_owned());
                    }
                    bound.push(d.value_var.as_str().to_owned());
                    template_refs(&d.template, bound, out);
                    bound.truncate(n);
                }
            },
        }
    }
}

fn expr_refs(e: &Expression, bound: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    match e {
        Expression::Null | Expression::Bool(_) | Expression::Number(_) | Expression::String(_) => {}
        Expression::Array(items) => items.iter().for_each(|i| expr_refs(i, bound, out)),
        Expression::Object(map) => {
            for (k, v) in map {
                if let ObjectKey::Expression(k) = k {
                    // A bare name in parentheses or a string is a key, not a reference.
                    if !matches!(k, Expression::Variable(_)) {
                        expr_refs(k, bound, out);
                    }
                }
                expr_refs(v, bound, out);
            }
        }
        Expression::TemplateExpr(t) => {
            let src = match t.as_ref() {
                hcl::expr::TemplateExpr::QuotedString(s) => s.as_str(),
                hcl::expr::TemplateExpr::Heredoc(h) => h.template.as_str(),
            };
            if let Ok(t) = src.parse::<Template>() {
                template_refs(&t, bound, out);
            }
        }
        Expression::Variable(v) if !bound.iter().any(|b| b == v.as_str()) => {
            out.push(vec![v.as_str().to_owned()]);
        }
        Expression::Variable(_) => {}
        Expression::Traversal(t) => {
            let mut parts = Vec::new();
            let mut root = &t.expr;
            // Nested traversals (a.b)[0].c parse as Traversal{Traversal{..}}.
            while let Expression::Traversal(inner) = root {
                root = &inner.expr;
            }
            let flat = flatten(e);
            match root {
                Expression::Variable(v) => {
                    if !bound.iter().any(|b| b == v.as_str()) {
                        parts.push(v.as_str().to_owned());
                        for op in &flat {
                            match op {
                                TraversalOperator::GetAttr(id) => {
                                    parts.push(id.as_str().to_owned())
                                }
                                _ => break,
                            }
                        }
                        out.push(parts);
                    }
                }
                other => expr_refs(other, bound, out),
            }
            for op in &flat {
                if let TraversalOperator::Index(i) = op {
                    expr_refs(i, bound, out);
                }
            }
        }
        Expression::FuncCall(f) => f.args.iter().for_each(|a| expr_refs(a, bound, out)),
        Expression::Parenthesis(inner) => expr_refs(inner, bound, out),
        Expression::Conditional(c) => {
            expr_refs(&c.cond_expr, bound, out);
            expr_refs(&c.true_expr, bound, out);
            expr_refs(&c.false_expr, bound, out);
        }
        Expression::Operation(op) => match op.as_ref() {
            hcl::expr::Operation::Unary(u) => expr_refs(&u.expr, bound, out),
            hcl::expr::Operation::Binary(b) => {
                expr_refs(&b.lhs_expr, bound, out);
                expr_refs(&b.rhs_expr, bound, out);
            }
        },
        Expression::ForExpr(f) => {
            expr_refs(&f.collection_expr, bound, out);
            let n = bound.len();
            if let Some(k) = &f.key_var {
                bound.push(k.as_str().to_owned());
            }
            bound.push(f.value_var.as_str().to_owned());
            if let Some(k) = &f.key_expr {
                expr_refs(k, bound, out);
            }
            expr_refs(&f.value_expr, bound, out);
            if let Some(c) = &f.cond_expr {
                expr_refs(c, bound, out);
            }
            bound.truncate(n);
        }
        _ => {}
    }
}

/// The operators of a (possibly nested) traversal, root first.
fn flatten(e: &Expression) -> Vec<TraversalOperator> {
    match e {
        Expression::Traversal(t) => {
            let mut ops = flatten(&t.expr);
            ops.extend(t.operators.iter().cloned());
            ops
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(src: &str) -> Vec<String> {
        let e = parse_expr(src).unwrap();
        refs_of(&e).into_iter().map(|p| p.join(".")).collect()
    }

    #[test]
    fn simple_references_match_the_parser() {
        for src in [
            "aws_vpc.main.id",
            "aws_subnet.p[*].id",
            "var.m[\"k\"].id",
            "module.x.y[0]",
            "a.*.b",
            "each.value",
        ] {
            let parsed = refs(src);
            assert_eq!(simple_ref(src).map(|p| p.join(".")), parsed.first().cloned(), "{src}");
        }
        for src in ["f(x)", "a + b", "true", "a.0", "a[b]", "\"x\""] {
            assert_eq!(simple_ref(src), None, "{src}");
        }
        assert_eq!(simple_template("${var.a}-${local.b}").unwrap().len(), 2);
        assert_eq!(simple_template("${f(x)}"), None);
    }

    #[test]
    fn finds_references() {
        assert_eq!(refs("cidrsubnet(var.cidr, 8, count.index)"), ["var.cidr", "count.index"]);
        assert_eq!(refs("aws_subnet.private[*].id"), ["aws_subnet.private"]);
        assert_eq!(refs("[for s in aws_subnet.p : s.id if s.x]"), ["aws_subnet.p"]);
        assert_eq!(refs("module.net.ids[0]"), ["module.net.ids"]);
        assert_eq!(refs("data.aws_ami.linux.id"), ["data.aws_ami.linux.id"]);
        assert_eq!(refs("\"${local.name}-x\""), ["local.name"]);
        assert_eq!(refs("var.m[local.k].id"), ["var.m", "local.k"]);
    }
}
