//! An upper bound on the size of the template, for CloudFormation's size
//! quota: writing the template to measure it costs more than all of
//! validate's other checks together, so validate measures it only when
//! this bound is over the quota.

use crate::intrinsic::call;
use crate::json::{Json, Named};
use crate::spec::{Assertion, Spec, Transform};

/// An upper bound on [`crate::template_size`], from one pass over the spec
/// without building the template. It follows [`crate::template::template`]
/// field by field; keep the two in step.
pub fn bound(spec: &Spec) -> usize {
    let mut n = node(0) + fixed(1);
    n += spec.description.as_deref().map_or(0, |d| text(d, 1));
    n += match &spec.transform {
        None => 0,
        Some(Transform::One(s)) => text(s, 1),
        Some(Transform::Many(v)) => list(v.iter().map(String::as_str), 1),
    };
    n += spec.metadata.as_ref().map_or(0, |m| field(m, 1));
    n += section(&spec.parameters, |p| {
        let texts = [&p.description, &p.allowed_pattern, &p.constraint_description];
        text(&p.kind, 3)
            + texts.into_iter().flatten().map(|s| text(s, 3)).sum::<usize>()
            + p.default.as_ref().map_or(0, |v| field(v, 3))
            + p.allowed_values
                .as_ref()
                .map_or(0, |v| node(3) + KEY + v.iter().map(|i| value(i, 4)).sum::<usize>())
            + fixed(3)
                * count([
                    p.min_length.is_some(),
                    p.max_length.is_some(),
                    p.min_value.is_some(),
                    p.max_value.is_some(),
                    p.no_echo,
                ])
    });
    n += node(1) + KEY;
    for (name, top) in spec.mappings.iter() {
        n += node(2) + chars(name, 2);
        for (k, second) in top.iter() {
            n += node(3) + chars(k, 3);
            n += second.iter().map(|(k2, v)| chars(k2, 4) + value(v, 4)).sum::<usize>();
        }
    }
    n += node(1) + KEY;
    n += spec.conditions.iter().map(|(name, c)| chars(name, 2) + value(c, 2)).sum::<usize>();
    n += section(&spec.rules, |r| {
        let assertion = |a: &Assertion| {
            node(4)
                + field(&a.assert, 5)
                + a.assert_description.as_deref().map_or(0, |d| text(d, 5))
        };
        r.rule_condition.as_ref().map_or(0, |c| field(c, 3))
            + node(3)
            + KEY
            + r.assertions.iter().map(assertion).sum::<usize>()
    });
    n += section(&spec.resources, |r| {
        let values = [&r.creation_policy, &r.update_policy, &r.metadata, &r.properties];
        text(&r.kind, 3)
            + r.condition.as_deref().map_or(0, |c| text(c, 3))
            + r.depends_on.as_ref().map_or(0, |d| list(d.items().into_iter(), 3))
            + fixed(3) * count([r.deletion_policy.is_some(), r.update_replace_policy.is_some()])
            + values.into_iter().flatten().map(|v| field(v, 3)).sum::<usize>()
    });
    n += section(&spec.outputs, |o| {
        [&o.description, &o.condition].into_iter().flatten().map(|s| text(s, 3)).sum::<usize>()
            + field(&o.value, 3)
            // Export, perhaps wrapped in an object with the key `Name`.
            + o.export.as_ref().map_or(0, |e| node(3) + 2 * KEY + value(e, 4))
    });
    n
}

/// The longest fixed key (AWSTemplateFormatVersion).
const KEY: usize = 24;
/// The longest number as JSON or YAML writes it: at most 24 bytes
/// (`-2.2250738585072014e-308`), and YAML may add `.0` and `+`.
const NUMBER: usize = 32;

/// The bytes of one node at `depth` (the template's sections are at 1)
/// besides its key and its text: in JSON its key line and closing line, in
/// YAML its one line, each indented two spaces a level, with quotes,
/// punctuation, a short tag or the `Fn::` a short key gains, a null, a
/// boolean or an empty container.
fn node(depth: usize) -> usize {
    4 * depth + 16
}

/// A node with a fixed key and a fixed or numeric value.
fn fixed(depth: usize) -> usize {
    node(depth) + KEY + NUMBER
}

/// The bytes of a spec string (a key or a value) at `depth`, escaped,
/// quoted or written as a block: no byte grows by more than 5 (`\u0001`),
/// and each line of a block is indented.
fn chars(s: &str, depth: usize) -> usize {
    let grows = s.bytes().filter(|b| !matches!(b, b' '..=b'~') || b"\"'\\".contains(b)).count();
    let lines = s.bytes().filter(|&b| b == b'\n').count();
    s.len() + 5 * grows + (2 * depth + 2) * lines
}

/// A node with a fixed key and a spec string.
fn text(s: &str, depth: usize) -> usize {
    node(depth) + KEY + chars(s, depth)
}

/// A node with a fixed key and a list of spec strings (or one string).
fn list<'a>(items: impl Iterator<Item = &'a str>, depth: usize) -> usize {
    node(depth) + KEY + items.map(|s| node(depth + 1) + chars(s, depth + 1)).sum::<usize>()
}

fn count<const N: usize>(present: [bool; N]) -> usize {
    present.into_iter().filter(|&p| p).count()
}

/// A node with a fixed key and a spec value.
fn field(v: &Json, depth: usize) -> usize {
    KEY + value(v, depth)
}

/// A section of named items, their fields at depth 3.
fn section<T>(items: &Named<T>, fields: impl Fn(&T) -> usize) -> usize {
    node(1)
        + KEY
        + items.iter().map(|(name, item)| node(2) + chars(name, 2) + fields(item)).sum::<usize>()
}

