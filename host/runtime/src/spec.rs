//! Host-side spec checks: the spec must be JSON and match the plugin's
//! schema. Messages are written for the chat model that wrote the spec:
//! what was expected, what was found, every allowed name and the closest.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{JsonType, ValidationError};
use kiln_core::Violation;
use serde_json::Value;

/// A plugin's compiled spec schema.
pub(crate) struct SpecSchema {
    validator: jsonschema::Validator,
    schema: Value,
}

impl SpecSchema {
    pub(crate) fn compile(schema: &str) -> Result<Self, String> {
        let schema: Value = serde_json::from_str(schema)
            .map_err(|err| format!("the spec schema is not JSON: {err}"))?;
        let validator = jsonschema::validator_for(&schema)
            .map_err(|err| format!("the spec schema is not a valid JSON Schema: {err}"))?;
        Ok(Self { validator, schema })
    }

    /// Every place where `spec` breaks the schema.
    pub(crate) fn check(&self, spec: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        for err in self.validator.iter_errors(spec) {
            self.explain(&err, &mut out);
        }
        merge([out])
    }

    fn explain(&self, err: &ValidationError<'_>, out: &mut Vec<Violation>) {
        let at = err.instance_path().as_str().to_owned();
        let instance = err.instance().as_ref();
        let message = match err.kind() {
            ValidationErrorKind::AdditionalProperties { unexpected } => {
                let allowed = self.allowed_properties(err.schema_path().as_str());
                for name in unexpected {
                    let pointer = format!("{at}/{}", name.replace('~', "~0").replace('/', "~1"));
                    out.push(Violation::new(pointer, unknown("property", name, &allowed)));
                }
                return;
            }
            ValidationErrorKind::Enum { options } => {
                let allowed: Vec<String> =
                    options.as_array().map(|o| o.iter().map(render).collect()).unwrap_or_default();
                match instance.as_str() {
                    Some(text) => unknown("value", text, &allowed),
                    None => format!("expected one of {}; got {}", allowed.join(", "), found(instance)),
                }
            }
            ValidationErrorKind::Type { kind } => format!("expected {}; got {}", types(kind), found(instance)),
            ValidationErrorKind::Required { property } => {
                format!("missing required property `{}`", property.as_str().unwrap_or_default())
            }
            ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. }
                if let (Some(text), Some(allowed)) = (instance.as_str(), self.constants(err.schema_path().as_str())) =>
            {
                // An enum written as documented constants (one per value).
                unknown("value", text, &allowed)
            }
            ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
                // When only one alternative takes a value of this JSON type,
                // its own errors say precisely what is wrong inside.
                let fitting: Vec<&Vec<ValidationError<'static>>> =
                    context.iter().filter(|errors| !errors.iter().any(|e| is_type_error_at(e, &at))).collect();
                if let [only] = fitting.as_slice() {
                    for inner in only.iter() {
                        self.explain(inner, out);
                    }
                    return;
                }
                let alternatives = self.alternatives(err.schema_path().as_str());
                format!("expected {}; got {}", alternatives, found(instance))
            }
            ValidationErrorKind::OneOfMultipleValid { .. } => {
                "this value matches more than one of the shapes allowed here; make it match exactly one".into()
            }
            ValidationErrorKind::Constant { expected_value } => {
                format!("expected {}; got {}", render(expected_value), found(instance))
            }
            ValidationErrorKind::Minimum { limit } => format!("expected at least {limit}; got {}", found(instance)),
            ValidationErrorKind::Maximum { limit } => format!("expected at most {limit}; got {}", found(instance)),
            ValidationErrorKind::ExclusiveMinimum { limit } => {
                format!("expected more than {limit}; got {}", found(instance))
            }
            ValidationErrorKind::ExclusiveMaximum { limit } => {
                format!("expected less than {limit}; got {}", found(instance))
            }
            ValidationErrorKind::MinLength { limit } => {
                format!("expected at least {limit} characters; got {}", count(instance))
            }
            ValidationErrorKind::MaxLength { limit } => {
                format!("expected at most {limit} characters; got {}", count(instance))
            }
            ValidationErrorKind::MinItems { limit } => format!("expected at least {limit} items; got {}", count(instance)),
            ValidationErrorKind::MaxItems { limit } => format!("expected at most {limit} items; got {}", count(instance)),
            ValidationErrorKind::Pattern { pattern } => {
                let hint = self.description(err.schema_path().as_str());
                format!("expected text matching {pattern}{hint}; got {}", found(instance))
            }
            ValidationErrorKind::Format { format } => {
                let hint = self.description(err.schema_path().as_str());
                format!("expected a {format}{hint}; got {}", found(instance))
            }
            _ => err.to_string(),
        };
        out.push(Violation::new(at, message));
    }

    /// The subschema holding the keyword at `keyword_path`.
    fn parent(&self, keyword_path: &str) -> Option<&Value> {
        let parent = keyword_path.rsplit_once('/').map_or("", |(parent, _)| parent);
        self.schema.pointer(parent)
    }

    fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        let mut schema = schema;
        for _ in 0..8 {
            match schema.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix('#')) {
                Some(target) => match self.schema.pointer(target) {
                    Some(next) => schema = next,
                    None => break,
                },
                None => break,
            }
        }
        schema
    }

    /// The values of a oneOf/anyOf whose every alternative is a constant.
    fn constants(&self, keyword_path: &str) -> Option<Vec<String>> {
        let list = self.schema.pointer(keyword_path)?.as_array()?;
        list.iter().map(|alternative| self.resolve(alternative).get("const").map(render)).collect()
    }

    fn allowed_properties(&self, keyword_path: &str) -> Vec<String> {
        self.parent(keyword_path)
            .and_then(|s| s.get("properties"))
            .and_then(Value::as_object)
            .map(|p| p.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// " (description)" of the value's schema, shortened, or nothing.
    fn description(&self, keyword_path: &str) -> String {
        match self.parent(keyword_path).and_then(|s| s.get("description")).and_then(Value::as_str) {
            Some(text) => format!(" ({})", shorten(text, 160)),
            None => String::new(),
        }
    }

    /// "an array or an object (with `cells`)" for a oneOf/anyOf.
    fn alternatives(&self, keyword_path: &str) -> String {
        let Some(list) = self.schema.pointer(keyword_path).and_then(Value::as_array) else {
            return "one of the shapes the schema allows".into();
        };
        let mut names: Vec<String> = Vec::new();
        for alternative in list {
            let name = self.shape(self.resolve(alternative));
            if !names.contains(&name) {
                names.push(name);
            }
        }
        match names.as_slice() {
            [] => "one of the shapes the schema allows".into(),
            [one] => one.clone(),
            [init @ .., last] => format!("{} or {last}", init.join(", ")),
        }
    }

    fn shape(&self, schema: &Value) -> String {
        if let Some(value) = schema.get("const") {
            return render(value);
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            return format!("one of {}", options.iter().map(render).collect::<Vec<_>>().join(", "));
        }
        let kind = match schema.get("type") {
            Some(Value::String(t)) => article(t),
            Some(Value::Array(ts)) => {
                ts.iter().filter_map(Value::as_str).map(article).collect::<Vec<_>>().join(" or ")
            }
            _ if schema.get("properties").is_some() => article("object"),
            _ => "a value".into(),
        };
        let required: Vec<String> = schema
            .get("required")
            .and_then(Value::as_array)
            .map(|r| r.iter().filter_map(Value::as_str).map(|p| format!("`{p}`")).collect())
            .unwrap_or_default();
        if required.is_empty() { kind } else { format!("{kind} with {}", required.join(", ")) }
    }
}

fn is_type_error_at(err: &ValidationError<'_>, at: &str) -> bool {
    err.instance_path().as_str() == at
        && matches!(
            err.kind(),
            ValidationErrorKind::Type { .. }
                | ValidationErrorKind::Constant { .. }
                | ValidationErrorKind::Enum { .. }
        )
}

fn unknown(what: &str, name: &str, allowed: &[String]) -> String {
    let list =
        allowed.iter().map(|a| format!("`{}`", a.trim_matches('"'))).collect::<Vec<_>>().join(", ");
    let plain: Vec<String> = allowed.iter().map(|a| a.trim_matches('"').to_owned()).collect();
    let plural = if what == "property" { "properties" } else { "values" };
    if plain.is_empty() {
        return format!("unknown {what} `{name}`: none is allowed here");
    }
    match closest(name, &plain) {
        Some(near) => {
            format!("unknown {what} `{name}`; did you mean `{near}`? Allowed {plural}: {list}")
        }
        None => format!("unknown {what} `{name}`; allowed {plural}: {list}"),
    }
}

fn closest<'a>(word: &str, candidates: &'a [String]) -> Option<&'a str> {
    kiln_plugin_sdk::suggest::closest(word, candidates.iter().map(String::as_str))
}

