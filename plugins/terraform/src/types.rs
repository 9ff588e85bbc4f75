//! Variable type constraints (parsed with the HCL parser) and checking
//! default values against them.

use hcl::expr::{Expression, ObjectKey};

use crate::refs::{escape, parse_expr};
use crate::value::Value;

/// A type constraint.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Ty {
    Any,
    String,
    Number,
    Bool,
    List(Box<Ty>),
    Set(Box<Ty>),
    Map(Box<Ty>),
    Tuple(Vec<Ty>),
    /// Attributes: name, type, optional.
    Object(Vec<(String, Ty, bool)>),
}

const PRIMITIVES: [&str; 4] = ["string", "number", "bool", "any"];
const CONSTRUCTORS: [&str; 6] = ["list", "set", "map", "tuple", "object", "optional"];

/// Parses Terraform type syntax such as `map(object({ a = string }))`.
pub(crate) fn parse(src: &str) -> Result<Ty, String> {
    let e = parse_expr(src).map_err(|m| {
        format!("expected a type constraint such as \"list(string)\", found {src:?}: {m}")
    })?;
    from_expr(&e, false).map(|(t, _)| t)
}

fn from_expr(e: &Expression, in_object: bool) -> Result<(Ty, bool), String> {
    match e {
        Expression::Variable(v) => match v.as_str() {
            "string" => Ok((Ty::String, false)),
            "number" => Ok((Ty::Number, false)),
            "bool" => Ok((Ty::Bool, false)),
            "any" => Ok((Ty::Any, false)),
            other => Err(unknown(other, &PRIMITIVES)),
        },
        Expression::FuncCall(f) => {
            let name = f.name.name.as_str();
            let one = |args: &[Expression]| -> Result<Ty, String> {
                match args {
                    [a] => from_expr(a, false).map(|(t, _)| t),
                    _ => Err(format!("expected {name}(<element type>) with one argument, found {} arguments", args.len())),
                }
            };
            match name {
                "list" => Ok((Ty::List(Box::new(one(&f.args)?)), false)),
                "set" => Ok((Ty::Set(Box::new(one(&f.args)?)), false)),
                "map" => Ok((Ty::Map(Box::new(one(&f.args)?)), false)),
                "tuple" => match f.args.as_slice() {
                    [Expression::Array(items)] => {
                        let mut tys = Vec::new();
                        for i in items {
                            tys.push(from_expr(i, false)?.0);
                        }
                        Ok((Ty::Tuple(tys), false))
                    }
                    _ => Err("expected tuple([<type>, ...]) with a list of element types".to_owned()),
                },
                "object" => match f.args.as_slice() {
                    [Expression::Object(map)] => {
                        let mut attrs = Vec::new();
                        for (k, v) in map {
                            let key = match k {
                                ObjectKey::Identifier(id) => id.as_str().to_owned(),
                                ObjectKey::Expression(Expression::String(s)) => s.clone(),
                                ObjectKey::Expression(Expression::Variable(v)) => v.as_str().to_owned(),
                                _ => return Err("expected object attribute names as identifiers".to_owned()),
                            };
                            let (t, optional) = from_expr(v, true)?;
                            attrs.push((key, t, optional));
                        }
                        Ok((Ty::Object(attrs), false))
                    }
                    _ => Err("expected object({ <name> = <type>, ... }) with one object argument".to_owned()),
                },
                "optional" if in_object => match f.args.as_slice() {
                    [t] | [t, _] => Ok((from_expr(t, false)?.0, true)),
                    _ => Err("expected optional(<type>) or optional(<type>, <default>)".to_owned()),
                },
                "optional" => Err("optional(...) is only allowed for an attribute of object({...})".to_owned()),
                other => Err(unknown(other, &CONSTRUCTORS)),
            }
        }
        Expression::Parenthesis(inner) => from_expr(inner, in_object),
        _ => Err("expected a type: string, number, bool, any, list(...), set(...), map(...), tuple([...]) or object({...})".to_owned()),
    }
}

fn unknown(found: &str, candidates: &[&str]) -> String {
    let mut m = format!("expected a type such as {}, found {found:?}", candidates.join(", "));
    if let Some(c) = crate::validate::closest(found, candidates.iter().copied()) {
        m.push_str(&format!("; did you mean {c:?}?"));
    }
    m
}