/// A spec value at `depth` as [`crate::intrinsic::normalize`] makes it, its key not counted.
fn value(v: &Json, depth: usize) -> usize {
    node(depth)
        + match v {
            Json::String(s) => chars(s, depth),
            Json::Number(_) => NUMBER,
            Json::Array(items) => items.iter().map(|i| value(i, depth + 1)).sum(),
            Json::Object(entries) => {
                // `{"Fn::GetAtt": "A.B"}` becomes a list of two strings.
                let split = match call(v) {
                    Some(("Fn::GetAtt", Json::String(_))) => 2 * node(depth + 2),
                    _ => 0,
                };
                let entries =
                    entries.iter().map(|(k, v)| chars(k, depth + 1) + value(v, depth + 1));
                split + entries.sum::<usize>()
            }
            Json::Null | Json::Bool(_) => 0,
        }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn assert_bound_holds(text: &str) {
        let mut spec: Spec = serde_json::from_str(text).expect("a spec");
        for style in [crate::spec::IntrinsicStyle::Short, crate::spec::IntrinsicStyle::Long] {
            for json in [false, true] {
                spec.options.intrinsics = style;
                spec.options.json = json;
                let (bound, size) = (bound(&spec), crate::template_size(&spec));
                assert!(
                    bound >= size,
                    "bound {bound} < size {size} ({style:?}, json {json}): {text}"
                );
            }
        }
    }

    #[test]
    fn the_size_bound_holds_for_the_examples_the_corpus_and_the_benchmark() {
        for (_, text) in crate::EXAMPLES {
            assert_bound_holds(text);
        }
        let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
        for entry in std::fs::read_dir(corpus).expect("the corpus") {
            assert_bound_holds(
                &std::fs::read_to_string(entry.expect("a file").path()).expect("text"),
            );
        }
        assert_bound_holds(&crate::bench::benchmark_spec());
    }

    #[test]
    fn the_size_bound_holds_for_each_kind_of_value_that_grows_when_written() {
        let (mut objects, mut lists, mut calls) = (json!(1), json!(1), json!("x"));
        for _ in 0..100 {
            objects = json!({ "": objects });
            lists = json!([lists, []]);
            calls = json!({ "!Base64": calls });
        }
        let values = [
            objects,
            lists,
            calls,
            json!("\u{1}".repeat(1000)),
            json!("\u{85}".repeat(1000)),
            json!("'".repeat(1000)),
            json!("\\".repeat(1000)),
            json!({ "a": { "b": { "c": { "d": "x\n".repeat(1000) } } } }),
            json!(vec![json!({ "!GetAtt": "A.B" }); 1000]),
            json!(vec![json!({ "!ImportValue": "" }); 1000]),
            json!(vec![json!(-2.2250738585072014e-308); 1000]),
            json!(vec![json!({}); 1000]),
        ];
        for v in values {
            let spec = json!({ "resources": {
                "A": { "type": "AWS::SNS::Topic", "properties": { "P": v } },
                "B": { "type": "AWS::SNS::Topic" } } });
            assert_bound_holds(&spec.to_string());
        }
    }

    #[test]
    fn the_size_bound_holds_for_every_field_of_the_template() {
        let mut deep = json!({ "!GetAtt": "A.B" });
        for i in 0..40 {
            deep = if i % 2 == 0 {
                json!([deep, "\n\n\n", 1e300])
            } else {
                json!({ "k": deep, "!Sub": "x" })
            };
        }
        let odd = "'\"\\\u{1}\u{85}\u{2028}\u{feff}\t\r:#";
        let spec = json!({
            "description": "\n".repeat(50),
            "transform": ["AWS::Serverless-2016-10-31", "AWS::LanguageExtensions"],
            "metadata": { "Deep": deep, "Odd": odd },
            "parameters": { "P": {
                "type": "Number", "description": odd, "default": -2.2250738585072014e-308,
                "allowed_values": [1, "2", odd], "min_value": -1.5e-300, "max_value": 1.7976931348623157e308,
                "constraint_description": "\na\n b\n", "no_echo": true, "value": "1" } },
            "mappings": { "M": { "k": { "a": [odd, 1e-300], "b": "y\nz" } } },
            "conditions": { "C": { "!Equals": [{ "!Ref": "P" }, "\u{85}"] } },
            "rules": { "R": { "rule_condition": { "!Not": [{ "Condition": "C" }] },
                "assertions": [{ "assert": { "Fn::Contains": [[odd], { "Ref": "P" }] }, "assert_description": odd }] } },
            "resources": {
                "A": { "type": "AWS::SNS::Topic", "condition": "C", "depends_on": ["B"],
                    "deletion_policy": "RetainExceptOnCreate", "update_replace_policy": "Snapshot",
                    "metadata": { "m": [[], {}, null, false] },
                    "creation_policy": { "ResourceSignal": { "Count": 1 } },
                    "update_policy": { "x": { "!GetAtt": "B.Arn" } },
                    "properties": { "Deep": deep, "Block": "a\n\n  \nb", "Many": "\n".repeat(200) } },
                "B": { "type": "AWS::SNS::Topic", "depends_on": "A", "properties": { "DisplayName": odd } }
            },
            "outputs": {
                "O": { "value": { "!GetAtt": "A.TopicName" }, "description": odd, "condition": "C",
                    "export": { "!Sub": "${AWS::StackName}-o" } },
                "N": { "value": odd, "export": { "Name": "n" } }
            }
        });
        assert_bound_holds(&spec.to_string());
    }
}