fn types(kind: &TypeKind) -> String {
    let name = |t: JsonType| article(&t.to_string());
    match kind {
        TypeKind::Single(t) => name(*t),
        TypeKind::Multiple(set) => set.iter().map(name).collect::<Vec<_>>().join(" or "),
    }
}

fn article(json_type: &str) -> String {
    match json_type {
        "object" => "an object".into(),
        "array" => "an array".into(),
        "integer" => "a whole number".into(),
        "boolean" => "true or false".into(),
        "null" => "null".into(),
        other => format!("a {other}"),
    }
}

/// The value a spec gave, as a model would describe it.
fn found(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) => format!("the string {}", render(&Value::String(shorten(s, 60)))),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Object(_) => "an object".into(),
    }
}

fn count(value: &Value) -> String {
    match value {
        Value::String(s) => s.chars().count().to_string(),
        Value::Array(items) => items.len().to_string(),
        other => found(other),
    }
}

fn render(value: &Value) -> String {
    let text = value.to_string();
    if text.len() > 80 { shorten(&text, 80) } else { text }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let cut: String = text.chars().take(max).collect();
    format!("{cut}…")
}

/// The most violations one answer lists.
pub const MAX_VIOLATIONS: usize = 200;

/// Merges the violations of successive checking stages into one answer: a
/// later stage's violation at a pointer an earlier stage already reported
/// is the same fault seen again and is dropped; the rest are listed in
/// document order, without repeats, at most [`MAX_VIOLATIONS`] with a last
/// line counting the others.
pub fn merge(stages: impl IntoIterator<Item = Vec<Violation>>) -> Vec<Violation> {
    let mut seen = std::collections::HashSet::new();
    let mut all = Vec::new();
    for stage in stages {
        let pointers: Vec<String> = stage.iter().map(|v| v.pointer.clone()).collect();
        all.extend(stage.into_iter().filter(|v| !seen.contains(&v.pointer)));
        seen.extend(pointers);
    }
    all.sort_by(|a, b| {
        kiln_plugin_sdk::pointer::compare(&a.pointer, &b.pointer)
            .then_with(|| a.message.cmp(&b.message))
    });
    all.dedup();
    if all.len() > MAX_VIOLATIONS {
        let more = all.len() - (MAX_VIOLATIONS - 1);
        all.truncate(MAX_VIOLATIONS - 1);
        all.push(Violation::new(
            "",
            format!(
                "... and {more} more violations (only the first {} are listed)",
                MAX_VIOLATIONS - 1
            ),
        ));
    }
    all
}

