//! Broken specs derived from a plugin's schema and examples: each takes a
//! valid example and breaks one field the schema pins down (a value of the
//! wrong JSON type, a required property left out), so `kiln plugin check`
//! can see the fault refused where it is.

use serde_json::{Map, Value, json};

/// A spec with one known fault.
#[derive(Debug)]
pub(crate) struct BrokenSpec {
    /// What was broken, e.g. "/sheets/0/name set to a number".
    pub fault: String,
    /// Where a violation must point: the field, or for a missing property
    /// the object that lacks it.
    pub pointer: String,
    pub spec: Value,
}

impl BrokenSpec {
    /// Whether a violation at `pointer` names this fault (it or a field inside it).
    pub(crate) fn located_by(&self, pointer: &str) -> bool {
        pointer == self.pointer
            || pointer.strip_prefix(self.pointer.as_str()).is_some_and(|rest| rest.starts_with('/'))
    }
}

/// Up to `max` broken specs, one fault each, no two at the same field.
pub(crate) fn derive(schema: &Value, examples: &[Value], max: usize) -> Vec<BrokenSpec> {
    let mut out = Vec::new();
    for example in examples {
        let mut walk = Walk { root: schema, example, out: &mut out, max };
        walk.visit(schema, example, "");
    }
    out
}

struct Walk<'a> {
    root: &'a Value,
    example: &'a Value,
    out: &'a mut Vec<BrokenSpec>,
    max: usize,
}

impl Walk<'_> {
    fn visit(&mut self, schema: &Value, value: &Value, at: &str) {
        let Some(schema) = resolve(self.root, schema) else { return };
        match value {
            Value::Object(object) => self.visit_object(schema, object, at),
            Value::Array(items) => {
                if let (Some(item_schema), Some(first)) = (schema.get("items"), items.first()) {
                    self.visit(item_schema, first, &format!("{at}/0"));
                }
            }
            _ => {}
        }
    }

    fn visit_object(&mut self, schema: &Value, object: &Map<String, Value>, at: &str) {
        let required = schema.get("required").and_then(Value::as_array);
        for name in required.into_iter().flatten().filter_map(Value::as_str) {
            if object.contains_key(name) {
                self.push(format!("{at}/{} left out", escape(name)), at.to_owned(), |spec| {
                    spec.pointer_mut(at).and_then(Value::as_object_mut).map(|o| o.remove(name));
                });
            }
        }
        let Some(properties) = schema.get("properties").and_then(Value::as_object) else { return };
        for (name, property) in properties {
            let Some(value) = object.get(name) else { continue };
            let here = format!("{at}/{}", escape(name));
            let Some(resolved) = resolve(self.root, property) else { continue };
            if let Some((wrong, described)) =
                resolved.get("type").and_then(Value::as_str).and_then(wrong_value)
            {
                let pointer = here.clone();
                self.push(format!("{here} set to {described}"), here.clone(), move |spec| {
                    if let Some(slot) = spec.pointer_mut(&pointer) {
                        *slot = wrong;
                    }
                });
            }
            self.visit(property, value, &here);
        }
    }

    fn push(&mut self, fault: String, pointer: String, break_it: impl FnOnce(&mut Value)) {
        if self.out.len() >= self.max || self.out.iter().any(|b| b.fault == fault) {
            return;
        }
        let mut spec = self.example.clone();
        break_it(&mut spec);
        self.out.push(BrokenSpec { fault, pointer, spec });
    }
}

/// Follows local `$ref`s (`#/$defs/...`); `None` for one that goes nowhere.
fn resolve<'a>(root: &'a Value, mut schema: &'a Value) -> Option<&'a Value> {
    for _ in 0..16 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(reference) => schema = root.pointer(reference.strip_prefix('#')?)?,
            None => return Some(schema),
        }
    }
    None
}

/// A value no schema of JSON type `kind` accepts, and how to say it.
fn wrong_value(kind: &str) -> Option<(Value, &'static str)> {
    Some(match kind {
        "string" => (json!(12345), "a number"),
        "integer" | "number" => (json!("not a number"), "a string"),
        "boolean" => (json!("yes"), "a string"),
        "array" => (json!({"not": "a list"}), "an object"),
        "object" => (json!(["not", "an", "object"]), "an array"),
        _ => return None,
    })
}

fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_pinned_field_of_an_example_is_broken_once() {
        let schema = json!({
            "type": "object",
            "required": ["title", "rows"],
            "properties": {
                "title": {"type": "string", "description": "t"},
                "rows": {"type": "array", "description": "r", "items": {"$ref": "#/$defs/row"}},
                "note": {"type": "string", "description": "n"}
            },
            "$defs": {"row": {"type": "object", "required": ["n"], "properties": {"n": {"type": "integer", "description": "n"}}}}
        });
        let example = json!({"title": "Q1", "rows": [{"n": 1}, {"n": 2}]});
        let broken = derive(&schema, &[example.clone(), example], 10);
        let faults: Vec<(&str, &str)> =
            broken.iter().map(|b| (b.fault.as_str(), b.pointer.as_str())).collect();
        assert_eq!(
            faults,
            [
                ("/title left out", ""),
                ("/rows left out", ""),
                ("/rows set to an object", "/rows"),
                ("/rows/0/n left out", "/rows/0"),
                ("/rows/0/n set to a string", "/rows/0/n"),
                ("/title set to a number", "/title"),
            ]
        );
        assert_eq!(
            broken[4].spec,
            json!({"title": "Q1", "rows": [{"n": "not a number"}, {"n": 2}]})
        );
        assert_eq!(broken[3].spec, json!({"title": "Q1", "rows": [{}, {"n": 2}]}));
        assert!(broken[4].located_by("/rows/0/n"));
        assert!(!broken[4].located_by("/rows/0/nx"));
        assert_eq!(derive(&schema, &[json!({"title": "x", "rows": []})], 1).len(), 1);
    }
}