impl Ty {
    pub(crate) fn describe(&self) -> String {
        match self {
            Ty::Any => "any".into(),
            Ty::String => "string".into(),
            Ty::Number => "number".into(),
            Ty::Bool => "bool".into(),
            Ty::List(t) => format!("list({})", t.describe()),
            Ty::Set(t) => format!("set({})", t.describe()),
            Ty::Map(t) => format!("map({})", t.describe()),
            Ty::Tuple(ts) => {
                format!("tuple([{}])", ts.iter().map(Ty::describe).collect::<Vec<_>>().join(", "))
            }
            Ty::Object(a) => format!(
                "object({{ {} }})",
                a.iter()
                    .map(|(k, t, o)| if *o {
                        format!("{k} = optional({})", t.describe())
                    } else {
                        format!("{k} = {}", t.describe())
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

fn found(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("the bool {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {s:?}"),
        Value::List(l) => format!("a list of {} elements", l.len()),
        Value::Object(_) => "an object".into(),
        Value::Ref(r) => format!("the reference {r:?}"),
        Value::Expr(e) => format!("the expression {e:?}"),
    }
}

/// Checks a default value against its type (Terraform's automatic
/// conversions between primitives allowed); pushes (pointer, message).
pub(crate) fn check(ty: &Ty, v: &Value, pointer: &str, out: &mut Vec<(String, String)>) {
    let mismatch = |out: &mut Vec<(String, String)>| {
        out.push((
            pointer.to_owned(),
            format!("expected a value of type {}, found {}", ty.describe(), found(v)),
        ));
    };
    if matches!(v, Value::Null) {
        return;
    }
    if let Value::Ref(_) | Value::Expr(_) = v {
        out.push((
            pointer.to_owned(),
            format!("expected a literal value of type {} (variable defaults cannot refer to anything), found {}", ty.describe(), found(v)),
        ));
        return;
    }
    match ty {
        Ty::Any => {}
        Ty::String => {
            if !matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_)) {
                mismatch(out);
            }
        }
        Ty::Number => match v {
            Value::Number(_) => {}
            Value::String(s) if s.trim().parse::<f64>().is_ok() => {}
            _ => mismatch(out),
        },
        Ty::Bool => match v {
            Value::Bool(_) => {}
            Value::String(s) if s == "true" || s == "false" => {}
            _ => mismatch(out),
        },
        Ty::List(t) | Ty::Set(t) => match v {
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    check(t, item, &format!("{pointer}/{i}"), out);
                }
            }
            _ => mismatch(out),
        },
        Ty::Tuple(ts) => match v {
            Value::List(items) if items.len() == ts.len() => {
                for (i, (item, t)) in items.iter().zip(ts).enumerate() {
                    check(t, item, &format!("{pointer}/{i}"), out);
                }
            }
            _ => mismatch(out),
        },
        Ty::Map(t) => match v {
            Value::Object(map) => {
                for (k, item) in map.iter() {
                    check(t, item, &format!("{pointer}/{}", escape(k)), out);
                }
            }
            _ => mismatch(out),
        },
        Ty::Object(attrs) => match v {
            Value::Object(map) => {
                for (k, t, optional) in attrs {
                    match map.get(k) {
                        Some(item) => check(t, item, &format!("{pointer}/{}", escape(k)), out),
                        None if *optional => {}
                        None => out.push((
                            pointer.to_owned(),
                            format!("expected attribute {k:?} of type {} (required by {}), found an object without it", t.describe(), ty.describe()),
                        )),
                    }
                }
                for (k, _) in map.iter() {
                    if !attrs.iter().any(|(a, _, _)| a == k) {
                        let mut m = format!(
                            "expected only the attributes of {}, found {k:?}",
                            ty.describe()
                        );
                        if let Some(c) =
                            crate::validate::closest(k, attrs.iter().map(|(a, _, _)| a.as_str()))
                        {
                            m.push_str(&format!("; did you mean {c:?}?"));
                        }
                        out.push((format!("{pointer}/{}", escape(k)), m));
                    }
                }
            }
            _ => mismatch(out),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_types() {
        assert_eq!(parse("list(string)").unwrap(), Ty::List(Box::new(Ty::String)));
        let t = parse("map(object({ name = string, port = optional(number, 80) }))").unwrap();
        assert_eq!(t.describe(), "map(object({ name = string, port = optional(number) }))");
        assert!(parse("strin").unwrap_err().contains("did you mean \"string\""));
    }
}