/// Parses a spec, or says where the JSON is broken.
pub(crate) fn parse(spec: &str) -> Result<Value, Violation> {
    serde_json::from_str(spec)
        .map_err(|err| Violation::new("", format!("the spec is not valid JSON: {err}")))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn schema() -> SpecSchema {
        let schema = json!({
            "type": "object", "additionalProperties": false, "required": ["rows"],
            "properties": {
                "name": {"type": "string", "pattern": "^[a-z]+$", "description": "Lowercase letters."},
                "kind": {"enum": ["bar", "column", "line", "pie"]},
                "rows": {"type": "array", "items": {"$ref": "#/$defs/row"}}
            },
            "$defs": {
                "row": {"oneOf": [
                    {"type": "array", "items": {"type": "number"}},
                    {"type": "object", "additionalProperties": false, "required": ["cells"],
                     "properties": {"cells": {"type": "array", "items": {"type": "number"}}, "height": {"type": "number"}}}
                ]}
            }
        });
        SpecSchema::compile(&schema.to_string()).unwrap()
    }

    fn messages(spec: Value) -> Vec<(String, String)> {
        schema().check(&spec).into_iter().map(|v| (v.pointer, v.message)).collect()
    }

    #[test]
    fn messages_say_what_was_expected_and_what_was_found() {
        let found = messages(json!({
            "name": "ABC", "kind": "colum", "colour": 1,
            "rows": ["text", {"cells": [1], "heigth": 3}, {"cells": ["x"]}]
        }));
        assert_eq!(
            found,
            [
                ("/colour".into(), "unknown property `colour`; allowed properties: `kind`, `name`, `rows`".into()),
                ("/kind".into(), "unknown value `colum`; did you mean `column`? Allowed values: `bar`, `column`, `line`, `pie`".into()),
                ("/name".into(), "expected text matching ^[a-z]+$ (Lowercase letters.); got the string \"ABC\"".into()),
                ("/rows/0".into(), "expected an array or an object with `cells`; got the string \"text\"".into()),
                ("/rows/1/heigth".into(), "unknown property `heigth`; did you mean `height`? Allowed properties: `cells`, `height`".into()),
                ("/rows/2/cells/0".into(), "expected a number; got the string \"x\"".into()),
            ]
        );
    }

    #[test]
    fn later_stages_add_only_what_earlier_ones_did_not_see() {
        let merged = merge([
            vec![Violation::new("/rows/10", "schema"), Violation::new("/a", "schema")],
            vec![
                Violation::new("/rows/10", "plugin, same fault"),
                Violation::new("/rows/2", "plugin"),
                Violation::new("/a", "schema"),
            ],
        ]);
        let found: Vec<(&str, &str)> =
            merged.iter().map(|v| (v.pointer.as_str(), v.message.as_str())).collect();
        assert_eq!(found, [("/a", "schema"), ("/rows/2", "plugin"), ("/rows/10", "schema")]);
    }

    #[test]
    fn a_missing_property_is_named() {
        assert_eq!(
            messages(json!({})),
            [(String::new(), "missing required property `rows`".into())]
        );
    }
}
